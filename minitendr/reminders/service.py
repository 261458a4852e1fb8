"""Reminders: what waits for whom, found per kind, told once by e-mail (the outbox) and in the application.

``send_reminders`` finds every (kind, person, object, period) due now, leaves out the kinds a person
switched off, and claims each in ``reminder_sent`` with an insert the database refuses twice (ON
CONFLICT DO NOTHING on its unique key). Only what went in is told: one message per person and kind,
listing its objects (one per minitender for the deadline kind). A second run, also one at the same
moment on another host, claims nothing and tells nobody again.

The periods say how often a thing is told while it waits: a minitender's deadline once (per deadline
day), an evaluation, a drawdown and a publication in the register of contracts once a week, a missing
monthly drawdown once per month.

Sealed bids: the deadline reminder's e-mail goes to every invited provider that may bid, worded alike
whether it has bid or not, so the outbox (which admin reads) and the command's counts tell nobody who
bid; the in-app notification, which only its own account reads, goes to those that have not bid yet.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import Role, User
from minitendr.bids.models import LIVE, Bid
from minitendr.contracts.models import Amendment, Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.demands.models import Demand, DemandStatus, Invitation
from minitendr.formatting import date as format_date
from minitendr.formatting import datetime as format_datetime
from minitendr.formatting import money as format_money
from minitendr.frameworks.models import FrameworkParty, PartyStatus
from minitendr.isrs.queries import AMENDMENT, CONTRACT, DAYS_TO_PUBLISH, Due
from minitendr.notifications.service import deliver_outbox, link, notify, smtp_configured
from minitendr.registry.models import Orp
from minitendr.reminders.models import ReminderKind, ReminderOptOut, ReminderSent, kinds_for

# A minitender is reminded when its deadline falls within this many Czech working days from today.
DEADLINE_WORKING_DAYS = 2
# OSPOD heard of the drawdown when it was reported; a reminder follows when it has waited this long.
DRAWDOWN_WAIT = dt.timedelta(days=3)
# A contract or amendment is reminded when this many days or fewer are left of its 30 days (or none).
REGISTRY_WARN_DAYS = 7
# Providers report a month in the first days of the next; from this day on a missing report is reminded.
REPORT_DUE_DAY = 5
# The daily run on Redis: from this time (Prague) on, the first request of the day on any host enqueues it.
SEND_AT = dt.time(7, 0)
SEND_LOCK = "minitendr:reminders:sent-on:"


@dataclass(frozen=True)
class Reminder:
    """One thing one person is to be reminded of."""

    kind: ReminderKind
    user: User
    object_key: str  # "demand:12": what it is about (the unique key's object)
    period: str  # the day, week or month it is told for (the unique key's period)
    line: str  # what the message says about the object
    page: str  # the object's page (a path, see notifications.link)
    in_app: bool = True  # False: the e-mail only (see the module's note on sealed bids)
    name: str = ""  # the object's number, for a message about it alone


def _week(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _users(role: Role, binding: str, ids: Iterable[int]) -> dict[int, list[User]]:
    """The active accounts of ``role`` bound to each of ``ids`` (``binding``: "orp_id", "kraj_id" or
    "provider_id")."""
    wanted = set(ids)
    found: dict[int, list[User]] = defaultdict(list)
    if not wanted:
        return found
    column = getattr(User, binding)
    stmt = sa.select(User).where(User.role == role, column.in_(wanted), User.active).order_by(User.id)
    for user in db.session.scalars(stmt):
        found[getattr(user, binding)].append(user)
    return found


# --- who is to be reminded of what, per kind -------------------------------------------------------
def deadline_reminders(today: dt.date) -> Iterator[Reminder]:
    """Providers invited to a published minitender whose deadline is within two Czech working days and
    that may still bid (an active party of its framework). Those with a live bid get the e-mail only."""
    now = clock.now()
    last_day = clock.add_working_days(today, DEADLINE_WORKING_DAYS)
    until = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=clock.PRAGUE)
    demands = db.session.scalars(
        sa.select(Demand)
        .where(Demand.status == DemandStatus.PUBLISHED, Demand.deadline > now, Demand.deadline < until)
        .options(selectinload(Demand.orp), selectinload(Demand.service_type))
        .order_by(Demand.id)
    ).all()
    for demand in demands:
        deadline = demand.published_deadline
        may_bid = (
            sa.select(FrameworkParty.id)
            .where(
                FrameworkParty.framework_id == demand.framework_id,
                FrameworkParty.provider_id == User.provider_id,
                FrameworkParty.status == PartyStatus.ACTIVE,
            )
            .exists()
        )
        has_bid = (
            sa.select(Bid.id)
            .where(Bid.demand_id == demand.id, Bid.provider_id == User.provider_id, Bid.status.in_(LIVE))
            .exists()
        )
        rows = db.session.execute(
            sa.select(User, has_bid)
            .join(Invitation, Invitation.provider_id == User.provider_id)
            .where(Invitation.demand_id == demand.id, User.role == Role.PROVIDER, User.active, may_bid)
            .order_by(User.id)
        )
        line = (
            f"Lhůta pro podání nabídek do minitendru {demand.number} ({demand.service_type.name}, "
            f"OSPOD {demand.orp.name}) končí {format_datetime(deadline)}. Do té doby lze nabídku podat, "
            "nahradit nebo stáhnout; po lhůtě ji systém nepřijme."
        )
        for user, bid in rows:
            yield Reminder(
                ReminderKind.DEADLINE,
                user,
                f"demand:{demand.id}",
                deadline.astimezone(clock.PRAGUE).date().isoformat(),
                line,
                link("demands.detail", demand_id=demand.id),
                in_app=not bid,
                name=demand.number,
            )


def evaluation_reminders(today: dt.date) -> Iterator[Reminder]:
    """The OSPOD offices of minitenders past their deadline and not yet decided (awarded or closed)."""
    demands = db.session.scalars(
        sa.select(Demand)
        .where(Demand.status == DemandStatus.PUBLISHED, Demand.deadline <= clock.now())
        .options(selectinload(Demand.service_type))
        .order_by(Demand.deadline, Demand.id)
    ).all()
    offices = _users(Role.OSPOD, "orp_id", (d.orp_id for d in demands))
    for demand in demands:
        line = (
            f"{demand.number} – {demand.service_type.name}: lhůta pro nabídky skončila "
            f"{format_datetime(demand.published_deadline)}, čeká na otevření obálek a rozhodnutí."
        )
        for user in offices[demand.orp_id]:
            page = link("demands.detail", demand_id=demand.id)
            yield Reminder(ReminderKind.EVALUATION, user, f"demand:{demand.id}", _week(today), line, page)


def drawdown_reminders(today: dt.date) -> Iterator[Reminder]:
    """The OSPOD offices of running sub-contracts whose drawdowns have waited for a decision a while."""
    drawdowns = db.session.scalars(
        sa.select(Drawdown)
        .join(SubContract, SubContract.id == Drawdown.subcontract_id)
        .where(
            Drawdown.status == DrawdownStatus.SUBMITTED,
            SubContract.status == SubContractStatus.ACTIVE,
            Drawdown.reported_at <= clock.now() - DRAWDOWN_WAIT,
        )
        .options(selectinload(Drawdown.subcontract).selectinload(SubContract.provider))
        .order_by(Drawdown.reported_at, Drawdown.id)
    ).all()
    offices = _users(Role.OSPOD, "orp_id", (d.subcontract.orp_id for d in drawdowns))
    for drawdown in drawdowns:
        subcontract = drawdown.subcontract
        line = (
            f"{subcontract.number} – {subcontract.provider.name}: čerpání za {drawdown.period:%m/%Y} "
            f"({format_money(drawdown.amount)}), vykázáno {format_date(drawdown.reported_at.astimezone(clock.PRAGUE))}."
        )
        page = link("contracts.detail", subcontract_id=subcontract.id)
        for user in offices[subcontract.orp_id]:
            yield Reminder(ReminderKind.DRAWDOWNS, user, f"drawdown:{drawdown.id}", _week(today), line, page)


def registry_reminders(today: dt.date) -> Iterator[Reminder]:
    """Who publishes in the register of contracts (the kraj's officials and the ORP's OSPOD office, see
    permissions.can_publish_in_registry): the contracts and amendments due within a week or overdue."""
    concluded_by = today - dt.timedelta(days=DAYS_TO_PUBLISH - REGISTRY_WARN_DAYS)
    contracts = db.session.scalars(
        sa.select(SubContract)
        .where(SubContract.registry_pending, SubContract.signed_on <= concluded_by)
        .options(selectinload(SubContract.orp))
    ).all()
    amendments = db.session.scalars(
        sa.select(Amendment)
        .where(Amendment.registry_pending, Amendment.consent_on <= concluded_by)
        .options(selectinload(Amendment.subcontract).selectinload(SubContract.orp))
    ).all()
    dues = sorted(
        [Due(CONTRACT, c.signed_on, c) for c in contracts]
        + [Due(AMENDMENT, a.consent_on, a.subcontract, a) for a in amendments],
        key=lambda due: due.key,
    )
    orps: list[Orp] = [due.subcontract.orp for due in dues]
    offices = _users(Role.OSPOD, "orp_id", (orp.id for orp in orps))
    kraje = _users(Role.KRAJ, "kraj_id", (orp.kraj_id for orp in orps))
    for due in dues:
        subcontract = due.subcontract
        what = f"{subcontract.number}" + (f", dodatek č. {due.amendment.seq}" if due.amendment else "")
        when = (
            f"zveřejnit do {format_date(due.due_on)}"
            if due.days_left >= 0
            else f"lhůta ke zveřejnění uplynula {format_date(due.due_on)}"
        )
        line = f"{what} ({format_money(due.value)}): {when}."
        key = f"amendment:{due.amendment.id}" if due.amendment else f"subcontract:{subcontract.id}"
        page = link("contracts.detail", subcontract_id=subcontract.id)
        for user in offices[subcontract.orp_id] + kraje[subcontract.orp.kraj_id]:
            yield Reminder(ReminderKind.REGISTRY, user, key, _week(today), line, page)


def monthly_report_reminders(today: dt.date) -> Iterator[Reminder]:
    """From the 5th of a month: providers whose running sub-contracts have no drawdown (reported or
    confirmed) for the month before, when that month lies within the contract's time."""
    if today.day < REPORT_DUE_DAY:
        return
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    reported = (
        sa.select(Drawdown.id)
        .where(
            Drawdown.subcontract_id == SubContract.id,
            Drawdown.period == month,
            Drawdown.status != DrawdownStatus.REJECTED,
        )
        .exists()
    )
    contracts = db.session.scalars(
        sa.select(SubContract)
        .where(
            SubContract.status == SubContractStatus.ACTIVE,
            SubContract.start_date < today.replace(day=1),
            SubContract.end_date >= month,
            ~reported,
        )
        .order_by(SubContract.id)
    ).all()
    providers = _users(Role.PROVIDER, "provider_id", (c.provider_id for c in contracts))
    for subcontract in contracts:
        line = f"{subcontract.number}: čerpání za {month:%m/%Y} zatím není vykázáno."
        page = link("contracts.detail", subcontract_id=subcontract.id)
        key, period = f"subcontract:{subcontract.id}", f"{month:%Y-%m}"
        for user in providers[subcontract.provider_id]:
            yield Reminder(ReminderKind.MONTHLY_REPORT, user, key, period, line, page)


