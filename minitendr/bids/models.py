"""Bids (nabídky): a provider's sealed offer to a minitender, and its attachments."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import DomainError, UTCDateTime, db, enum_column, intpk, money, timestamp
from minitendr.demands.models import Demand
from minitendr.providers.models import Provider

VAT_RATES = (0, 12, 21)
LIVE = ("submitted", "awarded", "not_awarded", "excluded")


class BidStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    REPLACED = "replaced"
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"
    EXCLUDED = "excluded"

    @property
    def label(self) -> str:
        return {
            "submitted": "podána",
            "withdrawn": "stažena",
            "replaced": "nahrazena novější",
            "awarded": "vítězná",
            "not_awarded": "nevybrána",
            "excluded": "vyřazena",
        }[self.value]


class Bid(db.Model):
    __tablename__ = "bid"
    __table_args__ = (
        # One live bid per provider and minitender, in the database itself.
        sa.Index(
            "uq_bid_live_per_provider",
            "demand_id",
            "provider_id",
            unique=True,
            sqlite_where=sa.text("status IN ('submitted', 'awarded', 'not_awarded', 'excluded')"),
            postgresql_where=sa.text("status IN ('submitted', 'awarded', 'not_awarded', 'excluded')"),
        ),
        sa.CheckConstraint("unit_price > 0", name="unit_price_positive"),
        sa.CheckConstraint("units > 0", name="units_positive"),
        sa.CheckConstraint("total > 0", name="total_positive"),
        sa.CheckConstraint("vat_rate IN (0, 12, 21)", name="vat_rate_known"),
        sa.CheckConstraint("quality_score IS NULL OR quality_score BETWEEN 0 AND 100", name="quality_range"),
        sa.CheckConstraint("status <> 'excluded' OR excluded_reason IS NOT NULL", name="exclusion_reason"),
    )

    id: Mapped[intpk]
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    status: Mapped[BidStatus] = mapped_column(enum_column(BidStatus, "bid_status"), default=BidStatus.SUBMITTED)
    unit_price: Mapped[money]
    units: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    total: Mapped[money]
    vat_rate: Mapped[int]
    proposed_start: Mapped[dt.date]
    team: Mapped[str] = mapped_column(sa.Text)
    approach: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[timestamp] = mapped_column(default=clock.now)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bid.id"))
    quality_score: Mapped[int | None]
    quality_justification: Mapped[str | None] = mapped_column(sa.Text)
    excluded_reason: Mapped[str | None] = mapped_column(sa.Text)
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    demand: Mapped[Demand] = relationship()
    provider: Mapped[Provider] = relationship()
    attachments: Mapped[list[BidAttachment]] = relationship(back_populates="bid", order_by="BidAttachment.id")

    @property
    def total_with_vat(self) -> Decimal:
        from minitendr.money import to_money

        return to_money(self.total * (100 + self.vat_rate) / 100)

    @property
    def is_live(self) -> bool:
        return self.status.value in LIVE

    def close(self, status: BidStatus) -> None:
        """Withdraw or replace a bid: only a submitted bid before the deadline."""
        if self.status is not BidStatus.SUBMITTED:
            raise DomainError(f"S nabídkou, která je {self.status.label}, už nelze nic dělat.")
        if not self.demand.is_open:
            raise DomainError("Lhůta pro nabídky skončila; nabídky jsou uzamčeny.")
        self.status = status
        self.closed_at = clock.now()


class BidAttachment(db.Model):
    """A PDF attached to a bid, kept outside the web root under its SHA-256 hash."""

    __tablename__ = "bid_attachment"

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[timestamp] = mapped_column(default=clock.now)

    bid: Mapped[Bid] = relationship(back_populates="attachments")
