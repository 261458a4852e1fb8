"""IČO, the Czech organisation number: eight digits, the last a mod-11 check digit."""

from __future__ import annotations

import re

_ICO = re.compile(r"\d{8}")


def normalize_ico(value: str) -> str:
    """Digits only, left-padded to 8 (people often drop leading zeros or type spaces)."""
    digits = re.sub(r"\s", "", value or "")
    return digits.zfill(8) if digits.isdigit() and len(digits) < 8 else digits


def check_digit(first_seven: str) -> int:
    """The check digit the ČSÚ algorithm gives for the first seven digits."""
    total = sum(int(d) * w for d, w in zip(first_seven, range(8, 1, -1), strict=True))
    remainder = total % 11
    return {0: 1, 1: 0}.get(remainder, 11 - remainder)


def ico_error(value: str) -> str | None:
    """A Czech message saying what is wrong with ``value`` as an IČO, or None when it is valid."""
    if not _ICO.fullmatch(value or ""):
        return "IČO musí mít přesně 8 číslic."
    if check_digit(value[:7]) != int(value[7]):
        return "IČO nemá platnou kontrolní číslici – zkontrolujte, zda je opsané správně."
    return None


def is_valid_ico(value: str) -> bool:
    return ico_error(value) is None
