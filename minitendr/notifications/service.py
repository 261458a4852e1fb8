"""Telling people: an in-app notification for each user, and an e-mail through the outbox.

Notifications and e-mails are written in the transaction of the change they report, so a change
that is rolled back tells nobody. E-mails leave by SMTP after the commit, when ``MINITENDR_SMTP_HOST``
is set; otherwise they stay in the outbox, which admin can read.
"""

from __future__ import annotations

import contextlib
import contextvars
import smtplib
from collections.abc import Iterable, Iterator
from email.message import EmailMessage
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, g, has_request_context, url_for

from minitendr import clock
from minitendr.auth.models import Role, User
from minitendr.db import db
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.pagination import Page, Sort, paginate

MAX_ATTEMPTS = 5

# Replaying history (the demo's pilot years) must not e-mail anyone about things long past.
_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("minitendr_quiet_outbox", default=False)


@contextlib.contextmanager
def outbox_silenced() -> Iterator[None]:
    """Inside the block notifications are still written, but no e-mail goes to the outbox."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def link(endpoint: str, **values) -> str:
    """The path of a page, for a notification and its e-mail, under ``BASE_URL``'s path. Built the same
    in a request, the CLI or a job: never from the request's Host or prefix, which whoever sends the
    request chooses, so that a forged header cannot put a link to another site into somebody's mailbox."""
    base = urlsplit(current_app.config.get("BASE_URL") or "")
    adapter = current_app.url_map.bind(
        base.netloc or "localhost", script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values)


def absolute_link(endpoint: str, **values) -> str:
    """A full URL of a page (the open-data package names its own): under ``BASE_URL`` when it is set,
    so a forged Host header cannot put another site's address into a public, cacheable file."""
    base = urlsplit(current_app.config.get("BASE_URL") or "")
    if not base.netloc:
        return url_for(endpoint, _external=True, **values)
    return f"{base.scheme}://{base.netloc}{link(endpoint, **values)}"


def notify(users: Iterable[User], title: str, body: str, link: str = "", *, in_app: bool = True) -> int:
    """One in-app notification and one e-mail per active user; returns how many were told.
    ``in_app=False``: the e-mail alone (a reminder that must read alike for everyone, see reminders)."""
    count = 0
    for user in users:
        if not user.active:
            continue
        if in_app:
            db.session.add(Notification(user_id=user.id, created_at=clock.now(), title=title, body=body, link=link))
        if not _quiet.get():
            db.session.add(
                OutboxEmail(
                    created_at=clock.now(),
                    recipient=user.email,
                    subject=f"minitendr: {title}",
                    body=_email_body(body, link),
                )
            )
        count += 1
    db.session.flush()
    if count and has_request_context() and not _quiet.get():
        g.outbox_written = True
    return count


def email_only(recipient: str, subject: str, body: str, link: str = "") -> None:
    """An e-mail through the outbox with no in-app notification: for what must not sit in the
    application (a password reset link) or reaches somebody who cannot log in."""
    if _quiet.get():
        return
    db.session.add(
        OutboxEmail(
            created_at=clock.now(), recipient=recipient, subject=f"minitendr: {subject}", body=_email_body(body, link)
        )
    )
    db.session.flush()
    if has_request_context():
        g.outbox_written = True


def provider_users(provider_ids: Iterable[int]) -> list[User]:
    """The active accounts of these providers."""
    ids = list(provider_ids)
    if not ids:
        return []
    stmt = sa.select(User).where(User.role == Role.PROVIDER, User.provider_id.in_(ids), User.active)
    return list(db.session.scalars(stmt.order_by(User.id)))


def _email_body(body: str, link: str) -> str:
    base = urlsplit(current_app.config.get("BASE_URL") or "")
    origin = f"{base.scheme}://{base.netloc}" if base.netloc else ""
    footer = f"\n\nPodrobnosti: {origin}{link}" if link else ""
    return f"{body}{footer}\n\n-- \nminitendr – tato zpráva byla odeslána automaticky."


def unread_count(user: User) -> int:
    stmt = sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    return db.session.scalar(stmt) or 0


# A user's notifications newest first, read from ix_notification_user_created a page at a time.
NEWEST_FIRST = Sort((Notification.created_at.expression, Notification.id.expression), descending=True)
NOTIFICATIONS_PAGE = 30


def of_user(user: User) -> Page[Notification]:
    """A page of the user's notifications, newest first, and how many there are (up to
    pagination.COUNT_LIMIT, counted in the same index)."""
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    return paginate(stmt, NEWEST_FIRST, lambda n: (n.created_at, n.id), per_page=NOTIFICATIONS_PAGE, count=True)


def mark_all_read(user: User) -> None:
    """Every unread notification of ``user`` is read now."""
    unread = sa.select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    mark_read(db.session.scalars(unread))


def mark_read(notifications: Iterable[Notification]) -> None:
    moment = clock.now()
    for notification in notifications:
        if notification.read_at is None:
            notification.read_at = moment


def outbox() -> Page[OutboxEmail]:
    """A page of the e-mails queued and sent, newest first (by the primary key), and how many there
    are (up to pagination.COUNT_LIMIT)."""
    return paginate(
        sa.select(OutboxEmail),
        Sort((OutboxEmail.id.expression,), descending=True),
        lambda email: (email.id,),
        count=True,
    )


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def deliver_outbox(limit: int = 50) -> tuple[int, int]:
    """Send pending e-mails by SMTP; returns (sent, failed). Failures are kept for another try.
    The caller commits (the request hook after the response, or ``minitendr outbox send``)."""
    config = current_app.config
    pending = db.session.scalars(
        sa.select(OutboxEmail)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    if not pending:
        return 0, 0
    sent = failed = 0
    try:
        smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10)
        with smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
            for email in pending:
                email.attempts += 1
                message = EmailMessage()
                message["From"] = config["SMTP_FROM"]
                message["To"] = email.recipient
                message["Subject"] = email.subject
                message.set_content(email.body)
                try:
                    smtp.send_message(message)
                except smtplib.SMTPException as error:
                    email.last_error = str(error)[:1000]
                    failed += 1
                else:
                    email.sent_at = clock.now()
                    sent += 1
    except (OSError, smtplib.SMTPException) as error:
        for email in pending:
            if email.sent_at is None:
                email.last_error = f"SMTP nedostupné: {error}"[:1000]
        failed = len(pending) - sent
    db.session.flush()
    return sent, failed


def register_delivery(app) -> None:
    """After a request that wrote e-mails has been answered, send them (when SMTP is configured)."""

    @app.after_request
    def deliver_after_response(response):
        if g.get("outbox_written") and smtp_configured():

            def deliver() -> None:
                with app.app_context():
                    try:
                        deliver_outbox()
                        db.session.commit()
                    except Exception:  # the e-mails stay in the outbox for the next try
                        db.session.rollback()
                        app.logger.exception("outbox delivery failed")

            response.call_on_close(deliver)
        return response
