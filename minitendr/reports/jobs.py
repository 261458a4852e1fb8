"""Long exports in the background, and the export files kept in the store.

Work runs in a worker thread of the application by default, in RQ with Redis when
``MINITENDR_REDIS_URL`` is set (a thread when Redis does not answer), or inline (tests). It is of two
kinds:

- an **export job** (``ExportJob``): one user's workbook, with its progress on a page; the same
  request of the same user over unchanged data takes the finished job again;
- an **export file** (``ExportFile``): the open-data package, a spend CSV of one scope and filters —
  one file per key, served to everyone who asks the same, rebuilt when the data have changed since.
  One build per key at a time, across hosts (a compare-and-set on the key's row); meanwhile the last
  complete file is served.

The data version is a handful of index lookups: the newest audit event (every state change and every
change of money writes one in the same transaction, appended one at a time under the chain's lock) and
the newest demand, sub-contract, drawdown and provider (the seeders insert those without events). A
file is labelled with the version read before its rows, so it is never taken for newer than it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite

from minitendr import clock, storage
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import User
from minitendr.contracts.models import Drawdown, SubContract
from minitendr.db import db, read_only, separate_transaction
from minitendr.demands.models import Demand
from minitendr.permissions import reader_of_scope
from minitendr.providers.models import Provider
from minitendr.reports import exports, ocds
from minitendr.reports.models import ExportFile, ExportJob, JobStatus
from minitendr.reports.service import parse_filters

# A build or job not finished after this long is taken for dead (RQ's timeout for a job is the same).
BUILD_TIMEOUT = dt.timedelta(hours=1)
# The kinds of export file, and how each is named in the store.
FILE_KINDS = {"ocds.json": "json", "spend.csv": "csv"}
WORKBOOK = "spend.xlsx"

_executors: dict[int, ThreadPoolExecutor] = {}
_VERSION = sa.select(
    *(
        sa.select(sa.func.max(model.id)).scalar_subquery()
        for model in (AuditEvent, Demand, SubContract, Drawdown, Provider)
    )
)


def data_version() -> str:
    """What the data are now, as a short text that changes with every change an export shows."""
    return ".".join(str(value or 0) for value in db.session.execute(_VERSION).one())


def outdate_all() -> None:
    """Take every export file and job for older than the data: for a change the data version does not
    see (reference data reloaded: the names of kraje, ORP, categories). Files stay served until rebuilt."""
    db.session.execute(sa.update(ExportFile).where(ExportFile.version.is_not(None)).values(version=""))
    db.session.execute(sa.update(ExportJob).values(version=None))


def request_key(kind: str, scope: str, params: dict[str, str]) -> str:
    """One name for a request: what (``kind``), for whom (``scope``) and with which parameters."""
    text = json.dumps([kind, scope, params], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# --- running work where the configuration says ---------------------------------------------------
def _hand_over(job_id: str, inline, in_thread, in_worker: str) -> None:
    # Flask types ``current_app`` as the Flask object it stands for, not as the proxy it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = app.config["EXPORT_RUNNER"]
    if runner == "inline":
        inline(app, job_id)
    elif runner == "rq":
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue

        from minitendr.config import REDIS_TIMEOUTS

        try:
            Queue("minitendr", connection=Redis.from_url(app.config["REDIS_URL"], **REDIS_TIMEOUTS)).enqueue(
                in_worker, job_id, job_timeout=int(BUILD_TIMEOUT.total_seconds())
            )
        except RedisError:
            # The export is still wanted: this host runs it itself rather than lose it.
            app.logger.warning("Redis unreachable: export %s runs in a thread of this host instead of RQ", job_id)
            in_thread(app, job_id)
    else:
        in_thread(app, job_id)


def _executor(app: Flask) -> ThreadPoolExecutor:
    return _executors.setdefault(id(app), ThreadPoolExecutor(max_workers=2, thread_name_prefix="export"))


def _in_separate_transaction(statement: sa.Executable) -> None:
    """Bookkeeping goes through a short transaction of its own, visible at once to every host."""
    with separate_transaction() as connection:
        connection.execute(statement)


# --- export jobs: one user's workbook ---------------------------------------------------------
def start(user: User, filters: dict[str, str], total_rows: int) -> ExportJob:
    """Record the job over the data as they are now; the caller commits, then ``dispatch``es it."""
    job = ExportJob(
        user_id=user.id,
        kind=WORKBOOK,
        filters=filters,
        total_rows=total_rows,
        key=request_key(WORKBOOK, f"user:{user.id}", filters),
        version=data_version(),
    )
    db.session.add(job)
    db.session.flush()
    return job


def reusable(user: User, filters: dict[str, str]) -> ExportJob | None:
    """The newest job of ``user`` with the same filters over the same data, finished (its file still
    in the store) or under way — what to show instead of starting the same work again."""
    job = db.session.scalars(
        sa.select(ExportJob)
        .where(
            ExportJob.user_id == user.id,
            ExportJob.key == request_key(WORKBOOK, f"user:{user.id}", filters),
            ExportJob.version == data_version(),
            ExportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE]),
        )
        .order_by(ExportJob.created_at.desc())
        .limit(1)
    ).first()
    if job is None:
        return None
    if job.is_pending and job.created_at < clock.now() - BUILD_TIMEOUT:
        return None
    if job.is_done and (not job.filename or storage.area("exports").stat(job.filename) is None):
        return None
    return job


def dispatch(job_id: str) -> None:
    """After the commit: run the job where the configuration says (and, now and then, the purge)."""
    _hand_over(job_id, run, run_in_thread, "minitendr.reports.jobs.run_in_worker")
    schedule_purge()


def run_in_thread(app: Flask, job_id: str) -> None:
    _executor(app).submit(run, app, job_id)


def run_in_worker(job_id: str) -> None:
    """The RQ entry point: an application of its own, from the environment."""
    from minitendr import create_app

    run(create_app(), job_id)


def _update(job_id: str, **values) -> None:
    """Progress is written at once, visible to the page polling it."""
    _in_separate_transaction(sa.update(ExportJob).where(ExportJob.id == job_id).values(**values))


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
            with read_only(), storage.local_file(suffix=".xlsx") as path:
                filters = parse_filters(args, user)
                exports.write_workbook(
                    str(path),
                    filters,
                    user,
                    progress=lambda done, total: _update(job_id, done_rows=done, total_rows=total),
                )
                db.session.rollback()
                storage.area("exports", app).put_file(filename, path)
        except Exception as error:  # the job records why it failed; the page says so
            db.session.rollback()
            app.logger.exception("export %s failed", job_id)
            _update(job_id, status=JobStatus.FAILED.value, error=str(error)[:1000], finished_at=clock.now())
            return
        _update(job_id, status=JobStatus.DONE.value, filename=filename, finished_at=clock.now())


# --- export files: one per key, for everyone who asks the same -----------------------------------
def file_name(key: str, kind: str) -> str:
    return f"{key}.{FILE_KINDS[kind]}"


def _file_row(key: str) -> sa.Row | None:
    """The key's row as committed now (not as this request's transaction first saw it)."""
    with separate_transaction() as connection:
        return connection.execute(sa.select(ExportFile.__table__).where(ExportFile.key == key)).first()


def claim(key: str, kind: str, scope: str, params: dict[str, str]) -> bool:
    """Take the key's one build for this caller; False when another one holds it (and is not older
    than ``BUILD_TIMEOUT``, after which it is taken for dead)."""
    dialect = sqlite if db.session.get_bind().dialect.name == "sqlite" else postgresql
    now = clock.now()
    with separate_transaction() as connection:
        connection.execute(
            dialect.insert(ExportFile)
            .values(key=key, kind=kind, scope=scope, params=params, rows=0)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        taken = connection.execute(
            sa.update(ExportFile)
            .where(
                ExportFile.key == key,
                sa.or_(ExportFile.building_since.is_(None), ExportFile.building_since < now - BUILD_TIMEOUT),
            )
            .values(building_since=now)
        )
        return taken.rowcount == 1


def dispatch_build(key: str) -> None:
    """Build the claimed key's file where the configuration says."""
    _hand_over(key, build, build_in_thread, "minitendr.reports.jobs.build_in_worker")
    schedule_purge()


