"""Failed logins slow down whoever fails, not everybody else.

Locking an account after a few failures lets anyone lock anyone out, and counting per address locks a
whole office behind one NAT address. So the counts are kept per account *and* address:

- **one address at one account** (a person's typos, or a guesser): ``FREE_TRIES`` failures are free,
  then each further failure doubles the wait before the next try, up to ``MAX_WAIT``; a success from
  that address clears it, and it is forgotten after ``FORGET_AFTER`` without failures.
- **one account from everywhere** (guessing from many addresses): once the account has failed
  ``LOGIN_LIMIT_PER_ACCOUNT`` times in that window, every address that has failed at it waits after its
  first failure. An address that has not failed at the account is never stopped: the right password
  from a new place always works.
- **one address at many accounts** (spraying): a ceiling, ``LOGIN_LIMIT_PER_ADDRESS``, far above what
  an office's typos reach, since the waits above hold each person to about a dozen failures an hour.

The counts live in the database, so every app host sees them (Redis or not), and their time is
``minitendr.clock``'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math

import sqlalchemy as sa
from flask import current_app
from limits import parse
from sqlalchemy.dialects import postgresql, sqlite

from minitendr import clock
from minitendr.auth.models import LoginFailures
from minitendr.auth.service import normalize_email
from minitendr.db import UTCDateTime, db

FREE_TRIES = 3
MAX_WAIT = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(hours=1)


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _network(address: str) -> str:
    """Whom an address stands for: an IPv4 address itself, but an IPv6 address by its /64, which one
    household or machine gets whole (counting per /128 would give a guesser endless fresh addresses)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _pair_key(email: str, address: str) -> str:
    return _key("pair", normalize_email(email), _network(address))


def _account_key(email: str) -> str:
    return _key("account", normalize_email(email))


def _address_key(address: str) -> str:
    return _key("address", _network(address))


def _limit(setting: str) -> tuple[int, dt.timedelta]:
    """A limit setting ("5 per 15 minutes") as a count and a window."""
    item = parse(current_app.config[setting])
    return item.amount, dt.timedelta(seconds=item.get_expiry())


def _reached(key: str, setting: str, now: dt.datetime) -> dt.datetime | None:
    """When the window of a count that has reached its limit ends, or None."""
    limit, window = _limit(setting)
    row = db.session.get(LoginFailures, key)
    if row is None or row.failures < limit or now - row.first_failure_at >= window:
        return None
    return row.first_failure_at + window


def wait_after(failures: int, free: int) -> dt.timedelta:
    """How long an address waits after its ``failures``-th failure at an account: 2 s, 4 s, 8 s, …"""
    if failures < free:
        return dt.timedelta(0)
    return min(dt.timedelta(seconds=2 ** min(failures - free + 1, 20)), MAX_WAIT)


def seconds_to_wait(email: str, address: str) -> int:
    """How many seconds this address must wait before trying this account again (0: it may try now)."""
    now = clock.now()
    until = _reached(_address_key(address), "LOGIN_LIMIT_PER_ADDRESS", now)
    pair = db.session.get(LoginFailures, _pair_key(email, address))
    if pair is not None and now - pair.last_failure_at < FORGET_AFTER:
        attacked = _reached(_account_key(email), "LOGIN_LIMIT_PER_ACCOUNT", now) is not None
        pair_until = pair.last_failure_at + wait_after(pair.failures, 1 if attacked else FREE_TRIES)
        until = max(until or pair_until, pair_until)
    if until is None or until <= now:
        return 0
    return math.ceil((until - now).total_seconds())


def _count(key: str, now: dt.datetime, restart_if: sa.ColumnElement[bool]) -> None:
    """One more failure under ``key``, counted from 1 again when ``restart_if`` holds for the stored
    row. One statement, so that failures arriving at several hosts at once all count."""
    table = LoginFailures.__table__
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(LoginFailures)
        .values(key=key, failures=1, first_failure_at=now, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((restart_if, 1), else_=table.c.failures + 1),
                "first_failure_at": sa.case(
                    (restart_if, sa.literal(now, UTCDateTime())), else_=table.c.first_failure_at
                ),
                "last_failure_at": sa.literal(now, UTCDateTime()),
            },
        )
    )
    db.session.execute(statement)


def record_failure(email: str, address: str) -> None:
    """Count a failed login of ``address`` at ``email`` (known account or not: the same for both)."""
    now = clock.now()
    table = LoginFailures.__table__
    _count(_pair_key(email, address), now, table.c.last_failure_at < now - FORGET_AFTER)
    windows = [FORGET_AFTER]
    for key, setting in (
        (_account_key(email), "LOGIN_LIMIT_PER_ACCOUNT"),
        (_address_key(address), "LOGIN_LIMIT_PER_ADDRESS"),
    ):
        window = _limit(setting)[1]
        _count(key, now, table.c.first_failure_at < now - window)
        windows.append(window)
    # Old counts matter to nobody; failures are rare enough to sweep them here.
    db.session.execute(sa.delete(LoginFailures).where(LoginFailures.last_failure_at < now - max(windows)))
    db.session.flush()


def record_success(email: str, address: str) -> None:
    """The right password from ``address``: its own failures at the account are forgotten (the
    account's count stays, so a guesser elsewhere gains nothing)."""
    db.session.execute(sa.delete(LoginFailures).where(LoginFailures.key == _pair_key(email, address)))
    db.session.flush()
