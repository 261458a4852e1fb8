"""Spend reports: filters (kraj, ORP, category, provider IČO, year), scope by role, and the numbers —
aggregated in SQL (GROUP BY), shaped afterwards. The year is the year a sub-contract was signed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from minitendr.auth.models import Role, User
from minitendr.bids.models import Bid, BidStatus
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract
from minitendr.db import DomainError, db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.frameworks.models import FrameworkContract, FrameworkStatus
from minitendr.money import to_money
from minitendr.permissions import demand_scope, reads_nationally, subcontract_scope
from minitendr.providers.ico import ico_error
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory

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
    if reads_nationally(user):
        return
    home = user.home_kraj_id
    if user.role is Role.KRAJ or user.role is Role.OSPOD:
        if filters.kraj and filters.kraj.id != home:
            raise OutOfScope
        if filters.orp and filters.orp.kraj_id != home:
            raise OutOfScope
        if user.role is Role.OSPOD and filters.orp and filters.orp.id != user.orp_id:
            raise OutOfScope
    if user.role is Role.PROVIDER and filters.provider and filters.provider.id != user.provider_id:
        raise OutOfScope


def subcontract_conditions(filters: Filters, user: User) -> list[sa.ColumnElement[bool]]:
    """The WHERE of every spend query: the user's scope and the filters."""
    conditions = [subcontract_scope(user)]
    if filters.kraj:
        conditions.append(SubContract.orp_id.in_(sa.select(Orp.id).where(Orp.kraj_id == filters.kraj.id)))
    if filters.orp:
        conditions.append(SubContract.orp_id == filters.orp.id)
    if filters.category:
        conditions.append(SubContract.category_id == filters.category.id)
    if filters.provider:
        conditions.append(SubContract.provider_id == filters.provider.id)
    if filters.year:
        start = dt.date(filters.year, 1, 1)
        conditions += [SubContract.signed_on >= start, SubContract.signed_on < dt.date(filters.year + 1, 1, 1)]
    return conditions


def drawn_per_subcontract() -> sa.Subquery:
    """Confirmed drawdowns summed per sub-contract (what is spent)."""
    return (
        sa.select(Drawdown.subcontract_id, sa.func.sum(Drawdown.amount).label("drawn"))
        .where(Drawdown.status == DrawdownStatus.CONFIRMED)
        .group_by(Drawdown.subcontract_id)
        .subquery()
    )


def _money(value: Any) -> Decimal:
    return to_money(value or 0)


def _grouped(columns: list, group_by: list, filters: Filters, user: User) -> list[sa.Row]:
    drawn = drawn_per_subcontract()
    stmt = (
        sa.select(
            *columns,
            sa.func.count(SubContract.id).label("count"),
            sa.func.coalesce(sa.func.sum(SubContract.value), 0).label("value"),
            sa.func.coalesce(sa.func.sum(drawn.c.drawn), 0).label("drawn"),
        )
        .select_from(SubContract)
        .outerjoin(drawn, drawn.c.subcontract_id == SubContract.id)
        .join(Orp, Orp.id == SubContract.orp_id)
        .join(Kraj, Kraj.id == Orp.kraj_id)
        .join(ServiceCategory, ServiceCategory.id == SubContract.category_id)
        .where(*subcontract_conditions(filters, user))
        .group_by(*group_by)
        .order_by(*group_by)
    )
    return db.session.execute(stmt).all()


def matrix(filters: Filters, user: User) -> list[dict]:
    """Kraj × category: sub-contracts, contracted value, drawn, and (for officials) the frameworks'
    ceilings and how much of them is committed."""
    rows = _grouped(
        [
            Kraj.code.label("kraj_code"),
            Kraj.name.label("kraj"),
            ServiceCategory.code.label("category_code"),
            ServiceCategory.name.label("category"),
            ServiceCategory.position,
        ],
        [Kraj.code, Kraj.name, ServiceCategory.position, ServiceCategory.code, ServiceCategory.name],
        filters,
        user,
    )
    ceilings = _ceilings(filters, user)
    result = []
    for row in rows:
        ceiling, committed = ceilings.get((row.kraj_code, row.category_code), (None, None))
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
                "utilisation": (committed / ceiling * 100).quantize(Decimal("0.1")) if ceiling else None,
            }
        )
    return result


def _ceilings(filters: Filters, user: User) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """Ceilings of the activated frameworks (valid in the filtered year) and what all their
    sub-contracts commit. Framework money is the kraj's business: providers do not see it."""
    if user.role is Role.PROVIDER:
        return {}
    committed = (
        sa.select(SubContract.framework_id, sa.func.sum(SubContract.value).label("committed"))
        .group_by(SubContract.framework_id)
        .subquery()
    )
    stmt = (
        sa.select(
            Kraj.code,
            ServiceCategory.code,
            sa.func.sum(FrameworkContract.ceiling),
            sa.func.coalesce(sa.func.sum(committed.c.committed), 0),
        )
        .select_from(FrameworkContract)
        .join(Kraj, Kraj.id == FrameworkContract.kraj_id)
        .join(ServiceCategory, ServiceCategory.id == FrameworkContract.category_id)
        .outerjoin(committed, committed.c.framework_id == FrameworkContract.id)
        .where(FrameworkContract.status != FrameworkStatus.DRAFT)
        .group_by(Kraj.code, ServiceCategory.code)
    )
    if not reads_nationally(user):
        stmt = stmt.where(FrameworkContract.kraj_id == user.home_kraj_id)
    if filters.kraj:
        stmt = stmt.where(FrameworkContract.kraj_id == filters.kraj.id)
    if filters.category:
        stmt = stmt.where(FrameworkContract.category_id == filters.category.id)
    if filters.year:
        stmt = stmt.where(
            FrameworkContract.valid_from <= dt.date(filters.year, 12, 31),
            FrameworkContract.valid_to >= dt.date(filters.year, 1, 1),
        )
    return {(k, c): (_money(ceiling), _money(used)) for k, c, ceiling, used in db.session.execute(stmt)}


