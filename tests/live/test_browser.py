"""The whole journey in a real browser (Debian's Chromium driven by Playwright) against gunicorn:
OSPOD files and publishes a demand, two providers bid and one replaces its bid, OSPOD sees only the
count, the deadline passes, OSPOD evaluates and awards, the provider reports a drawdown, OSPOD
confirms, and the kraj official finds it in the dashboard and downloads the Excel file, which the test
opens. The login, demand and bid forms are filled with the keyboard alone. A screenshot of every main
page is saved under ``build/test-artifacts/browser/``."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from minitendr.formatting import money
from tests.factories import MINIMAL_PDF
from tests.live.server import ARTIFACTS, CHROMIUM, Server, live_database, prepare

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None,
    reason="needs Debian's chromium (/usr/bin/chromium; .ci/run installs it) and the playwright package",
)
PASSWORD = "demo"
SHOTS = ARTIFACTS / "browser"


def parties_with_accounts() -> list[str]:
    """E-mails of two provider accounts invited under today's PAK framework."""
    from minitendr.auth.models import User
    from minitendr.db import db
    from minitendr.frameworks.models import FrameworkContract, FrameworkParty

    return list(
        db.session.scalars(
            sa.select(User.email)
            .join(FrameworkParty, FrameworkParty.provider_id == User.provider_id)
            .join(FrameworkContract, FrameworkContract.id == FrameworkParty.framework_id)
            .where(FrameworkContract.number == "RS-PAK-2025-TER")
            .order_by(User.email)
            .limit(2)
        )
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    shutil.rmtree(SHOTS, ignore_errors=True)  # this run's screenshots only
    folder = tmp_path_factory.mktemp("browser")
    with live_database(folder, "browser") as url:
        providers = prepare(url, folder, parties_with_accounts)
        with Server(url, folder) as server:
            server.database = sa.create_engine(url)
            server.providers = providers
            yield server
            server.database.dispose()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def type_date(page, selector: str, day: dt.date) -> None:
    """Type a date into a date field in the order the browser's date field takes it (which need not
    follow the page's locale): found by typing 01, 02, 2000 into a field on a scratch page."""
    scratch = page.context.new_page()
    scratch.set_content("<input type=date id=probe>")
    scratch.focus("#probe")
    scratch.keyboard.type("01022000")
    order = {"2000-01-02": ("%m", "%d", "%Y"), "2000-02-01": ("%d", "%m", "%Y")}[scratch.input_value("#probe")]
    scratch.close()
    tab_to(page, selector)
    page.keyboard.type("".join(day.strftime(part) for part in order))


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")  # replace what is there (a replaced bid's form comes filled in)
    page.keyboard.type(text)


def log_in(browser, server, email: str):
    """A fresh browser session, logged in with the keyboard only."""
    context = browser.new_context(
        base_url=server.base_url, locale="cs-CZ", accept_downloads=True, viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    page.goto("/login")
    type_into(page, "#email", email)
    type_into(page, "#password", PASSWORD)
    press_and_wait(page)
    assert "/login" not in page.url, page.content()
    return page


def press_and_wait(page, key: str = "Enter") -> None:
    """Press ``key`` on the focused element and wait for the page it submits to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def click_and_wait(control) -> None:
    """Click a link or a form's button and wait for the page it leads to: a click returns once the
    request has started, and the page it leaves may still be read (its alert, its URL, its content)."""
    with control.page.expect_navigation():
        control.click()


def text(page) -> str:
    """What the page shows (the DOM serialises non-breaking spaces as entities; the text keeps them)."""
    return page.inner_text("body")


def flash(page) -> str:
    """The success message shown after an action; a refusal, or no message (the form's errors then),
    fails with what the page says."""
    alert = page.get_by_role("alert")
    if alert.count() == 0:
        shot(page, "failure")
        errors = page.locator(".invalid-feedback, .text-danger").all_inner_texts()
        raise AssertionError(f"no message on {page.url}; form errors: {errors}")
    if "alert-success" not in (alert.first.get_attribute("class") or ""):
        shot(page, "failure")
        raise AssertionError(f"refused on {page.url}: {alert.first.inner_text()}")
    return alert.first.inner_text()


def pdf_text(data: bytes) -> str:
    """The text of a PDF, whitespace as single spaces (as a reader copies it out)."""
    import io

    from pypdf import PdfReader

    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_the_whole_journey(served, browser):
    server = served
    start = dt.date.today() + dt.timedelta(days=7)

    # OSPOD files the demand with the keyboard and publishes it.
    ospod = log_in(browser, server, "ospod.pardubice@demo.cz")
    shot(ospod, "01-ospod-home")
    ospod.goto("/demands/new")
    tab_to(ospod, "#category_id")
    ospod.keyboard.type("Terénní")  # a select jumps to the option typed
    tab_to(ospod, "#service_type_id")
    ospod.keyboard.type("Sociálně aktivizační")
    tab_to(ospod, "#needs-0")
    ospod.keyboard.press("Space")
    type_into(ospod, "#case_reference", "OSPOD-PA-2026/E2E")
    type_into(ospod, "#need_description", "Rodina potřebuje podporu při péči o domácnost a školní docházce dětí.")
    type_into(ospod, "#expected_outcome", "Stabilní docházka dětí a zvládnutý rozpočet domácnosti.")
    type_into(ospod, "#place", "Pardubice, v domácnosti rodiny")
    type_into(ospod, "#volume", "40")
    type_date(ospod, "#start_date", start)
    type_date(ospod, "#end_date", start + dt.timedelta(days=180))
    type_into(ospod, "#contact_name", "Jana Nováková")
    type_into(ospod, "#contact_email", "jana.novakova@pardubice.eu")
    tab_to(ospod, "#submit")
    shot(ospod, "02-demand-form")
    press_and_wait(ospod)
    assert "koncept" in flash(ospod).lower(), ospod.content()
    demand_id = int(re.search(r"/demands/(\d+)", ospod.url).group(1))
    click_and_wait(ospod.get_by_role("button", name="Zveřejnit a pozvat poskytovatele"))
    assert "zveřejněna" in flash(ospod)
    shot(ospod, "03-demand-published")

    # Two providers bid (keyboard only); the second one replaces its bid.
    first_email, second_email = server.providers
    first = log_in(browser, server, first_email)
    submit_bid(first, demand_id, "485,50", "nabidka.pdf")
    shot(first, "04-provider-bid-submitted")
    second = log_in(browser, server, second_email)
    submit_bid(second, demand_id, "530")
    second.goto(f"/demands/{demand_id}")
    assert second.get_by_role("link", name="Nahradit nabídku").is_visible()
    submit_bid(second, demand_id, "472")
    assert "nahrazena" in flash(second)

    # Before the deadline OSPOD sees the count, nothing of the contents.
    ospod.goto(f"/demands/{demand_id}")
    page = text(ospod)
    assert "Počet podaných nabídek: 2" in page
    assert not re.search(r"485,50|472,00|19\s420|18\s880", page + ospod.content())
    assert ospod.goto(f"/demands/{demand_id}/protocol").status == 404
    shot(ospod, "05-ospod-sees-only-the-count")

    # The deadline passes (the test clock of the live server only).
    with server.database.connect() as connection:
        deadline = connection.execute(sa.text("SELECT deadline FROM demand WHERE id = :id"), {"id": demand_id}).scalar()
    deadline = deadline if isinstance(deadline, dt.datetime) else dt.datetime.fromisoformat(deadline)
    deadline = deadline.replace(tzinfo=deadline.tzinfo or dt.UTC)
    moment = max(deadline + dt.timedelta(minutes=5), dt.datetime.combine(start, dt.time(12), tzinfo=dt.UTC))
    server.move_clock(moment - dt.datetime.now(dt.UTC))  # and the first month of the service has begun

    # OSPOD names itself to the evaluation committee and declares no conflict of interest, having
    # seen the bidders' names and no price.
    ospod.goto(f"/demands/{demand_id}/committee")
    ospod.get_by_label("Pracovník OSPOD").select_option(index=1)
    click_and_wait(ospod.get_by_role("button", name="Jmenovat do komise"))
    assert "jmenován" in flash(ospod).lower(), ospod.content()
    click_and_wait(ospod.get_by_role("link", name="Moje prohlášení o střetu zájmů"))
    assert not re.search(r"485,50|472,00|19\s420|18\s880", ospod.content())
    ospod.get_by_label("Nemám střet zájmů – podepisuji čestné prohlášení").check()
    click_and_wait(ospod.get_by_role("button", name="Podepsat prohlášení"))
    assert "prohlášení je podepsáno" in flash(ospod).lower(), ospod.content()

    # OSPOD opens the envelopes (an explicit, recorded act), then evaluates both bids and awards.
    ospod.goto(f"/demands/{demand_id}/evaluation")
    assert not re.search(r"485,50|472,00|19\s420|18\s880", ospod.content())  # still sealed
    shot(ospod, "06-before-opening")
    click_and_wait(ospod.get_by_role("button", name="Otevřít obálky"))
    assert "obálky jsou otevřeny" in flash(ospod).lower(), ospod.content()
    shot(ospod, "06-evaluation")
    actions = [form.get_attribute("action") for form in ospod.locator("form[action$='/score']").all()]
    assert len(actions) == 2  # the replaced bid is not evaluated
    for action in actions:
        ospod.locator(f"details:has(form[action='{action}']) > summary").click()
        form = ospod.locator(f"form[action='{action}']")
        form.get_by_label("Kvalita (0–100 bodů)").fill("80")
        form.get_by_label("Zdůvodnění").fill("Tým i postup odpovídají zadání.")
        click_and_wait(form.get_by_role("button", name="Uložit hodnocení"))
        assert "hodnocení" in flash(ospod).lower(), ospod.content()
    click_and_wait(ospod.get_by_role("button", name="Zadat nejlépe hodnocené nabídce"))
    assert "zadán" in flash(ospod).lower(), ospod.content()
    shot(ospod, "07-awarded")
    value = Decimal("472") * 40  # the replaced bid's price wins: 472 × 40
    assert money(value) in text(ospod)

    # The winner reports a month's delivery; OSPOD confirms it.
    second.goto(f"/demands/{demand_id}")
    click_and_wait(second.get_by_role("link", name=re.compile(r"^DS-")))
    subcontract_url = second.url
    second.get_by_label("Měsíc").fill(f"{start:%Y-%m}")
    second.get_by_label("Poskytnuté jednotky").fill("10")
    second.get_by_label("Částka (Kč bez DPH)").fill("4 720")
    click_and_wait(second.get_by_role("button", name="Vykázat čerpání"))
    assert "vykázáno" in flash(second), second.content()
    shot(second, "08-drawdown-reported")
    ospod.goto(subcontract_url)
    click_and_wait(ospod.get_by_role("button", name=re.compile("^Potvrdit")).first)
    assert "potvrzeno" in flash(ospod).lower(), ospod.content()
    shot(ospod, "09-drawdown-confirmed")

    # The parties take the documents: the provider its sub-contract, OSPOD the protocol, as real PDFs
    # whose text names the sub-contract, the minitender and the value.
    second.goto(subcontract_url)
    link = second.get_by_role("link", name=re.compile(r"^Dílčí smlouva DS-.*\(PDF\)$"))
    number = link.inner_text().split()[2]
    contract = second.context.request.get(link.get_attribute("href"))
    assert contract.status == 200 and contract.headers["content-type"] == "application/pdf"
    contract_text = pdf_text(contract.body())
    assert number in contract_text and money(value).replace("\xa0", " ") in contract_text
    ospod.goto(f"/demands/{demand_id}")
    protocol = ospod.context.request.get(ospod.get_by_role("link", name="Protokol (PDF)").get_attribute("href"))
    assert protocol.status == 200 and number in pdf_text(protocol.body())

    # The kraj official sees it in the dashboard and takes the Excel file.
    kraj = log_in(browser, server, "kraj.pak@demo.cz")
    kraj.goto("/reports/spend?orp=5309")
    page = text(kraj)
    assert money(value) in page and money(Decimal("4720")) in page
    shot(kraj, "10-dashboard")
    with kraj.expect_download() as download:
        kraj.get_by_role("link", name=re.compile("Excel")).first.click()
    path = SHOTS / "spend.xlsx"
    download.value.save_as(path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[0] == "Souhrn"
    rows = [row for row in workbook["Souhrn"].iter_rows(values_only=True) if row and row[0] == "Pardubický kraj"]
    assert [(row[2], Decimal(str(row[3])), Decimal(str(row[4]))) for row in rows] == [(1, value, Decimal("4720"))]
    for page in (ospod, first, second, kraj):
        page.context.close()
    assert server.errors_in_log() == []


def submit_bid(page, demand_id: int, unit_price: str, attachment: str | None = None) -> None:
    page.goto(f"/demands/{demand_id}/bid")
    if attachment:
        page.get_by_label(re.compile("^Přílohy")).set_input_files(
            [{"name": attachment, "mimeType": "application/pdf", "buffer": MINIMAL_PDF}]
        )
    type_into(page, "#unit_price", unit_price)
    type_into(page, "#team", "Dva sociální pracovníci s praxí v terénní práci s rodinami.")
    type_into(page, "#approach", "Návštěvy dvakrát týdně, plán podpory s rodinou, vyhodnocení po třech měsících.")
    tab_to(page, "#submit")
    press_and_wait(page)
    assert "Nabídka je" in flash(page), page.content()
