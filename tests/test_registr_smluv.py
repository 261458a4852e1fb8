"""Registr smluv (zákon 340/2015 Sb.): the ISRS 1.2 messages of sub-contracts and amendments, valid
against the official schema and carrying the contract's own amounts and dates; the ZIP for the data
box; the register's answer read back; the publication typed by hand; the list of what falls due."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.contracts import service
from minitendr.contracts.models import Amendment, SubContract
from minitendr.db import DomainError, db
from minitendr.isrs import message
from minitendr.isrs.message import NAMESPACE, SCHEMAS, schema
from minitendr.isrs.queries import due_list
from minitendr.permissions import can_edit_publisher, can_publish_in_registry
from minitendr.registry.models import Kraj
from tests.conftest import SQLITE_PLANS
from tests.factories import message_at
from tests.test_contracts import awarded

pytestmark = pytest.mark.usefixtures("monday")
OFFICIAL = Path("/work/shared/data/registr-smluv")  # the folder the schemas came from, where it exists
NS = {"rs": NAMESPACE}


def _text(xml: bytes, path: str) -> str | None:
    return ET.fromstring(xml).findtext(path, namespaces=NS)


def _amend(subcontract: SubContract, value: str, consent_on: dt.date | None = None) -> Amendment:
    return service.amend(
        subcontract,
        new_value=Decimal(value),
        new_units=subcontract.units,
        new_end_date=subcontract.end_date,
        reason="Rodina potřebuje víc setkání.",
        provider_consent="Dopis č. j. 12/2026",
        consent_on=consent_on or clock.today(),
    )


@pytest.fixture
def big(personas, kraj_pak) -> SubContract:
    """60 000,00 Kč without VAT, signed in September (its 30 days ran out in October)."""
    return awarded(personas, kraj_pak, unit_price="1500", ceiling="400000")


# --- the message ---------------------------------------------------------------------------------
def test_the_packaged_schemas_are_the_official_ones():
    if not OFFICIAL.exists():
        pytest.skip("the official folder is not on this machine")
    for official in OFFICIAL.glob("*.xsd"):
        assert (SCHEMAS / official.name).read_bytes() == official.read_bytes(), official.name


def test_every_demo_sub_contract_over_the_threshold_has_a_valid_message_with_its_own_figures(demo_app):
    over = db.session.scalars(sa.select(SubContract).where(SubContract.requires_registry)).all()
    assert over, "the demo has sub-contracts over 50 000 Kč"
    zverejneni = schema("operace_zverejneni.xsd")
    for subcontract in over:
        msg = message.subcontract_message(subcontract)
        zverejneni.validate(msg.xml.decode())  # raises on any departure from the schema
        value = message.signed_value(subcontract)
        assert Decimal(_text(msg.xml, "rs:smlouva/rs:hodnotaBezDph")) == value
        assert Decimal(_text(msg.xml, "rs:smlouva/rs:hodnotaVcetneDph")) == message.with_vat(
            value, subcontract.vat_rate
        )
        assert _text(msg.xml, "rs:smlouva/rs:datumUzavreni") == subcontract.signed_on.isoformat()
        assert _text(msg.xml, "rs:smlouva/rs:cisloSmlouvy") == subcontract.number
        assert _text(msg.xml, "rs:smlouva/rs:smluvniStrana/rs:ico") == subcontract.provider.ico
        assert _text(msg.xml, "rs:smlouva/rs:subjekt/rs:ico") == subcontract.orp.kraj.ico
        assert _text(msg.xml, "rs:prilohy/rs:priloha/rs:nazevSouboru") == f"dilci-smlouva-{subcontract.number}.pdf"


def test_the_message_names_the_kraj_as_publisher_and_the_provider_as_recipient(big):
    xml = message.subcontract_message(big).xml
    assert _text(xml, "rs:smlouva/rs:subjekt/rs:nazev") == "Pardubický kraj"
    assert _text(xml, "rs:smlouva/rs:subjekt/rs:ico") == "70892822"
    assert _text(xml, "rs:smlouva/rs:subjekt/rs:platce") == "true"
    assert _text(xml, "rs:smlouva/rs:smluvniStrana/rs:nazev") == big.provider.name
    assert _text(xml, "rs:smlouva/rs:smluvniStrana/rs:prijemce") == "true"
    assert _text(xml, "rs:smlouva/rs:hodnotaBezDph") == "60000.00"
    assert _text(xml, "rs:smlouva/rs:navazanyZaznam") is None


def test_vat_is_added_at_the_rate_of_the_winning_bid(big):
    big.vat_rate = 21
    xml = message.subcontract_message(big).xml
    assert _text(xml, "rs:smlouva/rs:hodnotaBezDph") == "60000.00"
    assert _text(xml, "rs:smlouva/rs:hodnotaVcetneDph") == "72600.00"


def test_the_provider_s_data_box_goes_in_when_known(big):
    assert _text(message.subcontract_message(big).xml, "rs:smlouva/rs:smluvniStrana/rs:datovaSchranka") is None
    big.provider.data_box = "abc1234"
    xml = message.subcontract_message(big).xml
    assert _text(xml, "rs:smlouva/rs:smluvniStrana/rs:datovaSchranka") == "abc1234"


def test_a_sub_contract_up_to_50_000_has_no_message(login, personas, kraj_pak):
    small = awarded(personas, kraj_pak, unit_price="1250")  # 50 000,00: not over it
    db.session.commit()
    with pytest.raises(LookupError):
        message.subcontract_message(small)
    client = login(personas.kraj)
    assert client.get(f"/subcontracts/{small.id}/registr-smluv.xml").status_code == 404
    assert client.get(f"/subcontracts/{small.id}/registr-smluv.zip").status_code == 404


def test_a_kraj_without_its_ico_gets_a_czech_refusal_instead_of_a_message(login, personas, big, kraj_pak):
    kraj_pak.ico = ""
    db.session.commit()
    with pytest.raises(DomainError, match="nemá vyplněno IČO"):
        message.subcontract_message(big)
    client = login(personas.kraj)
    response = client.get(f"/subcontracts/{big.id}/registr-smluv.xml")
    assert response.status_code == 302 and f"/subcontracts/{big.id}" in response.headers["Location"]
    assert "nemá vyplněno IČO" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_message_is_served_as_xml_to_the_kraj(login, personas, big):
    db.session.commit()
    response = login(personas.kraj).get(f"/subcontracts/{big.id}/registr-smluv.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert f"zverejneni-{big.number}.xml" in response.headers["Content-Disposition"]
    schema("operace_zverejneni.xsd").validate(response.get_data(as_text=True))


# --- amendments ----------------------------------------------------------------------------------
def test_an_amendment_is_published_linked_to_the_contract_s_record(big):
    amendment = _amend(big, "80000.00")
    with pytest.raises(DomainError, match="až po zveřejnění dílčí smlouvy"):
        message.amendment_message(amendment)
    # The contract's own message keeps the value it was signed for.
    assert _text(message.subcontract_message(big).xml, "rs:smlouva/rs:hodnotaBezDph") == "60000.00"
    service.record_registry(big, "26781234", clock.today(), "28945612")
    msg = message.amendment_message(amendment)
    schema("operace_zverejneni.xsd").validate(msg.xml.decode())
    assert _text(msg.xml, "rs:smlouva/rs:navazanyZaznam") == "26781234"
    assert _text(msg.xml, "rs:smlouva/rs:cisloSmlouvy") == f"{big.number}/D1"
    assert _text(msg.xml, "rs:smlouva/rs:hodnotaBezDph") == "80000.00"
    assert _text(msg.xml, "rs:smlouva/rs:datumUzavreni") == clock.today().isoformat()
    assert msg.attachments == (f"dilci-smlouva-{big.number}-dodatek-1.pdf",)


def test_an_amendment_of_a_small_contract_needs_no_publishing(login, personas, kraj_pak):
    small = awarded(personas, kraj_pak)  # 20 000
    amendment = _amend(small, "30000.00")
    db.session.commit()
    with pytest.raises(LookupError):
        message.amendment_message(amendment)
    url = f"/subcontracts/{small.id}/amendments/{amendment.id}/registr-smluv.xml"
    assert login(personas.kraj).get(url).status_code == 404


def test_an_amendment_of_another_sub_contract_is_not_found_under_this_one(login, personas, kraj_pak, big):
    other = awarded(personas, kraj_pak, unit_price="1600", framework=big.framework)
    amendment = _amend(other, "70000.00")
    db.session.commit()
    url = f"/subcontracts/{big.id}/amendments/{amendment.id}/registr-smluv.xml"
    assert login(personas.kraj).get(url).status_code == 404


# --- the ZIP -------------------------------------------------------------------------------------
def test_the_zip_holds_the_message_beside_the_documents_it_names(big):
    msg = message.subcontract_message(big)
    pdf = b"%PDF-1.7 dilci smlouva"
    content = message.build_zip(msg, [(message.contract_document_name(big), pdf)])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == [f"zverejneni-{big.number}.xml", f"dilci-smlouva-{big.number}.pdf"]
        assert archive.read(f"zverejneni-{big.number}.xml") == msg.xml
        assert archive.read(f"dilci-smlouva-{big.number}.pdf") == pdf
        assert archive.testzip() is None
    with pytest.raises(ValueError, match="does not name"):
        message.build_zip(msg, [("jiny.pdf", pdf)])


def test_the_zip_is_served_to_the_kraj(login, personas, big):
    db.session.commit()
    response = login(personas.kraj).get(f"/subcontracts/{big.id}/registr-smluv.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = archive.namelist()
        assert names[0] == f"zverejneni-{big.number}.xml"
        assert names[1:] == [f"dilci-smlouva-{big.number}.pdf"]
        schema("operace_zverejneni.xsd").validate(archive.read(names[0]).decode())
        pdf = archive.read(names[1])
    # The PDF is the stored contract document, the same bytes its own download gives.
    document = login(personas.kraj).get(f"/subcontracts/{big.id}/document.pdf")
    assert document.status_code == 200 and document.get_data() == pdf and pdf.startswith(b"%PDF")


# --- the register's answer -----------------------------------------------------------------------
def answer_xml(
    number: str,
    concluded_on: dt.date,
    value: str,
    *,
    registry_id: str = "26781234",
    version: str = "28945612",
    published: str = "2026-11-20T10:15:00+01:00",
    attachment: str | None = None,
    attachment_hash: str | None = None,
    provider_ico: str = "",
    publisher_ico: str = "70892822",
) -> bytes:
    attachment = attachment or f"dilci-smlouva-{number.replace('/D', '-dodatek-')}.pdf"
    hash_element = f'<hash algoritmus="sha256">{attachment_hash}</hash>' if attachment_hash else ""
    party_ico = f"<ico>{provider_ico}</ico>" if provider_ico else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<odpovedZverejneni xmlns="{NAMESPACE}">
  <puvodniZprava>1234567890</puvodniZprava>
  <data>
    <identifikator><idSmlouvy>{registry_id}</idSmlouvy><idVerze>{version}</idVerze></identifikator>
    <odkaz>https://smlouvy.gov.cz/smlouva/{version}</odkaz>
    <casZverejneni>{published}</casZverejneni>
    <smlouva>
      <subjekt><datovaSchranka>z28bwu9</datovaSchranka><ico>{publisher_ico}</ico></subjekt>
      <smluvniStrana><nazev>Poskytovatel</nazev>{party_ico}<prijemce>true</prijemce></smluvniStrana>
      <predmet>Sociálně aktivizační služby</predmet>
      <datumUzavreni>{concluded_on.isoformat()}</datumUzavreni>
      <cisloSmlouvy>{number}</cisloSmlouvy>
      <hodnotaBezDph>{value}</hodnotaBezDph>
    </smlouva>
    <prilohy><priloha>{hash_element}<nazevSouboru>{attachment}</nazevSouboru></priloha></prilohy>
  </data>
  <potvrzeni><hash algoritmus="sha256">0a1b2c</hash><elektronickaZnacka>AAEC</elektronickaZnacka></potvrzeni>
</odpovedZverejneni>""".encode()


