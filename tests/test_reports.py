"""Spend reports: numbers checked against independent SQL, scope per role, bad filters, the Excel
workbook and the CSV read back, OCDS validated, background exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.db import db, read_only
from minitendr.reports import service, summary
from minitendr.reports.models import ExportJob, JobStatus
from minitendr.seeding.synthetic import generate
from tests.ocds_validation import OCDS_DIR, codelist_errors, validator

INDEPENDENT = """
SELECT k.code, c.code, count(*), sum(s.value),
       coalesce(sum((SELECT sum(d.amount) FROM drawdown d WHERE d.subcontract_id = s.id AND d.status = 'confirmed')), 0)
FROM subcontract s JOIN orp o ON o.id = s.orp_id JOIN kraj k ON k.id = o.kraj_id
JOIN service_category c ON c.id = s.category_id
{where}
GROUP BY k.code, c.code
"""


@pytest.fixture
def synthetic(app):
    generate(600, seed=11)
    db.session.flush()


def independent(where: str = "", **params) -> dict:
    rows = db.session.execute(sa.text(INDEPENDENT.format(where=where)), params).all()
    return {
        (k, c): (n, Decimal(str(v)).quantize(Decimal("0.01")), Decimal(str(d)).quantize(Decimal("0.01")))
        for k, c, n, v, d in rows
    }


def from_report(rows) -> dict:
    return {(r["kraj_code"], r["category_code"]): (r["count"], r["value"], r["drawn"]) for r in rows}


def test_the_matrix_equals_independent_sql(synthetic, personas):
    filters = service.parse_filters({}, personas.ministry)
    assert from_report(service.matrix(filters, personas.ministry)) == independent()
    pak = service.parse_filters({"kraj": "CZ053", "year": "2024"}, personas.ministry)
    assert from_report(service.matrix(pak, personas.ministry)) == independent(
        "WHERE k.code = 'CZ053' AND s.signed_on >= '2024-01-01' AND s.signed_on < '2025-01-01'"
    )


def test_every_table_adds_up_to_the_same_totals(synthetic, personas):
    filters = service.parse_filters({}, personas.ministry)
    total = service.totals(service.matrix(filters, personas.ministry))
    assert service.totals(service.per_orp(filters, personas.ministry)) == total
    assert service.totals(service.per_provider(filters, personas.ministry)) == total
    months = service.monthly(filters, personas.ministry)
    assert sum(m["contracted"] for m in months) == total["value"]
    assert sum(m["drawn"] for m in months) == total["drawn"]


def test_scope_per_role(synthetic, personas):
    def kraje(user):
        return {r["kraj_code"] for r in service.matrix(service.parse_filters({}, user), user)}

    assert kraje(personas.kraj) == {"CZ053"} and kraje(personas.ospod_other) == {"CZ041"}
    ospod = service.per_orp(service.parse_filters({}, personas.ospod), personas.ospod)
    assert {r["orp_code"] for r in ospod} <= {"5309"}
    assert service.matrix(service.parse_filters({}, personas.provider), personas.provider) == []
    assert all(
        r["ceiling"] is not None for r in service.matrix(service.parse_filters({}, personas.kraj), personas.kraj)
    )
    with pytest.raises(service.OutOfScope):
        service.parse_filters({"kraj": "CZ041"}, personas.kraj)
    with pytest.raises(service.OutOfScope):
        service.parse_filters({"orp": "4102"}, personas.ospod)
    with pytest.raises(service.OutOfScope):
        service.parse_filters({"provider": personas.interloper.provider.ico}, personas.provider)


# Which filters each persona may put on a spend report (True) and which are refused as out of scope:
# Pardubický kraj CZ053 with the ORPs Pardubice 5309 and Holice 5303, Karlovarský CZ041 with Cheb 4102;
# "test" and "other" are the providers of the personas provider and interloper.
FILTER_COLUMNS = ("kraj=CZ053", "kraj=CZ041", "orp=5309", "orp=5303", "orp=4102", "provider=test", "provider=other")
FILTER_SCOPE = {
    "admin": (True, True, True, True, True, True, True),
    "ministry": (True, True, True, True, True, True, True),
    "kraj": (True, False, True, True, False, True, True),
    "kraj_other": (False, True, False, False, True, True, True),
    "ospod": (True, False, True, False, False, True, True),
    "ospod_other": (False, True, False, False, True, True, True),
    "provider": (True, True, True, True, True, True, False),
    "interloper": (True, True, True, True, True, False, True),
}


@pytest.mark.parametrize("persona", FILTER_SCOPE)
def test_each_role_may_filter_the_report_within_its_scope_only(personas, persona):
    icos = {"test": personas.provider.provider.ico, "other": personas.interloper.provider.ico}
    user = personas[persona]
    answers = []
    for column in FILTER_COLUMNS:
        key, value = column.split("=")
        try:
            service.parse_filters({key: icos.get(value, value)}, user)
        except service.OutOfScope:
            answers.append(False)
        else:
            answers.append(True)
    assert tuple(answers) == FILTER_SCOPE[persona]
    # Two filters within scope each may still not be combined into one outside it.
    combined = {"kraj": "CZ053", "orp": "4102"}
    if persona in ("admin", "ministry", "provider", "interloper"):
        service.parse_filters(combined, user)
    else:
        with pytest.raises(service.OutOfScope):
            service.parse_filters(combined, user)


@pytest.mark.parametrize(
    ("persona", "kraj", "orp", "provider", "ceilings"),
    [
        ("admin", True, True, True, True),
        ("ministry", True, True, True, True),
        ("kraj", False, True, True, True),
        ("ospod", False, False, True, True),
        ("provider", False, True, False, False),
    ],
)
def test_the_report_offers_each_role_only_the_filters_and_columns_it_may_use(
    login, personas, persona, kraj, orp, provider, ceilings
):
    page = login(personas[persona]).get("/reports/spend").get_data(as_text=True)
    assert ('id="f-kraj"' in page) is kraj and ('id="f-orp"' in page) is orp and ('id="f-prov"' in page) is provider
    assert ("Stropy platných rámcových smluv" in page) is ceilings


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kraj=CZ999", "Neznámý kraj"),
        ("orp=9999", "Neznámá ORP"),
        ("category=luxus", "Neznámá kategorie"),
        ("provider=12345678", "není platné IČO"),
        ("provider=00216208", "není v evidenci"),
        ("year=20x4", "není platný rok"),
        ("year=1850", "není platný rok"),
    ],
)
def test_bad_filters_get_a_clear_message_never_500(login, personas, query, message):
    client = login(personas.ministry)
    page = client.get(f"/reports/spend?{query}")
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    for export in ("/reports/spend.xlsx", "/reports/spend.csv"):
        response = client.get(f"{export}?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_the_dashboard_shows_tables_charts_and_competition(login, synthetic, personas):
    db.session.commit()
    page = login(personas.ministry).get("/reports/spend?kraj=CZ053").get_data(as_text=True)
    assert "<svg" in page and "Zdraví soutěže" in page and "Podle ORP" in page and "Pardubický kraj" in page
    matrix = service.matrix(service.parse_filters({"kraj": "CZ053"}, personas.ministry), personas.ministry)
    total = service.totals(matrix)["value"]
    from minitendr.formatting import money

    assert money(total) in page


# --- the workbook --------------------------------------------------------------------------------
def test_the_workbook_has_souhrn_first_and_totals_equal_the_database(login, synthetic, personas):
    db.session.commit()
    response = login(personas.ministry).get("/reports/spend.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheets = ["Souhrn", "Podle ORP", "Podle poskytovatelů", "Podle měsíců", "Detail"]
    assert workbook.sheetnames == [*sheets, "Síť služeb"]  # the service network's sheet last
    import zipfile

    parts = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert sum(p.startswith("xl/charts/chart") for p in parts) == 2  # native charts: Souhrn and per month
    souhrn = workbook["Souhrn"]
    header_row = next(r for r in range(1, 10) if souhrn.cell(r, 1).value == "Kraj")
    assert [souhrn.cell(header_row, c).value for c in range(1, 6)] == [
        "Kraj",
        "Kategorie",
        "Počet dílčích smluv",
        "Smluvní hodnota (Kč)",
        "Vyčerpáno (Kč)",
    ]
    assert "Filtry" in souhrn["A2"].value and "Exportováno" in souhrn["A3"].value
    rows, r = [], header_row + 1
    while souhrn.cell(r, 1).value not in (None, "Celkem"):
        rows.append([souhrn.cell(r, c).value for c in range(1, 6)])
        r += 1
    assert souhrn.cell(r, 1).value == "Celkem"
    expected = independent()
    assert len(rows) == len(expected)
    total_value = sum(v for _, v, _ in expected.values())
    total_drawn = sum(d for _, _, d in expected.values())
    assert Decimal(str(souhrn.cell(r, 4).value)).quantize(Decimal("0.01")) == total_value
    assert Decimal(str(souhrn.cell(r, 5).value)).quantize(Decimal("0.01")) == total_drawn
    assert souhrn.cell(r, 3).value == sum(n for n, _, _ in expected.values())
    assert "Kč" in souhrn.cell(header_row + 1, 4).number_format
    assert souhrn.freeze_panes == f"A{header_row + 1}"
    assert souhrn.auto_filter.ref
    detail = workbook["Detail"]
    assert detail.max_row - header_row == 600
    assert detail.cell(header_row, 1).value == "Číslo"
    from minitendr.contracts.models import SubContract

    first = db.session.scalars(sa.select(SubContract).order_by(SubContract.id)).first()
    row = [detail.cell(header_row + 1, c).value for c in range(1, 16)]
    assert row[0] == first.number and row[6] == first.provider.ico
    assert row[7].date() == first.signed_on and row[8].date() == first.start_date and row[9].date() == first.end_date
    assert Decimal(str(row[12])).quantize(Decimal("0.01")) == first.value and row[14] == first.status.label
    assert detail.cell(header_row + 1, 8).number_format == "d.m.yyyy"


def test_a_large_export_runs_as_a_job_that_survives_a_reload(app, login, synthetic, personas, monkeypatch):
    db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_SYNC_LIMIT", 10)
    client = login(personas.kraj)
    response = client.get("/reports/spend.xlsx")
    assert response.status_code == 302 and "/reports/jobs/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)  # a reload finds it again
    assert "hotovo" in page and "Stáhnout soubor" in page
    job = db.session.scalars(sa.select(ExportJob)).one()
    assert job.status is JobStatus.DONE and job.user_id == personas.kraj.id and job.percent == 100
    download = client.get(f"/reports/jobs/{job.id}/download")
    workbook = openpyxl.load_workbook(io.BytesIO(download.data))
    assert workbook.sheetnames[0] == "Souhrn"
    assert login(personas.kraj_other).get(f"/reports/jobs/{job.id}").status_code == 403


def test_a_job_runs_in_a_worker_thread_and_reports_progress(tmp_path):
    """The default runner: a thread of the application, progress written as it goes."""
    import time
    from pathlib import Path

    from flask_migrate import upgrade

    from minitendr import create_app
    from minitendr.auth.models import Role
    from minitendr.registry.service import load_reference_data
    from minitendr.reports import jobs
    from tests.conftest import config_for_tests
    from tests.factories import UserFactory

    app = create_app(
        config_for_tests(f"sqlite:///{tmp_path}/jobs.db")
        | {"EXPORT_RUNNER": "thread", "EXPORTS_DIR": str(tmp_path / "exports")}
    )
    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        load_reference_data(Path(app.config["SEED_DIR"]))
        generate(1500, seed=4)
        user = UserFactory(email="mpsv@jobs.cz", role=Role.MINISTRY)
        job = jobs.start(user, {}, 1500)
        db.session.commit()
        jobs.dispatch(job.id)
        job_id, deadline = job.id, time.monotonic() + 60
        with read_only():  # like the job page: look, and hold no lock while the worker writes
            while time.monotonic() < deadline:
                db.session.rollback()
                job = db.session.get(ExportJob, job_id)
                if job.status in (JobStatus.DONE, JobStatus.FAILED):
                    break
                time.sleep(0.2)
        assert job.status is JobStatus.DONE, job.error
        assert job.done_rows == 1500
        assert openpyxl.load_workbook(Path(app.config["EXPORTS_DIR"]) / job.filename)["Detail"].max_row == 1505
        db.engine.dispose()


# --- CSV -----------------------------------------------------------------------------------------
def test_the_csv_opens_in_czech_excel_and_adds_up(login, synthetic, personas):
    db.session.commit()
    response = login(personas.ministry).get("/reports/spend.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Číslo" and len(rows[0]) == 15 and len(rows) == 601
    value = sum(Decimal(r[12].replace(",", ".")) for r in rows[1:])
    assert value == sum(v for _, v, _ in independent().values())
    assert "," in rows[1][12] and "." in rows[1][7]  # decimal comma, d.m.yyyy dates


# --- hostile and fragile texts in every export ----------------------------------------------------
HOSTILE_NAMES = (
    '=HYPERLINK("http://x","y")',
    "@SUM(1)",
    "+420 777 123 456",
    "-1+cmd|' /C calc'!A0",
    "\tTab, z.ú.",
    "\rNávrat, z.s.",
)


@pytest.fixture
def hostile(synthetic, personas):
    """Six providers of the synthetic data renamed as an attacker would, the first one with an IČO
    that begins with zeros (00216208 is a valid one: ÚMPS)."""
    from minitendr.contracts.models import SubContract
    from minitendr.providers.models import Provider

    ids = db.session.scalars(sa.select(SubContract.provider_id).distinct().order_by(SubContract.provider_id)).all()
    providers = [db.session.get(Provider, i) for i in ids[: len(HOSTILE_NAMES)]]
    for provider, name in zip(providers, HOSTILE_NAMES, strict=True):
        provider.name = name
    providers[0].ico = "00216208"
    db.session.commit()
    return providers


def _csv_rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_no_csv_cell_is_a_formula_and_ico_stays_eight_digits(login, personas, hostile, run_cli, tmp_path):
    served = login(personas.ministry).get("/reports/spend.csv").data
    assert run_cli("export", "spend", "-o", str(tmp_path / "all.csv")).exit_code == 0
    for raw in (served, (tmp_path / "all.csv").read_bytes()):
        rows = _csv_rows(raw)
        header = rows[0]
        name, ico = header.index("Poskytovatel"), header.index("IČO")
        # Text cells: none starts with a formula character; the neutralised ones keep their text.
        starts = {"=", "+", "-", "@", "\t", "\r"}
        for row in rows[1:]:
            for j, cell in enumerate(row):
                if j not in (10, 11, 12, 13):  # the numbers (decimal comma) may be negative one day
                    assert cell[:1] not in starts, (header[j], cell)
        names = {row[name] for row in rows[1:]}
        assert {f"'{n}" for n in HOSTILE_NAMES} <= names
        icos = {row[ico] for row in rows[1:]}
        assert "00216208" in icos and all(len(i) == 8 and i.isdigit() for i in icos)


def test_ico_reads_back_as_eight_digit_text(login, personas, hostile):
    import pandas as pd

    response = login(personas.ministry).get("/reports/spend.csv")
    frame = pd.read_csv(io.BytesIO(response.data), sep=";", encoding="utf-8-sig", dtype={"IČO": str})
    assert "00216208" in set(frame["IČO"])


def test_no_workbook_cell_is_a_formula_and_ico_is_text(login, personas, hostile):
    response = login(personas.ministry).get("/reports/spend.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    detail = workbook["Detail"]
    header = next(r for r in range(1, 10) if detail.cell(r, 1).value == "Číslo")
    # A carriage return is stored escaped (_x000D_), which openpyxl leaves as it is.
    names = {detail.cell(r, 6).value.replace("_x000D_", "") for r in range(header + 1, detail.max_row + 1)}
    assert {n.lstrip("\r") for n in HOSTILE_NAMES} <= names
    icos = [detail.cell(r, 7) for r in range(header + 1, detail.max_row + 1)]
    assert all(c.data_type == "s" and len(c.value) == 8 for c in icos)
    assert "00216208" in {c.value for c in icos}
    per_provider = workbook["Podle poskytovatelů"]
    assert "00216208" in {c.value for c in per_provider["A"] if c.data_type == "s"}


# --- open data -----------------------------------------------------------------------------------
needs_schema = pytest.mark.skipif(not OCDS_DIR.exists(), reason=f"the OCDS schema is not at {OCDS_DIR}")


@needs_schema
def test_the_ocds_package_validates_and_says_nothing_about_families(client, personas, kraj_pak):
    from minitendr.bids import service as bids
    from minitendr.demands import evaluation
    from tests.factories import ProviderFactory, make_bid, make_demand, make_framework, seat_committee

    second = ProviderFactory()
    with clock.frozen_at(clock.now() - dt.timedelta(days=40)):
        make_framework(kraj_pak, providers=[personas.provider.provider, second])
        awarded = make_demand(
            personas.ospod, publish=True, case_reference="TAJNE-123", need_description="Text o rodině, který nesmí ven."
        )
        winner = make_bid(awarded, personas.provider.provider, unit_price="480")
        loser = make_bid(awarded, second, unit_price="520")
    seat_committee(awarded, personas.ospod)
    evaluation.open_envelopes(awarded, personas.ospod)
    bids.score_bid(winner, 80, "ok", by=personas.ospod)
    bids.score_bid(loser, 70, "ok", by=personas.ospod)
    evaluation.award(awarded, personas.ospod)
    open_now = make_demand(personas.ospod, publish=True)
    make_bid(open_now, personas.provider.provider, unit_price="613.17")  # sealed: must not appear
    db.session.commit()

    response = client.get("/open-data/ocds.json")  # public: no login
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    package = json.loads(text)
    assert sorted(validator().iter_errors(package), key=str) == []
    assert codelist_errors(package) == []
    assert [r["ocid"] for r in package["releases"]] == [f"ocds-mtndr1-{awarded.number}"]
    assert (
        "TAJNE-123" not in text
        and "nesmí ven" not in text
        and open_now.number not in text
        and "613.17" not in text
        and "24526.8" not in text
    )
    release = package["releases"][0]
    supplier = next(p for p in release["parties"] if "supplier" in p["roles"])
    assert supplier["identifier"] == {
        "scheme": "CZ-ICO",
        "id": personas.provider.provider.ico,
        "legalName": personas.provider.provider.name,
    }
    assert release["relatedProcesses"][0]["relationship"] == ["framework"]
    assert release["tender"]["techniques"]["hasFrameworkAgreement"] is True
    assert release["awards"][0]["value"] == {"amount": 19200.0, "currency": "CZK"}


@needs_schema
def test_synthetic_open_data_validates(synthetic, run_cli, tmp_path):
    db.session.commit()
    target = tmp_path / "ocds.json"
    assert run_cli("export", "ocds", "-o", str(target)).exit_code == 0
    package = json.loads(target.read_text("utf-8"))
    assert len(package["releases"]) == 600
    assert list(validator().iter_errors(package)) == [] and codelist_errors(package) == []


def test_cli_exports_spend_with_filters(synthetic, run_cli, tmp_path):
    db.session.commit()
    result = run_cli("export", "spend", "--kraj", "CZ053", "-o", str(tmp_path / "pak.xlsx"))
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(tmp_path / "pak.xlsx").sheetnames[0] == "Souhrn"
    assert run_cli("export", "spend", "-o", str(tmp_path / "all.csv")).exit_code == 0
    assert (tmp_path / "all.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    bad = run_cli("export", "spend", "--year", "abc", "-o", str(tmp_path / "x.xlsx"))
    assert bad.exit_code != 0 and "není platný rok" in bad.output


# --- competition health --------------------------------------------------------------------------
def test_competition_health_on_a_known_story(personas, kraj_pak):
    from minitendr.bids import service as bids
    from minitendr.demands import evaluation
    from tests.factories import ProviderFactory, make_bid, make_demand, make_framework, seat_committee

    second = ProviderFactory()
    start = clock.now() - dt.timedelta(days=60)
    with clock.frozen_at(start):
        make_framework(kraj_pak, providers=[personas.provider.provider, second])
        one, two, none = (make_demand(personas.ospod, publish=True) for _ in range(3))
        single = make_bid(one, personas.provider.provider)
        pair = [make_bid(two, personas.provider.provider), make_bid(two, second, unit_price="520")]
    with clock.frozen_at(start + dt.timedelta(days=20)):
        seat_committee(one, personas.ospod)
        evaluation.open_envelopes(one, personas.ospod)
        bids.score_bid(single, 80, "ok", by=personas.ospod)
        evaluation.award(one, personas.ospod)
    with clock.frozen_at(start + dt.timedelta(days=30)):
        seat_committee(two, personas.ospod)
        evaluation.open_envelopes(two, personas.ospod)
        for bid in pair:
            bids.score_bid(bid, 80, "ok", by=personas.ospod)
        evaluation.award(two, personas.ospod)
        evaluation.open_envelopes(none, personas.ospod)
        evaluation.close_unsuccessful(none, personas.ospod, "")
    health = service.competition(service.parse_filters({}, personas.ospod), personas.ospod)
    assert health["published"] == 3 and health["decided"] == 3
    assert health["average_bids"] == Decimal("1.00")  # (1 + 2 + 0) / 3
    assert health["single_bid_share"] == Decimal("33.3")
    assert health["unsuccessful_share"] == Decimal("33.3")
    assert health["median_days_to_award"] == Decimal("25.0")  # 20 and 30 days


# --- the running totals behind the dashboard ----------------------------------------------------
def test_the_totals_kept_by_every_service_equal_a_rebuild(objects, personas):
    """Award, amendment, confirmed and rejected drawdowns, publication, an unsuccessful close: what the
    services added up equals what a rebuild computes from the records."""
    from minitendr.contracts import service as contracts
    from minitendr.contracts.models import Drawdown, SubContract
    from minitendr.demands import evaluation

    subcontract = db.session.get(SubContract, objects["subcontract_id"])
    contracts.confirm_drawdown(db.session.get(Drawdown, objects["drawdown_id"]))
    # Up over the register's threshold (it awaits publishing), up, then down (a row updated, never negative).
    for change in (Decimal("40000.00"), Decimal("1234.56"), Decimal("-500.00")):
        contracts.amend(
            subcontract,
            new_value=subcontract.value + change,
            new_units=subcontract.units,
            new_end_date=subcontract.end_date,
            reason="Změna rozsahu.",
            provider_consent="Souhlas e-mailem.",
            consent_on=clock.today(),
        )
    with clock.frozen_at(clock.now() + dt.timedelta(days=35)):  # a month later: one rejected, one confirmed
        for decide in (lambda d: contracts.reject_drawdown(d, "Chybí výkaz."), contracts.confirm_drawdown):
            decide(
                contracts.report_drawdown(
                    subcontract,
                    personas.provider.provider,
                    period=clock.today(),
                    units=Decimal("1"),
                    amount=subcontract.unit_price,
                )
            )
    from tests.factories import make_demand

    with clock.frozen_at(clock.now() - dt.timedelta(days=20)):
        empty = make_demand(personas.ospod, publish=True)
    evaluation.open_envelopes(empty, personas.ospod)
    evaluation.close_unsuccessful(empty, personas.ospod, "")
    db.session.flush()

    kept = summary.snapshot()
    assert all(kept.values()), kept
    summary.rebuild()
    assert summary.snapshot() == kept
    # … and the dashboard read from them agrees with the records themselves.
    filters = service.parse_filters({}, personas.kraj)
    assert service.monthly(filters, personas.kraj) == service._monthly_live(filters, personas.kraj)
    health = service.competition(filters, personas.kraj)
    assert health["published"] == 3 and health["decided"] == 2 and health["unsuccessful_share"] == Decimal("50.0")


def competition_from_records(filters, user, provider=None) -> tuple[sa.Select, sa.Select]:
    """The competition numbers straight from the minitenders and bids, as the dashboard computed them
    before it kept totals: over the minitenders published in scope and filters, or those ``provider``
    took part in as far as anyone may know (a live bid, the deadline passed, not cancelled)."""
    from minitendr.bids.models import Bid
    from minitendr.demands.models import Demand, DemandStatus
    from minitendr.permissions import demand_scope

    conditions = [demand_scope(user), *service._area_conditions(filters, Demand), *service._published_in(filters.year)]
    if provider is not None:
        conditions += [
            Demand.id.in_(sa.select(Bid.demand_id).where(Bid.provider_id == provider.id, summary.LIVE_BID)),
            Demand.status.in_([DemandStatus.PUBLISHED, DemandStatus.AWARDED, DemandStatus.UNSUCCESSFUL]),
            Demand.deadline <= clock.now(),
        ]
    counts = summary.competition_counts().where(*conditions)
    return counts, summary.award_durations(summary.dialect_name()).where(*conditions)


def busiest_provider():
    from minitendr.bids.models import Bid
    from minitendr.providers.models import Provider

    busiest = sa.select(Bid.provider_id).group_by(Bid.provider_id).order_by(sa.func.count().desc(), Bid.provider_id)
    return db.session.get(Provider, db.session.scalar(busiest.limit(1)))


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"kraj": "CZ053"},
        {"orp": "5309", "year": "2024"},
        {"category": "terenni"},
        {"year": "2023"},
        {"provider": "busiest"},
        {"provider": "busiest", "year": "2024", "category": "terenni"},
    ],
)
@pytest.mark.parametrize("persona", ["ministry", "kraj", "ospod_other"])
def test_summaries_answer_as_the_records_do(synthetic, personas, persona, args):
    """The same months and the same competition health from the summaries as from the records."""
    user = getattr(personas, persona)
    provider = busiest_provider() if "provider" in args else None
    try:
        filters = service.parse_filters(args | ({"provider": provider.ico} if provider else {}), user)
    except service.OutOfScope:
        return
    assert service.monthly(filters, user) == service._monthly_live(filters, user)
    kept = service._competition_of_provider(filters, user, provider.id) if provider else None
    from_summary = [db.session.execute(q).all() for q in kept or service._competition_summary(filters, user)]
    from_records = [db.session.execute(q).all() for q in competition_from_records(filters, user, provider)]
    assert [tuple(v or 0 for v in row) for row in from_summary[0]] == from_records[0]
    assert sorted(map(tuple, from_summary[1])) == sorted(map(tuple, from_records[1]))
    if persona == "ministry" and "year" not in args:
        assert from_records[0][0][0] > 0  # not vacuous
    durations = competition_from_records(filters, user, provider)[1]
    assert service._median_days(durations) == _median_in_python(db.session.execute(durations).all())


@pytest.mark.parametrize("args", [{}, {"kraj": "CZ053"}, {"category": "terenni"}, {"year": "2024"}])
@pytest.mark.parametrize("persona", ["ministry", "kraj"])
def test_the_totals_of_whole_kraje_answer_as_the_finer_summary_does(synthetic, personas, persona, args, monkeypatch):
    """Kraj × category, per ORP, per provider and per month: the same from the totals of whole kraje as
    from the summary per framework, ORP and provider (and a kraj official's only its own kraj's)."""
    user = getattr(personas, persona)
    filters = service.parse_filters(args, user)

    def tables():
        return [f(filters, user) for f in (service.matrix, service.per_orp, service.per_provider, service.monthly)]

    whole = tables()
    assert all(whole)  # not vacuous
    monkeypatch.setattr(service, "_whole_kraje", lambda filters, user: False)
    assert tables() == whole


def _median_in_python(histogram) -> Decimal | None:
    values = sorted(t for t, n in histogram for _ in range(n))
    if not values:
        return None
    middle = (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 20
    return Decimal(str(middle)).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def test_charts_keep_long_labels_whole_and_show_a_single_month():
    from minitendr.reports import charts

    name = "Terénní a ambulantní služby pro rodiny a děti"
    svg = charts.bars("Graf", [name], [("Smluvní hodnota", [Decimal(10)]), ("Vyčerpáno", [Decimal(4)])])
    assert svg.count("<tspan") == 2 and f"<title>{name}</title>" in svg  # wrapped on two lines, named whole
    trend = charts.lines("Vývoj", ["2026-12"], [("Nasmlouváno", [Decimal(5)]), ("Vyčerpáno", [Decimal(1)])])
    assert trend.count("<circle") == 2  # one month: a dot per series, where a line has nothing to draw
