"""Running totals behind the service network's coverage (``NetworkSummary``, ``NetworkDuration``), so
that the map and its table read a few thousand rows instead of every minitender and sub-contract.

Like ``minitendr.reports.summary`` they are kept by the services in the same transaction as the change,
one atomic upsert per row (concurrent writers add up): a publication adds to ``published``, an award to
``awarded`` (and ``single_bid`` when it was decided on one live bid, and its working days to the
histogram), an unsuccessful end or a cancellation after publishing to ``unmet``, a signed sub-contract
and each amendment to ``value``. A minitender counts in every needs area it lists, in the year it was
published (UTC, as the competition totals count it). ``rebuild`` computes them afresh from the records,
in SQL; the tests check that the running totals equal a rebuild and the bare SQL over the records.

Working days come from ``WorkDay``, the Czech calendar with a running count of working days: the working
days from publishing to award are the working days after the day of publishing up to the day of the
award (Prague dates), so an award on the next working day took one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal

import sqlalchemy as sa

from minitendr import clock
from minitendr.bids.models import Bid
from minitendr.contracts.models import SubContract
from minitendr.db import Model, db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.network import catalogue_totals
from minitendr.network.models import (
    NEED_CODES,
    CatalogueCoverage,
    NetworkDuration,
    NetworkNeedTotal,
    NetworkOrpSummary,
    NetworkSummary,
    WorkDay,
)
from minitendr.reports.summary import LIVE_BID, _add, year_of

MINITENDERS: tuple[type[Model], ...] = (NetworkSummary, NetworkNeedTotal, NetworkOrpSummary, NetworkDuration)
SUMMARIES: tuple[type[Model], ...] = (*MINITENDERS, CatalogueCoverage)
CALENDAR_START, CALENDAR_END = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


# --- the calendar --------------------------------------------------------------------------------
def calendar_rows(start: dt.date = CALENDAR_START, end: dt.date = CALENDAR_END) -> Iterator[dict]:
    """Every day from ``start`` to ``end``: when it begins in Prague (UTC) and the working days so far."""
    index = 0
    day = start
    while day <= end:
        index += clock.is_working_day(day)
        starts_at = dt.datetime.combine(day, dt.time(0), tzinfo=clock.PRAGUE).astimezone(dt.UTC)
        yield {"day": day, "starts_at": starts_at, "working_index": index}
        day += dt.timedelta(days=1)


def working_days_between(earlier: dt.datetime, later: dt.datetime) -> int:
    """Working days after the Prague day of ``earlier`` up to and including the Prague day of ``later``."""
    start, end = earlier.astimezone(clock.PRAGUE).date(), later.astimezone(clock.PRAGUE).date()
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += clock.is_working_day(day)
    return count


def _working_index(moment) -> sa.ScalarSelect:
    """The calendar's running count of working days on the Prague day ``moment`` (a column) falls in."""
    return (
        sa.select(WorkDay.working_index)
        .where(WorkDay.starts_at <= moment)
        .order_by(WorkDay.starts_at.desc())
        .limit(1)
        .scalar_subquery()
    )


# --- kept by the services ------------------------------------------------------------------------
def _needs(demand: Demand) -> list[str]:
    return sorted(set(demand.needs or ()) & set(NEED_CODES))


def _keys(demand: Demand) -> list[dict]:
    published_at = demand.published_at
    assert published_at is not None  # only a published minitender is counted
    year = published_at.astimezone(dt.UTC).year
    return [
        {"orp_id": demand.orp_id, "need": need, "category_id": demand.category_id, "year": year}
        for need in _needs(demand)
    ]


def _count(demand: Demand, amounts: dict, existing: bool = False) -> None:
    """Add ``amounts`` to the rows of each of the minitender's needs areas (``existing``: a decrease,
    which only a row already there may take)."""
    keys = _keys(demand)
    for key in keys:
        _add(NetworkSummary, key, amounts, existing)
        _add(NetworkNeedTotal, {"orp_id": key["orp_id"], "need": key["need"]}, amounts, existing)
    if keys:  # counted once for the ORP (a minitender listing no known area is not in the network)
        orp_key = {name: keys[0][name] for name in ("orp_id", "category_id", "year")}
        _add(NetworkOrpSummary, orp_key, amounts, existing)


def demand_published(demand: Demand) -> None:
    _count(demand, {"published": 1})


def demand_cancelled(demand: Demand) -> None:
    """A published minitender cancelled: its need went unmet (a draft is not counted at all)."""
    if demand.published_at is not None:
        _count(demand, {"unmet": 1})


def demand_decided(demand: Demand, value: Decimal | None = None) -> None:
    """Awarded (with its sub-contract's ``value``) or unsuccessful."""
    if demand.status is DemandStatus.UNSUCCESSFUL:
        _count(demand, {"unmet": 1})
        return
    live = db.session.scalar(sa.select(sa.func.count(Bid.id)).where(Bid.demand_id == demand.id, LIVE_BID))
    amounts = {"awarded": 1, "single_bid": int(live == 1), "value": Decimal(value or 0)}
    _count(demand, amounts)
    decided_at, published_at = demand.decided_at, demand.published_at
    assert decided_at is not None and published_at is not None  # an awarded minitender was published and decided
    days = working_days_between(published_at, decided_at)
    for key in _keys(demand):
        _add(NetworkDuration, {**key, "working_days": days}, {"awards": 1})