def _upload(client, subcontract: SubContract, content: bytes, name: str = "odpoved.xml"):
    return client.post(
        f"/subcontracts/{subcontract.id}/registr-smluv/answer",
        data={"answer": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _message_at_answer(response) -> str:
    return html.unescape(message_at(response.get_data(as_text=True), "answer") or "")


def test_the_register_s_answer_records_the_id_version_and_date_with_an_audit_event(login, personas, big):
    db.session.commit()
    content = answer_xml(big.number, big.signed_on, "60000.00", provider_ico=big.provider.ico)
    response = _upload(login(personas.kraj), big, content)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(big)
    assert (big.registry_id, big.registry_version, big.registry_published_on) == (
        "26781234",
        "28945612",
        dt.date(2026, 11, 20),
    )
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.object_id == big.id, AuditEvent.object_type == "subcontract")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.action == "subcontract.registry_published"
    assert event.data["registry_version"] == "28945612" and event.data["source"] == "odpověď registru smluv"
    assert event.actor_id == personas.kraj.id


def test_the_answer_s_time_counts_in_prague(big):
    from minitendr.isrs.service import import_answer

    content = answer_xml(big.number, big.signed_on, "60000.00", published="2026-11-19T23:30:00Z")
    import_answer(big, content)
    assert big.registry_published_on == dt.date(2026, 11, 20)  # 00:30 in Prague


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "prázdný"),
        (b"<odpovedZverejneni><data>", "není platné XML"),
        (b"tohle neni xml", "není platné XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
            "definice entit",
        ),
        (f'<odpovedZverejneni xmlns="{NAMESPACE}"><data/></odpovedZverejneni>'.encode(), "neodpovídá schématu"),
        (b"<odpovedZverejneni><data/></odpovedZverejneni>", "není odpověď registru smluv"),
    ],
    ids=["empty", "broken", "not xml", "entities", "invalid against the schema", "no namespace"],
)
def test_a_file_that_is_no_valid_answer_is_refused_at_the_field(login, personas, big, content, expected):
    db.session.commit()
    response = _upload(login(personas.kraj), big, content)
    assert response.status_code == 200
    assert expected in _message_at_answer(response)
    db.session.refresh(big)
    assert big.registry_pending


