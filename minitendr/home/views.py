"""The home page per role, and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from minitendr.db import db
from minitendr.navigation import navigation

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    entries = [item for item in navigation(current_user) if item.endpoint != "home.index"]
    return render_template("home/index.html", entries=entries)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not (for load balancers and monitoring)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return jsonify(status="error", database="unreachable", detail=type(error).__name__), 503
    return jsonify(status="ok", database="ok", dialect=db.session.get_bind().dialect.name)
