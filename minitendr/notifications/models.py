"""In-app notifications per user, and the e-mail outbox."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from minitendr import clock
from minitendr.db import Model, UTCDateTime, intpk, timestamp


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_user_unread", "user_id", "read_at"),
        # A user's notifications newest first, a page at a time (minitendr.notifications.service.NEWEST_FIRST).
        sa.Index("ix_notification_user_created", "user_id", "created_at", "id"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OutboxEmail(Model):
    """An e-mail written in the same transaction as the change it reports, sent after commit."""

    __tablename__ = "outbox_email"

    id: Mapped[intpk]
    created_at: Mapped[timestamp] = mapped_column(default=clock.now, index=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