def test_our_own_message_uploaded_as_the_answer_is_refused_as_another_schema(login, personas, big):
    db.session.commit()
    response = _upload(login(personas.kraj), big, message.subcontract_message(big).xml)
    assert "obsahuje <zverejneni>" in _message_at_answer(response)


def test_an_answer_for_another_contract_or_with_other_figures_is_refused(login, personas, big):
    db.session.commit()
    client = login(personas.kraj)
    cases = [
        (answer_xml("DS-PAK-2026-9999", big.signed_on, "60000.00"), "ne smlouvy č. " + big.number),
        (answer_xml(big.number, big.signed_on, "61000.00"), "hodnotu bez DPH"),
        (answer_xml(big.number, big.signed_on + dt.timedelta(days=1), "60000.00"), "datum uzavření"),
        (answer_xml(big.number, big.signed_on, "60000.00", provider_ico="27000001"), "mezi smluvními stranami"),
        (answer_xml(big.number, big.signed_on, "60000.00", publisher_ico="70891168"), "zveřejňující subjekt"),
        (answer_xml(big.number, big.signed_on, "60000.00", attachment="jina.pdf"), "neuvádí přílohu"),
        (
            answer_xml(big.number, big.signed_on, "60000.00", registry_id="0", published="2030-01-01T10:00:00"),
            "budoucnosti",
        ),
    ]
    for content, expected in cases:
        response = _upload(client, big, content)
        assert response.status_code == 200
        assert expected in _message_at_answer(response), expected
    db.session.refresh(big)
    assert big.registry_pending


