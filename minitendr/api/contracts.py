"""API: sub-contracts with their drawdowns and amendments — the provider reports a month's drawdown,
the ORP's OSPOD confirms or rejects it and agrees amendments."""

from __future__ import annotations

import logging

from flask import abort
from flask_smorest import Blueprint

from minitendr.api import present, schemas
from minitendr.api.core import idempotent, listing, perform, user
from minitendr.api.history import history_of
from minitendr.contracts import queries, service
from minitendr.contracts.models import Amendment, Drawdown, SubContract
from minitendr.db import db
from minitendr.documents import service as document_service
from minitendr.documents import views as documents
from minitendr.pagination import Sort, paginate
from minitendr.permissions import (
    can_manage_subcontract,
    can_publish_in_registry,
    can_read_subcontract,
    can_report_drawdowns,
    ensure,
)

log = logging.getLogger(__name__)
blp = Blueprint("api_contracts", __name__, url_prefix="/api/v1/subcontracts", description="Dílčí smlouvy a čerpání")
BY_PERIOD = Sort((Drawdown.period.expression, Drawdown.id.expression))


def _load(subcontract_id: int, rule=can_read_subcontract) -> SubContract:
    subcontract = db.get_or_404(SubContract, subcontract_id)
    ensure(rule(user(), subcontract))
    return subcontract


def _drawdown(subcontract: SubContract, drawdown_id: int) -> Drawdown:
    drawdown = db.get_or_404(Drawdown, drawdown_id)
    if drawdown.subcontract_id != subcontract.id:
        abort(404)
    return drawdown


@blp.get("/")
@blp.arguments(schemas.SubContractArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.SubContractPage)
def index(**args):
    """Dílčí smlouvy, které smíte vidět, nejnověji podepsané první (filtry kraj, orp, category,
    provider, status, year)."""
    filters = {key: str(args.get(key) or "") for key in queries.FILTERS}
    choices = queries.filter_choices()
    listed = queries.subcontract_list(user(), filters, choices["kraje"], choices["categories"])
    body = listing(listed.page, lambda item: present.subcontract(item, drawn=listed.spent.get(item.id, 0)))
    body["count"] = listed.totals.count
    return body


@blp.get("/<int:subcontract_id>")
@blp.response(200, schemas.SubContract)
def detail(subcontract_id: int):
    """Dílčí smlouva s čerpáním a dodatky."""
    return present.subcontract(_load(subcontract_id), detail=True)


@blp.get("/<int:subcontract_id>/drawdowns")
@blp.arguments(schemas.CursorArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.DrawdownPage)
def drawdowns(subcontract_id: int, **_args):
    """Vykázané čerpání po měsících."""
    subcontract = _load(subcontract_id)
    stmt = db.select(Drawdown).where(Drawdown.subcontract_id == subcontract.id)
    return listing(paginate(stmt, BY_PERIOD, BY_PERIOD.values_of), present.drawdown)


@blp.post("/<int:subcontract_id>/drawdowns")
@blp.arguments(schemas.DrawdownInput)
@blp.response(201, schemas.Drawdown)
@idempotent
def report(data, subcontract_id: int):
    """Poskytovatel vykáže čerpání za měsíc. S hlavičkou Idempotency-Key se opakovaný požadavek
    neuloží dvakrát."""
    subcontract = _load(subcontract_id, can_report_drawdowns)
    return perform(
        lambda: service.report_drawdown(
            subcontract,
            user().provider,
            period=data["period"],
            units=data["units"],
            amount=data["amount"],
            reason=data.get("reason"),
        ),
        present.drawdown,
        201,
    )


@blp.post("/<int:subcontract_id>/drawdowns/<int:drawdown_id>/confirm")
@blp.response(200, schemas.Drawdown)
def confirm(subcontract_id: int, drawdown_id: int):
    """OSPOD potvrdí vykázané čerpání."""
    drawdown = _drawdown(_load(subcontract_id, can_manage_subcontract), drawdown_id)
    return perform(lambda: service.confirm_drawdown(drawdown), lambda _: present.drawdown(drawdown))


