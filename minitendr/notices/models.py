"""A kraj's notice to the parties of a framework (or of every framework of a category in the kraj),
and one row per provider user it went to, which keeps the read receipt."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import Model, UTCDateTime, intpk, timestamp
from minitendr.frameworks.models import FrameworkContract
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, ServiceCategory

SUBJECT_MAX = 200
BODY_MAX = 5000


class Notice(Model):
    __tablename__ = "notice"
    __table_args__ = (
        # Exactly one addressee: a framework, or a category (all the kraj's frameworks of it).
        sa.CheckConstraint("(framework_id IS NULL) <> (category_id IS NULL)", name="one_addressee"),
        # A kraj's notices, newest first.
        sa.Index("ix_notice_kraj_created", "kraj_id", "created_at", "id"),
    )

    id: Mapped[intpk]
    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    framework_id: Mapped[int | None] = mapped_column(sa.ForeignKey("framework_contract.id"))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_category.id"))
    subject: Mapped[str] = mapped_column(sa.String(SUBJECT_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)

    kraj: Mapped[Kraj] = relationship()
    framework: Mapped[FrameworkContract | None] = relationship()
    category: Mapped[ServiceCategory | None] = relationship()
    author = relationship("User")
    recipients: Mapped[list[NoticeRecipient]] = relationship(
        back_populates="notice", order_by="NoticeRecipient.id", cascade="all, delete-orphan"
    )

    @property
    def addressee(self) -> str:
        """To whom it went, in words."""
        if self.framework is not None:
            return f"smluvní strany rámcové smlouvy {self.framework.number}"
        assert self.category is not None
        return f"smluvní strany všech rámcových smluv kategorie {self.category.name}"


class NoticeRecipient(Model):
    """A provider user a notice went to; ``read_at`` is the read receipt (when they opened it)."""

    __tablename__ = "notice_recipient"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "user_id", name="uq_notice_recipient_user"),
        # A user's notices, unread first, then newest (the start page reads the first few).
        sa.Index("ix_notice_recipient_user_read", "user_id", "read_at", "notice_id"),
    )

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"))
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    notice: Mapped[Notice] = relationship(back_populates="recipients")
    provider: Mapped[Provider] = relationship()
    user = relationship("User")

    def mark_read(self) -> bool:
        """The read receipt, taken the first time the recipient opens the notice; True when new."""
        if self.read_at is not None:
            return False
        self.read_at = clock.now()
        return True
