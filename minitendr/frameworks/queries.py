"""What the framework pages list: frameworks by filter, their parties, sub-contracts and minitenders —
each within what the user may see (the scopes of ``minitendr.permissions``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from minitendr.auth.models import User
from minitendr.contracts.models import SubContract
from minitendr.db import db
from minitendr.demands.models import Demand
from minitendr.frameworks.models import FrameworkContract, FrameworkParty, FrameworkStatus, PartyStatus
from minitendr.pagination import Page, Sort, paginate
from minitendr.permissions import demand_scope, framework_scope, subcontract_scope
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, ServiceCategory

FILTERS = ("kraj", "category", "status", "valid_on")
NEWEST_FIRST = Sort((FrameworkContract.valid_from.expression, FrameworkContract.id.expression), descending=True)
SHOWN = 100  # sub-contracts and minitenders listed on a framework's page, the newest


def list_filters(args: Mapping[str, str]) -> dict[str, str]:
    """The list's filters from the URL, as typed (unknown values simply filter nothing)."""
    return {key: args.get(key, "") for key in FILTERS}


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def frameworks(user: User, filters: Mapping[str, str]) -> Page[FrameworkContract]:
    """A page of the frameworks ``user`` may see that match ``filters``, newest first, with their kraj
    and category (in the same statement), and how many match.

    Read from ix_framework_contract_valid_from in order; filtered by kraj (as kraj officials and OSPOD
    offices always are), the list is one kraj's frameworks — tens — read by
    ix_framework_contract_kraj_category and sorted."""
    stmt = (
        sa.select(FrameworkContract)
        .join(FrameworkContract.kraj)
        .join(FrameworkContract.category)
        .options(contains_eager(FrameworkContract.kraj), contains_eager(FrameworkContract.category))
        .where(framework_scope(user))
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
    return paginate(stmt, NEWEST_FIRST, lambda framework: (framework.valid_from, framework.id), count=True)


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


def providers(*, active_only: bool = False) -> list[sa.Row[tuple[int, str, str]]]:
    """Id, name and IČO of every provider (or every active one) by name, for the party form's select:
    columns, not objects, for there are thousands nationally (objects took 0.3 s a page at 5 000)."""
    stmt = sa.select(Provider.id, Provider.name, Provider.ico).order_by(Provider.name, Provider.id)
    return list(db.session.execute(stmt.where(Provider.active) if active_only else stmt))


def subcontracts(framework: FrameworkContract, user: User) -> list[SubContract]:
    """The framework's ``SHOWN`` newest sub-contracts that ``user`` may see, with their provider and ORP
    (one statement), read in order from ix_subcontract_framework however many the framework has."""
    return list(
        db.session.scalars(
            sa.select(SubContract)
            .options(joinedload(SubContract.provider), joinedload(SubContract.orp))
            .where(SubContract.framework_id == framework.id, subcontract_scope(user))
            .order_by(SubContract.signed_on.desc(), SubContract.id.desc())
            .limit(SHOWN)
        )
    )


def demands(framework: FrameworkContract, user: User) -> list[Demand]:
    """The ``SHOWN`` minitenders published under the framework that ``user`` may see, newest first, with
    their service type and ORP (one statement), read in order from ix_demand_framework_published."""
    return list(
        db.session.scalars(
            sa.select(Demand)
            .options(joinedload(Demand.service_type), joinedload(Demand.orp))
            .where(Demand.framework_id == framework.id, demand_scope(user))
            .order_by(Demand.published_at.desc(), Demand.id.desc())
            .limit(SHOWN)
        )
    )
