"""Bids: submitting, replacing and withdrawing them while sealed; opening the envelopes, evaluating
and awarding after the deadline. Functions flush, never commit; every step is audited (bid contents are
kept out of the audit data until the opening, so no history table can unseal them).

The deadline is enforced where the row is written: the demand's row is locked for the whole
submission (the opening of the envelopes waits for it), the time of receipt is taken once, just before
the insert, and checked again at the end, so a slow upload cannot carry a bid past the deadline; the
database refuses a late bid row by itself too (a trigger, see migration 0010).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from minitendr import clock, sealing
from minitendr.audit.service import record
from minitendr.auth.models import User
from minitendr.bids.models import VAT_RATES, Bid, BidAttachment, BidStatus, EnvelopeOpening, Offer
from minitendr.contracts import service as contracts
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands import service as demands
from minitendr.demands.models import Demand, DemandStatus, Invitation
from minitendr.formatting import datetime as format_datetime
from minitendr.formatting import money as format_money
from minitendr.frameworks import service as frameworks
from minitendr.frameworks.models import FrameworkParty, PartyStatus
from minitendr.money import to_money
from minitendr.notifications.service import link, notify, provider_users
from minitendr.privacy import BIRTH_NUMBER_MESSAGE, check_no_birth_numbers, find_birth_number, required_text
from minitendr.providers.models import Provider
from minitendr.reports import summary

MAX_UNIT_PRICE = Decimal("10000000")
MAX_UNITS = Decimal("100000000")
MAX_TOTAL = Decimal("10000000000")
SCORE = Decimal("0.01")


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
) -> Decimal:
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
    if not (team or "").strip():
        raise DomainError("Popište tým a jeho kvalifikaci.", field="team")
    if not (approach or "").strip():
        raise DomainError("Popište navrhovaný postup.", field="approach")
    check_no_birth_numbers({"team": team, "approach": approach}, ("team", "approach"))
    return total


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


def _folder() -> Path:
    return Path(current_app.config["ATTACHMENTS_DIR"])


def store_attachment(content: bytes) -> tuple[str, str]:
    """Encrypt a checked file into the attachment folder under a random name; returns (stored_as, sha256)."""
    stored_as = secrets.token_hex(16)
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored_as).write_bytes(sealing.seal(content, f"attachment:{stored_as}"))
    return stored_as, hashlib.sha256(content).hexdigest()


def attachment_content(attachment: BidAttachment) -> bytes:
    """The attachment's plain content, checked against the hash taken when it was uploaded."""
    path = _folder() / attachment.stored_as
    try:
        sealed = path.read_bytes()
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
    attachments: list[Upload] = (),
) -> Bid:
    """Submit a bid, or replace the provider's live one (kept as ``replaced``). The offer goes into a
    sealed envelope; the attachments are stored encrypted."""
    demand = _lock_for_bidding(demand)
    _check_may_bid(demand, provider)
    total = _check_offer(demand, unit_price, units, vat_rate, proposed_start, team, approach)
    names = [_check_attachment(upload) for upload in attachments]
    stored = [
        (name, len(upload.content), *store_attachment(upload.content))
        for name, upload in zip(names, attachments, strict=True)
    ]
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
            team=team.strip(),
            approach=approach.strip(),
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
        db.session.scalar(
            sa.select(sa.func.count(Bid.id)).where(
                Bid.demand_id == demand.id, Bid.status != BidStatus.WITHDRAWN, Bid.status != BidStatus.REPLACED
            )
        )
        or 0
    )


# --- evaluation ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ranked:
    bid: Bid
    price_score: Decimal
    quality_points: Decimal | None
    total_score: Decimal | None
    rank: int | None


def _ensure_evaluation(demand: Demand) -> None:
    if demand.status in (DemandStatus.AWARDED, DemandStatus.UNSUCCESSFUL):
        raise DomainError(f"O minitendru {demand.number} už bylo rozhodnuto ({demand.state.label}).")
    if demand.state is not DemandStatus.EVALUATION:
        if demand.is_open:
            raise DomainError("Nabídky lze hodnotit až po uplynutí lhůty pro nabídky.")
        raise DomainError(f"Minitendr {demand.number} není ve fázi hodnocení ({demand.state.label}).")
    if opening_of(demand) is None:
        raise DomainError("Nejprve otevřete obálky s nabídkami; teprve pak je lze hodnotit.")


