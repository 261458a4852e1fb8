"""What falls due in the register of contracts: every sub-contract and amendment the user may see that
must be published and is not yet, by the day its 30 days run out (zákon 340/2015 Sb., § 5 odst. 2),
overdue first.

The list is two lists merged: the unpublished sub-contracts (partial index ``ix_subcontract_pending_*``,
a kraj's read ORP by ORP) and the unpublished amendments (``ix_amendment_unpublished``). Each is read
a page at a time in its own order; a page of the merged list is the first page's worth of both, so a
page costs the same statements however many wait."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from minitendr import clock
from minitendr.auth.models import Role, User
from minitendr.contracts.models import Amendment, SubContract
from minitendr.db import db
from minitendr.pagination import (
    PER_PAGE,
    BadCursor,
    Page,
    Partitions,
    Sort,
    cursor_args,
    decode_cursor,
    encode_cursor,
    not_by_index,
    paginate,
)
from minitendr.permissions import reads_nationally, subcontract_scope
from minitendr.registry.models import Orp

# zákon 340/2015 Sb., § 5 odst. 2: within 30 days of the contract's conclusion.
DAYS_TO_PUBLISH = 30
# Where a sub-contract and an amendment concluded on the same day stand: the contract first.
CONTRACT, AMENDMENT = 0, 1
# An id larger than any row's (the ids are 32-bit integers) and one smaller: "everything of that day"
# in a (day, id) cursor.
AFTER_EVERY_ID, BEFORE_EVERY_ID = 2**31 - 1, 0


@dataclass(frozen=True)
class Due:
    """One contract or amendment waiting for the register."""

    kind: int  # CONTRACT or AMENDMENT
    concluded_on: dt.date
    subcontract: SubContract
    amendment: Amendment | None = None

    @property
    def row_id(self) -> int:
        return self.amendment.id if self.amendment is not None else self.subcontract.id

    @property
    def key(self) -> tuple[dt.date, int, int]:
        return (self.concluded_on, self.kind, self.row_id)

    @property
    def due_on(self) -> dt.date:
        return self.concluded_on + dt.timedelta(days=DAYS_TO_PUBLISH)

    @property
    def days_left(self) -> int:
        """Days until the deadline; negative: that many days overdue."""
        return (self.due_on - clock.today()).days

    @property
    def value(self):
        return self.amendment.new_value if self.amendment is not None else self.subcontract.value


CONTRACTS = Sort((SubContract.signed_on.expression, SubContract.id.expression))
AMENDMENTS = Sort((Amendment.consent_on.expression, Amendment.id.expression))


def _branch_cursor(kind: int, cursor: list) -> str:
    """The merged list's cursor (day, kind, id) as a (day, id) cursor of the branch ``kind``. Rows of
    the cursor's own kind go on from its id. Of a later kind, the cursor's whole day lies after it
    (and before it, going back, only the earlier days): from the day's first id. Of an earlier kind,
    the day lies before it: from past the day's last id. The same both ways."""
    day, cursor_kind, row_id = cursor
    if kind == cursor_kind:
        return encode_cursor([day, row_id])
    return encode_cursor([day, BEFORE_EVERY_ID if kind > cursor_kind else AFTER_EVERY_ID])


def _decoded() -> tuple[list | None, bool]:
    after, before = cursor_args()
    cursor = after or before
    if cursor is None:
        return None, False
    try:
        values = decode_cursor(cursor, 3)
    except ValueError:
        raise BadCursor() from None
    day, kind, row_id = values
    if type(day) is not dt.date or kind not in (CONTRACT, AMENDMENT) or type(row_id) is not int:
        raise BadCursor()
    return values, before is not None and after is None


def due_list(user: User) -> Page[Due]:
    """One page of what ``user`` must see published, the earliest deadline first, after or before the
    cursor in the URL."""
    cursor, reverse = _decoded()
    pages = []
    for kind, stmt, sort, partitions in _branches(user):
        there = _branch_cursor(kind, cursor) if cursor is not None else None
        after, before = (None, there) if reverse else (there, None)
        pages.append(
            (
                kind,
                paginate(
                    stmt, sort, sort.values_of, per_page=PER_PAGE, after=after, before=before, partitions=partitions
                ),
            )
        )
    rows = sorted((_due(kind, row) for kind, page in pages for row in page.items), key=lambda due: due.key)
    more = len(rows) > PER_PAGE or any((page.has_previous if reverse else page.has_next) for _kind, page in pages)
    rows = rows[-PER_PAGE:] if reverse else rows[:PER_PAGE]
    merged: Page[Due] = Page(items=rows)
    if rows:
        first, last = encode_cursor(list(rows[0].key)), encode_cursor(list(rows[-1].key))
        merged.next_cursor = last if (more and not reverse) or (reverse and cursor is not None) else None
        merged.previous_cursor = first if (more and reverse) or (not reverse and cursor is not None) else None
    return merged


def _due(kind: int, row) -> Due:
    if kind == CONTRACT:
        return Due(CONTRACT, row.signed_on, row)
    return Due(AMENDMENT, row.consent_on, row.subcontract, row)


def _branches(user: User):
    """(kind, statement, sort, partitions) of the two lists, each limited to what ``user`` sees."""
    kraj_orps = (
        list(db.session.scalars(sa.select(Orp.id).where(Orp.kraj_id == user.kraj_id).order_by(Orp.id)))
        if user.role is Role.KRAJ
        else None
    )
    contracts = (
        sa.select(SubContract)
        .where(SubContract.registry_pending, subcontract_scope(user))
        .options(selectinload(SubContract.provider))
    )
    partitions = Partitions(SubContract.orp_id.expression, kraj_orps) if kraj_orps is not None else None
    yield CONTRACT, contracts, CONTRACTS, partitions
    # Walked in the order of ix_amendment_unpublished (a few rows), each checked against the user's
    # sub-contracts, rather than read through the sub-contracts (a kraj's are tens of thousands).
    mine = not_by_index(Amendment.subcontract_id.expression).in_(
        sa.select(SubContract.id).where(subcontract_scope(user))
    )
    amendments = (
        sa.select(Amendment)
        .where(Amendment.registry_id.is_(None), Amendment.requires_registry)
        .where(*([] if reads_nationally(user) else [mine]))
        .options(selectinload(Amendment.subcontract).selectinload(SubContract.provider))
    )
    yield AMENDMENT, amendments, AMENDMENTS, None
