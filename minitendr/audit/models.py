"""The audit trail: an append-only record of every state change — who, when, what.

Append-only three times over: the ORM refuses to update or delete an event, the database's triggers
refuse UPDATE and DELETE of its rows, and each row is chained to the previous one by hash.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import Model, intpk, timestamp

# Actions whose actor no page shows, and what is shown instead.
ANONYMOUS_ACTORS = {"demand.question_asked": "poskytovatel (anonymně)"}


class AuditEvent(Model):
    __tablename__ = "audit_event"
    # One object's history newest first, a page at a time, straight from the index (audit.service.history).
    __table_args__ = (
        sa.Index("ix_audit_event_object", "object_type", "object_id", "id"),
        # The audit log's filters by user and by event, newest first (minitendr.audit.log).
        sa.Index("ix_audit_event_actor", "actor_id", "id"),
        sa.Index("ix_audit_event_action_id", "action", "id"),
    )

    id: Mapped[intpk]
    occurred_at: Mapped[timestamp] = mapped_column(default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Kept as text too: the trail must still say who it was if the account is ever renamed.
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The hash chain (see audit.chain): unique, so two appends can never continue the same event.
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))

    actor = relationship("User")

    @property
    def shown_actor(self) -> str:
        """Who did it, as pages may show it: the trail keeps every actor, but who asked a question
        about a minitender is known to no one but the asker (nor is it shown to them here)."""
        return ANONYMOUS_ACTORS.get(self.action, self.actor_label)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}#{self.object_id}>"


class AppendOnlyError(RuntimeError):
    """Someone tried to change or delete an audit record."""


@sa.event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper, _connection, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit events are append-only: {target!r}")


@sa.event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper, _connection, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit events are append-only: {target!r}")
