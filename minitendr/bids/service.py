"""Bids: submitting, replacing and withdrawing them while sealed; scoring or excluding one in the
evaluation (the opening, the ranking and the decision are the demand's: ``demands.evaluation``).
Functions flush, never commit; every step is audited (bid contents are kept out of the audit data until
the opening, so no history table can unseal them).

The deadline is enforced where the row is written: the demand's row is locked for the whole
submission (the opening of the envelopes waits for it), the time of receipt is taken once, just before
the insert, and checked again at the end, so a slow upload cannot carry a bid past the deadline; the
database refuses a late bid row by itself too (a trigger, see migration 0010).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from minitendr import clock, sealing, storage
from minitendr.audit.service import record
from minitendr.auth.models import User
from minitendr.bids.models import LIVE, VAT_RATES, Bid, BidAttachment, BidStatus, Offer
from minitendr.committee import service as committee
from minitendr.committee.models import AssessmentKind, CommitteeMember
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.demands.models import Demand, DemandStatus, Invitation
from minitendr.formatting import money as format_money
from minitendr.frameworks.models import FrameworkParty, PartyStatus
from minitendr.money import to_money
from minitendr.privacy import BIRTH_NUMBER_MESSAGE, find_birth_number, required_text
from minitendr.providers.models import Provider

MAX_UNIT_PRICE = Decimal("10000000")
MAX_UNITS = Decimal("100000000")
MAX_TOTAL = Decimal("10000000000")


@dataclass(frozen=True)
class Upload:
    """A file as it came from the form."""

    filename: str
    content: bytes


# --- submitting ----------------------------------------------------------------------------------
def _check_offer(
    demand: Demand,
    unit_price: Decimal,
    units: Decimal,
    vat_rate: int,
    proposed_start: dt.date,
    team: str,
    approach: str,
) -> tuple[Decimal, str, str]:
    """The offer's total, team and approach once every rule is met; a ``DomainError`` at the field
    that breaks one otherwise."""
    if unit_price is None or unit_price <= 0:
        raise DomainError("Cena za jednotku musí být kladná.", field="unit_price")
    if unit_price > MAX_UNIT_PRICE:
        raise DomainError("Cena za jednotku je nepřiměřeně vysoká.", field="unit_price")
    if to_money(unit_price) != unit_price:
        raise DomainError("Cenu zadejte nejvýše na haléře.", field="unit_price")
    if units is None or units <= 0:
        raise DomainError("Počet jednotek musí být kladný.", field="units")
    if units > MAX_UNITS:
        raise DomainError("Počet jednotek je nepřiměřeně velký.", field="units")
    if to_money(units) != units:
        raise DomainError("Počet jednotek zadejte nejvýše na dvě desetinná místa.", field="units")
    total = to_money(unit_price * units)
    if total > MAX_TOTAL:
        raise DomainError("Celková cena je nepřiměřeně vysoká.", field="unit_price")
    if total <= 0:
        raise DomainError(
            "Celková cena (cena za jednotku × počet jednotek) vychází na 0,00 Kč; zadejte vyšší cenu nebo počet.",
            field="unit_price",
        )
    if vat_rate not in VAT_RATES:
        raise DomainError("Sazba DPH musí být 0, 12 nebo 21 %.", field="vat_rate")
    if demand.estimated_max_value is not None and total > demand.estimated_max_value:
        raise DomainError(
            f"Celková cena {format_money(total)} přesahuje předpokládanou maximální hodnotu poptávky "
            f"({format_money(demand.estimated_max_value)}).",
            field="unit_price",
        )
    if proposed_start < clock.today():
        raise DomainError("Navržený začátek nesmí být v minulosti.", field="proposed_start")
    if proposed_start > demand.end_date:
        raise DomainError("Navržený začátek musí předcházet konci poptávaného období.", field="proposed_start")
    team = required_text(team, "team", "Popište tým a jeho kvalifikaci.")
    approach = required_text(approach, "approach", "Popište navrhovaný postup.")
    return total, team, approach


DEADLINE_PASSED = "Lhůta pro nabídky skončila; nabídku už nelze podat, nahradit ani stáhnout."


def _lock_for_bidding(demand: Demand) -> Demand:
    """Hold the demand's row (shared, so bids of different providers go on side by side) until the
    commit: the opening of the envelopes takes it exclusively and so waits for every bid being written,
    and the deadline cannot move under a bid. SQLite serialises writers anyway."""
    return db.session.execute(
        sa.select(Demand)
        .where(Demand.id == demand.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).scalar_one()


def _before_deadline(demand: Demand, moment: dt.datetime) -> None:
    if demand.status is not DemandStatus.PUBLISHED or demand.deadline is None or moment >= demand.deadline:
        raise DomainError(DEADLINE_PASSED)


def _lock_invitation(demand: Demand, provider_id: int) -> Invitation | None:
    """Lock the provider's invitation: its submissions, replacements and withdrawals in one minitender
    (two sessions of one account, a double click) run one after the other, each seeing the last."""
    return db.session.scalar(
        sa.select(Invitation)
        .where(Invitation.demand_id == demand.id, Invitation.provider_id == provider_id)
        .with_for_update()
    )


def _check_may_bid(demand: Demand, provider: Provider) -> None:
    _before_deadline(demand, clock.now())
    invitation = _lock_invitation(demand, provider.id)
    if invitation is None:
        raise DomainError("Do tohoto minitendru nejste pozváni.")
    party = db.session.scalar(
        sa.select(FrameworkParty).where(
            FrameworkParty.framework_id == demand.framework_id, FrameworkParty.provider_id == provider.id
        )
    )
    if party is None or party.status is not PartyStatus.ACTIVE:
        raise DomainError("Vaše účast v rámcové smlouvě je pozastavena nebo ukončena; nabídku nelze podat.")


# Control characters (NUL, CR, LF, …), format characters (bidi marks, zero-width) and path separators
# have no place in a file name: they break headers and file systems and can disguise an extension.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|]')


def safe_filename(name: str) -> str:
    """A file name fit to store and to send back in Content-Disposition: NFC, without control and
    format characters or path separators, at most 200 characters, never empty."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in name)
    name = _UNSAFE_NAME.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        name = "příloha"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 195 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def _check_attachment(upload: Upload) -> str:
    name = safe_filename(upload.filename)
    if find_birth_number(name):
        raise DomainError(f"Název přílohy: {BIRTH_NUMBER_MESSAGE}", field="attachments")
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    if len(upload.content) > limit:
        raise DomainError(f"Příloha {name} je větší než {limit // (1024 * 1024)} MB.", field="attachments")
    # Judged by content, not by name: a PDF starts with its header and ends with its end-of-file marker.
    if not upload.content.startswith(b"%PDF-") or b"%%EOF" not in upload.content[-1024:]:
        raise DomainError(f"Příloha {name} není PDF. Přikládat lze jen soubory PDF.", field="attachments")
    return name


