"""The audit trail: append-only in the database itself, chained by hash so that tampering shows, and
discreet about who asked a question."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from minitendr import create_app
from minitendr.audit import service as audit
from minitendr.audit.chain import GENESIS
from minitendr.audit.models import AuditEvent
from minitendr.audit.service import record, verify_chain
from minitendr.db import db
from minitendr.registry.models import Kraj
from tests.conftest import PG_URL, config_for_tests
from tests.factories import ProviderFactory, make_demand, make_framework
from tests.test_races import race_app  # noqa: F401  (a fixture: an application that commits for real)


def events(personas, count: int = 3) -> list[AuditEvent]:
    recorded = [
        record("user.tested", personas.ministry, {"amount": Decimal("10.50"), "n": n}, actor=personas.admin)
        for n in range(count)
    ]
    db.session.flush()
    return recorded


def raw(sql: str, **params) -> None:
    """One statement straight to the database, past the ORM's own refusal, in a savepoint."""
    with db.session.begin_nested():
        db.session.execute(sa.text(sql), params)


def without_triggers(statement: str, **params) -> None:
    """What someone who can switch the triggers off could do (rolled back with the test)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    else:
        db.session.execute(sa.text("DROP TRIGGER audit_event_no_update"))
        db.session.execute(sa.text("DROP TRIGGER audit_event_no_delete"))
    db.session.execute(sa.text(statement), params)


# --- append-only in the database ------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'user.rewritten' WHERE id = :id",
        "UPDATE audit_event SET data = '{}' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_audit_row(personas, statement):
    event = events(personas, 1)[0]
    with pytest.raises(sa.exc.IntegrityError, match="auditní záznamy nelze měnit ani mazat"):
        raw(statement, id=event.id)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 1


@pytest.mark.skipif(not PG_URL, reason="TRUNCATE is PostgreSQL's")
@pytest.mark.postgres_only
def test_postgresql_refuses_to_truncate_the_audit_trail(personas):
    events(personas, 1)
    with pytest.raises(sa.exc.IntegrityError, match="TRUNCATE odmítnut"):
        raw("TRUNCATE audit_event")


def test_appending_still_works(personas):
    first, second = events(personas, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert len({first.hash, second.hash}) == 2 and all(len(e.hash) == 64 for e in (first, second))


# --- the chain ------------------------------------------------------------------------------------
def test_verify_walks_an_intact_chain(personas, run_cli):
    events(personas, 4)
    db.session.commit()
    result = run_cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK, 4 záznamů")
    assert verify_chain().ok


def test_events_recorded_in_separate_flushes_and_requests_chain_on(personas, login):
    events(personas, 1)
    db.session.commit()
    assert login(personas.admin).post(f"/admin/users/{personas.ministry.id}/deactivate").status_code == 302
    events(personas, 2)
    db.session.commit()
    report = verify_chain()
    assert report.ok, report.problem
    assert report.count == db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def test_a_changed_event_is_reported_with_exit_1(personas, run_cli):
    _first, second, _third = events(personas)
    db.session.commit()
    without_triggers(
        "UPDATE audit_event SET data = :data WHERE id = :id", data='{"amount": "1.00", "n": 1}', id=second.id
    )
    result = run_cli("audit", "verify")
    assert result.exit_code == 1
    assert f"záznamu #{second.id}" in result.output and "obsah neodpovídá uloženému otisku" in result.output


def test_a_deleted_event_is_reported_at_the_next_one(personas, run_cli):
    first, second, third = events(personas)
    db.session.commit()
    without_triggers("DELETE FROM audit_event WHERE id = :id", id=second.id)
    result = run_cli("audit", "verify")
    assert result.exit_code == 1
    assert f"záznamu #{third.id}" in result.output and f"otisk záznamu #{first.id}" in result.output


def test_a_rewritten_hash_is_reported_too(personas):
    *_, third = events(personas)
    db.session.commit()
    without_triggers("UPDATE audit_event SET hash = :hash WHERE id = :id", hash="f" * 64, id=third.id)
    report = verify_chain()
    assert not report.ok and report.broken_id == third.id


def test_the_migration_chains_existing_events_and_the_triggers_survive(tmp_path):
    # On SQLite whichever database the suite runs on: batch mode (which drops triggers) is SQLite's.
    app = create_app(config_for_tests(f"sqlite:///{tmp_path}/chain.db"))
    with app.app_context():
        directory = app.config["MIGRATIONS_DIR"]
        upgrade(directory=directory, revision="0007")
        with db.engine.begin() as conn:
            for n, when in enumerate(["2014-03-01 08:00:00", "2014-03-01 08:00:00.250000", "2015-01-02 09:30:00"]):
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_event (occurred_at, actor_label, action, object_type, object_id, data) "
                        "VALUES (:when, 'systém', 'demand.created', 'demand', :n, :data)"
                    ),
                    {"when": when, "n": n, "data": f'{{"value": "{n}00.00", "invited": ["26742101"]}}'},
                )
        upgrade(directory=directory)
        report = verify_chain()
        assert report.ok and report.count == 3, report.problem
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_event"))
        db.session.rollback()
        downgrade(directory=directory, revision="0007")
        with db.engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() == 3
            conn.execute(sa.text("DELETE FROM audit_event WHERE object_id = 0"))  # no triggers any more
        db.engine.dispose()


# --- appending at the same moment -----------------------------------------------------------------
def test_two_transactions_appending_at_once_keep_one_chain(race_app, monkeypatch):  # noqa: F811
    """Each thread appends events in transactions of its own; reading the last hash is slowed so that
    without the chain lock both would continue from the same event."""
    read_last_hash = audit._last_hash

    def slow_last_hash():
        found = read_last_hash()
        time.sleep(0.05)
        return found

    monkeypatch.setattr(audit, "_last_hash", slow_last_hash)
    barrier, failures = threading.Barrier(2, timeout=30), []

    def append(worker: int) -> None:
        with race_app.app_context():
            barrier.wait()
            for n in range(8):
                try:
                    kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
                    record("kraj.tested", kraj, {"worker": worker, "n": n})
                    record("kraj.tested_again", kraj, {"worker": worker, "n": n})
                    db.session.commit()
                except Exception as error:  # the test's outcome: no append may fail
                    db.session.rollback()
                    failures.append(error)

    threads = [threading.Thread(target=append, args=(worker,)) for worker in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with race_app.app_context():
        report = verify_chain()
        assert report.ok, report.problem
        assert report.count == 32


# --- who asked ------------------------------------------------------------------------------------
WATCHERS = ("ospod", "kraj", "admin", "ministry")


def pages_of(login, personas, demand, who: str) -> str:
    client = login(personas[who])
    paths = [f"/demands/{demand.id}", "/demands/", "/notifications/"]
    if who == "admin":
        paths.append("/admin/outbox/")
    pages = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (who, path)
        pages.append(response.get_data(as_text=True))
    return "\n".join(pages)


def test_nobody_sees_which_provider_asked_a_question(login, personas, kraj_pak):
    asker = personas.provider
    other = ProviderFactory(name="Jiný poskytovatel, z.s.")
    make_framework(kraj_pak, providers=[asker.provider, other])
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    # The invited providers are listed on the demand anyway; what matters is that asking adds no trace.
    identity = (asker.provider.name, asker.provider.ico, asker.email, asker.name)
    before = {who: pages_of(login, personas, demand, who) for who in WATCHERS}

    response = login(asker).post(f"/demands/{demand.id}/questions", data={"question": "Lze začít později?"})
    assert response.status_code == 302

    for who in WATCHERS:
        page = pages_of(login, personas, demand, who)
        assert "Lze začít později?" in page or who != "ospod"
        for trace in identity:
            assert page.count(trace) == before[who].count(trace), (who, trace)
    for who in WATCHERS:
        page = login(personas[who]).get(f"/demands/{demand.id}").get_data(as_text=True)
        assert "poskytovatel (anonymně)" in page and asker.email not in page, who
    # The trail itself still knows.
    asked = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "demand.question_asked")).one()
    assert asked.actor_id == asker.id and asked.actor_label == asker.email