def build_in_thread(app: Flask, key: str) -> None:
    _executor(app).submit(build, app, key)


def build_in_worker(key: str) -> None:
    """The RQ entry point of a build."""
    from minitendr import create_app

    build(create_app(), key)


def _produce(kind: str, scope: str, params: dict[str, str], path: Path) -> tuple[int, int]:
    """Write the file of ``kind`` to ``path``; returns its rows and how many leading bytes say only
    when it was made (left out of the digest)."""
    with open(path, "w", encoding="utf-8", newline="") as stream:
        if kind == "ocds.json":
            releases = 0
            chunks = ocds.package_chunks(params["uri"])
            head = next(chunks)
            stream.write(head)
            for chunk in chunks:
                stream.write(chunk)
                releases += 1
            return releases - 1, len(head.encode())  # less the closing chunk
        reader = reader_of_scope(scope)
        return exports.write_csv(stream, parse_filters(params, reader), reader), 0


def _digest(path: Path, skip: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        stream.seek(skip)
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def build(app: Flask, key: str) -> str | None:
    """Build the file of ``key`` (claimed by the caller) into the store and release the claim; returns
    why it failed, or None. A file whose content came out the same stays as it is, with its ETag."""
    with app.app_context():
        row = _file_row(key)
        assert row is not None, "a build is claimed, and claiming makes the row"
        area, name = storage.area("exports", app), file_name(key, row.kind)
        try:
            with read_only(), storage.local_file(suffix=f".{FILE_KINDS[row.kind]}") as path:
                version = data_version()
                rows, skip = _produce(row.kind, row.scope, row.params, path)
                db.session.rollback()
                digest = _digest(path, skip)
                if digest != row.digest or area.stat(name) is None:
                    area.put_file(name, path)
        except Exception as error:  # recorded on the row; the last complete file stays served
            db.session.rollback()
            app.logger.exception("export file %s (%s) failed", key, row.kind)
            _in_separate_transaction(
                sa.update(ExportFile).where(ExportFile.key == key).values(building_since=None, error=str(error)[:1000])
            )
            return str(error) or type(error).__name__
        _in_separate_transaction(
            sa.update(ExportFile)
            .where(ExportFile.key == key)
            .values(version=version, digest=digest, rows=rows, built_at=clock.now(), building_since=None, error=None)
        )
        return None


def published(kind: str, scope: str, params: dict[str, str], small: Callable[[], bool] | None = None) -> str | None:
    """The name in the store of the newest complete file of ``kind`` for ``scope`` and ``params``, or
    None while there is none yet (a build is under way).

    A file older than the data is still given, and a build started if none is under way: in the
    background, or here and now when ``small()`` says the file is small — then the new file is given,
    and a build that fails raises ``ExportFailed``. A large file rebuilt less than
    ``EXPORT_REFRESH_SECONDS`` ago is not rebuilt again yet (national data change all day long)."""
    key = request_key(kind, scope, params)
    name = file_name(key, kind)
    complete = _complete(key, name)
    if complete is not None and complete.version == data_version():
        return name
    here = small is not None and small()
    if complete is not None and not here and complete.built_at > clock.now() - refresh_interval():
        return name
    # This request only read: its transaction ends before the bookkeeping, which must outlive it.
    db.session.rollback()
    if claim(key, kind, scope, params):
        if here:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            if (error := build(app, key)) is not None:
                raise ExportFailed(error)
        else:
            dispatch_build(key)
        complete = _complete(key, name)
    return name if complete is not None else None


def _complete(key: str, name: str) -> sa.Row | None:
    """The key's row when a complete file of it is in the store."""
    row = _file_row(key)
    if row is None or row.version is None or storage.area("exports").stat(name) is None:
        return None
    return row


def refresh_interval() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["EXPORT_REFRESH_SECONDS"])


