"""Sending a kraj's notice to the parties of a framework (or of every framework of a category in the
kraj), and the recipients' read receipts. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import User
from minitendr.db import DomainError, db
from minitendr.frameworks.models import FrameworkContract, FrameworkParty, FrameworkStatus, PartyStatus
from minitendr.notices.models import BODY_MAX, SUBJECT_MAX, Notice, NoticeRecipient
from minitendr.notifications.service import link, notify, provider_users
from minitendr.pagination import Page, Sort, paginate
from minitendr.permissions import notice_scope
from minitendr.privacy import required_text
from minitendr.registry.models import Kraj, ServiceCategory

# Parties still bound by the framework hear from the kraj; those who left it do not.
BOUND = (PartyStatus.ACTIVE, PartyStatus.SUSPENDED)


def frameworks_to_address(kraj_id: int) -> list[FrameworkContract]:
    """The kraj's frameworks a notice may go to: the activated ones (also those past their end)."""
    stmt = (
        sa.select(FrameworkContract)
        .where(FrameworkContract.kraj_id == kraj_id, FrameworkContract.status == FrameworkStatus.ACTIVE)
        .order_by(FrameworkContract.valid_from.desc(), FrameworkContract.id.desc())
    )
    return list(db.session.scalars(stmt))


def _frameworks_of(kraj: Kraj, framework: FrameworkContract | None, category: ServiceCategory | None) -> list[int]:
    if (framework is None) == (category is None):
        raise DomainError("Vyberte buď jednu rámcovou smlouvu, nebo kategorii služeb.", field="framework")
    if framework is not None:
        if framework.kraj_id != kraj.id or framework.status is not FrameworkStatus.ACTIVE:
            raise DomainError("Oznámení lze poslat jen stranám platné rámcové smlouvy vašeho kraje.", field="framework")
        return [framework.id]
    assert category is not None
    ids = list(
        db.session.scalars(
            sa.select(FrameworkContract.id).where(
                FrameworkContract.kraj_id == kraj.id,
                FrameworkContract.category_id == category.id,
                FrameworkContract.status == FrameworkStatus.ACTIVE,
                FrameworkContract.valid_to >= clock.today(),
            )
        )
    )
    if not ids:
        raise DomainError(f"Kraj nemá v kategorii {category.name} žádnou platnou rámcovou smlouvu.", field="category")
    return ids


def recipients(framework_ids: Sequence[int]) -> list[User]:
    """The active provider users of the parties bound by these frameworks, each once."""
    providers = sa.select(FrameworkParty.provider_id).where(
        FrameworkParty.framework_id.in_(framework_ids), FrameworkParty.status.in_(BOUND)
    )
    return provider_users(db.session.scalars(providers.distinct()))


def send_notice(
    kraj: Kraj,
    author: User,
    subject: str | None,
    body: str | None,
    *,
    framework: FrameworkContract | None = None,
    category: ServiceCategory | None = None,
) -> Notice:
    """Write the notice, one recipient row per provider user, and tell each of them in the application
    and by e-mail (the outbox); audited."""
    subject = required_text(subject, "subject", "Vyplňte předmět oznámení.")
    body = required_text(body, "body", "Vyplňte text oznámení.")
    if len(subject) > SUBJECT_MAX:
        raise DomainError(f"Předmět může mít nejvýše {SUBJECT_MAX} znaků.", field="subject")
    if len(body) > BODY_MAX:
        raise DomainError(f"Text může mít nejvýše {BODY_MAX} znaků.", field="body")
    users = recipients(_frameworks_of(kraj, framework, category))
    if not users:
        raise DomainError("Smluvní strany nemají žádný aktivní uživatelský účet; oznámení by nikdo nedostal.")
    notice = Notice(
        kraj_id=kraj.id,
        author_id=author.id,
        framework_id=framework.id if framework else None,
        category_id=category.id if category else None,
        subject=subject,
        body=body,
        created_at=clock.now(),
    )
    notice.recipients = [NoticeRecipient(user_id=user.id, provider_id=user.provider_id) for user in users]
    db.session.add(notice)
    db.session.flush()
    notify(users, f"Oznámení kraje: {subject}", body, link("notices.detail", notice_id=notice.id))
    record(
        "notice.sent",
        notice,
        {
            "subject": subject,
            "framework": framework.number if framework else None,
            "category": category.code if category else None,
            "recipients": len(users),
        },
        actor=author,
    )
    return notice


def open_notice(notice: Notice, user: User) -> NoticeRecipient | None:
    """``user`` opens ``notice``: their read receipt, taken the first time (audited then)."""
    receipt = db.session.scalar(
        sa.select(NoticeRecipient).where(NoticeRecipient.notice_id == notice.id, NoticeRecipient.user_id == user.id)
    )
    if receipt is not None and receipt.mark_read():
        db.session.flush()
        record("notice.read", notice, {"user": user.email}, actor=user)
    return receipt


NEWEST_FIRST = Sort((Notice.created_at.expression, Notice.id.expression), descending=True)


def notices_of(user: User) -> Page[Notice]:
    """A page of the notices ``user`` may read, newest first."""
    stmt = (
        sa.select(Notice)
        .where(notice_scope(user))
        .options(selectinload(Notice.framework), selectinload(Notice.category))
    )
    return paginate(stmt, NEWEST_FIRST, NEWEST_FIRST.values_of, count=True)


def read_counts(notices: Sequence[Notice]) -> dict[int, tuple[int, int]]:
    """Per notice: (how many have read it, to how many it went), in one statement."""
    if not notices:
        return {}
    read = sa.func.count(NoticeRecipient.read_at)
    stmt = (
        sa.select(NoticeRecipient.notice_id, read, sa.func.count(NoticeRecipient.id))
        .where(NoticeRecipient.notice_id.in_([n.id for n in notices]))
        .group_by(NoticeRecipient.notice_id)
    )
    return {notice_id: (done, total) for notice_id, done, total in db.session.execute(stmt)}


def own_receipts(user: User, notices: Sequence[Notice]) -> dict[int, NoticeRecipient]:
    """The user's own receipts of these notices (read or not), in one statement."""
    if not notices:
        return {}
    stmt = sa.select(NoticeRecipient).where(
        NoticeRecipient.user_id == user.id, NoticeRecipient.notice_id.in_([n.id for n in notices])
    )
    return {r.notice_id: r for r in db.session.scalars(stmt)}


def receipts(notice: Notice) -> list[NoticeRecipient]:
    """Who the notice went to, per provider, with when each read it."""
    stmt = (
        sa.select(NoticeRecipient)
        .where(NoticeRecipient.notice_id == notice.id)
        .options(selectinload(NoticeRecipient.provider), selectinload(NoticeRecipient.user))
        .order_by(NoticeRecipient.provider_id, NoticeRecipient.id)
    )
    return list(db.session.scalars(stmt))
