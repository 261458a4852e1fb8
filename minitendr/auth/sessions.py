"""Sessions that end when they should.

A session is a signed cookie; on its own it would live as long as anybody keeps a copy of it. So each
session carries the account's *generation* and the times it was opened and last used, and every
request checks them against the account (loaded anyway) and ``minitendr.clock``:

- logout, a new password and deactivation raise the generation, which ends every copy of every
  session of the account at once, on every app host, with no session store to share;
- a session unused for ``SESSION_IDLE_TIMEOUT`` (60 minutes) or older than ``SESSION_MAX_AGE``
  (12 hours) has ended, however often it was used;
- the cookie lasts only while the browser is open (not "permanent"), which is also what lets
  Flask-Login's "strong" protection drop a session replayed from another address or browser.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from flask import current_app, session
from flask_login import login_user

from minitendr import clock
from minitendr.auth.models import User
from minitendr.db import db

GENERATION = "_generation"
OPENED = "_opened_at"
SEEN = "_seen_at"
# Writing the last-use time on every request would reissue the cookie on every request.
SEEN_PRECISION = 60


def _now() -> int:
    return int(clock.now().timestamp())


def stamp(data: MutableMapping[str, Any], user: User) -> None:
    """Mark a session as opened now for ``user`` in their current generation."""
    now = _now()
    data[GENERATION] = user.session_generation
    data[OPENED] = now
    data[SEEN] = now


def begin(user: User) -> None:
    """Log ``user`` in with a brand-new session: nothing from before (a planted value, a copied
    cookie) survives, and the cookie a visitor held before logging in never becomes a logged-in one."""
    session.clear()
    login_user(user)
    session.permanent = False
    stamp(session, user)


def end_all(user: User) -> None:
    """End every session ``user`` has, wherever its copies are (the caller commits)."""
    user.session_generation += 1
    db.session.flush()


def is_alive(data: MutableMapping[str, Any], user: User) -> bool:
    """Whether this session still belongs to ``user``: same generation, not idle, not too old."""
    opened, seen = data.get(OPENED), data.get(SEEN)
    if data.get(GENERATION) != user.session_generation or not isinstance(opened, int) or not isinstance(seen, int):
        return False
    now = _now()
    idle, max_age = current_app.config["SESSION_IDLE_TIMEOUT"], current_app.config["SESSION_MAX_AGE"]
    if max_age is not None and now - opened >= max_age.total_seconds():
        return False
    return idle is None or now - seen < idle.total_seconds()


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the account of a living session, or nobody (and the session is
    emptied, so the dead cookie is replaced)."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not is_alive(session, user):
        session.clear()
        return None
    if _now() - session[SEEN] >= SEEN_PRECISION:
        session[SEEN] = _now()
    return user
