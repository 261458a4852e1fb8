"""The start page "Co na vás čeká": what waits for each role, counted, most urgent first, each row a
link; sealed bids stay sealed there; a provider's results are new since its last visit; and a role's
page costs the same number of statements however many rows wait."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.auth.models import LoginFailures, Role, User
from minitendr.bids.service import score_bid
from minitendr.contracts.service import reject_drawdown, report_drawdown
from minitendr.db import db
from minitendr.demands import evaluation
from minitendr.demands.models import Demand
from minitendr.demands.service import answer, ask, cancel
from minitendr.frameworks.models import FrameworkContract
from minitendr.home.agenda import agenda
from minitendr.notifications.models import OutboxEmail
from minitendr.providers.models import Provider
from minitendr.reports.models import ExportJob, JobStatus
from tests.conftest import SQLITE_PLANS
from tests.factories import ProviderFactory, UserFactory, make_bid, make_demand, make_framework, seat_committee

pytestmark = pytest.mark.usefixtures("monday")
AFTER_DEADLINE = dt.datetime(2026, 12, 7, 12, 30, tzinfo=clock.PRAGUE)  # the default deadline is 7. 12. 12:00


@dataclass
class World:
    """An open minitender of OSPOD Pardubice under a framework of Pardubický kraj with two parties:
    the persona provider and ``rival`` (its user ``rival_user``)."""

    framework: FrameworkContract
    demand: Demand
    rival: Provider
    rival_user: User


@pytest.fixture
def world(personas, kraj_pak) -> World:
    rival = ProviderFactory(name="Soupeř, z.ú.")
    return World(
        rival_user=UserFactory(email="soupeř@test.cz", role=Role.PROVIDER, provider=rival),
        framework=make_framework(kraj_pak, providers=[personas.provider.provider, rival]),
        demand=make_demand(personas.ospod, publish=True),
        rival=rival,
    )


def section(page: str, key: str) -> str:
    """The HTML of one item of the start page."""
    match = re.search(rf'<section class="col" id="agenda-{key}".*?</section>', page, re.S)
    assert match is not None, f"no item {key} on the start page"
    return match.group(0)


def count_of(page: str, key: str) -> int:
    match = re.search(r'data-count="(\d+)"', section(page, key))
    return int(match.group(1)) if match else 0


def start_page(login, user) -> str:
    response = login(user).get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def item(user, key: str):
    return next(i for i in agenda(user) if i.key == key)


# --- OSPOD ------------------------------------------------------------------------------------------
def test_ospod_sees_questions_to_answer_with_a_link_to_the_minitender(login, personas, world):
    ask(world.demand, world.rival, "Lze službu poskytovat i o víkendu?")
    page = start_page(login, personas.ospod)
    questions = section(page, "questions")
    assert count_of(page, "questions") == 1
    assert f'href="/demands/{world.demand.id}"' in questions
    assert "Soupeř" not in page, "who asked is not told"
    answer(world.demand.clarifications[0], "Ano, po dohodě s rodinou.")
    assert count_of(start_page(login, personas.ospod), "questions") == 0


def test_ospod_sees_minitenders_past_the_deadline_to_evaluate_first(login, personas, world):
    make_bid(world.demand, personas.provider.provider)
    before = start_page(login, personas.ospod)
    assert count_of(before, "evaluate") == 0
    with clock.frozen_at(AFTER_DEADLINE):
        page = start_page(login, personas.ospod)
    evaluate = section(page, "evaluate")
    assert count_of(page, "evaluate") == 1
    assert world.demand.number in evaluate and f'href="/demands/{world.demand.id}"' in evaluate
    assert "1 nabídka" in evaluate  # past the deadline the office counts its bids (never names them)
    # Work that waits comes first.
    keys = re.findall(r'<section class="col" id="agenda-(\w+)"', page)
    assert keys[0] == "evaluate"


def test_another_ospod_sees_nothing_of_this_orp(login, personas, world):
    ask(world.demand, world.rival, "Dotaz?")
    with clock.frozen_at(AFTER_DEADLINE):
        page = start_page(login, personas.ospod_other)
    assert world.demand.number not in page
    assert count_of(page, "evaluate") == 0 and count_of(page, "questions") == 0


def awarded(personas, world, *bidders) -> Demand:
    """``world.demand`` decided after its deadline: ``bidders`` bid, the first wins."""
    for provider in bidders:
        make_bid(world.demand, provider)
    with clock.frozen_at(AFTER_DEADLINE):
        seat_committee(world.demand, personas.ospod)
        evaluation.open_envelopes(world.demand, personas.ospod)
        for bid in world.demand_bids():
            score_bid(bid, 90 if bid.provider_id == bidders[0].id else 40, "Odůvodnění.", by=personas.ospod)
        evaluation.award(world.demand, personas.ospod)
    db.session.flush()
    return world.demand


def _bids(self):
    from minitendr.bids.models import Bid

    return db.session.scalars(sa.select(Bid).where(Bid.demand_id == self.demand.id)).all()


World.demand_bids = _bids  # type: ignore[attr-defined]


def test_ospod_sees_drawdowns_to_confirm_and_contracts_ending_soon(login, personas, world):
    awarded(personas, world, personas.provider.provider)
    subcontract = evaluation.subcontract_of(world.demand)
    end = subcontract.end_date
    with clock.frozen_at(dt.datetime.combine(end - dt.timedelta(days=10), dt.time(12), tzinfo=clock.PRAGUE)):
        report_drawdown(
            subcontract,
            personas.provider.provider,
            period=subcontract.start_date,
            units=Decimal("2"),
            amount=subcontract.unit_price * 2,
        )
        page = start_page(login, personas.ospod)
    assert count_of(page, "drawdowns") == 1
    assert f'href="/subcontracts/{subcontract.id}"' in section(page, "drawdowns")
    assert count_of(page, "ending") == 1
    assert subcontract.number in section(page, "ending")


@SQLITE_PLANS
def test_the_drawdowns_to_confirm_are_read_in_order_from_the_index_of_their_state(login, personas):
    """SQLite plans by the shape of a query (PostgreSQL by its statistics): the count and the first rows
    walk the waiting drawdowns, the longest waiting first, from the index on (status, reported_at, id),
    each joined to its sub-contract by key: no drawdown table read whole, nothing sorted."""
    ran: list[tuple[str, object]] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        if re.search(r"\bFROM drawdown JOIN subcontract\b", statement):
            ran.append((statement, parameters))

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        start_page(login, personas.ospod)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(ran) == 2, ran  # the bounded count and the first rows
    for statement, parameters in ran:
        rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        plan = "\n".join(row[-1] for row in rows)
        waiting = r"SEARCH drawdown USING (COVERING )?INDEX ix_drawdown_status_reported \(status=\?\)"
        assert re.search(waiting, plan), plan
        assert "TEMP B-TREE" not in plan and not re.search(r"^SCAN drawdown", plan, re.MULTILINE), plan


def test_ospod_sees_an_unsuccessful_minitender_to_reissue_until_it_is_reissued(login, personas, world):
    with clock.frozen_at(AFTER_DEADLINE):
        seat_committee(world.demand, personas.ospod)
        evaluation.open_envelopes(world.demand, personas.ospod)
        evaluation.close_unsuccessful(world.demand, personas.ospod, "Žádná nabídka nepřišla.")
        page = start_page(login, personas.ospod)
        assert count_of(page, "reissues") == 1
        assert world.demand.number in section(page, "reissues")
        evaluation.reissue(world.demand, personas.ospod)
        db.session.flush()
        again = start_page(login, personas.ospod)
        assert count_of(again, "reissues") == 0, section(again, "reissues")


def test_a_cancelled_draft_is_no_reissue(login, personas, world):
    draft = make_demand(personas.ospod)
    cancel(draft, "Rodina se odstěhovala.")
    page = start_page(login, personas.ospod)
    assert draft.number not in section(page, "reissues")


# --- provider ---------------------------------------------------------------------------------------
def test_provider_sees_open_invitations_with_deadline_and_time_left(login, personas, world):
    page = start_page(login, personas.provider)
    invitations = section(page, "invitations")
    assert count_of(page, "invitations") == 1
    assert world.demand.number in invitations and f'href="/demands/{world.demand.id}"' in invitations
    assert "zbývá" in invitations and "lhůta" in invitations


def test_a_provider_not_invited_sees_no_invitation(login, personas, world):
    page = start_page(login, personas.interloper)
    assert world.demand.number not in page
    assert count_of(page, "invitations") == 0


def test_provider_sees_its_own_bid_and_never_a_rivals(login, personas, world):
    make_bid(world.demand, world.rival)
    page = start_page(login, personas.provider)
    assert count_of(page, "bids") == 0, "the rival's bid is not the provider's"
    make_bid(world.demand, personas.provider.provider)
    page = start_page(login, personas.provider)
    assert count_of(page, "bids") == 1
    assert world.demand.number in section(page, "bids")


def test_nobody_learns_before_the_deadline_who_bid_or_how_many(login, personas, world):
    make_bid(world.demand, world.rival)
    for persona in (personas.provider, personas.kraj, personas.ministry, personas.admin):
        page = start_page(login, persona)
        assert "Soupeř" not in page, persona.email
        if persona.role is Role.KRAJ:
            assert world.demand.number not in section(page, "single_bid")
    # OSPOD is told nothing about bids on its start page at all before the deadline.
    page = start_page(login, personas.ospod)
    assert "Soupeř" not in page and "nabíd" not in section(page, "evaluate")


def test_kraj_sees_a_single_bid_minitender_once_its_deadline_has_passed(login, personas, world):
    make_bid(world.demand, world.rival)
    assert world.demand.number not in section(start_page(login, personas.kraj), "single_bid")
    with clock.frozen_at(AFTER_DEADLINE):
        page = start_page(login, personas.kraj)
        assert world.demand.number in section(page, "single_bid")
        assert "Soupeř" not in page, "who bid is not the start page's business"
        assert world.demand.number not in start_page(login, personas.kraj_other)


def test_provider_sees_results_since_its_last_visit_of_an_earlier_day(login, personas, world):
    start_page(login, personas.provider)
    awarded(personas, world, personas.provider.provider, world.rival)
    with clock.frozen_at(AFTER_DEADLINE + dt.timedelta(hours=1)):
        page = start_page(login, personas.provider)
        results = section(page, "results")
        assert count_of(page, "results") == 1 and "vybrána" in results
        assert world.demand.number in results
        rival_page = start_page(login, world.rival_user)
        assert "nevybrána" in section(rival_page, "results")
    with clock.frozen_at(AFTER_DEADLINE + dt.timedelta(hours=2)):
        assert count_of(start_page(login, personas.provider), "results") == 1, "new all day long"
    with clock.frozen_at(AFTER_DEADLINE + dt.timedelta(days=1)):
        assert count_of(start_page(login, personas.provider), "results") == 0, "seen on an earlier day"


def test_provider_sees_rejected_drawdowns_and_unreported_months(login, personas, world):
    awarded(personas, world, personas.provider.provider)
    subcontract = evaluation.subcontract_of(world.demand)
    first = subcontract.start_date.replace(day=1)
    later = dt.datetime.combine(first + dt.timedelta(days=75), dt.time(12), tzinfo=clock.PRAGUE)
    with clock.frozen_at(later):
        page = start_page(login, personas.provider)
        # Two whole months have passed since the start, neither reported.
        assert count_of(page, "unreported") == 2
        assert f"{first.month}/{first.year}" in section(page, "unreported")
        drawdown = report_drawdown(
            subcontract, personas.provider.provider, period=first, units=Decimal("2"), amount=subcontract.unit_price * 2
        )
        reject_drawdown(drawdown, "Neodpovídá výkazu.")
        page = start_page(login, personas.provider)
        assert count_of(page, "rejected") == 1 and "Neodpovídá výkazu." in section(page, "rejected")
        assert count_of(page, "unreported") == 2, "a rejected month is still to report"
        report_drawdown(
            subcontract, personas.provider.provider, period=first, units=Decimal("2"), amount=subcontract.unit_price * 2
        )
        page = start_page(login, personas.provider)
        assert count_of(page, "rejected") == 0 and count_of(page, "unreported") == 1
        assert subcontract.number not in start_page(login, personas.interloper)


# --- kraj, ministry, admin --------------------------------------------------------------------------
def test_kraj_sees_frameworks_near_their_end(login, personas, world, kraj_pak):
    ending = make_framework(
        kraj_pak,
        "pobytove",
        [world.rival],
        number="RS-PAK-KONCI",
        valid_from=clock.today() - dt.timedelta(days=700),
        valid_to=clock.today() + dt.timedelta(days=20),
    )
    page = start_page(login, personas.kraj)
    frameworks = section(page, "frameworks")
    assert "RS-PAK-KONCI" in frameworks and f'href="/frameworks/{ending.id}"' in frameworks
    assert world.framework.number not in frameworks, "two years to go and nothing drawn"
    assert "RS-PAK-KONCI" not in start_page(login, personas.kraj_other)


def test_kraj_sees_a_framework_near_its_ceiling(login, personas, world):
    awarded(personas, world, personas.provider.provider)
    subcontract = evaluation.subcontract_of(world.demand)
    world.framework.ceiling = (subcontract.value / Decimal("0.95")).quantize(Decimal("0.01"))
    db.session.flush()
    with clock.frozen_at(AFTER_DEADLINE):
        frameworks = section(start_page(login, personas.kraj), "frameworks")
    assert world.framework.number in frameworks and "95,0 %" in frameworks


def test_kraj_and_ministry_see_subcontracts_due_for_the_registry(login, personas, world):
    awarded(personas, world, personas.provider.provider)
    subcontract = evaluation.subcontract_of(world.demand)
    if not subcontract.requires_registry:
        subcontract.value = Decimal("60000.00")
        db.session.flush()
    late = dt.datetime.combine(subcontract.signed_on + dt.timedelta(days=40), dt.time(12), tzinfo=clock.PRAGUE)
    with clock.frozen_at(late):
        for persona in (personas.kraj, personas.ministry):
            registry = section(start_page(login, persona), "registry")
            assert subcontract.number in registry and "po lhůtě" in registry
        assert subcontract.number not in start_page(login, personas.kraj_other)


def test_admin_sees_inactive_accounts_failed_emails_and_failed_exports(login, personas):
    db.session.add(
        OutboxEmail(recipient="x@test.cz", subject="Nedoručeno", body=".", attempts=5, last_error="SMTP nedostupné")
    )
    db.session.add(OutboxEmail(recipient="y@test.cz", subject="Čeká", body="."))
    db.session.add(ExportJob(user_id=personas.kraj.id, kind="spend", status=JobStatus.FAILED, error="chyba"))
    db.session.add(LoginFailures(key="k" * 64, failures=50, first_failure_at=clock.now(), last_failure_at=clock.now()))
    db.session.flush()
    page = start_page(login, personas.admin)
    assert count_of(page, "emails") == 1 and "Nedoručeno" in section(page, "emails")
    assert "Čeká" not in page
    assert count_of(page, "exports") == 1 and personas.kraj.email in section(page, "exports")
    assert count_of(page, "inactive") == 1 and personas.inactive.email in section(page, "inactive")
    assert count_of(page, "locked") == 1


@pytest.mark.parametrize("persona", ["admin", "ministry", "kraj", "ospod", "provider"])
def test_every_row_of_every_start_page_is_a_link_that_opens(login, personas, objects, persona):
    user = personas[persona]
    page = start_page(login, user)
    assert "Co na vás čeká" in page
    links = set(re.findall(r'<section class="col".*?</section>', page, re.S))
    hrefs = {href for block in links for href in re.findall(r'href="([^"]+)"', block)}
    assert hrefs
    client = login(user)
    for href in sorted(hrefs):
        assert client.get(href.replace("&amp;", "&")).status_code == 200, f"{persona}: {href}"


@pytest.mark.parametrize("persona", ["ospod", "provider", "kraj", "admin"])
def test_a_start_page_costs_the_same_statements_however_many_rows_wait(login, personas, world, statements, persona):
    user = personas[persona]
    client = login(user)
    client.get("/")
    with statements() as few:
        client.get("/")
    for _ in range(4):
        demand = make_demand(personas.ospod, publish=True)
        ask(demand, world.rival, "Dotaz?")
        make_bid(demand, personas.provider.provider)
    db.session.add(OutboxEmail(recipient="x@test.cz", subject="S", body=".", last_error="chyba"))
    db.session.flush()
    with statements() as many:
        client.get("/")
    assert len(many) == len(few), f"{persona}: {len(few)} statements with few rows, {len(many)} with more"


# --- the provider's list of minitenders: its own bid and the result ----------------------------------
def own_bid_cell(page: str, demand: Demand) -> str:
    row = re.search(rf'<tr>\s*<td><a href="/demands/{demand.id}">.*?</tr>', page, re.S)
    assert row is not None, f"no row of {demand.number}"
    return re.findall(r"<td>(.*?)</td>", row.group(0), re.S)[-1]


def test_provider_list_shows_its_own_bid_and_price_never_a_rivals(login, personas, world):
    make_bid(world.demand, world.rival, unit_price="600")
    page = login(personas.provider).get("/demands/").get_data(as_text=True)
    assert "Vaše nabídka" in page
    assert "bez nabídky" in own_bid_cell(page, world.demand)
    assert "24\xa0000,00\xa0Kč" not in page, "the rival's price (600 × 40)"
    make_bid(world.demand, personas.provider.provider, unit_price="500")
    cell = own_bid_cell(login(personas.provider).get("/demands/").get_data(as_text=True), world.demand)
    assert "podána" in cell and "20\xa0000,00\xa0Kč" in cell
    rival_cell = own_bid_cell(login(world.rival_user).get("/demands/").get_data(as_text=True), world.demand)
    assert "24\xa0000,00\xa0Kč" in rival_cell and "20\xa0000,00" not in rival_cell
    officials = login(personas.ospod).get("/demands/").get_data(as_text=True)
    assert "Vaše nabídka" not in officials and "20\xa0000,00" not in officials


def test_provider_list_shows_the_result(login, personas, world):
    awarded(personas, world, personas.provider.provider, world.rival)
    with clock.frozen_at(AFTER_DEADLINE):
        winner = own_bid_cell(login(personas.provider).get("/demands/").get_data(as_text=True), world.demand)
        loser = own_bid_cell(login(world.rival_user).get("/demands/").get_data(as_text=True), world.demand)
    assert "vybrána" in winner and "nevybrána" not in winner
    assert "nevybrána" in loser


def test_provider_list_loads_its_bids_in_constant_statements(login, personas, world, statements):
    make_bid(world.demand, personas.provider.provider)
    client = login(personas.provider)
    with statements() as few:
        client.get("/demands/?status=published")
    for _ in range(3):
        make_bid(make_demand(personas.ospod, publish=True), personas.provider.provider)
    with statements() as many:
        page = client.get("/demands/?status=published").get_data(as_text=True)
    assert page.count("podána") >= 4
    assert len(many) == len(few)
