"""The decisions on a minitender after its deadline: opening the envelopes, the ranking of its bids,
the award (a sub-contract), closing it as unsuccessful, filing it again. Functions flush, never commit;
every step is audited and the bidders are told the result.

Every decision takes the demand's row lock first (``demands.service.lock``): the opening waits for
bids still being written, and of two awards racing, the second sees the first one's decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import User
from minitendr.bids.models import LIVE, Bid, BidStatus, EnvelopeOpening
from minitendr.committee import service as committee
from minitendr.contracts import service as contracts
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands import service as demands
from minitendr.demands.models import Demand
from minitendr.formatting import datetime as format_datetime
from minitendr.formatting import money as format_money
from minitendr.formatting import points
from minitendr.frameworks import service as frameworks
from minitendr.network import summary as network_summary
from minitendr.notifications.service import link, notify, provider_users
from minitendr.privacy import check_no_birth_numbers
from minitendr.reports import summary

SCORE = Decimal("0.01")


class SealedError(DomainError):
    """Someone asked for bid contents before the deadline, or before the envelopes were opened."""


@dataclass(frozen=True)
class Ranked:
    """A bid in the evaluation: its points and its place (None while unscored, or when excluded)."""

    bid: Bid
    price_score: Decimal
    quality_points: Decimal | None
    total_score: Decimal | None
    rank: int | None

    @property
    def competing(self) -> bool:
        """Not excluded: its price counts, and it may win."""
        return self.bid.status is not BidStatus.EXCLUDED


# --- the opening of the envelopes ----------------------------------------------------------------
def opening_of(demand: Demand) -> EnvelopeOpening | None:
    return db.session.scalar(sa.select(EnvelopeOpening).where(EnvelopeOpening.demand_id == demand.id))


def _ensure_past_deadline(demand: Demand) -> None:
    if demand.deadline is None or demand.deadline > clock.now():
        raise SealedError("Nabídky jsou zapečetěné až do konce lhůty pro nabídky.")


def received_bids(demand: Demand) -> list[Bid]:
    """Every bid a minitender received, withdrawn and replaced ones included, in the order of receipt:
    the opening record lists them all. Only after the deadline."""
    _ensure_past_deadline(demand)
    stmt = sa.select(Bid).where(Bid.demand_id == demand.id).order_by(Bid.submitted_at, Bid.id)
    return list(db.session.scalars(stmt))


def open_envelopes(demand: Demand, opened_by: User | None) -> EnvelopeOpening:
    """After the deadline, OSPOD opens the envelopes: the live bids are decrypted into the evaluation,
    and the opening is recorded (who, when, how many). Withdrawn and replaced bids stay sealed. Only
    before a complete committee: every member still on it has declared no conflict of interest."""
    demand = demands.lock(demand)  # waits for every bid still being written, then sees it
    if not demand.in_evaluation:
        if demand.is_open:
            raise DomainError(f"Obálky lze otevřít až po uplynutí lhůty ({format_datetime(demand.deadline)}).")
        raise DomainError(f"Minitendr {demand.number} není ve fázi hodnocení ({demand.state.label}).")
    if opening_of(demand) is not None:
        raise DomainError(f"Obálky minitendru {demand.number} už byly otevřeny.")
    committee.ensure_ready_to_open(demand)
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


def ensure_evaluation(demand: Demand) -> None:
    """Scoring and deciding happen in the evaluation, and only on opened envelopes."""
    demand.ensure_in_evaluation()
    if opening_of(demand) is None:
        raise DomainError("Nejprve otevřete obálky s nabídkami; teprve pak je lze hodnotit.")


# --- the ranking ---------------------------------------------------------------------------------
def live_bids(demand: Demand) -> list[Bid]:
    """The contents of a minitender's bids: only once the envelopes have been opened."""
    _ensure_past_deadline(demand)
    if opening_of(demand) is None:
        raise SealedError("Obálky s nabídkami dosud nebyly otevřeny.")
    stmt = sa.select(Bid).where(Bid.demand_id == demand.id, Bid.status.in_(LIVE))
    return list(db.session.scalars(stmt.order_by(Bid.submitted_at, Bid.id)))


