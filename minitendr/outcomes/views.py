"""Outcome pages: OSPOD's outcome and the provider's final report (written on the sub-contract's page),
a kraj's outcome rates, and the kraj's list of follow-ups."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from minitendr.actions import act
from minitendr.auth.models import Role
from minitendr.contracts.models import SubContract
from minitendr.contracts.views import _page as subcontract_page
from minitendr.db import db
from minitendr.demands.models import FIRST_YEAR, LAST_YEAR, NEEDS
from minitendr.forms import required
from minitendr.outcomes import service
from minitendr.outcomes.forms import FinalReportForm, FollowUpForm
from minitendr.outcomes.models import FollowUp
from minitendr.outcomes.panel import outcome_form
from minitendr.permissions import (
    OFFICIALS,
    can_compare_providers,
    can_manage_follow_ups,
    can_read_follow_ups,
    can_read_outcome_rates,
    can_record_outcome,
    can_submit_final_report,
    ensure,
    roles_required,
)
from minitendr.registry.models import Kraj

bp = Blueprint("outcomes", __name__)


def _subcontract(subcontract_id: int, rule) -> SubContract:
    subcontract = db.get_or_404(SubContract, subcontract_id)
    ensure(rule(current_user, subcontract))
    return subcontract


def _back(subcontract: SubContract) -> str:
    return url_for("contracts.detail", subcontract_id=subcontract.id, _anchor="outcome")


@bp.post("/subcontracts/<int:subcontract_id>/outcome")
@roles_required(Role.OSPOD)
def record(subcontract_id: int):
    subcontract = _subcontract(subcontract_id, can_record_outcome)
    form = outcome_form(subcontract)
    return act(
        lambda: service.record_outcome(
            subcontract,
            result=form.result.data,
            follow_up_id=form.follow_up.data,
            note=form.note.data,
            user=current_user,
        ),
        success="Výsledek dílčí smlouvy je zaznamenán.",
        back=_back(subcontract),
        form=form,
        page=lambda: subcontract_page(subcontract, outcome_form=form),
    )


@bp.post("/subcontracts/<int:subcontract_id>/final-report")
@roles_required(Role.PROVIDER)
def final_report(subcontract_id: int):
    subcontract = _subcontract(subcontract_id, can_submit_final_report)
    form = FinalReportForm()
    return act(
        lambda: service.submit_final_report(
            subcontract, current_user.provider, required(form.text.data), user=current_user
        ),
        success="Závěrečná zpráva je podána.",
        back=_back(subcontract),
        form=form,
        page=lambda: subcontract_page(subcontract, report_form=form),
    )


# --- a kraj's outcome rates ----------------------------------------------------------------------
@bp.get("/outcomes/kraje/<kraj_code>")
@roles_required(Role.MINISTRY, Role.KRAJ, Role.OSPOD)
def kraj(kraj_code: str):
    kraj = _kraj(kraj_code)
    ensure(can_read_outcome_rates(current_user, kraj))
    year = request.args.get("year", type=int)
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        abort(400, description=f"Rok musí být mezi {FIRST_YEAR} a {LAST_YEAR}.")
    cells = service.combine(service.rates(kraj=kraj, year=year), "orp_name", "orp_code", "need")
    providers = service.provider_rates(kraj, year=year) if can_compare_providers(current_user, kraj) else None
    return render_template("outcomes/kraj.html", kraj=kraj, year=year, cells=cells, providers=providers, needs=NEEDS)


# --- the kraj's list of follow-ups ---------------------------------------------------------------
def _kraj(code: str) -> Kraj:
    kraj = db.session.scalar(sa.select(Kraj).where(Kraj.code == code))
    if kraj is None:
        abort(404)
    return kraj


def _follow_up(kraj: Kraj, follow_up_id: int) -> FollowUp:
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    if follow_up.kraj_id != kraj.id:
        abort(404)
    return follow_up


def _list_page(kraj: Kraj, form: FollowUpForm | None = None) -> str:
    return render_template(
        "outcomes/follow_ups.html",
        kraj=kraj,
        follow_ups=service.follow_ups(kraj.id, active_only=False),
        form=form or FollowUpForm(formdata=None),
    )


def _list(kraj: Kraj) -> str:
    return url_for("outcomes.follow_ups", kraj_code=kraj.code)


@bp.get("/outcomes/follow-ups/<kraj_code>")
@roles_required(*OFFICIALS)
def follow_ups(kraj_code: str):
    kraj = _kraj(kraj_code)
    ensure(can_read_follow_ups(current_user, kraj))
    return _list_page(kraj)


@bp.post("/outcomes/follow-ups/<kraj_code>")
@roles_required(Role.KRAJ)
def add_follow_up(kraj_code: str):
    kraj = _kraj(kraj_code)
    ensure(can_manage_follow_ups(current_user, kraj))
    form = FollowUpForm()
    return act(
        lambda: service.add_follow_up(kraj, form.label.data),
        success=lambda follow_up: f"Položka „{follow_up.label}“ je v seznamu.",
        back=_list(kraj),
        form=form,
        page=lambda: _list_page(kraj, form),
    )


@bp.post("/outcomes/follow-ups/<kraj_code>/<int:follow_up_id>/retire")
@roles_required(Role.KRAJ)
def retire_follow_up(kraj_code: str, follow_up_id: int):
    kraj = _kraj(kraj_code)
    ensure(can_manage_follow_ups(current_user, kraj))
    follow_up = _follow_up(kraj, follow_up_id)
    return act(
        lambda: service.retire_follow_up(follow_up),
        success=f"Položka „{follow_up.label}“ se už nenabízí.",
        back=_list(kraj),
    )


@bp.post("/outcomes/follow-ups/<kraj_code>/<int:follow_up_id>/reinstate")
@roles_required(Role.KRAJ)
def reinstate_follow_up(kraj_code: str, follow_up_id: int):
    kraj = _kraj(kraj_code)
    ensure(can_manage_follow_ups(current_user, kraj))
    follow_up = _follow_up(kraj, follow_up_id)
    return act(
        lambda: service.reinstate_follow_up(follow_up),
        success=f"Položka „{follow_up.label}“ se opět nabízí.",
        back=_list(kraj),
    )
