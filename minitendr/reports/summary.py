"""Running totals behind the spend dashboard, so that it reads a few thousand summary rows instead of
scanning every sub-contract, drawdown, minitender and bid (a million of each, nationally).

The services keep them in the same transaction as the change itself: an award adds the sub-contract,
an amendment its difference, a confirmed drawdown its amount, a publication and a decision their
counts. Each is one atomic upsert (``INSERT … ON CONFLICT DO UPDATE SET x = x + …``), so concurrent
writers add up instead of overwriting each other. ``rebuild`` computes them afresh from the records
(the migrations that introduced them, and the bulk loader, use it); the tests check that the running
totals always equal a rebuild and the bare aggregates over the records.

Money is kept per framework × ORP × category × provider × year (``SpendSummary``, read through its
ORP or provider index when a report is narrowed to one), per ORP × category × year × month
(``SpendMonth``), per kraj × category × year (``KrajSpend``; with ``OrpSpend``, ``ProviderSpend`` and
``KrajMonth`` per ORP, per provider and per month besides: the national and kraj views), per provider
over everything (``ProviderTotal``, the national ranking) and per framework × year (``FrameworkSpend``,
the ceilings' use: a year's row for a report with a year, its years summed for the whole framework).
What awaits the register of contracts is kept per ORP (``RegistryPending``: moved by an award, an
amendment across the threshold and a recorded publication). Competition is kept per ORP × category × year
(``CompetitionSummary``, ``AwardDuration``) and per provider besides (``ProviderCompetition``,
``ProviderAwardDuration``); the provider's rows move only at a decision, after the deadline, never
when it bids.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from minitendr.bids.models import Bid, BidStatus
from minitendr.contracts.models import REGISTRY_THRESHOLD, Drawdown, DrawdownStatus, SubContract
from minitendr.db import Model, db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.money import to_money
from minitendr.registry.models import Orp
from minitendr.reports.models import (
    AwardDuration,
    CompetitionSummary,
    FrameworkSpend,
    KrajMonth,
    KrajSpend,
    OrpSpend,
    ProviderAwardDuration,
    ProviderCompetition,
    ProviderSpend,
    ProviderTotal,
    RegistryPending,
    SpendMonth,
    SpendSummary,
)

SUMMARIES: tuple[type[Model], ...] = (
    SpendSummary,
    SpendMonth,
    KrajSpend,
    OrpSpend,
    ProviderSpend,
    ProviderTotal,
    KrajMonth,
    FrameworkSpend,
    CompetitionSummary,
    AwardDuration,
    ProviderCompetition,
    ProviderAwardDuration,
    RegistryPending,
)
LIVE_BID = Bid.status.not_in([BidStatus.WITHDRAWN, BidStatus.REPLACED])
SECONDS_PER_TENTH = 8640  # a tenth of a day


# --- the same expressions in both dialects -------------------------------------------------------
def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def month_of(column, dialect: str | None = None) -> sa.ColumnElement[str]:
    """'YYYY-MM' of a date column."""
    if (dialect or dialect_name()) == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def year_of(column, dialect: str, utc: bool = False) -> sa.ColumnElement[int]:
    """The year of a date, or of a UTC timestamp (``utc``), as an integer."""
    if dialect == "postgresql":
        return sa.cast(sa.extract("year", sa.func.timezone("UTC", column) if utc else column), sa.Integer)
    return sa.cast(sa.func.strftime("%Y", column), sa.Integer)


def _epoch(column, dialect: str) -> sa.ColumnElement[int]:
    if dialect == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)
    return sa.cast(sa.func.strftime("%s", column), sa.Integer)


def tenths_between(later, earlier, dialect: str) -> sa.ColumnElement[int]:
    """Whole tenths of a day from ``earlier`` to ``later`` (each taken to the whole second)."""
    return (_epoch(later, dialect) - _epoch(earlier, dialect)) // SECONDS_PER_TENTH


def _tenths(later: dt.datetime, earlier: dt.datetime) -> int:
    return (int(later.timestamp()) - int(earlier.timestamp())) // SECONDS_PER_TENTH


def drawn_per_subcontract() -> sa.Subquery:
    """Confirmed drawdowns summed per sub-contract (what is spent)."""
    return (
        sa.select(Drawdown.subcontract_id, sa.func.sum(Drawdown.amount).label("drawn"))
        .where(Drawdown.status == DrawdownStatus.CONFIRMED)
        .group_by(Drawdown.subcontract_id)
        .subquery()
    )


# --- kept by the services ------------------------------------------------------------------------
# The totals are written by statements and read by queries, never held as objects in a session: an
# UPDATE need not look for its rows among the objects the session holds (SQLAlchemy's default
# "evaluate" does, one pass over the session per statement — quadratic in a long transaction such as
# a seeding or an import).
UNSYNCHRONISED = {"synchronize_session": False}


def _add(model, key: dict, amounts: dict, existing: bool = False) -> None:
    """Add ``amounts`` to the summary row of ``key``, creating it if need be. ``existing``: the row is
    there already (it must be for a decrease, whose negative amounts no new row may hold)."""
    if not existing:
        add_to_rows(model, [key], amounts)
        return
    statement = (
        sa.update(model)
        .where(*(getattr(model, column) == value for column, value in key.items()))
        .values(added(model, amounts))
    )
    db.session.execute(statement, execution_options=UNSYNCHRONISED)


def added(model, amounts: dict) -> dict:
    """The SET of an UPDATE that adds ``amounts`` to the columns they name."""
    return {name: getattr(model, name) + amount for name, amount in amounts.items()}


def add_to_rows(model, keys: list[dict], amounts: dict) -> None:
    """Add ``amounts`` to the summary row of each of ``keys`` (the same columns in each), creating the
    rows not there yet: one atomic upsert, the rows in the order of their keys (so two writers take
    their locks in the same order)."""
    insert = postgresql.insert if dialect_name() == "postgresql" else sqlite.insert
    rows = [{**key, **amounts} for key in sorted(keys, key=lambda key: tuple(key.values()))]
    new_rows = insert(model).values(rows)
    statement = new_rows.on_conflict_do_update(
        index_elements=list(keys[0]),
        set_={name: getattr(model, name) + getattr(new_rows.excluded, name) for name in amounts},
    )
    db.session.execute(statement, execution_options=UNSYNCHRONISED)


def _spend(
    subcontract: SubContract, month: dt.date, contracts: int = 0, contracted=0, drawn=0, existing: bool = False
) -> None:
    """Add to every money total the sub-contract counts in."""
    year = subcontract.signed_on.year
    common = {"orp_id": subcontract.orp_id, "category_id": subcontract.category_id, "year": year}
    amounts = {"contracted": Decimal(contracted), "drawn": Decimal(drawn)}
    counted = {"contracts": contracts, **amounts}
    owner = {"framework_id": subcontract.framework_id, "provider_id": subcontract.provider_id}
    _add(SpendSummary, {**common, **owner}, counted, existing)
    _add(SpendMonth, {**common, "month": f"{month:%Y-%m}"}, amounts, existing)
    kraj = {"kraj_id": subcontract.orp.kraj_id, "category_id": subcontract.category_id, "year": year}
    _add(KrajSpend, kraj, counted, existing)
    _add(OrpSpend, {**kraj, "orp_id": subcontract.orp_id}, counted, existing)
    _add(ProviderSpend, {**kraj, "provider_id": subcontract.provider_id}, counted, existing)
    _add(ProviderTotal, {"provider_id": subcontract.provider_id}, counted, existing)
    _add(KrajMonth, {**kraj, "month": f"{month:%Y-%m}"}, amounts, existing)
    framework = {"committed": amounts["contracted"], "drawn": amounts["drawn"]}
    _add(FrameworkSpend, {"framework_id": subcontract.framework_id, "year": year}, framework, existing)


def _pending(subcontract: SubContract, count: int, value: Decimal, existing: bool) -> None:
    """Add to the ORP's sub-contracts awaiting the register of contracts; an ORP left with none loses
    its row (as a rebuild has none for it)."""
    _add(RegistryPending, {"orp_id": subcontract.orp_id}, {"count": count, "value": Decimal(value)}, existing)
    if count < 0:
        db.session.execute(
            sa.delete(RegistryPending).where(RegistryPending.orp_id == subcontract.orp_id, RegistryPending.count == 0),
            execution_options=UNSYNCHRONISED,
        )


def subcontract_signed(subcontract: SubContract) -> None:
    _spend(subcontract, subcontract.signed_on, contracts=1, contracted=subcontract.value)
    if subcontract.registry_pending:
        _pending(subcontract, 1, subcontract.value, existing=False)


def value_amended(subcontract: SubContract, difference: Decimal) -> None:
    """An amendment's change of value counts in the month the sub-contract was signed; it may also
    bring the sub-contract over the register's threshold, or under it, or change what awaits it."""
    _spend(subcontract, subcontract.signed_on, contracted=difference, existing=True)
    unpublished = subcontract.registry_id is None
    old_value = subcontract.value - difference
    was = unpublished and old_value > REGISTRY_THRESHOLD
    now = unpublished and subcontract.value > REGISTRY_THRESHOLD
    if was or now:
        count = int(now) - int(was)
        value = (subcontract.value if now else Decimal(0)) - (old_value if was else Decimal(0))
        _pending(subcontract, count, value, existing=was)


