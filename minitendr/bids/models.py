"""Bids (nabídky): a provider's sealed offer to a minitender, its attachments, and the opening of the
envelopes after the deadline (otevírání obálek).

Until OSPOD opens the envelopes, what a bid says (price, units, VAT, start, texts) exists only in its
``envelope``, encrypted under a key outside the database (see ``minitendr.sealing``); the plain columns
are empty, and CHECK constraints keep it that way. Opening fills them and drops the envelope. Withdrawn
and replaced bids are never opened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock, sealing
from minitendr.db import DomainError, Model, Money, UTCDateTime, enum_column, intpk, timestamp
from minitendr.demands.models import Demand
from minitendr.enums import LabelledEnum
from minitendr.privacy import required_text
from minitendr.providers.models import Provider

VAT_RATES = (0, 12, 21)


class BidStatus(LabelledEnum):
    SUBMITTED = "submitted", "podána"
    WITHDRAWN = "withdrawn", "stažena"
    REPLACED = "replaced", "nahrazena novější"
    AWARDED = "awarded", "vítězná"
    NOT_AWARDED = "not_awarded", "nevybrána"
    EXCLUDED = "excluded", "vyřazena"


# A live bid takes part in the minitender (the database's one-live-bid index lists the same states).
LIVE = frozenset({BidStatus.SUBMITTED, BidStatus.AWARDED, BidStatus.NOT_AWARDED, BidStatus.EXCLUDED})


class Bid(Model):
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
        # Sealed: only the envelope. Opened: every part of the offer, and no envelope.
        sa.CheckConstraint(
            "(envelope IS NOT NULL AND unit_price IS NULL AND units IS NULL AND total IS NULL AND vat_rate IS NULL"
            " AND proposed_start IS NULL AND team IS NULL AND approach IS NULL)"
            " OR (envelope IS NULL AND unit_price IS NOT NULL AND units IS NOT NULL AND total IS NOT NULL"
            " AND vat_rate IS NOT NULL AND proposed_start IS NOT NULL AND team IS NOT NULL AND approach IS NOT NULL)",
            name="sealed_or_open",
        ),
        sa.CheckConstraint("unit_price > 0", name="unit_price_positive"),
        sa.CheckConstraint("units > 0", name="units_positive"),
        sa.CheckConstraint("total > 0", name="total_positive"),
        sa.CheckConstraint("vat_rate IN (0, 12, 21)", name="vat_rate_known"),
        sa.CheckConstraint("quality_score IS NULL OR quality_score BETWEEN 0 AND 100", name="quality_range"),
        sa.CheckConstraint("status <> 'excluded' OR excluded_reason IS NOT NULL", name="exclusion_reason"),
        # A minitender's bids, and whether a provider bid in it (a provider's list of minitenders asks
        # that of every row: by both columns, not by whichever of two one-column indexes SQLite picks).
        sa.Index("ix_bid_demand_provider", "demand_id", "provider_id"),
    )

    id: Mapped[intpk]
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    status: Mapped[BidStatus] = mapped_column(enum_column(BidStatus, "bid_status"), default=BidStatus.SUBMITTED)
    envelope: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    unit_price: Mapped[Decimal | None] = mapped_column(Money())
    units: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    total: Mapped[Decimal | None] = mapped_column(Money())
    vat_rate: Mapped[int | None]
    proposed_start: Mapped[dt.date | None]
    team: Mapped[str | None] = mapped_column(sa.Text)
    approach: Mapped[str | None] = mapped_column(sa.Text)
    # The time of receipt, taken once by the server where the row is written (see bids.service).
    submitted_at: Mapped[timestamp]
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
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def is_sealed(self) -> bool:
        return self.envelope is not None

    def _context(self) -> str:
        return envelope_context(self.demand_id, self.provider_id, self.submitted_at)

    def seal(self, offer: Offer) -> None:
        """Put ``offer`` in the envelope; the plain columns stay empty until the opening."""
        self.envelope = sealing.seal(offer.to_json(), self._context())
        for name in OFFER_COLUMNS:
            setattr(self, name, None)

    @property
    def offer(self) -> Offer:
        """What the bid says: read from the columns once opened, decrypted from the envelope before.
        Only the bidder's own pages ask for it before the opening (the permission rules decide who)."""
        if self.envelope is None:
            return Offer(**{name: getattr(self, name) for name in OFFER_COLUMNS})
        return Offer.from_json(sealing.open_sealed(self.envelope, self._context()))

    @property
    def readable_offer(self) -> Offer | None:
        """The offer, or None when the configured key cannot open the envelope (a page lists the bid
        without its contents instead of failing; the bid's own page says why)."""
        try:
            return self.offer
        except sealing.EnvelopeError:
            return None

    @property
    def opened_total(self) -> Decimal:
        """The bid's price without VAT, which the evaluation compares: in the columns once the envelope
        is opened, and nowhere before (the database keeps all of the offer or none of it)."""
        if self.total is None:
            raise DomainError("Cena nabídky je zapečetěná; nejprve otevřete obálky.")
        return self.total

    def open_envelope(self) -> None:
        """The opening: the offer moves into the plain columns, the envelope is dropped."""
        offer = self.offer
        for name in OFFER_COLUMNS:
            setattr(self, name, getattr(offer, name))
        self.envelope = None

    # --- transitions -----------------------------------------------------------------------------
    @property
    def can_be_withdrawn(self) -> bool:
        """Submitted and the minitender still open: its provider may withdraw or replace it."""
        return self.status is BidStatus.SUBMITTED and self.demand.is_open

    def close(self, status: BidStatus, at: dt.datetime) -> None:
        """Withdraw or replace a bid: only a submitted bid, and only before the deadline (``at`` is the
        time the request was received, taken once by the caller)."""
        if self.status is not BidStatus.SUBMITTED:
            raise DomainError(f"S nabídkou, která je {self.status.label}, už nelze nic dělat.")
        if self.demand.deadline is None or at >= self.demand.deadline:
            raise DomainError("Lhůta pro nabídky skončila; nabídky jsou uzamčeny.")
        self.status = status
        self.closed_at = at

    @property
    def can_be_scored(self) -> bool:
        """A submitted bid is scored; an excluded one may be scored after all (the exclusion undone)."""
        return self.status in (BidStatus.SUBMITTED, BidStatus.EXCLUDED)

    @property
    def can_be_excluded(self) -> bool:
        return self.status is BidStatus.SUBMITTED

    def score(self, quality_score: int | None, justification: str | None) -> None:
        """OSPOD's quality score 0–100 with a written justification (the demand's evaluation is the
        caller's to check: it knows whether the envelopes were opened)."""
        if not self.can_be_scored:
            raise DomainError(f"Hodnotit lze jen podané nabídky; tato je {self.status.label}.")
        if quality_score is None or not 0 <= quality_score <= 100:
            raise DomainError("Hodnocení kvality musí být 0 až 100 bodů.", field="quality_score")
        self.quality_justification = required_text(
            justification, "justification", "Hodnocení kvality písemně zdůvodněte."
        )
        self.status = BidStatus.SUBMITTED
        self.excluded_reason = None
        self.quality_score = quality_score
        self.evaluated_at = clock.now()

    def exclude(self, reason: str | None) -> None:
        """submitted → excluded from the evaluation, with a reason the provider is told."""
        if not self.can_be_excluded:
            raise DomainError(f"Vyřadit lze jen podanou nabídku; tato je {self.status.label}.")
        self.excluded_reason = required_text(reason, "reason", "Uveďte důvod vyřazení.")
        self.status = BidStatus.EXCLUDED
        self.quality_score = None
        self.evaluated_at = clock.now()

    def _ensure_ranked(self) -> None:
        if self.status is not BidStatus.SUBMITTED or self.quality_score is None:
            raise DomainError(f"O výsledku lze rozhodnout jen u ohodnocené nabídky; tato je {self.status.label}.")

    def mark_awarded(self) -> None:
        """submitted (scored) → awarded: the winner of the minitender."""
        self._ensure_ranked()
        self.status = BidStatus.AWARDED

    def mark_not_awarded(self) -> None:
        """submitted (scored) → not awarded: ranked below the winner."""
        self._ensure_ranked()
        self.status = BidStatus.NOT_AWARDED


