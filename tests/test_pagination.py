"""Keyset pagination (minitendr.pagination): pages follow the sort key, not a row number, so they stay
whole and in order while rows are added, and a cursor cannot be forged into anything but a sort key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import BadRequest

from minitendr.db import db
from minitendr.pagination import Sort, count_upto, decode_cursor, encode_cursor, paginate
from minitendr.providers.models import Provider
from tests.factories import ProviderFactory

BY_NAME = Sort((Provider.name, Provider.id))
NEWEST_FIRST = Sort((Provider.id,), descending=True)


def _ours():
    return sa.select(Provider).where(Provider.name.like("Keyset %"))


def _key(provider: Provider):
    return (provider.name, provider.id)


@pytest.fixture
def providers() -> list[Provider]:
    made = [ProviderFactory(name=f"Keyset {n:03d}") for n in range(23)]
    db.session.flush()
    return made


def _all_pages(sort: Sort, key, per_page: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = paginate(_ours(), sort, key, per_page=per_page, after=cursor or "", before="")
        pages.append([p.id for p in page.items])
        if not page.has_next:
            return pages
        cursor = page.next_cursor


def test_the_pages_cover_every_row_once_in_order(providers):
    pages = _all_pages(BY_NAME, _key, per_page=10)
    assert [len(page) for page in pages] == [10, 10, 3]
    assert [row for page in pages for row in page] == [p.id for p in providers]


def test_a_row_added_before_the_cursor_neither_repeats_nor_hides_a_row_on_the_next_page(providers):
    first = paginate(_ours(), BY_NAME, _key, per_page=10, after="", before="")
    ProviderFactory(name="Keyset 000 (nový)")  # sorts onto the first page, already read
    db.session.flush()
    second = paginate(_ours(), BY_NAME, _key, per_page=10, after=first.next_cursor, before="")
    assert [p.id for p in second.items] == [p.id for p in providers[10:20]]


def test_previous_goes_back_to_the_same_rows(providers):
    first = paginate(_ours(), NEWEST_FIRST, lambda p: (p.id,), per_page=10, after="", before="")
    second = paginate(_ours(), NEWEST_FIRST, lambda p: (p.id,), per_page=10, after=first.next_cursor, before="")
    back = paginate(_ours(), NEWEST_FIRST, lambda p: (p.id,), per_page=10, after="", before=second.previous_cursor)
    assert [p.id for p in back.items] == [p.id for p in first.items]
    assert back.has_next and not back.has_previous
    assert first.has_next and not first.has_previous
    assert second.has_previous


def test_the_last_page_has_no_next_and_an_empty_list_has_neither(providers):
    pages = _all_pages(NEWEST_FIRST, lambda p: (p.id,), per_page=23)
    assert len(pages) == 1 and len(pages[0]) == 23
    empty = paginate(_ours().where(Provider.id < 0), BY_NAME, _key, after="", before="")
    assert empty.items == [] and not empty.has_next and not empty.has_previous


@pytest.mark.parametrize("cursor", ["x", "!!!", encode_cursor([1]), encode_cursor(["a", 1, 2]), "e30"])
def test_a_cursor_not_made_for_this_sort_is_a_bad_request(providers, cursor):
    with pytest.raises(BadRequest):
        paginate(_ours(), BY_NAME, _key, after=cursor, before="")


def test_a_cursor_keeps_dates_money_and_times_exactly():
    values = [dt.date(2026, 1, 2), Decimal("12.50"), dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), "ž", 7]
    assert decode_cursor(encode_cursor(values), 5) == values


def test_counting_stops_at_the_limit(providers):
    assert count_upto(_ours(), limit=100) == (23, False)
    assert count_upto(_ours(), limit=20) == (20, True)


def test_a_page_and_its_count_are_two_statements(providers, statements):
    with statements() as ran:
        page = paginate(_ours(), BY_NAME, _key, per_page=10, after="", before="", count=True)
    assert (page.count, page.count_exceeds) == (23, False)
    assert len(ran) == 2
