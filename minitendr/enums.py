"""Enums whose members carry the Czech words people read, declared beside the value they store."""

from __future__ import annotations

import enum


class LabelledEnum(enum.StrEnum):
    """A string enum whose members are declared as ``NAME = "value", "popisek"``: the value is stored,
    the label is shown (``DemandStatus.AWARDED.label == "zadáno"``). Extra strings after the label are
    kept in ``details`` for enums that say more about a member (a role's summary)."""

    label: str
    details: tuple[str, ...]

    def __new__(cls, value: str, label: str, *details: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.details = details
        return member
