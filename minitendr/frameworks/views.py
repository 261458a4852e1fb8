"""Framework contract pages: list, detail, create, edit, life-cycle actions and parties."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from minitendr import clock
from minitendr.actions import act
from minitendr.audit.service import history
from minitendr.db import db
from minitendr.forms import SelectChoice, required
from minitendr.frameworks import queries, service
from minitendr.frameworks.forms import FrameworkForm, PartyForm, TransitionReasonForm
from minitendr.frameworks.models import FrameworkContract, FrameworkParty, FrameworkStatus
from minitendr.permissions import (
    EVERYONE,
    FRAMEWORK_MANAGERS,
    can_manage_framework,
    can_manage_kraj,
    can_read_framework,
    can_read_history,
    ensure,
    roles_required,
)
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, ServiceCategory

bp = Blueprint("frameworks", __name__, url_prefix="/frameworks")

TERMS = ("title", "valid_from", "valid_to", "ceiling", "price_weight", "quality_weight", "bid_period_days")


@bp.get("/")
@roles_required(*EVERYONE)
def index():
    filters = queries.list_filters(request.args)
    frameworks = queries.frameworks(current_user, filters)
    return render_template(
        "frameworks/index.html",
        frameworks=frameworks,
        party_counts=queries.active_party_counts(frameworks.items),
        filters=filters,
        kraje=queries.kraje(),
        categories=queries.categories(),
        statuses=list(FrameworkStatus),
    )


def _load(framework_id: int, manage: bool = False) -> FrameworkContract:
    """Load, then check access: 404 when missing, 403 when not yours."""
    # Its parties with their providers, kraj and category come along: the page lists them all.
    framework = db.get_or_404(
        FrameworkContract,
        framework_id,
        options=[
            selectinload(FrameworkContract.parties).joinedload(FrameworkParty.provider),
            joinedload(FrameworkContract.kraj),
            joinedload(FrameworkContract.category),
        ],
    )
    ensure(can_manage_framework(current_user, framework) if manage else can_read_framework(current_user, framework))
    return framework


def _page(
    framework: FrameworkContract,
    *,
    party_form: PartyForm | None = None,
    terminate_form: TransitionReasonForm | None = None,
    party_reason: tuple[int, TransitionReasonForm] | None = None,
):
    """The framework's page; given a refused form (terminating, adding a party, a party's reason), it
    shows that form with what was typed and the message at its field."""
    if party_form is None and can_manage_framework(current_user, framework):
        party_form = PartyForm(formdata=None, since=max(framework.valid_from, min(clock.today(), framework.valid_to)))
    if party_form is not None:
        _fill_provider_choices(party_form, framework)
    refused_party, party_reason_form = party_reason or (None, None)
    return render_template(
        "frameworks/detail.html",
        framework=framework,
        numbers=service.utilisation(framework),
        party_form=party_form,
        terminate_form=terminate_form,
        refused_party=refused_party,
        party_reason_form=party_reason_form,
        events=history(framework) if can_read_history(current_user, framework) else [],
        subcontracts=queries.subcontracts(framework, current_user),
        demands=queries.demands(framework, current_user),
        shown=queries.SHOWN,
    )


def _detail_url(framework_id: int) -> str:
    return url_for("frameworks.detail", framework_id=framework_id)


@bp.get("/<int:framework_id>")
@roles_required(*EVERYONE)
def detail(framework_id: int):
    return _page(_load(framework_id))


def _fill_choices(form: FrameworkForm) -> None:
    """The kraje the user may write frameworks for, and every category."""
    form.kraj_id.choices = [SelectChoice(k.id, k.name) for k in queries.kraje() if can_manage_kraj(current_user, k.id)]
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in queries.categories()]


def _terms(form: FrameworkForm) -> dict:
    return {"number": form.number.data, **{name: getattr(form, name).data for name in TERMS}}


def _create(form: FrameworkForm) -> FrameworkContract:
    kraj = db.session.get(Kraj, form.kraj_id.data)
    if kraj is None:
        abort(403)  # the form offers only the kraje the user may manage
    ensure(can_manage_kraj(current_user, kraj.id))
    # The form's choices are every category: a validated choice is one that exists.
    return service.create_framework(
        kraj=kraj, category=db.get_or_404(ServiceCategory, form.category_id.data), **_terms(form)
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*FRAMEWORK_MANAGERS)
def create():
    form = FrameworkForm()
    _fill_choices(form)

    def page():
        return render_template("frameworks/form.html", form=form, framework=None)

    if request.method == "GET":
        today = clock.today()
        form.valid_from.data = today
        form.valid_to.data = today.replace(year=today.year + 2) - dt.timedelta(days=1)
        return page()
    return act(
        lambda: _create(form),
        success=lambda framework: (
            f"Rámcová smlouva {framework.number} byla založena jako návrh. Přidejte smluvní strany."
        ),
        back=url_for("frameworks.create"),
        then=lambda framework: _detail_url(framework.id),
        form=form,
        page=page,
    )


@bp.route("/<int:framework_id>/edit", methods=["GET", "POST"])
@roles_required(*FRAMEWORK_MANAGERS)
def edit(framework_id: int):
    framework = _load(framework_id, manage=True)
    form = FrameworkForm(obj=framework)
    form.kraj_id.choices = [SelectChoice(framework.kraj_id, framework.kraj.name)]
    form.category_id.choices = [SelectChoice(framework.category_id, framework.category.name)]

    def page():
        return render_template("frameworks/form.html", form=form, framework=framework)

    if request.method == "GET":
        return page()
    return act(
        lambda: service.update_framework(framework, reason=form.reason.data, **_terms(form)),
        success=lambda changes: "Změny byly uloženy." if changes else ("Nic se nezměnilo.", "info"),
        back=url_for("frameworks.edit", framework_id=framework_id),
        then=_detail_url(framework_id),
        form=form,
        page=page,
    )


@bp.post("/<int:framework_id>/activate")
@roles_required(*FRAMEWORK_MANAGERS)
def activate(framework_id: int):
    framework = _load(framework_id, manage=True)
    return act(
        lambda: service.activate_framework(framework),
        success="Rámcová smlouva je platná.",
        back=_detail_url(framework_id),
    )


@bp.post("/<int:framework_id>/terminate")
@roles_required(*FRAMEWORK_MANAGERS)
def terminate(framework_id: int):
    framework = _load(framework_id, manage=True)
    form = TransitionReasonForm()
    return act(
        lambda: service.terminate_framework(framework, form.reason.data),
        success="Rámcová smlouva byla ukončena.",
        back=_detail_url(framework_id),
        form=form,
        page=lambda: _page(framework, terminate_form=form),
    )


@bp.post("/<int:framework_id>/delete")
@roles_required(*FRAMEWORK_MANAGERS)
def delete(framework_id: int):
    framework = _load(framework_id, manage=True)
    return act(
        lambda: service.delete_draft(framework),
        success="Návrh rámcové smlouvy byl smazán.",
        back=_detail_url(framework_id),
        then=url_for("frameworks.index"),
    )


# --- parties -------------------------------------------------------------------------------------
def _fill_provider_choices(form: PartyForm, framework: FrameworkContract) -> None:
    """The active providers not yet bound by the framework (what the page offers)."""
    taken = {p.provider_id for p in framework.parties}
    form.provider.choices = [
        SelectChoice(p.id, f"{p.name} (IČO {p.ico})") for p in queries.providers(active_only=True) if p.id not in taken
    ]


@bp.post("/<int:framework_id>/parties")
@roles_required(*FRAMEWORK_MANAGERS)
def add_party(framework_id: int):
    framework = _load(framework_id, manage=True)
    form = PartyForm()
    # Any known provider passes the form, so that one already bound or inactive hears why from the service.
    form.provider.choices = [SelectChoice(p.id, p.name) for p in queries.providers()]
    return act(
        lambda: service.add_party(framework, db.get_or_404(Provider, form.provider.data), required(form.since.data)),
        success=lambda party: f"{party.provider.name} je smluvní stranou rámcové smlouvy {framework.number}.",
        back=_detail_url(framework_id),
        form=form,
        page=lambda: _page(framework, party_form=form),
    )


def _party(framework_id: int, party_id: int) -> tuple[FrameworkContract, FrameworkParty]:
    """The framework, once the user's right to manage it is checked, and its party."""
    framework = _load(framework_id, manage=True)
    party = db.get_or_404(FrameworkParty, party_id)
    if party.framework_id != framework_id:
        abort(404)
    return framework, party


