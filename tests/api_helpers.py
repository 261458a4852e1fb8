"""Helpers of the API tests: a token for a persona, and requests that carry it."""

from __future__ import annotations

from minitendr.api import tokens
from minitendr.db import db


def bearer(user, *, read_only: bool = False) -> dict[str, str]:
    """The Authorization header of a new token of ``user`` (committed, as the CLI or the page makes it)."""
    _token, secret = tokens.create_token(user, "test", read_only=read_only)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}
