"""The audit log (/audit/): every event readable in Czech by the one renderer the histories use, filtered
by object, user, event and date, a page at a time; a kraj official sees its kraj's objects; nobody sees a
bid's events — not even who bid — before the envelopes of its minitender are opened; exports to CSV and
Excel that no spreadsheet evaluates."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from minitendr import clock
from minitendr.audit import labels
from minitendr.audit.models import AuditEvent
from minitendr.audit.service import record
from minitendr.bids.models import Bid
from minitendr.contracts.models import SubContract
from minitendr.db import db
from minitendr.demands.models import Demand
from tests.factories import ProviderFactory


def _events_of(page: str, kind: str, object_id: int) -> bool:
    """Whether the log page links to the history of object ``kind`` #``object_id``."""
    return f"object={kind}&amp;ref={object_id}" in page or f"ref={object_id}&amp;object={kind}" in page


# --- one renderer: labels, formatted values, old → new -------------------------------------------
def test_values_read_in_czech_never_raw(personas):
    event = AuditEvent(
        action="framework.updated",
        object_type="framework_contract",
        object_id=1,
        data={
            "ceiling": ["26304.00", "1234567.5"],
            "valid_from": ["2026-01-01", "2026-02-01"],
            "price_weight": [60, 70],
            "category": "terenni",
            "needs": ["vztahy", "uceni"],
            "active": True,
            "role": "kraj",
            "kraj": "CZ053",
            "service_type": "SAS",
        },
    )
    shown = dict(labels.details(event))
    assert shown["strop (Kč)"] == "26\xa0304,00\xa0Kč → 1\xa0234\xa0567,50\xa0Kč"
    assert shown["platnost od"] == "1. 1. 2026 → 1. 2. 2026"
    assert shown["váha ceny (%)"] == "60\xa0% → 70\xa0%"
    assert shown["kategorie"] == "Terénní a ambulantní služby pro rodiny a děti"
    assert shown["oblasti potřeb"] == "Vztahy, Učení se"
    assert shown["aktivní"] == "ano"
    assert shown["role"] == "Krajský úřad"
    assert shown["kraj"] == "Pardubický kraj"
    assert shown["typ služby"] == "Sociálně aktivizační služby pro rodiny s dětmi"
    assert "26304.00" not in str(shown) and "terenni" not in str(shown)


def test_the_history_on_an_objects_page_uses_the_same_renderer_and_links_to_the_log(objects, personas, login):
    page = login(personas.admin).get(f"/subcontracts/{objects['subcontract_id']}").get_data(as_text=True)
    subcontract = db.session.get(SubContract, objects["subcontract_id"])
    assert "Historie změn" in page
    assert f"{subcontract.value:.2f}" not in page.split('id="historie"')[1]  # never "26304.00"
    assert f"/audit/?object=subcontract&amp;ref={subcontract.id}" in page


def test_ospod_reads_the_history_but_has_no_link_to_the_log(objects, personas, login):
    page = login(personas.ospod).get(f"/subcontracts/{objects['subcontract_id']}").get_data(as_text=True)
    assert "Historie změn" in page and "/audit/?" not in page


def test_every_recorded_event_has_a_czech_label():
    """Every action the code records (``record("…")``) reads in Czech on the history and in the log."""
    import pathlib
    import re

    source = "\n".join(path.read_text() for path in pathlib.Path("minitendr").rglob("*.py"))
    recorded = set(re.findall(r'record\(\s*"([a-z_]+\.[a-z_]+)"', source))
    assert len(recorded) > 30
    assert recorded <= set(labels.ACTIONS), recorded - set(labels.ACTIONS)


# --- who reads what -------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["ospod", "provider", "interloper"])
def test_ospod_and_providers_are_refused(objects, personas, login, who):
    assert login(personas[who]).get("/audit/").status_code == 403
    assert login(personas[who]).get("/audit/log.csv").status_code == 403


