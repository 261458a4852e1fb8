"""The provider register: officials read it, admin keeps it, a provider sees its own record."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from minitendr.actions import act
from minitendr.audit.service import history
from minitendr.db import db
from minitendr.outcomes import panel as outcomes
from minitendr.permissions import (
    EVERYONE,
    OFFICIALS,
    REGISTER_KEEPERS,
    can_read_history,
    can_read_provider,
    ensure,
    roles_required,
)
from minitendr.providers import service
from minitendr.providers.forms import ProviderForm
from minitendr.providers.models import Provider

bp = Blueprint("providers", __name__, url_prefix="/providers")


@bp.get("/")
@roles_required(*OFFICIALS)
def index():
    query = (request.args.get("q") or "").strip()
    providers = service.search(query)
    return render_template("providers/index.html", providers=providers, q=query)


@bp.get("/<int:provider_id>")
@roles_required(*EVERYONE)
def detail(provider_id: int):
    provider = db.get_or_404(Provider, provider_id)
    ensure(can_read_provider(current_user, provider.id))
    events = history(provider) if can_read_history(current_user, provider) else None
    return render_template(
        "providers/detail.html", provider=provider, events=events, **outcomes.provider_context(provider)
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*REGISTER_KEEPERS)
def create():
    form = ProviderForm()

    def page():
        return render_template("providers/form.html", form=form, provider=None)

    if request.method == "GET":
        return page()
    return act(
        lambda: service.create_provider(**service.form_values(form)),
        success=lambda provider: f"Poskytovatel {provider.name} byl zaevidován.",
        back=url_for("providers.create"),
        then=lambda provider: url_for("providers.detail", provider_id=provider.id),
        form=form,
        page=page,
    )


@bp.route("/<int:provider_id>/edit", methods=["GET", "POST"])
@roles_required(*REGISTER_KEEPERS)
def edit(provider_id: int):
    provider = db.get_or_404(Provider, provider_id)
    form = ProviderForm(obj=provider)

    def page():
        return render_template("providers/form.html", form=form, provider=provider)

    if request.method == "GET":
        return page()
    return act(
        lambda: service.update_provider(provider, **service.form_values(form)),
        success="Změny byly uloženy.",
        back=url_for("providers.edit", provider_id=provider_id),
        then=url_for("providers.detail", provider_id=provider_id),
        form=form,
        page=page,
    )
