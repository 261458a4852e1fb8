"""Sub-contract pages: lists per role, the sub-contract with its drawdowns and amendments, and the
register of contracts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required

from minitendr import clock, search
from minitendr.actions import act
from minitendr.audit.service import history
from minitendr.auth.models import Role, User
from minitendr.contracts import export, queries, service
from minitendr.contracts.forms import AmendmentForm, DrawdownForm, RegistryForm
from minitendr.contracts.models import REGISTRY_THRESHOLD, Drawdown, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.documents import service as document_service
from minitendr.documents import views as documents
from minitendr.forms import ReasonForm, required
from minitendr.isrs.forms import AnswerForm
from minitendr.isrs.queries import DAYS_TO_PUBLISH
from minitendr.outcomes import panel as outcomes
from minitendr.permissions import (
    EVERYONE,
    can_follow_registry,
    can_manage_subcontract,
    can_publish_in_registry,
    can_read_history,
    can_read_subcontract,
    can_report_drawdowns,
    ensure,
    roles_required,
)

bp = Blueprint("contracts", __name__, url_prefix="/subcontracts")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

BADGES = {
    SubContractStatus.ACTIVE: "text-bg-success",
    SubContractStatus.COMPLETED: "text-bg-secondary",
    SubContractStatus.TERMINATED: "text-bg-dark",
}


@bp.get("/")
@roles_required(*EVERYONE)
def index():
    filters = queries.filters_from(request.args)
    typed = dict(filters)  # a refused value is shown as typed, with its message
    errors = queries.checked(filters)
    choices = queries.filter_choices()
    listing = queries.subcontract_list(current_user, filters, choices["kraje"], choices["categories"])
    return render_template(
        "contracts/index.html",
        listing=listing,
        args=typed,
        applied=search.kept(filters),
        errors=errors,
        **choices,
    )


def _export(body: bytes, mimetype: str, extension: str) -> Response:
    name = f"dilci-smlouvy-{clock.today():%Y-%m-%d}.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


def _export_filters() -> dict[str, str]:
    """The list's filters, those that cannot be read left out as the page leaves them out."""
    filters = queries.filters_from(request.args)
    queries.checked(filters)
    return filters


@bp.get("/export.csv")
@roles_required(*EVERYONE)
def export_csv():
    """The list's rows for the same filters and search, every page of them, as CSV."""
    return _export(export.csv_bytes(current_user, _export_filters()), "text/csv; charset=utf-8", "csv")


@bp.get("/export.xlsx")
@roles_required(*EVERYONE)
def export_xlsx():
    """The same as a workbook."""
    return _export(export.xlsx_bytes(current_user, _export_filters()), XLSX, "xlsx")


def _load(subcontract_id: int, rule: Callable[[User, SubContract], bool] = can_read_subcontract) -> SubContract:
    """404 when missing, 403 unless ``rule`` lets the user at it."""
    subcontract = db.get_or_404(SubContract, subcontract_id)
    ensure(rule(current_user, subcontract))
    return subcontract


def _drawdown(subcontract: SubContract, drawdown_id: int) -> Drawdown:
    drawdown = db.get_or_404(Drawdown, drawdown_id)
    if drawdown.subcontract_id != subcontract.id:
        abort(404)
    return drawdown


def _back(subcontract: SubContract) -> str:
    return url_for("contracts.detail", subcontract_id=subcontract.id)


def _page(subcontract: SubContract, **refused: Any) -> str:
    """The sub-contract's page. ``refused`` is a form that came back refused (``drawdown_form``,
    ``amendment_form``, ``registry_form``, ``terminate_form``, or ``reject_form`` with ``rejected``,
    the drawdown's id; the outcomes' ``outcome_form`` and ``report_form``): it is shown with what was
    typed and its messages instead of a blank one."""
    today = clock.today()
    forms: dict[str, Any] = {
        "drawdown_form": DrawdownForm(formdata=None, period=service.month_start(min(today, subcontract.end_date))),
        "amendment_form": AmendmentForm(
            formdata=None,
            new_value=subcontract.value,
            new_units=subcontract.units,
            new_end_date=subcontract.end_date,
            consent_on=today,
        ),
        "registry_form": RegistryForm(formdata=None, published_on=today),
        "terminate_form": None,
        "reject_form": None,
        "rejected": None,
        # Registr smluv (minitendr.isrs): the register's answer, an amendment's publication typed by
        # hand (``amendment_refused``: the amendment whose form came back refused).
        "answer_form": AnswerForm(formdata=None),
        "amendment_registry_form": None,
        "amendment_refused": None,
        "amendment_registry_form_for": lambda amendment: RegistryForm(
            formdata=None, prefix=f"amendment-{amendment.id}", published_on=today
        ),
        "registry_days": dt.timedelta(days=DAYS_TO_PUBLISH),
        **outcomes.subcontract_context(subcontract),
    }
    spent = service.drawn(subcontract)
    return render_template(
        "contracts/detail.html",
        sc=subcontract,
        badge=BADGES[subcontract.status],
        spent=spent,
        pending=service.reserved(subcontract) - spent,
        events=history(subcontract) if can_read_history(current_user, subcontract) else None,
        documents=document_service.subcontract_documents(subcontract),
        **forms | refused,
    )


