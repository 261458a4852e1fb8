"""Documents as PDF: the sub-contract and its amendments from the kraj's sandboxed template, the opening
record and the evaluation protocol frozen at the decision, each stored once with its SHA-256, every
download permission-checked and audited."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from minitendr import clock, storage
from minitendr.audit.models import AuditEvent
from minitendr.bids.service import score_bid
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands.evaluation import open_envelopes
from minitendr.demands.models import Demand
from minitendr.documents import pdf, sandbox, service
from minitendr.documents.models import Document, DocumentKind
from minitendr.frameworks.models import FrameworkContract
from tests.conftest import log_in
from tests.factories import make_bid, make_demand, make_framework, message_at, seat_committee

PERSONAS = ("anonymous", "admin", "ministry", "kraj", "ospod", "provider", "interloper", "kraj_other", "ospod_other")


def text_of(data: bytes) -> str:
    """The PDF's text as a reader extracts it, with every run of white space (non-breaking too) one space."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def evaluated(personas, kraj_pak) -> Demand:
    """A minitender of OSPOD Pardubice past its deadline, envelopes opened, its one bid scored."""
    provider = personas.provider.provider
    provider.address = "Třída Míru 12, 530 02 Pardubice"
    framework = make_framework(kraj_pak, providers=[provider])
    framework.payment_terms = "Splatnost faktur 21 dnů; záloha se neposkytuje."
    with clock.frozen_at(clock.now() - dt.timedelta(days=20)):
        demand = make_demand(personas.ospod, publish=True)
        bid = make_bid(demand, provider, unit_price="512.50", units="40")
    seat_committee(demand, personas.ospod)
    open_envelopes(demand, personas.ospod)
    score_bid(bid, 80, "Zkušený tým, dobře popsaný přístup.", by=personas.ospod)
    db.session.commit()
    return demand


@pytest.fixture
def awarded(evaluated, login, personas) -> SubContract:
    """The minitender awarded through the page, as OSPOD does it (the documents are issued then)."""
    response = login(personas.ospod).post(f"/demands/{evaluated.id}/award")
    assert response.status_code == 302
    return db.session.scalars(sa.select(SubContract).where(SubContract.demand_id == evaluated.id)).one()


def documents_of(**owner) -> list[Document]:
    return list(db.session.scalars(sa.select(Document).filter_by(**owner).order_by(Document.id)))


def stored(document: Document) -> bytes:
    return storage.area("documents").read_bytes(document.stored_as)


# --- the sub-contract ------------------------------------------------------------------------------
def test_the_award_issues_the_contract_and_freezes_both_records(awarded):
    kinds = {d.kind for d in documents_of(subcontract_id=awarded.id)}
    records = {d.kind for d in documents_of(demand_id=awarded.demand_id)}
    assert kinds == {DocumentKind.CONTRACT}
    assert records == {DocumentKind.OPENING, DocumentKind.PROTOCOL}
    for document in documents_of(subcontract_id=awarded.id) + documents_of(demand_id=awarded.demand_id):
        data = stored(document)
        assert hashlib.sha256(data).hexdigest() == document.sha256 and len(data) == document.size
        assert data.startswith(b"%PDF-")


def test_the_contract_pdf_has_real_text_the_numbers_values_and_czech_names(awarded, login, personas):
    response = login(personas.provider).get(f"/subcontracts/{awarded.id}/document.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"dilci-smlouva-{awarded.number}.pdf" in response.headers["Content-Disposition"]
    text = text_of(response.data)
    assert f"Dílčí smlouva č. {awarded.number}" in text
    assert awarded.framework.number in text and awarded.demand.number in text
    # 40 × 512,50 Kč = 20 500,00 Kč, formatted the Czech way; VAT 0 %.
    assert "512,50 Kč" in text and "20 500,00 Kč" in text and "40,00" in text
    assert "Rodinné centrum Test, z.ú." in text and "Třída Míru 12, 530 02 Pardubice" in text
    assert "OSPOD Pardubice" in text and "Pardubický kraj" in text
    assert "Splatnost faktur 21 dnů" in text  # the framework's payment terms
    assert "Vztahy, Učení se" in text  # the needs areas (labels)


def test_the_contract_pdf_is_a4_with_its_fonts_embedded(awarded):
    reader = PdfReader(io.BytesIO(service.read(service.contract_pdf(awarded))))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 in points
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]


