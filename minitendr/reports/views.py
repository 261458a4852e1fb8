"""Spend reports: the dashboard, the Excel and CSV exports (long ones in the background), open data."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from minitendr import clock
from minitendr.db import db
from minitendr.notifications.service import absolute_link
from minitendr.permissions import EVERYONE, ensure, owns, roles_required
from minitendr.reports import charts, exports, jobs, ocds, service
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
    return render_template("reports/spend.html", problem=None, filters=filters, **numbers, **figures, **page)


@bp.get("/reports/spend.xlsx")
@roles_required(*EVERYONE)
def spend_xlsx():
    filters, _ = _filters()
    count = exports.detail_count(filters, current_user)
    if count <= current_app.config["EXPORT_SYNC_LIMIT"]:
        buffer = io.BytesIO()
        exports.write_workbook(buffer, filters, current_user)
        buffer.seek(0)
        return send_file(
            buffer,
            as_attachment=True,
            download_name=f"cerpani-{clock.today():%Y-%m-%d}.xlsx",
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    job_id = jobs.start(current_user, filters.as_args(), count).id
    db.session.commit()
    jobs.dispatch(job_id)
    return redirect(url_for("reports.job", job_id=job_id))


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
    if not job.is_done or not job.filename:
        abort(404)
    return send_file(
        jobs.exports_dir(current_app) / job.filename,
        as_attachment=True,
        download_name=f"cerpani-{job.created_at:%Y-%m-%d}.xlsx",
    )


@bp.get("/reports/spend.csv")
@roles_required(*EVERYONE)
def spend_csv():
    filters, _ = _filters()
    user = current_user._get_current_object()
    return Response(
        stream_with_context(exports.csv_chunks(filters, user)),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cerpani-{clock.today():%Y-%m-%d}.csv"'},
    )


@bp.get("/open-data/ocds.json")
def ocds_package():
    """Public open data: no login; awarded minitenders only, nothing about families."""
    return Response(
        stream_with_context(ocds.package_chunks(absolute_link("reports.ocds_package"))),
        mimetype="application/json",
    )
