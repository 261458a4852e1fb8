"""What the sub-contract pages read: the filtered list a page at a time with the totals of all it
matches and what each row has spent, and what remains to publish in the register of contracts. Every
query is limited to what the user may see (``subcontract_scope``).

A page costs the same at a hundred sub-contracts and at a million: it is the next rows of its sort,
read from an index (minitendr.pagination, the indexes on ``SubContract``); the rows' provider, ORP and
service type come in one statement each; the totals come from the spend summary, which already holds
them per framework, ORP, category, provider and year."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from minitendr import search
from minitendr.auth.models import Role, User
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.demands.models import NEEDS, Demand
from minitendr.demands.queries import service_type_options
from minitendr.money import to_money
from minitendr.pagination import COUNT_LIMIT, Page, Partitions, Sort, first_rows, not_by_index, paginate
from minitendr.permissions import kraj_totals_scope, reads_whole_kraje, subcontract_scope
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType
from minitendr.reports.models import KrajSpend, RegistryPending, SpendSummary
from minitendr.reports.summary import dialect_name, year_of

# The list's filters, all optional and combinable, kept in the URL (and in the pages' links).
FILTERS = ("kraj", "orp", "category", "provider", "status", "year", "registry", "sort")
# The search (minitendr.search): number, service type, needs area (the demand's), the date signed and a
# text over the number, provider, service type and ORP.
SEARCH = ("number", "service_type", "need", "since", "until", "q")
# Each sort ends in a unique key, so that a page can say exactly where it stopped. The number sorts
# by its parts: kraj, year, place in the sequence (the text would put 10000 before 2000).
SIGNED, VALUE, ID = SubContract.signed_on.expression, SubContract.value.expression, SubContract.id.expression
SORTS = {
    "-signed": Sort((SIGNED, ID), descending=True),
    "signed": Sort((SIGNED, ID)),
    "-value": Sort((VALUE, ID), descending=True),
    "value": Sort((VALUE, ID)),
    "number": Sort(
        (SubContract.kraj_abbr.expression, SubContract.number_year.expression, SubContract.number_seq.expression)
    ),
}
DEFAULT_SORT = "-signed"
EXPORT_BATCH = 1000
FIRST_YEAR, LAST_YEAR = 2000, 2100


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
    search.check_year(filters, errors)
    return errors


def _search(selected: Selection, filters: Mapping[str, str], narrow: bool) -> None:
    """The search as conditions on the rows alone (the summaries hold none of these). ``narrow``: an
    ORP, a kraj's ORPs or a provider lead the way, and the service type is checked along their index;
    nationally it leads by its own (one per sort). The needs area is the demand's, read by its key for
    each row the sort's index gives (a sixth of the country each, as the category is a third): never
    a list of every demand with that area."""
    if number := filters.get("number"):
        selected.rows_only(search.contains(SubContract.number, number))
    if code := filters.get("service_type"):
        type_id = sa.select(ServiceType.id).where(ServiceType.code == code).scalar_subquery()
        column = SubContract.service_type_id.expression
        selected.rows_only((not_by_index(column) if narrow else column) == type_id)
    if need := filters.get("need"):
        of_row = sa.exists().where(Demand.id == SubContract.demand_id, search.has_need(Demand.needs, need))
        selected.rows_only(of_row)
    selected.since, selected.until = search.date_range(dict(filters), {})
    if selected.since or selected.until:
        selected.summary = selected.whole_kraje = None
    if text := filters.get("q"):
        providers = sa.select(Provider.id).where(search.contains(Provider.name, text))
        types = sa.select(ServiceType.id).where(search.contains(ServiceType.name, text))
        orps = sa.select(Orp.id).where(search.contains(Orp.name, text))
        selected.rows_only(
            sa.or_(
                search.contains(SubContract.number, text),
                SubContract.provider_id.in_(providers),
                SubContract.service_type_id.in_(types),
                SubContract.orp_id.in_(orps),
            )
        )


def _year(filters: Mapping[str, str]) -> int | None:
    year = filters.get("year") or ""
    return int(year) if year.isascii() and year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR else None


@dataclass
class Selection:
    """What the filters select, as conditions on the sub-contracts and the same on the spend summary
    (``summary`` is None when a filter has no counterpart there: the state, the register). ``orps``:
    the ORPs the rows lie in when that is a known set of a few (a kraj's), for ``Partitions``."""

    rows: list[sa.ColumnElement[bool]] = field(default_factory=list)
    summary: list[sa.ColumnElement[bool]] | None = field(default_factory=list)
    # The same on the totals of whole kraje (None when an ORP or a provider narrows the selection).
    whole_kraje: list[sa.ColumnElement[bool]] | None = field(default_factory=list)
    orps: list[int] | None = None
    year: int | None = None
    # The search's range of the date signed (minitendr.search), said per sort as the year is.
    since: dt.date | None = None
    until: dt.date | None = None

    def both(self, column: str, condition) -> None:
        """``condition(column)`` on the sub-contract and the summary column of that name."""
        self.rows.append(condition(getattr(SubContract, column)))
        if self.summary is not None:
            self.summary.append(condition(getattr(SpendSummary, column)))

    def rows_only(self, condition: sa.ColumnElement[bool]) -> None:
        self.rows.append(condition)
        self.summary = self.whole_kraje = None

    def of_whole_kraje(self, condition: sa.ColumnElement[bool] | None) -> None:
        """``condition`` on ``KrajSpend``; None: the totals of whole kraje cannot answer."""
        if condition is None or self.whole_kraje is None:
            self.whole_kraje = None
        else:
            self.whole_kraje.append(condition)

    def conditions(self, sort: str) -> list[sa.ColumnElement[bool]]:
        """The conditions on the sub-contracts for a list in ``sort`` order."""
        return [*self._year_conditions(sort), *self._range_conditions(sort)]

    def _range_conditions(self, sort: str) -> list[sa.ColumnElement[bool]]:
        """The date range: where the page starts in the index of the date when sorted by it, else
        checked along the sort's index (SQLite would otherwise sort the range's rows)."""
        signed = SubContract.signed_on.expression
        column = signed if sort.endswith("signed") else not_by_index(signed)
        return [
            *([column >= self.since] if self.since else []),
            *([column <= self.until] if self.until else []),
        ]

    def _year_conditions(self, sort: str) -> list[sa.ColumnElement[bool]]:
        if self.year is None:
            return self.rows
        dialect = dialect_name()
        if sort.endswith("signed") or dialect != "sqlite":
            # Where the page starts in the index of the date.
            return [*self.rows, SubContract.signed_on.between(dt.date(self.year, 1, 1), dt.date(self.year, 12, 31))]
        # Said as the year of the date, which no index answers: SQLite (which plans by the shape of a
        # query) would otherwise read the year from the index of the date and sort it all by value,
        # instead of walking the value's index. PostgreSQL weighs both by its statistics.
        return [*self.rows, year_of(SubContract.signed_on, dialect) == self.year]

    @property
    def partitions(self) -> Partitions | None:
        return Partitions(SubContract.orp_id.expression, self.orps) if self.orps is not None else None


def _is(column, value: int | None) -> sa.ColumnElement[bool]:
    return sa.false() if value is None else column == value


def _orps_of_kraj(kraj_id: int | None) -> list[int]:
    return list(db.session.scalars(sa.select(Orp.id).where(Orp.kraj_id == kraj_id).order_by(Orp.id)))


def _selection(
    user: User, filters: Mapping[str, str], kraje: list[Kraj], categories: list[ServiceCategory]
) -> Selection:
    """The filters as conditions on ids (codes looked up first), so that each reads an index of the
    sub-contracts themselves. An unknown code selects nothing."""
    selected = Selection()
    # A kraj (the official's own, or the one filtered) is a set of ORPs, which the list reads one by one
    # (Partitions), unless one ORP or one provider narrows it more (an OSPOD's, a provider's scope).
    if user.role is Role.KRAJ:
        selected.orps = _orps_of_kraj(user.kraj_id)
    if code := filters.get("kraj"):
        kraj_id = next((k.id for k in kraje if k.code == code), None)
        orps = _orps_of_kraj(kraj_id)
        selected.orps = orps if selected.orps is None else [o for o in selected.orps if o in orps]
        selected.both("orp_id", lambda column: column.in_(orps))
        selected.of_whole_kraje(_is(KrajSpend.kraj_id, kraj_id))
    narrowed = user.role in (Role.OSPOD, Role.PROVIDER) or bool(filters.get("orp") or filters.get("provider"))
    if narrowed:
        selected.orps = None
        selected.of_whole_kraje(None)
    if code := filters.get("orp"):
        orp_id = db.session.scalar(sa.select(Orp.id).where(Orp.code == code))
        selected.both("orp_id", lambda column: _is(column, orp_id))
    if code := filters.get("category"):
        category_id = next((c.id for c in categories if c.code == code), None)
        selected.both("category_id", lambda column: _is(column, category_id))
        selected.of_whole_kraje(_is(KrajSpend.category_id, category_id))
    if ico := filters.get("provider"):
        provider_id = db.session.scalar(sa.select(Provider.id).where(Provider.ico == ico))
        selected.both("provider_id", lambda column: _is(column, provider_id))
    if (year := _year(filters)) is not None:
        selected.year = year
        if selected.summary is not None:
            selected.summary.append(SpendSummary.year == year)
        selected.of_whole_kraje(KrajSpend.year == year)
    # Nationally the state and the service type have indexes of their own, one per sort; within an ORP,
    # a kraj's ORPs or a provider they are checked along the ORP's or the provider's index.
    narrow = narrowed or selected.orps is not None
    if filters.get("status") in {status.value for status in SubContractStatus}:
        status = SubContractStatus(filters["status"])
        column = SubContract.status.expression
        selected.rows_only((not_by_index(column) if narrow else column) == status)
    if filters.get("registry") == "pending":
        selected.rows_only(SubContract.registry_pending.expression)
    _search(selected, filters, narrow)
    return selected


@dataclass(frozen=True)
class Totals:
    """How many sub-contracts match and their value; over ``COUNT_LIMIT`` rows that only the rows
    themselves could answer (a filter by state or register), neither is counted (``exceeds``)."""

    count: int
    value: Decimal | None
    exceeds: bool = False


def _totals(user: User, selected: Selection) -> Totals:
    """From the totals of whole kraje when they can answer (a few hundred rows: kraj, category, year),
    else from the spend summary (one row per framework, ORP, category, provider and year, read through
    its ORP's or provider's index); otherwise from the rows, reading at most ``COUNT_LIMIT + 1`` of them
    (a kraj's ORP by ORP)."""
    if selected.whole_kraje is not None and reads_whole_kraje(user):
        count, value = db.session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(KrajSpend.contracts), 0),
                sa.func.coalesce(sa.func.sum(KrajSpend.contracted), 0),
            ).where(kraj_totals_scope(user, KrajSpend), *selected.whole_kraje)
        ).one()
        return Totals(count=int(count), value=to_money(value))
    if selected.summary is not None:
        count, value = db.session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(SpendSummary.contracts), 0),
                sa.func.coalesce(sa.func.sum(SpendSummary.contracted), 0),
            ).where(subcontract_scope(user, SpendSummary), *selected.summary)
        ).one()
        return Totals(count=int(count), value=to_money(value))
    rows = sa.select(SubContract.value).where(subcontract_scope(user), *selected.conditions(DEFAULT_SORT))
    capped = first_rows(rows, COUNT_LIMIT + 1, selected.partitions)
    count, value = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(capped.c.value), 0))
    ).one()
    if count > COUNT_LIMIT:
        return Totals(count=COUNT_LIMIT, value=None, exceeds=True)
    return Totals(count=count, value=to_money(value))


