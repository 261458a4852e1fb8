"""Every page of every role in a real browser (Debian's Chromium, Playwright) against gunicorn, on the
demo accounts with today's minitenders, a few hundred synthetic awarded ones (sub-contracts, drawdowns)
and the service network: per demo role, the pages of the menu, the
accessibility statement and the detail page of one object of each kind linked from them, each with
axe-core (WCAG 2.1 A and AA and best practices: 0 violations), read on a phone (390 px: nothing wider
than the screen, tables as cards) and printed (A4: nothing wider than the printable width). Besides:
the admin's menu fits one line at 1440 px and opens its menus, the trend chart's amounts lie inside
the chart, and the export page follows a running export without reloading and announces it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.live.server import ARTIFACTS, CHROMIUM, DESKTOP, Server, live_database, logged_in, prepare
from tests.live.test_network_a11y import RULES, network_scenario

pytestmark = [
    pytest.mark.browser_layout,
    pytest.mark.skipif(
        not CHROMIUM.exists()
        or __import__("importlib.util").util.find_spec("playwright") is None
        or __import__("importlib.util").util.find_spec("axe_playwright_python") is None,
        reason="needs Debian's chromium (/usr/bin/chromium), playwright and axe-playwright-python",
    ),
]
SHOTS = ARTIFACTS / "crawl"
ROLES = ("admin@demo.cz", "mpsv@demo.cz", "kraj.pak@demo.cz", "ospod.pardubice@demo.cz", "provider1@demo.cz")
PHONE = {"width": 390, "height": 844}
# A4 (210 mm) less the page's margins (15 mm each side, app.css) at the browser's 96 px per inch.
A4_CONTENT = round((210 - 2 * 15) / 25.4 * 96)
FILES = re.compile(r"\.(xlsx|csv|pdf|zip|xml|json)$|/download$|/open-data/|/hsds/")
# A path's kind: its numbers and codes made placeholders (one object of each kind is enough).
KIND = re.compile(r"\b(\d+|[0-9a-f]{8}-[0-9a-f-]{27}|CZ0\d\d[0-9A-Z]?)\b")
PAGES_PER_ROLE = 40
# The phone and print layouts are the templates', the same for every role: each kind of page is laid
# out once, by the first role that reaches it (axe runs on every page of every role).
LAID_OUT: set[str] = set()


def demo_scenario() -> dict[str, object]:
    """Awarded minitenders across the country (sub-contracts, drawdowns: the synthetic generator, much
    faster than the pilot's history), the service network, and an export of the ministry's still
    waiting in the queue: its id, and an awarded minitender's."""
    from minitendr.auth.models import User
    from minitendr.db import db
    from minitendr.reports import jobs
    from minitendr.seeding.synthetic import generate

    generate(300, seed=5)
    network_scenario()
    from minitendr.contracts.models import SubContract

    ministry = db.session.scalars(sa.select(User).where(User.email == "mpsv@demo.cz")).one()
    awarded = db.session.scalar(sa.select(SubContract.demand_id).order_by(SubContract.id).limit(1))
    return {"job_id": jobs.start(ministry, {"year": "2014"}, 20000).id, "awarded": awarded}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crawl")
    with live_database(folder, "crawl") as url:
        made = prepare(url, folder, demo_scenario)
        with Server(url, folder) as server:
            server.database = sa.create_engine(url)
            server.job_id = made["job_id"]
            server.awarded = made["awarded"]
            yield server
            server.database.dispose()


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    # Only the violations come back: the passes of a long page are megabytes of JSON.
    results = Axe().run(page, options={**RULES, "resultTypes": ["violations"]})
    return [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


# Visible elements whose right edge lies past the given width (the screen's, or the printable A4
# width), named by tag, id and class; text hidden for screen readers only is not on the page.
WIDER_THAN = """(width) => {
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.visually-hidden, .visually-hidden-focusable, thead, [hidden], script, style, title')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (box.right > width + 1) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        ' ' + Math.round(box.right));
    }
  }
  return wide.slice(0, 5);
}"""


def too_wide_on_a_phone(page) -> list[str]:
    page.set_viewport_size(PHONE)
    try:
        wide = page.evaluate(WIDER_THAN, PHONE["width"])
        sideways = page.evaluate("() => document.documentElement.scrollWidth") > PHONE["width"] + 1
        return wide + (["the page scrolls sideways"] if sideways else [])
    finally:
        page.set_viewport_size(DESKTOP)


def too_wide_on_paper(page) -> list[str]:
    page.set_viewport_size({"width": A4_CONTENT, "height": 1100})
    page.emulate_media(media="print")
    try:
        hidden = page.evaluate("() => getComputedStyle(document.querySelector('nav.navbar')).display") == "none"
        return page.evaluate(WIDER_THAN, A4_CONTENT) + ([] if hidden else ["the menu is printed"])
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(DESKTOP)


def links(page, selector: str) -> list[str]:
    """The site's own pages ``selector`` links to, as paths (no files, no fragments)."""
    hrefs = page.eval_on_selector_all(selector, "els => els.map(a => a.getAttribute('href'))")
    paths = []
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "http")):
            continue
        path = urlsplit(href).path
        if path and not FILES.search(path) and path not in paths and path != "/login":
            paths.append(path + (("?" + urlsplit(href).query) if urlsplit(href).query and path == "/" else ""))
    return paths


