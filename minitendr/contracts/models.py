"""Sub-contracts (dílčí smlouvy): what an award becomes; they draw on the framework's ceiling."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from minitendr import clock
from minitendr.db import DomainError, Model, UTCDateTime, enum_column, intpk, money, timestamp
from minitendr.enums import LabelledEnum
from minitendr.formatting import date as format_date
from minitendr.frameworks.models import FrameworkContract
from minitendr.privacy import required_text
from minitendr.providers.models import Provider
from minitendr.registry.models import Orp, ServiceCategory, ServiceType

REGISTRY_THRESHOLD = Decimal("50000.00")
# The pending condition of the partial indexes, as the hybrid ``registry_pending`` renders it: SQLite
# uses a partial index only for a query that repeats its condition (a bound parameter would not do).
# The unary plus keeps "value > 50 000" from being read as a range of the value's own indexes, which
# SQLite would then prefer and sort.
REGISTRY_PENDING_SQL = f"+value > {REGISTRY_THRESHOLD} AND registry_id IS NULL"
# The id of a record in the register of contracts (e.g. 26781234).
REGISTRY_ID = re.compile(r"\d{1,12}")


class SubContractStatus(LabelledEnum):
    ACTIVE = "active", "probíhá"
    COMPLETED = "completed", "dokončena"
    TERMINATED = "terminated", "ukončena předčasně"


class SubContract(Model):
    __tablename__ = "subcontract"
    __table_args__ = (
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.CheckConstraint("units > 0 AND unit_price > 0", name="units_and_price_positive"),
        sa.CheckConstraint("end_date >= start_date", name="dates_order"),
        sa.CheckConstraint("status <> 'terminated' OR termination_reason IS NOT NULL", name="termination_reason"),
        sa.CheckConstraint("(registry_id IS NULL) = (registry_published_on IS NULL)", name="registry_pair"),
        # A framework's newest sub-contracts, read in order from the index (its page lists them).
        sa.Index("ix_subcontract_framework", "framework_id", "signed_on", "id"),
        # The list's sorts (minitendr.contracts.queries.SORTS), nationally, per state, and within the
        # scope of an OSPOD (its ORP, also the ORP filter; a kraj reads its ORPs one by one) and of a
        # provider (also the provider filter): each page read in order from an index, never sorted.
        sa.Index("ix_subcontract_signed", "signed_on", "id"),
        sa.Index("ix_subcontract_value", "value", "id"),
        sa.Index("ix_subcontract_status_signed", "status", "signed_on", "id"),
        sa.Index("ix_subcontract_status_value", "status", "value", "id"),
        sa.Index("ix_subcontract_status_number", "status", "kraj_abbr", "number_year", "number_seq"),
        # The search by service type, nationally (minitendr.contracts.queries._search): the same sorts.
        sa.Index("ix_subcontract_service_type_signed", "service_type_id", "signed_on", "id"),
        sa.Index("ix_subcontract_service_type_value", "service_type_id", "value", "id"),
        sa.Index("ix_subcontract_service_type_number", "service_type_id", "kraj_abbr", "number_year", "number_seq"),
        sa.Index("ix_subcontract_orp_signed", "orp_id", "signed_on", "id"),
        sa.Index("ix_subcontract_orp_value", "orp_id", "value", "id"),
        sa.Index("ix_subcontract_orp_number", "orp_id", "kraj_abbr", "number_year", "number_seq"),
        sa.Index("ix_subcontract_provider_signed", "provider_id", "signed_on", "id"),
        sa.Index("ix_subcontract_provider_value", "provider_id", "value", "id"),
        sa.Index("ix_subcontract_provider_number", "provider_id", "kraj_abbr", "number_year", "number_seq"),
        # What waits for the register of contracts (a few per cent of the rows): oldest first, and per
        # ORP with the value (and the empty registry id, for SQLite), so the per-ORP sums read the
        # index alone.
        sa.Index(
            "ix_subcontract_pending_signed",
            "signed_on",
            "id",
            sqlite_where=sa.text(REGISTRY_PENDING_SQL),
            postgresql_where=sa.text(REGISTRY_PENDING_SQL),
        ),
        sa.Index(
            "ix_subcontract_pending_orp",
            "orp_id",
            "signed_on",
            "id",
            "value",
            "registry_id",
            sqlite_where=sa.text(REGISTRY_PENDING_SQL),
            postgresql_where=sa.text(REGISTRY_PENDING_SQL),
        ),
        # One number per kraj, year and place in the sequence: two awards can never share one.
        sa.UniqueConstraint("kraj_abbr", "number_year", "number_seq", name="uq_subcontract_number_seq"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    # The number's parts (``DS-PAK-2026-0001``): a sequence per kraj and year, without gaps.
    kraj_abbr: Mapped[str] = mapped_column(sa.String(3))
    number_year: Mapped[int]
    number_seq: Mapped[int]
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"), unique=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework_contract.id"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"))
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"))
    # No index of its own: a third of all rows each, a category is read by walking the sort's index
    # (SQLite would take an index on it and sort a third of the country).
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"))
    service_type_id: Mapped[int] = mapped_column(sa.ForeignKey("service_type.id"))
    units: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    unit_price: Mapped[money]
    value: Mapped[money]
    vat_rate: Mapped[int]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    signed_on: Mapped[dt.date]
    status: Mapped[SubContractStatus] = mapped_column(
        enum_column(SubContractStatus, "subcontract_status"), default=SubContractStatus.ACTIVE
    )
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    termination_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Registr smluv: the publication's id and date, once OSPOD has published it.
    registry_id: Mapped[str | None] = mapped_column(sa.String(20))
    registry_published_on: Mapped[dt.date | None]
    # The id of the published version (idVerze), when the register's answer or the official gave it.
    registry_version: Mapped[str | None] = mapped_column(sa.String(20))

    framework: Mapped[FrameworkContract] = relationship()
    provider: Mapped[Provider] = relationship()
    orp: Mapped[Orp] = relationship()
    category: Mapped[ServiceCategory] = relationship()
    service_type: Mapped[ServiceType] = relationship()
    demand = relationship("Demand")
    bid = relationship("Bid")
    drawdowns: Mapped[list[Drawdown]] = relationship(back_populates="subcontract", order_by="Drawdown.period")
    amendments: Mapped[list[Amendment]] = relationship(back_populates="subcontract", order_by="Amendment.id")

    @hybrid_property
    def requires_registry(self) -> bool:
        """Over 50 000 Kč without VAT, a contract must be published in the register of contracts."""
        return self.value > REGISTRY_THRESHOLD

    @hybrid_property
    def registry_pending(self) -> bool:
        """It must be published in the register of contracts and its publication is not recorded yet."""
        return self.requires_registry and self.registry_id is None

    @registry_pending.inplace.expression
    @classmethod
    def _registry_pending_expression(cls) -> sa.ColumnElement[bool]:
        # Word for word the condition of the partial indexes (REGISTRY_PENDING_SQL).
        value = UnaryExpression(cls.value.expression, operator=operators.custom_op("+"), type_=cls.value.type)
        return sa.and_(value > sa.literal_column(str(REGISTRY_THRESHOLD)), cls.registry_id.is_(None))

    @hybrid_property
    def is_active(self) -> bool:
        """Running: it takes drawdowns and amendments, and may be completed or terminated."""
        return self.status == SubContractStatus.ACTIVE

    def ensure_active(self) -> None:
        if not self.is_active:
            raise DomainError(f"Dílčí smlouva {self.number} je {self.status.label}; změny ani čerpání už nepřijímá.")

    def complete(self) -> None:
        self.ensure_active()
        self.status = SubContractStatus.COMPLETED
        self.closed_at = clock.now()

    def terminate(self, reason: str | None) -> None:
        self.ensure_active()
        self.termination_reason = required_text(reason, "reason", "Uveďte důvod předčasného ukončení.")
        self.status = SubContractStatus.TERMINATED
        self.closed_at = clock.now()

    def record_publication(self, registry_id: str | None, published_on: dt.date, version: str | None = None) -> None:
        """Where and when the register of contracts published it (once, only when it must be published)."""
        if not self.requires_registry:
            raise DomainError("Smlouva do 50 000 Kč bez DPH se do registru smluv nezveřejňuje.")
        if self.registry_id is not None:
            raise DomainError(f"Zveřejnění už je zaznamenáno (ID {self.registry_id}).")
        self.registry_id, self.registry_version = checked_publication(
            registry_id, version, published_on, self.signed_on
        )
        self.registry_published_on = published_on


def checked_publication(
    registry_id: str | None, version: str | None, published_on: dt.date, concluded_on: dt.date
) -> tuple[str, str | None]:
    """The register's record id and version id as typed or read, checked: both numbers (the version
    may be missing when typed by hand), published neither in the future nor before the contract was
    concluded. Returns them stripped."""
    registry_id = (registry_id or "").strip()
    version = (version or "").strip() or None
    if not REGISTRY_ID.fullmatch(registry_id):
        raise DomainError("ID záznamu v registru smluv je číslo (např. 26781234).", field="registry_id")
    if version is not None and not REGISTRY_ID.fullmatch(version):
        raise DomainError("ID verze záznamu je číslo (např. 28945612).", field="registry_version")
    if published_on > clock.today():
        raise DomainError("Datum zveřejnění nesmí být v budoucnosti.", field="published_on")
    if published_on < concluded_on:
        raise DomainError(
            f"Smlouvu nelze zveřejnit před jejím uzavřením ({format_date(concluded_on)}).", field="published_on"
        )
    return registry_id, version


class DrawdownStatus(LabelledEnum):
    SUBMITTED = "submitted", "čeká na potvrzení"
    CONFIRMED = "confirmed", "potvrzeno"
    REJECTED = "rejected", "zamítnuto"


class Drawdown(Model):
    """Delivered units and their amount for one month, reported by the provider; only confirmed
    drawdowns count as spent."""

    __tablename__ = "drawdown"
    __table_args__ = (
        # One drawdown per month and sub-contract, unless it was rejected (then it may be reported again).
        sa.Index(
            "uq_drawdown_period",
            "subcontract_id",
            "period",
            unique=True,
            sqlite_where=sa.text("status <> 'rejected'"),
            postgresql_where=sa.text("status <> 'rejected'"),
        ),
        # What waits for OSPOD to confirm, the longest waiting first (the start page, minitendr.home.agenda).
        sa.Index("ix_drawdown_status_reported", "status", "reported_at", "id"),
        sa.CheckConstraint("units > 0", name="units_positive"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("status <> 'rejected' OR rejection_reason IS NOT NULL", name="rejection_reason"),
    )

    id: Mapped[intpk]
    subcontract_id: Mapped[int] = mapped_column(sa.ForeignKey("subcontract.id"), index=True)
    period: Mapped[dt.date]  # the first day of the month
    units: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    amount: Mapped[money]
    difference_reason: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[DrawdownStatus] = mapped_column(
        enum_column(DrawdownStatus, "drawdown_status"), default=DrawdownStatus.SUBMITTED
    )
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    reported_at: Mapped[timestamp] = mapped_column(default=clock.now)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    subcontract: Mapped[SubContract] = relationship(back_populates="drawdowns")

    @property
    def can_be_decided(self) -> bool:
        """OSPOD confirms or rejects a drawdown once, while its sub-contract runs."""
        return self.status is DrawdownStatus.SUBMITTED and self.subcontract.is_active

    def _ensure_decidable(self) -> None:
        if not self.can_be_decided:
            self.subcontract.ensure_active()
            raise DomainError(f"O tomto čerpání už bylo rozhodnuto ({self.status.label}).")

    def confirm(self) -> None:
        """The amount counts as spent."""
        self._ensure_decidable()
        self.status = DrawdownStatus.CONFIRMED
        self.decided_at = clock.now()

    def reject(self, reason: str | None) -> None:
        """Refused, with a reason; the provider may report the month again."""
        self._ensure_decidable()
        self.rejection_reason = required_text(reason, "reason", "Uveďte důvod zamítnutí.")
        self.status = DrawdownStatus.REJECTED
        self.decided_at = clock.now()


class Amendment(Model):
    """A change of a sub-contract's value, units or end date, with a reason and the provider's consent."""

    __tablename__ = "amendment"
    __table_args__ = (
        sa.UniqueConstraint("subcontract_id", "seq", name="uq_amendment_seq"),
        sa.CheckConstraint("new_value > 0 AND new_units > 0", name="new_terms_positive"),
        sa.CheckConstraint("(registry_id IS NULL) = (registry_published_on IS NULL)", name="registry_pair"),
        # The amendments not yet published, oldest first (the due list of the register of contracts).
        sa.Index(
            "ix_amendment_unpublished",
            "consent_on",
            "id",
            sqlite_where=sa.text("registry_id IS NULL"),
            postgresql_where=sa.text("registry_id IS NULL"),
        ),
    )

    id: Mapped[intpk]
    subcontract_id: Mapped[int] = mapped_column(sa.ForeignKey("subcontract.id"), index=True)
    seq: Mapped[int]
    old_value: Mapped[money]
    new_value: Mapped[money]
    old_units: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    new_units: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    old_end_date: Mapped[dt.date]
    new_end_date: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(sa.Text)
    provider_consent: Mapped[str] = mapped_column(sa.String(200))
    consent_on: Mapped[dt.date]
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    # Registr smluv: an amendment of a contract over 50 000 Kč is a record of its own, linked to the
    # contract's record (navazanyZaznam).
    registry_id: Mapped[str | None] = mapped_column(sa.String(20))
    registry_version: Mapped[str | None] = mapped_column(sa.String(20))
    registry_published_on: Mapped[dt.date | None]

    subcontract: Mapped[SubContract] = relationship(back_populates="amendments")

    @hybrid_property
    def requires_registry(self) -> bool:
        """It amends a contract worth over 50 000 Kč without VAT, before or after the change: the
        register must show it beside the contract."""
        return self.old_value > REGISTRY_THRESHOLD or self.new_value > REGISTRY_THRESHOLD

    @requires_registry.inplace.expression
    @classmethod
    def _requires_registry_expression(cls) -> sa.ColumnElement[bool]:
        return sa.or_(cls.old_value > REGISTRY_THRESHOLD, cls.new_value > REGISTRY_THRESHOLD)

    @hybrid_property
    def registry_pending(self) -> bool:
        return self.requires_registry and self.registry_id is None

    @registry_pending.inplace.expression
    @classmethod
    def _registry_pending_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.registry_id.is_(None), cls.requires_registry)

    def record_publication(self, registry_id: str | None, published_on: dt.date, version: str | None = None) -> None:
        """Where and when the register of contracts published the amendment (once)."""
        if not self.requires_registry:
            raise DomainError("Dodatek smlouvy do 50 000 Kč bez DPH se do registru smluv nezveřejňuje.")
        if self.registry_id is not None:
            raise DomainError(f"Zveřejnění dodatku už je zaznamenáno (ID {self.registry_id}).")
        self.registry_id, self.registry_version = checked_publication(
            registry_id, version, published_on, self.consent_on
        )
        self.registry_published_on = published_on
