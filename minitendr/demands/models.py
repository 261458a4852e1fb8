"""Demands (poptávky): an OSPOD office's request for a service, which is the minitender itself,
with the providers it invites and the clarifications asked and answered while it is open."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import DomainError, Model, Money, UTCDateTime, enum_column, intpk, timestamp
from minitendr.enums import LabelledEnum
from minitendr.frameworks.models import FrameworkContract
from minitendr.privacy import required_text
from minitendr.providers.models import Provider
from minitendr.registry.models import Orp, ServiceCategory, ServiceType

# Dates a demand may carry: anything else is a typo (and 9999-12-31 plus a few days leaves the calendar).
FIRST_YEAR, LAST_YEAR = 2000, 2100

NEEDS = {
    "vztahy": "Vztahy",
    "bezpeci": "Bezpečí",
    "zdravi": "Zdraví",
    "uceni": "Učení se",
    "chovani": "Chování",
    "materialni": "Materiální zajištění",
}


class DemandStatus(LabelledEnum):
    DRAFT = "draft", "koncept", "text-bg-secondary"
    PUBLISHED = "published", "zveřejněno – přijímá nabídky", "text-bg-primary"
    EVALUATION = "evaluation", "hodnocení nabídek", "text-bg-warning"
    AWARDED = "awarded", "zadáno", "text-bg-success"
    UNSUCCESSFUL = "unsuccessful", "neúspěšné", "text-bg-dark"
    CANCELLED = "cancelled", "zrušeno", "text-bg-light border"

    @property
    def badge(self) -> str:
        """The badge style a list shows the state in."""
        return self.details[0]


class Demand(Model):
    __tablename__ = "demand"
    __table_args__ = (
        sa.CheckConstraint("volume > 0", name="volume_positive"),
        sa.CheckConstraint("end_date >= start_date", name="dates_order"),
        sa.CheckConstraint("estimated_max_value IS NULL OR estimated_max_value > 0", name="max_value_positive"),
        sa.CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL", name="cancel_reason"),
        sa.CheckConstraint("status = 'draft' OR status = 'cancelled' OR deadline IS NOT NULL", name="deadline_set"),
        # Also what the state of each of an ORP's demands is, from the index alone (the list's counts).
        sa.Index("ix_demand_orp_status", "orp_id", "status", "deadline"),
        # The officials' list, newest first (minitendr.demands.queries): nationally, per state, and
        # for an OSPOD (its ORP, also the ORP filter). A kraj walks the national one.
        sa.Index("ix_demand_created", "created_at", "id"),
        sa.Index("ix_demand_status_created", "status", "created_at", "id"),
        sa.Index("ix_demand_orp_created", "orp_id", "created_at", "id"),
        # Open minitenders, the nearest deadline first (a provider's list begins with them).
        sa.Index("ix_demand_status_deadline", "status", "deadline", "id"),
        # A framework's newest minitenders, read in order from the index (its page lists them).
        sa.Index("ix_demand_framework_published", "framework_id", "published_at", "id"),
        # The list's search by category and by service type, newest first (minitendr.demands.queries).
        sa.Index("ix_demand_category_created", "category_id", "created_at", "id"),
        sa.Index("ix_demand_service_type_created", "service_type_id", "created_at", "id"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    number_year: Mapped[int]
    kraj_abbr: Mapped[str] = mapped_column(sa.String(3))
    number_seq: Mapped[int]
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"))
    service_type_id: Mapped[int] = mapped_column(sa.ForeignKey("service_type.id"))
    framework_id: Mapped[int | None] = mapped_column(sa.ForeignKey("framework_contract.id"))
    needs: Mapped[list[str]] = mapped_column(sa.JSON)
    case_reference: Mapped[str] = mapped_column(sa.String(40))
    need_description: Mapped[str] = mapped_column(sa.Text)
    expected_outcome: Mapped[str] = mapped_column(sa.Text)
    place: Mapped[str] = mapped_column(sa.String(200))
    volume: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    estimated_max_value: Mapped[Decimal | None] = mapped_column(Money())
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(120))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # Stored: draft, published, awarded, unsuccessful, cancelled. "Evaluation" follows from the clock.
    status: Mapped[DemandStatus] = mapped_column(enum_column(DemandStatus, "demand_status"), default=DemandStatus.DRAFT)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    orp: Mapped[Orp] = relationship()
    category: Mapped[ServiceCategory] = relationship()
    service_type: Mapped[ServiceType] = relationship()
    framework: Mapped[FrameworkContract | None] = relationship()
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="demand", order_by="Invitation.id", cascade="all, delete-orphan"
    )
    clarifications: Mapped[list[Clarification]] = relationship(
        back_populates="demand", order_by="Clarification.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.number} – {self.service_type.name}"

    @hybrid_property
    def state(self) -> DemandStatus:
        """The status as people see it: a published demand whose deadline has passed is in evaluation."""
        if self.status is DemandStatus.PUBLISHED and self.deadline is not None and self.deadline <= clock.now():
            return DemandStatus.EVALUATION
        return self.status

    @state.inplace.expression
    @classmethod
    def _state_expression(cls):
        return sa.case(
            (
                sa.and_(cls.status == DemandStatus.PUBLISHED, cls.deadline <= clock.now()),
                sa.literal(DemandStatus.EVALUATION.value),
            ),
            else_=cls.status,
        )

    @property
    def is_open(self) -> bool:
        """Published and before the deadline: bids and questions are accepted."""
        return self.state is DemandStatus.PUBLISHED

    @property
    def is_draft(self) -> bool:
        """OSPOD's working copy: editable, deletable, not yet seen by anyone else."""
        return self.status is DemandStatus.DRAFT

    @property
    def in_evaluation(self) -> bool:
        """The deadline has passed and nothing is decided yet: envelopes opened, bids scored."""
        return self.state is DemandStatus.EVALUATION

    @property
    def is_decided(self) -> bool:
        """Awarded or closed as unsuccessful: the minitender's decision is final."""
        return self.status in (DemandStatus.AWARDED, DemandStatus.UNSUCCESSFUL)

    @property
    def is_unsuccessful(self) -> bool:
        return self.status is DemandStatus.UNSUCCESSFUL

    @property
    def can_be_cancelled(self) -> bool:
        """A draft, or a published demand before its deadline (afterwards it is evaluated instead)."""
        return self.state in (DemandStatus.DRAFT, DemandStatus.PUBLISHED)

    @property
    def can_be_reissued(self) -> bool:
        """A minitender that ended without a contract may be filed again as a new draft."""
        return self.status in (DemandStatus.UNSUCCESSFUL, DemandStatus.CANCELLED)

    @property
    def published_deadline(self) -> dt.datetime:
        """The deadline for bids of a minitender past its draft: publishing sets it, and the database
        keeps it (``deadline_set``); only a draft or a cancelled draft has none."""
        if self.deadline is None:
            raise DomainError(f"Poptávka {self.number} nemá lhůtu pro nabídky; nejprve ji zveřejněte.")
        return self.deadline

    @property
    def published_framework(self) -> FrameworkContract:
        """The framework contract a minitender past its draft runs under: publishing sets it."""
        if self.framework is None:
            raise DomainError(f"Poptávka {self.number} nemá rámcovou smlouvu; nejprve ji zveřejněte.")
        return self.framework

    @property
    def time_left(self) -> dt.timedelta | None:
        return self.published_deadline - clock.now() if self.is_open else None

    @property
    def need_labels(self) -> list[str]:
        return [NEEDS[n] for n in self.needs if n in NEEDS]

    def is_invited(self, provider_id: int | None) -> bool:
        return provider_id is not None and any(i.provider_id == provider_id for i in self.invitations)

    # --- transitions -----------------------------------------------------------------------------
    def ensure_editable(self) -> None:
        if not self.is_draft:
            raise DomainError(
                "Zveřejněnou poptávku nelze upravovat; změny a upřesnění sdělte poskytovatelům odpovědí na dotaz."
            )

    def publish(self, framework: FrameworkContract, deadline: dt.datetime) -> None:
        """draft → published, under ``framework``, open for bids until ``deadline``."""
        if not self.is_draft:
            raise DomainError(f"Zveřejnit lze jen koncept poptávky; tato poptávka je {self.state.label}.")
        self.status = DemandStatus.PUBLISHED
        self.framework = framework
        self.deadline = deadline
        self.published_at = clock.now()

    def _ensure_undecided(self) -> None:
        if self.is_decided:
            raise DomainError(f"O minitendru {self.number} už bylo rozhodnuto ({self.state.label}).")

    def ensure_in_evaluation(self) -> None:
        """Refuse a step of the evaluation (scoring, excluding, deciding) outside it, saying why."""
        self._ensure_undecided()
        if not self.in_evaluation:
            if self.is_open:
                raise DomainError("Nabídky lze hodnotit až po uplynutí lhůty pro nabídky.")
            raise DomainError(f"Minitendr {self.number} není ve fázi hodnocení ({self.state.label}).")

    def _decide(self, status: DemandStatus, decided_by, note: str | None) -> None:
        self._ensure_undecided()
        if not self.in_evaluation:
            raise DomainError("Rozhodnout lze až po uplynutí lhůty pro nabídky.")
        self.status = status
        self.decided_at = clock.now()
        self.decided_by_id = getattr(decided_by, "id", None)
        self.decision_note = note

    def mark_awarded(self, decided_by) -> None:
        """evaluation → awarded."""
        self._decide(DemandStatus.AWARDED, decided_by, None)

    def mark_unsuccessful(self, decided_by, note: str) -> None:
        """evaluation → unsuccessful (no bid, or none acceptable)."""
        self._decide(DemandStatus.UNSUCCESSFUL, decided_by, note)

    def cancel(self, reason: str) -> None:
        """draft | published → cancelled (not once the deadline has passed: then it is evaluated)."""
        if not self.can_be_cancelled:
            raise DomainError(f"Zrušit lze jen koncept nebo zveřejněnou poptávku; tato je {self.state.label}.")
        self.cancel_reason = required_text(reason, "reason", "Uveďte důvod zrušení.")
        self.status = DemandStatus.CANCELLED
        self.cancelled_at = clock.now()


class Invitation(Model):
    """A provider invited to a minitender: the active parties of the framework when it was published."""

    __tablename__ = "invitation"
    __table_args__ = (
        sa.UniqueConstraint("demand_id", "provider_id", name="uq_invitation_provider"),
        # A provider's minitenders, newest first: its invitations in the order of the demands.
        sa.Index("ix_invitation_provider_demand", "provider_id", "demand_id"),
    )

    id: Mapped[intpk]
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"))
    invited_at: Mapped[timestamp] = mapped_column(default=clock.now)

    demand: Mapped[Demand] = relationship(back_populates="invitations")
    provider: Mapped[Provider] = relationship()


class Clarification(Model):
    """A question an invited provider asked, and OSPOD's answer, shown to every invited provider
    without saying who asked."""

    __tablename__ = "clarification"

    id: Mapped[intpk]
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id", ondelete="CASCADE"), index=True)
    asked_by_provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"))
    question: Mapped[str] = mapped_column(sa.Text)
    asked_at: Mapped[timestamp] = mapped_column(default=clock.now)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deadline_extended_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    demand: Mapped[Demand] = relationship(back_populates="clarifications")
