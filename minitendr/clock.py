"""All time in minitendr comes from here, so that tests can move it.

``now()`` is an aware UTC timestamp. Deadlines are counted in Czech working days: weekends and the
public holidays of the ``holidays`` package are skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PRAGUE = ZoneInfo("Europe/Prague")

_frozen: dt.datetime | None = None
_offset = dt.timedelta()


def now() -> dt.datetime:
    """The current time, aware, in UTC (or the time a test has set)."""
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC) + _offset


def today() -> dt.date:
    """Today's date in Prague, which is the date that counts for contracts and deadlines."""
    return now().astimezone(PRAGUE).date()


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Stop the clock at ``moment`` inside the block (tests only)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    previous, _frozen = _frozen, moment.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = previous


@contextlib.contextmanager
def moved_by(offset: dt.timedelta) -> Iterator[None]:
    """Let the clock run, ``offset`` ahead of the real time, inside the block (tests only): unlike
    ``frozen_at`` time passes, so a deadline can pass in the middle of a request."""
    global _offset
    previous, _offset = _offset, offset
    try:
        yield
    finally:
        _offset = previous


@lru_cache(maxsize=64)
def _czech_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CZ", years=year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _czech_holidays(day.year)


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date ``count`` Czech working days after ``start`` (``start`` itself is not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    while count:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def prague_noon(day: dt.date) -> dt.datetime:
    """12:00 Prague time on ``day``, as an aware UTC timestamp (DST handled by zoneinfo)."""
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=PRAGUE).astimezone(dt.UTC)
