"""Outcomes of sub-contracts: the kraj's list of follow-ups, OSPOD's record of the outcome, the
provider's final report, and the running totals the outcome rates are read from."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import Model, enum_column, intpk, timestamp
from minitendr.demands.models import NEEDS
from minitendr.enums import LabelledEnum
from minitendr.registry.models import Kraj

NEED_CHECK = "need IN ({})".format(", ".join(f"'{code}'" for code in NEEDS))


class OutcomeResult(LabelledEnum):
    """How far the demand's expected outcome came true."""

    MET = "met", "splněno", "text-bg-success"
    PARTLY = "partly", "částečně", "text-bg-warning"
    NOT_MET = "not_met", "nesplněno", "text-bg-danger"

    @property
    def badge(self) -> str:
        return self.details[0]


class FollowUp(Model):
    """One entry of a kraj's short list of what may follow a sub-contract ("rodina zůstává pohromadě",
    "je potřeba jiná služba" …). Retired entries stay for the outcomes that chose them."""

    __tablename__ = "follow_up"
    __table_args__ = (
        sa.UniqueConstraint("kraj_id", "label", name="uq_follow_up_kraj_label"),
        sa.CheckConstraint("label <> ''", name="label_not_empty"),
    )

    id: Mapped[intpk]
    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"))
    label: Mapped[str] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)

    kraj: Mapped[Kraj] = relationship()

    def __str__(self) -> str:
        return self.label


class Outcome(Model):
    """OSPOD's record of what a completed or terminated sub-contract achieved, once per sub-contract.

    The sub-contract's ORP, kraj, provider and category and the year its minitender was published are
    copied here (they never change after the award), so that one provider's rates are read from its
    own rows by an index, never by a pass over the sub-contracts."""

    __tablename__ = "outcome"
    __table_args__ = (sa.Index("ix_outcome_provider", "provider_id", "kraj_id", "category_id", "year"),)

    id: Mapped[intpk]
    subcontract_id: Mapped[int] = mapped_column(sa.ForeignKey("subcontract.id"), unique=True)
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"))
    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"))
    year: Mapped[int]  # the year the minitender was published (UTC), as the network's figures count it
    result: Mapped[OutcomeResult] = mapped_column(enum_column(OutcomeResult, "outcome_result"))
    follow_up_id: Mapped[int | None] = mapped_column(sa.ForeignKey("follow_up.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[timestamp] = mapped_column(default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    follow_up: Mapped[FollowUp | None] = relationship()
    needs: Mapped[list[OutcomeNeed]] = relationship(
        back_populates="outcome", cascade="all, delete-orphan", order_by="OutcomeNeed.need"
    )


class OutcomeNeed(Model):
    """A needs area the outcome's demand listed: an outcome counts in every one of them."""

    __tablename__ = "outcome_need"
    __table_args__ = (sa.CheckConstraint(NEED_CHECK, name="need_known"),)

    outcome_id: Mapped[int] = mapped_column(sa.ForeignKey("outcome.id", ondelete="CASCADE"), primary_key=True)
    need: Mapped[str] = mapped_column(sa.String(20), primary_key=True)

    outcome: Mapped[Outcome] = relationship(back_populates="needs")


class FinalReport(Model):
    """The provider's final report on a sub-contract that has ended, once per sub-contract."""

    __tablename__ = "final_report"

    id: Mapped[intpk]
    subcontract_id: Mapped[int] = mapped_column(sa.ForeignKey("subcontract.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[timestamp] = mapped_column(default=clock.now)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class OutcomeSummary(Model):
    """Running totals per ORP × needs area × category × year of publication: outcomes recorded and how
    many of them met, partly met or did not meet the expected outcome. Kept by the service in the same
    transaction as each outcome (``minitendr.outcomes.service``)."""

    __tablename__ = "outcome_summary"
    __table_args__ = (
        sa.CheckConstraint(NEED_CHECK, name="need_known"),
        sa.CheckConstraint(
            "recorded = met + partly + not_met AND met >= 0 AND partly >= 0 AND not_met >= 0", name="counts_add_up"
        ),
    )

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    need: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    recorded: Mapped[int] = mapped_column(default=0)
    met: Mapped[int] = mapped_column(default=0)
    partly: Mapped[int] = mapped_column(default=0)
    not_met: Mapped[int] = mapped_column(default=0)


class ProviderOutcomeSummary(Model):
    """Running totals per kraj × provider × category × year of publication, each outcome once: the
    kraj's officials compare its providers by them (``service.provider_rates``)."""

    __tablename__ = "provider_outcome_summary"
    __table_args__ = (
        sa.CheckConstraint(
            "recorded = met + partly + not_met AND met >= 0 AND partly >= 0 AND not_met >= 0", name="counts_add_up"
        ),
    )

    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    recorded: Mapped[int] = mapped_column(default=0)
    met: Mapped[int] = mapped_column(default=0)
    partly: Mapped[int] = mapped_column(default=0)
    not_met: Mapped[int] = mapped_column(default=0)
