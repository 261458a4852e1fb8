"""The service network's pages in a real browser (Debian's Chromium, Playwright) against gunicorn:
axe-core finds no accessibility violation on the map (national and a kraj's), an ORP page, the
catalogue's search and forms, the kraj's model, the outcomes and the registr smluv due list; the
map's ORPs are links a keyboard reaches, the CSP refuses nothing on them, and the printed page keeps
the map and drops the switches. axe-core comes inside the axe-playwright-python package (no CDN)."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.live.server import ARTIFACTS, CHROMIUM, Server, live_database, logged_in, prepare

pytestmark = [
    pytest.mark.browser_layout,
    pytest.mark.skipif(
        not CHROMIUM.exists()
        or importlib.util.find_spec("playwright") is None
        or importlib.util.find_spec("axe_playwright_python") is None,
        reason="needs Debian's chromium (/usr/bin/chromium), playwright and axe-playwright-python",
    ),
]
SHOTS = ARTIFACTS / "network"
# WCAG 2.1 A and AA, and axe's best practices (landmarks, headings, regions).
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


def network_scenario() -> None:
    """The census, the pilot kraje's models and a few catalogue services serving Pardubice."""
    from flask import current_app

    from minitendr.db import db
    from minitendr.network.census import load_census
    from minitendr.network.models import CatalogueNeed, CatalogueOrp, CatalogueService, Sector, ServiceForm
    from minitendr.registry.models import Orp
    from minitendr.seeding.network import seed_network_models

    load_census(Path(current_app.config["SEED_DIR"]))
    seed_network_models()
    pardubice = db.session.scalars(sa.select(Orp).where(Orp.code == "5309")).one()
    for name, needs, sector, form in (
        ("Krizové centrum pro děti", ["bezpeci", "vztahy"], Sector.SOCIALNI, ServiceForm.POBYTOVA),
        ("Dětská psychiatrická ambulance", ["zdravi", "chovani"], Sector.ZDRAVOTNI, ServiceForm.AMBULANTNI),
        ("Pedagogicko-psychologická poradna", ["uceni"], Sector.SKOLSKA, ServiceForm.AMBULANTNI),
    ):
        service = CatalogueService(
            kraj_id=pardubice.kraj_id,
            name=name,
            sector=sector,
            form=form,
            organization="Pardubický kraj",
            capacity=Decimal("10"),
            capacity_unit="klientů",
        )
        service.needs = [CatalogueNeed(need=need) for need in needs]
        service.orps = [CatalogueOrp(orp_id=pardubice.id)]
        db.session.add(service)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("network")
    with live_database(folder, "network") as url:
        prepare(url, folder, network_scenario)
        with Server(url, folder) as server:
            yield server


def visit(page, path: str) -> list[str]:
    """Open ``path``; what the browser's console reported (a CSP refusal shows there)."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (path.strip("/").replace("/", "_").replace("?", "_") + ".png")), full_page=True)
    return messages


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=RULES)
    return [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(
    ("email", "path", "paths"),
    [
        ("mpsv@demo.cz", "/network/", 206),
        ("kraj.pak@demo.cz", "/network/?need=bezpeci&metric=services", 15),
        ("ospod.cheb@demo.cz", "/network/?metric=value_per_child", 7),
        ("kraj.pak@demo.cz", "/network/orp/5309", 0),
        ("ospod.pardubice@demo.cz", "/network/orp/5309", 0),
        # The catalogue, the kraj's model, the outcomes and the registr smluv due list.
        ("ospod.pardubice@demo.cz", "/network/services?orp=5309&need=chovani", 0),
        ("provider1@demo.cz", "/network/services", 0),
        ("kraj.pak@demo.cz", "/network/catalogue", 0),
        ("kraj.pak@demo.cz", "/network/catalogue/new", 0),
        ("kraj.pak@demo.cz", "/network/catalogue/import", 0),
        ("kraj.pak@demo.cz", "/network/models/", 0),
        ("kraj.pak@demo.cz", "/network/models/new", 0),
        ("kraj.pak@demo.cz", "/outcomes/kraje/CZ053", 0),
        ("kraj.pak@demo.cz", "/outcomes/follow-ups/CZ053", 0),
        ("kraj.pak@demo.cz", "/subcontracts/registry/due", 0),
    ],
)
def test_the_network_pages_pass_axe(served, browser, email, path, paths):
    page = logged_in(browser, served, email)
    console = visit(page, path)
    assert page.locator("svg.orp-map path[data-orp]").count() == paths
    assert violations(page) == []
    assert not [m for m in console if "Content Security Policy" in m], console
    page.context.close()


def test_a_keyboard_reaches_an_orp_on_the_map_and_opens_its_page(served, browser):
    page = logged_in(browser, served, "kraj.pak@demo.cz")
    visit(page, "/network/")
    for _ in range(400):  # past the menu, the switches and the gaps' links
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('svg.orp-map')"):
            break
    else:
        raise AssertionError("no ORP on the map takes the focus")
    target = page.evaluate("() => document.activeElement.getAttribute('href')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(target) and "/network/orp/" in target
    assert page.locator("h1").inner_text().startswith("ORP ")
    page.context.close()


def test_the_printed_map_keeps_the_map_and_drops_the_switches(served, browser):
    page = logged_in(browser, served, "kraj.pak@demo.cz")
    visit(page, "/network/")
    page.emulate_media(media="print")
    assert page.locator("svg.orp-map").is_visible()
    assert not page.locator("form.network-filters").is_visible()
    assert not page.locator("nav.navbar").is_visible()
    fill = page.evaluate("() => getComputedStyle(document.querySelector('svg.orp-map path.orp')).fill")
    assert fill.startswith("rgb(") and fill != "rgb(0, 0, 0)"  # the class colours, from the stylesheet
    page.pdf(path=str(SHOTS / "network-print.pdf"))
    page.context.close()
