"""Fixtures: the application on SQLite (default) or PostgreSQL (``MINITENDR_TEST_DATABASE_URL``),
one transaction per test rolled back afterwards, and one persona per role.

The schema is built by the migrations (so every run also proves ``db upgrade`` works) and the
reference data is loaded once; each test then runs inside a transaction on a single connection that
the application's session joins with savepoints, so commits in views stay inside the test.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import fcntl
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier
from flask_migrate import upgrade

from minitendr import clock, create_app
from minitendr.auth import sessions
from minitendr.auth.models import Role, User
from minitendr.cli import cli
from minitendr.db import db
from minitendr.extensions import limiter
from minitendr.network.census import load_census
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp
from minitendr.registry.service import load_reference_data
from minitendr.sealing import new_key
from tests.factories import ProviderFactory, UserFactory


def _database_of_this_worker(url: str | None) -> str | None:
    """Under pytest-xdist each worker runs on a PostgreSQL database of its own beside the given one: the
    suite rebuilds the schema at the start and some tests commit for real. Dropped when the worker ends."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parsed = sa.make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


PG_URL = _database_of_this_worker(os.environ.get("MINITENDR_TEST_DATABASE_URL"))
if PG_URL:  # what tests/live and tests/benchmarks read
    os.environ["MINITENDR_TEST_DATABASE_URL"] = PG_URL
# SQLite plans a query by its shape, PostgreSQL by the size of the tables: a test of a query plan runs on
# SQLite (the benchmark's report checks PostgreSQL's at 100 000 rows). Skipped before its fixtures are made.
SQLITE_PLANS = pytest.mark.skipif(PG_URL is not None, reason="PostgreSQL plans by the size of the tables")
# A working Monday morning in Prague: a minitender published now gets the default deadline 7. 12. 12:00.
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=clock.PRAGUE)
# Each run seals its bids under a key of its own, as production does under MINITENDR_BID_KEY.
TEST_BID_KEY = new_key()


def config_for_tests(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "tajny-klic-pro-testy",
        "BID_KEY": TEST_BID_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "EXPORT_RUNNER": "inline",
        # Tests move the clock by days (deadlines, periods) between requests of one session; the time
        # limits of sessions are switched on by the tests about them (tests/test_sessions.py).
        "SESSION_IDLE_TIMEOUT": None,
        "SESSION_MAX_AGE": None,
    }


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as it would in production: its own application context,
    ``g`` and database session, not the ones the test itself holds open."""

    def open(self, *args, **kwargs):
        # Buffered: a streamed body is read inside the same context that produced it.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if PG_URL:
        return PG_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory) -> Flask:
    attachments = str(tmp_path_factory.mktemp("attachments"))
    exports = str(tmp_path_factory.mktemp("exports"))
    documents = str(tmp_path_factory.mktemp("documents"))
    app = create_app(
        config_for_tests(database_url)
        | {"ATTACHMENTS_DIR": attachments, "EXPORTS_DIR": exports, "DOCUMENTS_DIR": documents}
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        load_reference_data(Path(app.config["SEED_DIR"]))
        load_census(Path(app.config["SEED_DIR"]))  # service network: children per ORP
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client whose every request runs in a fresh context (see ``IsolatedClient``)."""
    return app.test_client()


@pytest.fixture
def separate_app(app: Flask, tmp_path):
    """``separate_app(**settings)``: another application, as on another host, with settings the suite's
    application has not (Redis, proxies), on a SQLite database of its own built from the models and
    holding one account, ``admin@test.cz`` (``database_of=other`` shares another one's database).

    The rate limiter is one object shared by every application of the process: it goes back to the
    suite's storage afterwards."""
    made: list[Flask] = []

    def _make(database_of: Flask | None = None, **settings) -> Flask:
        url = database_of.config["SQLALCHEMY_DATABASE_URI"] if database_of else f"sqlite:///{tmp_path}/{len(made)}.db"
        other = create_app(config_for_tests(url) | settings)
        other.test_client_class = IsolatedClient
        made.append(other)
        if database_of is None:
            with other.app_context():
                db.create_all()
                UserFactory(email="admin@test.cz", role=Role.ADMIN)
                db.session.commit()
        return other

    yield _make
    for other in made:
        with other.app_context():
            db.engine.dispose()
    limiter.init_app(app)
    limiter._storage_dead = False  # the flag of the in-memory fallback is the limiter's, not an app's