def per_orp(filters: Filters, user: User) -> list[dict]:
    rows = _grouped(
        [Kraj.name.label("kraj"), Orp.code.label("orp_code"), Orp.name.label("orp")],
        [Kraj.name, Orp.code, Orp.name],
        filters,
        user,
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
    drawn = drawn_per_subcontract()
    stmt = (
        sa.select(
            Provider.ico,
            Provider.name,
            sa.func.count(SubContract.id),
            sa.func.coalesce(sa.func.sum(SubContract.value), 0),
            sa.func.coalesce(sa.func.sum(drawn.c.drawn), 0),
        )
        .select_from(SubContract)
        .join(Provider, Provider.id == SubContract.provider_id)
        .outerjoin(drawn, drawn.c.subcontract_id == SubContract.id)
        .where(*subcontract_conditions(filters, user))
        .group_by(Provider.ico, Provider.name)
        .order_by(sa.func.sum(SubContract.value).desc())
    )
    return [
        {"ico": ico, "provider": name, "count": count, "value": _money(value), "drawn": _money(spent)}
        for ico, name, count, value, spent in db.session.execute(stmt)
    ]


def month_of(column) -> sa.ColumnElement[str]:
    """'YYYY-MM' of a date column, in the database's own dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def monthly(filters: Filters, user: User) -> list[dict]:
    """Per month: money contracted (by signing date) and drawn (by the month delivered)."""
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


def _days_between(later, earlier) -> sa.ColumnElement[float]:
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", later - earlier) / 86400
    return sa.func.julianday(later) - sa.func.julianday(earlier)


def competition(filters: Filters, user: User) -> dict[str, Any]:
    """How healthy the competition is, over the minitenders published in scope and filters."""
    conditions = [demand_scope(user), Demand.published_at.is_not(None)]
    if filters.kraj:
        conditions.append(Demand.orp_id.in_(sa.select(Orp.id).where(Orp.kraj_id == filters.kraj.id)))
    if filters.orp:
        conditions.append(Demand.orp_id == filters.orp.id)
    if filters.category:
        conditions.append(Demand.category_id == filters.category.id)
    if filters.year:
        conditions += [
            Demand.published_at >= dt.datetime(filters.year, 1, 1, tzinfo=dt.UTC),
            Demand.published_at < dt.datetime(filters.year + 1, 1, 1, tzinfo=dt.UTC),
        ]
    if filters.provider:
        conditions.append(Demand.id.in_(sa.select(Bid.demand_id).where(Bid.provider_id == filters.provider.id)))
    live = (
        sa.select(Bid.demand_id, sa.func.count(Bid.id).label("bids"))
        .where(Bid.status.not_in([BidStatus.WITHDRAWN, BidStatus.REPLACED]))
        .group_by(Bid.demand_id)
        .subquery()
    )
    decided = Demand.status.in_([DemandStatus.AWARDED, DemandStatus.UNSUCCESSFUL])
    published, closed, bids, single, unsuccessful = db.session.execute(
        sa.select(
            sa.func.count(Demand.id),
            sa.func.count(Demand.id).filter(decided),
            sa.func.coalesce(sa.func.sum(live.c.bids).filter(decided), 0),
            sa.func.count(Demand.id).filter(decided, live.c.bids == 1),
            sa.func.count(Demand.id).filter(Demand.status == DemandStatus.UNSUCCESSFUL),
        )
        .select_from(Demand)
        .outerjoin(live, live.c.demand_id == Demand.id)
        .where(*conditions)
    ).one()
    days = _days_between(Demand.decided_at, Demand.published_at)
    awarded = [*conditions, Demand.status == DemandStatus.AWARDED]
    count = db.session.scalar(sa.select(sa.func.count(Demand.id)).where(*awarded)) or 0
    median = None
    if count:
        # The median in SQL: the middle one or two of the ordered durations.
        middle = db.session.scalars(
            sa.select(days).where(*awarded).order_by(days).offset((count - 1) // 2).limit(2 - count % 2)
        ).all()
        median = Decimal(str(sum(middle) / len(middle))).quantize(Decimal("0.1"))
    return {
        "published": published,
        "decided": closed,
        "average_bids": (Decimal(bids) / closed).quantize(Decimal("0.01")) if closed else None,
        "single_bid_share": _share(single, closed),
        "unsuccessful_share": _share(unsuccessful, closed),
        "median_days_to_award": median,
    }


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / whole * 100).quantize(Decimal("0.1")) if whole else None


def totals(rows: list[dict]) -> dict[str, Any]:
    return {
        "count": sum(r["count"] for r in rows),
        "value": sum((r["value"] for r in rows), Decimal("0.00")),
        "drawn": sum((r["drawn"] for r in rows), Decimal("0.00")),
    }