def ranking(demand: Demand) -> list[Ranked]:
    """Bids side by side: price score = lowest price / bid price × price weight; quality points =
    score × quality weight / 100; ranked by the total, ties to the earlier bid. Excluded bids and
    bids not yet scored have no rank."""
    bids = live_bids(demand)  # first: a sealed minitender is refused as sealed
    framework = demand.published_framework
    competing = [b for b in bids if b.status is not BidStatus.EXCLUDED]
    lowest = min((b.opened_total for b in competing), default=None)
    rows = []
    for bid in bids:
        if bid.status is BidStatus.EXCLUDED:
            rows.append(Ranked(bid, Decimal(0), None, None, None))
            continue
        assert lowest is not None  # this bid competes, so there is a lowest price
        price = (lowest / bid.opened_total * framework.price_weight).quantize(SCORE, ROUND_HALF_UP)
        quality = (
            None
            if bid.quality_score is None
            else (Decimal(bid.quality_score) * framework.quality_weight / 100).quantize(SCORE, ROUND_HALF_UP)
        )
        rows.append(Ranked(bid, price, quality, None if quality is None else price + quality, None))
    scored = sorted(
        ((r.total_score, r.bid) for r in rows if r.total_score is not None),
        key=lambda scored_bid: (-scored_bid[0], scored_bid[1].submitted_at, scored_bid[1].id),
    )
    ranks = {bid.id: n for n, (_, bid) in enumerate(scored, start=1)}
    return sorted(
        (Ranked(r.bid, r.price_score, r.quality_points, r.total_score, ranks.get(r.bid.id)) for r in rows),
        key=lambda r: (r.rank is None, r.rank or 0, r.bid.submitted_at),
    )


def subcontract_of(demand: Demand) -> SubContract | None:
    """The sub-contract an award made, if any."""
    return db.session.scalar(sa.select(SubContract).where(SubContract.demand_id == demand.id))


# --- the records ---------------------------------------------------------------------------------
def opening_record(demand: Demand) -> dict[str, Any]:
    """What the opening record shows (``templates/demands/opening.html``), on screen and in the PDF."""
    return {"demand": demand, "opening": opening_of(demand), "bids": received_bids(demand)}


def protocol_record(demand: Demand) -> dict[str, Any]:
    """What the evaluation protocol shows (``templates/demands/protocol.html``), on screen and in the PDF."""
    return {
        "demand": demand,
        "rows": ranking(demand),
        "subcontract": subcontract_of(demand),
        "opening": opening_of(demand),
    }


# --- the decision --------------------------------------------------------------------------------
def award(demand: Demand, decided_by: User | None) -> SubContract:
    """Award the best-ranked bid: a sub-contract within the framework's remaining ceiling."""
    demand = demands.lock(demand)
    ensure_evaluation(demand)
    rows = ranking(demand)
    unscored = [r for r in rows if r.bid.status is BidStatus.SUBMITTED and r.total_score is None]
    if unscored:
        raise DomainError(f"Ohodnoťte nebo vyřaďte všechny nabídky (chybí {len(unscored)}).")
    ranked = [r for r in rows if r.rank is not None]
    if not ranked:
        raise DomainError("Žádná nabídka není přijatelná; ukončete minitendr jako neúspěšný.")
    winner = ranked[0].bid
    framework = frameworks.lock(demand.published_framework.id)
    remaining = frameworks.remaining(framework)
    if winner.opened_total > remaining:
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
    winner.mark_awarded()
    for row in ranked[1:]:
        row.bid.mark_not_awarded()
    demand.mark_awarded(decided_by)
    db.session.flush()
    summary.subcontract_signed(subcontract)
    summary.demand_decided(demand)
    network_summary.demand_decided(demand, subcontract.value)
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
    ensure_evaluation(demand)
    rows = ranking(demand)
    if any(r.bid.status is BidStatus.SUBMITTED for r in rows):
        raise DomainError("Některé nabídky jsou stále ve hře: ohodnoťte je a zadejte, nebo je s odůvodněním vyřaďte.")
    note = (note or "").strip() or ("Nebyla podána žádná nabídka." if not rows else "Žádná nabídka nebyla přijatelná.")
    check_no_birth_numbers({"note": note}, ("note",))
    demand.mark_unsuccessful(decided_by, note)
    summary.demand_decided(demand)
    network_summary.demand_decided(demand)
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
                f"Vaše nabídka: cena {points(row.price_score)}, kvalita {points(row.quality_points)}, celkem "
                f"{points(row.total_score)}, pořadí {row.rank}."
            )
        notify(provider_users([bid.provider_id]), f"Výsledek minitendru {demand.number}", f"{own} {result}", page)


def reissue(demand: Demand, created_by: User) -> Demand:
    """An unsuccessful (or cancelled) demand again, as a new draft with the same content; dates that
    have passed move forward by the same span."""
    if not demand.can_be_reissued:
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
