"""Framework contracts (rámcové smlouvy) and their parties (smluvní strany).

A kraj signs one framework per service category with several providers; only its active parties may
be invited to minitenders and bid. The framework's ceiling bounds what its sub-contracts commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import DomainError, UTCDateTime, db, enum_column, intpk, money, timestamp
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, ServiceCategory

MAX_CEILING = Decimal("10000000000.00")
WEAK_COMPETITION = 3  # fewer active parties than this is weak competition


class FrameworkStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return {"draft": "návrh", "active": "platná", "expired": "vypršela", "terminated": "ukončena"}[self.value]


class PartyStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"active": "aktivní", "suspended": "pozastavena", "withdrawn": "vystoupila"}[self.value]


class FrameworkContract(db.Model):
    __tablename__ = "framework_contract"
    __table_args__ = (
        sa.CheckConstraint("ceiling > 0 AND ceiling <= 10000000000", name="ceiling_range"),
        sa.CheckConstraint("price_weight + quality_weight = 100", name="weights_sum_100"),
        sa.CheckConstraint("price_weight >= 0 AND quality_weight >= 0", name="weights_not_negative"),
        sa.CheckConstraint("valid_to >= valid_from", name="validity_order"),
        sa.CheckConstraint("bid_period_days BETWEEN 1 AND 60", name="bid_period_range"),
        sa.CheckConstraint("status <> 'terminated' OR termination_reason IS NOT NULL", name="termination_reason"),
        sa.Index("ix_framework_contract_kraj_category", "kraj_id", "category_id"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date]
    ceiling: Mapped[money]
    price_weight: Mapped[int]
    quality_weight: Mapped[int]
    bid_period_days: Mapped[int] = mapped_column(default=10)
    # Stored: draft, active or terminated. "Expired" is derived from the date (see ``state``).
    status: Mapped[FrameworkStatus] = mapped_column(
        enum_column(FrameworkStatus, "framework_status"), default=FrameworkStatus.DRAFT
    )
    termination_reason: Mapped[str | None] = mapped_column(sa.Text)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    terminated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)

    kraj: Mapped[Kraj] = relationship()
    category: Mapped[ServiceCategory] = relationship()
    parties: Mapped[list[FrameworkParty]] = relationship(
        back_populates="framework", order_by="FrameworkParty.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.number} – {self.title}"

    # --- state -----------------------------------------------------------------------------------
    @hybrid_property
    def state(self) -> FrameworkStatus:
        """The status as people see it: an active framework past its validity has expired."""
        if self.status is FrameworkStatus.ACTIVE and self.valid_to < clock.today():
            return FrameworkStatus.EXPIRED
        return self.status

    @state.inplace.expression
    @classmethod
    def _state_expression(cls):
        return sa.case(
            (
                sa.and_(cls.status == FrameworkStatus.ACTIVE, cls.valid_to < clock.today()),
                sa.literal(FrameworkStatus.EXPIRED.value),
            ),
            else_=cls.status,
        )

    def is_in_force_on(self, day: dt.date) -> bool:
        """Active and valid on ``day``: a demand published that day may use it."""
        return self.status is FrameworkStatus.ACTIVE and self.valid_from <= day <= self.valid_to

    @property
    def active_parties(self) -> list[FrameworkParty]:
        return [p for p in self.parties if p.status is PartyStatus.ACTIVE]

    @property
    def weak_competition(self) -> bool:
        return len(self.active_parties) < WEAK_COMPETITION

    # --- transitions -----------------------------------------------------------------------------
    def activate(self) -> None:
        """draft → active: needs a ceiling, at least one active party and a validity not yet over."""
        if self.status is not FrameworkStatus.DRAFT:
            raise DomainError(f"Aktivovat lze jen návrh rámcové smlouvy; tato je {self.state.label}.")
        if not self.ceiling or self.ceiling <= 0:
            raise DomainError("Před aktivací stanovte finanční strop rámcové smlouvy.")
        if not self.active_parties:
            raise DomainError("Rámcovou smlouvu nelze aktivovat bez alespoň jedné aktivní smluvní strany.")
        if self.valid_to < clock.today():
            raise DomainError("Platnost rámcové smlouvy už skončila; upravte období platnosti.")
        self.status = FrameworkStatus.ACTIVE
        self.activated_at = clock.now()

    def terminate(self, reason: str) -> None:
        """active → terminated, with a reason that is kept."""
        reason = (reason or "").strip()
        if self.state is not FrameworkStatus.ACTIVE:
            raise DomainError(f"Ukončit lze jen platnou rámcovou smlouvu; tato je {self.state.label}.")
        if not reason:
            raise DomainError("Uveďte důvod ukončení.", field="reason")
        self.status = FrameworkStatus.TERMINATED
        self.termination_reason = reason
        self.terminated_at = clock.now()


class FrameworkParty(db.Model):
    """A provider bound by a framework since a date."""

    __tablename__ = "framework_party"
    __table_args__ = (
        sa.UniqueConstraint("framework_id", "provider_id", name="uq_framework_party_provider"),
        sa.CheckConstraint("status = 'active' OR status_reason IS NOT NULL", name="status_reason"),
    )

    id: Mapped[intpk]
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework_contract.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    since: Mapped[dt.date]
    status: Mapped[PartyStatus] = mapped_column(enum_column(PartyStatus, "party_status"), default=PartyStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)

    framework: Mapped[FrameworkContract] = relationship(back_populates="parties")
    provider: Mapped[Provider] = relationship()

    def suspend(self, reason: str) -> None:
        """active → suspended: the provider is neither invited nor may bid until reinstated."""
        reason = (reason or "").strip()
        if self.status is not PartyStatus.ACTIVE:
            raise DomainError(f"Pozastavit lze jen aktivní smluvní stranu; tato je {self.status.label}.")
        if not reason:
            raise DomainError("Uveďte důvod pozastavení.", field="reason")
        self.status = PartyStatus.SUSPENDED
        self.status_reason = reason

    def reinstate(self) -> None:
        """suspended → active."""
        if self.status is not PartyStatus.SUSPENDED:
            raise DomainError(f"Obnovit lze jen pozastavenou smluvní stranu; tato je {self.status.label}.")
        self.status = PartyStatus.ACTIVE
        self.status_reason = None

    def withdraw(self, reason: str) -> None:
        """active | suspended → withdrawn (final): the provider leaves the framework."""
        reason = (reason or "").strip()
        if self.status is PartyStatus.WITHDRAWN:
            raise DomainError("Smluvní strana už z rámcové smlouvy vystoupila.")
        if not reason:
            raise DomainError("Uveďte důvod vystoupení.", field="reason")
        self.status = PartyStatus.WITHDRAWN
        self.status_reason = reason
