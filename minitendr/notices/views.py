"""Kraj notices: the kraj's list with read receipts and the form to send one; a provider's notices,
each marked read when opened."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user

from minitendr.actions import act
from minitendr.auth.models import Role
from minitendr.db import db
from minitendr.frameworks.models import FrameworkContract
from minitendr.notices import service
from minitendr.notices.forms import NoticeForm
from minitendr.notices.models import Notice
from minitendr.permissions import (
    can_read_notice,
    can_read_notice_receipts,
    can_send_notices,
    ensure,
    roles_required,
)
from minitendr.registry.models import Kraj, ServiceCategory

bp = Blueprint("notices", __name__, url_prefix="/notices")
READERS = (Role.KRAJ, Role.PROVIDER)


@bp.get("/")
@roles_required(*READERS)
def index():
    page = service.notices_of(current_user)
    sender = can_send_notices(current_user)
    return render_template(
        "notices/index.html",
        page=page,
        counts=service.read_counts(page.items) if sender else {},
        receipts={} if sender else service.own_receipts(current_user, page.items),
    )


def _form() -> NoticeForm:
    categories = db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position))
    return NoticeForm().offer(service.frameworks_to_address(current_user.kraj_id), categories)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*READERS)
def create():
    ensure(can_send_notices(current_user))
    form = _form()
    page = lambda: render_template("notices/form.html", form=form)  # noqa: E731
    if not form.is_submitted():
        return page()
    kraj = db.get_or_404(Kraj, current_user.kraj_id)
    return act(
        lambda: service.send_notice(
            kraj,
            current_user,
            form.subject.data,
            form.body.data,
            framework=db.session.get(FrameworkContract, form.framework.data) if form.framework.data else None,
            category=db.session.get(ServiceCategory, form.category.data) if form.category.data else None,
        ),
        success=lambda notice: f"Oznámení odesláno {len(notice.recipients)} uživatelům poskytovatelů.",
        back=url_for("notices.create"),
        then=lambda notice: url_for("notices.detail", notice_id=notice.id),
        form=form,
        page=page,
    )


@bp.get("/<int:notice_id>")
@roles_required(*READERS)
def detail(notice_id: int):
    """The notice; a recipient's opening is their read receipt (committed with the page)."""
    notice = db.get_or_404(Notice, notice_id)
    ensure(can_read_notice(current_user, notice))
    receipt = None
    if current_user.role is Role.PROVIDER:
        receipt = service.open_notice(notice, current_user)
        if receipt is None:
            abort(403)
        db.session.commit()
    receipts = service.receipts(notice) if can_read_notice_receipts(current_user, notice) else None
    return render_template("notices/detail.html", notice=notice, receipt=receipt, receipts=receipts)
