"""Keyset pagination: a page is "the next 50 after this row", not "rows 5 000 to 5 050".

OFFSET makes the database walk past every earlier row (a deep page of a million sub-contracts took
seconds) and shifts under inserts (a new row pushes one onto the next page twice). Here a page ends
with a cursor — the sort key of its last row — and the next page is the rows after that key, read
straight from the index on the sort key. A cursor holds only values the user saw on the page.

A sort is a tuple of columns that all run in one direction and end with a unique column (the id),
so that the key orders rows totally and ``(a, id) > (:a, :id)`` finds where a page left off. The
sort columns must not be NULL (a NULL compares as unknown and the row would vanish from every page).

A list shows an exact count only up to ``COUNT_LIMIT`` (counting is reading every matching row);
beyond it the page says "více než 10 000".
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import request, url_for
from werkzeug.exceptions import BadRequest

from minitendr.db import db

T = TypeVar("T")
COUNT_LIMIT = 10_000
PER_PAGE = 50


@dataclass(frozen=True)
class Sort:
    """Columns a list is ordered by, all ascending or all descending, the last one unique (the id).
    ``key`` reads the same values from a loaded row (the cursor is made of them)."""

    columns: tuple[sa.ColumnElement[Any], ...]
    descending: bool = False

    def order_by(self, reverse: bool = False) -> list[sa.ColumnElement[Any]]:
        down = self.descending != reverse
        return [column.desc() if down else column.asc() for column in self.columns]

    def after(self, values: Sequence[Any], reverse: bool = False) -> sa.ColumnElement[bool]:
        """Rows that come after ``values`` in this order (before them with ``reverse``)."""
        # Each value bound as its column's type: a timestamp goes to SQLite in UTC as the column
        # stores it, money as Money.
        theirs = sa.tuple_(*(sa.literal(v, column.type) for v, column in zip(values, self.columns, strict=True)))
        mine = sa.tuple_(*self.columns)
        return mine < theirs if self.descending != reverse else mine > theirs

    def values_of(self, row: Any) -> tuple[Any, ...]:
        """The sort key of a loaded row whose attributes are named as the sort's columns."""
        return tuple(getattr(row, str(column.key)) for column in self.columns)

    def accepts(self, values: Sequence[Any]) -> bool:
        """Whether ``values`` (from a cursor) are of the kinds the sort's columns hold."""
        for value, column in zip(values, self.columns, strict=True):
            column_type = column.type
            if isinstance(column_type, sa.types.TypeDecorator):
                column_type = column_type.impl_instance  # Money is a Numeric, UTCDateTime a DateTime
            try:
                kind = column_type.python_type
            except NotImplementedError:
                continue
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                return False
            if isinstance(value, dt.datetime) != issubclass(kind, dt.datetime):
                return False  # a date where a timestamp belongs, or the other way round
            if isinstance(value, int) and value not in _column_range(column_type):
                return False  # PostgreSQL refuses to bind an integer its column cannot hold
        return True


def _column_range(column_type: sa.types.TypeEngine) -> range:
    """The integers a column of ``column_type`` holds (PostgreSQL's int2, int4 and int8)."""
    if isinstance(column_type, sa.BigInteger):
        return _INT_RANGE
    if isinstance(column_type, sa.SmallInteger):
        return range(-(2**15), 2**15)
    if isinstance(column_type, sa.Integer):
        return range(-(2**31), 2**31)
    return _INT_RANGE


class BadCursor(BadRequest):
    """A cursor in the URL that no page of this list made (edited by hand, or from another sort):
    400, with a message that says what to do (minitendr.home.errors shows it)."""

    description = "Odkaz na stránku seznamu je neplatný; začněte prosím od první stránky."


# --- cursors: the sort key of a row, as an opaque URL-safe string ----------------------------------
def _encode_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _encode_value(value.value)
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"a sort key cannot hold {type(value).__name__}")


# What a database binds without complaint: SQLite's integers are 64 bits, Money holds 14 digits.
_INT_RANGE = range(-(2**63), 2**63)
_MAX_DECIMAL = Decimal(10) ** 15