FINDERS = {
    ReminderKind.DEADLINE: deadline_reminders,
    ReminderKind.EVALUATION: evaluation_reminders,
    ReminderKind.DRAWDOWNS: drawdown_reminders,
    ReminderKind.REGISTRY: registry_reminders,
    ReminderKind.MONTHLY_REPORT: monthly_report_reminders,
}

INTRODUCTIONS = {
    ReminderKind.DEADLINE: "",
    ReminderKind.EVALUATION: "Tyto minitendry vaší ORP čekají na hodnocení a rozhodnutí:",
    ReminderKind.DRAWDOWNS: "Tato čerpání čekají na vaše potvrzení nebo zamítnutí:",
    ReminderKind.REGISTRY: "Tyto smlouvy a dodatky je třeba zveřejnit v registru smluv (do 30 dnů od uzavření):",
    ReminderKind.MONTHLY_REPORT: "Vykažte prosím čerpání za uplynulý měsíc u těchto dílčích smluv:",
}
# Where a message about several objects leads: the list they are found in.
LISTS = {
    ReminderKind.DEADLINE: "demands.index",
    ReminderKind.EVALUATION: "demands.index",
    ReminderKind.DRAWDOWNS: "contracts.index",
    ReminderKind.REGISTRY: "isrs.due",
    ReminderKind.MONTHLY_REPORT: "contracts.index",
}