# --- opening the envelopes -----------------------------------------------------------------------
def opening_of(demand: Demand) -> EnvelopeOpening | None:
    return db.session.scalar(sa.select(EnvelopeOpening).where(EnvelopeOpening.demand_id == demand.id))


def received_bids(demand: Demand) -> list[Bid]:
    """Every bid a minitender received, withdrawn and replaced ones included, in the order of receipt:
    the opening record lists them all. Only after the deadline."""
    if demand.deadline is None or demand.deadline > clock.now():
        raise SealedError("Nabídky jsou zapečetěné až do konce lhůty pro nabídky.")
    stmt = sa.select(Bid).where(Bid.demand_id == demand.id).order_by(Bid.submitted_at, Bid.id)
    return list(db.session.scalars(stmt))


def open_envelopes(demand: Demand, opened_by: User | None) -> EnvelopeOpening:
    """After the deadline, OSPOD opens the envelopes: the live bids are decrypted into the evaluation,
    and the opening is recorded (who, when, how many). Withdrawn and replaced bids stay sealed."""
    demand = demands.lock(demand)  # waits for every bid still being written, then sees it
    if demand.state is not DemandStatus.EVALUATION:
        if demand.is_open:
            raise DomainError(f"Obálky lze otevřít až po uplynutí lhůty ({format_datetime(demand.deadline)}).")
        raise DomainError(f"Minitendr {demand.number} není ve fázi hodnocení ({demand.state.label}).")
    if opening_of(demand) is not None:
        raise DomainError(f"Obálky minitendru {demand.number} už byly otevřeny.")
    bids = [bid for bid in received_bids(demand) if bid.status is BidStatus.SUBMITTED]
    for bid in bids:
        bid.open_envelope()
    opening = EnvelopeOpening(
        demand_id=demand.id, opened_at=clock.now(), opened_by_id=getattr(opened_by, "id", None), bids_opened=len(bids)
    )
    db.session.add(opening)
    db.session.flush()
    record("demand.envelopes_opened", demand, {"bids": len(bids)}, actor=opened_by)
    return opening


def score_bid(bid: Bid, quality_score: int, justification: str) -> None:
    """OSPOD's quality score 0–100 with a written justification."""
    _ensure_evaluation(bid.demand)
    if bid.status not in (BidStatus.SUBMITTED, BidStatus.EXCLUDED):
        raise DomainError("Hodnotit lze jen podané nabídky.")
    if quality_score is None or not 0 <= quality_score <= 100:
        raise DomainError("Hodnocení kvality musí být 0 až 100 bodů.", field="quality_score")
    justification = required_text(justification, "justification", "Hodnocení kvality písemně zdůvodněte.")
    bid.status = BidStatus.SUBMITTED
    bid.excluded_reason = None
    bid.quality_score = quality_score
    bid.quality_justification = justification
    bid.evaluated_at = clock.now()
    record("bid.scored", bid, {"demand": bid.demand.number, "quality_score": quality_score})


def exclude_bid(bid: Bid, reason: str) -> None:
    """Exclude a bid from the evaluation, with a reason."""
    _ensure_evaluation(bid.demand)
    if bid.status is not BidStatus.SUBMITTED:
        raise DomainError("Vyřadit lze jen podanou nabídku.")
    reason = required_text(reason, "reason", "Uveďte důvod vyřazení.")
    bid.status = BidStatus.EXCLUDED
    bid.excluded_reason = reason
    bid.quality_score = None
    bid.evaluated_at = clock.now()
    record("bid.excluded", bid, {"demand": bid.demand.number, "reason": reason})


class SealedError(DomainError):
    """Someone asked for bid contents before the deadline."""


