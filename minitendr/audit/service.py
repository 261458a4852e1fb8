"""Writing the audit trail. Callers record in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request, url_for
from flask_login import current_user

from minitendr import clock
from minitendr.audit import chain, labels
from minitendr.audit.models import AuditEvent
from minitendr.db import db
from minitendr.pagination import Page, Sort, paginate


def _jsonable(value: Any) -> Any:
    """Audit data is JSON: money as an exact string, dates in ISO, enums by value."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def record(action: str, obj: Any, data: dict[str, Any] | None = None, actor: Any = None) -> AuditEvent:
    """Append an audit event for ``obj`` (flushed first, so it has an id) done by ``actor``, chained
    to the last event.

    The actor defaults to the logged-in user; outside a request (CLI, seed) it is the system.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    # Everything pending is written first, so the chain's lock below is the last lock this step takes:
    # a row lock taken after it could deadlock with a transaction that holds the row and waits for it.
    db.session.flush()
    event = AuditEvent(
        # Taken now, not at flush time: the event happened when it was recorded.
        occurred_at=clock.now(),
        actor_id=getattr(actor, "id", None),
        actor_label=actor.email if actor is not None else "systém",
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        data=_jsonable(data or {}),
    )
    chain.lock(db.session)
    event.prev_hash = _last_hash()
    event.hash = chain.event_hash({name: getattr(event, name) for name in chain.HASHED_FIELDS}, event.prev_hash)
    db.session.add(event)
    return event


def _last_hash() -> str:
    """The hash of the newest event: one still waiting in this session (events are inserted in the
    order they were added, so ids follow the chain), else the newest row."""
    pending = [e for e in db.session.new if isinstance(e, AuditEvent)]
    if pending:
        return max(pending, key=_insert_order).hash
    # Core on the session's connection: this runs for every event a bulk replay records.
    last = db.session.connection().scalar(_NEWEST_HASH)
    return last or chain.GENESIS


def _insert_order(event: AuditEvent) -> int:
    order = sa.inspect(event).insert_order
    assert order is not None  # the session numbers every object it is given to insert
    return order


_NEWEST_HASH = sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


def verify_chain() -> chain.Report:
    """Walk the whole trail in id order and report the first broken link (streamed: the trail is long)."""
    columns = [AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash]
    columns += [getattr(AuditEvent, name) for name in chain.HASHED_FIELDS]
    rows = db.session.execute(sa.select(*columns).order_by(AuditEvent.id).execution_options(yield_per=2000))
    return chain.verify(rows)


# --- an object's history, a page at a time -------------------------------------------------------
# Newest first by id: the trail is appended in id order (the hash chain follows it), and
# ix_audit_event_object (object_type, object_id, id) serves a page of one object's events in order.
NEWEST_FIRST = Sort((AuditEvent.id.expression,), descending=True)
HISTORY_PAGE = 50
# The history has cursors of its own in the URL, so that it pages beside another list on the same page.
HISTORY_AFTER, HISTORY_BEFORE = "history_after", "history_before"
# The page each kind of object's history is shown on: its links lead there also when the page is the
# answer to a refused form (a POST to another address).
HISTORY_PAGES = {
    "framework_contract": ("frameworks.detail", "framework_id"),
    "subcontract": ("contracts.detail", "subcontract_id"),
    "demand": ("demands.detail", "demand_id"),
    "provider": ("providers.detail", "provider_id"),
}


@dataclass
class HistoryPage(Page[AuditEvent]):
    """A page of one object's history; its links change only the history's cursor."""

    page_url: Callable[..., str] | None = None
    # The object whose history this is: the audit log links back to it, filtered on it.
    object_type: str = ""
    object_id: int | None = None

    @property
    def next_url(self) -> str | None:
        return self._link(HISTORY_AFTER, self.next_cursor)

    @property
    def previous_url(self) -> str | None:
        return self._link(HISTORY_BEFORE, self.previous_cursor)

    def _link(self, name: str, cursor: str | None) -> str | None:
        return self.page_url(**{name: cursor}) if cursor and self.page_url else None


def history(obj: Any) -> HistoryPage:
    """One page of the audit events of ``obj``, newest first, at the history's cursor in the URL
    (``history_after`` / ``history_before``; a cursor that is not one of ours is 400). Two statements
    at most however long the history: a sub-contract with years of monthly drawdowns pages too."""
    stmt = sa.select(AuditEvent).where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
    args = request.args if has_request_context() else {}
    after = args.get(HISTORY_AFTER) or ""
    page = paginate(
        stmt,
        NEWEST_FIRST,
        lambda event: (event.id,),
        per_page=HISTORY_PAGE,
        after=after,
        before="" if after else args.get(HISTORY_BEFORE) or "",
    )
    labels.load_names(page.items)
    return HistoryPage(
        page.items,
        page.next_cursor,
        page.previous_cursor,
        page_url=_page_url(obj),
        object_type=obj.__tablename__,
        object_id=obj.id,
    )


def _page_url(obj: Any) -> Callable[..., str] | None:
    """How to link to ``obj``'s page with another history cursor, keeping the rest of the URL (another
    list's cursor or filters); None outside a request."""
    if not has_request_context():
        return None
    values: dict[str, Any] = {k: v for k, v in request.args.items() if v and k not in (HISTORY_AFTER, HISTORY_BEFORE)}
    if obj.__tablename__ in HISTORY_PAGES:
        endpoint, argument = HISTORY_PAGES[obj.__tablename__]
        values[argument] = obj.id
    else:
        endpoint = request.endpoint or ""
        values.update(request.view_args or {})
    return lambda **cursor: url_for(endpoint, _anchor="historie", **values, **cursor)