def test_admin_reads_every_event_in_czech(objects, personas, login, statements):
    client = login(personas.admin)
    client.get("/audit/")
    with statements() as ran:
        page = client.get("/audit/").get_data(as_text=True)
    assert len(ran) <= 15, ran  # six kinds of objects on the page, named in one statement
    assert "Zveřejnění a pozvánky" in page and "Zadání (výběr dodavatele)" in page
    assert "demand.published" not in page.split("<tbody>")[1]
    assert _events_of(page, "demand", objects["past_demand_id"])


def test_kraj_reads_its_own_kraj_only(objects, personas, login):
    own = login(personas.kraj).get("/audit/").get_data(as_text=True)
    assert _events_of(own, "subcontract", objects["subcontract_id"])
    assert _events_of(own, "framework_contract", objects["framework_id"])
    other = login(personas.kraj_other).get("/audit/").get_data(as_text=True)
    assert not _events_of(other, "subcontract", objects["subcontract_id"])
    assert not _events_of(other, "demand", objects["demand_id"])
    # Nor by asking for the object by name.
    number = db.session.get(Demand, objects["past_demand_id"]).number
    filtered = login(personas.kraj_other).get(f"/audit/?object=demand&ref={number}").get_data(as_text=True)
    assert "Filtrům neodpovídá žádná událost." in filtered


# --- sealing -------------------------------------------------------------------------------------
def test_bid_events_are_hidden_until_the_envelopes_are_opened(objects, personas, login):
    sealed, opened = objects["bid_id"], objects["past_bid_id"]
    for who in ("admin", "ministry", "kraj"):
        page = login(personas[who]).get("/audit/").get_data(as_text=True)
        assert not _events_of(page, "bid", sealed), who
        assert _events_of(page, "bid", opened), who
        asked = login(personas[who]).get(f"/audit/?object=bid&ref={sealed}").get_data(as_text=True)
        assert "Podání nabídky" not in asked.split("<tbody>")[1]
    # Who bid is not told by filtering on the bidder's account, nor in the exports.
    mine = login(personas.admin).get(f"/audit/?user={personas.provider.email}").get_data(as_text=True)
    assert not _events_of(mine, "bid", sealed)
    demand = db.session.get(Demand, objects["demand_id"])
    csv = login(personas.admin).get("/audit/log.csv?action=bid.submitted").get_data(as_text=True)
    assert demand.number not in csv
    assert db.session.get(Demand, objects["past_demand_id"]).number in csv


def test_a_scoring_event_shows_once_opened(objects, personas, login):
    page = login(personas.ministry).get("/audit/?action=bid.scored").get_data(as_text=True)
    assert "Hodnocení kvality" in page and "80 b." in page


def test_filtering_by_the_asker_does_not_reveal_who_asked(objects, personas, login):
    page = login(personas.admin).get(f"/audit/?user={personas.provider.email}").get_data(as_text=True)
    assert "Dotaz poskytovatele" not in page.split("<tbody>")[1]
    everything = login(personas.admin).get("/audit/?action=demand.question_asked").get_data(as_text=True)
    assert "poskytovatel (anonymně)" in everything and personas.provider.email not in everything.split("<tbody>")[1]