@blp.post("/<int:subcontract_id>/drawdowns/<int:drawdown_id>/reject")
@blp.arguments(schemas.ReasonInput)
@blp.response(200, schemas.Drawdown)
def reject(data, subcontract_id: int, drawdown_id: int):
    """OSPOD zamítne vykázané čerpání, s důvodem."""
    drawdown = _drawdown(_load(subcontract_id, can_manage_subcontract), drawdown_id)
    return perform(lambda: service.reject_drawdown(drawdown, data["reason"]), lambda _: present.drawdown(drawdown))


@blp.post("/<int:subcontract_id>/amendments")
@blp.arguments(schemas.AmendmentInput)
@blp.response(201, schemas.Amendment)
def amend(data, subcontract_id: int):
    """OSPOD uzavře dodatek (hodnota, rozsah, konec) se souhlasem poskytovatele."""
    subcontract = _load(subcontract_id, can_manage_subcontract)
    answer = perform(lambda: service.amend(subcontract, **data), present.amendment, 201)
    # As the page does: the amendment's document issued after the commit.
    documents.issue_after(lambda: document_service.issue_subcontract_documents(subcontract), warn=log.warning)
    return answer


@blp.post("/<int:subcontract_id>/complete")
@blp.response(200, schemas.SubContract)
def complete(subcontract_id: int):
    """OSPOD uzavře dílčí smlouvu jako dokončenou (žádné čerpání nesmí čekat na rozhodnutí)."""
    subcontract = _load(subcontract_id, can_manage_subcontract)
    return perform(lambda: service.complete(subcontract), lambda _: present.subcontract(subcontract, detail=True))


@blp.post("/<int:subcontract_id>/terminate")
@blp.arguments(schemas.ReasonInput)
@blp.response(200, schemas.SubContract)
def terminate(data, subcontract_id: int):
    """OSPOD dílčí smlouvu předčasně ukončí, s důvodem; poskytovatel dostane zprávu."""
    subcontract = _load(subcontract_id, can_manage_subcontract)
    return perform(
        lambda: service.terminate(subcontract, data["reason"]), lambda _: present.subcontract(subcontract, detail=True)
    )


@blp.post("/<int:subcontract_id>/registry")
@blp.arguments(schemas.RegistryInput)
@blp.response(200, schemas.SubContract)
def registry(data, subcontract_id: int):
    """Zaznamená zveřejnění v registru smluv (ID záznamu, případně ID verze, a datum): kraj smlouvy
    nebo OSPOD její ORP, jen u smlouvy nad 50 000 Kč bez DPH a jen jednou."""
    subcontract = _load(subcontract_id, can_publish_in_registry)
    return perform(
        lambda: service.record_registry(
            subcontract, data["registry_id"], data["published_on"], data.get("registry_version")
        ),
        lambda _: present.subcontract(subcontract, detail=True),
    )


@blp.post("/<int:subcontract_id>/amendments/<int:amendment_id>/registry")
@blp.arguments(schemas.RegistryInput)
@blp.response(200, schemas.Amendment)
def amendment_registry(data, subcontract_id: int, amendment_id: int):
    """Zaznamená zveřejnění dodatku v registru smluv (jeho vlastní záznam navázaný na záznam smlouvy):
    jako u smlouvy kraj nebo OSPOD její ORP, jen u dodatku smlouvy nad 50 000 Kč bez DPH a jen jednou."""
    subcontract = _load(subcontract_id, can_publish_in_registry)
    amendment = db.get_or_404(Amendment, amendment_id)
    if amendment.subcontract_id != subcontract.id:
        abort(404)
    return perform(
        lambda: service.record_amendment_registry(
            amendment, data["registry_id"], data["published_on"], data.get("registry_version")
        ),
        lambda _: present.amendment(amendment),
    )


@blp.get("/<int:subcontract_id>/audit")
@blp.arguments(schemas.HistoryArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.AuditPage)
def audit(subcontract_id: int, **_args):
    """Auditní stopa dílčí smlouvy."""
    return history_of(_load(subcontract_id))