@dataclass(frozen=True)
class SubContractList:
    """One page of the filtered list, the totals of all it matches, and what each row has spent."""

    page: Page[SubContract]
    totals: Totals
    spent: dict[int, Decimal]


def subcontract_list(
    user: User, filters: Mapping[str, str], kraje: list[Kraj], categories: list[ServiceCategory]
) -> SubContractList:
    """The sub-contracts ``user`` may see that match ``filters``, newest first unless sorted otherwise;
    one page of them, after or before the cursor in the URL. ``kraje`` and ``categories`` are the
    filter choices (the codes are looked up in them)."""
    stmt, sort, selected = _listed(user, filters, kraje, categories)
    page: Page[SubContract] = paginate(stmt, sort, sort.values_of, partitions=selected.partitions)
    return SubContractList(page=page, totals=_totals(user, selected), spent=spent([s.id for s in page.items]))


def _listed(
    user: User, filters: Mapping[str, str], kraje: list[Kraj], categories: list[ServiceCategory]
) -> tuple[sa.Select, Sort, Selection]:
    """The statement of the list (unordered: ``paginate`` orders it), its sort and the selection."""
    sort_key = filters.get("sort", "") if filters.get("sort", "") in SORTS else DEFAULT_SORT
    selected = _selection(user, filters, kraje, categories)
    stmt = (
        sa.select(SubContract)
        .where(subcontract_scope(user), *selected.conditions(sort_key))
        .options(
            selectinload(SubContract.provider), selectinload(SubContract.orp), selectinload(SubContract.service_type)
        )
    )
    return stmt, SORTS[sort_key], selected


