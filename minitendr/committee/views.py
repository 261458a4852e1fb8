"""The evaluation committee's pages: OSPOD names and calls off members (before the envelopes are
opened); a member reads the bidders' names after the deadline and signs the declaration of (no)
conflict of interest. The protocol's committee section reads ``committee_record``."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from minitendr import clock
from minitendr.actions import act
from minitendr.auth.models import Role
from minitendr.committee import service
from minitendr.committee.forms import DeclarationForm, MemberForm
from minitendr.committee.models import DECLARATION, CommitteeMember
from minitendr.db import db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.forms import SelectChoice
from minitendr.permissions import can_manage_committee, can_sit_on_committee, ensure, roles_required

bp = Blueprint("committee", __name__, url_prefix="/demands/<int:demand_id>/committee")


def _demand(demand_id: int, rule) -> Demand:
    """404 when missing; 403 when not the caller's (another ORP's demand, not on its committee)."""
    demand = db.get_or_404(Demand, demand_id)
    ensure(rule(current_user, demand))
    return demand


def _page(demand: Demand) -> str:
    return url_for("committee.index", demand_id=demand.id)


def committee_page(demand: Demand, form: MemberForm | None = None) -> str:
    form = form or MemberForm(formdata=None)
    form.user_id.choices = [SelectChoice(u.id, f"{u.name} ({u.email})") for u in service.candidates(demand)]
    return render_template(
        "committee/index.html",
        demand=demand,
        members=service.members(demand),
        opened=service.is_opened(demand),
        form=form,
        own=service.member_of(demand, current_user),
    )


@bp.get("/")
@roles_required(Role.OSPOD)
def index(demand_id: int):
    return committee_page(_demand(demand_id, can_manage_committee))


@bp.post("/members")
@roles_required(Role.OSPOD)
def name(demand_id: int):
    demand = _demand(demand_id, can_manage_committee)
    form = MemberForm()
    form.user_id.choices = [SelectChoice(u.id, u.name) for u in service.candidates(demand)]
    return act(
        lambda: service.name_member(demand, form.user_id.data, current_user),
        success=lambda member: f"{member.user.name} je jmenován(a) do hodnoticí komise.",
        back=_page(demand),
        form=form,
        page=lambda: committee_page(demand, form),
    )


@bp.post("/members/<int:member_id>/remove")
@roles_required(Role.OSPOD)
def remove(demand_id: int, member_id: int):
    demand = _demand(demand_id, can_manage_committee)
    member = db.get_or_404(CommitteeMember, member_id)
    if member.demand_id != demand.id:
        abort(404)
    return act(
        lambda: service.remove_member(member, current_user),
        success=f"{member.user.name} je z hodnoticí komise odvolán(a).",
        back=_page(demand),
    )


def declaration_page(demand: Demand, form: DeclarationForm | None = None) -> str:
    """The member's declaration: the bidders' names (after the deadline only; never a price) and the
    choice. Before the deadline the page says when it can be signed."""
    member = service.member_of(demand, current_user)
    past_deadline = demand.deadline is not None and demand.deadline <= clock.now()
    bidders = service.bidders(demand) if past_deadline and demand.status is not DemandStatus.CANCELLED else None
    return render_template(
        "committee/declaration.html",
        demand=demand,
        member=member,
        bidders=bidders,
        opened=service.is_opened(demand),
        form=form or DeclarationForm(formdata=None),
        declaration_text=DECLARATION,
    )


@bp.route("/declaration", methods=["GET", "POST"])
@roles_required(Role.OSPOD)
def declaration(demand_id: int):
    demand = _demand(demand_id, can_sit_on_committee)
    if request.method == "GET":
        return declaration_page(demand)
    form = DeclarationForm()
    return act(
        lambda: service.declare(demand, current_user, form.declares_conflict, form.note.data),
        success=lambda member: (
            "Prohlášení je podepsáno; po otevření obálek můžete hodnotit nabídky."
            if member.may_assess
            else ("Střet zájmů je zaznamenán; z hodnoticí komise jste vyřazen(a) a nabídky hodnotit nebudete.", "info")
        ),
        back=url_for("committee.declaration", demand_id=demand.id),
        then=url_for("demands.detail", demand_id=demand.id),
        form=form,
        page=lambda: declaration_page(demand, form),
    )


@bp.app_template_global("committee_record")
def committee_record(demand: Demand) -> service.CommitteeRecord:
    """The committee as the evaluation protocol prints it (any template that shows a protocol)."""
    return service.record_of(demand)
