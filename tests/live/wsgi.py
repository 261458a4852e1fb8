"""The WSGI entry point of the live tests — never of production (``wsgi.py`` is that one).

On top of the ordinary application it adds two things the tests need:
- a movable clock: before each request the clock is moved to the real time plus the offset (seconds)
  written in the file ``MINITENDR_TEST_CLOCK_FILE``, so a test can let a deadline pass;
- with ``MINITENDR_TEST_SLOW_COMMIT`` (seconds), a pause between writing a transaction's rows and
  committing them, so that a worker killed by the crash test dies with a write half done;
- ``POST /_probe``: the smallest useful endpoint on the same stack (Flask, SQLAlchemy, the database,
  gunicorn), inserting one row; the load test compares its latency with the real work.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import sqlalchemy as sa
from flask import g
from sqlalchemy.orm import Session

from minitendr import clock, create_app
from minitendr.db import db
from minitendr.extensions import csrf

app = create_app()
CLOCK_FILE = Path(os.environ["MINITENDR_TEST_CLOCK_FILE"])
PROBE = sa.table("load_probe", sa.column("note", sa.String))


def clock_offset() -> dt.timedelta:
    try:
        return dt.timedelta(seconds=float(CLOCK_FILE.read_text() or 0))
    except FileNotFoundError:
        return dt.timedelta()


@app.before_request
def move_the_clock() -> None:
    # Sync workers serve one request at a time per process: a process-wide offset is safe. The clock
    # keeps running during the request, so a deadline can pass in the middle of one, as in production.
    g.test_clock = clock.moved_by(clock_offset())
    g.test_clock.__enter__()


@app.teardown_request
def restore_the_clock(_error) -> None:
    moved = g.pop("test_clock", None)
    if moved is not None:
        moved.__exit__(None, None, None)


SLOW_COMMIT = float(os.environ.get("MINITENDR_TEST_SLOW_COMMIT", 0))
if SLOW_COMMIT:

    @sa.event.listens_for(Session, "before_commit")
    def pause_before_commit(session: Session) -> None:
        session.flush()  # the rows are written, not yet committed
        time.sleep(SLOW_COMMIT)


@app.post("/_probe")
@csrf.exempt
def probe():
    db.session.execute(sa.insert(PROBE).values(note="probe"))
    db.session.commit()
    return {"ok": True}