def live_bids(demand: Demand) -> list[Bid]:
    """The contents of a minitender's bids: only once the envelopes have been opened."""
    if demand.deadline is None or demand.deadline > clock.now():
        raise SealedError("Nabídky jsou zapečetěné až do konce lhůty pro nabídky.")
    if opening_of(demand) is None:
        raise SealedError("Obálky s nabídkami dosud nebyly otevřeny.")
    stmt = sa.select(Bid).where(
        Bid.demand_id == demand.id,
        Bid.status.in_([BidStatus.SUBMITTED, BidStatus.AWARDED, BidStatus.NOT_AWARDED, BidStatus.EXCLUDED]),
    )
    return list(db.session.scalars(stmt.order_by(Bid.submitted_at, Bid.id)))


def ranking(demand: Demand) -> list[Ranked]:
    """Bids side by side: price score = lowest price / bid price × price weight; quality points =
    score × quality weight / 100; ranked by the total, ties to the earlier bid. Excluded bids and
    bids not yet scored have no rank."""
    framework = demand.framework
    bids = live_bids(demand)
    competing = [b for b in bids if b.status is not BidStatus.EXCLUDED]
    lowest = min((b.total for b in competing), default=None)
    rows = []
    for bid in bids:
        if bid.status is BidStatus.EXCLUDED:
            rows.append(Ranked(bid, Decimal(0), None, None, None))
            continue
        price = (lowest / bid.total * framework.price_weight).quantize(SCORE, ROUND_HALF_UP)
        quality = (
            None
            if bid.quality_score is None
            else (Decimal(bid.quality_score) * framework.quality_weight / 100).quantize(SCORE, ROUND_HALF_UP)
        )
        rows.append(Ranked(bid, price, quality, None if quality is None else price + quality, None))
    scored = sorted(
        (r for r in rows if r.total_score is not None), key=lambda r: (-r.total_score, r.bid.submitted_at, r.bid.id)
    )
    ranks = {r.bid.id: n for n, r in enumerate(scored, start=1)}
    return sorted(
        (Ranked(r.bid, r.price_score, r.quality_points, r.total_score, ranks.get(r.bid.id)) for r in rows),
        key=lambda r: (r.rank is None, r.rank or 0, r.bid.submitted_at),
    )


# --- the decision --------------------------------------------------------------------------------
def award(demand: Demand, decided_by: User | None) -> SubContract:
    """Award the best-ranked bid: a sub-contract within the framework's remaining ceiling."""
    demand = demands.lock(demand)
    _ensure_evaluation(demand)
    rows = ranking(demand)
    unscored = [r for r in rows if r.bid.status is BidStatus.SUBMITTED and r.total_score is None]
    if unscored:
        raise DomainError(f"Ohodnoťte nebo vyřaďte všechny nabídky (chybí {len(unscored)}).")
    ranked = [r for r in rows if r.rank is not None]
    if not ranked:
        raise DomainError("Žádná nabídka není přijatelná; ukončete minitendr jako neúspěšný.")
    winner = ranked[0].bid
    framework = frameworks.lock(demand.framework_id)
    remaining = frameworks.remaining(framework)
    if winner.total > remaining:
        raise DomainError(
            f"Vítězná nabídka ({format_money(winner.total)}) přesahuje zbývající strop rámcové smlouvy "
            f"{framework.number} ({format_money(remaining)}). Zadat ji nelze."
        )
    kraj = demand.orp.kraj
    number, year, seq = contracts.allocate_number(kraj, clock.today())
    subcontract = SubContract(
        number=number,
        kraj_abbr=kraj.abbr,
        number_year=year,
        number_seq=seq,
        demand_id=demand.id,
        bid_id=winner.id,
        framework_id=framework.id,
        provider_id=winner.provider_id,
        orp_id=demand.orp_id,
        category_id=demand.category_id,
        service_type_id=demand.service_type_id,
        units=winner.units,
        unit_price=winner.unit_price,
        value=winner.total,
        vat_rate=winner.vat_rate,
        start_date=winner.proposed_start,
        end_date=demand.end_date,
        signed_on=clock.today(),
    )
    db.session.add(subcontract)
    winner.status = BidStatus.AWARDED
    for row in ranked[1:]:
        row.bid.status = BidStatus.NOT_AWARDED
    demand.mark_awarded(decided_by)
    db.session.flush()
    summary.subcontract_signed(subcontract)
    summary.demand_decided(demand)
    record(
        "subcontract.created",
        subcontract,
        {
            "number": subcontract.number,
            "value": subcontract.value,
            "framework": framework.number,
            "provider": winner.provider.ico,
        },
    )
    record(
        "demand.awarded",
        demand,
        {"winner": winner.provider.ico, "value": winner.total, "subcontract": subcontract.number},
        actor=decided_by,
    )
    _tell_bidders(demand, rows, winner)
    return subcontract


