"""What the sub-contract pages read: the filtered list with its totals and what each row has spent,
and what remains to publish in the register of contracts. Every query is limited to what the user
may see (``subcontract_scope``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from minitendr.auth.models import User
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.money import to_money
from minitendr.permissions import subcontract_scope
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory

# The list's filters, all optional and combinable, kept in the URL.
FILTERS = ("kraj", "orp", "category", "provider", "status", "year", "registry", "sort")
SORTS = {
    "number": SubContract.number,
    "-signed": SubContract.signed_on.desc(),
    "signed": SubContract.signed_on,
    "-value": SubContract.value.desc(),
    "value": SubContract.value,
}
PER_PAGE = 50


def filters_from(args: Mapping[str, str]) -> dict[str, str]:
    """The list filters from a query string: every key present, stripped, '' when not given."""
    return {key: (args.get(key) or "").strip() for key in FILTERS}


def _visible(stmt: sa.Select, user: User) -> sa.Select:
    """Joined to what the filters and aggregates name, and limited to what ``user`` may see."""
    return (
        stmt.join(SubContract.orp)
        .join(Orp.kraj)
        .join(SubContract.category)
        .join(SubContract.provider)
        .where(subcontract_scope(user))
    )


def _filtered(stmt: sa.Select, filters: Mapping[str, str]) -> sa.Select:
    if filters.get("kraj"):
        stmt = stmt.where(Kraj.code == filters["kraj"])
    if filters.get("orp"):
        stmt = stmt.where(Orp.code == filters["orp"])
    if filters.get("category"):
        stmt = stmt.where(ServiceCategory.code == filters["category"])
    if filters.get("provider"):
        stmt = stmt.where(Provider.ico == filters["provider"])
    if filters.get("status") in {status.value for status in SubContractStatus}:
        stmt = stmt.where(SubContract.status == filters["status"])
    year = filters.get("year") or ""
    if year.isdigit() and 2000 <= int(year) <= 2100:
        stmt = stmt.where(
            SubContract.signed_on >= dt.date(int(year), 1, 1), SubContract.signed_on < dt.date(int(year) + 1, 1, 1)
        )
    if filters.get("registry") == "pending":
        stmt = stmt.where(SubContract.registry_pending)
    return stmt


@dataclass(frozen=True)
class SubContractList:
    """One page of the filtered list, the count and value of all it matches, and what each row has spent."""

    page: Pagination
    count: int
    total: Decimal
    spent: dict[int, Decimal]


def subcontract_list(user: User, filters: Mapping[str, str]) -> SubContractList:
    """The sub-contracts ``user`` may see that match ``filters``, newest first unless sorted otherwise."""
    order = SORTS.get(filters.get("sort", ""), SubContract.signed_on.desc())
    stmt = _filtered(_visible(sa.select(SubContract), user), filters).order_by(order, SubContract.id.desc())
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    totals = sa.select(sa.func.count(SubContract.id), sa.func.coalesce(sa.func.sum(SubContract.value), 0))
    count, total = db.session.execute(_filtered(_visible(totals, user), filters)).one()
    return SubContractList(page=page, count=count, total=to_money(total), spent=spent([s.id for s in page.items]))


def spent(subcontract_ids: list[int]) -> dict[int, Decimal]:
    """The confirmed drawdowns of each sub-contract (those without any are missing)."""
    rows = db.session.execute(
        sa.select(Drawdown.subcontract_id, sa.func.sum(Drawdown.amount))
        .where(Drawdown.subcontract_id.in_(subcontract_ids), Drawdown.status == DrawdownStatus.CONFIRMED)
        .group_by(Drawdown.subcontract_id)
    )
    return {subcontract_id: to_money(amount) for subcontract_id, amount in rows}


def filter_choices() -> dict[str, Any]:
    """What the list's filter selects offer."""
    return {
        "kraje": db.session.scalars(sa.select(Kraj).order_by(Kraj.name)).all(),
        "categories": db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position)).all(),
        "statuses": list(SubContractStatus),
    }


@dataclass(frozen=True)
class RegistryOverview:
    """What remains to publish in the register of contracts: (kraj, count, value) rows, (kraj, ORP,
    count, value) rows, and the oldest sub-contracts themselves."""

    per_kraj: list[sa.Row]
    per_orp: list[sa.Row]
    subcontracts: list[SubContract]


REGISTRY_ROWS = 500


def registry_overview(user: User) -> RegistryOverview:
    """The sub-contracts ``user`` may see that still wait for publishing, per kraj and per ORP."""
    count, value = sa.func.count(SubContract.id), sa.func.sum(SubContract.value)

    def pending(*columns) -> sa.Select:
        return _visible(sa.select(*columns), user).where(SubContract.registry_pending)

    per_kraj = pending(Kraj.name, count, value).group_by(Kraj.name).order_by(Kraj.name)
    per_orp = pending(Kraj.name, Orp.name, count, value).group_by(Kraj.name, Orp.name).order_by(Kraj.name, Orp.name)
    oldest = pending(SubContract).order_by(SubContract.signed_on).limit(REGISTRY_ROWS)
    return RegistryOverview(
        per_kraj=list(db.session.execute(per_kraj)),
        per_orp=list(db.session.execute(per_orp)),
        subcontracts=list(db.session.scalars(oldest)),
    )