def _decode_value(value: Any) -> Any:
    """A value of a cursor, refused (``ValueError``) unless ``_encode_value`` could have written it
    for a row: an aware timestamp, a finite amount, an integer and a text a database can take."""
    if isinstance(value, dict) and len(value) == 1:
        ((kind, text),) = value.items()
        if not isinstance(text, str):
            raise ValueError("not a sort key value")
        if kind == "t":
            moment = dt.datetime.fromisoformat(text)
            if moment.tzinfo is None:
                raise ValueError("a naive timestamp")
            return moment
        if kind == "d":
            return dt.date.fromisoformat(text)
        if kind == "n":
            amount = Decimal(text)
            if not amount.is_finite() or abs(amount) >= _MAX_DECIMAL:
                raise ValueError("not an amount")
            return amount
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and value in _INT_RANGE:
        return value
    if isinstance(value, str) and "\x00" not in value:
        return value
    raise ValueError("not a sort key value")


def encode_cursor(values: Sequence[Any]) -> str:
    text = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """The values of a cursor from the URL; ``ValueError`` when it was not made by ``encode_cursor``
    for a sort of ``length`` columns (edited by hand, or from another sort)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != length:
            raise ValueError("wrong length")
        return [_decode_value(v) for v in values]
    except (binascii.Error, UnicodeDecodeError, InvalidOperation, TypeError, RecursionError) as error:
        raise ValueError(str(error)) from error


def not_by_index(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` for a condition that a page checks along the index it walks rather than by an index
    of its own. SQLite, which plans by the shape of a query, gets it as an expression no index answers
    (it would otherwise weigh an index of half the country the same as an ORP's); PostgreSQL, which
    plans by its statistics, gets the column itself."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.coalesce(column, column)
    return column


# --- one page ------------------------------------------------------------------------------------
@dataclass
class Page(Generic[T]):
    """The rows of one page and the cursors to its neighbours (``None``: there is none)."""

    items: list[T]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    count: int | None = None  # exact up to COUNT_LIMIT; None when not counted
    count_exceeds: bool = False  # more than COUNT_LIMIT match

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def next_url(self) -> str | None:
        return _link(after=self.next_cursor) if self.next_cursor else None

    @property
    def previous_url(self) -> str | None:
        return _link(before=self.previous_cursor) if self.previous_cursor else None

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _link(**cursor: Any) -> str:
    """This page's URL with the same filters and another cursor."""
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if v and k not in ("after", "before")}
    return url_for(request.endpoint or "", **(request.view_args or {}), **kept, **cursor)


def cursor_args() -> tuple[str | None, str | None]:
    """``after`` / ``before`` from the URL (one of them; ``after`` wins)."""
    after = request.args.get("after") or None
    before = None if after else request.args.get("before") or None
    return after, before


@dataclass(frozen=True)
class Partitions:
    """The rows of a list lie in a few known values of one column: a kraj's sub-contracts in its ORPs.

    An index on (that column, the sort key) holds one ordered run per value, and a database reads
    several of them only as a set to sort: SQLite sorts every row of the kraj, PostgreSQL walks the
    national index past the other kraje's rows. Read as one run per value, each cut at a page, then
    merged, a page costs the same whatever the list holds."""

    column: sa.ColumnElement[Any]
    values: Sequence[Any]


