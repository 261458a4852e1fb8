"""Running totals of the catalogue (``CatalogueCoverage``): per ORP × needs area × listing window, the
active services and their capacity. The catalogue's services keep them in the same transaction as the
entry's change — ``counted`` after an entry is made, ``kept`` around a change — one atomic upsert per
row, so concurrent writers add up; a row left with no service goes, as a rebuild has none for it. A
bulk load in one transaction (the national seeding) counts nothing entry by entry and rebuilds them at
its end instead (``deferred``).

The coverage figures of a day are the rows whose window holds it: what ``catalogue.listed()`` lists
(active, and a framework party's entry only while its framework is in force) without reading every
entry. ``rebuild`` computes them afresh in SQL; the tests check both against ``listed()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

import sqlalchemy as sa

from minitendr.db import db
from minitendr.frameworks.models import FrameworkContract, FrameworkParty
from minitendr.network.models import CatalogueCoverage, CatalogueNeed, CatalogueOrp, CatalogueService
from minitendr.reports.summary import UNSYNCHRONISED, add_to_rows, added

# The window of an entry kept by hand: listed whatever the day.
ALWAYS_FROM, ALWAYS_TO = dt.date(2000, 1, 1), dt.date(9999, 12, 31)
COLUMNS = ["orp_id", "need", "listed_from", "listed_to", "services", "capacity"]
_deferred: ContextVar[bool] = ContextVar("catalogue_totals_deferred", default=False)


def _window(service: CatalogueService) -> tuple[dt.date, dt.date]:
    party = service.framework_party
    if party is None:
        return ALWAYS_FROM, ALWAYS_TO
    return party.framework.valid_from, party.framework.valid_to


def counted(service: CatalogueService, sign: int = 1) -> None:
    """Add an active entry (``sign`` -1: take it away) to the rows of the ORPs and areas it serves: the
    rows of every ORP × area in its window, a statement for them all."""
    if not service.active or _deferred.get():
        return
    orp_ids = sorted({orp.orp_id for orp in service.orps})
    needs = sorted(set(service.need_codes))
    if not (orp_ids and needs):
        return
    start, end = _window(service)
    amounts = {"services": sign, "capacity": sign * (service.capacity or Decimal(0))}
    if sign > 0:
        window = {"listed_from": start, "listed_to": end}
        add_to_rows(CatalogueCoverage, [{"orp_id": o, "need": n, **window} for o in orp_ids for n in needs], amounts)
        return
    rows = (
        CatalogueCoverage.orp_id.in_(orp_ids),
        CatalogueCoverage.need.in_(needs),
        CatalogueCoverage.listed_from == start,
        CatalogueCoverage.listed_to == end,
    )
    taken_off = added(CatalogueCoverage, amounts)
    db.session.execute(sa.update(CatalogueCoverage).where(*rows).values(taken_off), execution_options=UNSYNCHRONISED)
    db.session.execute(
        sa.delete(CatalogueCoverage).where(*rows, CatalogueCoverage.services == 0), execution_options=UNSYNCHRONISED
    )


@contextmanager
def kept(service: CatalogueService) -> Iterator[None]:
    """Around a change of an entry (its areas, ORPs, capacity, whether it is active): what it counted
    before comes off, what it counts after goes on."""
    counted(service, -1)
    yield
    db.session.flush()
    counted(service, 1)


@contextmanager
def deferred() -> Iterator[None]:
    """For a bulk load of the catalogue in one transaction (a national network's thousands of entries,
    each made and then fitted): the totals are rebuilt once at the end instead of kept entry by entry —
    every entry of a kraj counts in the same few rows, and on PostgreSQL each of those thousands of
    updates leaves a row version the later statements of the transaction step over. Not for requests:
    a rebuild reads the whole catalogue and would lose a concurrent writer's count."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    db.session.flush()
    for statement in rebuild_statements():
        db.session.execute(statement, execution_options=UNSYNCHRONISED)


def rebuild_statements() -> list[sa.Executable]:
    """Empty the catalogue totals and fill them from the entries, in SQL."""
    listed_from = sa.func.coalesce(FrameworkContract.valid_from, ALWAYS_FROM)
    listed_to = sa.func.coalesce(FrameworkContract.valid_to, ALWAYS_TO)
    key = (CatalogueOrp.orp_id, CatalogueNeed.need, listed_from, listed_to)
    totals = (
        sa.select(*key, sa.func.count(), sa.func.coalesce(sa.func.sum(CatalogueService.capacity), 0))
        .select_from(CatalogueService)
        .join(CatalogueOrp, CatalogueOrp.service_id == CatalogueService.id)
        .join(CatalogueNeed, CatalogueNeed.service_id == CatalogueService.id)
        .outerjoin(FrameworkParty, FrameworkParty.id == CatalogueService.framework_party_id)
        .outerjoin(FrameworkContract, FrameworkContract.id == FrameworkParty.framework_id)
        .where(CatalogueService.active.is_(True))
        .group_by(*key)
    )
    return [sa.delete(CatalogueCoverage), sa.insert(CatalogueCoverage).from_select(COLUMNS, totals)]
