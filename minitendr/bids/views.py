"""Bid pages: submitting (sealed), reading and withdrawing one's own bids, attachments; OSPOD's score
or exclusion of one bid (on the demand's evaluation page: ``demands.views``)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from minitendr import clock
from minitendr.actions import act
from minitendr.auth.models import Role, User
from minitendr.bids import service
from minitendr.bids.forms import BidForm, ExcludeForm, ScoreForm
from minitendr.bids.models import Bid, BidAttachment
from minitendr.db import DomainError, db
from minitendr.demands.models import Demand
from minitendr.demands.views import RefusedBidForm, evaluation_page
from minitendr.extensions import limiter
from minitendr.permissions import (
    EVERYONE,
    can_assess_bids,
    can_bid_on_demand,
    can_read_bid,
    can_read_offer,
    ensure,
    roles_required,
)
from minitendr.sealing import EnvelopeError

bp = Blueprint("bids", __name__)


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

    def page() -> str:
        return render_template("bids/form.html", form=form, demand=demand, previous=previous)

    if request.method == "GET":
        if previous is None:
            form.units.data, form.proposed_start.data = demand.volume, max(demand.start_date, clock.today())
        return page()
    return act(
        lambda: service.submit_bid(demand, current_user.provider, **_offer_values(form), attachments=_uploads(form)),
        success="Nabídka je podána. Do konce lhůty ji můžete nahradit nebo stáhnout."
        if previous is None
        else "Nabídka je nahrazena novou; původní zůstává v záznamu jako nahrazená.",
        back=url_for("demands.detail", demand_id=demand.id),
        form=form,
        page=page,
    )


OFFER_FIELDS = ("unit_price", "units", "vat_rate", "proposed_start", "team", "approach")


def _offer_values(form: BidForm) -> dict:
    return {name: getattr(form, name).data for name in OFFER_FIELDS}


def _uploads(form: BidForm) -> list[service.Upload]:
    return [service.Upload(f.filename or "příloha", f.read()) for f in form.attachments.data or [] if f and f.filename]


def _offer(bid: Bid):
    """What the bid says, for this reader: the bidder reads its own sealed envelope; everyone else
    reads nothing until the opening (None)."""
    if not can_read_offer(current_user, bid):
        return None
    try:
        return bid.offer
    except EnvelopeError as error:  # a wrong key: say so, never a 500
        flash(error.message, "danger")
        return None


@bp.get("/bids/<int:bid_id>")
@roles_required(*EVERYONE)
def detail(bid_id: int):
    bid = _bid(bid_id)
    return render_template("bids/detail.html", bid=bid, offer=_offer(bid))


@bp.post("/bids/<int:bid_id>/withdraw")
@roles_required(Role.PROVIDER)
def withdraw(bid_id: int):
    bid = _bid(bid_id)
    return act(
        lambda: service.withdraw_bid(bid),
        success="Nabídka je stažena.",
        back=url_for("demands.detail", demand_id=bid.demand_id),
    )


@bp.get("/bids/<int:bid_id>/attachments/<int:attachment_id>")
@roles_required(*EVERYONE)
def attachment(bid_id: int, attachment_id: int):
    return send_attachment(_bid(bid_id), attachment_id, current_user)


def send_attachment(bid: Bid, attachment_id: int, reader: User):
    """One attachment of a bid ``reader`` may read (its caller answered 404 otherwise), for the page and
    the API alike: 404 when it is not this bid's, 403 while the envelope is sealed to ``reader``."""
    item = db.get_or_404(BidAttachment, attachment_id)
    if item.bid_id != bid.id:
        abort(404)
    if not can_read_offer(reader, bid):
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


# --- scoring and excluding one bid, on the demand's evaluation page --------------------------------
def _evaluated_bid(bid_id: int) -> Bid:
    """The demand's OSPOD, and on a committee's minitender a member who declared no conflict: 403
    for anyone else (a member who declared a conflict included)."""
    bid = db.get_or_404(Bid, bid_id)
    ensure(can_assess_bids(current_user, bid.demand))
    return bid


@bp.post("/bids/<int:bid_id>/score")
@roles_required(Role.OSPOD)
def score(bid_id: int):
    bid = _evaluated_bid(bid_id)
    form = ScoreForm()
    return act(
        lambda: service.score_bid(bid, form.quality_score.data, form.justification.data, by=current_user),
        success="Hodnocení je uloženo.",
        back=url_for("demands.evaluation", demand_id=bid.demand_id),
        form=form,
        page=lambda: evaluation_page(bid.demand, refused=RefusedBidForm(bid.id, form)),
    )


@bp.post("/bids/<int:bid_id>/exclude")
@roles_required(Role.OSPOD)
def exclude(bid_id: int):
    bid = _evaluated_bid(bid_id)
    form = ExcludeForm()
    return act(
        lambda: service.exclude_bid(bid, form.reason.data, by=current_user),
        success="Nabídka je vyřazena.",
        back=url_for("demands.evaluation", demand_id=bid.demand_id),
        form=form,
        page=lambda: evaluation_page(bid.demand, refused=RefusedBidForm(bid.id, form)),
    )
