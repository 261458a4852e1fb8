"""The spend dashboard's trend chart (amounts on the y-axis whole, Czech months, gaps left open), its
ceilings (only the frameworks in force, narrowed like the rest of the page), checked against bare SQL,
and the Excel chart's categories (kraj and category)."""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.db import db
from minitendr.reports import charts, service
from minitendr.seeding.synthetic import generate
from tests.factories import make_framework

SVG = "{http://www.w3.org/2000/svg}"


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_the_trend_chart_keeps_a_large_amount_on_the_y_axis_whole():
    months = [
        {"month": "2026-01", "contracted": Decimal("2598686.00"), "drawn": Decimal("98686.00")},
        {"month": "2026-02", "contracted": Decimal("120000.00"), "drawn": Decimal("2000.00")},
    ]
    svg = _svg(charts.trend(months))
    labels = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "y-label"]
    texts = [t.text for t in labels]
    assert texts[0] == "0\xa0Kč" and texts[-1] == "3\xa0000\xa0000\xa0Kč"  # the top tick is above the largest
    for label in labels:  # right-aligned at x: the whole text lies right of the SVG's left edge
        assert float(label.get("x")) - len(label.text) * charts.CHAR_WIDTH >= 0, label.text
    plot_left = min(float(p) for p in re.findall(r"cx=\"([\d.]+)\"", str(charts.trend(months))))
    assert all(float(label.get("x")) < plot_left for label in labels)  # and left of the plot


def test_the_trend_chart_names_months_in_czech():
    months = [
        {"month": "2025-12", "contracted": Decimal(10), "drawn": Decimal(1)},
        {"month": "2026-01", "contracted": Decimal(20), "drawn": Decimal(2)},
    ]
    svg = charts.trend(months)
    x_labels = [t.text for t in _svg(svg).iter(f"{SVG}text") if t.get("class") == "x-label"]
    assert x_labels == ["pro 2025", "led 2026"]
    assert "prosinec 2025 – Nasmlouváno: 10,00\xa0Kč" in svg and "2025-12" not in svg


def test_a_month_without_data_is_a_gap_not_a_joined_line():
    months = [
        {"month": m, "contracted": Decimal(v), "drawn": Decimal(v) / 2}
        for m, v in (("2026-01", 10), ("2026-02", 30), ("2026-05", 20), ("2026-06", 40))
    ]
    svg = _svg(charts.trend(months))
    x_labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "x-label"]
    assert x_labels == ["led 2026", "úno 2026", "bře 2026", "dub 2026", "kvě 2026", "čvn 2026"]  # the axis goes on
    paths = [p for p in svg.iter(f"{SVG}path") if p.get("class") == "trend-line"]
    assert len([p for p in paths if p.get("data-series") == "0"]) == 2  # January–February, May–June
    assert len([p for p in paths if p.get("data-series") == "1"]) == 2
    assert all(p.get("d").count("M") == 1 and p.get("d").count("L") == 1 for p in paths)
    assert len(list(svg.iter(f"{SVG}polyline"))) == 0
    whole = charts.trend([{"month": m, "contracted": Decimal(1), "drawn": Decimal(1)} for m in ("2026-01", "2026-02")])
    assert str(whole).count('class="trend-line"') == 2  # no gap: one line per series


def test_the_spend_page_shows_czech_months_in_its_table(login, personas, synthetic):
    page = login(personas.ministry).get("/reports/spend").get_data(as_text=True)
    assert re.search(
        r"<td>(leden|únor|březen|duben|květen|červen|červenec|srpen|září|říjen|listopad|prosinec) 20\d\d</td>", page
    )
    assert 'class="chart trend-chart"' in page


# --- ceilings ------------------------------------------------------------------------------------

CEILINGS = """
SELECT k.code, c.code, sum(f.ceiling) FROM framework_contract f
JOIN kraj k ON k.id = f.kraj_id JOIN service_category c ON c.id = f.category_id
WHERE f.status = 'active' AND f.valid_from <= :day AND f.valid_to >= :day {where}
GROUP BY k.code, c.code
"""
COMMITTED = """
SELECT k.code, c.code, sum(s.value) FROM subcontract s
JOIN framework_contract f ON f.id = s.framework_id JOIN orp o ON o.id = s.orp_id
JOIN kraj k ON k.id = f.kraj_id JOIN service_category c ON c.id = f.category_id
JOIN provider p ON p.id = s.provider_id
WHERE f.status = 'active' AND f.valid_from <= :day AND f.valid_to >= :day {where}
GROUP BY k.code, c.code
"""


@pytest.fixture
def synthetic(app):
    generate(600, seed=11)
    db.session.flush()


def _bare(sql: str, where: str = "", **params) -> dict:
    rows = db.session.execute(sa.text(sql.format(where=where)), {"day": clock.today(), **params}).all()
    return {(k, c): Decimal(str(v)).quantize(Decimal("0.01")) for k, c, v in rows}


def _report(user, **args) -> dict:
    rows = service.matrix(service.parse_filters(args, user), user)
    return {(r["kraj_code"], r["category_code"]): (r["ceiling"], r["committed"], r["utilisation"]) for r in rows}