def test_an_answer_whose_attachment_hash_differs_from_the_stored_document_is_refused(big, monkeypatch):
    from minitendr.isrs import service as isrs

    pdf = b"%PDF-1.7 ulozena smlouva"
    monkeypatch.setattr(isrs, "attachments_for", lambda subcontract: [(message.contract_document_name(big), pdf)])
    wrong = answer_xml(big.number, big.signed_on, "60000.00", attachment_hash=hashlib.sha256(b"jine").hexdigest())
    with pytest.raises(DomainError, match="Hash přílohy"):
        isrs.import_answer(big, wrong)
    assert big.registry_pending
    right = answer_xml(big.number, big.signed_on, "60000.00", attachment_hash=hashlib.sha256(pdf).hexdigest().upper())
    isrs.import_answer(big, right)
    assert big.registry_id == "26781234"


def test_an_answer_is_recorded_once(big):
    from minitendr.isrs.service import import_answer

    import_answer(big, answer_xml(big.number, big.signed_on, "60000.00"))
    with pytest.raises(DomainError, match="už je zaznamenáno"):
        import_answer(big, answer_xml(big.number, big.signed_on, "60000.00", registry_id="26781299"))
    assert big.registry_id == "26781234"


def test_an_amendment_s_answer_is_recorded_on_the_amendment(login, personas, big):
    from minitendr.isrs.service import import_answer

    amendment = _amend(big, "80000.00", consent_on=dt.date(2026, 11, 2))
    import_answer(big, answer_xml(big.number, big.signed_on, "60000.00"))
    db.session.commit()
    content = answer_xml(
        f"{big.number}/D1", dt.date(2026, 11, 2), "80000.00", registry_id="26790001", version="28990001"
    )
    response = _upload(login(personas.kraj), big, content)
    assert response.status_code == 302
    db.session.refresh(amendment)
    assert (amendment.registry_id, amendment.registry_version) == ("26790001", "28990001")
    assert amendment.registry_published_on == dt.date(2026, 11, 20)


