"""The ORP map: the geojson projected into one SVG path per ORP (206 nationally, a kraj's own for a
kraj), each titled with its name and value in Czech, linked to its page, coloured by quantile class,
with nothing inline the CSP would refuse."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from minitendr.db import db
from minitendr.formatting import money, number
from minitendr.network import overview, svgmap
from minitendr.registry.models import Kraj, Orp
from tests.factories import make_demand, make_framework

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def seed_dir(app) -> str:
    return app.config["SEED_DIR"]


def the_map(html: str) -> ET.Element:
    """The page's SVG map, parsed as XML (so it must be well-formed)."""
    found = re.search(r"<svg[^>]*class=\"orp-map\".*?</svg>", html, flags=re.S)
    assert found, "no map on the page"
    return ET.fromstring(found.group(0))


def paths(svg: ET.Element) -> list[ET.Element]:
    return list(svg.iter(f"{SVG}path"))


# --- the geometry --------------------------------------------------------------------------------
def test_the_packaged_geojson_has_every_orp_of_the_registry_in_its_kraj(seed_dir):
    shapes = svgmap.shapes(seed_dir)
    registry = dict(db.session.execute(sa.select(Orp.code, Kraj.code).join(Kraj, Kraj.id == Orp.kraj_id)).all())
    assert len(shapes) == 206
    assert {code: shape.kraj_code for code, shape in shapes.items()} == registry
    assert all(re.fullmatch(r"(M-?\d+ -?\d+l[-\d ]+z)+", shape.path) for shape in shapes.values())


def test_the_map_is_read_from_the_package_not_from_the_shared_folder(app):
    assert Path(app.config["SEED_DIR"], svgmap.GEOJSON).is_file()
    assert "shared" not in Path(app.config["SEED_DIR"]).parts


def test_the_projection_keeps_the_country_the_right_way_round(seed_dir):
    shapes = svgmap.shapes(seed_dir)

    def middle(code: str) -> tuple[float, float]:
        x0, y0, x1, y1 = shapes[code].bounds
        return (x0 + x1) / 2, (y0 + y1) / 2

    cheb, praha, brno, liberec, budejovice = (middle(c) for c in ("4102", "1000", "6203", "5103", "3101"))
    assert cheb[0] < praha[0] < brno[0]  # west to east
    assert liberec[1] < praha[1] < budejovice[1]  # north to south (SVG's y grows downwards)
    # Units of 100 m: Praha to Brno is about 185 km as the crow flies.
    distance = ((praha[0] - brno[0]) ** 2 + (praha[1] - brno[1]) ** 2) ** 0.5 / 10
    assert 170 < distance < 200


def test_a_ring_becomes_relative_steps_without_points_that_fall_together():
    square = [[15.5, 49.8], [15.6, 49.8], [15.6, 49.8], [15.6, 49.9], [15.5, 49.9], [15.5, 49.8]]
    path, bounds = svgmap._path([square])
    start = svgmap.project(15.5, 49.8)
    assert path.startswith(f"M{start[0]} {start[1]}l") and path.endswith("z")
    steps = path.split("l")[1].rstrip("z").split(" ")
    assert len(steps) == 2 * 4  # the repeated corner is dropped
    assert sum(int(x) for x in steps[0::2]) == 0 and sum(int(y) for y in steps[1::2]) == 0  # it closes
    assert bounds[0] == start[0] and bounds[3] == start[1]


# --- the classes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "bounds"),
    [
        ([], []),
        ([Decimal(0)] * 10, [Decimal(0)]),
        (list(range(1, 11)), [2, 4, 6, 8, 10]),
        ([1, 1, 1, 1, 1, 1, 1, 1, 2, 3], [1, 2, 3]),  # equal values share a class
        ([5, 1, 3], [1, 3, 5]),
    ],
)
def test_quantile_classes_hold_about_as_many_orps_each(values, bounds):
    assert svgmap.quantile_classes(values) == bounds


def test_the_choropleth_colours_titles_and_links_every_orp(seed_dir):
    values = {"5309": Decimal("10"), "5310": Decimal("0"), "5311": None, "5302": Decimal("3")}
    drawn = svgmap.choropleth(
        values,
        seed_dir,
        label="Zkouška <mapy>",
        describe=lambda v: "nic" if v is None else f"hodnota {v}",
        href=lambda code: f"/network/orp/{code}?a=1&b=2",
        marked="5309",
    )
    svg = ET.fromstring(str(drawn.svg))
    assert svg.get("aria-label") == "Zkouška <mapy>"
    links = list(svg.iter(f"{SVG}a"))
    assert [a.get("href") for a in links] == [f"/network/orp/{c}?a=1&b=2" for c in ("5302", "5309", "5310", "5311")]
    by_code = {p.get("data-orp"): p for p in paths(svg)}
    assert set(by_code) == set(values)
    assert by_code["5309"].find(f"{SVG}title").text == "Pardubice: hodnota 10"
    assert by_code["5311"].find(f"{SVG}title").text == "Přelouč: nic"
    assert by_code["5309"].get("class") == "orp q4 marked"
    assert by_code["5310"].get("class") == "orp q0"
    assert by_code["5311"].get("class") == "orp nodata"
    assert drawn.css == {"5309": "q4", "5310": "q0", "5311": "nodata", "5302": "q2"}
    assert [(c.css, c.low, c.high, c.count) for c in drawn.classes] == [
        ("q0", 0, 0, 1),
        ("q2", 3, 3, 1),
        ("q4", 10, 10, 1),
    ]
    assert drawn.missing == 1
    # The view box holds the ORPs shown, not the country.
    width = float(svg.get("viewBox").split()[2])
    assert width < 1000  # under 100 km: four neighbouring ORPs


