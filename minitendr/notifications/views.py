"""Each user's notifications, and the e-mail outbox for admin."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from minitendr.actions import act
from minitendr.auth import reset
from minitendr.db import db
from minitendr.notifications import service
from minitendr.notifications.models import Notification
from minitendr.permissions import EVERYONE, REGISTER_KEEPERS, ensure, owns, roles_required

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
outbox_bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


@bp.get("/")
@roles_required(*EVERYONE)
def index():
    return render_template("notifications/index.html", notifications=service.of_user(current_user))


@bp.get("/<int:notification_id>")
@roles_required(*EVERYONE)
def follow(notification_id: int):
    """Open what the notification is about, and mark it read (a link followed, so a GET that writes)."""
    notification = db.get_or_404(Notification, notification_id)
    ensure(owns(current_user, notification))
    service.mark_read([notification])
    db.session.commit()
    return redirect(notification.link or url_for("notifications.index"))


@bp.post("/read")
@roles_required(*EVERYONE)
def read_all():
    return act(
        lambda: service.mark_all_read(current_user),
        success=("Všechna oznámení jsou přečtená.", "info"),
        back=url_for("notifications.index"),
    )


@outbox_bp.get("/", endpoint="index")
@roles_required(*REGISTER_KEEPERS)
def outbox():
    return render_template(
        "notifications/outbox.html",
        emails=service.outbox(),
        smtp=service.smtp_configured(),
        readable=reset.masked,  # the body without the token of a reset link
    )