def test_the_upload_without_a_file_asks_for_one(login, personas, big):
    db.session.commit()
    response = login(personas.kraj).post(f"/subcontracts/{big.id}/registr-smluv/answer", data={})
    assert response.status_code == 200
    assert "Vyberte soubor" in _message_at_answer(response)


# --- typed by hand -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"registry_id": "RS-12", "published_on": "2026-11-20"}, "registry_id", "je číslo"),
        ({"registry_id": "1" * 13, "published_on": "2026-11-20"}, "registry_id", "je číslo"),
        (
            {"registry_id": "26781234", "registry_version": "v2", "published_on": "2026-11-20"},
            "registry_version",
            "ID verze",
        ),
        ({"registry_id": "26781234", "published_on": "2026-09-01"}, "published_on", "před jejím uzavřením"),
        ({"registry_id": "26781234", "published_on": "2026-11-24"}, "published_on", "v budoucnosti"),
        ({"registry_id": "26781234", "published_on": "nikdy"}, "published_on", "platné datum"),
    ],
)
def test_a_publication_typed_by_hand_is_checked(login, personas, big, data, field, expected):
    db.session.commit()
    response = login(personas.kraj).post(f"/subcontracts/{big.id}/registry", data=data)
    assert response.status_code == 200
    assert expected in (message_at(response.get_data(as_text=True), field) or "")
    db.session.refresh(big)
    assert big.registry_pending


def test_a_publication_typed_by_hand_is_recorded_with_its_version(login, personas, big):
    db.session.commit()
    data = {"registry_id": " 26781234 ", "registry_version": "28945612", "published_on": "2026-11-20"}
    assert login(personas.kraj).post(f"/subcontracts/{big.id}/registry", data=data).status_code == 302
    db.session.refresh(big)
    assert (big.registry_id, big.registry_version, big.registry_published_on) == (
        "26781234",
        "28945612",
        dt.date(2026, 11, 20),
    )


def test_an_amendment_s_publication_typed_by_hand_is_checked_and_recorded(login, personas, big):
    amendment = _amend(big, "80000.00", consent_on=dt.date(2026, 11, 2))
    db.session.commit()
    client = login(personas.ospod)
    url = f"/subcontracts/{big.id}/amendments/{amendment.id}/registry"
    prefix = f"amendment-{amendment.id}-"
    refused = client.post(url, data={prefix + "registry_id": "26790001", prefix + "published_on": "2026-11-01"})
    assert refused.status_code == 200
    assert "před jejím uzavřením" in (message_at(refused.get_data(as_text=True), prefix + "published_on") or "")
    ok = client.post(url, data={prefix + "registry_id": "26790001", prefix + "published_on": "2026-11-20"})
    assert ok.status_code == 302
    db.session.refresh(amendment)
    assert amendment.registry_id == "26790001" and amendment.registry_published_on == dt.date(2026, 11, 20)