@settings(max_examples=300, deadline=None)
@given(value=st.decimals(min_value=-(10**12), max_value=10**12, places=2) | st.integers(0, 10**9))
def test_the_fast_czech_figures_are_babels(value):
    assert overview.show(value, "value") == money(value)
    assert overview.show(value, "value_per_child") == money(value)
    assert overview.show(value, "published") == number(value)
    assert overview.show(None, "gaps") == "–"


def test_czech_wording_of_the_metrics():
    assert overview.describer("value_per_child")(Decimal("1234.5")) == f"Kč na dítě: {money(Decimal('1234.5'))}"
    assert overview.describer("value_per_child")(Decimal("1234.5")).endswith("1\xa0234,50\xa0Kč")
    assert overview.describer("published")(Decimal("12345")) == "Poptávky: 12\xa0345"
    assert overview.describer("gaps")(None) == "Mezery: bez údaje"


# --- the map on the page -------------------------------------------------------------------------
def test_the_national_map_has_one_path_per_orp(login, personas):
    response = login(personas.ministry).get("/network/?metric=services")
    assert response.status_code == 200
    svg = the_map(response.get_data(as_text=True))
    codes = [p.get("data-orp") for p in paths(svg)]
    assert len(codes) == 206 == len(set(codes))
    assert set(codes) == set(db.session.scalars(sa.select(Orp.code)))
    for link in svg.iter(f"{SVG}a"):
        (path,) = paths(link)
        assert link.get("href") == f"/network/orp/{path.get('data-orp')}"
        assert path.find(f"{SVG}title").text.endswith(": Služby v katalogu: 0")


@pytest.mark.parametrize(("persona", "query", "kraj", "count"), [
    ("ministry", "?kraj=CZ053", "CZ053", 15),
    ("ministry", "?kraj=cz041", "CZ041", 7),
    ("ministry", "?kraj=CZ020&need=bezpeci", "CZ020", 26),
    ("kraj", "", "CZ053", 15),
    ("ospod_other", "?metric=value", "CZ041", 7),
])  # fmt: skip
def test_a_kraj_map_has_its_own_orps_only(login, personas, persona, query, kraj, count):
    response = login(personas[persona]).get(f"/network/{query}")
    assert response.status_code == 200
    codes = {p.get("data-orp") for p in paths(the_map(response.get_data(as_text=True)))}
    own = set(db.session.scalars(sa.select(Orp.code).join(Kraj).where(Kraj.code == kraj)))
    assert codes == own and len(codes) == count


def test_the_titles_give_the_orps_value_in_czech(login, personas, orp_pardubice):
    make_framework(orp_pardubice.kraj, providers=[personas.provider.provider])
    for _ in range(2):
        make_demand(personas.ospod, needs=["bezpeci"], publish=True)
    html = login(personas.kraj).get("/network/?metric=published&need=bezpeci").get_data(as_text=True)
    titles = {p.get("data-orp"): p.find(f"{SVG}title").text for p in paths(the_map(html))}
    assert titles["5309"] == "Pardubice: Poptávky: 2"
    assert titles["5311"] == "Přelouč: Poptávky: 0"
    # The darkest class for the only ORP with minitenders, and the legend says so.
    assert 'data-orp="5309" class="orp q4"' in html
    assert "(1 ORP)" in html


def test_the_ospod_offices_own_orp_is_outlined(login, personas):
    html = login(personas.ospod).get("/network/").get_data(as_text=True)
    marked = [p.get("data-orp") for p in paths(the_map(html)) if "marked" in p.get("class").split()]
    assert marked == ["5309"]


def test_the_map_page_has_nothing_inline_the_csp_refuses(login, personas):
    response = login(personas.ministry).get("/network/")
    html = response.get_data(as_text=True)
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self' governs
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<style", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)  # no event handlers
    assert "/static/network.css" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_the_stylesheet_colours_every_class_and_prints_the_colours(client):
    css = client.get("/static/network.css").get_data(as_text=True)
    for name in ("q0", "q1", "q2", "q3", "q4", "nodata"):
        assert re.search(rf"\.{name} \{{ fill: #[0-9a-f]{{6}}", css)
    assert "@media print" in css and "print-color-adjust: exact" in css
