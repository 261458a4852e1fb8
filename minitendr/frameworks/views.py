"""Framework contract pages: list, detail, create, edit, life-cycle actions and parties."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from minitendr import clock
from minitendr.actions import run_action
from minitendr.audit.service import history
from minitendr.auth.models import Role
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands.models import Demand
from minitendr.forms import ReasonForm
from minitendr.frameworks import service
from minitendr.frameworks.forms import FrameworkForm, PartyForm
from minitendr.frameworks.models import FrameworkContract, FrameworkParty, FrameworkStatus
from minitendr.permissions import (
    can_manage_framework,
    can_manage_kraj,
    can_read_framework,
    demand_scope,
    ensure,
    framework_scope,
    roles_required,
    subcontract_scope,
)
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, ServiceCategory

bp = Blueprint("frameworks", __name__, url_prefix="/frameworks")

MANAGERS = (Role.ADMIN, Role.KRAJ)
TERMS = ("title", "valid_from", "valid_to", "ceiling", "price_weight", "quality_weight", "bid_period_days")


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@roles_required(*Role)
def index():
    filters = {
        "kraj": request.args.get("kraj", ""),
        "category": request.args.get("category", ""),
        "status": request.args.get("status", ""),
        "valid_on": request.args.get("valid_on", ""),
    }
    stmt = (
        sa.select(FrameworkContract)
        .join(FrameworkContract.kraj)
        .join(FrameworkContract.category)
        .where(framework_scope(current_user))
        .order_by(Kraj.code, ServiceCategory.position, FrameworkContract.valid_from.desc())
    )
    if filters["kraj"]:
        stmt = stmt.where(Kraj.code == filters["kraj"])
    if filters["category"]:
        stmt = stmt.where(ServiceCategory.code == filters["category"])
    if filters["status"] in {s.value for s in FrameworkStatus}:
        stmt = stmt.where(FrameworkContract.state == filters["status"])
    valid_on = _parse_date(filters["valid_on"])
    if valid_on:
        stmt = stmt.where(FrameworkContract.valid_from <= valid_on, FrameworkContract.valid_to >= valid_on)
    frameworks = db.paginate(stmt, per_page=50, error_out=False)
    counts = dict(
        db.session.execute(
            sa.select(FrameworkParty.framework_id, sa.func.count())
            .where(FrameworkParty.framework_id.in_([f.id for f in frameworks.items]), FrameworkParty.status == "active")
            .group_by(FrameworkParty.framework_id)
        ).all()
    )
    return render_template(
        "frameworks/index.html",
        frameworks=frameworks,
        party_counts=counts,
        filters=filters,
        kraje=db.session.scalars(sa.select(Kraj).order_by(Kraj.name)).all(),
        categories=db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position)).all(),
        statuses=list(FrameworkStatus),
        can_create=current_user.role in MANAGERS,
    )


def _load(framework_id: int, manage: bool = False) -> FrameworkContract:
    """Load, then check access: 404 when missing, 403 when not yours."""
    framework = db.get_or_404(FrameworkContract, framework_id)
    ensure(can_manage_framework(current_user, framework) if manage else can_read_framework(current_user, framework))
    return framework


@bp.get("/<int:framework_id>")
@roles_required(*Role)
def detail(framework_id: int):
    framework = _load(framework_id)
    manage = can_manage_framework(current_user, framework)
    party_form = None
    if manage:
        party_form = PartyForm(formdata=None, since=max(framework.valid_from, min(clock.today(), framework.valid_to)))
        _fill_provider_choices(party_form, framework)
    return render_template(
        "frameworks/detail.html",
        framework=framework,
        numbers=service.utilisation(framework),
        manage=manage,
        party_form=party_form,
        reason_form=ReasonForm(formdata=None),
        events=history(framework),
        status=FrameworkStatus,
        subcontracts=db.session.scalars(
            sa.select(SubContract)
            .where(SubContract.framework_id == framework.id, subcontract_scope(current_user))
            .order_by(SubContract.signed_on.desc(), SubContract.id.desc())
            .limit(100)
        ).all(),
        demands=db.session.scalars(
            sa.select(Demand)
            .where(Demand.framework_id == framework.id, demand_scope(current_user))
            .order_by(Demand.published_at.desc())
            .limit(100)
        ).all(),
    )


def _fill_choices(form: FrameworkForm) -> None:
    if current_user.role is Role.KRAJ:
        form.kraj_id.choices = [SelectChoice(current_user.kraj_id, current_user.kraj.name)]
    else:
        form.kraj_id.choices = [
            SelectChoice(k.id, k.name) for k in db.session.scalars(sa.select(Kraj).order_by(Kraj.name))
        ]
    categories = db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position))
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in categories]


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create():
    form = FrameworkForm()
    _fill_choices(form)
    if request.method == "GET":
        today = clock.today()
        form.valid_from.data = today
        form.valid_to.data = today.replace(year=today.year + 2) - dt.timedelta(days=1)
    if form.validate_on_submit():
        kraj = db.session.get(Kraj, form.kraj_id.data)
        ensure(kraj is not None and can_manage_kraj(current_user, kraj.id))
        try:
            framework = service.create_framework(
                kraj=kraj,
                category=db.session.get(ServiceCategory, form.category_id.data),
                number=form.number.data,
                **{name: getattr(form, name).data for name in TERMS},
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash(f"Rámcová smlouva {framework.number} byla založena jako návrh. Přidejte smluvní strany.", "success")
            return redirect(url_for("frameworks.detail", framework_id=framework.id))
    return render_template("frameworks/form.html", form=form, framework=None)


@bp.route("/<int:framework_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(framework_id: int):
    framework = _load(framework_id, manage=True)
    form = FrameworkForm(obj=framework)
    _fill_choices(form)
    form.kraj_id.choices = [SelectChoice(framework.kraj_id, framework.kraj.name)]
    form.category_id.choices = [SelectChoice(framework.category_id, framework.category.name)]
    if form.validate_on_submit():
        try:
            changes = service.update_framework(
                framework,
                reason=form.reason.data,
                number=form.number.data,
                **{name: getattr(form, name).data for name in TERMS},
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash("Změny byly uloženy." if changes else "Nic se nezměnilo.", "success" if changes else "info")
            return redirect(url_for("frameworks.detail", framework_id=framework.id))
    return render_template("frameworks/form.html", form=form, framework=framework)


def _act(framework_id: int, action, success: str, reason_needed: bool = False):
    """Run a life-cycle action from a button on the framework page and come back to it."""
    framework = _load(framework_id, manage=True)
    args = []
    if reason_needed:
        form = ReasonForm()
        if not form.validate():
            flash("Uveďte důvod (nejvýše 1000 znaků).", "danger")
            return redirect(url_for("frameworks.detail", framework_id=framework.id))
        args.append(form.reason.data)
    return run_action(
        lambda: action(framework, *args), success, url_for("frameworks.detail", framework_id=framework_id)
    )


@bp.post("/<int:framework_id>/activate")
@roles_required(*MANAGERS)
def activate(framework_id: int):
    return _act(framework_id, service.activate_framework, "Rámcová smlouva je platná.")


@bp.post("/<int:framework_id>/terminate")
@roles_required(*MANAGERS)
def terminate(framework_id: int):
    return _act(framework_id, service.terminate_framework, "Rámcová smlouva byla ukončena.", reason_needed=True)


@bp.post("/<int:framework_id>/delete")
@roles_required(*MANAGERS)
def delete(framework_id: int):
    framework = _load(framework_id, manage=True)
    try:
        service.delete_draft(framework)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("frameworks.detail", framework_id=framework_id))
    db.session.commit()
    flash("Návrh rámcové smlouvy byl smazán.", "success")
    return redirect(url_for("frameworks.index"))


# --- parties -------------------------------------------------------------------------------------
def _fill_provider_choices(form: PartyForm, framework: FrameworkContract) -> None:
    taken = {p.provider_id for p in framework.parties}
    providers = db.session.scalars(sa.select(Provider).where(Provider.active).order_by(Provider.name))
    form.provider.choices = [SelectChoice(p.id, f"{p.name} (IČO {p.ico})") for p in providers if p.id not in taken]


@bp.post("/<int:framework_id>/parties")
@roles_required(*MANAGERS)
def add_party(framework_id: int):
    framework = _load(framework_id, manage=True)
    form = PartyForm()
    form.provider.choices = [
        SelectChoice(p.id, p.name) for p in db.session.scalars(sa.select(Provider).order_by(Provider.name))
    ]
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(url_for("frameworks.detail", framework_id=framework_id))
    provider = db.session.get(Provider, form.provider.data)
    return _act(
        framework_id,
        lambda fw: service.add_party(fw, provider, form.since.data),
        f"{provider.name} je smluvní stranou rámcové smlouvy {framework.number}.",
    )


def _party(framework_id: int, party_id: int) -> FrameworkParty:
    """The party, after the framework has been loaded and the user's right to manage it checked."""
    _load(framework_id, manage=True)
    party = db.get_or_404(FrameworkParty, party_id)
    if party.framework_id != framework_id:
        abort(404)
    return party


@bp.post("/<int:framework_id>/parties/<int:party_id>/suspend")
@roles_required(*MANAGERS)
def suspend_party(framework_id: int, party_id: int):
    party = _party(framework_id, party_id)
    return _act(
        framework_id,
        lambda _fw, reason: service.suspend_party(party, reason),
        "Smluvní strana je pozastavena.",
        reason_needed=True,
    )


@bp.post("/<int:framework_id>/parties/<int:party_id>/reinstate")
@roles_required(*MANAGERS)
def reinstate_party(framework_id: int, party_id: int):
    party = _party(framework_id, party_id)
    return _act(framework_id, lambda _fw: service.reinstate_party(party), "Smluvní strana je opět aktivní.")


@bp.post("/<int:framework_id>/parties/<int:party_id>/withdraw")
@roles_required(*MANAGERS)
def withdraw_party(framework_id: int, party_id: int):
    party = _party(framework_id, party_id)
    return _act(
        framework_id,
        lambda _fw, reason: service.withdraw_party(party, reason),
        "Smluvní strana z rámcové smlouvy vystoupila.",
        reason_needed=True,
    )