# --- the due list --------------------------------------------------------------------------------
def _walk(client, url: str) -> list[list[str]]:
    """The rows (contract number and amendment) of every page, following "Další"."""
    pages = []
    while url:
        page = html.unescape(client.get(url).get_data(as_text=True))
        pages.append(re.findall(r'#registr-smluv">([^<]+)</a>(, dodatek č\. \d+)?', page))
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = found.group(1) if found else ""
    return [[number + amendment for number, amendment in rows] for rows in pages]


def test_the_due_list_puts_the_overdue_first_and_pages_through_contracts_and_amendments(
    login, personas, kraj_pak, monkeypatch
):
    from minitendr.isrs import queries

    monkeypatch.setattr(queries, "PER_PAGE", 2)
    framework = None
    made = []
    for n in range(4):
        subcontract = awarded(personas, kraj_pak, unit_price=str(1500 + n), ceiling="900000", framework=framework)
        framework = subcontract.framework
        subcontract.signed_on = dt.date(2026, 9, 1) + dt.timedelta(days=14 * n)
        made.append(subcontract)
    first, second, third, fourth = made
    service.record_registry(second, "26781234", dt.date(2026, 11, 1))
    late = _amend(second, "70000.00", consent_on=dt.date(2026, 9, 20))  # between first and third
    recent = _amend(third, "90000.00", consent_on=clock.today())  # the contract is not published: waits
    db.session.commit()

    expected = [
        first.number,
        f"{second.number}, dodatek č. 1",
        third.number,
        fourth.number,
        f"{third.number}, dodatek č. 1",
    ]
    pages = _walk(login(personas.kraj), "/subcontracts/registry/due")
    assert [row for page in pages for row in page] == expected
    assert [len(page) for page in pages] == [2, 2, 1]
    items = due_list(personas.kraj).items
    assert items[0].days_left < 0 and items[0].due_on == dt.date(2026, 10, 1)
    assert late.registry_pending and recent.registry_pending
    # Back from the last page gives the same rows in the same order.
    client = login(personas.kraj)
    last = html.unescape(client.get("/subcontracts/registry/due").get_data(as_text=True))
    url = re.search(r'rel="next" href="([^"]+)"', last).group(1)
    url = re.search(r'rel="next" href="([^"]+)"', html.unescape(client.get(url).get_data(as_text=True))).group(1)
    back = re.search(r'rel="prev" href="([^"]+)"', html.unescape(client.get(url).get_data(as_text=True))).group(1)
    rows = re.findall(
        r'#registr-smluv">([^<]+)</a>(, dodatek č\. \d+)?', html.unescape(client.get(back).get_data(as_text=True))
    )
    assert [a + b for a, b in rows] == expected[2:4]


def test_the_due_list_shows_each_official_only_their_own(login, personas, big):
    db.session.commit()
    for persona, sees in [
        ("kraj", True),
        ("ospod", True),
        ("ministry", True),
        ("kraj_other", False),
        ("ospod_other", False),
    ]:
        page = login(personas[persona]).get("/subcontracts/registry/due").get_data(as_text=True)
        assert (big.number in page) is sees, persona


def test_the_due_list_costs_the_same_statements_at_one_row_and_at_many(login, personas, kraj_pak, statements):
    def cost() -> int:
        client = login(personas.kraj)
        with statements() as ran:
            assert client.get("/subcontracts/registry/due").status_code == 200
        return len(ran)

    first = awarded(personas, kraj_pak, unit_price="1500", ceiling="2000000")
    _amend(first, "65000.00")
    db.session.commit()
    one = cost()
    for n in range(6):
        subcontract = awarded(personas, kraj_pak, unit_price=str(1600 + n), framework=first.framework)
        _amend(subcontract, str(70000 + n))
    db.session.commit()
    assert cost() == one


def test_a_forged_cursor_of_the_due_list_is_400(login, personas):
    from minitendr.pagination import encode_cursor

    client = login(personas.kraj)
    for cursor in ("nesmysl", encode_cursor([dt.date(2026, 1, 1), 5]), encode_cursor([dt.date(2026, 1, 1), 7, 1])):
        assert client.get(f"/subcontracts/registry/due?after={cursor}").status_code == 400


# --- who may ------------------------------------------------------------------------------------
def test_who_publishes_a_sub_contract(personas, big):
    allowed = {
        persona
        for persona in ("admin", "ministry", "kraj", "ospod", "provider", "interloper", "kraj_other", "ospod_other")
        if can_publish_in_registry(personas[persona], big)
    }
    assert allowed == {"kraj", "ospod"}


