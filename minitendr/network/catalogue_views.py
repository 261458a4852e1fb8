"""The katalog služeb: everyone's search (who in my ORP helps with chování?), a service's page, and
the kraj official's keeping of their kraj's catalogue — by hand and by importing a file."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from minitendr.actions import act
from minitendr.audit.service import history
from minitendr.demands.models import NEEDS
from minitendr.forms import SelectChoice
from minitendr.network import catalogue, catalogue_import
from minitendr.network.forms import CatalogueServiceForm, FittingForm, ImportForm
from minitendr.network.models import CatalogueService, Sector, ServiceForm
from minitendr.permissions import (
    CATALOGUE_KEEPERS,
    EVERYONE,
    can_manage_catalogue,
    can_search_catalogue,
    ensure,
    roles_required,
)
from minitendr.registry.models import Kraj

bp = Blueprint("catalogue", __name__)


def _choices() -> dict:
    return {
        "needs": NEEDS,
        "sectors": list(Sector),
        "forms": list(ServiceForm),
    }


@bp.get("/network/services")
@roles_required(*EVERYONE)
def search():
    ensure(can_search_catalogue(current_user))
    filters, errors = catalogue.parse_search(request.args, current_user)
    return render_template(
        "network/catalogue/search.html",
        services=catalogue.search(filters),
        filters=filters,
        errors=errors,
        kraje=catalogue.kraje(),
        orps=catalogue.all_orps(),
        **_choices(),
    )


def _load(service_id: int, manage: bool = False) -> CatalogueService:
    """Load, then check access: a listed service is everyone's to read; one switched off only its
    kraj's keeper's (to anyone else it does not exist: 404)."""
    service = catalogue.load(service_id)
    keeper = can_manage_catalogue(current_user, service.kraj_id)
    if manage:
        ensure(keeper)
    elif not keeper and not catalogue.is_listed(service):
        abort(404)
    return service


@bp.get("/network/services/<int:service_id>")
@roles_required(*EVERYONE)
def detail(service_id: int):
    service = _load(service_id)
    keeper = can_manage_catalogue(current_user, service.kraj_id)
    return render_template(
        "network/catalogue/detail.html",
        service=service,
        listed=catalogue.is_listed(service),
        events=history(service) if keeper else None,
        needs=NEEDS,
    )


# --- the kraj's keeping ------------------------------------------------------------------------------
def _kraj() -> Kraj:
    """The kraj the official keeps (a kraj official is bound to one)."""
    kraj = current_user.kraj
    ensure(kraj is not None and can_manage_catalogue(current_user, kraj))
    return kraj


@bp.get("/network/catalogue")
@roles_required(*CATALOGUE_KEEPERS)
def manage():
    kraj = _kraj()
    filters, errors = catalogue.parse_search({"orp": "", **request.args}, current_user)
    return render_template(
        "network/catalogue/manage.html",
        kraj=kraj,
        services=catalogue.kraj_catalogue(kraj, filters),
        filters=filters,
        errors=errors,
        orps=catalogue.orps_of(kraj),
        **_choices(),
    )


def _fill(form: CatalogueServiceForm | FittingForm, kraj: Kraj) -> None:
    form.orps.choices = [SelectChoice(orp.id, orp.name) for orp in catalogue.orps_of(kraj)]


def _values(form: CatalogueServiceForm | FittingForm, kraj: Kraj) -> dict:
    orps = {orp.id: orp for orp in catalogue.orps_of(kraj)}
    values = {
        "needs": form.needs.data or [],
        "orps": [orps[i] for i in form.orps.data or [] if i in orps],
        "capacity": form.capacity.data,
        "capacity_unit": form.capacity_unit.data or "",
    }
    if isinstance(form, CatalogueServiceForm):
        values |= {
            "name": form.name.data or "",
            "description": form.description.data or "",
            "sector": Sector(form.sector.data),
            "form": ServiceForm(form.form.data),
            "ico": form.ico.data or "",
            "organization": form.organization.data or "",
            "contact_name": form.contact_name.data or "",
            "contact_email": form.contact_email.data or "",
            "contact_phone": form.contact_phone.data or "",
            "web": form.web.data or "",
            "address": form.address.data or "",
        }
    return values


def _detail_url(service: CatalogueService) -> str:
    return url_for("catalogue.detail", service_id=service.id)


@bp.route("/network/catalogue/new", methods=["GET", "POST"])
@roles_required(*CATALOGUE_KEEPERS)
def create():
    kraj = _kraj()
    form = CatalogueServiceForm()
    _fill(form, kraj)

    def page():
        return render_template("network/catalogue/form.html", form=form, service=None, kraj=kraj)

    if request.method == "GET":
        return page()
    return act(
        lambda: catalogue.create_service(kraj, **_values(form, kraj)),
        success=lambda service: f"Služba {service.name} je v katalogu.",
        back=url_for("catalogue.create"),
        then=_detail_url,
        form=form,
        page=page,
    )


@bp.route("/network/catalogue/<int:service_id>/edit", methods=["GET", "POST"])
@roles_required(*CATALOGUE_KEEPERS)
def edit(service_id: int):
    service = _load(service_id, manage=True)
    form: CatalogueServiceForm | FittingForm
    if service.is_automatic:
        form = FittingForm(obj=service)
    else:
        form = CatalogueServiceForm(obj=service)
        if request.method == "GET":
            form.sector.data, form.form.data = service.sector.value, service.form.value
    _fill(form, service.kraj)
    if request.method == "GET":
        form.needs.data = service.need_codes
        form.orps.data = [o.orp_id for o in service.orps]

    def page():
        return render_template("network/catalogue/form.html", form=form, service=service, kraj=service.kraj)

    if request.method == "GET":
        return page()
    return act(
        lambda: catalogue.update_service(service, **_values(form, service.kraj)),
        success=lambda changes: "Změny byly uloženy." if changes else ("Nic se nezměnilo.", "info"),
        back=url_for("catalogue.edit", service_id=service_id),
        then=_detail_url(service),
        form=form,
        page=page,
    )


@bp.post("/network/catalogue/<int:service_id>/deactivate")
@roles_required(*CATALOGUE_KEEPERS)
def deactivate(service_id: int):
    service = _load(service_id, manage=True)
    return act(
        lambda: catalogue.set_active(service, False),
        success="Služba byla vyřazena z katalogu.",
        back=_detail_url(service),
    )


@bp.post("/network/catalogue/<int:service_id>/activate")
@roles_required(*CATALOGUE_KEEPERS)
def activate(service_id: int):
    service = _load(service_id, manage=True)
    return act(
        lambda: catalogue.set_active(service, True),
        success="Služba je opět v katalogu.",
        back=_detail_url(service),
    )


@bp.route("/network/catalogue/import", methods=["GET", "POST"])
@roles_required(*CATALOGUE_KEEPERS)
def import_file():
    kraj = _kraj()
    form = ImportForm()
    refused: dict[str, catalogue_import.ImportReport] = {}

    def page():
        return render_template(
            "network/catalogue/import.html",
            form=form,
            kraj=kraj,
            report=refused.get("report"),
            layout=catalogue_import.LAYOUT,
        )

    def run() -> catalogue_import.ImportReport:
        upload = form.file.data
        try:
            return catalogue_import.import_file(
                kraj, upload.filename or "soubor", upload.read(catalogue_import.MAX_BYTES + 1)
            )
        except catalogue_import.ImportRefused as error:
            refused["report"] = error.report
            raise

    if request.method == "GET":
        return page()
    return act(
        run,
        success=lambda report: f"Importováno {len(report.created)} služeb ze souboru {report.filename}.",
        back=url_for("catalogue.import_file"),
        then=url_for("catalogue.manage"),
        form=form,
        page=page,
    )


@bp.get("/network/catalogue/import/vzor.csv")
@roles_required(*CATALOGUE_KEEPERS)
def import_template():
    return Response(
        catalogue_import.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=katalog-sluzeb-vzor.csv"},
    )
