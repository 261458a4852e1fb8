"""Exports kept in the store: the open-data package and the spend CSV are built whole into a file
(in the background when large) and served from it with HTTP's caching and ranges; rebuilt when the data
change, one build at a time; a cached file goes only to the scope it was made for; the Excel job of the
same request over the same data is taken again; a build that fails never reaches a client as a 200."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock, storage
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract
from minitendr.db import db
from minitendr.permissions import reader_of_scope, subcontract_scope, subcontract_scope_key
from minitendr.reports import exports, jobs, ocds
from minitendr.reports.models import ExportFile, ExportJob, JobStatus
from minitendr.seeding.synthetic import generate
from tests.ocds_validation import OCDS_DIR, codelist_errors, validator

PACKAGE = "/open-data/ocds.json"


@pytest.fixture(autouse=True)
def _store_of_this_test(app, tmp_path, monkeypatch):
    """Each test gets an empty export store, and large files are rebuilt as soon as the data change
    (production waits ``EXPORT_REFRESH_SECONDS`` between two rebuilds)."""
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.setitem(app.config, "EXPORT_REFRESH_SECONDS", 0)


@pytest.fixture
def synthetic(app):
    generate(300, seed=5)
    db.session.commit()


@pytest.fixture
def in_background(app, monkeypatch):
    """Builds go to a thread that does not run yet: ``in_background.run()`` runs what was handed over."""

    class Background(list):
        def run(self) -> None:
            while self:
                jobs.build(app, self.pop(0))

    handed: Background = Background()
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "thread")
    monkeypatch.setattr(jobs, "build_in_thread", lambda _app, key: handed.append(key))
    return handed


def _package_key(app) -> str:
    with app.test_request_context():
        from minitendr.notifications.service import absolute_link

        return jobs.request_key("ocds.json", "public", {"uri": absolute_link("reports.ocds_package")})


def _confirm_a_drawdown(objects) -> None:
    """A change of money: the package's transactions and the CSV's drawn amount both change."""
    from minitendr.contracts.service import confirm_drawdown

    confirm_drawdown(db.session.get(Drawdown, objects["drawdown_id"]))
    db.session.commit()


# --- the open-data package ------------------------------------------------------------------------
def test_the_package_is_503_with_retry_after_until_its_first_file_is_built(app, client, objects, in_background):
    first = client.get(PACKAGE)
    assert first.status_code == 503 and int(first.headers["Retry-After"]) > 0
    assert in_background == [_package_key(app)]  # the build was started, once
    assert client.get(PACKAGE).status_code == 503 and len(in_background) == 1  # … and not again

    in_background.run()
    served = client.get(PACKAGE)
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert int(served.headers["Content-Length"]) == len(served.data)
    assert served.headers["ETag"] and served.headers["Last-Modified"]
    package = json.loads(served.data)
    assert [r["ocid"] for r in package["releases"]] == ["ocds-mtndr1-" + _past_number(objects)]


def _past_number(objects) -> str:
    from minitendr.demands.models import Demand

    return db.session.get(Demand, objects["past_demand_id"]).number


@pytest.mark.skipif(not OCDS_DIR.exists(), reason=f"the OCDS schema is not at {OCDS_DIR}")
def test_the_served_package_validates_and_holds_no_sealed_bid(client, objects):
    from minitendr.demands.models import Demand

    text = client.get(PACKAGE).get_data(as_text=True)
    package = json.loads(text)
    assert list(validator().iter_errors(package)) == [] and codelist_errors(package) == []
    open_demand = db.session.get(Demand, objects["demand_id"])
    assert f'"{open_demand.number}"' not in text and open_demand.case_reference not in text


def test_the_package_answers_conditional_and_range_requests(client, objects):
    whole = client.get(PACKAGE)
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]
    assert client.get(PACKAGE, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(PACKAGE, headers={"If-Modified-Since": modified}).status_code == 304
    part = client.get(PACKAGE, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == whole.data[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(whole.data)}"
    rest = client.get(PACKAGE, headers={"Range": "bytes=100-", "If-Range": etag})
    assert rest.status_code == 206 and whole.data[:100] + rest.data == whole.data


def test_the_package_is_rebuilt_when_the_data_change_and_only_then(app, client, objects, monkeypatch):
    built: list[str] = []
    build = jobs.build
    monkeypatch.setattr(jobs, "build", lambda app_, key: built.append(key) or build(app_, key))
    first = client.get(PACKAGE)
    again = client.get(PACKAGE)
    assert len(built) == 1 and again.headers["ETag"] == first.headers["ETag"]  # nothing changed: no build

    _confirm_a_drawdown(objects)
    changed = client.get(PACKAGE)
    assert len(built) == 2 and changed.headers["ETag"] != first.headers["ETag"]
    transactions = json.loads(changed.data)["releases"][0]["contracts"][0]["implementation"]["transactions"]
    assert len(transactions) == 1
    assert client.get(PACKAGE, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_a_new_sealed_bid_rebuilds_the_package_to_the_same_file_and_etag(app, client, objects, personas):
    """A bid is audited, so the data version moves; the package comes out the same and keeps its file,
    its ETag and its time: nobody polling the open data learns that someone has bid."""
    from minitendr.bids import service as bids
    from minitendr.bids.models import Bid

    before = client.get(PACKAGE)
    bids.withdraw_bid(db.session.get(Bid, objects["bid_id"]))
    db.session.commit()
    row = db.session.get(ExportFile, _package_key(app))
    assert row.version != jobs.data_version()
    after = client.get(PACKAGE)
    db.session.refresh(row)
    assert row.version == jobs.data_version()  # rebuilt …
    assert after.headers["ETag"] == before.headers["ETag"] and after.data == before.data  # … to the same file
    assert after.headers["Last-Modified"] == before.headers["Last-Modified"]


def test_an_older_package_is_served_while_the_new_one_is_built(app, client, objects, in_background):
    in_background.run()
    client.get(PACKAGE)
    in_background.run()
    old = client.get(PACKAGE)
    assert old.status_code == 200

    _confirm_a_drawdown(objects)
    stale = client.get(PACKAGE)
    assert stale.status_code == 200 and stale.data == old.data and len(in_background) == 1
    assert client.get(PACKAGE).status_code == 200 and len(in_background) == 1  # one rebuild at a time
    in_background.run()
    assert client.get(PACKAGE).headers["ETag"] != old.headers["ETag"]


def test_one_build_at_a_time_across_hosts_until_it_is_taken_for_dead(app):
    args = ("ocds.json", "public", {"uri": "https://x.example/open-data/ocds.json"})
    key = jobs.request_key(*args)
    assert jobs.claim(key, *args) is True
    assert jobs.claim(key, *args) is False  # a second host (or request) does not build it too
    with clock.frozen_at(clock.now() + jobs.BUILD_TIMEOUT + dt.timedelta(minutes=1)):
        assert jobs.claim(key, *args) is True  # the first builder died: another takes over
        assert jobs.claim(key, *args) is False


def test_a_failing_build_is_never_served_as_a_complete_looking_200(app, client, objects, monkeypatch):
    """A build that breaks half-way leaves nothing in the store: before the first package the answer
    stays 503, afterwards the last complete package is served whole; the failure is recorded."""
    calls = {"n": 0}
    release = ocds.release

    def breaks_at_the_second(*args):
        calls["n"] += 1
        if calls["n"] >= 2:
            raise RuntimeError("databáze spadla uprostřed exportu")
        return release(*args)

    monkeypatch.setattr(ocds, "release", breaks_at_the_second)
    monkeypatch.setattr(ocds, "BATCH", 1)
    generate(3, seed=2)
    db.session.commit()
    failed = client.get(PACKAGE)
    assert failed.status_code == 503 and calls["n"] == 2
    row = db.session.get(ExportFile, _package_key(app))
    assert row.version is None and "spadla" in row.error and row.building_since is None
    assert storage.area("exports").stat(jobs.file_name(row.key, row.kind)) is None

    monkeypatch.setattr(ocds, "release", release)
    whole = client.get(PACKAGE)
    assert whole.status_code == 200 and len(json.loads(whole.data)["releases"]) == 4
    monkeypatch.setattr(ocds, "release", breaks_at_the_second)
    calls["n"] = 0
    _confirm_a_drawdown(objects)
    served = client.get(PACKAGE)
    assert served.status_code == 200 and served.data == whole.data  # the last complete one, whole


# --- the spend CSV --------------------------------------------------------------------------------
def test_a_large_spend_csv_is_built_in_the_background_and_served_from_the_store(
    app, login, synthetic, personas, in_background, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_SYNC_LIMIT", 10)
    client = login(personas.ministry)
    assert client.get("/reports/spend.csv").status_code == 503 and len(in_background) == 1
    in_background.run()
    served = client.get("/reports/spend.csv")
    assert served.status_code == 200 and served.headers["Content-Length"] == str(len(served.data))
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["Cache-Control"] == "no-store"  # one scope's figures: no cache keeps them
    assert len(_rows(served.data)) == 301
    assert client.get("/reports/spend.csv", headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
    assert login(personas.admin).get("/reports/spend.csv").data == served.data  # same scope, same file


def test_a_small_spend_csv_is_made_whole_before_it_is_sent_and_kept(login, synthetic, personas, monkeypatch):
    client = login(personas.kraj)
    first = client.get("/reports/spend.csv?year=2024")
    assert first.status_code == 200 and first.headers["Content-Length"] == str(len(first.data))
    made = []
    monkeypatch.setattr(exports, "write_csv", lambda *a: made.append(a))
    again = client.get("/reports/spend.csv?year=2024")
    assert made == [] and again.data == first.data  # the same request again: from the store


def test_a_failing_small_csv_is_a_500_and_leaves_nothing(app, login, synthetic, personas, monkeypatch):
    def breaks(stream, filters, user):
        stream.write("Číslo;Kraj\r\nDS-1;půlka")
        raise RuntimeError("spojení s databází se přerušilo")

    monkeypatch.setattr(exports, "write_csv", breaks)
    response = login(personas.ministry).get("/reports/spend.csv")
    assert response.status_code == 500 and b"DS-1" not in response.data
    row = db.session.scalars(sa.select(ExportFile)).one()
    assert row.version is None and row.building_since is None and "přerušilo" in row.error
    assert storage.area("exports").stat(jobs.file_name(row.key, row.kind)) is None


def _rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def _kraje(raw: bytes) -> set[str]:
    return {row[1] for row in _rows(raw)[1:]}


@pytest.mark.parametrize("large", [False, True])
def test_a_cached_spend_file_goes_only_to_the_scope_it_was_made_for(
    app, login, synthetic, personas, kraj_pak, kraj_kvk, large, monkeypatch
):
    """Kraj A's file, made first and kept, is never what kraj B, an ORP or a provider gets — with or
    without filters, whether made here or in the background."""
    if large:
        monkeypatch.setitem(app.config, "EXPORT_SYNC_LIMIT", 1)
    from tests.factories import UserFactory

    pak = login(personas.kraj).get("/reports/spend.csv").data
    assert _kraje(pak) == {kraj_pak.name}
    kvk = login(personas.kraj_other).get("/reports/spend.csv").data
    assert _kraje(kvk) == {kraj_kvk.name} and kvk != pak
    for user in (personas.ospod, personas.ospod_other):
        orp = {row[2] for row in _rows(login(user).get("/reports/spend.csv").data)[1:]}
        assert orp <= {user.orp.name}
    from minitendr.providers.models import Provider

    provider = db.session.get(Provider, db.session.scalar(sa.select(SubContract.provider_id).limit(1)))
    account = UserFactory(email="p@synth.cz", role=personas.provider.role, provider=provider)
    own = _rows(login(account).get("/reports/spend.csv").data)[1:]
    assert own and {row[6] for row in own} == {provider.ico}
    # The same filters by two scopes are two files: a provider filter in kraj B is not kraj A's.
    ico = provider.ico
    assert _kraje(login(personas.kraj_other).get(f"/reports/spend.csv?provider={ico}").data) <= {kraj_kvk.name}
    assert _kraje(login(personas.kraj).get(f"/reports/spend.csv?provider={ico}").data) <= {kraj_pak.name}
    # A second official of kraj A shares kraj A's file.
    colleague = UserFactory(email="kraj2.pak@test.cz", role=personas.kraj.role, kraj=kraj_pak)
    assert login(colleague).get("/reports/spend.csv").data == pak
    keys = {row.scope for row in db.session.scalars(sa.select(ExportFile))}
    assert keys >= {f"kraj:{kraj_pak.id}", f"kraj:{kraj_kvk.id}", f"provider:{provider.id}"}


@pytest.mark.parametrize("persona", ["admin", "ministry", "kraj", "kraj_other", "ospod", "ospod_other", "provider"])
def test_the_reader_of_a_scope_sees_exactly_what_its_users_see(synthetic, personas, persona):
    user = personas[persona]
    ids = sa.select(SubContract.id).order_by(SubContract.id)
    reader = reader_of_scope(subcontract_scope_key(user))
    assert subcontract_scope_key(reader) == subcontract_scope_key(user)
    assert (
        db.session.scalars(ids.where(subcontract_scope(reader))).all()
        == db.session.scalars(ids.where(subcontract_scope(user))).all()
    )


def test_scopes_of_different_users_never_share_a_name(personas):
    names = {persona: subcontract_scope_key(personas[persona]) for persona in ("kraj", "kraj_other", "ospod")}
    names |= {p: subcontract_scope_key(personas[p]) for p in ("ospod_other", "provider", "interloper", "ministry")}
    assert len(set(names.values())) == len(names)
    assert subcontract_scope_key(personas.admin) == subcontract_scope_key(personas.ministry) == "national"


# --- the CSV's format -----------------------------------------------------------------------------
def _csv_as_before(subcontracts) -> bytes:
    """The CSV exactly as the export wrote it before the database formatted its cells: Decimal money
    with two places and a decimal comma, d.m.yyyy dates, texts through csv_text."""

    def cell(value) -> str:
        if isinstance(value, Decimal):
            return f"{value:.2f}".replace(".", ",")
        if isinstance(value, dt.date):
            return f"{value.day}.{value.month}.{value.year}"
        return exports.csv_text(str(value))

    from minitendr.contracts.service import drawn

    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(exports.DETAIL_COLUMNS)
    for s in subcontracts:
        values = (s.number, s.orp.kraj.name, s.orp.name, s.category.name, s.service_type.name, s.provider.name)
        values += (s.provider.ico, s.signed_on, s.start_date, s.end_date, s.units, s.unit_price, s.value)
        writer.writerow([cell(v) for v in (*values, drawn(s), s.status.label)])
    return buffer.getvalue().encode()


def test_the_csv_is_byte_for_byte_the_format_it_was(login, personas, synthetic):
    from minitendr.providers.models import Provider

    subcontracts = db.session.scalars(sa.select(SubContract).order_by(SubContract.id)).all()
    odd = subcontracts[0]
    odd.value, odd.unit_price, odd.units = Decimal("12345.67"), Decimal("0.05"), Decimal("2.50")
    odd.provider.name = '=HYPERLINK("http://x";"y") "uvozovky"; středník'
    db.session.get(Provider, subcontracts[1].provider_id).ico = "00216208"
    odd.drawdowns.append(
        Drawdown(
            period=dt.date(2024, 1, 1),
            units=Decimal("1"),
            amount=Decimal("0.10"),
            status=DrawdownStatus.CONFIRMED,
            reported_at=clock.now(),
            decided_at=clock.now(),
        )
    )
    db.session.commit()
    served = login(personas.ministry).get("/reports/spend.csv").data
    assert served == _csv_as_before(subcontracts)
    assert "12345,67" in served.decode() and ";0,05;" in served.decode()


def test_amounts_and_dates_made_in_python_for_sqlite_read_as_sqlite_would_write_them():
    """The SQLite CSV formats its cells in Python: the same text as SQLite's own ``printf`` and
    ``substr`` made of them (``_sql_money``, ``_sql_date``) — whole amounts, haléře, large amounts,
    and sums of doubles that are not exactly their haléř."""
    import random
    import sqlite3

    dice = random.Random(16)
    amounts: list[int | float] = [0, 7, 50000, 999_999_999_999, 0.05, 0.1 + 0.2, 12345.67, 99_999_999_999.99]
    amounts += [dice.randrange(1, 10**12) / 100 for _ in range(2000)]
    amounts += [sum(dice.randrange(1, 10**7) / 100 for _ in range(60)) for _ in range(500)]
    days = ["2026-03-05", "2024-12-31", "2013-01-10", "2031-10-01"]
    connection = sqlite3.connect(":memory:")
    try:
        for value in amounts:
            (expected,) = connection.execute(
                "SELECT CASE WHEN typeof(?1) = 'integer' THEN CAST(?1 AS TEXT) || ',00' "
                "ELSE replace(printf('%.2f', ?1), '.', ',') END",
                (value,),
            ).fetchone()
            assert exports._czech_amount(value) == expected, value
        for day in days:
            (expected,) = connection.execute(
                "SELECT CAST(substr(?1, 9, 2) + 0 AS TEXT) || '.' || CAST(substr(?1, 6, 2) + 0 AS TEXT) || '.' "
                "|| substr(?1, 1, 4)",
                (day,),
            ).fetchone()
            assert exports._czech_day(day) == expected
    finally:
        connection.close()


# --- the workbook ---------------------------------------------------------------------------------
def test_the_same_workbook_again_is_the_finished_one(login, synthetic, personas, monkeypatch):
    client = login(personas.kraj)
    first = client.get("/reports/spend.xlsx?year=2024")
    assert first.status_code == 200
    jobs_before = db.session.scalars(sa.select(ExportJob)).all()
    made = []
    monkeypatch.setattr(exports, "write_workbook", lambda *a, **k: made.append(a))
    again = client.get("/reports/spend.xlsx?year=2024")
    assert made == [] and again.data == first.data
    assert db.session.scalars(sa.select(ExportJob)).all() == jobs_before
    # Another user, even of the same scope, gets a workbook of their own (it names who exported it).
    from tests.factories import UserFactory

    colleague = UserFactory(email="kolega@test.cz", role=personas.kraj.role, kraj=personas.kraj.kraj)
    login(colleague).get("/reports/spend.xlsx?year=2024")
    assert len(made) == 1


def test_a_large_workbook_job_is_taken_again_until_the_data_change(
    app, login, objects, synthetic, personas, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_SYNC_LIMIT", 10)
    client = login(personas.kraj)
    first = client.get("/reports/spend.xlsx")
    again = client.get("/reports/spend.xlsx")
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    job = db.session.scalars(sa.select(ExportJob).where(ExportJob.user_id == personas.kraj.id)).one()
    assert job.status is JobStatus.DONE
    assert client.get(f"/reports/jobs/{job.id}/download").status_code == 200

    _confirm_a_drawdown(objects)
    changed = client.get("/reports/spend.xlsx")
    assert changed.headers["Location"] != first.headers["Location"]


def test_renamed_reference_data_outdate_every_export(login, synthetic, personas, kraj_pak):
    """Reference data are reloaded without audit events (``minitendr seed reference``), which therefore
    outdates every file: the next request makes it again with the new names."""
    client = login(personas.kraj)
    assert _kraje(client.get("/reports/spend.csv").data) == {"Pardubický kraj"}
    kraj_pak.name = "Kraj Pardubický"
    jobs.outdate_all()
    db.session.commit()
    assert _kraje(client.get("/reports/spend.csv").data) == {"Kraj Pardubický"}


def test_the_package_is_built_in_a_worker_thread_while_clients_are_told_to_come_back(tmp_path):
    """The default runner, on a database of its own (no test transaction around it): the first client
    is told to come back, the thread builds the package, and then it is served."""
    import time
    from pathlib import Path

    from flask_migrate import upgrade

    from minitendr import create_app
    from minitendr.registry.service import load_reference_data
    from tests.conftest import IsolatedClient, config_for_tests

    app = create_app(
        config_for_tests(f"sqlite:///{tmp_path}/own.db")
        | {"EXPORT_RUNNER": "thread", "EXPORTS_DIR": str(tmp_path / "exports")}
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        load_reference_data(Path(app.config["SEED_DIR"]))
        generate(1000, seed=8)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    assert client.get(PACKAGE).status_code == 503
    deadline = time.monotonic() + 180  # a loaded CI machine (two suites, xdist) builds slowly
    while (response := client.get(PACKAGE)).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert response.status_code == 200 and len(json.loads(response.data)["releases"]) == 1000
    with app.app_context():
        row = db.session.scalars(sa.select(ExportFile)).one()
        assert row.building_since is None and row.rows == 1000 and row.version == jobs.data_version()
        db.engine.dispose()


# --- the purge of old exports -----------------------------------------------------------------------
def _old_and_new_exports(personas) -> tuple[list, list]:
    """An export job and an export file eight days old and one of each from today, their files in the
    store: (old names, new names)."""
    area = storage.area("exports")
    names: dict[str, list] = {"old": [], "new": []}
    for age, days in (("old", 8), ("new", 0)):
        when = clock.now() - dt.timedelta(days=days)
        job = ExportJob(user_id=personas.ministry.id, kind="spend.xlsx", status=JobStatus.DONE, created_at=when)
        job.filename = f"{age}-job.xlsx"
        key = jobs.request_key("spend.csv", "national", {"age": age})
        db.session.add_all(
            [job, ExportFile(key=key, kind="spend.csv", scope="national", params={}, version="1", built_at=when)]
        )
        for name in (job.filename, jobs.file_name(key, "spend.csv")):
            area.put_bytes(name, b"x")
            names[age].append(name)
    db.session.commit()
    return names["old"], names["new"]


def test_exports_purge_removes_old_jobs_and_files_and_keeps_the_new(run_cli, personas, store):
    old, new = _old_and_new_exports(personas)
    result = run_cli("exports", "purge")
    assert result.exit_code == 0, result.output
    assert "Smazáno exportů: 2." in result.output
    area = storage.area("exports")
    assert [area.stat(name) is None for name in old + new] == [True, True, False, False]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(ExportJob.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(ExportFile.key))) == 1
    assert "Smazáno exportů: 0." in run_cli("exports", "purge", "--days", "1").output  # again: nothing
    assert run_cli("exports", "purge", "--days", "-1").exit_code != 0  # refused, nothing done


def test_the_purge_comes_with_the_export_work_at_most_hourly(app, personas, monkeypatch):
    """In threads: a host purges an hour after its first export, and then at most hourly. With RQ:
    one purge an hour for all hosts (a Redis key), enqueued beside the exports."""
    purged: list[object] = []
    monkeypatch.setattr(jobs, "purge_in_thread", lambda app_: purged.append(app_))
    monkeypatch.setattr(jobs, "_purged_at", {})
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "thread")
    start = clock.now()
    for minutes in (0, 30, 61, 62, 130):
        with clock.frozen_at(start + dt.timedelta(minutes=minutes)):
            jobs.schedule_purge()
    assert len(purged) == 2  # at 61 and at 130 minutes
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "inline")
    jobs.schedule_purge()
    assert len(purged) == 2  # inline: the command line's cron does it

    from tests.test_sessions import redis_url

    url = redis_url()
    if url is None:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    from redis import Redis
    from rq import Queue

    enqueued: list[str] = []
    monkeypatch.setattr(Queue, "enqueue", lambda _queue, name, *a, **k: enqueued.append(name))
    monkeypatch.setattr(jobs, "PURGE_LOCK", f"minitendr:test:purge:{uuid.uuid4().hex}")
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    try:
        for _ in range(3):
            jobs.schedule_purge()
        assert enqueued == ["minitendr.reports.jobs.purge_in_worker"]
    finally:
        Redis.from_url(url).delete(jobs.PURGE_LOCK)
