"""Reference data pages: kraje with their ORP (read-only, an official classification) and service
types (admin keeps them)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from wtforms.fields.choices import SelectChoice

from minitendr.auth.models import Role
from minitendr.db import DomainError, db
from minitendr.permissions import roles_required
from minitendr.registry.forms import ServiceTypeForm
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType
from minitendr.registry.service import save_service_type

bp = Blueprint("registry", __name__, url_prefix="/registry")


@bp.get("/kraje")
@roles_required(*Role)
def kraje():
    rows = db.session.execute(
        db.select(Kraj, db.func.count(Orp.id)).outerjoin(Kraj.orps).group_by(Kraj.id).order_by(Kraj.code)
    ).all()
    return render_template("registry/kraje.html", rows=rows)


@bp.get("/kraje/<code>")
@roles_required(*Role)
def kraj(code: str):
    kraj = db.first_or_404(db.select(Kraj).where(Kraj.code == code.upper()))
    return render_template("registry/kraj.html", kraj=kraj)


@bp.get("/service-types")
@roles_required(*Role)
def service_types():
    categories = db.session.scalars(db.select(ServiceCategory).order_by(ServiceCategory.position)).all()
    return render_template("registry/service_types.html", categories=categories)


def _service_type_form(service_type: ServiceType | None):
    form = ServiceTypeForm(obj=service_type)
    form.category_id.choices = [
        SelectChoice(c.id, c.name)
        for c in db.session.scalars(db.select(ServiceCategory).order_by(ServiceCategory.position))
    ]
    if form.validate_on_submit():
        try:
            saved = save_service_type(
                service_type,
                code=form.code.data,
                name=form.name.data.strip(),
                name_en=(form.name_en.data or "").strip(),
                category_id=form.category_id.data,
                legal_basis=(form.legal_basis.data or "").strip(),
                unit=form.unit.data.strip(),
                indicative_unit_price=form.indicative_unit_price.data or Decimal("0.00"),
                active=form.active.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash(f"Typ služby {saved.code} byl uložen.", "success")
            return redirect(url_for("registry.service_types"))
    return render_template("registry/service_type_form.html", form=form, service_type=service_type)


@bp.route("/service-types/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def service_type_create():
    return _service_type_form(None)


@bp.route("/service-types/<int:service_type_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def service_type_edit(service_type_id: int):
    return _service_type_form(db.get_or_404(ServiceType, service_type_id))