S3_BUCKET = "minitendr-test"
# moto accepts any credentials; boto3 reads them from the environment as production reads real ones.
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port for the whole run, with the bucket ``S3_BUCKET``."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in S3_CREDENTIALS.items():
            patch.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=S3_BUCKET)
        yield endpoint
    server.stop()


@pytest.fixture(params=["folder", "s3"])
def store(request, app: Flask, monkeypatch) -> str:
    """Runs a test twice: with the files in the instance's folders, then in S3 (moto) under a prefix
    of the test's own."""
    if request.param == "s3":
        monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{S3_BUCKET}/{uuid.uuid4().hex}")
        monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", request.getfixturevalue("s3_endpoint"))
    return request.param


@dataclass(frozen=True)
class DemoDatabase:
    """The pilot demo as ``minitendr demo --no-serve`` left it: a SQLite file, the bid key in a file
    beside it (as the command keeps it), and what the command printed."""

    path: Path
    exit_code: int
    output: str

    @property
    def key_file(self) -> Path:
        return self.path.with_name(self.path.name + ".bid-key")

    @property
    def key(self) -> str:
        return self.key_file.read_text().strip()

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def copy_to(self, folder: Path) -> DemoDatabase:
        """A copy of the database and its key that a test may change (SQLite's online backup, so the
        copy is whole whatever the write-ahead log still holds)."""
        target = folder / self.path.name
        source, copy = sqlite3.connect(self.path), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        shutil.copy2(self.key_file, target.with_name(self.key_file.name))
        return DemoDatabase(target, self.exit_code, self.output)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> DemoDatabase:
    """``minitendr demo --no-serve`` once for the whole run (replaying the pilot is the slowest thing the
    suite does), into a SQLite file of its own. Shared by every test that needs the pilot, so it is
    read, never written: a test that writes works on ``demo_database.copy_to(tmp_path)`` or ``demo_app``."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        result = CliRunner().invoke(cli, ["demo", "--database", str(path), "--no-serve"], catch_exceptions=False)
        return DemoDatabase(path, result.exit_code, result.output)
    # Under pytest-xdist the workers share one replay: the first to need it writes it into the run's
    # common folder while the others wait on the lock, then read the same file.
    folder = tmp_path_factory.getbasetemp().parent / "demo"
    folder.mkdir(exist_ok=True)
    path, made = folder / "demo.db", folder / "demo.json"
    with (folder / "demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            result = CliRunner().invoke(cli, ["demo", "--database", str(path), "--no-serve"], catch_exceptions=False)
            made.write_text(json.dumps({"exit_code": result.exit_code, "output": result.output}))
        replay = json.loads(made.read_text())
    return DemoDatabase(path, replay["exit_code"], replay["output"])


@pytest.fixture
def demo_app(app: Flask, demo_database: DemoDatabase, tmp_path) -> Iterator[Flask]:
    """The application on a copy of the demo database, under the demo's bid key, its context pushed
    (``db.session`` is the demo's for the test). Afterwards the shared rate limiter goes back to the
    suite's application."""
    copy = demo_database.copy_to(tmp_path)
    demo = create_app(config_for_tests(copy.url) | {"BID_KEY": copy.key})
    demo.test_client_class = IsolatedClient
    try:
        with demo.app_context():
            yield demo
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.init_app(app)
        limiter._storage_dead = False


@pytest.fixture
def run_cli(app: Flask):
    """``run_cli("users", "create", ...)``: the command runs in its own context and session, as from
    a shell, and its commits stay inside the test's transaction."""
    runner = app.test_cli_runner()

    def _run(*args: str):
        return contextvars.Context().run(runner.invoke, args=list(args))

    return _run


@pytest.fixture(autouse=True)
def _request_context(app: Flask) -> Iterator[None]:
    """Each test runs inside a GET request context of the suite's application (as it did when the
    pytest-flask plugin pushed one): code a test calls directly sees ``has_request_context()`` and an
    anonymous ``current_user``, and on SQLite begins its transactions as a reader (deferred, not
    ``BEGIN IMMEDIATE``), so a test may write through a second connection while its session reads
    (tests/test_audit.py's migration test does)."""
    with app.test_request_context():
        yield


@contextlib.contextmanager
def _bound_to(connection: sa.Connection) -> Iterator[None]:
    """The application's sessions (``db.session`` and each request's) work on ``connection``: their
    commits release savepoints of its transaction, which the test fixtures roll back."""
    engines = db.engines
    engine = engines[None]
    engines[None] = connection
    factory = db.session.session_factory
    factory.kw["join_transaction_mode"] = "create_savepoint"
    db.session.remove()
    try:
        yield
    finally:
        db.session.remove()
        factory.kw.pop("join_transaction_mode", None)
        engines[None] = engine


@pytest.fixture(autouse=True)
def _transaction(app: Flask, request, _request_context: None):
    """Everything a test writes, its requests included, is rolled back when it ends (to a savepoint
    when its module shares objects: see ``shared_world``)."""
    shared = request.getfixturevalue("shared_world").connection if _shares_world(request) else None
    with app.app_context():
        connection = shared or db.engine.connect()
        outer = connection.begin_nested() if shared else connection.begin()
        limiter.reset()
        try:
            with _bound_to(connection):
                yield connection
        finally:
            outer.rollback()
            if not shared:
                connection.close()


@pytest.fixture
def statements(_transaction: sa.Connection):
    """Counts the SQL a block runs (the test's savepoints aside)::

    with statements() as ran:
        client.get("/subcontracts/")
    assert len(ran) <= 15
    """

    @contextlib.contextmanager
    def _recording() -> Iterator[list[str]]:
        ran: list[str] = []

        def record(connection, cursor, statement, parameters, context, executemany) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                ran.append(statement)

        sa.event.listen(_transaction, "before_cursor_execute", record)
        try:
            yield ran
        finally:
            sa.event.remove(_transaction, "before_cursor_execute", record)

    return _recording


@pytest.fixture
def monday():
    """The clock stands still at ``MONDAY`` for the test: ``pytestmark = pytest.mark.usefixtures("monday")``."""
    with clock.frozen_at(MONDAY):
        yield MONDAY


def kraj_of(code: str) -> Kraj:
    return db.session.execute(sa.select(Kraj).where(Kraj.code == code)).scalar_one()


def orp_of(code: str) -> Orp:
    return db.session.execute(sa.select(Orp).where(Orp.code == code)).scalar_one()


@pytest.fixture
def kraj_pak() -> Kraj:
    return kraj_of("CZ053")


@pytest.fixture
def kraj_kvk() -> Kraj:
    return kraj_of("CZ041")


@pytest.fixture
def orp_pardubice() -> Orp:
    return orp_of("5309")


@pytest.fixture
def orp_cheb() -> Orp:
    return orp_of("4102")


@dataclass
class Personas:
    """One user per role, and their counterparts elsewhere (who must be kept out)."""

    admin: User
    ministry: User
    kraj: User
    ospod: User
    provider: User
    kraj_other: User
    ospod_other: User
    interloper: User  # a provider of another organisation
    inactive: User

    def __getitem__(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


@pytest.fixture
def personas(request) -> Personas:
    if _shares_world(request):
        return request.getfixturevalue("shared_world").personas()
    return make_personas()


def make_personas() -> Personas:
    kraj_pak, kraj_kvk = kraj_of("CZ053"), kraj_of("CZ041")
    orp_pardubice, orp_cheb = orp_of("5309"), orp_of("4102")
    provider_org: Provider = ProviderFactory(name="Rodinné centrum Test, z.ú.")
    other_org: Provider = ProviderFactory(name="Cizí poskytovatel, z.s.")
    return Personas(
        admin=UserFactory(email="admin@test.cz", role=Role.ADMIN),
        ministry=UserFactory(email="mpsv@test.cz", role=Role.MINISTRY),
        kraj=UserFactory(email="kraj.pak@test.cz", role=Role.KRAJ, kraj=kraj_pak),
        ospod=UserFactory(email="ospod.pardubice@test.cz", role=Role.OSPOD, orp=orp_pardubice),
        # The provider's account manager too (minitendr.auth.colleagues); the interloper is not one.
        provider=UserFactory(
            email="poskytovatel@test.cz", role=Role.PROVIDER, provider=provider_org, manages_colleagues=True
        ),
        kraj_other=UserFactory(email="kraj.kvk@test.cz", role=Role.KRAJ, kraj=kraj_kvk),
        ospod_other=UserFactory(email="ospod.cheb@test.cz", role=Role.OSPOD, orp=orp_cheb),
        interloper=UserFactory(email="cizi@test.cz", role=Role.PROVIDER, provider=other_org),
        inactive=UserFactory(email="neaktivni@test.cz", role=Role.MINISTRY, active=False),
    )


def log_in(app: Flask, client, user: User | None) -> None:
    """Put ``user`` in the client's session the way logging in does (no slow password check)."""
    if user is None:
        return
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session["_id"] = identifier
        sessions.stamp(session, user)


@pytest.fixture
def login(app, client):
    """``login(user)`` logs the test client in as ``user`` and returns the client."""

    def _login(user: User | None):
        log_in(app, client, user)
        return client

    return _login


@pytest.fixture
def objects(request, personas, kraj_pak) -> dict[str, object]:
    """One of every kind of object, for the route tables: their ids by the names the URLs use."""
    if _shares_world(request):
        return request.getfixturevalue("shared_world").objects
    return make_objects(personas, kraj_pak)


def make_objects(personas: Personas, kraj_pak: Kraj) -> dict[str, object]:
    from minitendr.bids.service import score_bid
    from minitendr.committee.service import members as committee_members
    from minitendr.contracts.service import report_drawdown
    from minitendr.db import db
    from minitendr.demands.evaluation import award, open_envelopes
    from minitendr.demands.service import ask
    from minitendr.notifications.models import Notification
    from minitendr.registry.models import ServiceType
    from tests.factories import MINIMAL_PDF, make_bid, make_demand, make_framework, seat_committee

    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    demand = make_demand(personas.ospod, publish=True)
    draft = make_demand(personas.ospod)
    clarification = ask(demand, personas.provider.provider, "Lze službu poskytovat i o víkendu?")
    bid = make_bid(demand, personas.provider.provider, attachments=[("nabidka.pdf", MINIMAL_PDF)])
    with clock.frozen_at(clock.now() - dt.timedelta(days=20)):
        past = make_demand(personas.ospod, publish=True)
        past_bid = make_bid(past, personas.provider.provider, attachments=[("cenik.pdf", MINIMAL_PDF + b"%2")])
    seat_committee(past, personas.ospod)
    open_envelopes(past, personas.ospod)
    score_bid(past_bid, 80, "Splňuje zadání.", by=personas.ospod)
    subcontract = award(past, personas.ospod)
    drawdown = report_drawdown(
        subcontract,
        personas.provider.provider,
        period=clock.today(),
        units=Decimal("2"),
        amount=subcontract.unit_price * 2,
    )
    notification = db.session.scalars(
        db.select(Notification).where(Notification.user_id == personas.provider.id)
    ).first()
    # --- service network: a model of Pardubický kraj
    from minitendr.network.model_service import create_model

    network_model = create_model(
        kraj_pak, "Model sítě", dt.date(2026, 1, 1), dt.date(2026, 12, 31), Decimal(20), Decimal(50)
    )
    # --- kraj notices: one to the parties of the framework
    from minitendr.notices.service import send_notice

    notice = send_notice(kraj_pak, personas.kraj, "Oznámení kraje", "Text oznámení.", framework=framework)
    db.session.commit()
    return {
        "notice_id": notice.id,
        "network_model_id": network_model.id,
        "demand_id": demand.id,
        "bid_id": bid.id,
        "attachment_id": bid.attachments[0].id,
        "past_demand_id": past.id,
        "past_bid_id": past_bid.id,
        "past_attachment_id": past_bid.attachments[0].id,
        "subcontract_id": subcontract.id,
        "job_id": export_job(personas.admin),
        "drawdown_id": drawdown.id,
        "draft_id": draft.id,
        "clarification_id": clarification.id,
        "notification_id": notification.id,
        "victim_id": personas.inactive.id,
        "provider_id": personas.provider.provider_id,
        "service_type_id": db.session.scalars(db.select(ServiceType.id)).first(),
        "framework_id": framework.id,
        "party_id": framework.parties[0].id,
        # katalog služeb: an automatic entry of the persona provider's party
        **catalogue_entry(framework.parties[0].id),
        "member_id": committee_members(past)[0].id,
    }


def _shares_world(request) -> bool:
    return request.node.get_closest_marker("shared_world") is not None


@dataclass(frozen=True)
class SharedWorld:
    """The personas and objects a module made once, on the connection its tests run on."""

    connection: sa.Connection
    persona_ids: dict[str, int]
    objects: dict[str, object]

    def personas(self) -> Personas:
        """The personas as the test's session reads them (one statement)."""
        users = db.session.scalars(sa.select(User).where(User.id.in_(self.persona_ids.values())))
        by_id = {user.id: user for user in users}
        return Personas(**{name: by_id[user_id] for name, user_id in self.persona_ids.items()})


@pytest.fixture(scope="module")
def shared_world(app: Flask) -> Iterator[SharedWorld]:
    """Modules marked ``shared_world`` (the route tables: thousands of tests of a request each, over
    the same personas and objects) make them once: the module holds a connection and a transaction with
    them, and each of its tests runs in a savepoint on it, rolled back when the test ends as any test's
    transaction is. Everything is gone when the module ends."""
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    try:
        with app.test_request_context(), _bound_to(connection):
            personas = make_personas()
            objects = make_objects(personas, kraj_of("CZ053"))
            persona_ids = {name: getattr(personas, name).id for name in Personas.__dataclass_fields__}
        yield SharedWorld(connection, persona_ids, objects)
    finally:
        outer.rollback()
        connection.close()


def catalogue_entry(party_id: int) -> dict[str, object]:
    from minitendr.db import db
    from minitendr.network.models import CatalogueService

    entry = db.session.scalars(
        db.select(CatalogueService).where(CatalogueService.framework_party_id == party_id)
    ).first()
    assert entry is not None, "an active framework's party has its services in the catalogue"
    return {"catalogue_service_id": entry.id, "catalogue_service_uuid": entry.uuid}


def export_job(owner) -> str:
    """A finished export of ``owner`` (the runner is inline in tests)."""
    from minitendr.db import db
    from minitendr.reports import jobs

    job_id = jobs.start(owner, {}, 1).id
    db.session.commit()
    jobs.dispatch(job_id)
    return job_id


def pytest_sessionfinish(session, exitstatus) -> None:
    """A worker's own PostgreSQL database goes with the worker."""
    if not (PG_URL and os.environ.get("PYTEST_XDIST_WORKER")):
        return
    parsed = sa.make_url(PG_URL)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin.dispose()
