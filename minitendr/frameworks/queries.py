"""What the framework pages list: frameworks by filter, their parties, sub-contracts and minitenders —
each within what the user may see (the scopes of ``minitendr.permissions``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from minitendr.auth.models import User
from minitendr.contracts.models import SubContract
from minitendr.db import db
from minitendr.demands.models import Demand
from minitendr.frameworks.models import FrameworkContract, FrameworkParty, FrameworkStatus, PartyStatus
from minitendr.permissions import demand_scope, framework_scope, subcontract_scope
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, ServiceCategory

FILTERS = ("kraj", "category", "status", "valid_on")
SHOWN = 100  # sub-contracts and minitenders listed on a framework's page


def list_filters(args: Mapping[str, str]) -> dict[str, str]:
    """The list's filters from the URL, as typed (unknown values simply filter nothing)."""
    return {key: args.get(key, "") for key in FILTERS}


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def frameworks(user: User, filters: Mapping[str, str]) -> sa.Select:
    """The frameworks ``user`` may see that match ``filters``, by kraj, category and newest first."""
    stmt = (
        sa.select(FrameworkContract)
        .join(FrameworkContract.kraj)
        .join(FrameworkContract.category)
        .where(framework_scope(user))
        .order_by(Kraj.code, ServiceCategory.position, FrameworkContract.valid_from.desc())
    )
    if filters.get("kraj"):
        stmt = stmt.where(Kraj.code == filters["kraj"])
    if filters.get("category"):
        stmt = stmt.where(ServiceCategory.code == filters["category"])
    if filters.get("status") in {status.value for status in FrameworkStatus}:
        stmt = stmt.where(FrameworkContract.state == filters["status"])
    valid_on = _day(filters.get("valid_on", ""))
    if valid_on:
        stmt = stmt.where(FrameworkContract.valid_from <= valid_on, FrameworkContract.valid_to >= valid_on)
    return stmt


def active_party_counts(frameworks: Sequence[FrameworkContract]) -> dict[int, int]:
    """How many active parties each of ``frameworks`` has (one query for a page of them)."""
    return dict(
        db.session.execute(
            sa.select(FrameworkParty.framework_id, sa.func.count())
            .where(
                FrameworkParty.framework_id.in_([framework.id for framework in frameworks]),
                FrameworkParty.status == PartyStatus.ACTIVE,
            )
            .group_by(FrameworkParty.framework_id)
        ).all()
    )


def kraje() -> list[Kraj]:
    return list(db.session.scalars(sa.select(Kraj).order_by(Kraj.name)))


def categories() -> list[ServiceCategory]:
    return list(db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position)))


def providers(*, active_only: bool = False) -> list[Provider]:
    stmt = sa.select(Provider).order_by(Provider.name)
    return list(db.session.scalars(stmt.where(Provider.active) if active_only else stmt))


def subcontracts(framework: FrameworkContract, user: User) -> list[SubContract]:
    """The framework's newest sub-contracts that ``user`` may see."""
    return list(
        db.session.scalars(
            sa.select(SubContract)
            .where(SubContract.framework_id == framework.id, subcontract_scope(user))
            .order_by(SubContract.signed_on.desc(), SubContract.id.desc())
            .limit(SHOWN)
        )
    )


def demands(framework: FrameworkContract, user: User) -> list[Demand]:
    """The minitenders published under the framework that ``user`` may see, newest first."""
    return list(
        db.session.scalars(
            sa.select(Demand)
            .where(Demand.framework_id == framework.id, demand_scope(user))
            .order_by(Demand.published_at.desc())
            .limit(SHOWN)
        )
    )