def test_no_case_data_reaches_the_contract(awarded):
    demand = awarded.demand
    text = text_of(service.read(service.contract_pdf(awarded)))
    assert demand.case_reference not in text
    assert demand.need_description[:30] not in text and demand.place not in text
    variables = repr(sandbox.context(service.contract_terms(awarded)))
    assert demand.case_reference not in variables and demand.need_description[:30] not in variables


def test_the_contract_is_stored_once_and_served_the_same_every_time(store, awarded, login, personas):
    client = login(personas.ospod)
    first = client.get(f"/subcontracts/{awarded.id}/document.pdf").data
    second = client.get(f"/subcontracts/{awarded.id}/document.pdf").data
    assert first == second
    [document] = documents_of(subcontract_id=awarded.id, kind=DocumentKind.CONTRACT)
    assert hashlib.sha256(first).hexdigest() == document.sha256


def test_every_download_is_audited_with_who_and_which_bytes(awarded, login, personas):
    login(personas.provider).get(f"/subcontracts/{awarded.id}/document.pdf")
    login(personas.kraj).get(f"/demands/{awarded.demand_id}/protocol.pdf")
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "document.downloaded").order_by(AuditEvent.id)
    ).all()
    assert [e.actor_id for e in events] == [personas.provider.id, personas.kraj.id]
    contract = documents_of(subcontract_id=awarded.id, kind=DocumentKind.CONTRACT)[0]
    assert (events[0].object_type, events[0].object_id) == ("document", contract.id)
    assert events[0].data["sha256"] == contract.sha256 and events[1].data["document"] == "protocol"


def test_a_sub_contract_from_before_documents_gets_its_document_on_the_first_request(evaluated, personas, login):
    from minitendr.demands.evaluation import award

    subcontract = award(evaluated, personas.ospod)  # the service alone: no documents issued
    db.session.commit()
    assert documents_of(subcontract_id=subcontract.id) == []
    data = login(personas.kraj).get(f"/subcontracts/{subcontract.id}/document.pdf").data
    assert subcontract.number in text_of(data)
    assert len(documents_of(subcontract_id=subcontract.id)) == 1
    assert login(personas.provider).get(f"/subcontracts/{subcontract.id}/document.pdf").data == data


def test_a_document_whose_transaction_rolls_back_leaves_no_file(store, evaluated, personas):
    from minitendr.demands.evaluation import award

    subcontract = award(evaluated, personas.ospod)
    db.session.commit()
    document = service.contract_pdf(subcontract)
    name = document.stored_as
    assert storage.area("documents").stat(name) is not None  # stored before the row
    db.session.rollback()
    assert storage.area("documents").stat(name) is None
    assert documents_of(subcontract_id=subcontract.id) == []


def test_a_kept_document_survives_its_commit(awarded):
    document = documents_of(subcontract_id=awarded.id)[0]
    assert storage.area("documents").stat(document.stored_as) is not None


# --- amendments --------------------------------------------------------------------------------------
AMENDMENT = {
    "new_value": "25 625,00",
    "new_units": "50",
    "new_end_date": "",
    "reason": "Rozšíření rozsahu o deset hodin, rodina potřebuje víc podpory.",
    "provider_consent": "E-mail ředitelky ze dne 1. 12.",
}


def amend_through_the_page(client, subcontract: SubContract) -> None:
    values = AMENDMENT | {"new_end_date": subcontract.end_date.isoformat(), "consent_on": clock.today().isoformat()}
    response = client.post(f"/subcontracts/{subcontract.id}/amendments", data=values)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_an_amendment_gets_its_own_numbered_document(awarded, login, personas):
    amend_through_the_page(login(personas.ospod), awarded)
    [document] = documents_of(subcontract_id=awarded.id, kind=DocumentKind.AMENDMENT)
    response = login(personas.provider).get(f"/subcontracts/{awarded.id}/amendments/1/document.pdf")
    assert response.status_code == 200 and response.data == stored(document)
    assert f"dilci-smlouva-{awarded.number}-dodatek-1.pdf" in response.headers["Content-Disposition"]
    text = text_of(response.data)
    assert f"Dodatek č. 1 k dílčí smlouvě č. {awarded.number}" in text
    assert "z 20 500,00 Kč na 25 625,00 Kč" in text and "Rozšíření rozsahu o deset hodin" in text
    # The contract still says what was signed.
    contract = text_of(login(personas.provider).get(f"/subcontracts/{awarded.id}/document.pdf").data)
    assert "20 500,00 Kč" in contract and "25 625,00 Kč" not in contract


