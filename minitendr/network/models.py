"""The catalogue of services (katalog služeb): services of any sector in a kraj's territory, the needs
areas each meets and the ORPs each serves. Kraj officials keep their kraj's catalogue; every framework
party's service types appear in it automatically (``framework_party_id`` set). Public-facing
information only: no case data is ever kept here."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import Model, enum_column, intpk, money, timestamp
from minitendr.demands.models import NEEDS
from minitendr.enums import LabelledEnum
from minitendr.frameworks.models import FrameworkParty
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceType

NEED_CODES = tuple(NEEDS)
NEED_CHECK = "need IN ({})".format(", ".join(f"'{code}'" for code in NEED_CODES))


class Sector(LabelledEnum):
    SOCIALNI = "socialni", "sociální služba (zákon 108/2006 Sb.)"
    ZDRAVOTNI = "zdravotni", "zdravotní"
    SKOLSKA = "skolska", "školská"
    JINA = "jina", "jiná"


class ServiceForm(LabelledEnum):
    POBYTOVA = "pobytova", "pobytová"
    AMBULANTNI = "ambulantni", "ambulantní"
    TERENNI = "terenni", "terénní"


def new_uuid() -> str:
    return str(uuid.uuid4())


class CatalogueService(Model):
    """One service in a kraj's catalogue. Its organisation is a registered provider (``provider_id``)
    or, for services outside the frameworks (a hospital ward, a school counselling centre), a name and
    an IČO where it has one. ``uuid`` is the id published in the open data (HSDS)."""

    __tablename__ = "catalogue_service"
    __table_args__ = (
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("provider_id IS NOT NULL OR organization <> ''", name="has_organization"),
        sa.CheckConstraint("ico IS NULL OR length(ico) = 8", name="ico_length"),
        sa.CheckConstraint("framework_party_id IS NULL OR service_type_id IS NOT NULL", name="party_service_type"),
        # One automatic entry per party and service type.
        sa.UniqueConstraint("framework_party_id", "service_type_id", name="uq_catalogue_service_party_type"),
        # A kraj's catalogue in alphabetical order (its list, keyset).
        sa.Index("ix_catalogue_service_kraj_name", "kraj_id", "name", "id"),
        sa.Index("ix_catalogue_service_provider", "provider_id"),
    )

    id: Mapped[intpk]
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_uuid)
    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    sector: Mapped[Sector] = mapped_column(enum_column(Sector, "catalogue_sector"))
    form: Mapped[ServiceForm] = mapped_column(enum_column(ServiceForm, "catalogue_form"))
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"))
    organization: Mapped[str] = mapped_column(sa.String(200), default="")
    ico: Mapped[str | None] = mapped_column(sa.String(8))
    service_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_type.id"))
    framework_party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("framework_party.id"))
    capacity: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    capacity_unit: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(120), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    web: Mapped[str] = mapped_column(sa.String(300), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    updated_at: Mapped[timestamp] = mapped_column(default=clock.now, onupdate=clock.now)

    kraj: Mapped[Kraj] = relationship()
    provider: Mapped[Provider | None] = relationship()
    service_type: Mapped[ServiceType | None] = relationship()
    framework_party: Mapped[FrameworkParty | None] = relationship()
    needs: Mapped[list[CatalogueNeed]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="CatalogueNeed.need"
    )
    orps: Mapped[list[CatalogueOrp]] = relationship(back_populates="service", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name

    @property
    def organization_name(self) -> str:
        return self.provider.name if self.provider is not None else self.organization

    @property
    def is_automatic(self) -> bool:
        """Kept from a framework party: the kraj may add needs, ORPs and capacity, not rename it."""
        return self.framework_party_id is not None

    @property
    def need_codes(self) -> list[str]:
        return [n.need for n in self.needs]

    @property
    def need_labels(self) -> list[str]:
        return [NEEDS[n.need] for n in self.needs]


class CatalogueNeed(Model):
    """A needs area a catalogue service meets."""

    __tablename__ = "catalogue_need"
    __table_args__ = (
        sa.CheckConstraint(NEED_CHECK, name="need_known"),
        # Who meets a needs area (search, coverage counts).
        sa.Index("ix_catalogue_need_need", "need", "service_id"),
    )

    service_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogue_service.id", ondelete="CASCADE"), primary_key=True)
    need: Mapped[str] = mapped_column(sa.String(20), primary_key=True)

    service: Mapped[CatalogueService] = relationship(back_populates="needs")


class CatalogueOrp(Model):
    """An ORP a catalogue service serves."""

    __tablename__ = "catalogue_orp"
    __table_args__ = (sa.Index("ix_catalogue_orp_orp", "orp_id", "service_id"),)

    service_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogue_service.id", ondelete="CASCADE"), primary_key=True)
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)

    service: Mapped[CatalogueService] = relationship(back_populates="orps")
    orp: Mapped[Orp] = relationship()


# --- the kraj's model of the network, and the figures of the minitenders (coverage) ---------------
class NetworkModel(Model):
    """A kraj's model of its service network (krajský model sítě) for a validity period: per ORP and
    needs area a priority, a goal and a minimal coverage (``NetworkTarget``), and the shares of unmet
    and single-bid minitenders above which the kraj sees a gap. Earlier models stay readable."""

    __tablename__ = "network_model"
    __table_args__ = (
        sa.CheckConstraint("valid_to >= valid_from", name="validity_order"),
        sa.CheckConstraint("unmet_threshold >= 0 AND unmet_threshold <= 100", name="unmet_threshold_range"),
        sa.CheckConstraint(
            "single_bid_threshold >= 0 AND single_bid_threshold <= 100", name="single_bid_threshold_range"
        ),
        # The model in force on a day (and a kraj's models, newest first).
        sa.Index("ix_network_model_kraj_valid", "kraj_id", "valid_from", "valid_to"),
    )

    id: Mapped[intpk]
    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date]
    # Per cent: a share of unmet (or single-bid) minitenders above it is a gap.
    unmet_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("20.00"))
    single_bid_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("50.00"))
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    updated_at: Mapped[timestamp] = mapped_column(default=clock.now, onupdate=clock.now)

    kraj: Mapped[Kraj] = relationship()
    targets: Mapped[list[NetworkTarget]] = relationship(back_populates="model", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_to


class NetworkTarget(Model):
    """The kraj's statement for one ORP × needs area: priority 1 (highest) to 3, a goal in words and
    the minimal expected coverage — a number of services in the catalogue, or their capacity."""

    __tablename__ = "network_target"
    __table_args__ = (
        sa.CheckConstraint(NEED_CHECK, name="need_known"),
        sa.CheckConstraint("priority BETWEEN 1 AND 3", name="priority_range"),
        sa.CheckConstraint("minimum_services IS NULL OR minimum_services >= 0", name="minimum_services_positive"),
        sa.CheckConstraint("minimum_capacity IS NULL OR minimum_capacity >= 0", name="minimum_capacity_positive"),
        sa.UniqueConstraint("model_id", "orp_id", "need", name="uq_network_target_cell"),
    )

    id: Mapped[intpk]
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("network_model.id", ondelete="CASCADE"))
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), index=True)
    need: Mapped[str] = mapped_column(sa.String(20))
    priority: Mapped[int] = mapped_column(sa.SmallInteger)
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    minimum_services: Mapped[int | None]
    minimum_capacity: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))

    model: Mapped[NetworkModel] = relationship(back_populates="targets")
    orp: Mapped[Orp] = relationship()

    @property
    def need_label(self) -> str:
        return NEEDS[self.need]


class CatalogueCoverage(Model):
    """Running totals of the catalogue per ORP × needs area × listing window: how many active services
    serve it and their capacity, kept by ``minitendr.network.catalogue_totals`` in the same transaction
    as the entry's change. An entry kept by hand is listed always (the widest window); a framework
    party's entry while its framework is in force (the framework's validity) — so the coverage of any
    day is a sum over a few thousand rows, not a pass over every entry, ORP and area."""

    __tablename__ = "catalogue_coverage"
    __table_args__ = (
        sa.CheckConstraint(NEED_CHECK, name="need_known"),
        sa.CheckConstraint("services >= 0 AND capacity >= 0", name="not_negative"),
    )

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    need: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    listed_from: Mapped[dt.date] = mapped_column(primary_key=True)
    listed_to: Mapped[dt.date] = mapped_column(primary_key=True)
    services: Mapped[int]
    capacity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))


class NetworkSummary(Model):
    """Running totals per ORP × needs area × category × year of publication (UTC), kept by
    ``minitendr.network.summary`` in the same transaction as the minitender's change. A minitender
    counts in every needs area it lists: published, awarded, unmet (unsuccessful, or cancelled after
    publishing), awarded on a single live bid, and the current value of its sub-contract."""

    __tablename__ = "network_summary"
    __table_args__ = (
        sa.CheckConstraint(NEED_CHECK, name="need_known"),
        sa.CheckConstraint(
            "published >= 0 AND awarded >= 0 AND unmet >= 0 AND single_bid >= 0 AND value >= 0", name="not_negative"
        ),
        # The year filter without an ORP (national and kraj maps of one year).
        sa.Index("ix_network_summary_year", "year", "orp_id"),
    )

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    need: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    published: Mapped[int] = mapped_column(default=0)
    awarded: Mapped[int] = mapped_column(default=0)
    unmet: Mapped[int] = mapped_column(default=0)
    single_bid: Mapped[int] = mapped_column(default=0)
    value: Mapped[money] = mapped_column(default=Decimal("0.00"))


class NetworkNeedTotal(Model):
    """``NetworkSummary`` over every category and year, per ORP × needs area, kept with it: the map
    without a category or year (the national one: 1 236 cells) reads as many rows instead of summing
    tens of thousands."""

    __tablename__ = "network_need_total"
    __table_args__ = (
        sa.CheckConstraint(NEED_CHECK, name="need_known"),
        sa.CheckConstraint(
            "published >= 0 AND awarded >= 0 AND unmet >= 0 AND single_bid >= 0 AND value >= 0", name="not_negative"
        ),
    )

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    need: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    published: Mapped[int] = mapped_column(default=0)
    awarded: Mapped[int] = mapped_column(default=0)
    unmet: Mapped[int] = mapped_column(default=0)
    single_bid: Mapped[int] = mapped_column(default=0)
    value: Mapped[money] = mapped_column(default=Decimal("0.00"))


class NetworkOrpSummary(Model):
    """The same totals per ORP × category × year, each minitender counted once whatever needs areas it
    lists: the ORP's own figures (the map over all areas), which a sum over the areas would overcount."""

    __tablename__ = "network_orp_summary"
    __table_args__ = (
        sa.CheckConstraint(
            "published >= 0 AND awarded >= 0 AND unmet >= 0 AND single_bid >= 0 AND value >= 0", name="not_negative"
        ),
    )

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    published: Mapped[int] = mapped_column(default=0)
    awarded: Mapped[int] = mapped_column(default=0)
    unmet: Mapped[int] = mapped_column(default=0)
    single_bid: Mapped[int] = mapped_column(default=0)
    value: Mapped[money] = mapped_column(default=Decimal("0.00"))


