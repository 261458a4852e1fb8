"""Demand pages: lists per role, the demand form, publication, cancellation and clarifications."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from minitendr import clock
from minitendr.actions import form_problem, run_action
from minitendr.audit.service import history
from minitendr.auth.models import Role
from minitendr.bids import service as bid_service
from minitendr.bids.models import Bid
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands import service
from minitendr.demands.forms import AnswerForm, DemandForm, QuestionForm
from minitendr.demands.models import Clarification, Demand, DemandStatus
from minitendr.forms import ReasonForm
from minitendr.permissions import (
    can_bid_on_demand,
    can_count_bids,
    can_manage_demand,
    can_read_demand,
    demand_scope,
    ensure,
    roles_required,
    subcontract_scope,
)
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType

bp = Blueprint("demands", __name__, url_prefix="/demands")


def to_utc(local: dt.datetime | None) -> dt.datetime | None:
    """A time typed in a form is Prague time; the database keeps UTC."""
    return None if local is None else local.replace(tzinfo=clock.PRAGUE).astimezone(dt.UTC)


def to_local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(clock.PRAGUE).replace(tzinfo=None)


@bp.get("/")
@roles_required(*Role)
def index():
    status = request.args.get("status", "")
    orp_code = request.args.get("orp", "")
    kraj_code = request.args.get("kraj", "")
    stmt = sa.select(Demand).join(Demand.orp).join(Orp.kraj).where(demand_scope(current_user))
    if status in {s.value for s in DemandStatus}:
        stmt = stmt.where(Demand.state == status)
    if orp_code:
        stmt = stmt.where(Orp.code == orp_code)
    if kraj_code:
        stmt = stmt.where(Kraj.code == kraj_code)
    if current_user.role is Role.PROVIDER:
        # Open minitenders first, the nearest deadline on top; then the past ones, newest first.
        is_open = Demand.state == DemandStatus.PUBLISHED.value
        stmt = stmt.order_by(
            sa.case((is_open, 0), else_=1), sa.case((is_open, Demand.deadline)), Demand.deadline.desc()
        )
    else:
        stmt = stmt.order_by(Demand.created_at.desc(), Demand.id.desc())
    demands = db.paginate(stmt, per_page=50, error_out=False)
    # Grouped over a subquery: the derived state carries the clock as a parameter, and PostgreSQL
    # would not see the SELECT and GROUP BY copies of it as the same expression.
    states = sa.select(Demand.state.label("state")).where(demand_scope(current_user)).subquery()
    counts = dict(db.session.execute(sa.select(states.c.state, sa.func.count()).group_by(states.c.state)).all())
    return render_template(
        "demands/index.html",
        demands=demands,
        counts=counts,
        filters={"status": status, "orp": orp_code, "kraj": kraj_code},
        statuses=list(DemandStatus),
    )


def _load(demand_id: int, manage: bool = False) -> Demand:
    """404 when missing; 403 when not yours (another ORP's demand, a provider not invited)."""
    demand = db.get_or_404(Demand, demand_id)
    ensure(can_manage_demand(current_user, demand) if manage else can_read_demand(current_user, demand))
    return demand


@bp.get("/<int:demand_id>")
@roles_required(*Role)
def detail(demand_id: int):
    demand = _load(demand_id)
    manage = can_manage_demand(current_user, demand)
    provider_id = current_user.provider_id if current_user.role is Role.PROVIDER else None
    subcontract = db.session.scalar(sa.select(SubContract).where(SubContract.demand_id == demand.id))
    return render_template(
        "demands/detail.html",
        demand=demand,
        bid_count=bid_service.bid_count(demand) if can_count_bids(current_user, demand) else None,
        own_bids=(
            db.session.scalars(
                sa.select(Bid).where(Bid.demand_id == demand.id, Bid.provider_id == provider_id).order_by(Bid.id.desc())
            ).all()
            if provider_id
            else []
        ),
        subcontract=subcontract,
        can_see_subcontract=subcontract is not None
        and db.session.scalar(
            sa.select(SubContract.id).where(SubContract.id == subcontract.id, subcontract_scope(current_user))
        )
        is not None,
        manage=manage,
        may_bid=can_bid_on_demand(current_user, demand),
        own_provider_id=provider_id,
        earliest_deadline=service.earliest_deadline(),
        default_deadline=_default_deadline_hint(demand) if demand.status is DemandStatus.DRAFT else None,
        question_form=QuestionForm(formdata=None),
        answer_form=AnswerForm(formdata=None),
        reason_form=ReasonForm(formdata=None),
        events=history(demand) if current_user.role is not Role.PROVIDER else [],
        status=DemandStatus,
    )


def _default_deadline_hint(demand: Demand) -> dt.datetime | None:
    try:
        framework = service.framework_for(demand, clock.today())
    except DomainError:
        return None
    return service.default_deadline(framework.bid_period_days)


def _fill_choices(form: DemandForm) -> None:
    categories = db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position)).all()
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in categories]
    types = db.session.execute(
        sa.select(ServiceType, ServiceCategory.name)
        .join(ServiceType.category)
        .where(ServiceType.active)
        .order_by(ServiceCategory.position, ServiceType.name)
    )
    form.service_type_id.choices = [
        SelectChoice(t.id, f"{t.name} ({t.unit})", optgroup=category) for t, category in types
    ]


