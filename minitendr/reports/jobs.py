"""Running long exports in the background: a worker thread of the application by default, RQ with
Redis when ``MINITENDR_REDIS_URL`` is set (a thread when Redis does not answer), or inline (tests)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from minitendr import clock
from minitendr.auth.models import User
from minitendr.db import db, read_only, separate_transaction
from minitendr.reports.exports import write_workbook
from minitendr.reports.models import ExportJob, JobStatus
from minitendr.reports.service import parse_filters

_executors: dict[int, ThreadPoolExecutor] = {}


def exports_dir(app: Flask) -> Path:
    folder = Path(app.config["EXPORTS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def start(user: User, filters: dict[str, str], total_rows: int) -> ExportJob:
    """Record the job and hand it to a worker; the caller commits first (see ``dispatch``)."""
    job = ExportJob(user_id=user.id, kind="spend.xlsx", filters=filters, total_rows=total_rows)
    db.session.add(job)
    db.session.flush()
    return job


def dispatch(job_id: str) -> None:
    """After the commit: run the job where the configuration says."""
    # Flask types ``current_app`` as the Flask object it stands for, not as the proxy it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = app.config["EXPORT_RUNNER"]
    if runner == "inline":
        run(app, job_id)
    elif runner == "rq":
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue

        from minitendr.config import REDIS_TIMEOUTS

        try:
            Queue("minitendr", connection=Redis.from_url(app.config["REDIS_URL"], **REDIS_TIMEOUTS)).enqueue(
                "minitendr.reports.jobs.run_in_worker", job_id, job_timeout=3600
            )
        except RedisError:
            # The export is still wanted: this host runs it itself rather than lose it.
            app.logger.warning("Redis unreachable: export %s runs in a thread of this host instead of RQ", job_id)
            run_in_thread(app, job_id)
    else:
        run_in_thread(app, job_id)


def run_in_thread(app: Flask, job_id: str) -> None:
    executor = _executors.setdefault(id(app), ThreadPoolExecutor(max_workers=2, thread_name_prefix="export"))
    executor.submit(run, app, job_id)


def run_in_worker(job_id: str) -> None:
    """The RQ entry point: an application of its own, from the environment."""
    from minitendr import create_app

    run(create_app(), job_id)


def _update(job_id: str, **values) -> None:
    """Progress goes through a short transaction of its own, visible at once to the page polling it."""
    with separate_transaction() as connection:
        connection.execute(sa.update(ExportJob).where(ExportJob.id == job_id).values(**values))


def run(app: Flask, job_id: str) -> None:
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            return
        # A job goes with its user (ON DELETE CASCADE): the one found above has one.
        user, args = db.session.get_one(User, job.user_id), dict(job.filters)
        db.session.rollback()
        _update(job_id, status=JobStatus.RUNNING.value)
        filename = f"{job_id}.xlsx"
        try:
            with read_only():
                filters = parse_filters(args, user)
                write_workbook(
                    str(exports_dir(app) / filename),
                    filters,
                    user,
                    progress=lambda done, total: _update(job_id, done_rows=done, total_rows=total),
                )
                db.session.rollback()
        except Exception as error:  # the job records why it failed; the page says so
            db.session.rollback()
            app.logger.exception("export %s failed", job_id)
            _update(job_id, status=JobStatus.FAILED.value, error=str(error)[:1000], finished_at=clock.now())
            return
        _update(job_id, status=JobStatus.DONE.value, filename=filename, finished_at=clock.now())


def purge_old(app: Flask, days: int = 7) -> int:
    """Remove export files older than ``days`` (they hold personal work data; no need to keep them)."""
    cutoff = clock.now() - dt.timedelta(days=days)
    old = db.session.scalars(sa.select(ExportJob).where(ExportJob.created_at < cutoff)).all()
    for job in old:
        if job.filename:
            (exports_dir(app) / job.filename).unlink(missing_ok=True)
        db.session.delete(job)
    return len(old)