class NetworkDuration(Model):
    """How many awarded minitenders took a number of Czech working days from publication to award,
    per ORP × needs area × category × year: the histogram the median is read from, in SQL."""

    __tablename__ = "network_duration"
    __table_args__ = (
        sa.CheckConstraint(NEED_CHECK, name="need_known"),
        sa.CheckConstraint("working_days >= 0 AND awards >= 0", name="not_negative"),
    )

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    need: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    working_days: Mapped[int] = mapped_column(primary_key=True)
    awards: Mapped[int] = mapped_column(default=0)


class OrpCensus(Model):
    """An ORP's residents and children aged 0–14 by the 2021 census (``seed/orp_population.csv``, from
    ČSÚ's SLDB 2021): what value per child is counted on."""

    __tablename__ = "orp_census"

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    population: Mapped[int]
    children_0_14: Mapped[int]


class WorkDay(Model):
    """The Czech calendar, one row per day from ``CALENDAR_START`` to ``CALENDAR_END``: when the day
    begins in Prague (as UTC) and how many working days there have been up to it, so that SQL counts
    the working days between two timestamps in either database (SQLite knows no time zones)."""

    __tablename__ = "work_day"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    starts_at: Mapped[timestamp] = mapped_column(unique=True)
    working_index: Mapped[int]
