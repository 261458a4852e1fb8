"""Races that only real concurrent transactions show: two requests at the same moment, each with
its own connection, committing for real (outside the per-test rollback).

On PostgreSQL the row locks decide; on SQLite the write lock taken at BEGIN IMMEDIATE does.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from minitendr import create_app
from minitendr.db import DomainError, db
from minitendr.frameworks import service
from minitendr.frameworks.models import FrameworkContract, FrameworkStatus
from minitendr.registry.models import Kraj
from minitendr.registry.service import load_reference_data
from tests.conftest import PG_URL, config_for_tests
from tests.factories import ProviderFactory, make_framework

RACE_TABLES = ("audit_event", "framework_party", "framework_contract", "user_account", "provider")


@pytest.fixture
def race_app(tmp_path):
    """An application of its own on a database that commits for real; emptied afterwards."""
    url = PG_URL or f"sqlite:///{tmp_path}/race.db"
    app = create_app(config_for_tests(url))
    with app.app_context():
        if not PG_URL:
            upgrade(directory=app.config["MIGRATIONS_DIR"])
            load_reference_data(Path(app.config["SEED_DIR"]))
            db.session.commit()
    yield app
    with app.app_context():
        with db.engine.begin() as conn:
            for table in RACE_TABLES:
                conn.execute(sa.text(f"DELETE FROM {table}"))
        db.engine.dispose()


def run_together(app, *jobs):
    """Run each job in its own thread, app context and session, released at the same moment.
    Returns what each job returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        with app.app_context():
            barrier.wait()
            try:
                results[index] = job()
                db.session.commit()
            except Exception as error:  # the outcome, success or refusal, is what the test checks
                db.session.rollback()
                results[index] = error

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_overlapping_activations_at_once_leave_one_active(race_app, monkeypatch):
    with race_app.app_context():
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
        provider = ProviderFactory()
        ids = [make_framework(kraj, providers=[provider], active=False, number=f"RS-RACE-{n}").id for n in (1, 2)]
        db.session.commit()

    # Widen the window between the overlap check and the commit: without the lock both would pass.
    check = service.overlapping_active

    def slow_check(framework):
        found = check(framework)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(service, "overlapping_active", slow_check)

    def activate(framework_id):
        return lambda: service.activate_framework(db.session.get(FrameworkContract, framework_id))

    results = run_together(race_app, activate(ids[0]), activate(ids[1]))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1, results
    assert "překrývající se platností" in refused[0].message
    with race_app.app_context():
        statuses = db.session.scalars(sa.select(FrameworkContract.status).order_by(FrameworkContract.id)).all()
        assert sorted(statuses) == [FrameworkStatus.ACTIVE, FrameworkStatus.DRAFT]
