"""ID datové schránky: the address of an organisation's data box (ISDS), through which messages to the
register of contracts go. Seven characters, lower-case letters and digits (e.g. ``z28bwu9``)."""

from __future__ import annotations

import re

_DATA_BOX = re.compile(r"[a-z0-9]{7}")


def normalize_data_box(value: str | None) -> str:
    """Stripped and in lower case, as ISDS writes them (people copy them in capitals too)."""
    return (value or "").strip().lower()


def data_box_error(value: str) -> str | None:
    """A Czech message saying what is wrong with ``value`` as an ID datové schránky, or None."""
    if not _DATA_BOX.fullmatch(value or ""):
        return "ID datové schránky má přesně 7 znaků: písmena bez diakritiky a číslice (např. z28bwu9)."
    return None
