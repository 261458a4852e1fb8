"""The forms' scripts in a real browser (Debian's Chromium, Playwright) against gunicorn: a refused form
puts the focus on its error summary, whose links focus their fields, and axe-core finds nothing to
fault; the demand form offers only the chosen category's service types; the bid form's total follows
what is typed, exact to the haléř and written the Czech way. The scripts are files (CSP: no inline
script), so the CSP refuses nothing."""

from __future__ import annotations

import importlib.util

import pytest
import sqlalchemy as sa

from tests.live.server import CHROMIUM, Server, live_database, logged_in, prepare

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists()
    or importlib.util.find_spec("playwright") is None
    or importlib.util.find_spec("axe_playwright_python") is None,
    reason="needs Debian's chromium (/usr/bin/chromium), playwright and axe-playwright-python",
)
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
NBSP = "\xa0"


def open_minitender() -> dict:
    """The open minitender of today's PAK framework, a provider account that has bid on it and one
    that has not."""
    from minitendr import clock
    from minitendr.auth.models import User
    from minitendr.bids.models import Bid
    from minitendr.db import db
    from minitendr.demands.models import Demand, DemandStatus
    from minitendr.frameworks.models import FrameworkContract, FrameworkParty

    demand = db.session.scalars(
        sa.select(Demand).where(Demand.state == DemandStatus.PUBLISHED, Demand.deadline > clock.now())
    ).first()
    bidders = set(db.session.scalars(sa.select(Bid.provider_id).where(Bid.demand_id == demand.id)))
    accounts = db.session.execute(
        sa.select(User.email, User.provider_id)
        .join(FrameworkParty, FrameworkParty.provider_id == User.provider_id)
        .join(FrameworkContract, FrameworkContract.id == FrameworkParty.framework_id)
        .where(FrameworkContract.number == "RS-PAK-2025-TER", User.active)
        .order_by(User.email)
    ).all()
    return {
        "demand": demand.id,
        "bidder": next(email for email, provider in accounts if provider in bidders),
        "newcomer": next((email for email, provider in accounts if provider not in bidders), None),
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forms")
    with live_database(folder, "forms") as url:
        scenario = prepare(url, folder, open_minitender)
        with Server(url, folder) as server:
            server.scenario = scenario
            yield server


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=RULES)
    return [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


def focused(page) -> str:
    """The focused element as ``tag#id`` (or with its data-error-summary mark)."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e.tagName.toLowerCase() + "
        "(e.id ? '#' + e.id : '') + (e.hasAttribute('data-error-summary') ? '[summary]' : ''); }"
    )


def no_csp_refusal(page) -> None:
    assert not [m for m in page.console if "Content Security Policy" in m], page.console


def test_a_refused_bid_puts_the_focus_on_the_error_summary_and_passes_axe(served, browser):
    page = logged_in(browser, served, served.scenario["bidder"])
    page.goto(f"/demands/{served.scenario['demand']}/bid")
    assert page.locator("h1").inner_text() == "Nahradit nabídku"
    assert page.locator("#submit").get_attribute("value") == "Nahradit nabídku"
    assert violations(page) == []
    page.fill("#unit_price", "0")
    page.fill("#team", "")
    with page.expect_navigation():
        page.click("#submit")
    assert focused(page) == "div[summary]"
    summary = page.locator("[data-error-summary]")
    assert summary.locator("h2").inner_text() == "Formulář obsahuje chyby"
    assert page.locator("#unit_price").get_attribute("aria-invalid") == "true"
    assert page.input_value("#unit_price") == "0"  # what was typed is kept
    assert "0,01 až 10 000 000,00 Kč" in page.locator("#unit_price-error").inner_text().replace(NBSP, " ")
    assert violations(page) == []
    summary.get_by_role("link", name="Tým a jeho kvalifikace").click()
    assert focused(page) == "textarea#team"
    no_csp_refusal(page)
    page.context.close()


def test_the_bid_total_follows_what_is_typed(served, browser):
    page = logged_in(browser, served, served.scenario["newcomer"] or served.scenario["bidder"])
    page.goto(f"/demands/{served.scenario['demand']}/bid")
    total = page.locator("#bid-total")
    assert total.get_attribute("aria-live") == "polite" and total.is_visible()
    page.fill("#unit_price", "")
    page.type("#unit_price", "512,35")
    page.fill("#units", "")
    page.type("#units", "37,5")
    assert total.inner_text() == f"Celková cena: 19{NBSP}213,13{NBSP}Kč bez DPH."  # 19 213,125 rounded half up
    page.select_option("#vat_rate", "21")
    assert total.inner_text() == f"Celková cena: 19{NBSP}213,13{NBSP}Kč bez DPH, 23{NBSP}247,89{NBSP}Kč s DPH."
    page.fill("#units", "hodně")
    assert "doplňte" in total.inner_text()
    page.fill("#units", "1 000 000")
    page.fill("#unit_price", "9 999 999,99")
    assert total.inner_text().startswith(f"Celková cena: 9{NBSP}999{NBSP}999{NBSP}990{NBSP}000,00{NBSP}Kč")
    assert violations(page) == []
    no_csp_refusal(page)
    page.context.close()


def test_the_demand_form_offers_only_the_chosen_categorys_service_types(served, browser):
    page = logged_in(browser, served, "ospod.pardubice@demo.cz")
    page.goto("/demands/new")
    assert violations(page) == []

    def offered() -> set[str]:
        return set(
            page.eval_on_selector_all(
                "#service_type_id option", "os => os.filter(o => !o.hidden && !o.disabled).map(o => o.dataset.category)"
            )
        )

    categories = page.eval_on_selector_all("#category_id option", "os => os.map(o => o.value)")
    assert len(categories) == 3
    for category in categories:
        page.select_option("#category_id", category)
        assert offered() == {category}
        chosen = page.eval_on_selector("#service_type_id", "s => s.options[s.selectedIndex].dataset.category")
        assert chosen == category  # a type of another category is never left chosen
    no_csp_refusal(page)
    page.context.close()
