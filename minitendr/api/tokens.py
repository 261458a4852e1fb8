"""Personal API tokens: creating one (shown once), finding the token a request carries, revoking.

Functions flush, never commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa

from minitendr import clock
from minitendr.api.models import ApiToken
from minitendr.audit.service import record
from minitendr.auth.models import User
from minitendr.db import DomainError, db
from minitendr.privacy import required_text

PREFIX = "mt_"
MAX_NAME = 80
MAX_DAYS = 365


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, *, read_only: bool = False, days: int | None = 90) -> tuple[ApiToken, str]:
    """A new token of ``user``: the row and the token itself, which is shown once and never kept."""
    name = required_text(name, "name", "Pojmenujte token (např. podle systému, který jej použije).")
    if len(name) > MAX_NAME:
        raise DomainError(f"Název tokenu může mít nejvýše {MAX_NAME} znaků.", field="name")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise DomainError(f"Platnost tokenu může být 1 až {MAX_DAYS} dní.", field="days")
    if not user.active:
        raise DomainError("Neaktivní účet nemůže mít API token.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest(secret),
        prefix=secret[: len(PREFIX) + 6],
        read_only=read_only,
        expires_at=clock.now() + dt.timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.flush()
    record("api_token.created", user, {"token": token.id, "name": name, "read_only": read_only}, actor=user)
    return token, secret


def tokens_of(user: User) -> list[ApiToken]:
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(db.session.scalars(stmt))


def revoke(token: ApiToken, by: User) -> None:
    if token.revoked_at is not None:
        raise DomainError("Token už byl zneplatněn.")
    token.revoked_at = clock.now()
    record("api_token.revoked", token.user, {"token": token.id, "name": token.name}, actor=by)


def find(secret: str) -> ApiToken | None:
    """The usable token ``secret`` is, or None (unknown, revoked, expired, its user inactive)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    return token if token is not None and token.is_usable else None
