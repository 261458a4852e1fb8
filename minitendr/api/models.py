"""Personal API tokens, the record of their use, and the answers to idempotent requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import Model, UTCDateTime, intpk, timestamp


class ApiToken(Model):
    """A personal token: it acts as its user (role and objects, nothing more). Only the SHA-256 of the
    token is kept (a token is 256 random bits: a plain hash cannot be reversed by guessing); the
    prefix lets its owner tell tokens apart in the list."""

    __tablename__ = "api_token"
    __table_args__ = (sa.CheckConstraint("name <> ''", name="name_not_empty"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    @property
    def is_usable(self) -> bool:
        """Not revoked, not expired, and its user still active."""
        if self.revoked_at is not None or not self.user.active:
            return False
        return self.expires_at is None or self.expires_at > clock.now()


class ApiTokenUse(Model):
    """Every request made with a token: when, what, and how it was answered (cheap, one row; the
    state changes it made are in the audit trail as the user's)."""

    __tablename__ = "api_token_use"
    __table_args__ = (sa.Index("ix_api_token_use_token", "token_id", "id"),)

    id: Mapped[intpk]
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_token.id"))
    used_at: Mapped[timestamp] = mapped_column(default=clock.now)
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[int]
    address: Mapped[str] = mapped_column(sa.String(64), default="")


class IdempotentRequest(Model):
    """A write sent with an ``Idempotency-Key``: the first one claims the key for its token (the
    unique constraint makes a retry or a race wait for it and then find it) and keeps its answer,
    which every retry receives again instead of writing twice."""

    __tablename__ = "api_idempotent_request"
    __table_args__ = (sa.UniqueConstraint("token_id", "key", name="uq_api_idempotent_request_token_key"),)

    id: Mapped[intpk]
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_token.id"))
    key: Mapped[str] = mapped_column(sa.String(200))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    status: Mapped[int | None]
    body: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    location: Mapped[str | None] = mapped_column(sa.String(300))
