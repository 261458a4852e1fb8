"""Data protection: demands speak of children only through a pseudonymous case reference.

A Czech birth number (rodné číslo) is the birth date YYMMDD followed by a serial: three digits for
people born before 1954, four digits since, the ten-digit number then divisible by 11. Women's months
are +50; since 2004 a month may also be +20 (+70 for women) when a day's serials ran out.

People (and word processors) write it in many ways: ``015101/1234``, ``015101-1234``, ``01 51 01/1234``,
``015101/12 34``, with full-width digits, non-breaking or zero-width spaces. Text is therefore read as
*digit groups* joined by short separators, invisible characters dropped, and every run of groups that
spells nine or ten digits is judged by the real rules: a valid calendar date and, for ten digits, the
checksum. Only whole groups are joined, and only where a birth number is split (after the year, month,
day, or inside the serial), so that phone numbers (3-3-3), amounts (thousands) and dates stay ordinary text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from minitendr import clock

BIRTH_NUMBER_MESSAGE = (
    "Text obsahuje údaj ve tvaru rodného čísla. Osobní údaje dětí sem nepatří – "
    "dítě a rodinu označte jen pseudonymní spisovou značkou."
)

# Characters that glue a number together rather than split it: they are read as nothing, so that a
# non-breaking or zero-width space anywhere inside a birth number hides nothing.
_GLUE = frozenset("\u00a0\u2007\u202f")
# Separators people put between the parts of a number (after NFKC: full-width forms become these).
_MARKS = frozenset("/\\-._\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2044\u2215")
# One join between digit groups: a few spaces around at most two marks ("/", " / ", ". ", " - "). A line
# break ends a number: a date at the end of a line and an amount on the next are not a birth number.
_JOIN = re.compile(r" {0,3}(?:[/]{1,2} {0,3})?")
# Where a birth number's digits may be split by a visible separator: after the date, in the middle
# of a four-digit serial, and inside the date only after both the year and the month.
_CUTS = frozenset({2, 4, 6, 8})
_DATE_CUTS = frozenset({2, 4})
# Country codes after "+" (or "00"): the digits that follow are a phone number.
_PHONE_PREFIXES = ("420", "421")


@dataclass
class _Number:
    """Digit groups that read as one number: ``groups[i]`` and ``groups[i + 1]`` are joined by
    ``joins[i]`` (spaces as " ", every separator mark as "/")."""

    groups: list[tuple[str, int, int]]  # digits, start and end in the original text
    joins: list[str] = field(default_factory=list)
    after_plus: bool = False

    def phone_groups(self) -> int:
        """How many leading groups are a phone number: +420 or 00420 and the nine digits after it."""
        first = self.groups[0][0]
        prefixes = _PHONE_PREFIXES if self.after_plus else tuple("00" + p for p in _PHONE_PREFIXES)
        prefix = next((p for p in prefixes if first.startswith(p)), None)
        if prefix is None:
            return 0
        digits, count = len(first) - len(prefix), 1
        while digits < 9 and count < len(self.groups):
            digits += len(self.groups[count][0])
            count += 1
        return count


def _classify(char: str) -> str:
    """One character as the scanner sees it: a digit ("0"–"9"), "" (invisible), " ", "/" (a mark),
    "+", or "x" (anything that ends a number)."""
    if char in _GLUE or unicodedata.category(char) in {"Cf", "Mn", "Me"}:
        return ""  # zero-width spaces, joiners, direction marks, soft hyphens, combining marks
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        return "x"
    if folded.isdecimal():  # full-width digits and other scripts' digits are digits too
        return str(unicodedata.decimal(folded))
    if folded == "\t" or unicodedata.category(folded) == "Zs":
        return " "
    if folded in _MARKS:
        return "/"
    return "+" if folded == "+" else "x"


def _numbers(text: str) -> list[_Number]:
    """The numbers in ``text``, each as its digit groups and the separators between them."""
    cells = [(kind, i) for i, char in enumerate(text) if (kind := _classify(char))]
    numbers: list[_Number] = []
    join: str | None = None  # the separators since the last group; None once anything else came
    index = 0
    while index < len(cells):
        kind, position = cells[index]
        if not kind.isdigit():
            join = join + kind if join is not None and kind in {" ", "/"} else None
            index += 1
            continue
        first = index
        while index < len(cells) and cells[index][0].isdigit():
            index += 1
        group = ("".join(k for k, _ in cells[first:index]), position, cells[index - 1][1] + 1)
        if numbers and join is not None and _JOIN.fullmatch(join):
            numbers[-1].groups.append(group)
            numbers[-1].joins.append(join)
        else:
            numbers.append(_Number([group], after_plus=first > 0 and cells[first - 1][0] == "+"))
        join = ""
    return numbers


def is_birth_number(digits: str, today: dt.date | None = None) -> bool:
    """Whether nine or ten digits are a birth number someone can have: a real birth date not in the
    future, nine digits only before 1954, ten digits divisible by 11 (or, for numbers issued before
    1985, remainder 10 with a check digit 0)."""
    if len(digits) not in (9, 10) or not digits.isascii() or not digits.isdigit():
        return False
    today = today or clock.today()
    yy, mm, dd = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if len(digits) == 9:
        year = 1900 + yy
        if year >= 1954:
            return False
    else:
        year = 1900 + yy if yy >= 54 else 2000 + yy
        if int(digits) % 11 != 0 and not (year < 1985 and int(digits[:9]) % 11 == 10 and digits[9] == "0"):
            return False
    offsets = (0, 50, 20, 70) if year >= 2004 else (0, 50)
    months = [mm - offset for offset in offsets if 1 <= mm - offset <= 12]
    if not months:
        return False
    month = months[0]
    if not 1 <= dd <= calendar.monthrange(year, month)[1]:
        return False
    return dt.date(year, month, dd) <= today


def find_birth_number(text: str | None) -> str | None:
    """The first part of ``text`` that is a birth number, however it is spelt, or None."""
    if not text:
        return None
    today = clock.today()
    for number in _numbers(text):
        groups, joins = number.groups, number.joins
        for first in range(number.phone_groups(), len(groups)):
            digits, cuts = "", []
            for last in range(first, len(groups)):
                if digits:
                    cuts.append(len(digits))
                digits += groups[last][0]
                if len(digits) > 10:
                    break
                if not _spelling(cuts) or not is_birth_number(digits, today):
                    continue
                if _stands_apart(cuts, joins[first - 1] if first else None, joins[last] if last < len(joins) else None):
                    return text[groups[first][1] : groups[last][2]]
    return None


def _spelling(cuts: list[int]) -> bool:
    """Whether digits split at ``cuts`` are split as a birth number is written."""
    return set(cuts) <= _CUTS and set(cuts) & _DATE_CUTS in (set(), _DATE_CUTS)


def _stands_apart(cuts: list[int], before: str | None, after: str | None) -> bool:
    """Whether digits read as a birth number stand apart from the rest of the number they are in
    (``before``/``after`` are the joins around them, None at the number's ends).

    Spelt as a birth number (a separator after the date, or the date split into year, month and day:
    "2. 150501/1234", "2. 15 05 011234") they may touch anything; written as one group they need a
    space around them ("1. 1505011234", but not a bank account's "1505011234/0800"); split in other
    ways, only plain spaces set them apart, so that the pieces of a date range
    ("15. 06. 2026 – 01. 07. 2026") never add up to one.
    """
    if 6 in cuts or cuts == [2, 4]:
        return True
    if not cuts:
        return all(join is None or " " in join for join in (before, after))
    return all(join is None or join.isspace() for join in (before, after))


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


def check_no_birth_numbers(values: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Refuse, at its field, the first of ``fields`` in ``values`` whose text holds a birth number."""
    from minitendr.db import DomainError

    for name in fields:
        if isinstance(values.get(name), str) and find_birth_number(values[name]):
            raise DomainError(BIRTH_NUMBER_MESSAGE, field=name)
