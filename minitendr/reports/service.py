"""Spend reports: filters (kraj, ORP, category, provider IČO, year), scope by role, and the numbers —
aggregated in SQL (GROUP BY), shaped afterwards. The year is the year a sub-contract was signed.

The dashboard reads the running totals of ``minitendr.reports.summary``, never a million records:
figures of whole kraje (no ORP or provider filter, a reader of whole kraje) from the kraj totals, the
rest from the finer totals through their ORP or provider index; the ceilings' use from the totals per
framework and year of signing; the competition around one provider from its own totals (and, for the
few minitenders past their deadline still awaiting a decision, from their bids). One provider's months
come from its sub-contracts through their provider index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from minitendr import clock
from minitendr.auth.models import User
from minitendr.bids.models import Bid
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract
from minitendr.db import DomainError, db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.frameworks.models import FrameworkContract, FrameworkStatus
from minitendr.money import to_money
from minitendr.permissions import (
    can_report_on,
    can_see_ceilings,
    demand_scope,
    kraj_totals_scope,
    reads_nationally,
    reads_whole_kraje,
    subcontract_scope,
)
from minitendr.providers.ico import ico_error
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory
from minitendr.reports import summary
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
    SpendMonth,
    SpendSummary,
)
from minitendr.reports.summary import month_of

FILTERS = ("kraj", "orp", "category", "provider", "year")


class FilterError(DomainError):
    """A filter names something that does not exist or is malformed (400 / a message on the page)."""


class OutOfScope(Exception):
    """A filter asks for what the user may not see (403)."""


@dataclass(frozen=True)
class Filters:
    kraj: Kraj | None = None
    orp: Orp | None = None
    category: ServiceCategory | None = None
    provider: Provider | None = None
    year: int | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as URL query arguments (to keep them in links)."""
        return {
            key: value
            for key, value in (
                ("kraj", self.kraj.code if self.kraj else ""),
                ("orp", self.orp.code if self.orp else ""),
                ("category", self.category.code if self.category else ""),
                ("provider", self.provider.ico if self.provider else ""),
                ("year", str(self.year) if self.year else ""),
            )
            if value
        }

    def describe(self) -> str:
        parts = [
            self.kraj.name if self.kraj else None,
            f"ORP {self.orp.name}" if self.orp else None,
            self.category.name if self.category else None,
            f"{self.provider.name} (IČO {self.provider.ico})" if self.provider else None,
            f"rok {self.year}" if self.year else None,
        ]
        return ", ".join(p for p in parts if p) or "bez filtrů (celý rozsah oprávnění)"


def parse_filters(args: dict[str, str], user: User) -> Filters:
    """Validate the query arguments and check they lie within the user's scope."""
    values = {key: (args.get(key) or "").strip() for key in FILTERS}
    kraj = orp = category = provider = None
    year = None
    if values["kraj"]:
        kraj = db.session.scalar(sa.select(Kraj).where(Kraj.code == values["kraj"].upper()))
        if kraj is None:
            raise FilterError(f"Neznámý kraj „{values['kraj']}“ (očekává se kód NUTS, např. CZ053).", field="kraj")
    if values["orp"]:
        orp = db.session.scalar(sa.select(Orp).where(Orp.code == values["orp"]))
        if orp is None:
            raise FilterError(f"Neznámá ORP „{values['orp']}“ (očekává se kód ČSÚ, např. 5309).", field="orp")
    if values["category"]:
        category = db.session.scalar(sa.select(ServiceCategory).where(ServiceCategory.code == values["category"]))
        if category is None:
            raise FilterError(f"Neznámá kategorie „{values['category']}“.", field="category")
    if values["provider"]:
        if ico_error(values["provider"]):
            raise FilterError(f"„{values['provider']}“ není platné IČO.", field="provider")
        provider = db.session.scalar(sa.select(Provider).where(Provider.ico == values["provider"]))
        if provider is None:
            raise FilterError(f"Poskytovatel s IČO {values['provider']} není v evidenci.", field="provider")
    if values["year"]:
        if not (values["year"].isdigit() and 2000 <= int(values["year"]) <= 2100):
            raise FilterError(f"„{values['year']}“ není platný rok.", field="year")
        year = int(values["year"])
    filters = Filters(kraj, orp, category, provider, year)
    _check_scope(filters, user)
    return filters


