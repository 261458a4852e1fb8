"""Enums whose members carry the Czech words people read, declared beside the value they store."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Self


class LabelledEnum(enum.StrEnum):
    """A string enum whose members are declared as ``NAME = "value", "popisek"``: the value is stored,
    the label is shown (``DemandStatus.AWARDED.label == "zadáno"``). Extra strings after the label are
    kept in ``details`` for enums that say more about a member (a role's summary)."""

    label: str
    details: tuple[str, ...]

    if TYPE_CHECKING:
        # Once the class is built, Enum puts its own ``__new__`` in place of the one below: calling the
        # class looks a member up by its stored value (``Role("kraj")``), and that is what callers see.
        def __new__(cls, value: str) -> Self: ...

    else:

        def __new__(cls, value: str, label: str, *details: str):
            member = str.__new__(cls, value)
            member._value_ = value
            member.label = label
            member.details = details
            return member