def every_row(
    user: User,
    filters: Mapping[str, str],
    kraje: list[Kraj],
    categories: list[ServiceCategory],
    batch: int = EXPORT_BATCH,
) -> Iterator[tuple[SubContract, Decimal]]:
    """Every sub-contract of the list with what it has spent, in the list's order: the pages of the same
    statement, ``batch`` rows at a time, each after the last one's key (an export: the same rows as the
    pages, however many)."""
    stmt, sort, selected = _listed(user, filters, kraje, categories)
    cursor = ""
    while True:
        page: Page[SubContract] = paginate(
            stmt, sort, sort.values_of, per_page=batch, after=cursor, before="", partitions=selected.partitions
        )
        spent_on = spent([s.id for s in page.items])
        for subcontract in page.items:
            yield subcontract, spent_on.get(subcontract.id, Decimal("0.00"))
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
        for subcontract in page.items:  # the next batch needs no memory of this one
            db.session.expunge(subcontract)


def spent(subcontract_ids: list[int]) -> dict[int, Decimal]:
    """The confirmed drawdowns of each sub-contract (those without any are missing)."""
    if not subcontract_ids:
        return {}
    rows = db.session.execute(
        sa.select(Drawdown.subcontract_id, sa.func.sum(Drawdown.amount))
        .where(Drawdown.subcontract_id.in_(subcontract_ids), Drawdown.status == DrawdownStatus.CONFIRMED)
        .group_by(Drawdown.subcontract_id)
    )
    return {subcontract_id: to_money(amount) for subcontract_id, amount in rows}


