"""API: demands (minitenders) — the list and detail, OSPOD's filing, publishing, cancelling and
answers, a provider's questions, and after the deadline the opening, the decision and the trail."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_smorest import Blueprint

from minitendr.api import present, schemas
from minitendr.api.core import ensure_unchanged, listing, perform, user
from minitendr.api.history import history_of
from minitendr.api.problems import Problem
from minitendr.db import db
from minitendr.demands import evaluation, queries, service
from minitendr.demands.models import Clarification, Demand
from minitendr.documents import service as document_service
from minitendr.documents import views as documents
from minitendr.permissions import (
    can_file_demands,
    can_manage_demand,
    can_read_demand,
    ensure,
)
from minitendr.registry.models import ServiceType

log = logging.getLogger(__name__)
blp = Blueprint("api_demands", __name__, url_prefix="/api/v1/demands", description="Poptávky (minitendry)")


def load(demand_id: int, manage: bool = False) -> Demand:
    """404 when missing; 403 when not yours (another ORP's demand, a provider not invited)."""
    demand = db.get_or_404(Demand, demand_id)
    ensure(can_manage_demand(user(), demand) if manage else can_read_demand(user(), demand))
    return demand


def _detail(demand: Demand) -> dict[str, Any]:
    return present.demand(user(), demand, detail=True)


def _values(data: dict[str, Any]) -> dict[str, Any]:
    """The form's values for ``demands.service`` from the request's document."""
    code = data.pop("service_type")
    service_type = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == code))
    if service_type is None:
        raise Problem(422, "Neznámý typ služby.", field="service_type")
    return {"category": service_type.category, "service_type": service_type, **data}


@blp.get("/")
@blp.arguments(schemas.DemandArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.DemandPage)
def index(**args):
    """Poptávky, které smíte vidět, nejnovější první (filtry status, orp, kraj)."""
    filters = {key: str(args.get(key) or "") for key in queries.FILTERS}
    listed = queries.demand_list(user(), filters)
    body = listing(listed.page, lambda item: present.demand(user(), item))
    if listed.open_now:  # a provider's open minitenders head its first page
        body["items"] = [present.demand(user(), item) for item in listed.open_now] + body["items"]
    body.pop("count", None)
    return body


@blp.post("/")
@blp.arguments(schemas.DemandInput)
@blp.response(201, schemas.Demand)
def create(data):
    """OSPOD založí koncept poptávky své ORP."""
    ensure(can_file_demands(user()))
    values = _values(data)
    return perform(lambda: service.create_demand(orp=user().orp, created_by=user(), **values), _detail, 201)


@blp.get("/<int:demand_id>")
@blp.response(200, schemas.Demand)
def detail(demand_id: int):
    """Poptávka; počet nabídek a pozvaní jen tomu, komu je pravidla ukazují."""
    return _detail(load(demand_id))


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "ETag poptávky z jejího posledního načtení: změní se, jen pokud se mezitím nezměnila "
    "(jinak 412). Bez hlavičky se změna provede vždy.",
}
CHANGED = {412: {"description": "Poptávka se od načtení změnila (If-Match neodpovídá)."}}


def _current(demand: Demand) -> dict[str, Any]:
    """A draft's values as the request's document gives them (what a partial change keeps)."""
    return {
        "service_type": demand.service_type.code,
        **{key: getattr(demand, key) for key in service.FIELDS},
        "needs": list(demand.needs),
    }


def _change(demand_id: int, data: dict[str, Any], *, partial: bool = False):
    """A draft changed under its row lock, if it is still as its ETag in If-Match says; a partial
    change keeps the values read under the lock."""
    demand = service.lock(load(demand_id, manage=True))
    ensure_unchanged(schemas.Demand(), _detail(demand))
    values = _values(_current(demand) | data if partial else data)
    return perform(lambda: service.update_demand(demand, **values), lambda _: _detail(demand))


@blp.put("/<int:demand_id>")
@blp.arguments(schemas.DemandInput)
@blp.response(200, schemas.Demand)
@blp.doc(parameters=[IF_MATCH], responses=CHANGED)
def update(data, demand_id: int):
    """OSPOD přepíše koncept celý (zveřejněnou poptávku nelze upravit). S If-Match jen nezměněný."""
    return _change(demand_id, data)


