"""Forgotten passwords: a single-use link by e-mail that sets a new one.

- The answer to a request is the same whether or not the address has an account, and so is the work
  done before it (a token is made and hashed either way), so neither the page nor its timing tells
  who has an account; the e-mail goes only to an active account's own address.
- A link is good for ``VALIDITY`` and for one use; a newer request replaces it. Only its SHA-256 is
  stored, so the database (or a backup of it) cannot be turned into a working link.
- The link is built from ``MINITENDR_BASE_URL``, never from the request's Host header, which whoever
  sends the request chooses (the "reset poisoning" attack).
- Setting the new password ends every session of the account and is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from minitendr import clock, formatting
from minitendr.audit.service import record
from minitendr.auth import sessions
from minitendr.auth.models import PasswordResetToken, User
from minitendr.auth.service import check_password_strength, normalize_email
from minitendr.db import DomainError, db
from minitendr.notifications.service import email_only, link

VALIDITY = dt.timedelta(hours=1)
INVALID_LINK = (
    "Odkaz pro nastavení hesla je neplatný, už byl použit, nebo vypršel (platí jednu hodinu a jen "
    "poslední vyžádaný). Vyžádejte si nový."
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def request_reset(email: str) -> None:
    """Send a reset link to ``email`` if it is an active account's address; otherwise do nothing
    visible. Older links of the account stop working."""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    token_hash = _hash(token)
    # Expired links are nobody's: swept here, where they are made.
    db.session.execute(sa.delete(PasswordResetToken).where(PasswordResetToken.expires_at <= now))
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        db.session.flush()
        return
    db.session.execute(sa.delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    db.session.add(
        PasswordResetToken(user_id=user.id, token_hash=token_hash, created_at=now, expires_at=now + VALIDITY)
    )
    email_only(
        user.email,
        "Nastavení nového hesla",
        "Někdo (snad vy) požádal o nastavení nového hesla k vašemu účtu v aplikaci minitendr.\n\n"
        f"Nové heslo nastavíte na této adrese:\n{_absolute(link('auth.reset_password', token=token))}\n\n"
        f"Odkaz platí jednu hodinu (do {formatting.datetime(now + VALIDITY)}) a lze jej použít "
        "jen jednou. Pokud jste o nové heslo nežádali, zprávu pominěte: vaše heslo zůstává beze změny.",
    )


def masked(text: str) -> str:
    """``text`` with the token of every reset link in it replaced by "…". The outbox page shows an admin
    the e-mails queued and sent; a live link read there would let them set somebody else's password
    (and log in as them). The e-mail itself keeps its link."""
    [rule] = current_app.url_map.iter_rules("auth.reset_password")
    path = rule.rule.split("<", 1)[0]  # "/password/reset/", under whatever prefix BASE_URL gives it
    return re.sub(rf"({re.escape(path)})[^\s/?#]+", r"\1…", text)


def _absolute(path: str) -> str:
    base = urlsplit(current_app.config.get("BASE_URL") or "")
    return f"{base.scheme}://{base.netloc}{path}" if base.netloc else path


def valid_token(token: str) -> PasswordResetToken | None:
    """The stored link of ``token`` while it is good (not used, not replaced, not expired, of an
    active account), or None."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash(token)))
    if row is None or row.expires_at <= clock.now() or not row.user.active:
        return None
    return row


def reset_password(token: str, new_password: str) -> User:
    """Set the account's new password through a good link, which is used up by it."""
    row = valid_token(token)
    if row is None:
        raise DomainError(INVALID_LINK)
    user = row.user
    check_password_strength(new_password, field="new_password")
    user.set_password(new_password)
    db.session.execute(sa.delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    sessions.end_all(user)
    record("user.password_reset", user, actor=user)
    return user
