"""Bid pages: submitting (sealed), reading one's own bids, attachments; evaluation, award and the
evaluation protocol for OSPOD."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from minitendr import clock
from minitendr.actions import form_problem, run_action
from minitendr.auth.models import Role
from minitendr.bids import service
from minitendr.bids.forms import BidForm, ExcludeForm, NoteForm, ScoreForm
from minitendr.bids.models import Bid, BidAttachment, EnvelopeOpening
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.extensions import limiter
from minitendr.permissions import (
    can_act_for_provider,
    can_bid_on_demand,
    can_manage_demand,
    can_read_bid,
    can_read_demand,
    ensure,
    roles_required,
)
from minitendr.sealing import EnvelopeError

bp = Blueprint("bids", __name__)

OFFICIALS = (Role.ADMIN, Role.MINISTRY, Role.KRAJ, Role.OSPOD)


def _demand(demand_id: int, manage: bool = False) -> Demand:
    demand = db.get_or_404(Demand, demand_id)
    ensure(can_manage_demand(current_user, demand) if manage else can_read_demand(current_user, demand))
    return demand


def _bid(bid_id: int) -> Bid:
    """404 when missing and when not yours to read: a 403 would tell that a bid exists, and who bid is
    as secret as the price until the deadline."""
    bid = db.get_or_404(Bid, bid_id)
    if not can_read_bid(current_user, bid):
        abort(404)
    return bid


def _bidder_key() -> str:
    """Bids are counted per account (several providers may share one office's address)."""
    user_id = getattr(current_user, "id", None)
    return f"bid-account:{user_id}" if user_id else f"bid-address:{get_remote_address()}"


@bp.route("/demands/<int:demand_id>/bid", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["BID_LIMIT"], key_func=_bidder_key, methods=["POST"])
@roles_required(Role.PROVIDER)
def submit(demand_id: int):
    demand = db.get_or_404(Demand, demand_id)
    ensure(can_bid_on_demand(current_user, demand))
    if not demand.is_open:
        flash(service.DEADLINE_PASSED, "warning")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    previous = service.live_bid(demand, current_user.provider_id)
    form = BidForm(obj=_offer(previous) if previous else None)
    if previous is None and not form.is_submitted():
        form.units.data = demand.volume
        form.proposed_start.data = max(demand.start_date, clock.today())
    if form.validate_on_submit():
        uploads = [
            service.Upload(f.filename or "příloha", f.read()) for f in form.attachments.data or [] if f and f.filename
        ]
        try:
            service.submit_bid(
                demand,
                current_user.provider,
                unit_price=form.unit_price.data,
                units=form.units.data,
                vat_rate=form.vat_rate.data,
                proposed_start=form.proposed_start.data,
                team=form.team.data,
                approach=form.approach.data,
                attachments=uploads,
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash(
                "Nabídka je podána. Do konce lhůty ji můžete nahradit nebo stáhnout."
                if previous is None
                else "Nabídka je nahrazena novou; původní zůstává v záznamu jako nahrazená.",
                "success",
            )
            return redirect(url_for("demands.detail", demand_id=demand.id))
    return render_template("bids/form.html", form=form, demand=demand, previous=previous)


def _offer(bid: Bid):
    """What the bid says, for this reader: the bidder reads its own sealed envelope; everyone else
    reads nothing until the opening (None)."""
    if bid.is_sealed and not can_act_for_provider(current_user, bid.provider_id):
        return None
    try:
        return bid.offer
    except EnvelopeError as error:  # a wrong key: say so, never a 500
        flash(error.message, "danger")
        return None


@bp.get("/bids/<int:bid_id>")
@roles_required(*Role)
def detail(bid_id: int):
    bid = _bid(bid_id)
    return render_template("bids/detail.html", bid=bid, offer=_offer(bid))


@bp.post("/bids/<int:bid_id>/withdraw")
@roles_required(Role.PROVIDER)
def withdraw(bid_id: int):
    bid = _bid(bid_id)
    return run_action(
        lambda: service.withdraw_bid(bid), "Nabídka je stažena.", url_for("demands.detail", demand_id=bid.demand_id)
    )


@bp.get("/bids/<int:bid_id>/attachments/<int:attachment_id>")
@roles_required(*Role)
def attachment(bid_id: int, attachment_id: int):
    bid = _bid(bid_id)
    item = db.get_or_404(BidAttachment, attachment_id)
    if item.bid_id != bid.id:
        abort(404)
    if _offer(bid) is None:
        abort(403)  # sealed: the envelope has not been opened
    try:
        content = service.attachment_content(item)
    except DomainError as error:
        current_app.logger.error("attachment %s of bid %s: %s", item.id, bid.id, error.message)
        abort(404)
    # Names stored before they were cleaned may hold anything; send_file writes RFC 6266 filename*.
    name = service.safe_filename(item.filename)
    name = name if name.lower().endswith(".pdf") else f"{name}.pdf"
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name)


# --- evaluation (OSPOD of the demand's ORP, after the deadline) ---------------------------------
@bp.get("/demands/<int:demand_id>/evaluation")
@roles_required(Role.OSPOD)
def evaluation(demand_id: int):
    demand = _demand(demand_id, manage=True)
    if demand.deadline is None or demand.is_open or demand.status is DemandStatus.CANCELLED:
        if demand.is_open:
            message = "Nabídky jsou zapečetěné do konce lhůty; hodnotit je lze až potom."
        elif demand.status is DemandStatus.CANCELLED:
            message = "Minitendr byl zrušen; jeho nabídky se neotevírají ani nehodnotí."
        else:
            message = "Tato poptávka nebyla zveřejněna, nemá tedy žádné nabídky k hodnocení."
        flash(message, "warning")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    opening = service.opening_of(demand)
    if opening is None:
        return render_template("bids/unopened.html", demand=demand, received=service.received_bids(demand))
    return render_template(
        "bids/evaluation.html",
        demand=demand,
        opening=opening,
        rows=service.ranking(demand),
        score_form=ScoreForm(formdata=None),
        exclude_form=ExcludeForm(formdata=None),
        note_form=NoteForm(formdata=None),
        status=DemandStatus,
    )


@bp.post("/demands/<int:demand_id>/open")
@roles_required(Role.OSPOD)
def open_envelopes(demand_id: int):
    demand = _demand(demand_id, manage=True)
    return run_action(
        lambda: service.open_envelopes(demand, current_user),
        "Obálky jsou otevřeny; nabídky lze hodnotit. Záznam o otevírání obálek je připraven k tisku.",
        url_for("bids.evaluation", demand_id=demand.id),
    )


def _opened_or_none(demand: Demand) -> EnvelopeOpening | None:
    """The opening of the envelopes, for the records that need it: 404 while the bids are sealed by the
    deadline (there is nothing to record), a message when only the opening is missing."""
    if demand.deadline is None or demand.deadline > clock.now():
        abort(404)
    opened = service.opening_of(demand)
    if opened is None:
        flash("Obálky s nabídkami dosud nebyly otevřeny; záznamy vzniknou po jejich otevření.", "info")
    return opened


@bp.get("/demands/<int:demand_id>/opening")
@roles_required(*OFFICIALS)
def opening(demand_id: int):
    """The opening record (protokol o otevírání obálek): every bid received, with its time of receipt."""
    demand = _demand(demand_id)
    record = _opened_or_none(demand)
    if record is None:
        return redirect(url_for("demands.detail", demand_id=demand.id))
    return render_template(
        "bids/opening.html", demand=demand, opening=record, bids=service.received_bids(demand), printed_at=clock.now()
    )


def _evaluated_bid(bid_id: int) -> Bid:
    bid = db.get_or_404(Bid, bid_id)
    ensure(can_manage_demand(current_user, bid.demand))
    return bid


@bp.post("/bids/<int:bid_id>/score")
@roles_required(Role.OSPOD)
def score(bid_id: int):
    bid = _evaluated_bid(bid_id)
    form = ScoreForm()
    back = url_for("bids.evaluation", demand_id=bid.demand_id)
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(back)
    return run_action(
        lambda: service.score_bid(bid, form.quality_score.data, form.justification.data), "Hodnocení je uloženo.", back
    )


@bp.post("/bids/<int:bid_id>/exclude")
@roles_required(Role.OSPOD)
def exclude(bid_id: int):
    bid = _evaluated_bid(bid_id)
    form = ExcludeForm()
    back = url_for("bids.evaluation", demand_id=bid.demand_id)
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(back)
    return run_action(lambda: service.exclude_bid(bid, form.reason.data), "Nabídka je vyřazena.", back)


@bp.post("/demands/<int:demand_id>/award")
@roles_required(Role.OSPOD)
def award(demand_id: int):
    demand = _demand(demand_id, manage=True)
    return run_action(
        lambda: service.award(demand, current_user),
        "Minitendr je zadán; dílčí smlouva je založena.",
        url_for("demands.detail", demand_id=demand.id),
    )


@bp.post("/demands/<int:demand_id>/unsuccessful")
@roles_required(Role.OSPOD)
def unsuccessful(demand_id: int):
    demand = _demand(demand_id, manage=True)
    form = NoteForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(url_for("bids.evaluation", demand_id=demand.id))
    return run_action(
        lambda: service.close_unsuccessful(demand, current_user, form.note.data or ""),
        "Minitendr je ukončen jako neúspěšný.",
        url_for("demands.detail", demand_id=demand.id),
    )


@bp.post("/demands/<int:demand_id>/reissue")
@roles_required(Role.OSPOD)
def reissue(demand_id: int):
    demand = _demand(demand_id, manage=True)
    try:
        copy = service.reissue(demand, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    db.session.commit()
    flash(f"Poptávka je znovu připravena jako koncept {copy.number}; zkontrolujte termíny a zveřejněte ji.", "success")
    return redirect(url_for("demands.edit", demand_id=copy.id))


@bp.get("/demands/<int:demand_id>/protocol")
@roles_required(*OFFICIALS)
def protocol(demand_id: int):
    """The evaluation protocol: printable record of the bids, scores and the decision."""
    demand = _demand(demand_id)
    opened = _opened_or_none(demand)
    if opened is None:
        return redirect(url_for("demands.detail", demand_id=demand.id))
    subcontract = db.session.scalar(sa.select(SubContract).where(SubContract.demand_id == demand.id))
    return render_template(
        "bids/protocol.html",
        demand=demand,
        rows=service.ranking(demand),
        subcontract=subcontract,
        opening=opened,
        printed_at=clock.now(),
    )
