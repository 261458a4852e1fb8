"""The catalogue's running totals (``CatalogueCoverage``): after every kind of change of the catalogue
they equal a rebuild, and the coverage figures they give equal bare SQL over what ``listed()`` lists —
on the day and past a framework's validity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.db import DomainError, db
from minitendr.frameworks import service as frameworks
from minitendr.network import catalogue, catalogue_totals, coverage
from minitendr.network import summary as network_summary
from minitendr.network.models import CatalogueCoverage, CatalogueNeed, CatalogueOrp, CatalogueService
from minitendr.registry.models import Orp
from tests.factories import ProviderFactory, make_framework
from tests.test_catalogue import add, automatic, orp


def totals() -> set[tuple]:
    return {tuple(row) for row in db.session.execute(sa.select(*CatalogueCoverage.__table__.columns))}


def listed_in_bare_sql(orp_ids) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """Per ORP code × area: the services ``listed()`` lists today and their capacity, from the entries."""
    rows = db.session.execute(
        sa.select(
            Orp.code,
            CatalogueNeed.need,
            sa.func.count(sa.distinct(CatalogueService.id)),
            sa.func.coalesce(sa.func.sum(CatalogueService.capacity), 0),
        )
        .join(CatalogueOrp, CatalogueOrp.orp_id == Orp.id)
        .join(CatalogueService, CatalogueService.id == CatalogueOrp.service_id)
        .join(CatalogueNeed, CatalogueNeed.service_id == CatalogueService.id)
        .where(Orp.id.in_(orp_ids), catalogue.listed())
        .group_by(Orp.code, CatalogueNeed.need)
    )
    return {(code, need): (count, Decimal(capacity)) for code, need, count, capacity in rows}


def the_maps_services(kraj, ministry) -> dict[tuple[str, str], tuple[int, Decimal]]:
    cells = coverage.cells(coverage.NetworkFilters(kraj=kraj), ministry, medians=False)
    return {(c.orp_code, c.need): (c.services, c.capacity) for c in cells if c.services}


def test_the_catalogue_totals_follow_every_change_and_equal_a_rebuild_and_bare_sql(kraj_pak, personas):
    ids = [o.id for o in kraj_pak.orps]
    clinic = add(
        kraj_pak,
        "Dětská psychiatrie",
        needs=("zdravi", "chovani"),
        orps=("5309", "5304"),
        capacity=Decimal(8),
        capacity_unit="lůžek",
    )
    school = add(kraj_pak, "Školní poradna", needs=("uceni",), orps=("5309",))
    framework = make_framework(kraj_pak, "pobytove", providers=[ProviderFactory(), ProviderFactory()])
    first, second = framework.parties
    shelter = next(e for e in automatic(first.id) if e.service_type.code == "AD")
    catalogue.update_service(
        shelter, orps=[orp("5304")], capacity=Decimal("12.50"), capacity_unit="lůžek", needs=["bezpeci", "vztahy"]
    )
    catalogue.update_service(clinic, capacity=Decimal(10), orps=[orp("5309")])
    catalogue.set_active(school, False)
    frameworks.suspend_party(second, "Neplní standardy kvality.")
    frameworks.reinstate_party(second)
    frameworks.suspend_party(first, "Neplní standardy kvality.")
    frameworks.reinstate_party(first)
    db.session.flush()

    kept = totals()
    assert kept, "the catalogue counts somewhere"
    assert the_maps_services(kraj_pak, personas.ministry) == listed_in_bare_sql(ids)
    assert the_maps_services(kraj_pak, personas.ministry)[("5304", "bezpeci")][1] >= Decimal("12.50")
    network_summary.rebuild()
    assert totals() == kept

    # Past the framework's validity its parties' entries are no longer listed: the totals' windows say so.
    with clock.frozen_at(clock.now() + dt.timedelta(days=800)):
        assert the_maps_services(kraj_pak, personas.ministry) == listed_in_bare_sql(ids)
        assert the_maps_services(kraj_pak, personas.ministry) == {
            ("5309", "chovani"): (1, Decimal(10)),
            ("5309", "zdravi"): (1, Decimal(10)),
        }

    frameworks.terminate_framework(framework, "Dohoda stran.")
    db.session.flush()
    assert the_maps_services(kraj_pak, personas.ministry) == listed_in_bare_sql(ids)
    kept = totals()
    network_summary.rebuild()
    assert totals() == kept


def test_an_entry_counts_once_per_orp_and_area_with_its_capacity(kraj_pak):
    before = totals()  # what entries of other tests count (PostgreSQL keeps what they committed)
    service = add(
        kraj_pak,
        "Klub",
        needs=("chovani", "uceni"),
        orps=("5309", "5304"),
        capacity=Decimal(25),
        capacity_unit="klientů",
    )
    db.session.flush()
    mine = {(r[0], r[1], r[4], r[5]) for r in totals() - before}
    expected = {(orp(c).id, n, 1, Decimal(25)) for c in ("5309", "5304") for n in ("chovani", "uceni")}
    assert mine == expected
    catalogue_totals.counted(service, -1)
    assert totals() == before


def test_a_bulk_load_counts_the_catalogue_once_at_its_end(kraj_pak, personas):
    """The national seeding makes thousands of entries in one transaction: inside ``deferred()`` none is
    counted as it is made or changed, at its end the totals are whole (equal to bare SQL over what
    ``listed()`` lists), and the entries made after it count one by one again."""
    ids = [o.id for o in kraj_pak.orps]
    before = totals()
    with catalogue_totals.deferred():
        clinic = add(
            kraj_pak,
            "Dětská psychiatrie",
            needs=("zdravi",),
            orps=("5309",),
            capacity=Decimal(8),
            capacity_unit="lůžek",
        )
        catalogue.update_service(clinic, orps=[orp("5304")])
        make_framework(kraj_pak, "pobytove", providers=[ProviderFactory()])
        db.session.flush()
        assert totals() == before
    services = the_maps_services(kraj_pak, personas.ministry)
    assert services == listed_in_bare_sql(ids)
    assert services[("5304", "zdravi")][0] >= 1 and services[("5304", "bezpeci")][0] >= 1  # the party's shelter

    add(kraj_pak, "Školní poradna", needs=("uceni",), orps=("5309",))
    assert the_maps_services(kraj_pak, personas.ministry) == listed_in_bare_sql(ids)


def test_a_bulk_load_that_fails_leaves_the_counting_on(kraj_pak, personas):
    with pytest.raises(DomainError), catalogue_totals.deferred():
        add(kraj_pak, "Klub", orps=())  # no ORP: refused
    counted = the_maps_services(kraj_pak, personas.ministry).get(("5309", "chovani"), (0, 0))[0]
    add(kraj_pak, "Klub", needs=("chovani",), orps=("5309",))
    assert the_maps_services(kraj_pak, personas.ministry)[("5309", "chovani")][0] == counted + 1