def registry_recorded(subcontract: SubContract) -> None:
    """Its publication in the register of contracts is recorded: it no longer awaits it."""
    _pending(subcontract, -1, -subcontract.value, existing=True)


def drawdown_confirmed(drawdown: Drawdown) -> None:
    _spend(drawdown.subcontract, drawdown.period, drawn=drawdown.amount)


def framework_committed(framework_id: int | sa.ColumnExpressionArgument[int]) -> sa.ScalarSelect[Decimal]:
    """What a framework's sub-contracts commit: its running totals summed over the years of signing (a
    few rows). ``framework_id`` is an id, or a column the subquery is correlated with."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(FrameworkSpend.committed), 0))
        .where(FrameworkSpend.framework_id == framework_id)
        .scalar_subquery()
    )


def committed(framework_id: int) -> Decimal:
    """What a framework's sub-contracts commit, from its running totals: for display. The ceiling is
    enforced on the sub-contracts themselves, under the framework's lock."""
    return to_money(db.session.scalar(sa.select(framework_committed(framework_id))) or 0)


def _competition_key(demand: Demand) -> dict:
    published_at = demand.published_at
    assert published_at is not None  # only a published minitender is counted
    return {
        "orp_id": demand.orp_id,
        "category_id": demand.category_id,
        "year": published_at.astimezone(dt.UTC).year,
    }


