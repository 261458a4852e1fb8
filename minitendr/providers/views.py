"""The provider register: officials read it, admin keeps it, a provider sees its own record."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from minitendr.audit.service import history
from minitendr.auth.models import Role
from minitendr.db import DomainError, db
from minitendr.permissions import can_read_provider, ensure, roles_required
from minitendr.providers import service
from minitendr.providers.forms import ProviderForm
from minitendr.providers.models import Provider

bp = Blueprint("providers", __name__, url_prefix="/providers")

FIELDS = ("name", "legal_form", "address", "email", "phone", "active")


@bp.get("/")
@roles_required(Role.ADMIN, Role.MINISTRY, Role.KRAJ, Role.OSPOD)
def index():
    query = (request.args.get("q") or "").strip()
    stmt = db.select(Provider).order_by(Provider.name)
    if query:
        stmt = stmt.where(db.or_(Provider.name.ilike(f"%{query}%"), Provider.ico.startswith(query)))
    providers = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("providers/index.html", providers=providers, q=query)


@bp.get("/<int:provider_id>")
@roles_required(*Role)
def detail(provider_id: int):
    provider = db.get_or_404(Provider, provider_id)
    ensure(can_read_provider(current_user, provider.id))
    events = history(provider) if current_user.role is Role.ADMIN else []
    return render_template("providers/detail.html", provider=provider, events=events)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create():
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            provider = service.create_provider(
                ico=form.ico.data, **{name: getattr(form, name).data or _blank(name) for name in FIELDS}
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash(f"Poskytovatel {provider.name} byl zaevidován.", "success")
            return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=None)


@bp.route("/<int:provider_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(provider_id: int):
    provider = db.get_or_404(Provider, provider_id)
    form = ProviderForm(obj=provider)
    if form.validate_on_submit():
        try:
            service.update_provider(
                provider, ico=form.ico.data, **{name: getattr(form, name).data or _blank(name) for name in FIELDS}
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash("Změny byly uloženy.", "success")
            return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=provider)


def _blank(name: str):
    """The empty value of a field: False for the flag, "" for text."""
    return False if name == "active" else ""
