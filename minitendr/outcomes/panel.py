"""What the outcomes add to other features' pages: the sub-contract's outcome and final report (with
their forms), and a provider's outcome rates. Kept apart from the views so that the contracts and
providers views can use it without importing this feature's blueprint."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from minitendr.contracts.models import SubContract
from minitendr.demands.models import NEEDS
from minitendr.outcomes import service
from minitendr.outcomes.forms import FinalReportForm, OutcomeForm
from minitendr.permissions import (
    can_act_for_provider,
    can_read_provider_outcomes,
    can_record_outcome,
    can_submit_final_report,
    provider_outcomes_kraj,
)
from minitendr.providers.models import Provider


def outcome_form(subcontract: SubContract, **kwargs: Any) -> OutcomeForm:
    """The outcome form with the follow-ups of the sub-contract's kraj (bound to the request's form
    data unless ``formdata=None``)."""
    return OutcomeForm(**kwargs).offer(service.follow_ups(subcontract.orp.kraj_id))


def subcontract_context(subcontract: SubContract) -> dict[str, Any]:
    """The sub-contract page's outcome section: the outcome, the final report, and blank forms for
    whoever may still give them (a refused form replaces its blank one)."""
    outcome, report = service.outcome_and_report(subcontract)
    ended = not subcontract.is_active
    may_record = ended and outcome is None and can_record_outcome(current_user, subcontract)
    may_report = ended and report is None and can_submit_final_report(current_user, subcontract)
    return {
        "outcome": outcome,
        "final_report": report,
        "outcome_form": outcome_form(subcontract, formdata=None) if may_record else None,
        "report_form": FinalReportForm(formdata=None) if may_report else None,
    }


def provider_context(provider: Provider) -> dict[str, Any]:
    """A provider page's outcome rates, for those who may read them (else nothing)."""
    if not can_read_provider_outcomes(current_user, provider):
        return {"provider_outcomes": None}
    kraj_id = provider_outcomes_kraj(current_user)
    # Officials compare the provider with the kraj (or the country); a provider sees its own figures only.
    officials = not can_act_for_provider(current_user, provider.id)
    return {
        "provider_outcomes": service.provider_outcomes(provider, kraj_id, compare=officials),
        "outcomes_kraj": current_user.kraj if kraj_id is not None else None,
        "needs": NEEDS,
    }