def _check_scope(filters: Filters, user: User) -> None:
    if not can_report_on(user, kraj=filters.kraj, orp=filters.orp, provider=filters.provider):
        raise OutOfScope


def _area_conditions(filters: Filters, table) -> list[sa.ColumnElement[bool]]:
    """The kraj, ORP and category filters on anything with ``orp_id`` and ``category_id``."""
    conditions = []
    if filters.kraj:
        conditions.append(table.orp_id.in_(sa.select(Orp.id).where(Orp.kraj_id == filters.kraj.id)))
    if filters.orp:
        conditions.append(table.orp_id == filters.orp.id)
    if filters.category:
        conditions.append(table.category_id == filters.category.id)
    return conditions


def subcontract_conditions(filters: Filters, user: User, table=SubContract) -> list[sa.ColumnElement[bool]]:
    """The WHERE of every spend query: the user's scope and the filters, on the sub-contracts or on a
    spend summary (whose ``year`` is the year of signing)."""
    conditions = [subcontract_scope(user, table), *_area_conditions(filters, table)]
    if filters.provider:
        conditions.append(table.provider_id == filters.provider.id)
    if filters.year and table is SubContract:
        start = dt.date(filters.year, 1, 1)
        conditions += [SubContract.signed_on >= start, SubContract.signed_on < dt.date(filters.year + 1, 1, 1)]
    elif filters.year:
        conditions.append(table.year == filters.year)
    return conditions


def _live_bound(filters: Filters, user: User) -> bool:
    """One provider's months come from its sub-contracts (the months are not kept per provider); that
    is a provider's own few, found through its index."""
    return filters.provider is not None or user.provider_id is not None


def _whole_kraje(filters: Filters, user: User) -> bool:
    """The figures are totals of whole kraje: nothing narrows them to an ORP or a provider, and the
    user reads whole kraje (see ``reads_whole_kraje``)."""
    return filters.orp is None and filters.provider is None and reads_whole_kraje(user)


def _one_provider(filters: Filters, user: User) -> int | None:
    """The provider whose competition the report is about: the filtered one, or a provider's own."""
    return filters.provider.id if filters.provider else user.provider_id


def _published_in(year: int | None) -> list[sa.ColumnElement[bool]]:
    """Minitenders published in ``year`` (UTC, as the competition totals count them)."""
    if not year:
        return []
    return [
        Demand.published_at >= dt.datetime(year, 1, 1, tzinfo=dt.UTC),
        Demand.published_at < dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC),
    ]


def _money(value: Any) -> Decimal:
    return to_money(value or 0)


# A spend total: ``SpendSummary`` or ``SpendMonth``, or one of the totals of whole kraje (``KrajSpend``,
# ``OrpSpend``, ``ProviderSpend``, ``KrajMonth``); each has the columns of its grain.
Spend = Any


def _whole_kraje_conditions(filters: Filters, user: User, spend: Spend) -> list[sa.ColumnElement[bool]]:
    """The user's scope and the filters on totals of whole kraje (see ``_whole_kraje``)."""
    conditions = [kraj_totals_scope(user, spend)]
    if filters.kraj:
        conditions.append(spend.kraj_id == filters.kraj.id)
    if filters.category:
        conditions.append(spend.category_id == filters.category.id)
    if filters.year:
        conditions.append(spend.year == filters.year)
    return conditions


