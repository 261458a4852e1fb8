"""Writing the audit trail. Callers record in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

from minitendr import clock
from minitendr.audit import chain
from minitendr.audit.models import AuditEvent
from minitendr.db import db


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


def history(obj: Any) -> list[AuditEvent]:
    """The audit events of one object, newest first."""
    stmt = (
        db.select(AuditEvent)
        .where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    return list(db.session.scalars(stmt))
