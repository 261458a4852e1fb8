"""What the demand pages read: the list a user may see, filtered and ordered for their role, a page at
a time, and how many demands it holds in each state. The scope comes from ``permissions.demand_scope``.

A page costs the same at a hundred demands and at a million: officials read the next rows of the
newest-first index, a provider the next of its invitations (minitendr.pagination, the indexes on
``Demand`` and ``Invitation``); the rows' ORP, category and service type come in one statement each;
the counts read at most ``COUNT_LIMIT + 1`` rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from minitendr import clock, search
from minitendr.auth.models import Role, User
from minitendr.db import db
from minitendr.demands.models import NEEDS, Demand, DemandStatus, Invitation
from minitendr.forms import SelectChoice
from minitendr.pagination import (
    COUNT_LIMIT,
    Page,
    Partitions,
    Sort,
    count_upto,
    first_rows,
    not_by_index,
    paginate,
)
from minitendr.permissions import demand_scope
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType

# The list's filters, all optional, kept in the URL (and in the pages' links): the state and place, and
# the search (minitendr.search): number, category, service type, needs area, the provider awarded,
# the date filed and a text over what is no case data.
FILTERS = ("status", "orp", "kraj")
SEARCH = ("number", "category", "service_type", "need", "provider", "since", "until", "q")
NEWEST_FIRST = Sort((Demand.created_at.expression, Demand.id.expression), descending=True)
# The provider's own invitation, joined to each of its demands (an alias: the scope has a condition on
# invitations of its own, which must not correlate with this one).
OWN_INVITATION = aliased(Invitation, name="own_invitation")
# A provider's minitenders in the order of its invitations' index: the latest filed first.
LATEST_INVITATIONS_FIRST = Sort((OWN_INVITATION.demand_id.expression,), descending=True)
# Open minitenders, the nearest deadline first (an open one always has its deadline).
NEAREST_DEADLINE_FIRST = Sort((Demand.deadline.expression, Demand.id.expression))
# How many open minitenders a provider's first page shows above the rest.
OPEN_ROWS = 50


def filters_from(args: Mapping[str, str]) -> dict[str, str]:
    """The list filters from a query string: every key present, stripped, '' when not given."""
    return {key: (args.get(key) or "").strip() for key in (*FILTERS, *SEARCH)}


def checked(filters: dict[str, str]) -> dict[str, str]:
    """Czech messages for the filters that cannot be read, which are cleared, so that the rest still
    applies (the form shows them as typed: take a copy first)."""
    errors: dict[str, str] = {}
    search.check_text(filters, errors, *FILTERS, *SEARCH)
    search.check_need(filters, errors)
    search.date_range(filters, errors)
    search.check_codes(filters, errors)
    return errors


def _id_of(column: Any, key: Any, value: str) -> sa.ColumnElement[bool]:
    """``column`` is the id of the row whose ``key`` is ``value`` (in the same statement; no such row
    selects nothing)."""
    return column == sa.select(key.table.c.id).where(key == value).scalar_subquery()


def search_conditions(filters: Mapping[str, str], indexed: bool = True) -> list[sa.ColumnElement[bool]]:
    """The search as conditions on demands (``checked`` first). The text looks in the number, the
    service type, the ORP and the place — never in the case reference nor the need described.
    ``indexed``: the category and service type lead by their own indexes (newest first); not for a
    list that walks an index of its own (an ORP's, a kraj's ORPs, a provider's invitations)."""

    def column(attribute: Any) -> Any:
        return attribute.expression if indexed else not_by_index(attribute.expression)

    from minitendr.contracts.models import SubContract

    where: list[sa.ColumnElement[bool]] = []
    if number := filters.get("number"):
        where.append(search.contains(Demand.number, number))
    if code := filters.get("category"):
        where.append(_id_of(column(Demand.category_id), ServiceCategory.code, code))
    if code := filters.get("service_type"):
        where.append(_id_of(column(Demand.service_type_id), ServiceType.code, code))
    if need := filters.get("need"):
        where.append(search.has_need(Demand.needs, need))
    if ico := filters.get("provider"):
        # The provider the minitender was awarded to: public once awarded, and says nothing of bids.
        awarded = sa.select(SubContract.demand_id).join(Provider, Provider.id == SubContract.provider_id)
        where.append(Demand.id.in_(awarded.where(Provider.ico == ico)))
    since, until = search.date_range(dict(filters), {})
    if since:
        where.append(Demand.created_at >= search.start_of(since))
    if until:
        where.append(Demand.created_at < search.start_of(until + dt.timedelta(days=1)))
    if text := filters.get("q"):
        types = sa.select(ServiceType.id).where(search.contains(ServiceType.name, text))
        orps = sa.select(Orp.id).where(search.contains(Orp.name, text))
        where.append(
            sa.or_(
                search.contains(Demand.number, text),
                search.contains(Demand.place, text),
                Demand.service_type_id.in_(types),
                Demand.orp_id.in_(orps),
            )
        )
    return where


def in_state(state: DemandStatus, indexed: bool = True) -> sa.ColumnElement[bool]:
    """The demands in ``state`` as people see it (``Demand.state``), said so that an index on the stored
    status serves it: "published" and "evaluation" are both stored as published, either side of the
    deadline. Not ``indexed``: for a list that walks an index of its own (an ORP's, a provider's
    invitations) and checks the state along it (``not_by_index``)."""
    status = Demand.status.expression if indexed else not_by_index(Demand.status.expression)
    if state is DemandStatus.PUBLISHED:
        return sa.and_(status == DemandStatus.PUBLISHED, Demand.deadline > clock.now())
    if state is DemandStatus.EVALUATION:
        return sa.and_(status == DemandStatus.PUBLISHED, Demand.deadline <= clock.now())
    return status == state


def _visible(user: User, *columns: Any) -> sa.Select:
    """``columns`` of the demands ``user`` may see. A provider's are read through its invitations (the
    index on provider and demand): the scope says that and more, but as a condition per demand, which
    would make the database try every demand in the country."""
    stmt = sa.select(*columns).select_from(Demand).where(demand_scope(user))
    if user.role is Role.PROVIDER:
        invited = sa.and_(OWN_INVITATION.demand_id == Demand.id, OWN_INVITATION.provider_id == user.provider_id)
        stmt = stmt.join(OWN_INVITATION, invited)
    return stmt


def _orps_of_kraj(kraj: sa.ColumnElement[bool]) -> list[int]:
    return list(db.session.scalars(sa.select(Orp.id).join(Orp.kraj).where(kraj).order_by(Orp.id)))


@dataclass
class Selection:
    """The ORP and kraj filters as conditions (an unknown code selects nothing), and the ORPs the rows
    lie in when that is a known set of a few (a kraj's), which the list reads one by one. ``narrow``:
    an ORP, a kraj's ORPs or a provider's invitations lead the way, not the state."""

    conditions: list[sa.ColumnElement[bool]]
    partitions: Partitions | None
    narrow: bool


def _selection(user: User, filters: Mapping[str, str]) -> Selection:
    conditions: list[sa.ColumnElement[bool]] = []
    orps = _orps_of_kraj(Kraj.id == user.kraj_id) if user.role is Role.KRAJ else None
    if code := filters.get("kraj"):
        in_kraj = _orps_of_kraj(Kraj.code == code)
        conditions.append(Demand.orp_id.in_(in_kraj))
        orps = in_kraj if orps is None else [orp for orp in orps if orp in in_kraj]
    if code := filters.get("orp"):
        orp_id = db.session.scalar(sa.select(Orp.id).where(Orp.code == code))
        conditions.append(sa.false() if orp_id is None else Demand.orp_id == orp_id)
    # One ORP (the filter, an OSPOD's scope) or a provider's invitations narrow it more.
    narrowed = user.role in (Role.OSPOD, Role.PROVIDER) or bool(filters.get("orp"))
    partitions = None if orps is None or narrowed else Partitions(Demand.orp_id.expression, orps)
    narrow = narrowed or partitions is not None
    conditions.extend(search_conditions(filters, indexed=not narrow))
    return Selection(conditions, partitions, narrow=narrow)


def _state(filters: Mapping[str, str]) -> DemandStatus | None:
    return next((s for s in DemandStatus if s.value == filters.get("status")), None)


@dataclass(frozen=True)
class DemandList:
    """One page of the demands a user may see. A provider's first page also has its open minitenders
    on top (``open_now``, nearest deadline first; ``more_open``: there are more than shown), and the
    page the rest. ``counts``: how many in each state (by value), None when more than ``COUNT_LIMIT``
    match."""

    page: Page[Demand]
    counts: dict[str, int] | None
    open_now: list[Demand]
    more_open: bool


def _with_related(stmt: sa.Select) -> sa.Select:
    return stmt.options(selectinload(Demand.orp), selectinload(Demand.category), selectinload(Demand.service_type))


def demand_list(user: User, filters: Mapping[str, str]) -> DemandList:
    """The demands ``user`` may see, filtered by state, ORP code and kraj code (unknown filters are
    ignored), a page at a time. Officials get the newest first. A provider gets its open minitenders
    first, the nearest deadline on top, then the others, the latest first."""
    state, selected = _state(filters), _selection(user, filters)
    # The open ones are few in the whole country: read in the order of their deadlines, even for one
    # provider (the state's index is the way to them).
    chosen = in_state(state, indexed=not selected.narrow or state is DemandStatus.PUBLISHED) if state else None
    conditions = [*selected.conditions, *([chosen] if chosen is not None else [])]
    rows = _with_related(_visible(user, Demand).where(*conditions))
    open_now: list[Demand] = []
    if user.role is not Role.PROVIDER:
        page: Page[Demand] = paginate(rows, NEWEST_FIRST, NEWEST_FIRST.values_of, partitions=selected.partitions)
    elif state is DemandStatus.PUBLISHED:
        page = paginate(rows, NEAREST_DEADLINE_FIRST, NEAREST_DEADLINE_FIRST.values_of)
    elif state is not None:
        page = paginate(rows, LATEST_INVITATIONS_FIRST, lambda demand: (demand.id,))
    else:  # the open ones on top of the first page, the rest below and on the next pages
        rest = rows.where(sa.not_(in_state(DemandStatus.PUBLISHED, indexed=False)))
        page = paginate(rest, LATEST_INVITATIONS_FIRST, lambda demand: (demand.id,))
        if not page.has_previous:
            open_rows = _visible(user, Demand).where(*selected.conditions, in_state(DemandStatus.PUBLISHED))
            ordered = _with_related(open_rows).order_by(*NEAREST_DEADLINE_FIRST.order_by())
            open_now = list(db.session.scalars(ordered.limit(OPEN_ROWS + 1)))
    counts = state_counts(user, selected.conditions, selected.partitions)
    if counts is not None:
        page.count = counts.get(state.value, 0) if state else sum(counts.values())
    elif state is not None:
        chosen_ids = _visible(user, Demand.id).where(*conditions)
        page.count, page.count_exceeds = count_upto(chosen_ids, partitions=selected.partitions)
    else:
        page.count, page.count_exceeds = COUNT_LIMIT, True
    return DemandList(page=page, counts=counts, open_now=open_now[:OPEN_ROWS], more_open=len(open_now) > OPEN_ROWS)


def state_counts(
    user: User, conditions: list[sa.ColumnElement[bool]] | None = None, partitions: Partitions | None = None
) -> dict[str, int] | None:
    """How many of the demands ``user`` may see (and ``conditions`` select) are in each state (by the
    state's value); None when they are more than ``COUNT_LIMIT`` (no more rows than that are read, a
    kraj's ORP by ORP)."""
    # Grouped over a subquery: the derived state carries the clock as a parameter, and PostgreSQL
    # would not see the SELECT and GROUP BY copies of it as the same expression.
    rows = _visible(user, Demand.state.label("state")).where(*(conditions or ()))
    states = first_rows(rows, COUNT_LIMIT + 1, partitions)
    counts: dict[str, int] = dict(
        db.session.execute(sa.select(states.c.state, sa.func.count()).group_by(states.c.state)).all()
    )
    return None if sum(counts.values()) > COUNT_LIMIT else counts


def invited_providers(demand: Demand) -> list[Provider]:
    """The providers invited to ``demand``, in the order they were invited (one statement, however many)."""
    stmt = (
        sa.select(Provider)
        .join(Invitation, Invitation.provider_id == Provider.id)
        .where(Invitation.demand_id == demand.id)
        .order_by(Invitation.id)
    )
    return list(db.session.scalars(stmt))


def search_choices() -> dict[str, Any]:
    """What the search form's selects offer: categories, service types (by category), needs areas."""
    return {
        "categories": list(db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position))),
        "service_types": service_type_options(),
        "needs": NEEDS,
    }