def _grouped(
    columns: list,
    group_by: list,
    filters: Filters,
    user: User,
    totals: Spend,
    names: tuple[type, ...],
    by_value: bool = False,
    limit: int | None = None,
) -> Sequence[sa.Row]:
    """Sub-contracts, contracted value and drawn grouped by ``group_by`` (ordered by it, or by the
    value, largest first), the ``names`` (Kraj, Orp, ServiceCategory, Provider) joined for the columns:
    from ``totals``, the totals of whole kraje at that grain, when the figures are whole kraje; from the
    spend summary, through its ORP or provider index, when they are narrowed to an ORP or a provider."""
    spend: Spend
    if _whole_kraje(filters, user):
        spend, conditions = totals, _whole_kraje_conditions(filters, user, totals)
    else:
        spend, conditions = SpendSummary, subcontract_conditions(filters, user, SpendSummary)
    stmt = sa.select(
        *columns,
        sa.func.sum(spend.contracts).label("count"),
        sa.func.coalesce(sa.func.sum(spend.contracted), 0).label("value"),
        sa.func.coalesce(sa.func.sum(spend.drawn), 0).label("drawn"),
    ).select_from(spend)
    if Orp in names or (Kraj in names and spend is SpendSummary):  # the spend summary knows its kraj by the ORP
        stmt = stmt.join(Orp, Orp.id == spend.orp_id)
    if Kraj in names:
        stmt = stmt.join(Kraj, Kraj.id == (Orp.kraj_id if spend is SpendSummary else spend.kraj_id))
    if ServiceCategory in names:
        stmt = stmt.join(ServiceCategory, ServiceCategory.id == spend.category_id)
    if Provider in names:
        stmt = stmt.join(Provider, Provider.id == spend.provider_id)
    order_by = [sa.desc("value"), *group_by] if by_value else group_by
    stmt = stmt.where(*conditions).group_by(*group_by).order_by(*order_by)
    if limit is not None:
        stmt = stmt.add_columns(sa.func.count().over().label("groups")).limit(limit)
    return db.session.execute(stmt).all()


def matrix(filters: Filters, user: User) -> list[dict]:
    """Kraj × category: sub-contracts, contracted value, drawn, and (for officials) the frameworks'
    ceilings and how much of them is committed."""
    columns = [
        Kraj.code.label("kraj_code"),
        Kraj.name.label("kraj"),
        ServiceCategory.code.label("category_code"),
        ServiceCategory.name.label("category"),
        ServiceCategory.position,
    ]
    group_by = [Kraj.code, Kraj.name, ServiceCategory.position, ServiceCategory.code, ServiceCategory.name]
    rows = _grouped(columns, group_by, filters, user, KrajSpend, (Kraj, ServiceCategory))
    ceilings = _ceilings(filters, user)
    result = []
    for row in rows:
        ceiling, committed = ceilings.get((row.kraj_code, row.category_code), (None, None))
        utilisation = None
        if ceiling and committed is not None:  # a framework's ceiling comes with what it commits
            utilisation = (committed / ceiling * 100).quantize(Decimal("0.1"))
        result.append(
            {
                "kraj_code": row.kraj_code,
                "kraj": row.kraj,
                "category_code": row.category_code,
                "category": row.category,
                "count": row.count,
                "value": _money(row.value),
                "drawn": _money(row.drawn),
                "ceiling": ceiling,
                "committed": committed,
                "utilisation": utilisation,
            }
        )
    return result


def ceiling_day(filters: Filters) -> dt.date:
    """The day whose frameworks in force the ceilings are of: today, or the last day of a past year."""
    today = clock.today()
    return dt.date(filters.year, 12, 31) if filters.year and filters.year < today.year else today


def current_frameworks(filters: Filters, user: User) -> sa.Select:
    """The frameworks in force on ``ceiling_day`` (activated, valid that day, not terminated before it)
    in the user's kraje and the filtered kraj and category: (id, kraj code, category code, ceiling).
    An expired framework and its successor are never added up."""
    day = ceiling_day(filters)
    day_over = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), clock.PRAGUE).astimezone(dt.UTC)
    stmt = (
        sa.select(FrameworkContract.id, Kraj.code, ServiceCategory.code, FrameworkContract.ceiling)
        .join(Kraj, Kraj.id == FrameworkContract.kraj_id)
        .join(ServiceCategory, ServiceCategory.id == FrameworkContract.category_id)
        .where(
            FrameworkContract.valid_from <= day,
            FrameworkContract.valid_to >= day,
            sa.or_(
                FrameworkContract.status == FrameworkStatus.ACTIVE,
                sa.and_(
                    FrameworkContract.status == FrameworkStatus.TERMINATED,
                    FrameworkContract.terminated_at >= day_over,
                ),
            ),
        )
    )
    if not reads_nationally(user):
        stmt = stmt.where(FrameworkContract.kraj_id == user.home_kraj_id)
    if filters.kraj:
        stmt = stmt.where(FrameworkContract.kraj_id == filters.kraj.id)
    if filters.category:
        stmt = stmt.where(FrameworkContract.category_id == filters.category.id)
    return stmt