def test_who_edits_a_kraj_s_publisher_details(personas, kraj_pak):
    allowed = {
        persona
        for persona in ("admin", "ministry", "kraj", "ospod", "provider", "interloper", "kraj_other", "ospod_other")
        if can_edit_publisher(personas[persona], kraj_pak)
    }
    assert allowed == {"admin", "kraj"}


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("kraj", 200),
        ("ospod", 200),
        ("admin", 403),
        ("ministry", 403),
        ("provider", 403),
        ("kraj_other", 403),
        ("ospod_other", 403),
    ],
)
def test_the_message_and_zip_of_a_sub_contract_over_the_threshold_per_persona(login, personas, big, persona, status):
    db.session.commit()
    client = login(personas[persona])
    for suffix in ("xml", "zip"):
        assert client.get(f"/subcontracts/{big.id}/registr-smluv.{suffix}").status_code == status


# --- the kraj as publisher ----------------------------------------------------------------------
def _summary_says(response, field: str, text: str) -> bool:
    """The error summary of a refused form links the message to its field."""
    page = html.unescape(response.get_data(as_text=True))
    return re.search(rf'href="#{field}">[^<]*{re.escape(text)}', page) is not None


def test_every_kraj_is_seeded_with_its_publisher_details():
    kraje = db.session.scalars(sa.select(Kraj)).all()
    assert len(kraje) == 14
    from minitendr.databox import data_box_error
    from minitendr.providers.ico import ico_error

    for kraj in kraje:
        assert kraj.official_name and kraj.address, kraj.code
        assert ico_error(kraj.ico) is None and data_box_error(kraj.data_box) is None, kraj.code
    by_code = {k.code: k for k in kraje}
    assert by_code["CZ053"].ico == "70892822" and by_code["CZ041"].ico == "70891168"


def test_seeding_again_keeps_what_the_kraj_corrected(app, kraj_pak):
    from minitendr.registry.service import load_reference_data

    kraj_pak.address = "Komenského náměstí 125, 532 11 Pardubice 2"
    kraj_pak.data_box = ""
    load_reference_data(Path(app.config["SEED_DIR"]))
    assert kraj_pak.address == "Komenského náměstí 125, 532 11 Pardubice 2"
    assert kraj_pak.data_box == "z28bwu9"  # an empty one is filled in


def test_the_kraj_edits_its_publisher_details_with_checks_at_the_fields(login, personas, kraj_pak):
    client = login(personas.kraj)
    url = "/registry/kraje/CZ053/publisher"
    assert client.get(url).status_code == 200
    good = {
        "official_name": "Pardubický kraj",
        "ico": "70892822",
        "data_box": "Z28BWU9",
        "address": "Komenského nám. 125",
    }
    for field, value, expected in [
        ("ico", "70892823", "kontrolní číslici"),
        ("ico", "7089282A", "8 číslic"),
        ("data_box", "z28bwu", "7 znaků"),
        ("data_box", "z28-wu9", "7 znaků"),
    ]:
        response = client.post(url, data=good | {field: value})
        assert response.status_code == 200
        assert _summary_says(response, field, expected), (field, value)
    assert client.post(url, data=good).status_code == 302
    db.session.refresh(kraj_pak)
    assert (kraj_pak.data_box, kraj_pak.address) == ("z28bwu9", "Komenského nám. 125")
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "kraj").order_by(AuditEvent.id.desc())
    ).first()
    assert event.action == "kraj.publisher_updated" and "address" in event.data
    assert login(personas.kraj_other).post(url, data=good).status_code == 403


def test_a_provider_s_data_box_is_checked(login, personas):
    provider = personas.provider.provider
    db.session.commit()
    url = f"/providers/{provider.id}/edit"
    data = {"ico": provider.ico, "name": provider.name, "data_box": "abc", "active": "y"}
    response = login(personas.admin).post(url, data=data)
    assert response.status_code == 200
    assert _summary_says(response, "data_box", "7 znaků")
    assert login(personas.admin).post(url, data=data | {"data_box": "ABC1234"}).status_code == 302
    db.session.refresh(provider)
    assert provider.data_box == "abc1234"