class ExportFailed(RuntimeError):
    """A file built for the request at hand could not be made (500, never a part of it)."""


def purge_old(app: Flask, days: int = 7) -> int:
    """Remove export jobs and export files older than ``days`` (jobs hold personal work data; a file
    asked for again is built again); returns how many."""
    cutoff = clock.now() - dt.timedelta(days=days)
    area = storage.area("exports", app)
    old = db.session.scalars(sa.select(ExportJob).where(ExportJob.created_at < cutoff)).all()
    for job in old:
        if job.filename:
            area.delete(job.filename)
        db.session.delete(job)
    files = db.session.scalars(
        sa.select(ExportFile).where(ExportFile.built_at < cutoff, ExportFile.building_since.is_(None))
    ).all()
    for export_file in files:
        area.delete(file_name(export_file.key, export_file.kind))
        db.session.delete(export_file)
    return len(old) + len(files)


# --- the purge, scheduled with the export work ----------------------------------------------------
PURGE_EVERY = dt.timedelta(hours=1)
PURGE_LOCK = "minitendr:exports:purge"
_purged_at: dict[int, dt.datetime] = {}


def purge(app: Flask, days: int | None = None) -> int:
    """``purge_old`` (``EXPORT_KEEP_DAYS`` by default) in a transaction of its own; returns how many
    jobs and files went. The entry point of the CLI's ``minitendr exports purge`` and of the schedule."""
    with app.app_context():
        try:
            removed = purge_old(app, app.config["EXPORT_KEEP_DAYS"] if days is None else days)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return removed


def purge_in_thread(app: Flask) -> None:
    def run_purge() -> None:
        try:
            purge(app)
        except Exception:  # the next schedule tries again; the export it came with is not affected
            app.logger.exception("purge of old exports failed")

    _executor(app).submit(run_purge)


def purge_in_worker() -> None:
    """The RQ entry point of the purge."""
    from minitendr import create_app

    purge(create_app())


def schedule_purge() -> None:
    """With export work handed over: the purge of old export jobs and files, at most once per
    ``PURGE_EVERY`` — in RQ once for all hosts (a Redis key holds the turn), in a thread once per host
    (from its first export on).
    Inline (tests, the command line) nothing is scheduled: ``minitendr exports purge`` is for cron."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = app.config["EXPORT_RUNNER"]
    if runner == "rq":
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue

        from minitendr.config import REDIS_TIMEOUTS

        try:
            redis = Redis.from_url(app.config["REDIS_URL"], **REDIS_TIMEOUTS)
            if redis.set(PURGE_LOCK, clock.now().isoformat(), nx=True, ex=int(PURGE_EVERY.total_seconds())):
                Queue("minitendr", connection=redis).enqueue("minitendr.reports.jobs.purge_in_worker")
            return
        except RedisError:
            app.logger.warning("Redis unreachable: the purge of old exports runs in a thread of this host")
    elif runner != "thread":
        return
    # A host counts from its first export: it purges an hour after it, and every hour of exports after.
    last = _purged_at.setdefault(id(app), clock.now())
    if clock.now() - last >= PURGE_EVERY:
        _purged_at[id(app)] = clock.now()
        purge_in_thread(app)