def _ceilings(filters: Filters, user: User) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """Per kraj × category: the ceilings of the frameworks in force (``current_frameworks``) and what
    of them the sub-contracts within the user's scope and the filters commit (values with amendments)
    — an ORP's, a provider's or a year's share when the filters narrow the report to one. Whole kraje
    come from the totals per framework and year of signing (the year's rows, or all of a framework's
    years); an ORP's or a provider's share from the sub-contracts of those few frameworks, through
    their framework index. Framework money is the contracting authorities' business
    (``can_see_ceilings``)."""
    if not can_see_ceilings(user):
        return {}
    frameworks = db.session.execute(current_frameworks(filters, user)).all()
    if not frameworks:
        return {}
    ids = [row.id for row in frameworks]
    used: sa.Select
    if _whole_kraje(filters, user):
        # A framework's sub-contracts lie in its kraj and category: of whole kraje, only the year narrows them.
        year = [FrameworkSpend.year == filters.year] if filters.year else []
        used = (
            sa.select(FrameworkSpend.framework_id, sa.func.sum(FrameworkSpend.committed))
            .where(FrameworkSpend.framework_id.in_(ids), *year)
            .group_by(FrameworkSpend.framework_id)
        )
    else:
        used = (
            sa.select(SubContract.framework_id, sa.func.sum(SubContract.value))
            .where(SubContract.framework_id.in_(ids), *subcontract_conditions(filters, user))
            .group_by(SubContract.framework_id)
        )
    committed = dict(db.session.execute(used).all())
    result: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for framework_id, kraj, category, ceiling in frameworks:
        total, used_total = result.get((kraj, category), (Decimal(0), Decimal(0)))
        result[(kraj, category)] = (total + ceiling, used_total + _money(committed.get(framework_id)))
    return {key: (_money(ceiling), _money(used)) for key, (ceiling, used) in result.items()}


def per_orp(filters: Filters, user: User) -> list[dict]:
    rows = _grouped(
        [Kraj.name.label("kraj"), Orp.code.label("orp_code"), Orp.name.label("orp")],
        [Kraj.name, Orp.code, Orp.name],
        filters,
        user,
        OrpSpend,
        (Kraj, Orp),
    )
    return [
        {
            "kraj": r.kraj,
            "orp_code": r.orp_code,
            "orp": r.orp,
            "count": r.count,
            "value": _money(r.value),
            "drawn": _money(r.drawn),
        }
        for r in rows
    ]


def per_provider(filters: Filters, user: User) -> list[dict]:
    names = [Provider.ico, Provider.name]
    rows = _grouped(names, names, filters, user, ProviderSpend, (Provider,), by_value=True)
    return [
        {"ico": r.ico, "provider": r.name, "count": r.count, "value": _money(r.value), "drawn": _money(r.drawn)}
        for r in rows
    ]


TOP_PROVIDERS = 100


def top_providers(filters: Filters, user: User, limit: int = TOP_PROVIDERS) -> tuple[list[dict], int]:
    """The first ``limit`` of ``per_provider`` (the largest contracted value first) and how many
    providers it has in all: nationally without filters from the totals per provider, read in the order
    of their index; otherwise grouped as ``per_provider`` groups them, counted in the same statement."""
    unfiltered = not (filters.kraj or filters.orp or filters.category or filters.provider or filters.year)
    if unfiltered and reads_nationally(user):
        total = ProviderTotal
        stmt = (
            sa.select(
                Provider.ico,
                Provider.name,
                total.contracts.label("count"),
                total.contracted.label("value"),
                total.drawn.label("drawn"),
            )
            .join(Provider, Provider.id == total.provider_id)
            .order_by(total.contracted.desc(), Provider.ico, Provider.name)
            .limit(limit)
        )
        rows: Sequence[Any] = db.session.execute(stmt).all()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(total)) or 0
    else:
        names = [Provider.ico, Provider.name]
        rows = _grouped(names, names, filters, user, ProviderSpend, (Provider,), by_value=True, limit=limit)
        count = rows[0].groups if rows else 0
    providers = [
        {"ico": r.ico, "provider": r.name, "count": r.count, "value": _money(r.value), "drawn": _money(r.drawn)}
        for r in rows
    ]
    return providers, count


