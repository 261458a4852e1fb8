"""An object's audit trail through the API, where the rules let its reader see it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from minitendr.api import present
from minitendr.api.core import listing, user
from minitendr.audit.models import AuditEvent
from minitendr.audit.service import HISTORY_PAGE, NEWEST_FIRST
from minitendr.pagination import paginate
from minitendr.permissions import can_read_history, ensure


def history_of(obj: Any) -> dict[str, Any]:
    """A page of ``obj``'s events, newest first (the caller has checked the object may be read)."""
    ensure(can_read_history(user(), obj))
    stmt = sa.select(AuditEvent).where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
    page = paginate(stmt, NEWEST_FIRST, lambda event: (event.id,), per_page=HISTORY_PAGE)
    return listing(page, present.audit_event)