def crawl(page) -> Iterator[str]:
    """The menu's pages (drop-downs included) and the statement, then the first page of each kind of
    object they link to, and what those link to, up to ``PAGES_PER_ROLE`` pages."""
    page.goto("/")
    queue = [*links(page, "nav.navbar a[href]"), *links(page, "footer a[href]")]
    menu = set(queue)
    kinds = {KIND.sub("{}", path) for path in queue}
    visited: list[str] = []
    while queue and len(visited) < PAGES_PER_ROLE:
        path = queue.pop(0)
        yield path
        visited.append(path)
        for found in links(page, "main a[href]"):
            kind = KIND.sub("{}", found)
            if kind not in kinds and found not in menu:
                kinds.add(kind)
                queue.append(found)


@pytest.mark.parametrize("email", ROLES)
def test_every_page_of_every_role_passes_axe_fits_a_phone_and_prints_on_a4(served, browser, email):
    page = logged_in(browser, served, email)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    problems: dict[str, list[str]] = {}
    visited = []
    started = time.monotonic()
    for path in crawl(page):
        response = page.goto(path)
        visited.append(path)
        status = response.status if response else None
        found = [] if status == 200 else [f"HTTP {status}"]
        if status == 200:
            found += axe_violations(page)
            if KIND.sub("{}", path) not in LAID_OUT:
                LAID_OUT.add(KIND.sub("{}", path))
                found += [f"phone: {w}" for w in too_wide_on_a_phone(page)]
                found += [f"print: {w}" for w in too_wide_on_paper(page)]
        if found:
            problems[path] = found
            SHOTS.mkdir(parents=True, exist_ok=True)
            name = email.split("@")[0] + "_" + (path.strip("/").replace("/", "_") or "start")
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
            with (SHOTS / "problems.txt").open("a") as log:  # read while the crawl goes on
                log.write(f"{email} {path}: {found}\n")
    page.context.close()
    assert len(visited) >= 8, visited  # the menu's pages at least, and objects of several kinds
    report = "\n".join(f"{path}: {found}" for path, found in problems.items())
    assert problems == {}, f"{email}, {len(visited)} pages in {time.monotonic() - started:.0f} s:\n{report}"
    assert not [m for m in console if "Content Security Policy" in m], console


def test_the_admins_menu_fits_one_line_at_1440_px_and_its_menus_open(served, browser):
    page = logged_in(browser, served, "admin@demo.cz")
    page.goto("/")
    bar = page.locator("nav.navbar").bounding_box()
    assert bar is not None and bar["height"] < 80  # one line: the brand, the menus, the account
    assert page.evaluate("() => document.documentElement.scrollWidth") <= DESKTOP["width"]
    menu = page.locator("nav.navbar .dropdown", has_text="Evidence a správa")
    assert not menu.locator(".dropdown-menu").is_visible()
    menu.locator("button.dropdown-toggle").click()
    assert menu.locator(".dropdown-menu").is_visible()
    assert menu.locator("button.dropdown-toggle").get_attribute("aria-expanded") == "true"
    with page.expect_navigation():
        menu.locator("a.dropdown-item", has_text="Uživatelé").click()
    assert page.url.endswith("/admin/users/")
    page.context.close()


def test_an_awarded_minitenders_success_alert_passes_axe(served, browser):
    page = logged_in(browser, served, "mpsv@demo.cz")
    page.goto(f"/demands/{served.awarded}")
    assert page.locator(".alert-success a").count() == 1  # the sub-contract's link on the green alert
    assert axe_violations(page) == []
    page.context.close()


def test_the_trend_charts_amounts_lie_inside_the_chart(served, browser):
    page = logged_in(browser, served, "mpsv@demo.cz")
    page.goto("/reports/spend")
    boxes = page.eval_on_selector_all(
        "svg.trend-chart text.y-label", "els => els.map(t => { const b = t.getBBox(); return [b.x, t.textContent]; })"
    )
    assert len(boxes) >= 2
    assert all(x >= 0 for x, _ in boxes), boxes
    assert all(re.fullmatch(r"\d{1,3}(\xa0\d{3})*\xa0Kč", text) for _, text in boxes), boxes  # whole amounts
    assert any("\xa0000\xa0Kč" in text for _, text in boxes), boxes  # thousands at least
    page.context.close()


def test_the_export_page_follows_the_job_without_reloading(served, browser):
    from minitendr.reports.models import ExportJob, JobStatus

    page = logged_in(browser, served, "mpsv@demo.cz")
    page.goto(f"/reports/jobs/{served.job_id}")
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    state = page.locator("#export-job-state")
    assert state.get_attribute("aria-live") == "polite"
    assert page.locator("#export-job-result a", has_text="Obnovit stav").count() == 1  # without JS: reload
    page.evaluate("() => { window.__marker = 'same page'; }")
    jobs = ExportJob.__table__
    with served.database.begin() as connection:
        connection.execute(
            sa.update(jobs).where(jobs.c.id == served.job_id).values(status=JobStatus.RUNNING, done_rows=5000)
        )
    page.wait_for_function(
        "() => document.getElementById('export-job-state').textContent.includes('25 %')", timeout=15000
    )
    with served.database.begin() as connection:
        connection.execute(
            sa.update(jobs)
            .where(jobs.c.id == served.job_id)
            .values(status=JobStatus.FAILED, error="Zkouška", done_rows=5000)
        )
    page.wait_for_selector("#export-job-result .alert-danger", timeout=15000)
    assert page.evaluate("() => window.__marker") == "same page"  # updated in place, never reloaded
    assert "selhalo" in state.inner_text()
    page.context.close()
