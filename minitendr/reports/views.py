"""Spend reports: the dashboard, the Excel and CSV exports (long ones in the background), open data."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from minitendr import clock, storage
from minitendr.db import db
from minitendr.notifications.service import absolute_link
from minitendr.permissions import EVERYONE, ensure, owns, roles_required, subcontract_scope_key
from minitendr.reports import charts, exports, jobs, service
from minitendr.reports.models import ExportJob

bp = Blueprint("reports", __name__)


def _filters(html: bool = False):
    """The filters from the URL, checked: a clear message for a wrong value, 403 for another's scope."""
    try:
        return service.parse_filters(request.args, current_user), None
    except service.OutOfScope:
        abort(403)
    except service.FilterError as error:
        if html:
            return None, error.message
        abort(Response(error.message, status=400, mimetype="text/plain"))


@bp.get("/reports/spend")
@roles_required(*EVERYONE)
def spend():
    filters, problem = _filters(html=True)
    page = {"args": {k: request.args.get(k, "") for k in service.FILTERS}, **service.filter_choices()}
    if problem:
        return render_template("reports/spend.html", problem=problem, **page), 400
    numbers = service.dashboard(filters, current_user)
    figures = charts.spend_charts(numbers["matrix"], numbers["months"])
    return render_template(
        "reports/spend.html",
        problem=None,
        filters=filters,
        ceiling_day=service.ceiling_day(filters),
        **numbers,
        **figures,
        **page,
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# How long a client waits for a file being built before it asks again (seconds).
RETRY_AFTER = 10


@bp.get("/reports/spend.xlsx")
@roles_required(*EVERYONE)
def spend_xlsx():
    """A small workbook is made here and sent; a large one is a job with a page of its own. The same
    request over unchanged data takes the finished (or running) job again."""
    filters, _ = _filters()
    small = current_app.config["EXPORT_SYNC_LIMIT"]
    job = jobs.reusable(current_user, filters.as_args())
    if job is None:
        count = exports.detail_count(filters, current_user)
        job_id = jobs.start(current_user, filters.as_args(), count).id
        db.session.commit()
        if count <= small:
            jobs.run(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
        else:
            jobs.dispatch(job_id)
        job = db.session.get_one(ExportJob, job_id)
        db.session.refresh(job)
    if job.total_rows > small or not job.is_done:
        return redirect(url_for("reports.job", job_id=job.id))
    return _send_workbook(job)


def _send_workbook(job: ExportJob) -> Response:
    assert job.filename is not None  # a finished job has its file
    return storage.area("exports").send(
        job.filename, download_name=f"cerpani-{job.created_at:%Y-%m-%d}.xlsx", mimetype=XLSX
    )


def _job(job_id: str) -> ExportJob:
    job = db.get_or_404(ExportJob, job_id)
    ensure(owns(current_user, job))
    return job


@bp.get("/reports/jobs/<job_id>")
@roles_required(*EVERYONE)
def job(job_id: str):
    return render_template("reports/job.html", job=_job(job_id))


@bp.get("/reports/jobs/<job_id>/download")
@roles_required(*EVERYONE)
def job_download(job_id: str):
    job = _job(job_id)
    if not job.is_done or not job.filename or storage.area("exports").stat(job.filename) is None:
        abort(404)
    return _send_workbook(job)


def _stored(name: str | None, download_name: str, mimetype: str, as_attachment: bool = True) -> Response:
    """A file of the export store, whole or in the range asked for; 503 while it is still being made."""
    if name is None:
        return Response(
            "Soubor se právě připravuje, zkuste to prosím za chvíli znovu.",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": str(RETRY_AFTER)},
        )
    return storage.area("exports").send(
        name, download_name=download_name, mimetype=mimetype, as_attachment=as_attachment
    )


@bp.get("/reports/spend.csv")
@roles_required(*EVERYONE)
def spend_csv():
    """The detail rows as CSV, one file per scope of the user and filters: made here when it is small,
    in the background when it is large (like the workbook), never sent before it is complete."""
    filters, _ = _filters()
    user = current_user._get_current_object()
    limit = current_app.config["EXPORT_SYNC_LIMIT"]
    try:
        name = jobs.published(
            "spend.csv",
            subcontract_scope_key(user),
            filters.as_args(),
            small=lambda: exports.detail_count(filters, user) <= limit,
        )
    except jobs.ExportFailed:
        abort(500)
    return _stored(name, f"cerpani-{clock.today():%Y-%m-%d}.csv", "text/csv; charset=utf-8")


@bp.get("/open-data/ocds.json")
def ocds_package():
    """Public open data: no login; awarded minitenders only, nothing about families. Built in the
    background and served from the store (503 until the first package is there)."""
    name = jobs.published("ocds.json", "public", {"uri": absolute_link("reports.ocds_package")})
    return _stored(name, "ocds.json", "application/json", as_attachment=False)