def test_the_sub_contract_page_lists_its_documents(awarded, login, personas):
    amend_through_the_page(login(personas.ospod), awarded)
    page = flat(login(personas.provider).get(f"/subcontracts/{awarded.id}").get_data(as_text=True))
    assert f'href="/subcontracts/{awarded.id}/document.pdf"' in page
    assert f'href="/subcontracts/{awarded.id}/amendments/1/document.pdf"' in page
    contract = documents_of(subcontract_id=awarded.id, kind=DocumentKind.CONTRACT)[0]
    assert contract.sha256 in page


def test_a_missing_amendment_is_404_and_another_kraj_is_403(awarded, login, personas):
    assert login(personas.ospod).get(f"/subcontracts/{awarded.id}/amendments/7/document.pdf").status_code == 404
    assert login(personas.kraj_other).get(f"/subcontracts/{awarded.id}/amendments/7/document.pdf").status_code == 403
    assert login(personas.ospod).get("/subcontracts/999999/document.pdf").status_code == 404


# --- the records ---------------------------------------------------------------------------------------
def test_the_protocol_pdf_is_frozen_at_the_award(awarded, login, personas):
    client = login(personas.kraj)
    before = client.get(f"/demands/{awarded.demand_id}/protocol.pdf")
    assert before.status_code == 200 and before.mimetype == "application/pdf"
    text = text_of(before.data)
    assert awarded.demand.number in text and awarded.number in text and "20 500,00 Kč" in text
    assert "Rodinné centrum Test, z.ú." in text
    [document] = documents_of(demand_id=awarded.demand_id, kind=DocumentKind.PROTOCOL)
    sha = document.sha256

    amend_through_the_page(login(personas.ospod), awarded)
    # The HTML protocol now mentions the amended value; the stored PDF does not change.
    assert "25 625,00 Kč" in flat(
        login(personas.kraj).get(f"/demands/{awarded.demand_id}/protocol").get_data(as_text=True)
    )
    after = login(personas.kraj).get(f"/demands/{awarded.demand_id}/protocol.pdf")
    assert after.data == before.data and hashlib.sha256(after.data).hexdigest() == sha
    assert "25 625,00 Kč" not in text_of(after.data)


def test_the_opening_record_pdf_lists_the_bids(awarded, login, personas):
    response = login(personas.ospod).get(f"/demands/{awarded.demand_id}/opening.pdf")
    assert response.status_code == 200
    text = text_of(response.data)
    assert "Záznam o otevírání obálek" in text and awarded.demand.number in text
    assert "Rodinné centrum Test, z.ú." in text and "20 500,00 Kč" in text
    assert "Strana 1 z 1" in text  # page numbers from @page


def test_before_the_decision_the_protocol_is_made_live_and_not_stored(evaluated, login, personas):
    response = login(personas.ospod).get(f"/demands/{evaluated.id}/protocol.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "O minitendru zatím nebylo rozhodnuto" in text_of(response.data)
    assert documents_of(demand_id=evaluated.id) == []
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "document.downloaded")).one()
    assert (event.object_type, event.object_id, event.data["stored"]) == ("demand", evaluated.id, False)


def test_records_of_a_minitender_still_sealed_or_unopened_are_404(personas, kraj_pak, login):
    make_framework(kraj_pak, providers=[personas.provider.provider])
    open_demand = make_demand(personas.ospod, publish=True)
    with clock.frozen_at(clock.now() - dt.timedelta(days=20)):
        unopened = make_demand(personas.ospod, publish=True)
    db.session.commit()
    client = login(personas.ospod)
    for demand in (open_demand, unopened):
        assert client.get(f"/demands/{demand.id}/protocol.pdf").status_code == 404
        assert client.get(f"/demands/{demand.id}/opening.pdf").status_code == 404


# --- permissions: every route × persona ------------------------------------------------------------
CONTRACT_READERS = {"admin": 200, "ministry": 200, "kraj": 200, "ospod": 200, "provider": 200}
RECORD_READERS = {"admin": 200, "ministry": 200, "kraj": 200, "ospod": 200}
ROUTES = [
    ("/subcontracts/{sc}/document.pdf", CONTRACT_READERS),
    ("/subcontracts/{sc}/amendments/1/document.pdf", CONTRACT_READERS),
    ("/demands/{demand}/opening.pdf", RECORD_READERS),
    ("/demands/{demand}/protocol.pdf", RECORD_READERS),
    ("/frameworks/{framework}/templates", {"admin": 200, "kraj": 200}),
]