# --- sending -----------------------------------------------------------------------------------------
def due_reminders(today: dt.date | None = None) -> list[Reminder]:
    """Everything due now, of every kind, without the kinds each person switched off."""
    today = today or clock.today()
    switched_off = {(o.user_id, o.kind) for o in db.session.scalars(sa.select(ReminderOptOut))}
    return [
        reminder
        for finder in FINDERS.values()
        for reminder in finder(today)
        if (reminder.user.id, reminder.kind) not in switched_off
    ]


def _claim(kind: ReminderKind, user_id: int, reminders: list[Reminder]) -> set[tuple[str, str]]:
    """Write the reminders' rows; returns the (object, period) pairs that were not there yet. On
    PostgreSQL a row another transaction is inserting waits for it to commit, then counts as there."""
    dialect = sqlite if db.session.get_bind().dialect.name == "sqlite" else postgresql
    moment = clock.now()
    rows = [
        {"kind": kind, "user_id": user_id, "object_key": r.object_key, "period": r.period, "sent_at": moment}
        for r in reminders
    ]
    table = ReminderSent.__table__
    stmt = (
        dialect.insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["kind", "user_id", "object_key", "period"])
        .returning(table.c.object_key, table.c.period)
    )
    return {(key, period) for key, period in db.session.execute(stmt)}