def value_amended(subcontract: SubContract, difference: Decimal) -> None:
    """An amendment changes the value its minitender's needs areas count."""
    _count(subcontract.demand, {"value": difference}, existing=difference < 0)


# --- computed afresh -----------------------------------------------------------------------------
def demand_needs(dialect: str) -> sa.Subquery:
    """One row per published minitender and (distinct, known) needs area it lists: ``demand_id``, ``need``."""
    if dialect == "postgresql":
        element = sa.func.json_array_elements_text(Demand.needs).table_valued("value").render_derived()
    else:
        element = sa.func.json_each(Demand.needs).table_valued("value")
    return (
        sa.select(Demand.id.label("demand_id"), element.c.value.label("need"))
        .select_from(Demand)
        .join(element, sa.true())
        .where(Demand.published_at.is_not(None), element.c.value.in_(NEED_CODES))
        .distinct()
        .subquery("demand_need")
    )


def rebuild_statements(dialect: str, models: Iterable[type[Model]] = MINITENDERS) -> list[sa.Executable]:
    """Empty the minitenders' network totals (those of ``models``) and fill them from the records, in SQL."""
    needs = demand_needs(dialect)
    year = year_of(Demand.published_at, dialect, utc=True).label("year")
    live = (
        sa.select(Bid.demand_id, sa.func.count(Bid.id).label("bids")).where(LIVE_BID).group_by(Bid.demand_id)
    ).subquery()
    awarded = Demand.status == DemandStatus.AWARDED
    unmet = Demand.status.in_([DemandStatus.UNSUCCESSFUL, DemandStatus.CANCELLED])
    demands_ = sa.select(needs.c.demand_id).distinct().subquery("network_demand")

    def counts(over, *key) -> sa.Select:
        return (
            sa.select(
                *key,
                sa.func.count(Demand.id),
                sa.func.count(Demand.id).filter(awarded),
                sa.func.count(Demand.id).filter(unmet),
                sa.func.count(Demand.id).filter(awarded, live.c.bids == 1),
                sa.func.coalesce(sa.func.sum(SubContract.value), 0),
            )
            .select_from(over)
            .join(Demand, Demand.id == over.c.demand_id)
            .outerjoin(live, live.c.demand_id == Demand.id)
            .outerjoin(SubContract, SubContract.demand_id == Demand.id)
            .group_by(*key)
        )

    key = (Demand.orp_id, needs.c.need, Demand.category_id, year)
    figures = ["published", "awarded", "unmet", "single_bid", "value"]
    days = (_working_index(Demand.decided_at) - _working_index(Demand.published_at)).label("working_days")
    per_award = (
        sa.select(*key, days).select_from(needs).join(Demand, Demand.id == needs.c.demand_id).where(awarded).subquery()
    )
    duration_key = [per_award.c.orp_id, per_award.c.need, per_award.c.category_id, per_award.c.year]
    durations = sa.select(*duration_key, per_award.c.working_days, sa.func.count()).group_by(
        *duration_key, per_award.c.working_days
    )
    fills: dict[type[Model], tuple[list[str], sa.Select]] = {
        NetworkSummary: (["orp_id", "need", "category_id", "year", *figures], counts(needs, *key)),
        NetworkNeedTotal: (
            ["orp_id", "need", *figures],
            sa.select(
                NetworkSummary.orp_id,
                NetworkSummary.need,
                *(sa.func.sum(getattr(NetworkSummary, name)) for name in figures),
            ).group_by(NetworkSummary.orp_id, NetworkSummary.need),
        ),
        NetworkOrpSummary: (
            ["orp_id", "category_id", "year", *figures],
            counts(demands_, Demand.orp_id, Demand.category_id, year),
        ),
        NetworkDuration: (["orp_id", "need", "category_id", "year", "working_days", "awards"], durations),
    }
    # In the order of MINITENDERS: the total over categories and years is summed from the summary.
    ordered = [model for model in MINITENDERS if model in models]
    return [sa.delete(model) for model in ordered] + [sa.insert(model).from_select(*fills[model]) for model in ordered]


def rebuild(connection: sa.Connection | None = None, models: Iterable[type[Model]] = SUMMARIES) -> None:
    """Compute the network totals afresh from the records (``models``: only these — a migration
    rebuilds the totals that existed at its revision)."""
    connection = connection or db.session.connection()
    models = tuple(models)
    statements = rebuild_statements(connection.dialect.name, models)
    if CatalogueCoverage in models:
        statements += catalogue_totals.rebuild_statements()
    for statement in statements:
        connection.execute(statement)


def snapshot() -> dict[str, set[tuple]]:
    """Every network total's rows, to compare running totals with a rebuild."""
    return {
        model.__tablename__: {tuple(row) for row in db.session.execute(sa.select(*model.__table__.columns)).all()}
        for model in SUMMARIES
    }