def demand_published(demand: Demand) -> None:
    _add(CompetitionSummary, _competition_key(demand), {"published": 1})


def demand_decided(demand: Demand) -> None:
    """Awarded or unsuccessful: the live bids it was decided on, and how long it took — for its ORP
    and for each provider that bid in it (the deadline has passed: who bid is no longer sealed)."""
    live = list(db.session.scalars(sa.select(Bid.provider_id).where(Bid.demand_id == demand.id, LIVE_BID)))
    bids = len(live)
    # Sorted, so that two decisions touching the same providers' rows take their locks in one order.
    bidders = sorted(set(live))
    key = _competition_key(demand)
    unsuccessful = demand.status is DemandStatus.UNSUCCESSFUL
    counts = {"decided": 1, "bids": bids, "single_bid": int(bids == 1), "unsuccessful": int(unsuccessful)}
    _add(CompetitionSummary, key, counts)
    for provider_id in bidders:
        _add(ProviderCompetition, {"provider_id": provider_id, **key}, counts)
    if demand.status is DemandStatus.AWARDED:
        decided_at, published_at = demand.decided_at, demand.published_at
        assert decided_at is not None and published_at is not None  # an awarded minitender was published and decided
        duration = {**key, "tenths": _tenths(decided_at, published_at)}
        _add(AwardDuration, duration, {"awards": 1})
        for provider_id in bidders:
            _add(ProviderAwardDuration, {"provider_id": provider_id, **duration}, {"awards": 1})


# --- the numbers over the records themselves (for a rebuild) ------------------------------------
DECIDED = (DemandStatus.AWARDED, DemandStatus.UNSUCCESSFUL)


def _live_bids_per_demand() -> sa.Subquery:
    return (
        sa.select(Bid.demand_id, sa.func.count(Bid.id).label("bids")).where(LIVE_BID).group_by(Bid.demand_id).subquery()
    )


def competition_counts(*key) -> sa.Select:
    """Per ``key``: minitenders published, decided, the live bids of the decided ones, those decided
    on a single bid, the unsuccessful."""
    live = _live_bids_per_demand()
    decided = Demand.status.in_(DECIDED)
    bids = sa.func.coalesce(live.c.bids, 0)
    return (
        sa.select(
            *key,
            sa.func.count(Demand.id),
            sa.func.count(Demand.id).filter(decided),
            sa.func.coalesce(sa.func.sum(bids).filter(decided), 0),
            sa.func.count(Demand.id).filter(decided, bids == 1),
            sa.func.count(Demand.id).filter(Demand.status == DemandStatus.UNSUCCESSFUL),
        )
        .select_from(Demand)
        .outerjoin(live, live.c.demand_id == Demand.id)
        .where(Demand.published_at.is_not(None))
        .group_by(*key)
    )