def close_unsuccessful(demand: Demand, decided_by: User | None, note: str) -> None:
    """evaluation → unsuccessful, when there is no bid or none is acceptable."""
    demand = demands.lock(demand)
    _ensure_evaluation(demand)
    rows = ranking(demand)
    if any(r.bid.status is BidStatus.SUBMITTED for r in rows):
        raise DomainError("Některé nabídky jsou stále ve hře: ohodnoťte je a zadejte, nebo je s odůvodněním vyřaďte.")
    note = (note or "").strip() or ("Nebyla podána žádná nabídka." if not rows else "Žádná nabídka nebyla přijatelná.")
    check_no_birth_numbers({"note": note}, ("note",))
    demand.mark_unsuccessful(decided_by, note)
    summary.demand_decided(demand)
    record("demand.unsuccessful", demand, {"bids": len(rows), "note": note}, actor=decided_by)
    _tell_bidders(demand, rows, None)


def _tell_bidders(demand: Demand, rows: list[Ranked], winner: Bid | None) -> None:
    """Each bidder learns its own scores, and who won at what price."""
    page = link("demands.detail", demand_id=demand.id)
    result = (
        f"Vybrána byla nabídka poskytovatele {winner.provider.name} za {format_money(winner.total)} bez DPH."
        if winner
        else "Minitendr skončil bez výběru dodavatele."
    )
    for row in rows:
        bid = row.bid
        if bid.status is BidStatus.EXCLUDED:
            own = f"Vaše nabídka byla vyřazena: {bid.excluded_reason}"
        else:
            own = (
                f"Vaše nabídka: cena {row.price_score} b., kvalita {row.quality_points} b., celkem "
                f"{row.total_score} b., pořadí {row.rank}."
            )
        notify(provider_users([bid.provider_id]), f"Výsledek minitendru {demand.number}", f"{own} {result}", page)


def reissue(demand: Demand, created_by: User) -> Demand:
    """An unsuccessful (or cancelled) demand again, as a new draft with the same content; dates that
    have passed move forward by the same span."""

    if demand.status not in (DemandStatus.UNSUCCESSFUL, DemandStatus.CANCELLED):
        raise DomainError("Znovu vypsat lze jen neúspěšnou nebo zrušenou poptávku.")
    start, end = demand.start_date, demand.end_date
    earliest = clock.today() + dt.timedelta(days=14)
    if start < earliest:
        try:
            end, start = end + (earliest - start), earliest
        except OverflowError:
            raise DomainError("Termíny poptávky nelze posunout do budoucnosti; založte novou poptávku.") from None
    copy = demands.create_demand(
        orp=demand.orp,
        created_by=created_by,
        category=demand.category,
        service_type=demand.service_type,
        needs=list(demand.needs),
        case_reference=demand.case_reference,
        need_description=demand.need_description,
        expected_outcome=demand.expected_outcome,
        place=demand.place,
        volume=demand.volume,
        start_date=start,
        end_date=end,
        estimated_max_value=demand.estimated_max_value,
        deadline=None,
        contact_name=demand.contact_name,
        contact_email=demand.contact_email,
        contact_phone=demand.contact_phone,
    )
    record("demand.reissued", demand, {"new": copy.number})
    return copy
