"""The kraj's model of the service network (its pages) and the network's figures as files
(``/network.csv``, ``/network.xlsx``). Kraj officials keep their kraj's model; the ministry, kraj
officials and OSPOD offices (their kraj) read models and figures; providers and admin do not."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from minitendr import clock
from minitendr.actions import act
from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.forms import SelectChoice, required
from minitendr.network import coverage, exports, model_service
from minitendr.network.model_forms import NetworkModelForm, TargetsForm
from minitendr.network.models import NetworkModel
from minitendr.permissions import (
    EVERYONE,
    can_manage_network,
    can_read_network,
    ensure,
    reads_nationally,
    roles_required,
)
from minitendr.registry.models import Kraj, Orp
from minitendr.reports.service import FilterError, OutOfScope

bp = Blueprint("network_model", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _model(model_id: int) -> NetworkModel:
    model = db.get_or_404(NetworkModel, model_id)
    ensure(can_read_network(current_user, model.kraj))
    return model


@bp.get("/network/models/")
@roles_required(*EVERYONE)
def models():
    ensure(can_read_network(current_user))
    kraj_ids = None if reads_nationally(current_user) else [current_user.home_kraj_id]
    own = db.session.get(Kraj, current_user.kraj_id) if current_user.kraj_id else None
    return render_template(
        "network/models/list.html",
        models=model_service.models_of(kraj_ids),
        today=clock.today(),
        may_create=own is not None and can_manage_network(current_user, own),
    )


def _model_values(form: NetworkModelForm) -> dict:
    return {
        "name": required(form.name.data),
        "valid_from": required(form.valid_from.data),
        "valid_to": required(form.valid_to.data),
        "unmet_threshold": required(form.unmet_threshold.data),
        "single_bid_threshold": required(form.single_bid_threshold.data),
    }


@bp.route("/network/models/new", methods=["GET", "POST"])
@roles_required(*EVERYONE)
def create():
    kraj = db.session.get(Kraj, current_user.kraj_id) if current_user.kraj_id else None
    if kraj is None or not can_manage_network(current_user, kraj):
        abort(403)
    earlier = model_service.models_of([kraj.id])
    form = NetworkModelForm()
    form.copy_from.choices = [SelectChoice(0, "nepřebírat")] + [SelectChoice(m.id, m.name) for m in earlier]
    if request.method == "GET" and earlier:
        year = max(clock.today().year, earlier[0].valid_to.year + 1)
        form.valid_from.data, form.valid_to.data = dt.date(year, 1, 1), dt.date(year, 12, 31)
        form.copy_from.data = earlier[0].id

    def page():
        return render_template("network/models/form.html", form=form, model=None, kraj=kraj)

    if request.method == "GET":
        return page()
    source = next((m for m in earlier if m.id == form.copy_from.data), None)
    return act(
        lambda: model_service.create_model(kraj, **_model_values(form), copy_from=source),
        success=lambda model: f"Model „{model.name}“ byl založen.",
        back=request.path,
        then=lambda model: url_for("network_model.detail", model_id=model.id),
        form=form,
        page=page,
    )


@bp.get("/network/models/<int:model_id>")
@roles_required(*EVERYONE)
def detail(model_id: int):
    model = _model(model_id)
    orps = db.session.scalars(db.select(Orp).where(Orp.kraj_id == model.kraj_id).order_by(Orp.name)).all()
    return render_template(
        "network/models/detail.html",
        model=model,
        orps=orps,
        targets=model_service.targets_by_orp(model),
        needs=NEEDS,
        may_edit=can_manage_network(current_user, model.kraj),
    )


@bp.route("/network/models/<int:model_id>/edit", methods=["GET", "POST"])
@roles_required(*EVERYONE)
def edit(model_id: int):
    model = _model(model_id)
    ensure(can_manage_network(current_user, model.kraj))
    form = NetworkModelForm(obj=model)
    del form.copy_from

    def page():
        return render_template("network/models/form.html", form=form, model=model, kraj=model.kraj)

    if request.method == "GET":
        return page()
    return act(
        lambda: model_service.update_model(model, **_model_values(form)),
        success="Model byl uložen.",
        back=request.path,
        then=url_for("network_model.detail", model_id=model.id),
        form=form,
        page=page,
    )


@bp.route("/network/models/<int:model_id>/orp/<code>", methods=["GET", "POST"])
@roles_required(*EVERYONE)
def targets(model_id: int, code: str):
    model = _model(model_id)
    ensure(can_manage_network(current_user, model.kraj))
    orp = db.first_or_404(db.select(Orp).where(Orp.code == code, Orp.kraj_id == model.kraj_id))
    form = TargetsForm()
    if request.method == "GET":
        for need, target in model_service.targets_by_orp(model).get(orp.id, {}).items():
            getattr(form, f"priority_{need}").data = str(target.priority)
            getattr(form, f"goal_{need}").data = target.goal
            getattr(form, f"services_{need}").data = target.minimum_services
            getattr(form, f"capacity_{need}").data = target.minimum_capacity

    def page():
        return render_template("network/models/targets.html", form=form, model=model, orp=orp)

    if request.method == "GET":
        return page()

    def values() -> dict[str, model_service.TargetValues]:
        stated = {}
        for need in NEEDS:
            priority = getattr(form, f"priority_{need}").data
            stated[need] = model_service.TargetValues(
                priority=int(priority) if priority else None,
                goal=getattr(form, f"goal_{need}").data or "",
                minimum_services=getattr(form, f"services_{need}").data,
                minimum_capacity=getattr(form, f"capacity_{need}").data,
            )
        return stated

    return act(
        lambda: model_service.set_targets(model, orp, values()),
        success=f"Cíle pro ORP {orp.name} byly uloženy.",
        back=request.path,
        then=url_for("network_model.detail", model_id=model.id),
        form=form,
        page=page,
    )


# --- the figures as files ------------------------------------------------------------------------
def _filters() -> coverage.NetworkFilters:
    try:
        return coverage.parse_filters(request.args, current_user)
    except OutOfScope:
        abort(403)
    except FilterError as error:
        abort(Response(error.message, status=400, mimetype="text/plain"))


@bp.get("/network.csv")
@roles_required(*EVERYONE)
def network_csv():
    filters = _filters()
    body = exports.csv_bytes(filters, current_user)
    return Response(
        body,
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=sit-sluzeb-{clock.today():%Y-%m-%d}.csv"},
    )


@bp.get("/network.xlsx")
@roles_required(*EVERYONE)
def network_xlsx():
    filters = _filters()
    return Response(
        exports.xlsx_bytes(filters, current_user),
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename=sit-sluzeb-{clock.today():%Y-%m-%d}.xlsx"},
    )