def provider_competition_counts(*key) -> sa.Select:
    """Per ``key`` (which may name ``Bid.provider_id``, the bidder): the decided minitenders a provider
    bid in, their live bids, those decided on a single bid, the unsuccessful."""
    live = _live_bids_per_demand()
    return (
        sa.select(
            *key,
            sa.func.count(Demand.id),
            sa.func.sum(live.c.bids),
            sa.func.count(Demand.id).filter(live.c.bids == 1),
            sa.func.count(Demand.id).filter(Demand.status == DemandStatus.UNSUCCESSFUL),
        )
        .select_from(Demand)
        .join(Bid, sa.and_(Bid.demand_id == Demand.id, LIVE_BID))
        .join(live, live.c.demand_id == Demand.id)
        .where(Demand.status.in_(DECIDED), Demand.published_at.is_not(None))
        .group_by(*key)
    )


def award_durations(dialect: str, *key) -> sa.Select:
    """Per ``key``: how many awarded minitenders took each number of tenths of a day (``tenths``,
    ``awards``). Narrow it with ``.where`` on ``Demand``."""
    tenths = tenths_between(Demand.decided_at, Demand.published_at, dialect).label("tenths")
    return (
        sa.select(*key, tenths, sa.func.count(Demand.id).label("awards"))
        .select_from(Demand)
        .where(Demand.status == DemandStatus.AWARDED)
        .group_by(*key, tenths)
    )


