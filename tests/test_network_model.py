"""The kraj's model of the network through its pages (validity, thresholds, targets; audited; last
year's still readable), and the network's files on the demo data: every figure of /network.csv equals
bare SQL over the records, the header and format are the stable interface's, the XLSX has the same rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import User
from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.network.exports import HEADER
from minitendr.network.models import NetworkModel, NetworkTarget
from tests.conftest import log_in

CSV_HEADER = (
    "ORP kód;ORP;Kraj;Oblast potřeb;Poptávky;Zadané;Nezadané;S jedinou nabídkou;Hodnota dílčích smluv (Kč);"
    "Služby v katalogu;Minimum modelu;Děti 0–14;Kč na dítě"
)


# --- the model's pages ---------------------------------------------------------------------------
def model_form(**overrides) -> dict:
    return {
        "name": "Model sítě 2027",
        "valid_from": "2027-01-01",
        "valid_to": "2027-12-31",
        "unmet_threshold": "15",
        "single_bid_threshold": "40,5",
        "copy_from": "0",
    } | overrides


def test_a_kraj_official_creates_a_model_and_states_targets_audited(login, personas, objects, orp_pardubice):
    client = login(personas.kraj)
    response = client.post("/network/models/new", data=model_form(copy_from=str(objects["network_model_id"])))
    assert response.status_code == 302
    model = db.session.scalars(sa.select(NetworkModel).where(NetworkModel.name == "Model sítě 2027")).one()
    assert model.single_bid_threshold == Decimal("40.50")
    data = {f"priority_{need}": "" for need in NEEDS} | {
        "priority_bezpeci": "1",
        "goal_bezpeci": "Krizová pomoc do 24 hodin",
        "services_bezpeci": "2",
        "capacity_bezpeci": "12,5",
    }
    assert client.post(f"/network/models/{model.id}/orp/{orp_pardubice.code}", data=data).status_code == 302
    target = db.session.scalars(sa.select(NetworkTarget).where(NetworkTarget.model_id == model.id)).one()
    assert (target.need, target.priority, target.minimum_services, target.minimum_capacity) == (
        "bezpeci",
        1,
        2,
        Decimal("12.50"),
    )
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.object_type == "network_model", AuditEvent.object_id == model.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["network_model.created", "network_model.targets"]
    page = client.get(f"/network/models/{model.id}").get_data(as_text=True)
    assert "Krizová pomoc do 24 hodin" in page and "P1" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"valid_to": "2026-12-31"}, "Konec platnosti musí být stejný nebo pozdější"),
        ({"valid_from": "2026-06-01"}, "překrývá s modelem"),
        ({"unmet_threshold": "101"}, "od 0 do 100"),
        ({"single_bid_threshold": "abc"}, ""),
        ({"name": ""}, ""),
    ],
)
def test_a_bad_model_is_refused_at_its_field_and_nothing_is_stored(login, personas, objects, overrides, message):
    client = login(personas.kraj)
    before = db.session.scalar(sa.select(sa.func.count(NetworkModel.id)))
    response = client.post("/network/models/new", data=model_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(NetworkModel.id))) == before


def test_a_goal_with_a_birth_number_is_refused(login, personas, objects, orp_pardubice):
    client = login(personas.kraj)
    url = f"/network/models/{objects['network_model_id']}/orp/{orp_pardubice.code}"
    response = client.post(url, data={"priority_vztahy": "1", "goal_vztahy": "Sourozenci 015101/1234"})
    assert response.status_code == 200
    assert not db.session.scalars(sa.select(NetworkTarget)).all()


def test_another_krajs_model_and_orp_are_out_of_reach(login, personas, objects, orp_cheb):
    model_id = objects["network_model_id"]
    other = login(personas.kraj_other)
    assert other.get(f"/network/models/{model_id}").status_code == 403
    own = login(personas.kraj)
    assert own.get(f"/network/models/{model_id}/orp/{orp_cheb.code}").status_code == 404
    assert own.get("/network/models/999999").status_code == 404


def test_last_years_model_stays_readable_and_this_years_counts(login, personas, orp_pardubice):
    from minitendr.network import coverage
    from minitendr.network.model_service import TargetValues, create_model, set_targets

    year = clock.today().year
    old = create_model(
        orp_pardubice.kraj, "Loni", dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31), Decimal(20), Decimal(50)
    )
    set_targets(old, orp_pardubice, {"vztahy": TargetValues(priority=3, minimum_services=5)})
    new = create_model(
        orp_pardubice.kraj, "Letos", dt.date(year, 1, 1), dt.date(year, 12, 31), Decimal(20), Decimal(50), old
    )
    set_targets(new, orp_pardubice, {"vztahy": TargetValues(priority=1, minimum_services=1)})
    db.session.commit()
    page = login(personas.ospod).get(f"/network/models/{old.id}").get_data(as_text=True)
    assert "P3" in page and "min. 5 služeb" in page
    now = coverage.cells(coverage.NetworkFilters(orp=orp_pardubice, need="vztahy"), personas.kraj)[0]
    before = coverage.cells(coverage.NetworkFilters(orp=orp_pardubice, need="vztahy", year=year - 1), personas.kraj)[0]
    assert (now.priority, now.model_minimum) == (1, 1)
    assert (before.priority, before.model_minimum) == (3, 5)


# --- the files on the demo data ------------------------------------------------------------------
def bare_rows() -> dict[tuple[str, str], tuple]:
    """Per ORP code × need of the pilot's kraje: published, awarded, unmet, single-bid, value — bare SQL."""
    live = "(SELECT count(*) FROM bid b WHERE b.demand_id = d.id AND b.status NOT IN ('withdrawn', 'replaced'))"
    found = {}
    for code, need in [(c, n) for c in db.session.scalars(sa.text("SELECT code FROM orp")) for n in NEEDS]:
        found[(code, need)] = db.session.execute(
            sa.text(
                "SELECT count(*), "
                "coalesce(sum(CASE WHEN d.status = 'awarded' THEN 1 ELSE 0 END), 0), "
                "coalesce(sum(CASE WHEN d.status IN ('unsuccessful', 'cancelled') THEN 1 ELSE 0 END), 0), "
                f"coalesce(sum(CASE WHEN d.status = 'awarded' AND {live} = 1 THEN 1 ELSE 0 END), 0), "
                "coalesce(sum(s.value), 0) "
                "FROM demand d JOIN orp o ON o.id = d.orp_id LEFT JOIN subcontract s ON s.demand_id = d.id "
                "WHERE o.code = :code AND d.published_at IS NOT NULL "
                "AND EXISTS (SELECT 1 FROM json_each(d.needs) j WHERE j.value = :need)"
            ),
            {"code": code, "need": need},
        ).one()
    return found