@pytest.mark.parametrize(("url", "allowed"), ROUTES, ids=[url for url, _ in ROUTES])
def test_each_document_route_answers_each_persona(app, awarded, login, personas, url, allowed):
    amend_through_the_page(login(personas.ospod), awarded)
    address = url.format(sc=awarded.id, demand=awarded.demand_id, framework=awarded.framework_id)
    for persona in PERSONAS:
        client = app.test_client()
        log_in(app, client, personas[persona])
        response = client.get(address)
        expected = 302 if persona == "anonymous" else allowed.get(persona, 403)
        assert response.status_code == expected, f"{address} as {persona}"
        if expected == 200 and url.endswith(".pdf"):
            assert response.data.startswith(b"%PDF-")
    downloads = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "document.downloaded")
    )
    assert downloads == (len(allowed) if url.endswith(".pdf") else 0)  # refused requests take nothing


# --- the kraj's templates ------------------------------------------------------------------------------
def post_templates(client, framework_id: int, **fields: str):
    values = {"contract_template": "", "amendment_template": "", "payment_terms": ""} | fields
    return client.post(f"/frameworks/{framework_id}/templates", data=values)


def test_a_changed_template_applies_to_new_documents_only(awarded, evaluated, login, personas, kraj_pak):
    old = login(personas.provider).get(f"/subcontracts/{awarded.id}/document.pdf").data
    template = "<h1>Smlouva {{ number }}</h1><p>Zvláštní ujednání Pardubického kraje: {{ value }}.</p>{{ signatures }}"
    response = post_templates(login(personas.kraj), awarded.framework_id, contract_template=template)
    assert response.status_code == 302
    assert db.session.get(FrameworkContract, awarded.framework_id).contract_template == template
    assert login(personas.provider).get(f"/subcontracts/{awarded.id}/document.pdf").data == old

    with clock.frozen_at(clock.now() - dt.timedelta(days=20)):
        second = make_demand(personas.ospod, publish=True)
        bid = make_bid(second, personas.provider.provider, unit_price="400", units="10")
    seat_committee(second, personas.ospod)
    open_envelopes(second, personas.ospod)
    score_bid(bid, 70, "Dobře.", by=personas.ospod)
    db.session.commit()
    assert login(personas.ospod).post(f"/demands/{second.id}/award").status_code == 302
    new = db.session.scalars(sa.select(SubContract).where(SubContract.demand_id == second.id)).one()
    text = text_of(login(personas.provider).get(f"/subcontracts/{new.id}/document.pdf").data)
    assert f"Smlouva {new.number}" in text and "Zvláštní ujednání Pardubického kraje: 4 000,00 Kč." in text


UGLY_TEMPLATES = [
    ("{% if number %}<p>bez konce", "Chyba v zápisu šablony na řádku 1"),
    ("{{ number }", "Chyba v zápisu šablony"),
    ("{{ case_reference }}", "neznámou proměnnou nebo vlastnost „case_reference“"),
    ("{{ need_description }}", "neznámou proměnnou"),
    ("{{ provider.demand.case_reference }}", "neznámou proměnnou"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "není dovoleno"),
    ("{{ number.__class__ }}", "není dovoleno"),
    ("{{ provider.items.__globals__ }}", "neznámou proměnnou nebo vlastnost „__globals__“"),
    ("{% include 'base.html' %}", "nelze vyplnit"),
    ("{{ range(10) }}", "neznámou proměnnou"),
    ("{{ needs_areas.append('x') }}", "není dovoleno"),
    ("{{ unit_price / 0 }}", "nelze vyplnit"),
    ("{{ 'x' * 100000000000 }}", "není dovoleno"),
    ("{{ 10 ** 100000000 }}", "není dovoleno"),
    ("{% for a in needs_areas %}" * 6 + "{{ 'x' * 9999 }}" + "{% endfor %}" * 6, "příliš dlouhá"),
]