def _merged(stmt: sa.Select, sort: Sort, reverse: bool, limit: int, partitions: Partitions) -> list[Any]:
    """The first ``limit`` rows of ``stmt`` in ``sort`` order, read as one run per partition: first the
    ids of the page (one statement, a run per value), then their rows (a second one)."""
    if not partitions.values:
        return []
    mapper = sa.inspect(stmt.column_descriptions[0]["entity"])
    (identity,) = mapper.primary_key
    keys = [column.label(f"key{n}") for n, column in enumerate(sort.columns)]
    run = stmt.with_only_columns(*keys, identity.label("row_id"), maintain_column_froms=True)
    runs = [
        # Each run a subquery of its own: SQLite orders and limits only a whole compound select.
        sa.select(run.where(partitions.column == value).order_by(*sort.order_by(reverse)).limit(limit).subquery())
        for value in partitions.values
    ]
    merged = sa.union_all(*runs).subquery()
    down = sort.descending != reverse
    order = [merged.c[key.name].desc() if down else merged.c[key.name].asc() for key in keys]
    ids = list(db.session.scalars(sa.select(merged.c.row_id).order_by(*order).limit(limit)))
    # The rows by their ids alone, with the statement's loader options: the ids already met its
    # conditions. Given the conditions again, SQLite walks the (partition, sort key) index over every
    # earlier row of the kraj rather than look up fifty ids (100 ms at a million, growing with it).
    rows = sa.select(mapper).where(identity.in_(ids)).options(*stmt._with_options)
    found = {sa.inspect(row).identity[0]: row for row in db.session.scalars(rows)}
    return [found[row_id] for row_id in ids if row_id in found]


def paginate(
    stmt: sa.Select,
    sort: Sort,
    key_of,
    *,
    per_page: int = PER_PAGE,
    after: str | None = None,
    before: str | None = None,
    count: bool = False,
    scalars: bool = True,
    partitions: Partitions | None = None,
) -> Page:
    """One page of ``stmt`` (which must not be ordered yet) in ``sort`` order, after or before a cursor
    (from the URL when neither is given). ``key_of(row)`` returns the sort key values of a row.
    A cursor that is not one of ours is 400. One statement, and one more with ``count``; with
    ``partitions`` (``stmt`` then selects one mapped class), two."""
    if after is None and before is None:
        after, before = cursor_args()
    cursor, reverse = (after, False) if after else (before, True) if before else (None, False)
    where: list[sa.ColumnElement[bool]] = []
    if cursor:
        try:
            values = decode_cursor(cursor, len(sort.columns))
        except ValueError:
            values = None
        if values is None or not sort.accepts(values):
            raise BadCursor()
        where.append(sort.after(values, reverse))
    if partitions is not None:
        rows = _merged(stmt.where(*where), sort, reverse, per_page + 1, partitions)
    else:
        result = db.session.execute(stmt.where(*where).order_by(*sort.order_by(reverse)).limit(per_page + 1))
        rows = list(result.scalars() if scalars else result)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if reverse:
        rows.reverse()
    page: Page = Page(items=rows)
    if rows:
        first, last = encode_cursor(key_of(rows[0])), encode_cursor(key_of(rows[-1]))
        # Going forward there is a previous page when we came from one; going back, a next page.
        page.next_cursor = last if (more and not reverse) or (reverse and cursor) else None
        page.previous_cursor = first if (more and reverse) or (not reverse and cursor) else None
    if count:
        page.count, page.count_exceeds = count_upto(stmt)
    return page


def first_rows(stmt: sa.Select, limit: int, partitions: Partitions | None = None) -> sa.Subquery:
    """At most ``limit`` rows of ``stmt``, in no particular order, as a subquery to count or sum. With
    ``partitions``, read one partition after the other, each through its own index, until there are
    enough: a count stops after ``limit`` rows however many the partitions hold."""
    if partitions is None:
        return stmt.limit(limit).subquery()
    if not partitions.values:
        return stmt.where(sa.false()).limit(limit).subquery()
    runs = [stmt.where(partitions.column == value) for value in partitions.values]
    return sa.union_all(*runs).limit(limit).subquery()


def count_upto(stmt: sa.Select, limit: int = COUNT_LIMIT, partitions: Partitions | None = None) -> tuple[int, bool]:
    """How many rows ``stmt`` selects, reading at most ``limit + 1`` of them: (count, more than limit)."""
    rows = stmt.with_only_columns(sa.literal(1), maintain_column_froms=True).order_by(None)
    capped = first_rows(rows, limit + 1, partitions)
    found = db.session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0
    return min(found, limit), found > limit
