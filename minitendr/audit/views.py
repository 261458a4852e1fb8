"""The audit log's pages: ``/audit/`` (filtered, a page at a time) and its exports to CSV and Excel."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from minitendr import clock
from minitendr.audit import labels, log
from minitendr.permissions import AUDIT_READERS, roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
@roles_required(*AUDIT_READERS)
def index():
    filters = log.filters_from(request.args)
    listing = log.audit_log(current_user, filters)
    return render_template(
        "audit/index.html",
        listing=listing,
        filters=filters,
        objects=labels.OBJECTS,
        actions=sorted(labels.ACTIONS.items(), key=lambda item: item[1]),
    )


def _attachment(body: bytes, mimetype: str, extension: str) -> Response:
    name = f"auditni-zaznam-{clock.today():%Y-%m-%d}.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/log.csv")
@roles_required(*AUDIT_READERS)
def export_csv():
    body = log.csv_bytes(current_user, log.filters_from(request.args))
    return _attachment(body, "text/csv; charset=utf-8", "csv")


@bp.get("/log.xlsx")
@roles_required(*AUDIT_READERS)
def export_xlsx():
    return _attachment(log.xlsx_bytes(current_user, log.filters_from(request.args)), XLSX, "xlsx")