# --- filters -------------------------------------------------------------------------------------
def test_filters_by_object_number_event_and_date(objects, personas, login):
    client = login(personas.admin)
    number = db.session.get(Demand, objects["past_demand_id"]).number
    page = client.get(f"/audit/?object=demand&ref={number}").get_data(as_text=True)
    body = page.split("<tbody>")[1]
    assert "Otevření obálek" in body and "Zadání (výběr dodavatele)" in body
    assert "Dílčí smlouva" not in body and "Založení návrhu" not in body
    tomorrow = clock.today() + dt.timedelta(days=1)
    later = client.get(f"/audit/?since={tomorrow.isoformat()}").get_data(as_text=True)
    assert "Filtrům neodpovídá žádná událost." in later
    today = client.get(f"/audit/?until={clock.today():%d. %m. %Y}&action=demand.published").get_data(as_text=True)
    assert today.split("<tbody>")[1].count("Zveřejnění a pozvánky") >= 2


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("since=32.13.2026", "since", "Zadejte datum ve tvaru 30. 11. 2026."),
        ("since=2026-12-02&until=2026-12-01", "until", "nesmí být před"),
        ("object=tajne", "object", "Vyberte druh objektu ze seznamu."),
        ("action=%3Cscript%3E", "action", "Vyberte událost ze seznamu."),
        ("ref=123", "ref", "K číslu objektu vyberte i jeho druh."),
        ("user=" + "x" * 300, "user", "příliš dlouhá"),
    ],
)
def test_a_bad_filter_gets_a_czech_message_at_its_field(personas, login, query, field, message):
    response = login(personas.admin).get(f"/audit/?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="f-{field}-error"' in page and message in page and 'aria-invalid="true"' in page


def test_pages_are_keyset_and_keep_the_filters(personas, login, statements):
    provider = ProviderFactory()
    for n in range(60):
        record("provider.updated", provider, {"name": [f"Stará {n}", f"Nová {n}"]}, actor=personas.admin)
    db.session.flush()
    client = login(personas.ministry)
    with statements() as ran:
        first = client.get(f"/audit/?object=provider&ref={provider.ico}").get_data(as_text=True)
    assert len(ran) <= 15, ran
    assert first.split("<tbody>")[1].count("Změna údajů poskytovatele") == 50
    assert "Stará 59 → Nová 59" in first
    next_url = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "object=provider" in next_url and "after=" in next_url
    with statements() as ran:
        second = client.get(next_url).get_data(as_text=True)
    assert len(ran) <= 15, ran
    assert second.split("<tbody>")[1].count("Změna údajů poskytovatele") == 10 and "Stará 0 → Nová 0" in second
    assert f"/audit/log.csv?object=provider&amp;ref={provider.ico}" in first


# --- exports -------------------------------------------------------------------------------------
def test_exports_are_formula_safe_and_follow_the_filters(personas, login):
    provider = ProviderFactory(name='=HYPERLINK("http://zlo.example","klik")')
    record("provider.created", provider, {"ico": provider.ico, "name": provider.name}, actor=personas.admin)
    record("provider.updated", provider, {"ceiling": ["26304.00", "30000.00"]}, actor=personas.admin)
    db.session.flush()
    client = login(personas.admin)
    response = client.get(f"/audit/log.csv?object=provider&ref={provider.ico}")
    text = response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert text.startswith("\ufeffKdy;Kdo;Událost;")
    assert "'=HYPERLINK" in text.replace('""', '"')
    assert "26\xa0304,00\xa0Kč → 30\xa0000,00\xa0Kč" in text
    assert text.count("\r\n") == 3  # the header and two events
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/audit/log.xlsx?object=provider&ref={provider.ico}").data)
    )
    sheet = workbook["Auditní záznam"]
    cells = [cell.value for row in sheet.iter_rows() for cell in row if cell.value]
    assert any("název: =HYPERLINK" in str(value) for value in cells)
    assert all(sheet.cell(row.row, 1).data_type != "f" for row in sheet["G"])


def test_exports_stay_in_the_kraj_and_sealed(objects, personas, login):
    text = login(personas.kraj_other).get("/audit/log.csv").get_data(as_text=True)
    assert db.session.get(SubContract, objects["subcontract_id"]).number not in text
    sealed = db.session.get(Bid, objects["bid_id"]).demand.number
    workbook = openpyxl.load_workbook(io.BytesIO(login(personas.admin).get("/audit/log.xlsx?object=bid").data))
    cells = [str(cell.value) for row in workbook.active.iter_rows() for cell in row if cell.value]
    assert any(db.session.get(Demand, objects["past_demand_id"]).number in value for value in cells)
    assert not any(sealed in value for value in cells)
