"""Each user's notifications, and the e-mail outbox for admin."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from minitendr.auth.models import Role
from minitendr.db import db
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.notifications.service import mark_read, smtp_configured
from minitendr.permissions import ensure, roles_required

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
outbox_bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


@bp.get("/")
@roles_required(*Role)
def index():
    stmt = (
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return render_template("notifications/index.html", notifications=db.paginate(stmt, per_page=30, error_out=False))


@bp.get("/<int:notification_id>")
@roles_required(*Role)
def follow(notification_id: int):
    """Open what the notification is about, and mark it read."""
    notification = db.get_or_404(Notification, notification_id)
    ensure(notification.user_id == current_user.id)
    mark_read([notification])
    db.session.commit()
    return redirect(notification.link or url_for("notifications.index"))


@bp.post("/read")
@roles_required(*Role)
def read_all():
    unread = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
    )
    mark_read(unread)
    db.session.commit()
    return redirect(url_for("notifications.index"))


@outbox_bp.get("/", endpoint="index")
@roles_required(Role.ADMIN)
def outbox():
    stmt = sa.select(OutboxEmail).order_by(OutboxEmail.id.desc())
    return render_template(
        "notifications/outbox.html",
        emails=db.paginate(stmt, per_page=50, error_out=False),
        smtp=smtp_configured(),
    )