# --- computed afresh -----------------------------------------------------------------------------
def rebuild_statements(dialect: str, models: tuple[type[Model], ...] = SUMMARIES) -> list[sa.Executable]:
    """Empty the summaries ``models`` (all by default) and fill them from the records, in SQL: the finest
    money totals (``SpendSummary``, ``SpendMonth``) and the competition from the records themselves,
    the coarser money totals (per kraj, ORP, provider, framework, kraj and month) from the finest —
    so a rebuild of a coarser one alone trusts the finest as they stand."""
    signed_year = year_of(SubContract.signed_on, dialect)
    confirmed = (
        sa.select(Drawdown.subcontract_id, Drawdown.period, Drawdown.amount)
        .where(Drawdown.status == DrawdownStatus.CONFIRMED)
        .subquery()
    )
    drawn = drawn_per_subcontract()

    def money_by(*key) -> sa.Select:
        """Sub-contracts, their value and what is drawn from them, per ``key``."""
        return (
            sa.select(
                *key,
                sa.func.count(SubContract.id),
                sa.func.sum(SubContract.value),
                sa.func.coalesce(sa.func.sum(drawn.c.drawn), 0),
            )
            .select_from(SubContract)
            .outerjoin(drawn, drawn.c.subcontract_id == SubContract.id)
            .group_by(*key)
        )

    spend = money_by(
        SubContract.framework_id, SubContract.orp_id, SubContract.category_id, SubContract.provider_id, signed_year
    )

    # The coarser money totals are sums of the finer ones (SpendSummary, SpendMonth: a few thousand
    # rows each), never a second pass over the sub-contracts and drawdowns; they are filled after them.
    def totals_by(*key) -> sa.Select:
        return (
            sa.select(
                *key,
                sa.func.sum(SpendSummary.contracts),
                sa.func.sum(SpendSummary.contracted),
                sa.func.sum(SpendSummary.drawn),
            )
            .select_from(SpendSummary)
            .join(Orp, Orp.id == SpendSummary.orp_id)
            .group_by(*key)
        )

    kraj = totals_by(Orp.kraj_id, SpendSummary.category_id, SpendSummary.year)
    orp = totals_by(Orp.kraj_id, SpendSummary.orp_id, SpendSummary.category_id, SpendSummary.year)
    provider = totals_by(Orp.kraj_id, SpendSummary.category_id, SpendSummary.year, SpendSummary.provider_id)
    provider_total = sa.select(
        SpendSummary.provider_id,
        sa.func.sum(SpendSummary.contracts),
        sa.func.sum(SpendSummary.contracted),
        sa.func.sum(SpendSummary.drawn),
    ).group_by(SpendSummary.provider_id)
    by_framework = (SpendSummary.framework_id, SpendSummary.year)
    framework = sa.select(
        *by_framework, sa.func.sum(SpendSummary.contracted), sa.func.sum(SpendSummary.drawn)
    ).group_by(*by_framework)
    # From the partial index of the pending sub-contracts (a few per cent of them).
    pending = (
        sa.select(SubContract.orp_id, sa.func.count(SubContract.id), sa.func.sum(SubContract.value))
        .where(SubContract.registry_pending)
        .group_by(SubContract.orp_id)
    )
    month_key = [SubContract.orp_id, SubContract.category_id, signed_year.label("year")]
    moves = sa.union_all(
        sa.select(
            *month_key,
            month_of(SubContract.signed_on, dialect).label("month"),
            SubContract.value.label("contracted"),
            sa.literal(0).label("drawn"),
        ),
        sa.select(*month_key, month_of(confirmed.c.period, dialect), sa.literal(0), confirmed.c.amount).join(
            SubContract, SubContract.id == confirmed.c.subcontract_id
        ),
    ).subquery()
    by_month = [moves.c.orp_id, moves.c.category_id, moves.c.year, moves.c.month]
    month = sa.select(*by_month, sa.func.sum(moves.c.contracted), sa.func.sum(moves.c.drawn)).group_by(*by_month)
    by_kraj_month = [Orp.kraj_id, SpendMonth.category_id, SpendMonth.year, SpendMonth.month]
    kraj_month = (
        sa.select(*by_kraj_month, sa.func.sum(SpendMonth.contracted), sa.func.sum(SpendMonth.drawn))
        .select_from(SpendMonth)
        .join(Orp, Orp.id == SpendMonth.orp_id)
        .group_by(*by_kraj_month)
    )

    published_year = year_of(Demand.published_at, dialect, utc=True)
    area = (Demand.orp_id, Demand.category_id, published_year)
    competition = competition_counts(*area)
    durations = award_durations(dialect, *area)
    bidder = (Bid.provider_id, *area)
    provider_durations = award_durations(dialect, *bidder).join(Bid, sa.and_(Bid.demand_id == Demand.id, LIVE_BID))
    fill: dict[type[Model], tuple[list[str], sa.Select]] = {
        SpendSummary: (
            ["framework_id", "orp_id", "category_id", "provider_id", "year", "contracts", "contracted", "drawn"],
            spend,
        ),
        SpendMonth: (["orp_id", "category_id", "year", "month", "contracted", "drawn"], month),
        KrajMonth: (["kraj_id", "category_id", "year", "month", "contracted", "drawn"], kraj_month),
        KrajSpend: (["kraj_id", "category_id", "year", "contracts", "contracted", "drawn"], kraj),
        OrpSpend: (["kraj_id", "orp_id", "category_id", "year", "contracts", "contracted", "drawn"], orp),
        ProviderSpend: (
            ["kraj_id", "category_id", "year", "provider_id", "contracts", "contracted", "drawn"],
            provider,
        ),
        ProviderTotal: (["provider_id", "contracts", "contracted", "drawn"], provider_total),
        FrameworkSpend: (["framework_id", "year", "committed", "drawn"], framework),
        RegistryPending: (["orp_id", "count", "value"], pending),
        CompetitionSummary: (
            ["orp_id", "category_id", "year", "published", "decided", "bids", "single_bid", "unsuccessful"],
            competition,
        ),
        AwardDuration: (["orp_id", "category_id", "year", "tenths", "awards"], durations),
        ProviderCompetition: (
            ["provider_id", "orp_id", "category_id", "year", "decided", "bids", "single_bid", "unsuccessful"],
            provider_competition_counts(*bidder),
        ),
        ProviderAwardDuration: (
            ["provider_id", "orp_id", "category_id", "year", "tenths", "awards"],
            provider_durations,
        ),
    }
    # In the order of SUMMARIES: the finer totals first, the coarser are summed from them.
    ordered = sorted(models, key=SUMMARIES.index)
    return [sa.delete(model) for model in ordered] + [sa.insert(model).from_select(*fill[model]) for model in ordered]


def rebuild(connection: sa.Connection | None = None, models: tuple[type[Model], ...] = SUMMARIES) -> None:
    """Compute the summaries ``models`` (all by default) afresh from the records."""
    connection = connection or db.session.connection()
    for statement in rebuild_statements(connection.dialect.name, models):
        connection.execute(statement)


def snapshot() -> dict[str, set[tuple]]:
    """Every summary's rows (money to the haléř), to compare running totals with a rebuild."""
    return {
        model.__tablename__: {tuple(row) for row in db.session.execute(sa.select(*model.__table__.columns)).all()}
        for model in SUMMARIES
    }
