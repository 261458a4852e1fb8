"""The database layer every feature shares: the ``db`` object, column types and the domain error."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import sqlalchemy as sa
from flask import abort, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, mapped_column

from minitendr.money import to_money

# Stable constraint names, so Alembic can alter and drop them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DomainError(Exception):
    """A business rule refused an action; the message is Czech and tells the person what to do.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class UTCDateTime(sa.types.TypeDecorator):
    """An aware timestamp, stored in UTC; SQLite (which keeps no zone) gets it back aware too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use minitendr.clock.now()")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Money(sa.types.TypeDecorator):
    """Kč with two decimal places: ``Numeric(14, 2)`` in the database, ``Decimal`` in Python."""

    impl = sa.Numeric(14, 2, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else to_money(value)

    def process_result_value(self, value, dialect):
        # SQLite hands back a float-derived Decimal; rounding makes it exact to the haléř again.
        return None if value is None else to_money(Decimal(str(value)) if isinstance(value, float) else value)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


_Row = TypeVar("_Row")


class MinitendrSQLAlchemy(SQLAlchemy):
    def get_or_404(self, entity: type[_Row], ident: Any, *, description: str | None = None, **kwargs: Any) -> _Row:
        """404 for an id no row can have: ``/demands/99999999999999999999`` would overflow the id
        column (INTEGER: 32 bits on PostgreSQL, an OverflowError past 64 bits on SQLite) instead."""
        if isinstance(ident, int) and not -(2**31) <= ident < 2**31:
            abort(404, description=description)
        return super().get_or_404(entity, ident, description=description, **kwargs)


db = MinitendrSQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True})

# The base class of every model. Flask-SQLAlchemy builds ``db.Model`` at run time (``Base`` with its
# table-name and bind-key mixins), and a type checker cannot take an attribute of the ``db`` object as
# a base class: models subclass ``Model``, which the checker reads as ``Base``.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

intpk = Annotated[int, mapped_column(primary_key=True)]
money = Annotated[Decimal, mapped_column(Money())]
timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime())]


def enum_column(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum: VARCHAR holding the member values, with a CHECK of the allowed ones
    (no PostgreSQL enum type, so adding a state later is a plain constraint change)."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def configure_sqlite(dbapi_connection, _record) -> None:
    """Make SQLite behave like a database for us: foreign keys on, WAL, wait for locks.

    pysqlite's own transaction handling is switched off (isolation_level None) so that SQLAlchemy's
    BEGIN is the one that runs: see ``begin_sqlite``.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("minitendr_read_only", default=False)


@contextlib.contextmanager
def read_only() -> Iterator[None]:
    """Work that only reads (a long export) begins its SQLite transactions deferred, so it holds no
    write lock and others (its own progress updates included) can write meanwhile."""
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)


@contextlib.contextmanager
def separate_transaction() -> Iterator[sa.Connection]:
    """A short transaction of its own, committed at once, beside the session's (progress of a long job).
    When the application is bound to one connection (the tests' outer transaction) it is a savepoint."""
    bind = db.engine
    if isinstance(bind, sa.Connection):
        with bind.begin_nested():
            yield bind
    else:
        with bind.begin() as connection:
            yield connection


def begin_sqlite(conn) -> None:
    """A transaction that may write takes SQLite's write lock at once: writes are serialised, so two
    awards that check the same ceiling run one after the other instead of both reading the old total.
    Pages that only read (GET) begin deferred and run alongside, as WAL allows."""
    reading = _read_only.get() or (has_request_context() and request.method in {"GET", "HEAD", "OPTIONS"})
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def install_sqlite_hooks(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    if sa.event.contains(engine, "connect", configure_sqlite):
        return
    sa.event.listen(engine, "connect", configure_sqlite)
    sa.event.listen(engine, "begin", begin_sqlite)