def service_type_options() -> list[tuple[str, str, str]]:
    """Every service type as (code, name, category name), by category: the search form groups them."""
    rows = db.session.execute(
        sa.select(ServiceType.code, ServiceType.name, ServiceCategory.name)
        .join(ServiceType.category)
        .order_by(ServiceCategory.position, ServiceType.name)
    )
    return [(code, name, category) for code, name, category in rows]


def service_choices() -> tuple[list[Any], list[Any]]:
    """The demand form's choices: the categories, and the active service types grouped by category,
    each option naming its category (``data-category``) for static/service-types.js to filter by.

    Lists of ``SelectChoice``, which the checker can only see as ``Any``: typeshed's WTForms stubs
    lack the class (``minitendr.forms`` bridges it)."""
    categories = db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position)).all()
    types = db.session.execute(
        sa.select(ServiceType, ServiceCategory.name)
        .join(ServiceType.category)
        .where(ServiceType.active)
        .order_by(ServiceCategory.position, ServiceType.name)
    )
    return (
        [SelectChoice(c.id, c.name) for c in categories],
        [
            SelectChoice(t.id, f"{t.name} ({t.unit})", optgroup=category, render_kw={"data-category": t.category_id})
            for t, category in types
        ],
    )


# --- the provider's own bid in each row of its list (issue 18) ---------------------------------------
@dataclass(frozen=True)
class OwnBid:
    """What a provider's list shows of its own bid in a minitender: the state, the price (its own,
    decrypted for it alone before the opening; None when the key cannot open it) and the result."""

    status: str
    price: Any
    result: str