def monthly(filters: Filters, user: User) -> list[dict]:
    """Per month: money contracted (by signing date) and drawn (by the month delivered)."""
    if _live_bound(filters, user):
        return _monthly_live(filters, user)
    spend: Spend
    if _whole_kraje(filters, user):
        spend, conditions = KrajMonth, _whole_kraje_conditions(filters, user, KrajMonth)
    else:
        spend, conditions = SpendMonth, subcontract_conditions(filters, user, SpendMonth)
    stmt = (
        sa.select(spend.month, sa.func.sum(spend.contracted), sa.func.sum(spend.drawn))
        .where(*conditions)
        .group_by(spend.month)
        .order_by(spend.month)
    )
    return [
        {"month": m, "contracted": _money(contracted), "drawn": _money(drawn)}
        for m, contracted, drawn in db.session.execute(stmt)
    ]


def _monthly_live(filters: Filters, user: User) -> list[dict]:
    conditions = subcontract_conditions(filters, user)
    signed = month_of(SubContract.signed_on)
    contracted = dict(
        db.session.execute(sa.select(signed, sa.func.sum(SubContract.value)).where(*conditions).group_by(signed)).all()
    )
    period = month_of(Drawdown.period)
    drawn = dict(
        db.session.execute(
            sa.select(period, sa.func.sum(Drawdown.amount))
            .join(SubContract, SubContract.id == Drawdown.subcontract_id)
            .where(Drawdown.status == DrawdownStatus.CONFIRMED, *conditions)
            .group_by(period)
        ).all()
    )
    return [
        {"month": m, "contracted": _money(contracted.get(m)), "drawn": _money(drawn.get(m))}
        for m in sorted(set(contracted) | set(drawn))
    ]


def competition(filters: Filters, user: User) -> dict[str, Any]:
    """How healthy the competition is, over the minitenders published in scope and filters — or, about
    one provider, over the minitenders it bid in whose deadline has passed."""
    provider_id = _one_provider(filters, user)
    if provider_id is None:
        counts, durations = _competition_summary(filters, user)
    else:
        counts, durations = _competition_of_provider(filters, user, provider_id)
    published, closed, bids, single, unsuccessful = (value or 0 for value in db.session.execute(counts).one())
    return {
        "published": published,
        "decided": closed,
        "average_bids": (Decimal(bids) / closed).quantize(Decimal("0.01")) if closed else None,
        "single_bid_share": _share(single, closed),
        "unsuccessful_share": _share(unsuccessful, closed),
        "median_days_to_award": _median_days(durations),
    }


def _competition_summary(filters: Filters, user: User) -> tuple[sa.Select, sa.Select]:
    summary, durations = CompetitionSummary, AwardDuration
    conditions = [subcontract_scope(user, summary), *_area_conditions(filters, summary)]
    duration_conditions = [subcontract_scope(user, durations), *_area_conditions(filters, durations)]
    if filters.year:
        conditions.append(summary.year == filters.year)
        duration_conditions.append(durations.year == filters.year)
    counts = sa.select(
        *(
            sa.func.sum(column)
            for column in (summary.published, summary.decided, summary.bids, summary.single_bid, summary.unsuccessful)
        )
    ).where(*conditions)
    histogram = (
        sa.select(durations.tenths, sa.func.sum(durations.awards).label("awards"))
        .where(*duration_conditions)
        .group_by(durations.tenths)
    )
    return counts, histogram