def test_the_sub_contract_page_offers_the_kraj_the_message_the_zip_and_the_answer_upload(login, personas, big):
    amendment = _amend(big, "80000.00")
    db.session.commit()
    page = login(personas.kraj).get(f"/subcontracts/{big.id}").get_data(as_text=True)
    assert f"/subcontracts/{big.id}/registr-smluv.zip" in page and f"/subcontracts/{big.id}/registr-smluv.xml" in page
    assert f"/subcontracts/{big.id}/registr-smluv/answer" in page and 'enctype="multipart/form-data"' in page
    assert f"/amendments/{amendment.id}/registry" in page  # its publication may be typed by hand
    assert f"/amendments/{amendment.id}/registr-smluv.zip" not in page  # not before the contract's
    provider_page = login(personas.provider).get(f"/subcontracts/{big.id}").get_data(as_text=True)
    assert "registr-smluv.zip" not in provider_page and "registr-smluv/answer" not in provider_page


@pytest.mark.parametrize("persona", ["ministry", "kraj", "ospod"])
@SQLITE_PLANS
def test_the_unpublished_amendments_are_read_in_order_from_their_index(personas, big, persona):
    from minitendr.isrs.queries import _branches

    _, amendments, sort, _ = list(_branches(personas[persona]))[1]
    stmt = amendments.order_by(*sort.order_by()).limit(51)
    compiled = stmt.compile(db.session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = " ".join(row[3] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_amendment_unpublished" in plan and "TEMP B-TREE" not in plan, plan


def test_an_amendment_that_needs_no_publishing_is_refused_with_a_message_on_the_page(login, personas, big):
    other = awarded(personas, personas.kraj.kraj, unit_price="500", framework=big.framework)  # 20 000
    small = _amend(other, "25000.00", consent_on=dt.date(2026, 11, 2))
    db.session.commit()
    prefix = f"amendment-{small.id}-"
    url = f"/subcontracts/{other.id}/amendments/{small.id}/registry"
    response = login(personas.kraj).post(url, data={prefix + "registry_id": "1", prefix + "published_on": "2026-11-20"})
    assert response.status_code == 200
    assert "se do registru smluv nezveřejňuje" in response.get_data(as_text=True)
    # On a page that shows the publication part, too.
    _amend(big, "80000.00", consent_on=dt.date(2026, 11, 2))
    published = _amend(big, "85000.00", consent_on=dt.date(2026, 11, 3))
    service.record_registry(big, "26781234", dt.date(2026, 11, 1))
    service.record_amendment_registry(published, "26781299", dt.date(2026, 11, 20))
    db.session.commit()
    prefix = f"amendment-{published.id}-"
    url = f"/subcontracts/{big.id}/amendments/{published.id}/registry"
    response = login(personas.kraj).post(url, data={prefix + "registry_id": "2", prefix + "published_on": "2026-11-20"})
    assert response.status_code == 200
    assert "Zveřejnění dodatku už je zaznamenáno (ID 26781299)" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-20T10:15:00", dt.date(2026, 11, 20)),
        ("2026-11-20T23:59:59.1234567", dt.date(2026, 11, 20)),
        ("2026-11-20T23:30:00.5Z", dt.date(2026, 11, 21)),
        ("2026-11-21T00:30:00.1234567+02:00", dt.date(2026, 11, 20)),
    ],
)
def test_the_register_s_times_are_read_in_any_form_xs_datetime_allows(text, day):
    from minitendr.isrs.answer import _moment

    assert _moment(text).astimezone(clock.PRAGUE).date() == day


def test_each_download_of_the_message_is_audited_with_what_it_held(login, personas, big):
    from minitendr.audit.models import AuditEvent

    db.session.commit()
    response = login(personas.kraj).get(f"/subcontracts/{big.id}/registr-smluv.xml")
    assert response.status_code == 200
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "document.downloaded").order_by(AuditEvent.id)
    ).all()
    assert events and events[-1].actor_id == personas.kraj.id
    assert events[-1].data["sha256"] == hashlib.sha256(response.get_data()).hexdigest()
    assert events[-1].data["number"] == f"zverejneni-{big.number}.xml"
