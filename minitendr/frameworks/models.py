"""Framework contracts (rámcové smlouvy) and their parties (smluvní strany).

A kraj signs one framework per service category with several providers; only its active parties may
be invited to minitenders and bid. The framework's ceiling bounds what its sub-contracts commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import DomainError, Model, UTCDateTime, enum_column, intpk, money, timestamp
from minitendr.enums import LabelledEnum
from minitendr.privacy import required_text
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, ServiceCategory

MAX_CEILING = Decimal("10000000000.00")
WEAK_COMPETITION = 3  # fewer active parties than this is weak competition


class FrameworkStatus(LabelledEnum):
    DRAFT = "draft", "návrh"
    ACTIVE = "active", "platná"
    EXPIRED = "expired", "vypršela"
    TERMINATED = "terminated", "ukončena"


class PartyStatus(LabelledEnum):
    ACTIVE = "active", "aktivní"
    SUSPENDED = "suspended", "pozastavena"
    WITHDRAWN = "withdrawn", "vystoupila"


class FrameworkContract(Model):
    __tablename__ = "framework_contract"
    __table_args__ = (
        sa.CheckConstraint("ceiling > 0 AND ceiling <= 10000000000", name="ceiling_range"),
        sa.CheckConstraint("price_weight + quality_weight = 100", name="weights_sum_100"),
        sa.CheckConstraint("price_weight >= 0 AND quality_weight >= 0", name="weights_not_negative"),
        sa.CheckConstraint("valid_to >= valid_from", name="validity_order"),
        sa.CheckConstraint("bid_period_days BETWEEN 1 AND 60", name="bid_period_range"),
        sa.CheckConstraint("status <> 'terminated' OR termination_reason IS NOT NULL", name="termination_reason"),
        sa.Index("ix_framework_contract_kraj_category", "kraj_id", "category_id"),
        # The list's order, newest first (minitendr.frameworks.queries.NEWEST_FIRST).
        sa.Index("ix_framework_contract_valid_from", "valid_from", "id"),
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
    # The kraj's templates of the sub-contract and amendment documents (sandboxed Jinja, see
    # minitendr.documents.templates) and its payment terms; None: the application's default.
    contract_template: Mapped[str | None] = mapped_column(sa.Text)
    amendment_template: Mapped[str | None] = mapped_column(sa.Text)
    payment_terms: Mapped[str | None] = mapped_column(sa.Text)

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

    @property
    def is_draft(self) -> bool:
        return self.status is FrameworkStatus.DRAFT

    @property
    def is_active(self) -> bool:
        """Activated and not yet expired or terminated."""
        return self.state is FrameworkStatus.ACTIVE

    @property
    def is_terminated(self) -> bool:
        return self.status is FrameworkStatus.TERMINATED

    @property
    def is_over(self) -> bool:
        """Expired or terminated: its terms and parties are history now."""
        return self.state in (FrameworkStatus.EXPIRED, FrameworkStatus.TERMINATED)

    @property
    def can_be_changed(self) -> bool:
        """Its terms may be edited and parties added while it is a draft or in force."""
        return not self.is_over

    @property
    def can_be_activated(self) -> bool:
        return self.is_draft

    @property
    def can_be_deleted(self) -> bool:
        """Only a draft, never activated, may be thrown away."""
        return self.is_draft

    @property
    def can_be_terminated(self) -> bool:
        return self.is_active

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
        if not self.can_be_activated:
            raise DomainError(f"Aktivovat lze jen návrh rámcové smlouvy; tato je {self.state.label}.")
        if not self.ceiling or self.ceiling <= 0:
            raise DomainError("Před aktivací stanovte finanční strop rámcové smlouvy.")
        if not self.active_parties:
            raise DomainError("Rámcovou smlouvu nelze aktivovat bez alespoň jedné aktivní smluvní strany.")
        if self.valid_to < clock.today():
            raise DomainError("Platnost rámcové smlouvy už skončila; upravte období platnosti.")
        self.status = FrameworkStatus.ACTIVE
        self.activated_at = clock.now()

    def terminate(self, reason: str | None) -> None:
        """active → terminated, with a reason that is kept."""
        if not self.can_be_terminated:
            raise DomainError(f"Ukončit lze jen platnou rámcovou smlouvu; tato je {self.state.label}.")
        self.termination_reason = required_text(reason, "reason", "Uveďte důvod ukončení.")
        self.status = FrameworkStatus.TERMINATED
        self.terminated_at = clock.now()


class FrameworkParty(Model):
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

    @property
    def can_be_suspended(self) -> bool:
        return self.status is PartyStatus.ACTIVE

    @property
    def can_be_reinstated(self) -> bool:
        return self.status is PartyStatus.SUSPENDED

    @property
    def can_be_withdrawn(self) -> bool:
        """Withdrawal is final: an active or a suspended party may leave, once."""
        return self.status is not PartyStatus.WITHDRAWN

    def suspend(self, reason: str | None) -> None:
        """active → suspended: the provider is neither invited nor may bid until reinstated."""
        if not self.can_be_suspended:
            raise DomainError(f"Pozastavit lze jen aktivní smluvní stranu; tato je {self.status.label}.")
        self.status_reason = required_text(reason, "reason", "Uveďte důvod pozastavení.")
        self.status = PartyStatus.SUSPENDED

    def reinstate(self) -> None:
        """suspended → active."""
        if not self.can_be_reinstated:
            raise DomainError(f"Obnovit lze jen pozastavenou smluvní stranu; tato je {self.status.label}.")
        self.status = PartyStatus.ACTIVE
        self.status_reason = None

    def withdraw(self, reason: str | None) -> None:
        """active | suspended → withdrawn (final): the provider leaves the framework."""
        if not self.can_be_withdrawn:
            raise DomainError("Smluvní strana už z rámcové smlouvy vystoupila.")
        self.status_reason = required_text(reason, "reason", "Uveďte důvod vystoupení.")
        self.status = PartyStatus.WITHDRAWN