def _party_reason_action(framework_id: int, party_id: int, change, success: str):
    """Suspend or withdraw a party: a reason typed on the framework's page, shown there again if refused."""
    framework, party = _party(framework_id, party_id)
    form = TransitionReasonForm()
    return act(
        lambda: change(party, form.reason.data),
        success=success,
        back=_detail_url(framework_id),
        form=form,
        page=lambda: _page(framework, party_reason=(party.id, form)),
    )


@bp.post("/<int:framework_id>/parties/<int:party_id>/suspend")
@roles_required(*FRAMEWORK_MANAGERS)
def suspend_party(framework_id: int, party_id: int):
    return _party_reason_action(framework_id, party_id, service.suspend_party, "Smluvní strana je pozastavena.")


@bp.post("/<int:framework_id>/parties/<int:party_id>/reinstate")
@roles_required(*FRAMEWORK_MANAGERS)
def reinstate_party(framework_id: int, party_id: int):
    _framework, party = _party(framework_id, party_id)
    return act(
        lambda: service.reinstate_party(party),
        success="Smluvní strana je opět aktivní.",
        back=_detail_url(framework_id),
    )


@bp.post("/<int:framework_id>/parties/<int:party_id>/withdraw")
@roles_required(*FRAMEWORK_MANAGERS)
def withdraw_party(framework_id: int, party_id: int):
    return _party_reason_action(
        framework_id, party_id, service.withdraw_party, "Smluvní strana z rámcové smlouvy vystoupila."
    )