def _competition_of_provider(filters: Filters, user: User, provider_id: int) -> tuple[sa.Select, sa.Select]:
    """The same numbers over the minitenders one provider bid in, as far as anyone may know: who bid
    is sealed until the deadline, so a minitender counts once its deadline has passed — the decided
    ones from the provider's totals, those awaiting a decision from their bids."""
    counted, durations = ProviderCompetition, ProviderAwardDuration
    conditions = [
        counted.provider_id == provider_id,
        subcontract_scope(user, counted),
        *_area_conditions(filters, counted),
    ]
    duration_conditions = [
        durations.provider_id == provider_id,
        subcontract_scope(user, durations),
        *_area_conditions(filters, durations),
    ]
    if filters.year:
        conditions.append(counted.year == filters.year)
        duration_conditions.append(durations.year == filters.year)
    awaiting = (
        sa.select(sa.func.count(Demand.id))
        .where(
            *_awaiting_decision(provider_id),
            demand_scope(user),
            *_area_conditions(filters, Demand),
            *_published_in(filters.year),
        )
        .scalar_subquery()
    )
    decided = sa.func.coalesce(sa.func.sum(counted.decided), 0)
    counts = sa.select(
        decided + awaiting,
        decided,
        *(sa.func.sum(column) for column in (counted.bids, counted.single_bid, counted.unsuccessful)),
    ).where(*conditions)
    histogram = (
        sa.select(durations.tenths, sa.func.sum(durations.awards).label("awards"))
        .where(*duration_conditions)
        .group_by(durations.tenths)
    )
    return counts, histogram


def _awaiting_decision(provider_id: int) -> list[sa.ColumnElement[bool]]:
    """The minitenders past their deadline and not yet decided that the provider bid in (a bid
    withdrawn or replaced before the deadline never counts; a cancelled minitender is not awaiting)."""
    bid = sa.select(Bid.id).where(Bid.demand_id == Demand.id, Bid.provider_id == provider_id, summary.LIVE_BID)
    # From the few published minitenders (their partial index) to their bids, not from all of the
    # provider's bids to their minitenders.
    return [Demand.status == DemandStatus.PUBLISHED, Demand.deadline <= clock.now(), bid.exists()]


def _median_days(histogram: sa.Select) -> Decimal | None:
    """The median time to award, in days, from a histogram (``tenths``, ``awards``) — in SQL: the
    lower and upper middle values are the first tenths whose running count reaches half."""
    durations = histogram.cte("durations")
    total = sa.select(sa.func.sum(durations.c.awards)).scalar_subquery()
    running = sa.select(
        durations.c.tenths, sa.func.sum(durations.c.awards).over(order_by=durations.c.tenths).label("upto")
    ).subquery()
    lower, upper = db.session.execute(
        sa.select(
            sa.func.min(running.c.tenths).filter(running.c.upto * 2 >= total),
            sa.func.min(running.c.tenths).filter(running.c.upto * 2 > total),
        )
    ).one()
    if lower is None:
        return None
    return (Decimal(lower + upper) / 20).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / whole * 100).quantize(Decimal("0.1")) if whole else None


def filter_choices() -> dict[str, list]:
    """The kraje and categories the filter form offers."""
    return {
        "kraje": list(db.session.scalars(sa.select(Kraj).order_by(Kraj.name))),
        "categories": list(db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position))),
    }


def dashboard(filters: Filters, user: User) -> dict[str, Any]:
    """Every table of the spend page: kraj × category with totals, per ORP, the largest providers (and
    how many there are), per month, and the health of the competition."""
    matrix_rows = matrix(filters, user)
    providers, provider_count = top_providers(filters, user)
    return {
        "matrix": matrix_rows,
        "totals": totals(matrix_rows),
        "orps": per_orp(filters, user),
        "providers": providers,
        "provider_count": provider_count,
        "months": monthly(filters, user),
        "health": competition(filters, user),
    }


def totals(rows: list[dict]) -> dict[str, Any]:
    return {
        "count": sum(r["count"] for r in rows),
        "value": sum((r["value"] for r in rows), Decimal("0.00")),
        "drawn": sum((r["drawn"] for r in rows), Decimal("0.00")),
    }