def czech(value: str) -> Decimal:
    return Decimal(value.replace(",", ".")) if value else Decimal(0)


def test_the_csv_figures_equal_bare_sql_over_the_demo(demo_app):
    client = demo_app.test_client()
    kraj = db.session.scalars(sa.select(User).where(User.email == "kraj.pak@demo.cz")).one()
    log_in(demo_app, client, kraj)
    response = client.get("/network.csv")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0] == CSV_HEADER == ";".join(HEADER)
    rows = list(csv.reader(io.StringIO("\r\n".join(lines[1:])), delimiter=";"))
    rows = [r for r in rows if r]
    orps = db.session.execute(
        sa.text("SELECT count(*) FROM orp o JOIN kraj k ON k.id = o.kraj_id WHERE k.code = 'CZ053'")
    )
    assert len(rows) == orps.scalar_one() * len(NEEDS)
    bare = bare_rows()
    labels = {label: code for code, label in NEEDS.items()}
    children = dict(
        db.session.execute(
            sa.text("SELECT o.code, c.children_0_14 FROM orp o JOIN orp_census c ON c.orp_id = o.id")
        ).all()
    )
    value_total = Decimal(0)
    for row in rows:
        code, need = row[0], labels[row[3]]
        published, awarded, unmet, single, value = bare[(code, need)]
        assert [int(x) for x in row[4:8]] == [published, awarded, unmet, single], row
        assert czech(row[8]) == Decimal(str(value)).quantize(Decimal("0.01")), row
        assert int(row[11]) == children[code]
        assert czech(row[12]) == (czech(row[8]) / children[code]).quantize(Decimal("0.01"))
        assert row[10] != ""  # the demo model states a minimum for every ORP × area
        value_total += czech(row[8])
    # Every needs area has demands in the demo, and the money is there.
    assert {labels[r[3]] for r in rows if int(r[4])} == set(NEEDS)
    assert value_total > 0


def test_the_xlsx_has_the_csv_rows_with_the_same_filters(demo_app):
    client = demo_app.test_client()
    ministry = db.session.scalars(sa.select(User).where(User.email == "mpsv@demo.cz")).one()
    log_in(demo_app, client, ministry)
    args = "?kraj=CZ041&need=bezpeci"
    text = client.get(f"/network.csv{args}").get_data().decode("utf-8-sig")
    csv_rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r][1:]
    response = client.get(f"/network.xlsx{args}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()))["Síť služeb"]
    values = [row for row in sheet.iter_rows(min_row=6, values_only=True) if row[0]]
    assert [r[0] for r in values] == [r[0] for r in csv_rows]
    assert {r[3] for r in values} == {"Bezpečí"}
    assert [int(r[4]) for r in values] == [int(r[4]) for r in csv_rows]
    spend = client.get("/reports/spend.xlsx?kraj=CZ041")
    assert "Síť služeb" in load_workbook(io.BytesIO(spend.get_data())).sheetnames


def test_a_bad_filter_on_the_csv_is_a_czech_400(login, personas):
    response = login(personas.ministry).get("/network.csv?need=neco")
    assert response.status_code == 400
    assert "Neznámá oblast potřeb" in response.get_data(as_text=True)