@blp.patch("/<int:demand_id>")
@blp.arguments(schemas.DemandPatch)
@blp.response(200, schemas.Demand)
@blp.doc(parameters=[IF_MATCH], responses=CHANGED)
def patch(data, demand_id: int):
    """OSPOD změní v konceptu jen poslaná pole (ostatní zůstanou). S If-Match jen nezměněný."""
    return _change(demand_id, data, partial=True)


@blp.post("/<int:demand_id>/publish")
@blp.response(200, schemas.Demand)
def publish(demand_id: int):
    """Zveřejní koncept a pozve aktivní smluvní strany rámcové smlouvy."""
    demand = load(demand_id, manage=True)
    return perform(lambda: service.publish(demand), lambda _: _detail(demand))


@blp.post("/<int:demand_id>/cancel")
@blp.arguments(schemas.ReasonInput)
@blp.response(200, schemas.Demand)
def cancel(data, demand_id: int):
    """Zruší koncept nebo zveřejněnou poptávku před koncem lhůty, s důvodem."""
    demand = load(demand_id, manage=True)
    return perform(lambda: service.cancel(demand, data["reason"]), lambda _: _detail(demand))


@blp.post("/<int:demand_id>/questions")
@blp.arguments(schemas.QuestionInput)
@blp.response(201, schemas.Clarification)
def ask(data, demand_id: int):
    """Pozvaný poskytovatel položí dotaz (kdo se ptal, se nezveřejňuje)."""
    demand = load(demand_id)
    if user().provider is None:
        abort(403)
    return perform(
        lambda: service.ask(demand, user().provider, data["question"]),
        present.clarification,
        201,
    )


@blp.post("/<int:demand_id>/questions/<int:clarification_id>/answer")
@blp.arguments(schemas.AnswerInput)
@blp.response(200, schemas.Demand)
def answer(data, demand_id: int, clarification_id: int):
    """OSPOD odpoví všem pozvaným; může prodloužit lhůtu."""
    demand = load(demand_id, manage=True)
    clarification = db.get_or_404(Clarification, clarification_id)
    if clarification.demand_id != demand.id:
        abort(404)
    return perform(
        lambda: service.answer(clarification, data["answer"], data.get("new_deadline")), lambda _: _detail(demand)
    )


# --- after the deadline: the demand's OSPOD (and its committee) ----------------------------------
@blp.post("/<int:demand_id>/open")
@blp.response(200, schemas.Demand)
def open_envelopes(demand_id: int):
    """Otevře obálky (po lhůtě, s úplnou komisí, pokud je ustavena)."""
    demand = load(demand_id, manage=True)
    return perform(lambda: evaluation.open_envelopes(demand, user()), lambda _: _detail(demand))


@blp.post("/<int:demand_id>/award")
@blp.response(200, schemas.Demand)
def award(demand_id: int):
    """Zadá minitendr nejlépe hodnocené nabídce; vznikne dílčí smlouva."""
    demand = load(demand_id, manage=True)
    answer = perform(lambda: evaluation.award(demand, user()), lambda _: _detail(demand))
    issue_decision_documents(demand)
    return answer


@blp.post("/<int:demand_id>/unsuccessful")
@blp.arguments(schemas.NoteInput)
@blp.response(200, schemas.Demand)
def unsuccessful(data, demand_id: int):
    """Ukončí minitendr jako neúspěšný."""
    demand = load(demand_id, manage=True)
    answer = perform(lambda: evaluation.close_unsuccessful(demand, user(), data["note"]), lambda _: _detail(demand))
    issue_decision_documents(demand)
    return answer


def issue_decision_documents(demand: Demand) -> None:
    """As the pages do: once decided, the records are frozen and the sub-contract's document issued after
    the commit (a failure leaves the decision standing; the document is made on its first download)."""
    if demand.is_decided:
        documents.issue_after(lambda: document_service.issue_decision_documents(demand), warn=log.warning)


@blp.post("/<int:demand_id>/reissue")
@blp.response(201, schemas.Demand)
def reissue(demand_id: int):
    """Znovu vypíše neúspěšnou nebo zrušenou poptávku jako nový koncept se stejným obsahem (minulé
    termíny se posunou); odpověď je nový koncept."""
    demand = load(demand_id, manage=True)
    return perform(lambda: evaluation.reissue(demand, user()), _detail, 201)


@blp.get("/<int:demand_id>/audit")
@blp.arguments(schemas.HistoryArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.AuditPage)
def audit(demand_id: int, **_args):
    """Auditní stopa minitendru (jen úředníci)."""
    return history_of(load(demand_id))
