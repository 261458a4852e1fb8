"""Running totals behind the spend dashboard, so that it reads a few thousand summary rows instead of
scanning every sub-contract, drawdown, minitender and bid (a million of each, nationally).

The services keep them in the same transaction as the change itself: an award adds the sub-contract,
an amendment its difference, a confirmed drawdown its amount, a publication and a decision their
counts. Each is one atomic upsert (``INSERT … ON CONFLICT DO UPDATE SET x = x + …``), so concurrent
writers add up instead of overwriting each other. ``rebuild`` computes them afresh from the records
(the migration that introduced them, and the bulk loader, use it); the tests check that the running
totals always equal a rebuild.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from minitendr.bids.models import Bid, BidStatus
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract
from minitendr.db import db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.reports.models import AwardDuration, CompetitionSummary, SpendMonth, SpendSummary

SUMMARIES = (SpendSummary, SpendMonth, CompetitionSummary, AwardDuration)
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
def _add(model, key: dict, existing: bool = False, **amounts) -> None:
    """Add ``amounts`` to the summary row of ``key``, creating it if need be. ``existing``: the row is
    there already (it must be for a decrease, whose negative amounts no new row may hold)."""
    statement: sa.Executable
    if existing:
        statement = (
            sa.update(model)
            .where(*(getattr(model, column) == value for column, value in key.items()))
            .values({name: getattr(model, name) + amount for name, amount in amounts.items()})
        )
    else:
        insert = postgresql.insert if dialect_name() == "postgresql" else sqlite.insert
        new_row = insert(model).values(**key, **amounts)
        statement = new_row.on_conflict_do_update(
            index_elements=list(key),
            set_={name: getattr(model, name) + getattr(new_row.excluded, name) for name in amounts},
        )
    db.session.execute(statement)


def _spend(
    subcontract: SubContract, month: dt.date, contracts: int = 0, contracted=0, drawn=0, existing: bool = False
) -> None:
    common = {"orp_id": subcontract.orp_id, "category_id": subcontract.category_id, "year": subcontract.signed_on.year}
    _add(
        SpendSummary,
        {**common, "framework_id": subcontract.framework_id, "provider_id": subcontract.provider_id},
        existing,
        contracts=contracts,
        contracted=Decimal(contracted),
        drawn=Decimal(drawn),
    )
    _add(
        SpendMonth,
        {**common, "month": f"{month:%Y-%m}"},
        existing,
        contracted=Decimal(contracted),
        drawn=Decimal(drawn),
    )


def subcontract_signed(subcontract: SubContract) -> None:
    _spend(subcontract, subcontract.signed_on, contracts=1, contracted=subcontract.value)


def value_amended(subcontract: SubContract, difference: Decimal) -> None:
    """An amendment's change of value counts in the month the sub-contract was signed."""
    _spend(subcontract, subcontract.signed_on, contracted=difference, existing=True)


def drawdown_confirmed(drawdown: Drawdown) -> None:
    _spend(drawdown.subcontract, drawdown.period, drawn=drawdown.amount)


def _competition_key(demand: Demand) -> dict:
    published_at = demand.published_at
    assert published_at is not None  # only a published minitender is counted
    return {
        "orp_id": demand.orp_id,
        "category_id": demand.category_id,
        "year": published_at.astimezone(dt.UTC).year,
    }


def demand_published(demand: Demand) -> None:
    _add(CompetitionSummary, _competition_key(demand), published=1)


def demand_decided(demand: Demand) -> None:
    """Awarded or unsuccessful: the live bids it was decided on, and how long it took."""
    bids = db.session.scalar(sa.select(sa.func.count(Bid.id)).where(Bid.demand_id == demand.id, LIVE_BID))
    key = _competition_key(demand)
    unsuccessful = demand.status is DemandStatus.UNSUCCESSFUL
    _add(CompetitionSummary, key, decided=1, bids=bids, single_bid=int(bids == 1), unsuccessful=int(unsuccessful))
    if demand.status is DemandStatus.AWARDED:
        decided_at, published_at = demand.decided_at, demand.published_at
        assert decided_at is not None and published_at is not None  # an awarded minitender was published and decided
        _add(AwardDuration, {**key, "tenths": _tenths(decided_at, published_at)}, awards=1)