def _message(kind: ReminderKind, reminders: list[Reminder]) -> tuple[str, str, str]:
    """(title, body, link) of one message about ``reminders`` (one kind, one person)."""
    if kind is ReminderKind.DEADLINE:
        title = f"Připomínka – {kind.label}: {reminders[0].name}"
    else:
        title = f"Připomínka – {kind.label} ({len(reminders)})"
    lines = [r.line if kind is ReminderKind.DEADLINE else f"– {r.line}" for r in reminders]
    introduction = INTRODUCTIONS[kind]
    base = urlsplit(current_app.config.get("BASE_URL") or "")
    origin = f"{base.scheme}://{base.netloc}" if base.netloc else ""
    settings = f"{origin}{link('reminders.preferences')}"
    body = "\n".join([*([introduction] if introduction else []), *lines])
    body += f"\n\nTyto připomínky si můžete vypnout v nastavení účtu: {settings}"
    page = reminders[0].page if len(reminders) == 1 else link(LISTS[kind])
    return title, body, page


def send_reminders(today: dt.date | None = None) -> dict[ReminderKind, int]:
    """Tell everyone what waits for them and has not been told yet; returns how many messages of each
    kind went out. Flushes; the caller commits (the command, the worker)."""
    groups: dict[tuple[int, ReminderKind, str], list[Reminder]] = defaultdict(list)
    users: dict[int, User] = {}
    for reminder in due_reminders(today):
        # One message per minitender for the deadline kind (its e-mail and in-app part differ by person).
        apart = reminder.object_key if reminder.kind is ReminderKind.DEADLINE else ""
        groups[(reminder.user.id, reminder.kind, apart)].append(reminder)
        users[reminder.user.id] = reminder.user
    sent = dict.fromkeys(ReminderKind, 0)
    for (user_id, kind, _apart), reminders in sorted(groups.items(), key=lambda item: item[0]):
        claimed = _claim(kind, user_id, reminders)
        fresh = [r for r in reminders if (r.object_key, r.period) in claimed]
        if not fresh:
            continue
        title, body, page = _message(kind, fresh)
        sent[kind] += notify([users[user_id]], title, body, page, in_app=fresh[0].in_app)
    return sent


