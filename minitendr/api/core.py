"""What every API request shares: the Bearer token (and nothing else) authenticates it, a read-only
token only reads, each use is recorded, GETs answer with an ETag (and 304), lists page by cursor with a
``next`` link, and a write with an ``Idempotency-Key`` is done once however often it is sent."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urljoin

import sqlalchemy as sa
from flask import current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from marshmallow import Schema
from werkzeug.http import generate_etag

from minitendr import clock
from minitendr.api import tokens
from minitendr.api.models import ApiToken, ApiTokenUse, IdempotentRequest
from minitendr.api.problems import Problem
from minitendr.db import DomainError, db
from minitendr.pagination import Page

PREFIX = "/api/v1"
# Served to anyone: the OpenAPI document and its documentation page.
PUBLIC_ENDPOINTS = {"api-docs.openapi_json", "api_docs.docs"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
UPDATES = {"PUT", "PATCH"}
MAX_KEY = 200


def is_api_request() -> bool:
    return request.path.startswith(PREFIX + "/") or request.path == PREFIX


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def limit_key() -> str:
    """Requests are counted per token (several scripts may share one office's address)."""
    secret = bearer_secret()
    return f"api-token:{tokens.digest(secret)[:32]}" if secret else f"api-address:{get_remote_address()}"


def authenticate() -> None:
    """Before every API request: only a Bearer token makes a user. The session cookie of a browser
    does not (a page of another site could otherwise make the browser write through the API, which
    has no CSRF token), so the API is exempt from CSRF and the cookie is ignored."""
    if not is_api_request():
        return
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    secret = bearer_secret()
    token = tokens.find(secret) if secret else None
    if token is None:
        raise Problem(401)
    g.api_token = token
    g._login_user = token.user
    if token.read_only and request.method not in SAFE_METHODS:
        raise Problem(403, "Token je jen pro čtení; k zápisu vytvořte token s oprávněním k zápisu.")


def finish(response):
    """After every API request: caching by ETag (private: a shared cache must not keep one user's
    answer for another), and the token's use recorded."""
    if not is_api_request():
        return response
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.make_conditional(request)
    elif request.method in UPDATES and response.status_code == 200 and response.is_json:
        response.add_etag()  # the changed object's new ETag: the If-Match of the next change
    token: ApiToken | None = g.get("api_token")
    if token is not None:
        try:
            token_id, now = token.id, clock.now()
            # The request's own transaction ends first: on SQLite a transaction that has read cannot
            # start writing once another request has written ("database is locked", at once); one that
            # starts with the write waits its turn.
            db.session.commit()
            db.session.add(
                ApiTokenUse(
                    token_id=token_id,
                    used_at=now,
                    method=request.method[:10],
                    path=request.path[:300],
                    status=response.status_code,
                    address=(request.remote_addr or "")[:64],
                )
            )
            db.session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
            db.session.commit()
        except Exception:  # the answer was given; its record must not turn it into a 500
            db.session.rollback()
            current_app.logger.exception("API token use not recorded")
    return response


# --- values as the API writes them -----------------------------------------------------------------
def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def moment(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(clock.PRAGUE).isoformat()


def day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def absolute(path: str) -> str:
    return urljoin(request.host_url, path)


def listing(page: Page, present: Callable[[Any], dict]) -> dict[str, Any]:
    """A page of a list: its items and the link to the next page (null on the last)."""
    body: dict[str, Any] = {"items": [present(item) for item in page.items], "next": None}
    if page.next_url:
        body["next"] = absolute(page.next_url)
    if page.count is not None:
        body["count"] = page.count
    return body


# --- writes --------------------------------------------------------------------------------------
def etag_of(schema: Schema, body: dict[str, Any]) -> str:
    """The ETag a GET answers for ``body`` written by ``schema``: the same bytes flask-smorest sends,
    hashed as ``finish`` hashes them (werkzeug's ``add_etag``)."""
    return generate_etag(jsonify(schema.dump(body)).get_data())


def ensure_unchanged(schema: Schema, body: dict[str, Any]) -> None:
    """Optimistic concurrency: a change sent with ``If-Match`` goes ahead only while the object reads
    as it did when its ETag was given (``*``: whatever it reads now); otherwise 412, and nothing is
    changed. Without ``If-Match`` the change goes ahead (clients written before it keep working). The
    caller holds the object's row lock, so that two changes made from one ETag cannot both pass."""
    if "If-Match" not in request.headers:
        return
    if not request.if_match.contains(etag_of(schema, body)):
        raise Problem(
            412,
            "Záznam se od vašeho načtení změnil (If-Match neodpovídá jeho ETag). Načtěte jej znovu a změnu zopakujte.",
            field="If-Match",
        )


def perform(action: Callable[[], Any], present: Callable[[Any], dict], status: int = 200):
    """Run a service ``action`` and commit once; a refused rule is 422 at its field. The answer is
    kept with the request's Idempotency-Key (in the same transaction) when it came with one."""
    try:
        result = action()
        body = present(result)
    except DomainError as error:
        db.session.rollback()
        raise Problem(422, error.message, field=error.field) from error
    claim: IdempotentRequest | None = g.get("idempotency_claim")
    if claim is None:
        db.session.commit()
        return body, status
    claim.status, claim.body = status, json.loads(json.dumps(body))
    token_id, key, fingerprint = claim.token_id, claim.key, claim.fingerprint
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # a twin with the key committed first (a database that did not make us wait)
        db.session.rollback()
        stored = db.session.scalar(
            sa.select(IdempotentRequest).where(IdempotentRequest.token_id == token_id, IdempotentRequest.key == key)
        )
        if stored is None:
            raise
        return _replay(stored, fingerprint)
    return body, status


def _fingerprint() -> str:
    """What the request asks, whatever its encoding (a multipart boundary differs on each retry)."""
    parts: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.is_json:
        parts["json"] = request.get_json(silent=True)
    else:
        parts["form"] = sorted(request.form.items(multi=True))
        parts["files"] = sorted(
            (name, hashlib.sha256(file.stream.read()).hexdigest()) for name, file in request.files.items(multi=True)
        )
        for file in request.files.values():
            file.stream.seek(0)
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _replay(stored: IdempotentRequest, fingerprint: str):
    if stored.fingerprint != fingerprint:
        raise Problem(
            422,
            "Klíč Idempotency-Key už byl použit pro jiný požadavek; pro nový požadavek použijte nový klíč.",
            field="Idempotency-Key",
        )
    if stored.status is None:
        raise Problem(409, "Požadavek se stejným klíčem Idempotency-Key se právě zpracovává.")
    return stored.body, stored.status, {"Idempotent-Replayed": "true"}


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """A write that a retry must not repeat: with an ``Idempotency-Key`` header the first request
    claims the key for its token (a unique row, written with the change itself); a retry, or a
    request racing it, gets the first one's answer instead of writing twice."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY or not key.isprintable():
            raise Problem(400, f"Idempotency-Key musí mít 1 až {MAX_KEY} tisknutelných znaků.", field="Idempotency-Key")
        token = g.api_token
        fingerprint = _fingerprint()
        find = sa.select(IdempotentRequest).where(IdempotentRequest.token_id == token.id, IdempotentRequest.key == key)
        stored = db.session.scalar(find)
        if stored is not None:
            return _replay(stored, fingerprint)
        claim = IdempotentRequest(token_id=token.id, key=key, fingerprint=fingerprint)
        db.session.add(claim)
        try:
            db.session.flush()  # a racing request with the key waits here for the first one's commit
        except sa.exc.IntegrityError:
            db.session.rollback()
            stored = db.session.scalar(find)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
        g.idempotency_claim = claim
        try:
            return view(*args, **kwargs)
        except BaseException:
            db.session.rollback()  # the claim goes with the refused change: a retry may try again
            raise

    return wrapped


def user():
    """The token's user (the API's ``current_user``)."""
    return current_user._get_current_object()