@bp.get("/<int:subcontract_id>")
@roles_required(*EVERYONE)
def detail(subcontract_id: int):
    return _page(_load(subcontract_id))


@bp.post("/<int:subcontract_id>/drawdowns")
@roles_required(Role.PROVIDER)
def report(subcontract_id: int):
    subcontract = _load(subcontract_id, can_report_drawdowns)
    form = DrawdownForm()
    return act(
        lambda: service.report_drawdown(
            subcontract,
            current_user.provider,
            period=required(form.period.data),
            units=required(form.units.data),
            amount=required(form.amount.data),
            reason=form.reason.data,
        ),
        success="Čerpání je vykázáno a čeká na potvrzení OSPOD.",
        back=_back(subcontract),
        form=form,
        page=lambda: _page(subcontract, drawdown_form=form),
    )


@bp.post("/<int:subcontract_id>/drawdowns/<int:drawdown_id>/confirm")
@roles_required(Role.OSPOD)
def confirm(subcontract_id: int, drawdown_id: int):
    subcontract = _load(subcontract_id, can_manage_subcontract)
    drawdown = _drawdown(subcontract, drawdown_id)
    return act(lambda: service.confirm_drawdown(drawdown), success="Čerpání je potvrzeno.", back=_back(subcontract))


@bp.post("/<int:subcontract_id>/drawdowns/<int:drawdown_id>/reject")
@roles_required(Role.OSPOD)
def reject(subcontract_id: int, drawdown_id: int):
    subcontract = _load(subcontract_id, can_manage_subcontract)
    drawdown = _drawdown(subcontract, drawdown_id)
    form = ReasonForm()
    return act(
        lambda: service.reject_drawdown(drawdown, form.reason.data),
        success="Čerpání je zamítnuto.",
        back=_back(subcontract),
        form=form,
        page=lambda: _page(subcontract, reject_form=form, rejected=drawdown_id),
    )


@bp.post("/<int:subcontract_id>/amendments")
@roles_required(Role.OSPOD)
def amend(subcontract_id: int):
    subcontract = _load(subcontract_id, can_manage_subcontract)
    form = AmendmentForm()
    before = len(subcontract.amendments)
    response = act(
        lambda: service.amend(
            subcontract,
            new_value=required(form.new_value.data),
            new_units=required(form.new_units.data),
            new_end_date=required(form.new_end_date.data),
            reason=required(form.reason.data),
            provider_consent=required(form.provider_consent.data),
            consent_on=required(form.consent_on.data),
        ),
        success="Dodatek je uzavřen.",
        back=_back(subcontract),
        form=form,
        page=lambda: _page(subcontract, amendment_form=form),
    )
    if len(subcontract.amendments) > before:  # agreed: the amendment's document issued, after the commit
        documents.issue_after(lambda: document_service.issue_subcontract_documents(subcontract))
    return response


@bp.post("/<int:subcontract_id>/complete")
@roles_required(Role.OSPOD)
def complete(subcontract_id: int):
    subcontract = _load(subcontract_id, can_manage_subcontract)
    return act(lambda: service.complete(subcontract), success="Dílčí smlouva je dokončena.", back=_back(subcontract))


@bp.post("/<int:subcontract_id>/terminate")
@roles_required(Role.OSPOD)
def terminate(subcontract_id: int):
    subcontract = _load(subcontract_id, can_manage_subcontract)
    form = ReasonForm()
    return act(
        lambda: service.terminate(subcontract, form.reason.data),
        success="Dílčí smlouva je předčasně ukončena.",
        back=_back(subcontract),
        form=form,
        page=lambda: _page(subcontract, terminate_form=form),
    )


@bp.post("/<int:subcontract_id>/registry")
@roles_required(Role.OSPOD, Role.KRAJ)
def registry_record(subcontract_id: int):
    subcontract = _load(subcontract_id, can_publish_in_registry)
    form = RegistryForm()
    return act(
        lambda: service.record_registry(
            subcontract, form.registry_id.data, required(form.published_on.data), form.registry_version.data
        ),
        success="Zveřejnění v registru smluv je zaznamenáno.",
        back=_back(subcontract),
        form=form,
        page=lambda: _page(subcontract, registry_form=form),
    )


@bp.get("/registry")
@login_required
def registry():
    """What must still be published in the register of contracts, per kraj and per ORP."""
    ensure(can_follow_registry(current_user))
    overview = queries.registry_overview(current_user)
    return render_template("contracts/registry.html", overview=overview, threshold=REGISTRY_THRESHOLD)
