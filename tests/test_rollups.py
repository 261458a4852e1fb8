"""The running totals behind the reports, under any story: random sequences of publications and bids
(withdrawn, replaced), awards, unsuccessful ends, cancellations, reissues, amendments up and down
(across the register of contracts' threshold), publications in the register, drawdowns confirmed
and rejected, terminations and completions — all through the real services — and
after each story every total equals the bare aggregate over the records (written here in SQL of its
own, not by the rebuild), a rebuild gives the same rows, and the competition the report shows about
each provider counts exactly the minitenders it bid in whose deadline has passed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minitendr import clock
from minitendr.auth.models import User
from minitendr.bids import service as bids
from minitendr.bids.models import Bid, BidStatus
from minitendr.committee import service as committee
from minitendr.contracts import service as contracts
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract
from minitendr.contracts.queries import registry_overview
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.demands import service as demands
from minitendr.demands.models import Demand, DemandStatus
from minitendr.frameworks.service import committed_amount
from minitendr.providers.models import Provider
from minitendr.reports import service, summary
from tests.factories import ProviderFactory, make_bid, make_demand, make_framework, seat_committee

# A Monday in November: a story of a few months crosses the new year, so totals of two years differ.
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=clock.PRAGUE)
CENT = Decimal("0.01")
PRICES = ("300", "450", "700", "900")  # × 40 units: 12 000 – 36 000 Kč a bid


# --- the bare aggregates -------------------------------------------------------------------------
def expressions(dialect: str) -> dict[str, str]:
    """The few date expressions that differ between the databases, as SQL templates."""
    if dialect == "postgresql":
        return {
            "year": "CAST(EXTRACT(YEAR FROM {}) AS INTEGER)",
            "utc_year": "CAST(EXTRACT(YEAR FROM {} AT TIME ZONE 'UTC') AS INTEGER)",
            "month": "to_char({}, 'YYYY-MM')",
            "epoch": "CAST(floor(EXTRACT(EPOCH FROM {})) AS BIGINT)",
        }
    return {
        "year": "CAST(strftime('%Y', {}) AS INTEGER)",
        "utc_year": "CAST(strftime('%Y', {}) AS INTEGER)",
        "month": "strftime('%Y-%m', {})",
        "epoch": "CAST(strftime('%s', {}) AS INTEGER)",
    }


def bare_aggregates(dialect: str) -> dict[str, tuple[str, str]]:
    """Per running total: its columns, and the SQL computing its rows from the records alone."""
    e = expressions(dialect)
    signed = e["year"].format("s.signed_on")
    published = e["utc_year"].format("d.published_at")
    tenths = f"({e['epoch'].format('d.decided_at')} - {e['epoch'].format('d.published_at')}) / 8640"
    drawn = "(SELECT sum(dd.amount) FROM drawdown dd WHERE dd.subcontract_id = s.id AND dd.status = 'confirmed')"
    live = "(SELECT count(*) FROM bid lb WHERE lb.demand_id = d.id AND lb.status NOT IN ('withdrawn', 'replaced'))"
    money = f"count(*), sum(s.value), coalesce(sum({drawn}), 0)"
    spend = "FROM subcontract s JOIN orp o ON o.id = s.orp_id"
    decided = "d.status IN ('awarded', 'unsuccessful')"
    # The minitenders a provider bid in (a live bid), decided — after their deadline, so never sealed.
    took_part = (
        "FROM bid b JOIN demand d ON d.id = b.demand_id WHERE b.status NOT IN ('withdrawn', 'replaced') "
        f"AND {decided} AND d.deadline <= :now"
    )
    competition = (
        f"count(*), sum({live}), sum(CASE WHEN {live} = 1 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN d.status = 'unsuccessful' THEN 1 ELSE 0 END)"
    )
    return {
        "spend_summary": (
            "framework_id, orp_id, category_id, provider_id, year, contracts, contracted, drawn",
            f"SELECT s.framework_id, s.orp_id, s.category_id, s.provider_id, {signed}, {money} {spend} "
            f"GROUP BY s.framework_id, s.orp_id, s.category_id, s.provider_id, {signed}",
        ),
        "spend_kraj": (
            "kraj_id, category_id, year, contracts, contracted, drawn",
            f"SELECT o.kraj_id, s.category_id, {signed}, {money} {spend} GROUP BY o.kraj_id, s.category_id, {signed}",
        ),
        "spend_orp": (
            "kraj_id, orp_id, category_id, year, contracts, contracted, drawn",
            f"SELECT o.kraj_id, s.orp_id, s.category_id, {signed}, {money} {spend} "
            f"GROUP BY o.kraj_id, s.orp_id, s.category_id, {signed}",
        ),
        "spend_provider": (
            "kraj_id, category_id, year, provider_id, contracts, contracted, drawn",
            f"SELECT o.kraj_id, s.category_id, {signed}, s.provider_id, {money} {spend} "
            f"GROUP BY o.kraj_id, s.category_id, {signed}, s.provider_id",
        ),
        "spend_kraj_month": (
            "kraj_id, category_id, year, month, contracted, drawn",
            "SELECT o.kraj_id, category_id, year, month, sum(contracted), sum(drawn) FROM ("
            f"SELECT s.orp_id, s.category_id, {signed} AS year, {e['month'].format('s.signed_on')} AS month, "
            "s.value AS contracted, 0 AS drawn FROM subcontract s UNION ALL "
            f"SELECT s.orp_id, s.category_id, {signed}, {e['month'].format('dd.period')}, 0, dd.amount "
            "FROM drawdown dd JOIN subcontract s ON s.id = dd.subcontract_id WHERE dd.status = 'confirmed'"
            ") moves JOIN orp o ON o.id = moves.orp_id GROUP BY o.kraj_id, category_id, year, month",
        ),
        "spend_provider_total": (
            "provider_id, contracts, contracted, drawn",
            f"SELECT s.provider_id, {money} {spend} GROUP BY s.provider_id",
        ),
        "registry_pending": (
            "orp_id, count, value",
            "SELECT s.orp_id, count(*), sum(s.value) FROM subcontract s "
            "WHERE s.value > 50000 AND s.registry_id IS NULL GROUP BY s.orp_id",
        ),
        "framework_spend": (
            "framework_id, year, committed, drawn",
            f"SELECT s.framework_id, {signed}, sum(s.value), coalesce(sum({drawn}), 0) FROM subcontract s "
            f"GROUP BY s.framework_id, {signed}",
        ),
        "spend_month": (
            "orp_id, category_id, year, month, contracted, drawn",
            "SELECT orp_id, category_id, year, month, sum(contracted), sum(drawn) FROM ("
            f"SELECT s.orp_id, s.category_id, {signed} AS year, {e['month'].format('s.signed_on')} AS month, "
            "s.value AS contracted, 0 AS drawn FROM subcontract s UNION ALL "
            f"SELECT s.orp_id, s.category_id, {signed}, {e['month'].format('dd.period')}, 0, dd.amount "
            "FROM drawdown dd JOIN subcontract s ON s.id = dd.subcontract_id WHERE dd.status = 'confirmed'"
            ") moves GROUP BY orp_id, category_id, year, month",
        ),
        "competition_summary": (
            "orp_id, category_id, year, published, decided, bids, single_bid, unsuccessful",
            f"SELECT d.orp_id, d.category_id, {published}, count(*), "
            f"sum(CASE WHEN {decided} THEN 1 ELSE 0 END), sum(CASE WHEN {decided} THEN {live} ELSE 0 END), "
            f"sum(CASE WHEN {decided} AND {live} = 1 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN d.status = 'unsuccessful' THEN 1 ELSE 0 END) "
            f"FROM demand d WHERE d.published_at IS NOT NULL GROUP BY d.orp_id, d.category_id, {published}",
        ),
        "award_duration": (
            "orp_id, category_id, year, tenths, awards",
            f"SELECT d.orp_id, d.category_id, {published}, {tenths}, count(*) FROM demand d "
            f"WHERE d.status = 'awarded' GROUP BY d.orp_id, d.category_id, {published}, {tenths}",
        ),
        "provider_competition": (
            "provider_id, orp_id, category_id, year, decided, bids, single_bid, unsuccessful",
            f"SELECT b.provider_id, d.orp_id, d.category_id, {published}, {competition} {took_part} "
            f"GROUP BY b.provider_id, d.orp_id, d.category_id, {published}",
        ),
        "provider_award_duration": (
            "provider_id, orp_id, category_id, year, tenths, awards",
            f"SELECT b.provider_id, d.orp_id, d.category_id, {published}, {tenths}, count(*) {took_part} "
            f"AND d.status = 'awarded' GROUP BY b.provider_id, d.orp_id, d.category_id, {published}, {tenths}",
        ),
    }


def _plain(row) -> tuple:
    """A row with every number as Decimal to the haléř (SQLite may answer a sum as a float)."""
    return tuple(Decimal(str(v)).quantize(CENT) if isinstance(v, int | float | Decimal) else v for v in row)


def rows(sql: str, **params) -> set[tuple]:
    return {_plain(row) for row in db.session.execute(sa.text(sql), params)}


def differences_from_the_records() -> dict[str, tuple[set, set]]:
    """Per running total whose rows differ from the bare aggregate: (only kept, only in the records)."""
    found = {}
    for table, (columns, aggregate) in bare_aggregates(summary.dialect_name()).items():
        kept = rows(f"SELECT {columns} FROM {table}")
        computed = rows(aggregate, now=clock.now())
        if kept != computed:
            found[table] = (kept - computed, computed - kept)
    return found


# --- the story -----------------------------------------------------------------------------------
@dataclass
class Story:
    """What one example has made so far, and the moment it has reached (time only moves forward)."""

    offices: list  # the OSPOD users of two ORPs in two kraje
    providers: list
    now: dt.datetime = START
    demands: list = field(default_factory=list)
    subcontracts: list = field(default_factory=list)

    def wait(self, delta: dt.timedelta) -> None:
        self.now += delta

    def until(self, moment: dt.datetime) -> None:
        self.now = max(self.now, moment)

    def pick(self, things: list, n: int):
        return things[n % len(things)] if things else None

    def office_of(self, demand: Demand):
        return next(office for office in self.offices if office.orp_id == demand.orp_id)

    def pending(self) -> list[Drawdown]:
        ids = [subcontract.id for subcontract in self.subcontracts]
        stmt = sa.select(Drawdown).where(Drawdown.subcontract_id.in_(ids), Drawdown.status == DrawdownStatus.SUBMITTED)
        return list(db.session.scalars(stmt.order_by(Drawdown.id)))


def publish(story: Story, demand: Demand, bidders: list[tuple[int, str, int]]) -> None:
    """Publish (if still a draft), and let the providers bid: some withdraw, some replace their bid."""
    if demand.is_draft:
        demands.publish(demand)
    story.demands.append(demand)
    for n, fate, price in bidders:
        provider = story.providers[n]
        if bids.live_bid(demand, provider.id) is not None:
            continue
        bid = make_bid(demand, provider, PRICES[price])
        if fate == "withdraw":
            bids.withdraw_bid(bid)
        elif fate == "replace":
            make_bid(demand, provider, PRICES[(price + 1) % len(PRICES)])


def decide(story: Story, demand: Demand, award: bool, score: int) -> None:
    """After the deadline: open the envelopes and award the best bid (the ceiling may refuse it), or
    exclude every bid and end the minitender as unsuccessful."""
    if demand.status is not DemandStatus.PUBLISHED:
        return
    story.until(demand.published_deadline + dt.timedelta(hours=1))
    with clock.frozen_at(story.now):
        office = story.office_of(demand)
        if evaluation.opening_of(demand) is None:
            if committee.has_live_bids(demand) and not committee.members(demand):
                seat_committee(demand, office)
            evaluation.open_envelopes(demand, office)
        live = [bid for bid in evaluation.live_bids(demand) if bid.status is BidStatus.SUBMITTED]
        if award and live:
            for n, bid in enumerate(live):
                bids.score_bid(bid, (score + 17 * n) % 101, "Splňuje zadání.", by=office)
            story.subcontracts.append(evaluation.award(demand, None))
        else:
            for bid in live:
                bids.exclude_bid(bid, "Nesplňuje zadání.", by=office)
            evaluation.close_unsuccessful(demand, None, "")


def report(story: Story, subcontract: SubContract, month: int, units: int) -> None:
    """The provider reports a month of the service (``month`` months after it started), once the
    month has begun."""
    first = subcontract.start_date.replace(day=1)
    period = (first + dt.timedelta(days=31 * month)).replace(day=1)
    story.until(dt.datetime.combine(max(period, subcontract.start_date), dt.time(10), tzinfo=clock.PRAGUE))
    with clock.frozen_at(story.now):
        contracts.report_drawdown(
            subcontract,
            subcontract.provider,
            period=period,
            units=Decimal(units),
            amount=subcontract.unit_price * units,
        )


def act(story: Story, kind: str, n: int, x: int, bidders: list) -> None:
    """One step of the story at the story's moment (a decision or a report may first wait for its
    deadline, or for the service to start): ``n`` picks what it acts on, ``x`` how."""
    with clock.frozen_at(story.now):
        if kind == "wait":
            story.wait(dt.timedelta(days=1 + x % 40))
        elif kind == "publish":
            publish(story, make_demand(story.offices[n % 2], estimated_max_value=None), bidders)
        elif kind == "decide":
            demand = story.pick([d for d in story.demands if d.status is DemandStatus.PUBLISHED], n)
            if demand is not None:
                decide(story, demand, award=x % 3 != 0, score=x)
        elif kind == "cancel":
            demand = story.pick([d for d in story.demands if d.is_open], n)
            if demand is not None:
                demands.cancel(demand, "Potřeba pominula.")
        elif kind == "reissue":
            demand = story.pick([d for d in story.demands if d.can_be_reissued], n)
            if demand is not None:
                publish(story, evaluation.reissue(demand, story.office_of(demand)), bidders)
        elif kind in ("confirm", "reject"):
            drawdown = story.pick(story.pending(), n)
            if drawdown is not None and kind == "confirm":
                contracts.confirm_drawdown(drawdown)
            elif drawdown is not None:
                contracts.reject_drawdown(drawdown, "Chybí výkaz.")
        else:
            subcontract = story.pick(story.subcontracts, n)
            if subcontract is not None:
                change(story, kind, subcontract, x)


def change(story: Story, kind: str, subcontract: SubContract, x: int) -> None:
    """Report a drawdown of a few units, amend the value up or down, record the publication in the
    register of contracts (refused under the threshold and when recorded already), or end the
    sub-contract (terminate or complete)."""
    if kind == "registry":
        contracts.record_registry(subcontract, str(26_000_000 + x), clock.today())
    elif kind == "report":
        report(story, subcontract, x % 4, 1 + x % 7)
    elif kind == "amend":
        contracts.amend(
            subcontract,
            new_value=subcontract.value + AMENDMENTS[x % len(AMENDMENTS)],
            new_units=subcontract.units,
            new_end_date=subcontract.end_date,
            reason="Změna rozsahu.",
            provider_consent="Souhlas e-mailem.",
            consent_on=clock.today(),
        )
    elif x % 2:
        contracts.terminate(subcontract, "Rodina se odstěhovala.")
    else:
        contracts.complete(subcontract)


AMENDMENTS = tuple(Decimal(a) for a in ("-4000.50", "-500.00", "2500.00", "30000.00"))
# Weighted towards what makes something to change: minitenders published and decided, drawdowns.
KINDS = (
    *("publish",) * 3,
    *("decide",) * 4,
    *("report",) * 4,
    *("confirm",) * 3,
    *("amend",) * 3,
    *("registry",) * 2,
    *("reject", "wait", "cancel", "reissue", "end"),
)
bidders = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["bid", "bid", "withdraw", "replace"]), st.integers(0, 3)),
    min_size=1,
    max_size=3,
)
steps = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 7), st.integers(0, 100), bidders), min_size=12, max_size=40
)


@pytest.fixture
def cast(personas):
    """``cast()``: the offices of Pardubice (Pardubický kraj) and Cheb (Karlovarský), and three
    providers, loaded afresh into the session."""
    offices = [personas.ospod.id, personas.ospod_other.id]
    providers = [personas.provider.provider_id, personas.interloper.provider_id, ProviderFactory().id]

    def _cast() -> tuple[list[User], list[Provider]]:
        return [db.session.get(User, id_) for id_ in offices], [db.session.get(Provider, id_) for id_ in providers]

    return _cast


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story_steps=steps)
def test_every_running_total_equals_the_records_after_any_story(cast, personas, story_steps):
    savepoint = db.session.begin_nested()  # each example on its own, rolled back at its end
    try:
        story = Story(*cast())
        with clock.frozen_at(START):
            frameworks = [
                make_framework(office.orp.kraj, providers=story.providers, ceiling=Decimal(ceiling))
                for office, ceiling in zip(story.offices, ("100000", "60000"), strict=True)
            ]
        for office in (0, 1):  # every story starts with a sub-contract in each kraj
            act(story, "publish", office, 0, [(0, "bid", 1), (1, "bid", 2)])
        for _ in (0, 1):
            act(story, "decide", 0, 1, [])
        for step in story_steps:
            made = len(story.demands), len(story.subcontracts)
            try:
                with db.session.begin_nested():  # a step the rules refuse leaves nothing behind
                    act(story, *step)
            except DomainError:
                del story.demands[made[0] :], story.subcontracts[made[1] :]
        with clock.frozen_at(story.now):
            assert differences_from_the_records() == {}
            kept = summary.snapshot()
            summary.rebuild()
            assert summary.snapshot() == kept
            for framework in frameworks:  # the framework's page reads its total; the ceiling still holds
                assert summary.committed(framework.id) == committed_amount(framework) <= framework.ceiling
            ministry = db.session.get(User, personas.ministry.id)
            for provider in story.providers:
                assert provider_competition(ministry, provider) == took_part(provider)
    finally:
        savepoint.rollback()
        # Rows the example made are gone, but objects loaded from them would linger in the session
        # (and take the ids of the next example's rows): each example starts from a clean session.
        db.session.expunge_all()


def provider_competition(user, provider) -> tuple[int, int]:
    """What the report says about a provider: minitenders it took part in, of them decided."""
    health = service.competition(service.parse_filters({"provider": provider.ico}, user), user)
    return health["published"], health["decided"]


def took_part(provider) -> tuple[int, int]:
    """The same from the records: a live bid, the deadline passed, not cancelled; and of those decided."""
    past = sa.and_(
        Demand.id.in_(sa.select(Bid.demand_id).where(Bid.provider_id == provider.id, summary.LIVE_BID)),
        Demand.deadline <= clock.now(),
    )
    decided = Demand.status.in_([DemandStatus.AWARDED, DemandStatus.UNSUCCESSFUL])
    counts = sa.select(
        sa.func.count(Demand.id).filter(sa.or_(decided, Demand.status == DemandStatus.PUBLISHED)),
        sa.func.count(Demand.id).filter(decided),
    ).where(past)
    published, closed = db.session.execute(counts).one()
    return published, closed


# --- a story told on purpose ---------------------------------------------------------------------
def test_a_known_story_moves_each_total_when_it_should(cast, personas):
    """Bids move nothing before the deadline; the decision counts the bidders; an award, an amendment
    down and a confirmed drawdown move the money; a termination moves nothing."""
    story = Story(*cast())
    providers = story.providers
    with clock.frozen_at(START):
        make_framework(story.offices[0].orp.kraj, providers=providers, ceiling=Decimal("100000"))
    act(story, "publish", 0, 0, [(0, "bid", 1), (1, "replace", 0), (2, "withdraw", 2)])
    with clock.frozen_at(story.now):
        sealed = summary.snapshot()
        assert not sealed["provider_competition"] and provider_competition(personas.ministry, providers[0]) == (0, 0)
    story.until(story.demands[0].published_deadline)  # the deadline passes: now it counts, undecided
    with clock.frozen_at(story.now):
        assert summary.snapshot() == sealed
        assert [provider_competition(personas.ministry, p) for p in providers] == [(1, 0), (1, 0), (0, 0)]
    act(story, "decide", 0, 91, [])  # award
    subcontract = story.subcontracts[0]
    with clock.frozen_at(story.now):
        assert [provider_competition(personas.ministry, p) for p in providers] == [(1, 1), (1, 1), (0, 0)]
        kept = db.session.execute(sa.text("SELECT provider_id, decided, bids, single_bid FROM provider_competition"))
        assert sorted(kept) == [(providers[0].id, 1, 2, 0), (providers[1].id, 1, 2, 0)]
    act(story, "amend", 0, 1, [])  # 500 Kč down
    act(story, "report", 0, 1, [])  # 2 units in its second month
    act(story, "confirm", 0, 0, [])
    with clock.frozen_at(story.now):
        moved = summary.snapshot()
        act(story, "end", 0, 1, [])  # terminated
        assert summary.snapshot() == moved
        assert differences_from_the_records() == {}
    (framework,) = db.session.execute(sa.text("SELECT committed, drawn FROM framework_spend")).all()
    assert _plain(framework) == (subcontract.value, subcontract.unit_price * 2)


def test_a_years_use_of_the_ceilings_is_what_the_sub_contracts_signed_that_year_commit(cast, personas):
    """Sub-contracts of one framework signed in two years, the earlier one amended in the later year and
    drawn from: the dashboard's use of the ceiling for each year, and over all years, equals the
    sub-contracts' values (with amendments) summed by the year they were signed — for the ministry and
    the kraj (from the totals per framework and year) and for the ORP's office (from the sub-contracts)."""
    story = Story(*cast())
    with clock.frozen_at(START):
        framework = make_framework(story.offices[0].orp.kraj, providers=story.providers, ceiling=Decimal("200000"))
    act(story, "publish", 0, 0, [(0, "bid", 1)])
    act(story, "decide", 0, 1, [])  # awarded in November 2026
    story.until(dt.datetime(2027, 1, 11, 9, 0, tzinfo=clock.PRAGUE))
    act(story, "publish", 0, 0, [(1, "bid", 2)])
    act(story, "decide", 0, 1, [])  # awarded in January 2027
    first, second = story.subcontracts
    assert (first.signed_on.year, second.signed_on.year) == (2026, 2027)
    with clock.frozen_at(story.now):
        change(story, "amend", first, 2)  # 2 500 Kč up in 2027: still the use of 2026, when it was signed
    act(story, "report", 0, 1, [])  # of the first
    act(story, "confirm", 0, 0, [])
    confirmed = sa.select(sa.func.count(Drawdown.id)).where(Drawdown.status == DrawdownStatus.CONFIRMED)
    assert db.session.scalar(confirmed.where(Drawdown.subcontract_id == first.id)) == 1
    key = (framework.kraj.code, framework.category.code)
    signed_year = expressions(summary.dialect_name())["year"].format("signed_on")

    def signed_in(year: int | None) -> Decimal:
        where = f"AND {signed_year} = :year" if year else ""
        sql = f"SELECT coalesce(sum(value), 0) FROM subcontract WHERE framework_id = :framework {where}"
        (value,) = _plain((db.session.scalar(sa.text(sql), {"framework": framework.id, "year": year}),))
        return value

    with clock.frozen_at(story.now):
        assert differences_from_the_records() == {}
        assert signed_in(2026) == first.value and signed_in(2027) == second.value  # not vacuous
        for persona in ("ministry", "kraj", "ospod"):
            user = db.session.get(User, personas[persona].id)
            for year in (2026, 2027, None):
                filters = service.parse_filters({"year": str(year)} if year else {}, user)
                used = {(r["kraj_code"], r["category_code"]): r["committed"] for r in service.matrix(filters, user)}
                assert used[key] == signed_in(year), (persona, year)
        assert summary.committed(framework.id) == signed_in(None)