def filter_choices() -> dict[str, Any]:
    """What the list's filter selects offer."""
    return {
        "kraje": list(db.session.scalars(sa.select(Kraj).order_by(Kraj.name))),
        "categories": list(db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position))),
        "statuses": list(SubContractStatus),
        "service_types": service_type_options(),
        "needs": NEEDS,
    }


# --- the register of contracts -------------------------------------------------------------------
@dataclass(frozen=True)
class Pending:
    """Sub-contracts waiting for the register of contracts in one place: how many, and their value."""

    kraj: str
    orp: str | None
    count: int
    value: Decimal


@dataclass(frozen=True)
class RegistryOverview:
    """What remains to publish in the register of contracts: per kraj, per ORP, all together, and
    one page of the sub-contracts themselves, the oldest first."""

    per_kraj: list[Pending]
    per_orp: list[Pending]
    page: Page[SubContract]


OLDEST_FIRST = Sort((SIGNED, ID))


def registry_overview(user: User) -> RegistryOverview:
    """The sub-contracts ``user`` (an official) may see that still wait for publishing, per kraj and
    per ORP. The sums are the running totals per ORP (``RegistryPending``: a row per ORP with any,
    whatever the country's size), named; a kraj's are its ORPs' added up."""
    pending = sa.and_(SubContract.registry_pending, subcontract_scope(user))
    # Officials see whole ORPs (a provider, who sees its own sub-contracts, does not follow the register).
    scope = sa.false() if user.role is Role.PROVIDER else subcontract_scope(user, RegistryPending)
    rows = db.session.execute(
        sa.select(Kraj.name, Orp.name, RegistryPending.count, RegistryPending.value)
        .select_from(RegistryPending)
        .join(Orp, Orp.id == RegistryPending.orp_id)
        .join(Kraj, Kraj.id == Orp.kraj_id)
        .where(scope)
        .order_by(Kraj.name, Orp.name)
    )
    per_orp = [Pending(kraj, orp, count, to_money(value)) for kraj, orp, count, value in rows]
    per_kraj = []
    for kraj, group in itertools.groupby(per_orp, key=lambda row: row.kraj):
        orps = list(group)
        value = sum((row.value for row in orps), Decimal("0.00"))
        per_kraj.append(Pending(kraj, None, sum(row.count for row in orps), value))
    stmt = sa.select(SubContract).where(pending).options(selectinload(SubContract.provider))
    partitions = (
        Partitions(SubContract.orp_id.expression, _orps_of_kraj(user.kraj_id)) if user.role is Role.KRAJ else None
    )
    page: Page[SubContract] = paginate(stmt, OLDEST_FIRST, OLDEST_FIRST.values_of, partitions=partitions)
    page.count = sum(row.count for row in per_orp)  # exact, and known already
    return RegistryOverview(per_kraj=per_kraj, per_orp=per_orp, page=page)