def store_attachment(content: bytes) -> tuple[str, str]:
    """Encrypt a checked file into the attachment store under a random name; returns (stored_as, sha256)."""
    stored_as = secrets.token_hex(16)
    storage.area("attachments").put_bytes(stored_as, sealing.seal(content, f"attachment:{stored_as}"))
    return stored_as, hashlib.sha256(content).hexdigest()


def attachment_content(attachment: BidAttachment) -> bytes:
    """The attachment's plain content, checked against the hash taken when it was uploaded."""
    try:
        sealed = storage.area("attachments").read_bytes(attachment.stored_as)
    except FileNotFoundError:
        raise DomainError(f"Soubor přílohy {attachment.filename} chybí v úložišti.") from None
    content = sealing.open_sealed(sealed, f"attachment:{attachment.stored_as}")
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise sealing.EnvelopeError(f"Příloha {attachment.filename} neodpovídá svému otisku SHA-256.")
    return content


def live_bid(demand: Demand, provider_id: int) -> Bid | None:
    return db.session.scalar(
        sa.select(Bid).where(
            Bid.demand_id == demand.id, Bid.provider_id == provider_id, Bid.status == BidStatus.SUBMITTED
        )
    )


def submit_bid(
    demand: Demand,
    provider: Provider,
    *,
    unit_price: Decimal,
    units: Decimal,
    vat_rate: int,
    proposed_start: dt.date,
    team: str,
    approach: str,
    attachments: Sequence[Upload] = (),
) -> Bid:
    """Submit a bid, or replace the provider's live one (kept as ``replaced``). The offer goes into a
    sealed envelope; the attachments are stored encrypted."""
    demand = _lock_for_bidding(demand)
    _check_may_bid(demand, provider)
    total, team, approach = _check_offer(demand, unit_price, units, vat_rate, proposed_start, team, approach)
    names = [_check_attachment(upload) for upload in attachments]
    stored: list[tuple[str, int, str, str]] = []
    try:
        for name, upload in zip(names, attachments, strict=True):
            stored.append((name, len(upload.content), *store_attachment(upload.content)))
        return _write_bid(demand, provider, total, team, approach, unit_price, units, vat_rate, proposed_start, stored)
    except BaseException:
        # Refused (the deadline passed meanwhile) or failed: no bid row names the stored files, so
        # they go too — the store keeps no sealed file nobody can reach.
        area = storage.area("attachments")
        for _name, _size, stored_as, _digest in stored:
            try:
                area.delete(stored_as)
            except Exception:  # the refusal is what the bidder must hear, not the store's trouble
                logging.getLogger(__name__).exception("attachment %s of a failed bid stays in the store", stored_as)
        raise