def test_what_awaits_the_register_follows_awards_amendments_and_publications(cast, personas):
    """A sub-contract over 50 000 Kč awaits the register from its award (or from the amendment that
    takes it over) until its publication is recorded, or an amendment takes it back under; an ORP
    with nothing awaiting has no row. The register page shows the kept sums."""
    story = Story(*cast())
    with clock.frozen_at(START):
        make_framework(story.offices[0].orp.kraj, providers=story.providers, ceiling=Decimal("200000"))
    for _ in (0, 1):
        act(story, "publish", 0, 0, [(0, "bid", 3)])  # 36 000 Kč each: under the threshold
        act(story, "decide", 0, 1, [])
    first, second = story.subcontracts
    orp_id = first.orp_id

    def pending() -> list[tuple]:
        return [_plain(row) for row in db.session.execute(sa.text("SELECT orp_id, count, value FROM registry_pending"))]

    def amend(subcontract: SubContract, by: str) -> None:
        with clock.frozen_at(story.now):
            change(story, "amend", subcontract, AMENDMENTS.index(Decimal(by)))

    with clock.frozen_at(story.now):
        assert pending() == []
    amend(first, "30000.00")  # 66 000 Kč: over
    assert pending() == [_plain((orp_id, 1, Decimal("66000.00")))]
    amend(second, "30000.00")
    amend(first, "-4000.50")  # still over: the value follows
    assert pending() == [_plain((orp_id, 2, Decimal("127999.50")))]
    amend(second, "-4000.50")
    amend(second, "-4000.50")
    amend(second, "-4000.50")  # 53 998,50 Kč
    amend(second, "-4000.50")  # 49 998 Kč: back under
    assert pending() == [_plain((orp_id, 1, Decimal("61999.50")))]
    with clock.frozen_at(story.now):
        ministry = db.session.get(User, personas.ministry.id)
        overview = registry_overview(ministry)
        assert [(row.count, row.value) for row in overview.per_orp] == [(1, Decimal("61999.50"))]
        assert [row.id for row in overview.page.items] == [first.id]
        contracts.record_registry(first, "26781234", clock.today())
        assert pending() == []
        with pytest.raises(DomainError):
            contracts.record_registry(first, "26781235", clock.today())
    amend(first, "2500.00")  # published already: nothing awaits
    with clock.frozen_at(story.now):
        assert pending() == []
        assert registry_overview(ministry).per_orp == []
        assert differences_from_the_records() == {}
