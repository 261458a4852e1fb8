"""Writing the audit trail. Callers record in the same transaction as the change they describe."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

from flask import has_request_context
from flask_login import current_user

from minitendr import clock
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
    """Append an audit event for ``obj`` (flushed first, so it has an id) done by ``actor``.

    The actor defaults to the logged-in user; outside a request (CLI, seed) it is the system.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if getattr(obj, "id", None) is None:
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
    db.session.add(event)
    return event


def history(obj: Any) -> list[AuditEvent]:
    """The audit events of one object, newest first."""
    stmt = (
        db.select(AuditEvent)
        .where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    return list(db.session.scalars(stmt))
