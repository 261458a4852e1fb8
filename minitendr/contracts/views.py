"""Sub-contract pages: lists per role, the sub-contract with its drawdowns and amendments, and the
register of contracts."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from minitendr import clock
from minitendr.actions import form_problem, run_action
from minitendr.audit.service import history
from minitendr.auth.models import Role
from minitendr.contracts import service
from minitendr.contracts.forms import AmendmentForm, DrawdownForm, RegistryForm
from minitendr.contracts.models import REGISTRY_THRESHOLD, Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.forms import ReasonForm
from minitendr.permissions import can_act_for_orp, ensure, roles_required, subcontract_scope
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory

bp = Blueprint("contracts", __name__, url_prefix="/subcontracts")

SORTS = {
    "number": SubContract.number,
    "-signed": SubContract.signed_on.desc(),
    "signed": SubContract.signed_on,
    "-value": SubContract.value.desc(),
    "value": SubContract.value,
}


def _filtered(stmt, args):
    """Apply the list filters (all optional, combinable, kept in the URL)."""
    if args.get("kraj"):
        stmt = stmt.where(Kraj.code == args["kraj"])
    if args.get("orp"):
        stmt = stmt.where(Orp.code == args["orp"])
    if args.get("category"):
        stmt = stmt.where(ServiceCategory.code == args["category"])
    if args.get("provider"):
        stmt = stmt.where(Provider.ico == args["provider"])
    if args.get("status") in {s.value for s in SubContractStatus}:
        stmt = stmt.where(SubContract.status == args["status"])
    year = args.get("year") or ""
    if year.isdigit() and 2000 <= int(year) <= 2100:
        start = dt.date(int(year), 1, 1)
        stmt = stmt.where(SubContract.signed_on >= start, SubContract.signed_on < start.replace(year=start.year + 1))
    if args.get("registry") == "pending":
        stmt = stmt.where(SubContract.value > REGISTRY_THRESHOLD, SubContract.registry_id.is_(None))
    return stmt


def _joined(stmt):
    return (
        stmt.join(SubContract.orp)
        .join(Orp.kraj)
        .join(SubContract.category)
        .join(SubContract.provider)
        .where(subcontract_scope(current_user))
    )


@bp.get("/")
@roles_required(*Role)
def index():
    keys = ("kraj", "orp", "category", "provider", "status", "year", "registry", "sort")
    args = {k: (request.args.get(k) or "").strip() for k in keys}
    stmt = _filtered(_joined(sa.select(SubContract)), args)
    stmt = stmt.order_by(SORTS.get(args["sort"], SubContract.signed_on.desc()), SubContract.id.desc())
    page = db.paginate(stmt, per_page=50, error_out=False)
    spent = dict(
        db.session.execute(
            sa.select(Drawdown.subcontract_id, sa.func.sum(Drawdown.amount))
            .where(Drawdown.subcontract_id.in_([s.id for s in page.items]), Drawdown.status == DrawdownStatus.CONFIRMED)
            .group_by(Drawdown.subcontract_id)
        ).all()
    )
    totals = db.session.execute(
        _filtered(
            _joined(sa.select(sa.func.count(SubContract.id), sa.func.coalesce(sa.func.sum(SubContract.value), 0))), args
        )
    ).one()
    return render_template(
        "contracts/index.html",
        subcontracts=page,
        spent=spent,
        args=args,
        totals=totals,
        kraje=db.session.scalars(sa.select(Kraj).order_by(Kraj.name)).all(),
        categories=db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position)).all(),
        statuses=list(SubContractStatus),
    )


def _load(subcontract_id: int) -> SubContract:
    """404 when missing, 403 when it is another provider's or another ORP's."""
    subcontract = db.get_or_404(SubContract, subcontract_id)
    ensure(
        db.session.scalar(
            sa.select(SubContract.id).where(SubContract.id == subcontract.id, subcontract_scope(current_user))
        )
        is not None
    )
    return subcontract


def _managed(subcontract_id: int) -> SubContract:
    subcontract = _load(subcontract_id)
    ensure(can_act_for_orp(current_user, subcontract.orp_id))
    return subcontract


def _back(subcontract: SubContract) -> str:
    return url_for("contracts.detail", subcontract_id=subcontract.id)


@bp.get("/<int:subcontract_id>")
@roles_required(*Role)
def detail(subcontract_id: int):
    subcontract = _load(subcontract_id)
    manage = can_act_for_orp(current_user, subcontract.orp_id)
    reports = current_user.role is Role.PROVIDER and current_user.provider_id == subcontract.provider_id
    spent = service.drawn(subcontract)
    drawdown_form = DrawdownForm(formdata=None)
    if reports:
        drawdown_form.period.data = service.month_start(min(clock.today(), subcontract.end_date))
    amendment_form = AmendmentForm(
        formdata=None,
        new_value=subcontract.value,
        new_units=subcontract.units,
        new_end_date=subcontract.end_date,
        consent_on=clock.today(),
    )
    return render_template(
        "contracts/detail.html",
        sc=subcontract,
        manage=manage,
        reports=reports,
        spent=spent,
        pending=service.reserved(subcontract) - spent,
        drawdown_form=drawdown_form,
        amendment_form=amendment_form,
        registry_form=RegistryForm(formdata=None, published_on=clock.today()),
        events=history(subcontract),
    )


@bp.post("/<int:subcontract_id>/drawdowns")
@roles_required(Role.PROVIDER)
def report(subcontract_id: int):
    subcontract = _load(subcontract_id)
    form = DrawdownForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(_back(subcontract))
    return run_action(
        lambda: service.report_drawdown(
            subcontract,
            current_user.provider,
            period=form.period.data,
            units=form.units.data,
            amount=form.amount.data,
            reason=form.reason.data,
        ),
        "Čerpání je vykázáno a čeká na potvrzení OSPOD.",
        _back(subcontract),
    )


def _drawdown(subcontract: SubContract, drawdown_id: int) -> Drawdown:
    drawdown = db.get_or_404(Drawdown, drawdown_id)
    if drawdown.subcontract_id != subcontract.id:
        abort(404)
    return drawdown


@bp.post("/<int:subcontract_id>/drawdowns/<int:drawdown_id>/confirm")
@roles_required(Role.OSPOD)
def confirm(subcontract_id: int, drawdown_id: int):
    subcontract = _managed(subcontract_id)
    drawdown = _drawdown(subcontract, drawdown_id)
    return run_action(lambda: service.confirm_drawdown(drawdown), "Čerpání je potvrzeno.", _back(subcontract))


@bp.post("/<int:subcontract_id>/drawdowns/<int:drawdown_id>/reject")
@roles_required(Role.OSPOD)
def reject(subcontract_id: int, drawdown_id: int):
    subcontract = _managed(subcontract_id)
    drawdown = _drawdown(subcontract, drawdown_id)
    form = ReasonForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(_back(subcontract))
    return run_action(
        lambda: service.reject_drawdown(drawdown, form.reason.data), "Čerpání je zamítnuto.", _back(subcontract)
    )


@bp.post("/<int:subcontract_id>/amendments")
@roles_required(Role.OSPOD)
def amend(subcontract_id: int):
    subcontract = _managed(subcontract_id)
    form = AmendmentForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(_back(subcontract))
    return run_action(
        lambda: service.amend(
            subcontract,
            new_value=form.new_value.data,
            new_units=form.new_units.data,
            new_end_date=form.new_end_date.data,
            reason=form.reason.data,
            provider_consent=form.provider_consent.data,
            consent_on=form.consent_on.data,
        ),
        "Dodatek je uzavřen.",
        _back(subcontract),
    )


@bp.post("/<int:subcontract_id>/complete")
@roles_required(Role.OSPOD)
def complete(subcontract_id: int):
    subcontract = _managed(subcontract_id)
    return run_action(lambda: service.complete(subcontract), "Dílčí smlouva je dokončena.", _back(subcontract))


@bp.post("/<int:subcontract_id>/terminate")
@roles_required(Role.OSPOD)
def terminate(subcontract_id: int):
    subcontract = _managed(subcontract_id)
    form = ReasonForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(_back(subcontract))
    return run_action(
        lambda: service.terminate(subcontract, form.reason.data),
        "Dílčí smlouva je předčasně ukončena.",
        _back(subcontract),
    )


@bp.post("/<int:subcontract_id>/registry")
@roles_required(Role.OSPOD)
def registry_record(subcontract_id: int):
    subcontract = _managed(subcontract_id)
    form = RegistryForm()
    if problem := form_problem(form):
        flash(problem, "danger")
        return redirect(_back(subcontract))
    return run_action(
        lambda: service.record_registry(subcontract, form.registry_id.data, form.published_on.data),
        "Zveřejnění v registru smluv je zaznamenáno.",
        _back(subcontract),
    )


@bp.get("/registry")
@roles_required(Role.ADMIN, Role.MINISTRY, Role.KRAJ, Role.OSPOD)
def registry():
    """What must still be published in the register of contracts, per kraj and per ORP."""
    pending = sa.and_(SubContract.value > REGISTRY_THRESHOLD, SubContract.registry_id.is_(None))
    scoped = _joined(
        sa.select(Kraj.name, Orp.name, sa.func.count(SubContract.id), sa.func.sum(SubContract.value))
    ).where(pending)
    per_orp = db.session.execute(scoped.group_by(Kraj.name, Orp.name).order_by(Kraj.name, Orp.name)).all()
    per_kraj = db.session.execute(
        _joined(sa.select(Kraj.name, sa.func.count(SubContract.id), sa.func.sum(SubContract.value)))
        .where(pending)
        .group_by(Kraj.name)
        .order_by(Kraj.name)
    ).all()
    rows = db.session.scalars(
        _joined(sa.select(SubContract)).where(pending).order_by(SubContract.signed_on).limit(500)
    ).all()
    return render_template(
        "contracts/registry.html", per_orp=per_orp, per_kraj=per_kraj, rows=rows, threshold=REGISTRY_THRESHOLD
    )
