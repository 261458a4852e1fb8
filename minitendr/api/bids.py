"""API: bids — a provider submits (or replaces) its sealed bid with PDF attachments and withdraws it;
after the deadline those who may read a minitender read its bids, and its OSPOD (or committee) scores
and excludes them. Sealed: before the deadline nobody but the bidder learns a bid exists."""

from __future__ import annotations

from flask import abort
from flask_smorest import Blueprint

from minitendr.api import present, schemas
from minitendr.api.core import idempotent, listing, perform, user
from minitendr.api.demands import load as load_demand
from minitendr.bids import service
from minitendr.bids.models import Bid
from minitendr.bids.views import send_attachment
from minitendr.db import db
from minitendr.demands.models import Demand
from minitendr.pagination import Sort, paginate
from minitendr.permissions import bid_scope, can_assess_bids, can_bid_on_demand, can_read_bid, ensure

blp = Blueprint("api_bids", __name__, url_prefix="/api/v1", description="Nabídky")
OLDEST_FIRST = Sort((Bid.id.expression,))


def _bid(bid_id: int) -> Bid:
    """404 when missing and when not yours to read: a 403 would tell that the bid exists."""
    bid = db.get_or_404(Bid, bid_id)
    if not can_read_bid(user(), bid):
        abort(404)
    return bid


@blp.get("/demands/<int:demand_id>/bids")
@blp.arguments(schemas.CursorArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.BidPage)
def index(demand_id: int, **_args):
    """Nabídky minitendru, které smíte číst: poskytovatel své, ostatní až po lhůtě."""
    demand = load_demand(demand_id)
    stmt = db.select(Bid).where(Bid.demand_id == demand.id, bid_scope(user()))
    page = paginate(stmt, OLDEST_FIRST, lambda bid: (bid.id,))
    return listing(page, lambda bid: present.bid(user(), bid))


@blp.post("/demands/<int:demand_id>/bids")
@blp.arguments(schemas.BidInput, location="form")
@blp.arguments(schemas.BidFiles, location="files")
@blp.response(201, schemas.Bid)
@idempotent
def submit(data, files, demand_id: int):
    """Podá nabídku (multipart/form-data, přílohy PDF), případně nahradí svou dosavadní.
    S hlavičkou Idempotency-Key se opakovaný požadavek neuloží dvakrát."""
    demand = db.get_or_404(Demand, demand_id)
    ensure(can_bid_on_demand(user(), demand))
    uploads = [
        service.Upload(f.filename or "příloha", f.read()) for f in files.get("attachments") or [] if f and f.filename
    ]
    return perform(
        lambda: service.submit_bid(demand, user().provider, **data, attachments=uploads),
        lambda bid: present.bid(user(), bid),
        201,
    )


@blp.get("/bids/<int:bid_id>")
@blp.response(200, schemas.Bid)
def detail(bid_id: int):
    """Nabídka; její obsah jen uchazeči, ostatním až po otevření obálek."""
    return present.bid(user(), _bid(bid_id))


@blp.get("/bids/<int:bid_id>/attachments/<int:attachment_id>")
@blp.response(200, schemas.PDF, content_type="application/pdf", description="Příloha nabídky (PDF)")
def attachment(bid_id: int, attachment_id: int):
    """Příloha nabídky (PDF): uchazeči jeho vlastní kdykoli, ostatním, kdo nabídku smějí číst, až po
    otevření obálek (do té doby 403; nabídku, kterou číst nesmíte, 404)."""
    return send_attachment(_bid(bid_id), attachment_id, user())


@blp.post("/bids/<int:bid_id>/withdraw")
@blp.response(200, schemas.Bid)
def withdraw(bid_id: int):
    """Uchazeč stáhne svou nabídku před koncem lhůty."""
    bid = _bid(bid_id)
    ensure(bid.provider_id == user().provider_id)
    return perform(lambda: service.withdraw_bid(bid), lambda _: present.bid(user(), bid))


def _assessed(bid_id: int) -> Bid:
    bid = db.get_or_404(Bid, bid_id)
    ensure(can_assess_bids(user(), bid.demand))
    return bid


@blp.post("/bids/<int:bid_id>/score")
@blp.arguments(schemas.ScoreInput)
@blp.response(200, schemas.Bid)
def score(data, bid_id: int):
    """Hodnocení kvality 0–100 s odůvodněním (OSPOD minitendru, případně člen komise bez střetu zájmů)."""
    bid = _assessed(bid_id)
    return perform(
        lambda: service.score_bid(bid, data["quality_score"], data["justification"], by=user()),
        lambda _: present.bid(user(), bid),
    )


@blp.post("/bids/<int:bid_id>/exclude")
@blp.arguments(schemas.ReasonInput)
@blp.response(200, schemas.Bid)
def exclude(data, bid_id: int):
    """Vyřadí nabídku z hodnocení, s důvodem."""
    bid = _assessed(bid_id)
    return perform(lambda: service.exclude_bid(bid, data["reason"], by=user()), lambda _: present.bid(user(), bid))
