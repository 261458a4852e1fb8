"""The benchmark's databases: synthetic national data seeded once per database, size and seed, and kept
between runs (a rerun upgrades the schema to the newest migration and measures again, without
reseeding), with accounts for every role and their notifications and e-mails."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from minitendr import clock, create_app
from minitendr.auth.models import Role, User
from minitendr.contracts.models import SubContract
from minitendr.db import UTCDateTime, db
from minitendr.network.census import load_census
from minitendr.network.models import NetworkModel
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp
from minitendr.registry.service import load_reference_data
from minitendr.seeding.national import seed_national_network
from minitendr.seeding.synthetic import generate
from tests.conftest import IsolatedClient, config_for_tests

# The last account the preparation writes: when it is there, the database is complete.
ADMIN = "admin@bench.minitendr.test"
MINISTRY = "mpsv@bench.minitendr.test"
NO_PASSWORD = "!"  # no password hash matches it: nobody logs in to these accounts


@dataclass(frozen=True)
class Target:
    """A database the benchmark measures: ``dialect`` (sqlite or postgresql) seeded with ``size``
    sub-contracts from ``seed``."""

    dialect: str
    size: int
    seed: int
    url: str

    @property
    def label(self) -> str:
        return f"{'SQLite' if self.dialect == 'sqlite' else 'PostgreSQL'} {self.size:,}".replace(",", " ")


def sqlite_target(cache: Path, size: int, seed: int) -> Target:
    return Target("sqlite", size, seed, f"sqlite:///{cache / f'bench-{size}-s{seed}.db'}")


def postgres_target(base_url: str, size: int, seed: int) -> Target:
    """A database of its own beside the one ``base_url`` names: ``<name>_<size>_s<seed>``."""
    url = make_url(base_url)
    return Target("postgresql", size, seed, url.set(database=f"{url.database}_{size}_s{seed}").render_as_string(False))


@dataclass(frozen=True)
class Personas:
    """The accounts pages are measured as: user ids per role, and the kraj, ORP and provider bound to
    them (the busiest of each, so that their pages are the heaviest of their kind)."""

    users: dict[str, int]
    kraj: str  # NUTS code
    orp: str  # ČSÚ code
    provider: str  # IČO


def application(target: Target, bid_key: str, **settings) -> Flask:
    app = create_app(config_for_tests(target.url) | {"BID_KEY": bid_key} | settings)
    app.test_client_class = IsolatedClient
    return app


def _create_postgres_database(url: str) -> None:
    parsed = make_url(url)
    server = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    finally:
        server.dispose()


def _complete(size: int) -> bool:
    inspector = sa.inspect(db.engine)
    if not inspector.has_table("user_account") or not inspector.has_table("subcontract"):
        return False
    admin = db.session.scalar(sa.select(User.id).where(User.email == ADMIN))
    complete = admin is not None and db.session.scalar(sa.select(sa.func.count(SubContract.id))) == size
    db.session.remove()  # outside a request SQLite's transactions write-lock: the migrations come next
    return complete


def _empty_database() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        db.engine.dispose()
        path = Path(make_url(str(db.engine.url)).database or "")
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)


def prepare(target: Target, bid_key: str, log: Callable[[str], None]) -> tuple[Flask, float | None]:
    """The application on ``target``'s database, seeded unless a complete copy is there already (then
    only upgraded). Returns it and the seconds ``generate`` took (None when nothing was seeded)."""
    if target.dialect == "postgresql":
        _create_postgres_database(target.url)
    else:
        Path(make_url(target.url).database or "").parent.mkdir(parents=True, exist_ok=True)
    app = application(target, bid_key)
    seconds = None
    with app.app_context():
        if not _complete(target.size):
            _empty_database()
            upgrade(directory=app.config["MIGRATIONS_DIR"])
            load_reference_data(Path(app.config["SEED_DIR"]))
            db.session.commit()
            log(f"{target.label}: seeding …")
            started = time.perf_counter()
            counts = generate(target.size, seed=target.seed)
            seconds = time.perf_counter() - started
            log(f"{target.label}: seeded {counts['rows']:,} rows in {seconds:.1f} s")
            add_people()
            db.session.commit()
        else:
            db.session.remove()  # the check's read must not hold the file while the upgrade writes (SQLite)
            upgrade(directory=app.config["MIGRATIONS_DIR"])
        load_census(Path(app.config["SEED_DIR"]))  # children per ORP for the service network's pages
        if db.session.scalar(sa.select(NetworkModel.id).limit(1)) is None:
            # The network's catalogue, models and outcomes (added to a database seeded before they were).
            log(f"{target.label}: the service network …")
            started = time.perf_counter()
            network = seed_national_network()
            log(f"{target.label}: the service network {network} in {time.perf_counter() - started:.1f} s")
        db.session.commit()
        if target.dialect == "postgresql":
            # What autovacuum does soon after a bulk load anyway, done now so that every run measures
            # the same plans (statistics, and visibility maps for index-only scans).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        db.session.remove()
    return app, seconds


def add_people() -> None:
    """Accounts as a national deployment has them — an admin and the ministry, one per kraj, one OSPOD
    account per ORP, one per provider — and what they received: each sub-contract's notification to
    its provider's account, read, and the e-mail that went with it, sent. In SQL, in one statement
    each (no account has a password: ``NO_PASSWORD`` matches none)."""
    now = sa.literal(clock.now(), UTCDateTime())
    accounts = [
        (sa.select(Kraj.id, Kraj.abbr), "kraj", "kraj_id", "Krajský úřad "),
        (sa.select(Orp.id, Orp.code), "ospod", "orp_id", "OSPOD "),
        (sa.select(Provider.id, Provider.id), "provider", "provider_id", "Poskytovatel "),
    ]
    for source, role, binding, title in accounts:
        rows = source.subquery()
        key = sa.cast(rows.c[1], sa.String)
        db.session.execute(
            sa.insert(User).from_select(
                ["email", "name", "password_hash", "role", binding, "active", "created_at", "session_generation"],
                sa.select(
                    sa.literal(f"{role}.") + sa.func.lower(key) + sa.literal("@bench.minitendr.test"),
                    sa.literal(title) + key,
                    sa.literal(NO_PASSWORD),
                    sa.literal(role),
                    rows.c[0],
                    sa.true(),
                    now,
                    sa.literal(0),
                ),
            )
        )
    awarded = (
        sa.select(
            User.id,
            User.email,
            SubContract.id.label("subcontract_id"),
            SubContract.number,
            SubContract.created_at,
        )
        .select_from(SubContract)
        .join(User, User.provider_id == SubContract.provider_id)
        .subquery()
    )
    title = sa.literal("Vaše nabídka byla vybrána: ") + awarded.c.number
    db.session.execute(
        sa.insert(Notification).from_select(
            ["user_id", "created_at", "title", "body", "link", "read_at"],
            sa.select(
                awarded.c.id,
                awarded.c.created_at,
                title,
                sa.literal(""),
                sa.literal("/subcontracts/") + sa.cast(awarded.c.subcontract_id, sa.String),
                awarded.c.created_at,
            ),
        )
    )
    db.session.execute(
        sa.insert(OutboxEmail).from_select(
            ["created_at", "recipient", "subject", "body", "sent_at", "attempts"],
            sa.select(
                awarded.c.created_at,
                awarded.c.email,
                title,
                sa.literal("Dílčí smlouva je uzavřena."),
                awarded.c.created_at,
                sa.literal(1),
            ),
        )
    )
    for email, role in ((MINISTRY, Role.MINISTRY), (ADMIN, Role.ADMIN)):
        db.session.add(User(email=email, name=role.label, password_hash=NO_PASSWORD, role=role))
    db.session.flush()


def personas() -> Personas:
    """The accounts of the busiest kraj, ORP and provider, the ministry's and the admin's."""

    def busiest(column):
        return db.session.execute(
            sa.select(column).group_by(column).order_by(sa.func.count().desc(), column).limit(1)
        ).scalar_one()

    kraj_id = db.session.execute(
        sa.select(Orp.kraj_id)
        .join(SubContract, SubContract.orp_id == Orp.id)
        .group_by(Orp.kraj_id)
        .order_by(sa.func.count().desc(), Orp.kraj_id)
        .limit(1)
    ).scalar_one()
    orp_id, provider_id = busiest(SubContract.orp_id), busiest(SubContract.provider_id)

    def account(*where) -> int:
        return db.session.execute(sa.select(User.id).where(*where).order_by(User.id).limit(1)).scalar_one()

    return Personas(
        users={
            "ministry": account(User.role == Role.MINISTRY),
            "kraj": account(User.role == Role.KRAJ, User.kraj_id == kraj_id),
            "ospod": account(User.role == Role.OSPOD, User.orp_id == orp_id),
            "provider": account(User.role == Role.PROVIDER, User.provider_id == provider_id),
            "admin": account(User.role == Role.ADMIN),
        },
        kraj=db.session.get_one(Kraj, kraj_id).code,
        orp=db.session.get_one(Orp, orp_id).code,
        provider=db.session.get_one(Provider, provider_id).ico,
    )
