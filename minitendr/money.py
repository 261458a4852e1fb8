"""Money in Kč: exact ``Decimal`` with two places, rounded half up to the haléř."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

HALER = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Two decimal places, half up (0,005 Kč → 0,01 Kč); floats are refused, they are not exact."""
    if isinstance(value, float):
        raise TypeError("float money refused: use Decimal")
    return Decimal(value).quantize(HALER, rounding=ROUND_HALF_UP)
