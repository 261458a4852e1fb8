"""Objects as the API gives them, for the user asking: what the rules let them see and nothing
else. A sealed offer, the bid count and who was invited are left out (absent), never null."""

from __future__ import annotations

from typing import Any

from minitendr import permissions as rules
from minitendr.api.core import day, moment, money
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import User
from minitendr.bids import service as bid_service
from minitendr.bids.models import Bid
from minitendr.contracts import service as contract_service
from minitendr.contracts.models import Amendment, Drawdown, SubContract
from minitendr.demands import evaluation, queries
from minitendr.demands.models import Clarification, Demand
from minitendr.frameworks.models import FrameworkContract


def _ref(thing: Any) -> dict[str, str]:
    return {"code": str(thing.code), "name": thing.name}


def _provider(provider: Any) -> dict[str, str]:
    return {"ico": provider.ico, "name": provider.name}


def framework(user: User, item: FrameworkContract, *, parties: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "number": item.number,
        "title": item.title,
        "kraj": _ref(item.kraj),
        "category": _ref(item.category),
        "status": item.status.value,
        "valid_from": day(item.valid_from),
        "valid_to": day(item.valid_to),
        "price_weight": item.price_weight,
        "quality_weight": item.quality_weight,
        "bid_period_days": item.bid_period_days,
    }
    if rules.can_see_ceilings(user):
        body["ceiling"] = money(item.ceiling)
    if parties:
        body["parties"] = [
            {"provider": _provider(p.provider), "since": day(p.since), "status": p.status.value} for p in item.parties
        ]
    return body


def demand(user: User, item: Demand, *, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "number": item.number,
        "status": item.state.value,
        "orp": _ref(item.orp),
        "category": _ref(item.category),
        "service_type": _ref(item.service_type),
        "framework_id": item.framework_id,
        "needs": list(item.needs),
        "case_reference": item.case_reference,
        "need_description": item.need_description,
        "expected_outcome": item.expected_outcome,
        "place": item.place,
        "volume": money(item.volume),
        "start_date": day(item.start_date),
        "end_date": day(item.end_date),
        "estimated_max_value": money(item.estimated_max_value),
        "deadline": moment(item.deadline),
        "published_at": moment(item.published_at),
        "contact_name": item.contact_name,
        "contact_email": item.contact_email,
        "contact_phone": item.contact_phone,
        "cancel_reason": item.cancel_reason,
        "created_at": moment(item.created_at),
    }
    if not detail:
        return body
    if rules.can_count_bids(user, item):
        body["bid_count"] = bid_service.bid_count(item)
    if rules.can_see_invited_providers(user, item):
        body["invited"] = [_provider(p) for p in queries.invited_providers(item)]
    if user.provider_id is not None:
        body["own_bids"] = [
            {"id": b.id, "status": b.status.value, "submitted_at": moment(b.submitted_at)}
            for b in bid_service.own_bids(item, user.provider_id)
        ]
    body["clarifications"] = [clarification(c) for c in item.clarifications]
    subcontract = evaluation.subcontract_of(item)
    if subcontract is not None:
        body["subcontract_id"] = subcontract.id
    return body


def clarification(item: Clarification) -> dict[str, Any]:
    """A question and its answer, without who asked (nobody is told that)."""
    return {
        "id": item.id,
        "question": item.question,
        "asked_at": moment(item.asked_at),
        "answer": item.answer,
        "answered_at": moment(item.answered_at),
        "deadline_extended_to": moment(item.deadline_extended_to),
    }


def bid(user: User, item: Bid) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "demand_id": item.demand_id,
        "provider": _provider(item.provider),
        "status": item.status.value,
        "submitted_at": moment(item.submitted_at),
        "sealed": item.is_sealed,
    }
    if rules.can_read_offer(user, item):
        offer = item.readable_offer
        if offer is not None:
            body.update(
                unit_price=money(offer.unit_price),
                units=money(offer.units),
                total=money(offer.total),
                vat_rate=offer.vat_rate,
                proposed_start=day(offer.proposed_start),
                team=offer.team,
                approach=offer.approach,
            )
        body["attachments"] = [{"id": a.id, "filename": a.filename, "size": a.size} for a in item.attachments]
        if not item.is_sealed:
            body["quality_score"] = item.quality_score
            body["excluded_reason"] = item.excluded_reason
    return body


def drawdown(item: Drawdown) -> dict[str, Any]:
    return {
        "id": item.id,
        "subcontract_id": item.subcontract_id,
        "period": day(item.period),
        "units": money(item.units),
        "amount": money(item.amount),
        "difference_reason": item.difference_reason,
        "status": item.status.value,
        "rejection_reason": item.rejection_reason,
        "reported_at": moment(item.reported_at),
        "decided_at": moment(item.decided_at),
    }


def amendment(item: Amendment) -> dict[str, Any]:
    return {
        "id": item.id,
        "seq": item.seq,
        "old_value": money(item.old_value),
        "new_value": money(item.new_value),
        "old_units": money(item.old_units),
        "new_units": money(item.new_units),
        "old_end_date": day(item.old_end_date),
        "new_end_date": day(item.new_end_date),
        "reason": item.reason,
        "consent_on": day(item.consent_on),
        "created_at": moment(item.created_at),
        "registry_id": item.registry_id,
        "registry_version": item.registry_version,
        "registry_published_on": day(item.registry_published_on),
    }


def subcontract(item: SubContract, *, detail: bool = False, drawn: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "number": item.number,
        "demand_id": item.demand_id,
        "framework_id": item.framework_id,
        "provider": _provider(item.provider),
        "orp": _ref(item.orp),
        "service_type": _ref(item.service_type),
        "status": item.status.value,
        "units": money(item.units),
        "unit_price": money(item.unit_price),
        "value": money(item.value),
        "vat_rate": item.vat_rate,
        "start_date": day(item.start_date),
        "end_date": day(item.end_date),
        "signed_on": day(item.signed_on),
        "drawn": money(drawn if drawn is not None else contract_service.drawn(item)),
        "registry_id": item.registry_id,
        "registry_version": item.registry_version,
        "registry_published_on": day(item.registry_published_on),
        "termination_reason": item.termination_reason,
    }
    if detail:
        body["drawdowns"] = [drawdown(d) for d in item.drawdowns]
        body["amendments"] = [amendment(a) for a in item.amendments]
    return body


def audit_event(item: AuditEvent) -> dict[str, Any]:
    return {
        "id": item.id,
        "occurred_at": moment(item.occurred_at),
        "actor": item.shown_actor,
        "action": item.action,
        "data": item.data,
    }
