"""Money and numbers are formatted by Python's own formatting (a report page formats over a thousand
amounts): exactly what Babel writes for cs_CZ, on any amount."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from hypothesis import given
from hypothesis import strategies as st

from minitendr import formatting

EDGES = [Decimal("0"), Decimal("-0"), Decimal("-0.001"), Decimal("0.005"), Decimal("0.015"), Decimal("999.995")]
EDGES += [Decimal("-12.345"), Decimal("1E+3"), Decimal("1.2E-7"), Decimal("123456789012.345"), 0, -5, 10**15]
AMOUNTS = st.one_of(
    st.sampled_from(EDGES),
    st.decimals(min_value=-(10**14), max_value=10**14, allow_nan=False, places=4),
    st.integers(min_value=-(10**15), max_value=10**15),
)


@given(amount=AMOUNTS, digits=st.integers(0, 3))
def test_money_and_numbers_read_exactly_as_babel_writes_them(amount, digits):
    assert formatting.money(amount) == format_currency(Decimal(amount), "CZK", locale="cs_CZ")
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    assert formatting.number(amount, digits) == format_decimal(amount, format=pattern, locale="cs_CZ")


def test_what_the_fast_way_does_not_cover_is_left_to_babel():
    assert formatting.money(12.5) == "12,50\xa0Kč"  # a float
    assert formatting.number(Decimal("1.23456789"), 8) == "1,23456789"  # more places than kept
    assert formatting.money(None) == formatting.number(None) == "–"
