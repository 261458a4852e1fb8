"""Czech formatting of money, numbers and dates (Babel), used as Jinja filters and in exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from minitendr.clock import PRAGUE

LOCALE = "cs_CZ"


def money(value: Decimal | int | None) -> str:
    """``1 234 567,00 Kč`` (Babel separates thousands with a non-breaking space)."""
    if value is None:
        return "–"
    return format_currency(Decimal(value), "CZK", locale=LOCALE)


def number(value: Decimal | int | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def date(value: dt.date | None) -> str:
    """``23. 11. 2026``"""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        value = value.astimezone(PRAGUE).date()
    return format_date(value, "d. M. y", locale=LOCALE)


def datetime(value: dt.datetime | None) -> str:
    """``23. 11. 2026 12:00`` in Prague time, whatever zone the value is stored in."""
    if value is None:
        return "–"
    return format_datetime(value, "d. M. y H:mm", tzinfo=PRAGUE, locale=LOCALE)


FILTERS = {"money": money, "number": number, "date_cs": date, "datetime_cs": datetime}
