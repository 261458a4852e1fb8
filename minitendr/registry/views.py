"""Reference data pages: kraje with their ORP (read-only, an official classification) and service
types (admin keeps them)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from minitendr.actions import act
from minitendr.db import db
from minitendr.forms import SelectChoice, required
from minitendr.permissions import EVERYONE, REGISTER_KEEPERS, can_edit_publisher, ensure, roles_required
from minitendr.registry import service
from minitendr.registry.forms import PublisherForm, ServiceTypeForm
from minitendr.registry.models import Kraj, ServiceType

bp = Blueprint("registry", __name__, url_prefix="/registry")


@bp.get("/kraje")
@roles_required(*EVERYONE)
def kraje():
    return render_template("registry/kraje.html", rows=service.kraje_with_orp_counts())


@bp.get("/kraje/<code>")
@roles_required(*EVERYONE)
def kraj(code: str):
    kraj = db.first_or_404(db.select(Kraj).where(Kraj.code == code.upper()))
    return render_template("registry/kraj.html", kraj=kraj)


@bp.route("/kraje/<code>/publisher", methods=["GET", "POST"])
@roles_required(*EVERYONE)
def publisher(code: str):
    """The kraj's details as the publisher in the register of contracts."""
    kraj = db.first_or_404(db.select(Kraj).where(Kraj.code == code.upper()))
    ensure(can_edit_publisher(current_user, kraj))
    form = PublisherForm(obj=kraj)

    def page():
        return render_template("registry/publisher_form.html", form=form, kraj=kraj)

    if request.method == "GET":
        return page()
    return act(
        lambda: service.save_publisher(
            kraj,
            official_name=form.official_name.data or "",
            ico=form.ico.data or "",
            data_box=form.data_box.data or "",
            address=form.address.data or "",
        ),
        success="Údaje kraje pro registr smluv jsou uloženy.",
        back=request.path,
        then=url_for("registry.kraj", code=kraj.code),
        form=form,
        page=page,
    )


@bp.get("/service-types")
@roles_required(*EVERYONE)
def service_types():
    return render_template("registry/service_types.html", categories=service.categories())


def _values(form: ServiceTypeForm) -> dict:
    return {
        "code": form.code.data,
        "name": required(form.name.data).strip(),
        "name_en": (form.name_en.data or "").strip(),
        "category_id": form.category_id.data,
        "legal_basis": (form.legal_basis.data or "").strip(),
        "unit": required(form.unit.data).strip(),
        "indicative_unit_price": form.indicative_unit_price.data or Decimal("0.00"),
        "active": form.active.data,
    }


def _service_type_form(service_type: ServiceType | None):
    """The form that creates a service type (``service_type`` None) or changes one."""
    form = ServiceTypeForm(obj=service_type)
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in service.categories()]

    def page():
        return render_template("registry/service_type_form.html", form=form, service_type=service_type)

    if request.method == "GET":
        return page()
    return act(
        lambda: service.save_service_type(service_type, **_values(form)),
        success=lambda saved: f"Typ služby {saved.code} byl uložen.",
        back=request.path,
        then=url_for("registry.service_types"),
        form=form,
        page=page,
    )


@bp.route("/service-types/new", methods=["GET", "POST"])
@roles_required(*REGISTER_KEEPERS)
def service_type_create():
    return _service_type_form(None)


@bp.route("/service-types/<int:service_type_id>/edit", methods=["GET", "POST"])
@roles_required(*REGISTER_KEEPERS)
def service_type_edit(service_type_id: int):
    return _service_type_form(db.get_or_404(ServiceType, service_type_id))