@pytest.mark.parametrize(("template", "message"), UGLY_TEMPLATES, ids=[t[:30] for t, _ in UGLY_TEMPLATES])
def test_an_ugly_template_is_refused_at_its_field_and_nothing_is_stored(personas, kraj_pak, login, template, message):
    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    db.session.commit()
    response = post_templates(login(personas.kraj), framework.id, contract_template=template)
    assert response.status_code == 200
    shown = message_at(response.get_data(as_text=True), "contract_template")
    assert shown is not None and message in shown, shown
    db.session.expire_all()
    assert db.session.get(FrameworkContract, framework.id).contract_template is None
    assert not db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "framework.templates_changed")
    )


def test_an_amendment_template_is_checked_with_an_amendment(personas, kraj_pak, login):
    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    db.session.commit()
    ok = post_templates(
        login(personas.kraj), framework.id, amendment_template="<h1>Dodatek {{ amendment.seq }} k {{ number }}</h1>"
    )
    assert ok.status_code == 302
    # The contract has no amendment: a contract template that uses one fails on every contract.
    refused = post_templates(login(personas.kraj), framework.id, contract_template="{{ amendment.seq }}")
    assert "neznámou proměnnou" in (message_at(refused.get_data(as_text=True), "contract_template") or "")


def test_values_are_escaped_in_the_template():
    terms = dataclasses.replace(sandbox.SAMPLE, provider_name="<script>x</script> & spol.")
    html = sandbox.render("{{ provider.name }}", sandbox.context(terms))
    assert html == "&lt;script&gt;x&lt;/script&gt; &amp; spol."


def test_a_template_cannot_fetch_files_or_urls(evaluated, personas, login, monkeypatch, tmp_path):
    secret = tmp_path / "tajne.css"
    secret.write_text("h1::after { content: 'TAJNE-HESLO'; }")
    template = (
        f'<link rel="stylesheet" href="file://{secret}"><img src="file:///etc/passwd" alt="x">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"><h1>Smlouva {{ number }}</h1>'
    )
    client = login(personas.kraj)
    assert post_templates(client, evaluated.framework_id, contract_template=template).status_code == 302
    asked: list[str] = []
    fetcher = type(pdf._fetcher())
    refuse = fetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return refuse(self, url, headers)

    monkeypatch.setattr(fetcher, "fetch", spy)
    assert login(personas.ospod).post(f"/demands/{evaluated.id}/award").status_code == 302
    subcontract = db.session.scalars(sa.select(SubContract).where(SubContract.demand_id == evaluated.id)).one()
    text = text_of(login(personas.provider).get(f"/subcontracts/{subcontract.id}/document.pdf").data)
    assert f"Smlouva {subcontract.number}" in text and "TAJNE-HESLO" not in text
    assert f"file://{secret}" in asked  # asked for, and refused


def test_the_template_form_is_refused_for_a_framework_that_is_over(personas, kraj_pak):
    from minitendr.frameworks import service as frameworks

    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    frameworks.terminate_framework(framework, "Konec spolupráce.")
    with pytest.raises(DomainError, match="už nelze měnit"):
        service.set_templates(
            framework, contract_template="<p>{{ number }}</p>", amendment_template="", payment_terms=""
        )


def test_demo_sub_contracts_get_their_documents_on_the_first_download(demo_app, tmp_path, monkeypatch):
    """The pilot's sub-contracts were made before documents existed: each gets its PDF on request."""
    from minitendr.auth.models import Role, User

    monkeypatch.setitem(demo_app.config, "DOCUMENTS_DIR", str(tmp_path / "documents"))
    admin = db.session.scalars(sa.select(User).where(User.role == Role.ADMIN)).first()
    amended = db.session.scalars(sa.select(SubContract).where(SubContract.amendments.any()).limit(1)).first()
    plain = db.session.scalars(sa.select(SubContract).where(~SubContract.amendments.any()).limit(1)).first()
    client = demo_app.test_client()
    log_in(demo_app, client, admin)
    for subcontract in filter(None, (amended, plain)):
        response = client.get(f"/subcontracts/{subcontract.id}/document.pdf")
        assert response.status_code == 200, subcontract.number
        text = text_of(response.data)
        assert subcontract.number in text and subcontract.provider.name in text
        for amendment in subcontract.amendments:
            data = client.get(f"/subcontracts/{subcontract.id}/amendments/{amendment.seq}/document.pdf").data
            assert f"Dodatek č. {amendment.seq}" in text_of(data)
    demand = db.session.scalars(sa.select(Demand).where(Demand.id == (plain or amended).demand_id)).one()
    assert demand.number in text_of(client.get(f"/demands/{demand.id}/protocol.pdf").data)
