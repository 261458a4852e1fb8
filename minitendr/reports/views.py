"""Spend reports: the dashboard, the Excel and CSV exports (long ones in the background), open data."""

from __future__ import annotations

import io

import sqlalchemy as sa
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
from minitendr.auth.models import Role
from minitendr.db import db
from minitendr.notifications.service import absolute_link
from minitendr.permissions import ensure, roles_required
from minitendr.registry.models import Kraj, ServiceCategory
from minitendr.reports import charts, exports, jobs, ocds, service
from minitendr.reports.models import ExportJob, JobStatus

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
@roles_required(*Role)
def spend():
    filters, problem = _filters(html=True)
    choices = {
        "kraje": db.session.scalars(sa.select(Kraj).order_by(Kraj.name)).all(),
        "categories": db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position)).all(),
        "args": {k: request.args.get(k, "") for k in service.FILTERS},
    }
    if problem:
        return render_template("reports/spend.html", problem=problem, **choices), 400
    matrix = service.matrix(filters, current_user)
    months = service.monthly(filters, current_user)
    labels = [f"{r['kraj']} – {r['category']}" for r in matrix]
    return render_template(
        "reports/spend.html",
        problem=None,
        filters=filters,
        matrix=matrix,
        totals=service.totals(matrix),
        orps=service.per_orp(filters, current_user),
        providers=service.per_provider(filters, current_user),
        months=months,
        health=service.competition(filters, current_user),
        matrix_chart=charts.bars(
            "Smluvní hodnota a vyčerpáno podle krajů a kategorií",
            labels,
            [("Smluvní hodnota", [r["value"] for r in matrix]), ("Vyčerpáno", [r["drawn"] for r in matrix])],
        ),
        trend_chart=charts.lines(
            "Nasmlouváno a vyčerpáno po měsících",
            [m["month"] for m in months],
            [("Nasmlouváno", [m["contracted"] for m in months]), ("Vyčerpáno", [m["drawn"] for m in months])],
        ),
        **choices,
    )


@bp.get("/reports/spend.xlsx")
@roles_required(*Role)
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
    ensure(job.user_id == current_user.id)
    return job


@bp.get("/reports/jobs/<job_id>")
@roles_required(*Role)
def job(job_id: str):
    return render_template("reports/job.html", job=_job(job_id), status=JobStatus)


@bp.get("/reports/jobs/<job_id>/download")
@roles_required(*Role)
def job_download(job_id: str):
    job = _job(job_id)
    if job.status is not JobStatus.DONE or not job.filename:
        abort(404)
    return send_file(
        jobs.exports_dir(current_app) / job.filename,
        as_attachment=True,
        download_name=f"cerpani-{job.created_at:%Y-%m-%d}.xlsx",
    )


@bp.get("/reports/spend.csv")
@roles_required(*Role)
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