def run(app: Flask) -> dict[ReminderKind, int]:
    """``send_reminders`` in a transaction of its own, then the e-mails out by SMTP when it is set up:
    the command's and the worker's entry point."""
    with app.app_context():
        try:
            sent = send_reminders()
            db.session.commit()
            if smtp_configured():
                deliver_outbox(limit=1000)
                db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return sent


def send_in_worker() -> None:
    """The RQ entry point of the daily run."""
    from minitendr import create_app

    run(create_app())


# --- the daily schedule --------------------------------------------------------------------------------
_handed_over_on: dict[int, dt.date] = {}


def schedule_daily(app: Flask) -> None:
    """With work handed to RQ (Redis configured): the reminders once a day for all hosts, from 07:00
    Prague on — the first request after it on any host enqueues the run, and a Redis key of the day
    (set only if absent) keeps every other host from enqueuing it again. Each host asks Redis once a
    day. Without Redis nothing is scheduled: ``minitendr reminders send`` is for cron. When Redis does
    not answer, the host runs them itself (the database's unique key keeps hosts from repeating them)."""
    if app.config["EXPORT_RUNNER"] != "rq":
        return
    local = clock.now().astimezone(clock.PRAGUE)
    if local.time() < SEND_AT or _handed_over_on.get(id(app)) == local.date():
        return
    _handed_over_on[id(app)] = local.date()
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    from minitendr.config import REDIS_TIMEOUTS

    try:
        redis = Redis.from_url(app.config["REDIS_URL"], **REDIS_TIMEOUTS)
        if redis.set(f"{SEND_LOCK}{local.date().isoformat()}", clock.now().isoformat(), nx=True, ex=2 * 24 * 3600):
            Queue("minitendr", connection=redis).enqueue("minitendr.reminders.service.send_in_worker")
    except RedisError:
        app.logger.warning("Redis unreachable: this host sends today's reminders itself")
        threading.Thread(target=_run_logged, args=(app,), daemon=True, name="reminders").start()


def _run_logged(app: Flask) -> None:
    try:
        run(app)
    except Exception:  # the next day, or cron, tries again; nothing half-sent stays (one transaction)
        app.logger.exception("sending reminders failed")


# --- each person's choice ---------------------------------------------------------------------------------
def switched_off(user: User) -> set[ReminderKind]:
    """The kinds ``user`` does not want."""
    return set(db.session.scalars(sa.select(ReminderOptOut.kind).where(ReminderOptOut.user_id == user.id)))


def audit_key(kind: ReminderKind) -> str:
    """The key of ``kind`` in the audit event of a change (labelled in minitendr.audit.labels)."""
    return f"reminder_{kind.value}"


def save_preferences(user: User, wanted: Iterable[ReminderKind]) -> None:
    """Keep the kinds of ``user``'s role in ``wanted`` on and switch the others off. A change is
    audited on the account: per kind changed, [was on, is on]; saving the same choice records nothing."""
    wanted = set(wanted)
    off_now = switched_off(user)
    changed: dict[str, list[bool]] = {}
    for kind in kinds_for(user.role):
        if kind in wanted and kind in off_now:
            db.session.execute(
                sa.delete(ReminderOptOut).where(ReminderOptOut.user_id == user.id, ReminderOptOut.kind == kind)
            )
            changed[audit_key(kind)] = [False, True]
        elif kind not in wanted and kind not in off_now:
            db.session.add(ReminderOptOut(user_id=user.id, kind=kind, created_at=clock.now()))
            changed[audit_key(kind)] = [True, False]
    db.session.flush()
    if changed:
        record("user.reminders_changed", user, changed)