@pytest.mark.parametrize(
    ("persona", "args", "where"),
    [
        ("ministry", {}, ""),
        ("ministry", {"kraj": "CZ053", "category": "terenni"}, "AND k.code = 'CZ053' AND c.code = 'terenni'"),
        ("ministry", {"orp": "5309"}, "AND o.code = '5309'"),
        ("kraj", {}, "AND k.code = 'CZ053'"),
        ("kraj", {"orp": "5309"}, "AND k.code = 'CZ053' AND o.code = '5309'"),
        ("ospod", {}, "AND o.code = '5309'"),
    ],
)
def test_the_ceilings_follow_the_filter_and_count_only_frameworks_in_force(synthetic, personas, persona, args, where):
    user = getattr(personas, persona)
    report = _report(user, **args)
    ceiling_where = " ".join(part for part in where.split("AND") if "o.code" not in part and part.strip())
    ceilings = _bare(CEILINGS, ("AND " + " AND ".join(ceiling_where.split("  "))) if ceiling_where else "")
    if persona in ("kraj", "ospod"):
        ceilings = {key: value for key, value in ceilings.items() if key[0] == "CZ053"}
    committed = _bare(COMMITTED, where)
    assert report, "the synthetic data has sub-contracts in scope"
    for key, (ceiling, used, utilisation) in report.items():
        assert ceiling == ceilings.get(key), key
        if ceiling is not None:
            assert used == committed.get(key, Decimal("0.00")), key
            assert utilisation == (used / ceiling * 100).quantize(Decimal("0.1"))


def test_the_ceilings_of_a_provider_or_a_year_are_its_share(synthetic, personas):
    provider = db.session.execute(
        sa.text("SELECT p.ico, p.id FROM provider p JOIN subcontract s ON s.provider_id = p.id LIMIT 1")
    ).one()
    report = _report(personas.ministry, provider=provider.ico)
    committed = _bare(COMMITTED, "AND p.ico = :ico", ico=provider.ico)
    assert any(used for _, used, _ in report.values() if used) or not committed
    for key, (ceiling, used, _) in report.items():
        if ceiling is not None:
            assert used == committed.get(key, Decimal("0.00"))
    year = clock.today().year
    report = _report(personas.ministry, year=str(year))
    committed = _bare(
        COMMITTED,
        "AND s.signed_on >= :start AND s.signed_on < :end",
        start=dt.date(year, 1, 1),
        end=dt.date(year + 1, 1, 1),
    )
    for key, (ceiling, used, _) in report.items():
        if ceiling is not None:
            assert used == committed.get(key, Decimal("0.00"))


def test_an_expired_framework_and_its_successor_are_not_added_up(app, personas, kraj_pak):
    today = clock.today()
    old = make_framework(
        kraj_pak, "terenni", [personas.provider.provider], number="RS-OLD", ceiling=Decimal("7000000.00")
    )
    db.session.execute(
        sa.update(type(old))
        .where(type(old).id == old.id)
        .values(valid_from=today - dt.timedelta(days=800), valid_to=today - dt.timedelta(days=31))
    )
    make_framework(kraj_pak, "terenni", [personas.provider.provider], number="RS-NEW", ceiling=Decimal("3000000.00"))
    make_framework(kraj_pak, "pobytove", number="RS-DRAFT", active=False, ceiling=Decimal("9000000.00"))
    db.session.expire_all()
    filters = service.parse_filters({}, personas.kraj)
    assert service._ceilings(filters, personas.kraj) == {("CZ053", "terenni"): (Decimal("3000000.00"), Decimal("0.00"))}
    # Two years back the old one was in force (its successor began a month ago).
    past = service.parse_filters({"year": str(today.year - 2)}, personas.kraj)
    assert service._ceilings(past, personas.kraj) == {("CZ053", "terenni"): (Decimal("7000000.00"), Decimal("0.00"))}


# --- the Excel chart -----------------------------------------------------------------------------


def test_the_excel_bar_chart_labels_kraj_and_category(login, personas, synthetic):
    response = login(personas.ministry).get("/reports/spend.xlsx")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as xlsx:
        charts_xml = [xlsx.read(name).decode() for name in xlsx.namelist() if name.startswith("xl/charts/chart")]
    bar = next(xml for xml in charts_xml if "<c:barChart>" in xml)
    references = set(re.findall(r"<c:cat>.*?<c:f>(.*?)</c:f>", bar, flags=re.S))
    rows = len(service.matrix(service.parse_filters({}, personas.ministry), personas.ministry))
    assert references == {f"Souhrn!$A$6:$B${5 + rows}"}  # the Kraj and Kategorie columns, every row
    assert "<c:multiLvlStrRef>" in bar  # a two-level axis: kraj, then category
    levels = re.findall(r"<c:lvl>(.*?)</c:lvl>", bar.split("<c:cat>")[1].split("</c:cat>")[0], flags=re.S)
    inner, outer = ([re.sub("<.*?>", "", v) for v in re.findall(r"<c:v>.*?</c:v>", lvl)] for lvl in levels)
    matrix = service.matrix(service.parse_filters({}, personas.ministry), personas.ministry)
    assert inner == [r["category"] for r in matrix] and outer == [r["kraj"] for r in matrix]
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["Souhrn"]
    assert [sheet.cell(5, 1).value, sheet.cell(5, 2).value] == ["Kraj", "Kategorie"]
