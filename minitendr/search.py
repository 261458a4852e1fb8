"""The search fields the demand and sub-contract lists share: a date range, a needs area and a text.

The text is searched in what a list may show anyone who reads it — numbers, names of services, ORPs
and providers, the place — never in a demand's case reference or the description of a family's need.
A value that cannot be read gets a Czech message at its field and is not applied (the list still shows);
the form shows it as it was typed (``checked`` clears it only in the filters applied).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, MutableMapping
from typing import Any

import sqlalchemy as sa

from minitendr import clock
from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.registry.models import Kraj, Orp

MAX_TEXT = 100
FIRST_YEAR, LAST_YEAR = 2000, 2100
DATE_MESSAGE = "Zadejte datum ve tvaru 30. 11. 2026."


def read_date(text: str) -> dt.date:
    """A date as a date field sends it (2026-11-30) or as people type it (30. 11. 2026); ValueError else."""
    text = text.strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        parts = [part.strip() for part in text.split(".") if part.strip()]
        if len(parts) != 3 or not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):
            raise ValueError(text) from None
        day = dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(text)
    return day


def date_range(filters: MutableMapping[str, str], errors: dict[str, str]) -> tuple[dt.date | None, dt.date | None]:
    """``since`` and ``until`` from the filters; a bad one gets its message and is cleared."""
    days: dict[str, dt.date | None] = {"since": None, "until": None}
    for key in days:
        if filters.get(key):
            try:
                days[key] = read_date(filters[key])
            except ValueError:
                errors[key] = DATE_MESSAGE
                filters[key] = ""
    since, until = days["since"], days["until"]
    if since and until and since > until:
        errors["until"] = "Datum „do“ nesmí být před datem „od“."
        filters["until"], until = "", None
    return since, until


def start_of(day: dt.date) -> dt.datetime:
    """Midnight in Prague: a day typed in a filter is a Prague day."""
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.PRAGUE)


def check_text(filters: MutableMapping[str, str], errors: dict[str, str], *keys: str) -> None:
    """Texts longer than anyone types, or with a NUL, are refused at their field."""
    for key in keys:
        value = filters.get(key) or ""
        if len(value) > MAX_TEXT or "\x00" in value:
            errors[key] = f"Zadejte nejvýše {MAX_TEXT} znaků."
            filters[key] = ""


def check_need(filters: MutableMapping[str, str], errors: dict[str, str]) -> None:
    if filters.get("need") and filters["need"] not in NEEDS:
        errors["need"] = "Vyberte oblast potřeb ze seznamu."
        filters["need"] = ""


def check_codes(filters: MutableMapping[str, str], errors: dict[str, str]) -> None:
    """An ORP or kraj code that names none, or an IČO that is not eight digits, is refused at its field
    (rather than silently selecting nothing). A well-formed IČO of no provider just finds nothing."""
    if (code := filters.get("orp")) and db.session.scalar(sa.select(Orp.id).where(Orp.code == code)) is None:
        errors["orp"] = "Takový kód ORP neznáme; zadejte čtyřmístný kód ORP, např. 5309."
        filters["orp"] = ""
    if (code := filters.get("kraj")) and db.session.scalar(sa.select(Kraj.id).where(Kraj.code == code)) is None:
        errors["kraj"] = "Takový kód kraje neznáme; zadejte kód kraje, např. CZ053."
        filters["kraj"] = ""
    ico = filters.get("provider") or ""
    if ico and not (ico.isascii() and ico.isdigit() and len(ico) == 8):
        errors["provider"] = "IČO má osm číslic, např. 12345678."
        filters["provider"] = ""


def check_year(filters: MutableMapping[str, str], errors: dict[str, str]) -> None:
    year = filters.get("year") or ""
    if year and not (year.isascii() and year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR):
        errors["year"] = f"Zadejte rok mezi {FIRST_YEAR} a {LAST_YEAR}, např. 2026."
        filters["year"] = ""


def contains(column: Any, text: str) -> sa.ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively, the text's own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def has_need(column: Any, need: str) -> sa.ColumnElement[bool]:
    """A JSON list of needs areas (a demand's) holds ``need``: the codes are plain words, quoted in the
    JSON text, so the text holds ``"need"`` exactly when the list does."""
    return sa.cast(column, sa.String).like(f'%"{need}"%')


def kept(filters: Mapping[str, str], *without: str) -> dict[str, str]:
    """The filters that are set, for a link that keeps them (``without`` some)."""
    return {key: value for key, value in filters.items() if value and key not in without}
