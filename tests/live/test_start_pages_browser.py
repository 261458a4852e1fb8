"""The start page "Co na vás čeká" of each demo role in a real browser (Debian's Chromium, Playwright)
against gunicorn: it shows the role's items, each a link, axe-core finds no accessibility violation,
and the CSP refuses nothing. A kraj notice sent before reaches the provider's start page."""

from __future__ import annotations

import importlib.util
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
SHOTS = ARTIFACTS / "start"
# WCAG 2.1 A and AA, and axe's best practices (landmarks, headings, regions).
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
NOTICE = "Změna kontaktní osoby kraje"


def start_scenario() -> str:
    """The census and the pilot kraje's network models (the gaps), and a notice of Pardubický kraj to
    the parties of its active framework; returns the e-mail of a provider user who received it."""
    from flask import current_app

    from minitendr.auth.models import User
    from minitendr.db import db
    from minitendr.frameworks.models import FrameworkContract, FrameworkStatus
    from minitendr.network.census import load_census
    from minitendr.notices.service import send_notice
    from minitendr.registry.models import Kraj
    from minitendr.seeding.network import seed_network_models

    load_census(Path(current_app.config["SEED_DIR"]))
    seed_network_models()
    kraj = db.session.scalars(sa.select(Kraj).where(Kraj.code == "CZ053")).one()
    official = db.session.scalars(sa.select(User).where(User.email == "kraj.pak@demo.cz")).one()
    framework = db.session.scalars(
        sa.select(FrameworkContract)
        .where(FrameworkContract.kraj_id == kraj.id, FrameworkContract.status == FrameworkStatus.ACTIVE)
        .order_by(FrameworkContract.valid_to.desc())
    ).first()
    notice = send_notice(kraj, official, NOTICE, "Od 1. 1. je kontaktní osobou kraje Jana Malá.", framework=framework)
    return sorted(recipient.user.email for recipient in notice.recipients)[0]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("start")
    with live_database(folder, "start") as url:
        recipient = prepare(url, folder, start_scenario)
        with Server(url, folder) as server:
            server.notice_recipient = recipient
            yield server


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=RULES)
    return [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(
    ("email", "items"),
    [
        ("admin@demo.cz", ["emails", "exports", "locked", "inactive"]),
        ("mpsv@demo.cz", ["registry", "gaps", "figures"]),
        ("kraj.pak@demo.cz", ["registry", "frameworks", "single_bid", "gaps"]),
        ("kraj.kvk@demo.cz", ["registry", "frameworks", "single_bid", "gaps"]),
        ("ospod.pardubice@demo.cz", ["evaluate", "questions", "drawdowns", "ending", "reissues"]),
        ("ospod.cheb@demo.cz", ["evaluate", "questions", "drawdowns", "ending", "reissues"]),
        ("provider1@demo.cz", ["notices", "invitations", "rejected", "unreported", "results", "bids"]),
    ],
)
def test_each_roles_start_page_shows_its_items_and_passes_axe(served, browser, email, items):
    page = logged_in(browser, served, email)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    response = page.goto("/")
    assert response is not None and response.status == 200
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{email.split('@')[0]}.png"), full_page=True)
    assert page.locator("h2", has_text="Co na vás čeká").is_visible()
    shown = page.eval_on_selector_all("section[id^=agenda-]", "nodes => nodes.map(n => n.id.slice(7))")
    assert sorted(shown) == sorted(items)
    # Every item's heading is a link to the list it counts.
    assert page.locator("section[id^=agenda-] h3 a").count() == len(items)
    assert violations(page) == []
    assert not [m for m in messages if "Content Security Policy" in m], messages
    page.context.close()


def test_the_provider_reads_the_kraj_notice_from_its_start_page(served, browser):
    page = logged_in(browser, served, served.notice_recipient)
    page.goto("/")
    notices = page.locator("#agenda-notices")
    assert notices.locator("[data-count]").get_attribute("data-count") == "1"
    with page.expect_navigation():
        notices.get_by_role("link", name=NOTICE).click()
    assert page.locator("h1").inner_text() == NOTICE
    assert violations(page) == []
    page.goto("/")
    assert page.locator("#agenda-notices [data-count]").get_attribute("data-count") == "0", "read now"
    page.context.close()
    kraj = logged_in(browser, served, "kraj.pak@demo.cz")
    kraj.goto("/notices/")
    assert "1 z " in kraj.locator("table").inner_text()
    assert violations(kraj) == []
    kraj.context.close()