def _write_bid(
    demand: Demand,
    provider: Provider,
    total: Decimal,
    team: str,
    approach: str,
    unit_price: Decimal,
    units: Decimal,
    vat_rate: int,
    proposed_start: dt.date,
    stored: list[tuple[str, int, str, str]],
) -> Bid:
    received = clock.now()  # the time of receipt: taken once, where the row is written
    _before_deadline(demand, received)
    previous = live_bid(demand, provider.id)
    if previous is not None:
        previous.close(BidStatus.REPLACED, received)
        db.session.flush()  # the old bid leaves the live index before the new one enters it
    bid = Bid(demand_id=demand.id, provider_id=provider.id, status=BidStatus.SUBMITTED, submitted_at=received)
    bid.seal(
        Offer(
            unit_price=unit_price,
            units=units,
            total=total,
            vat_rate=vat_rate,
            proposed_start=proposed_start,
            team=team,
            approach=approach,
        )
    )
    db.session.add(bid)
    for filename, size, stored_as, digest in stored:
        db.session.add(BidAttachment(bid=bid, filename=filename, size=size, sha256=digest, stored_as=stored_as))
    db.session.flush()
    if previous is not None:
        previous.replaced_by_id = bid.id
    record("bid.submitted", bid, {"demand": demand.number, **({"replaces": previous.id} if previous else {})})
    _still_before_deadline(demand)
    return bid


def _still_before_deadline(demand: Demand) -> None:
    """The last step before the commit: writing took time, and a bid is acknowledged only if the
    deadline had not passed by the moment it was all written."""
    db.session.flush()
    _before_deadline(demand, clock.now())


def withdraw_bid(bid: Bid) -> None:
    """Withdraw a submitted bid before the deadline; its envelope is never opened."""
    demand = _lock_for_bidding(bid.demand)
    _lock_invitation(demand, bid.provider_id)
    db.session.refresh(bid)  # a replacement that committed meanwhile has closed it
    bid.close(BidStatus.WITHDRAWN, clock.now())
    record("bid.withdrawn", bid, {"demand": demand.number})
    _still_before_deadline(demand)


def bid_count(demand: Demand) -> int:
    """How many live bids a minitender has: the only thing anyone else may know before the deadline."""
    return (
        db.session.scalar(sa.select(sa.func.count(Bid.id)).where(Bid.demand_id == demand.id, Bid.status.in_(LIVE))) or 0
    )


def own_bids(demand: Demand, provider_id: int) -> list[Bid]:
    """A provider's bids in one minitender, the newest first: its own to follow, withdraw or replace."""
    stmt = sa.select(Bid).where(Bid.demand_id == demand.id, Bid.provider_id == provider_id).order_by(Bid.id.desc())
    return list(db.session.scalars(stmt))


# --- scoring and excluding one bid (in the demand's evaluation) ----------------------------------
def score_bid(bid: Bid, quality_score: int | None, justification: str | None, *, by: User | None) -> None:
    """A committee member's quality score 0–100 with a written justification; the row that says who
    scored is written with it (``by`` must be a member who declared no conflict of interest)."""
    evaluation.ensure_evaluation(bid.demand)
    member = committee.assessing_member(bid.demand, by)
    bid.score(quality_score, justification)
    committee.record_assessment(bid, member, AssessmentKind.SCORE, bid.quality_score, bid.quality_justification or "")
    record(
        "bid.scored",
        bid,
        {"demand": bid.demand.number, "quality_score": bid.quality_score, **_member_data(member)},
        actor=by,
    )


def exclude_bid(bid: Bid, reason: str | None, *, by: User | None) -> None:
    """Exclude a bid from the evaluation, with a reason; by a member, as a score."""
    evaluation.ensure_evaluation(bid.demand)
    member = committee.assessing_member(bid.demand, by)
    bid.exclude(reason)
    committee.record_assessment(bid, member, AssessmentKind.EXCLUSION, None, bid.excluded_reason or "")
    record(
        "bid.excluded",
        bid,
        {"demand": bid.demand.number, "reason": bid.excluded_reason, **_member_data(member)},
        actor=by,
    )


def _member_data(member: CommitteeMember | None) -> dict[str, str]:
    return {"member": member.user.email} if member is not None else {}
