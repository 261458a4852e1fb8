"""The catalogue of services (katalog služeb): services of any sector in a kraj's territory, the needs
areas each meets and the ORPs each serves. Kraj officials keep their kraj's catalogue; every framework
party's service types appear in it automatically (``framework_party_id`` set). Public-facing
information only: no case data is ever kept here."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import Model, enum_column, intpk, timestamp
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
