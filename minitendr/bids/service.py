"""Bids: submitting, replacing and withdrawing them while sealed; evaluating and awarding after the
deadline. Functions flush, never commit; every step is audited (bid contents are kept out of the
audit data until the deadline, so no history table can unseal them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import User
from minitendr.bids.models import VAT_RATES, Bid, BidAttachment, BidStatus
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands.models import Demand, DemandStatus, Invitation
from minitendr.demands.service import check_no_birth_numbers
from minitendr.formatting import money as format_money
from minitendr.frameworks import service as frameworks
from minitendr.frameworks.models import FrameworkParty, PartyStatus
from minitendr.money import to_money
from minitendr.notifications.service import link, notify, provider_users
from minitendr.privacy import required_text
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
    total = to_money(unit_price * units)
    if total > MAX_TOTAL:
        raise DomainError("Celková cena je nepřiměřeně vysoká.", field="unit_price")
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


def _check_may_bid(demand: Demand, provider: Provider) -> None:
    if not demand.is_open:
        raise DomainError("Lhůta pro nabídky skončila; nabídku už nelze podat ani změnit.")
    # Lock the invitation: the same provider's two submissions at once are serialised.
    invitation = db.session.scalar(
        sa.select(Invitation)
        .where(Invitation.demand_id == demand.id, Invitation.provider_id == provider.id)
        .with_for_update()
    )
    if invitation is None:
        raise DomainError("Do tohoto minitendru nejste pozváni.")
    party = db.session.scalar(
        sa.select(FrameworkParty).where(
            FrameworkParty.framework_id == demand.framework_id, FrameworkParty.provider_id == provider.id
        )
    )
    if party is None or party.status is not PartyStatus.ACTIVE:
        raise DomainError("Vaše účast v rámcové smlouvě je pozastavena nebo ukončena; nabídku nelze podat.")


def store_attachment(upload: Upload) -> tuple[str, int]:
    """Check a PDF and keep it outside the web root under its SHA-256; returns (hash, size)."""
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    if len(upload.content) > limit:
        raise DomainError(f"Příloha {upload.filename} je větší než {limit // (1024 * 1024)} MB.", field="attachments")
    # Judged by content, not by name: a PDF starts with its header and ends with its end-of-file marker.
    if not upload.content.startswith(b"%PDF-") or b"%%EOF" not in upload.content[-1024:]:
        raise DomainError(f"Příloha {upload.filename} není PDF. Přikládat lze jen soubory PDF.", field="attachments")
    digest = hashlib.sha256(upload.content).hexdigest()
    folder = Path(current_app.config["ATTACHMENTS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        path.write_bytes(upload.content)
    return digest, len(upload.content)


def attachment_path(attachment: BidAttachment) -> Path:
    return Path(current_app.config["ATTACHMENTS_DIR"]) / attachment.sha256


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
    """Submit a bid, or replace the provider's live one (kept as ``replaced``)."""
    _check_may_bid(demand, provider)
    total = _check_offer(demand, unit_price, units, vat_rate, proposed_start, team, approach)
    stored = [(upload.filename[:200], *store_attachment(upload)) for upload in attachments]
    previous = live_bid(demand, provider.id)
    if previous is not None:
        previous.close(BidStatus.REPLACED)
        db.session.flush()  # the old bid leaves the live index before the new one enters it
    bid = Bid(
        demand=demand,
        provider=provider,
        unit_price=unit_price,
        units=units,
        total=total,
        vat_rate=vat_rate,
        proposed_start=proposed_start,
        team=team.strip(),
        approach=approach.strip(),
    )
    db.session.add(bid)
    for filename, digest, size in stored:
        db.session.add(BidAttachment(bid=bid, filename=filename, sha256=digest, size=size))
    db.session.flush()
    if previous is not None:
        previous.replaced_by_id = bid.id
    record("bid.submitted", bid, {"demand": demand.number, **({"replaces": previous.id} if previous else {})})
    return bid


def withdraw_bid(bid: Bid) -> None:
    bid.close(BidStatus.WITHDRAWN)
    record("bid.withdrawn", bid, {"demand": bid.demand.number})


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
        raise DomainError(f"Minitendr {demand.number} už není ve fázi hodnocení ({demand.state.label}).")


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
    """The contents of a minitender's bids: only once the deadline has passed (sealed before)."""
    if demand.deadline is None or demand.deadline > clock.now():
        raise SealedError("Nabídky jsou zapečetěné až do konce lhůty pro nabídky.")
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
def _lock_demand(demand: Demand) -> Demand:
    """Lock the demand's row and read it afresh: a second award (a double click, another tab) waits
    here and then sees the first one's decision."""
    return db.session.execute(
        sa.select(Demand).where(Demand.id == demand.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def award(demand: Demand, decided_by: User | None) -> SubContract:
    """Award the best-ranked bid: a sub-contract within the framework's remaining ceiling."""
    demand = _lock_demand(demand)
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
    subcontract = SubContract(
        number=f"DS-{demand.number}",
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
    demand = _lock_demand(demand)
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
    from minitendr.demands import service as demands

    if demand.status not in (DemandStatus.UNSUCCESSFUL, DemandStatus.CANCELLED):
        raise DomainError("Znovu vypsat lze jen neúspěšnou nebo zrušenou poptávku.")
    start, end = demand.start_date, demand.end_date
    earliest = clock.today() + dt.timedelta(days=14)
    if start < earliest:
        end, start = end + (earliest - start), earliest
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