# --- the numbers over the records themselves (for a rebuild, and for one provider's) -------------
def competition_counts(*key) -> sa.Select:
    """Per ``key`` (or in one row without): minitenders published, decided, the live bids of the decided
    ones, those decided on a single bid, the unsuccessful. Narrow it with ``.where`` on ``Demand``."""
    live = (
        sa.select(Bid.demand_id, sa.func.count(Bid.id).label("bids")).where(LIVE_BID).group_by(Bid.demand_id).subquery()
    )
    decided = Demand.status.in_([DemandStatus.AWARDED, DemandStatus.UNSUCCESSFUL])
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


def award_durations(dialect: str, *key) -> sa.Select:
    """Per ``key``: how many awarded minitenders took each number of tenths of a day (``tenths``,
    ``awards``). Narrow it with ``.where`` on ``Demand``."""
    tenths = tenths_between(Demand.decided_at, Demand.published_at, dialect).label("tenths")
    return (
        sa.select(*key, tenths, sa.func.count(Demand.id).label("awards"))
        .where(Demand.status == DemandStatus.AWARDED)
        .group_by(*key, tenths)
    )


# --- computed afresh -----------------------------------------------------------------------------
def rebuild_statements(dialect: str) -> list[sa.Executable]:
    """Empty the summaries and fill them from the records, in SQL."""
    signed_year = year_of(SubContract.signed_on, dialect)
    confirmed = (
        sa.select(Drawdown.subcontract_id, Drawdown.period, Drawdown.amount)
        .where(Drawdown.status == DrawdownStatus.CONFIRMED)
        .subquery()
    )
    drawn = drawn_per_subcontract()
    spend_key = [SubContract.framework_id, SubContract.orp_id, SubContract.category_id, SubContract.provider_id]
    spend = (
        sa.select(
            *spend_key,
            signed_year,
            sa.func.count(SubContract.id),
            sa.func.sum(SubContract.value),
            sa.func.coalesce(sa.func.sum(drawn.c.drawn), 0),
        )
        .outerjoin(drawn, drawn.c.subcontract_id == SubContract.id)
        .group_by(*spend_key, signed_year)
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

    published_year = year_of(Demand.published_at, dialect, utc=True)
    competition = competition_counts(Demand.orp_id, Demand.category_id, published_year)
    durations = award_durations(dialect, Demand.orp_id, Demand.category_id, published_year)
    fill = {SpendSummary: spend, SpendMonth: month, CompetitionSummary: competition, AwardDuration: durations}
    columns = {
        SpendSummary: [
            "framework_id",
            "orp_id",
            "category_id",
            "provider_id",
            "year",
            "contracts",
            "contracted",
            "drawn",
        ],
        SpendMonth: ["orp_id", "category_id", "year", "month", "contracted", "drawn"],
        CompetitionSummary: [
            "orp_id",
            "category_id",
            "year",
            "published",
            "decided",
            "bids",
            "single_bid",
            "unsuccessful",
        ],
        AwardDuration: ["orp_id", "category_id", "year", "tenths", "awards"],
    }
    return [sa.delete(model) for model in SUMMARIES] + [
        sa.insert(model).from_select(columns[model], select) for model, select in fill.items()
    ]


def rebuild(connection: sa.Connection | None = None) -> None:
    connection = connection or db.session.connection()
    for statement in rebuild_statements(connection.dialect.name):
        connection.execute(statement)


def snapshot() -> dict[str, set[tuple]]:
    """Every summary's rows (money to the haléř), to compare running totals with a rebuild."""
    return {
        model.__tablename__: {tuple(row) for row in db.session.execute(sa.select(*model.__table__.columns)).all()}
        for model in SUMMARIES
    }