def envelope_context(demand_id: int, provider_id: int, submitted_at: dt.datetime) -> str:
    """Binds an envelope to its row: copied onto another provider's or minitender's bid, it won't open."""
    return f"bid:{demand_id}:{provider_id}:{submitted_at.astimezone(dt.UTC).isoformat()}"


OFFER_COLUMNS = ("unit_price", "units", "total", "vat_rate", "proposed_start", "team", "approach")


@dataclasses.dataclass(frozen=True)
class Offer:
    """The contents of a bid's envelope."""

    unit_price: Decimal
    units: Decimal
    total: Decimal
    vat_rate: int
    proposed_start: dt.date
    team: str
    approach: str

    @property
    def total_with_vat(self) -> Decimal:
        from minitendr.money import to_money

        return to_money(self.total * (100 + self.vat_rate) / 100)

    def to_json(self) -> bytes:
        data = dataclasses.asdict(self)
        data.update(
            unit_price=str(self.unit_price),
            units=str(self.units),
            total=str(self.total),
            proposed_start=self.proposed_start.isoformat(),
        )
        return json.dumps(data, ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Offer:
        data = json.loads(raw)
        return cls(
            unit_price=Decimal(data["unit_price"]),
            units=Decimal(data["units"]),
            total=Decimal(data["total"]),
            vat_rate=int(data["vat_rate"]),
            proposed_start=dt.date.fromisoformat(data["proposed_start"]),
            team=data["team"],
            approach=data["approach"],
        )


class BidAttachment(Model):
    """A PDF attached to a bid, kept outside the web root and outside the database, encrypted under the
    bid key in the file ``stored_as``; ``sha256`` is the plain file's, checked when it is served."""

    __tablename__ = "bid_attachment"

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    stored_as: Mapped[str] = mapped_column(sa.String(64), unique=True)
    uploaded_at: Mapped[timestamp] = mapped_column(default=clock.now)

    bid: Mapped[Bid] = relationship(back_populates="attachments")


class EnvelopeOpening(Model):
    """The opening of a minitender's envelopes after its deadline: who opened them and when, and how
    many bids were opened. Evaluation starts only after it."""

    __tablename__ = "envelope_opening"

    id: Mapped[intpk]
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"), unique=True)
    opened_at: Mapped[timestamp]
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    bids_opened: Mapped[int]

    demand: Mapped[Demand] = relationship()
    opened_by = relationship("User")
