"""The application really served for the live tests: a database of its own (a SQLite file, or a
PostgreSQL database beside the suite's when ``MINITENDR_TEST_DATABASE_URL`` is set), prepared with
the demo accounts and today's PAK framework, and gunicorn on a free loopback port."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_migrate import upgrade

from minitendr import create_app
from minitendr.db import db
from minitendr.registry.service import load_reference_data
from minitendr.sealing import new_key
from minitendr.seeding.demo import seed_demo_accounts
from minitendr.seeding.pilot import seed_present

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("MINITENDR_TEST_DATABASE_URL")
# The preparing process and every gunicorn worker seal and open bids under one key.
LIVE_BID_KEY = new_key()
ARTIFACTS = Path(os.environ.get("MINITENDR_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def live_database(folder: Path, name: str) -> Iterator[str]:
    """A URL of an empty database for one live test, dropped afterwards on PostgreSQL."""
    if not PG_URL:
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    url = sa.make_url(PG_URL)
    database = f"{url.database}_{name}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
    try:
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()


def prepare(url: str, folder: Path, scenario: Callable[[], Any] | None = None) -> Any:
    """Migrations, reference data, the demo accounts and today's PAK framework (with an open and an
    evaluated minitender), then ``scenario`` in the same application context."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "live",
            "BID_KEY": LIVE_BID_KEY,
            "ATTACHMENTS_DIR": str(folder / "attachments"),
            "EXPORTS_DIR": str(folder / "exports"),
        }
    )
    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        seed_dir = Path(app.config["SEED_DIR"])
        load_reference_data(seed_dir)
        seed_demo_accounts(seed_dir)
        seed_present(seed_dir)
        db.session.commit()
        result = scenario() if scenario else None
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


class Server:
    """gunicorn serving ``tests.live.wsgi`` on 127.0.0.1, with a clock the test can move."""

    def __init__(self, url: str, folder: Path, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.clock_file = folder / "clock-offset"
        self.clock_file.write_text("0")
        self.log = folder / "gunicorn.log"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "MINITENDR_DATABASE_URL": url,
            "MINITENDR_SECRET_KEY": "live-tests-secret",
            "MINITENDR_BID_KEY": LIVE_BID_KEY,
            # The tests move the server's clock by days while people stay logged in.
            "MINITENDR_SESSION_IDLE_MINUTES": str(366 * 24 * 60),
            "MINITENDR_SESSION_MAX_HOURS": str(366 * 24),
            "MINITENDR_ATTACHMENTS_DIR": str(folder / "attachments"),
            "MINITENDR_EXPORTS_DIR": str(folder / "exports"),
            "MINITENDR_TEST_CLOCK_FILE": str(self.clock_file),
            **(env or {}),
        }
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        command = [
            sys.executable, "-m", "gunicorn", "tests.live.wsgi:app",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--timeout", "60",
            "--graceful-timeout", "5",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer: {self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def move_clock(self, offset: dt.timedelta) -> None:
        """From the next request on, the application's time is the real time plus ``offset``."""
        self.clock_file.write_text(str(offset.total_seconds()))

    def worker_pids(self) -> list[int]:
        """The master's children (the workers), from /proc."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = re.sub(r"^.*\) ", "", stat.read_text()).split()
                if int(fields[1]) == self.process.pid:
                    pids.append(int(stat.parent.name))
        return pids

    def errors_in_log(self) -> list[str]:
        """Tracebacks the application logged (a crashed request), not the workers killed on purpose."""
        return re.findall(r"^Traceback.*?(?=^\S)", self.log.read_text(errors="replace"), flags=re.M | re.S)


def stored_bids(url: str, email_like: str = "%") -> list[tuple[str, int, Decimal, str]]:
    """(account e-mail, demand id, unit price, status) of every bid, the sealed ones opened with the live
    tests' key: what a check of "every acknowledged bid is stored" needs, never what a page may show."""
    from minitendr.auth.models import User
    from minitendr.bids.models import Bid

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "live", "BID_KEY": LIVE_BID_KEY})
    with app.app_context():
        rows = db.session.execute(
            sa.select(User.email, Bid)
            .join(User, User.provider_id == Bid.provider_id)
            .where(User.email.like(email_like))
        ).all()
        found = [(email, bid.demand_id, bid.offer.unit_price, bid.status.value) for email, bid in rows]
        db.session.remove()
        db.engine.dispose()
    return found


# --- the browser (Debian's Chromium through Playwright; tests/live/conftest.py has its fixture) ----------
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1440, "height": 900}


def logged_in(browser, server: Server, email: str, viewport: dict | None = None):
    """A page of a new browser context logged in as ``email`` (the demo password), with what the page
    writes to the console collected in ``page.console``."""
    context = browser.new_context(base_url=server.base_url, locale="cs-CZ", viewport=viewport or DESKTOP)
    page = context.new_page()
    page.console = []
    page.on("console", lambda message: page.console.append(message.text))
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", "demo")
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert "/login" not in page.url
    return page
