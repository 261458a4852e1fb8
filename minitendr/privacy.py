"""Data protection: demands speak of children only through a pseudonymous case reference.

A Czech birth number (rodné číslo) is six digits of the birth date (YYMMDD, the month +50 for women
and +20 when the series ran out) and a three- or four-digit suffix, usually written with a slash.
Text that contains anything shaped like one is refused.
"""

from __future__ import annotations

import re

_SHAPE = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})\s*/?\s*(\d{3,4})(?!\d)")
_MONTH_OFFSETS = (0, 20, 50, 70)

BIRTH_NUMBER_MESSAGE = (
    "Text obsahuje údaj ve tvaru rodného čísla. Osobní údaje dětí sem nepatří – "
    "dítě a rodinu označte jen pseudonymní spisovou značkou."
)


def _plausible(month: int, day: int) -> bool:
    return any(1 <= month - offset <= 12 for offset in _MONTH_OFFSETS) and 1 <= day <= 31


def find_birth_number(text: str | None) -> str | None:
    """The first part of ``text`` shaped like a birth number, or None."""
    for match in _SHAPE.finditer(text or ""):
        _year, month, day, _suffix = match.groups()
        if _plausible(int(month), int(day)):
            return match.group(0)
    return None


def required_text(value: str | None, field: str, missing: str) -> str:
    """A free text a person must write (a reason, a justification): stripped, not empty, and without
    anything shaped like a birth number. Raises a ``DomainError`` on ``field`` otherwise."""
    from minitendr.db import DomainError

    text = (value or "").strip()
    if not text:
        raise DomainError(missing, field=field)
    if find_birth_number(text):
        raise DomainError(BIRTH_NUMBER_MESSAGE, field=field)
    return text
