"""The home page per role, and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user, login_required
from redis import Redis
from redis.exceptions import RedisError

from minitendr.config import REDIS_TIMEOUTS
from minitendr.db import db
from minitendr.home.agenda import agenda
from minitendr.navigation import navigation

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """The start page: what waits for the user. A provider's results are new since its last visit of
    an earlier day, which the page remembers (committed with it)."""
    entries = [item for item in navigation(current_user) if item.endpoint != "home.index"]
    items = agenda(current_user, since=current_user.visit_start_page())
    db.session.commit()
    return render_template("home/index.html", entries=entries, agenda=items)


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: 503 when the database does not answer (nothing works without
    it); 200 but ``degraded`` when only Redis does not (rate limits and exports carry on without it,
    each host on its own), so that somebody fixes it before it matters."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return jsonify(status="error", database="unreachable", detail=type(error).__name__), 503
    redis = redis_status()
    return jsonify(
        status="degraded" if redis == "unavailable" else "ok",
        database="ok",
        dialect=db.session.get_bind().dialect.name,
        redis=redis,
    )


def redis_status() -> str:
    """``ok``, ``unavailable`` or ``not configured``, for every Redis the settings name."""
    urls = {current_app.config.get("REDIS_URL") or "", current_app.config["RATELIMIT_STORAGE_URI"]}
    urls = {url for url in urls if url.startswith(("redis://", "rediss://", "unix://"))}
    if not urls:
        return "not configured"
    for url in urls:
        client = Redis.from_url(url, **REDIS_TIMEOUTS)
        try:
            client.ping()
        except RedisError:
            return "unavailable"
        finally:
            client.close()
    return "ok"