def own_bid_column(user: User, demands: list[Demand]) -> dict[int, OwnBid]:
    """Per demand of ``demands``, ``user``'s provider's own bid (the live one, else the latest) and the
    minitender's result for it, in one statement however many rows. Only the provider's own bids are
    read: nothing here says whether, or how, anyone else bid."""
    from minitendr.bids.models import LIVE, Bid, BidStatus

    if user.role is not Role.PROVIDER or not demands:
        return {}
    stmt = (
        sa.select(Bid)
        .where(Bid.provider_id == user.provider_id, Bid.demand_id.in_([d.id for d in demands]))
        .order_by(Bid.id)
    )
    chosen: dict[int, Bid] = {}
    for bid in db.session.scalars(stmt):
        if bid.status in LIVE or chosen.get(bid.demand_id) is None or chosen[bid.demand_id].status not in LIVE:
            chosen[bid.demand_id] = bid
    states = {d.id: d.state for d in demands}
    results = {
        BidStatus.AWARDED: "vybrána (zadáno vám)",
        BidStatus.NOT_AWARDED: "nevybrána",
        BidStatus.EXCLUDED: "vyřazena",
    }
    column: dict[int, OwnBid] = {}
    for demand_id, bid in chosen.items():
        offer = bid.readable_offer if bid.status in LIVE else None
        if bid.status in results:
            result = results[bid.status]
        elif bid.status is BidStatus.SUBMITTED and states[demand_id] is DemandStatus.UNSUCCESSFUL:
            result = "minitendr bez výběru"
        elif bid.status is BidStatus.SUBMITTED and states[demand_id] is DemandStatus.CANCELLED:
            result = "minitendr zrušen"
        elif bid.status is BidStatus.SUBMITTED and states[demand_id] is DemandStatus.EVALUATION:
            result = "čeká na hodnocení"
        else:
            result = ""
        column[demand_id] = OwnBid(bid.status.label, offer.total if offer else None, result)
    return column