def _values(form: DemandForm) -> dict:
    return {
        "category": db.session.get(ServiceCategory, form.category_id.data),
        "service_type": db.session.get(ServiceType, form.service_type_id.data),
        **{name: getattr(form, name).data for name in service.FIELDS if name != "deadline"},
        "deadline": to_utc(form.deadline.data),
    }


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.OSPOD)
def create():
    form = DemandForm()
    _fill_choices(form)
    if request.method == "GET":
        form.contact_name.data = current_user.name
        form.contact_email.data = current_user.email
    if form.validate_on_submit():
        try:
            demand = service.create_demand(orp=current_user.orp, created_by=current_user, **_values(form))
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash(f"Poptávka {demand.number} je uložena jako koncept. Zkontrolujte ji a zveřejněte.", "success")
            return redirect(url_for("demands.detail", demand_id=demand.id))
    return render_template("demands/form.html", form=form, demand=None)


@bp.route("/<int:demand_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OSPOD)
def edit(demand_id: int):
    demand = _load(demand_id, manage=True)
    if demand.status is not DemandStatus.DRAFT:
        flash("Zveřejněnou poptávku nelze upravovat; upřesnění sdělte odpovědí na dotaz.", "warning")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    form = DemandForm(obj=demand)
    _fill_choices(form)
    if request.method == "GET":
        form.deadline.data = to_local(demand.deadline)
    if form.validate_on_submit():
        try:
            service.update_demand(demand, **_values(form))
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash("Koncept poptávky byl uložen.", "success")
            return redirect(url_for("demands.detail", demand_id=demand.id))
    return render_template("demands/form.html", form=form, demand=demand)


def _act(demand: Demand, action, success: str):
    return run_action(action, success, url_for("demands.detail", demand_id=demand.id))


@bp.post("/<int:demand_id>/delete")
@roles_required(Role.OSPOD)
def delete(demand_id: int):
    demand = _load(demand_id, manage=True)
    try:
        service.delete_draft(demand)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("demands.detail", demand_id=demand_id))
    db.session.commit()
    flash("Koncept poptávky byl smazán.", "success")
    return redirect(url_for("demands.index"))


@bp.post("/<int:demand_id>/publish")
@roles_required(Role.OSPOD)
def publish(demand_id: int):
    demand = _load(demand_id, manage=True)
    return _act(
        demand, lambda: service.publish(demand), "Poptávka je zveřejněna a pozvaní poskytovatelé dostali zprávu."
    )


@bp.post("/<int:demand_id>/cancel")
@roles_required(Role.OSPOD)
def cancel(demand_id: int):
    demand = _load(demand_id, manage=True)
    form = ReasonForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    return _act(demand, lambda: service.cancel(demand, form.reason.data), "Poptávka byla zrušena.")


@bp.post("/<int:demand_id>/questions")
@roles_required(Role.PROVIDER)
def ask(demand_id: int):
    demand = _load(demand_id)
    form = QuestionForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    return _act(
        demand,
        lambda: service.ask(demand, current_user.provider, form.question.data),
        "Dotaz byl odeslán. Odpověď uvidí všichni pozvaní poskytovatelé; kdo se ptal, se nezveřejňuje.",
    )


@bp.post("/<int:demand_id>/questions/<int:clarification_id>/answer")
@roles_required(Role.OSPOD)
def answer(demand_id: int, clarification_id: int):
    demand = _load(demand_id, manage=True)
    clarification = db.get_or_404(Clarification, clarification_id)
    if clarification.demand_id != demand.id:
        abort(404)
    form = AnswerForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    return _act(
        demand,
        lambda: service.answer(clarification, form.answer.data, to_utc(form.new_deadline.data)),
        "Odpověď je zveřejněna všem pozvaným poskytovatelům.",
    )
