"""The start page's "Co na vás čeká": what waits for each role, most urgent first, every item a link.

Each item is one bounded count (at most ``COUNT_CAP + 1`` rows read) and its first ``TOP`` rows in
order of urgency, both from an index; a role's page is a fixed number of statements however many
rows wait. Every query stays within the user's scope (``permissions``' SQL scopes): a provider's
through its own bids and invitations, OSPOD's through its ORP, a kraj's through its ORPs. Sealed bids
stay sealed: a provider reads only its own bids; who bid, and how many, is counted only for
minitenders whose deadline has passed (the single-bid list), as ``permissions.can_count_bids`` says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import aliased

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import LoginFailures, Role, User
from minitendr.bids.models import Bid, BidStatus
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.demands.models import Clarification, Demand, DemandStatus, Invitation
from minitendr.formatting import date, datetime, money
from minitendr.frameworks.models import FrameworkContract, FrameworkStatus
from minitendr.notices.models import Notice, NoticeRecipient
from minitendr.notifications.models import OutboxEmail
from minitendr.pagination import count_upto
from minitendr.permissions import bids_countable, demand_scope
from minitendr.registry.models import Kraj, Orp
from minitendr.reports import summary
from minitendr.reports.models import ExportJob, JobStatus

TOP = 5  # rows shown per item
COUNT_CAP = 999  # "999+" beyond it: the count never reads more rows than that
ENDING_WITHIN = dt.timedelta(days=30)  # sub-contracts ending soon
FRAMEWORK_END_WITHIN = dt.timedelta(days=60)
CEILING_SHARE = Decimal("0.9")  # frameworks at or above 90 % of their ceiling
RECENT = dt.timedelta(days=90)  # re-issues and single-bid minitenders looked back at
FIRST_VISIT = dt.timedelta(days=30)  # "results since the last visit" for a first visit
UNREPORTED_CONTRACTS = 50  # active sub-contracts whose unreported months are looked at


@dataclass
class Row:
    label: str
    link: str
    note: str = ""
    urgent: bool = False


@dataclass
class Item:
    """One kind of work: how many wait (``more``: more than ``COUNT_CAP``), the first rows, and the
    page that lists them all."""

    key: str
    title: str
    link: str
    count: int = 0
    more: bool = False
    rows: list[Row] = field(default_factory=list)
    empty: str = "Nic nečeká."

    @property
    def shown_count(self) -> str:
        return f"{COUNT_CAP}+" if self.more else str(self.count)


def _counted(stmt: sa.Select) -> tuple[int, bool]:
    return count_upto(stmt, COUNT_CAP)


def _item(key: str, title: str, link: str, stmt: sa.Select, order: list, row: Callable[..., Row], **kw) -> Item:
    """An item from a statement of its rows: counted (bounded) and its first ``TOP`` in ``order``."""
    count, more = _counted(stmt)
    rows = [row(r) for r in db.session.execute(stmt.order_by(*order).limit(TOP))]
    return Item(key, title, link, count, more, rows, **kw)


def agenda(user: User, *, since: dt.datetime | None = None) -> list[Item]:
    """What waits for ``user``; ``since``: the user's last visit of the start page on an earlier day
    (a provider's results are new since then; within ``FIRST_VISIT`` before any)."""
    builders = {
        Role.OSPOD: _ospod,
        Role.PROVIDER: lambda u: _provider(u, since),
        Role.KRAJ: _kraj,
        Role.MINISTRY: _ministry,
        Role.ADMIN: _admin,
    }
    items = builders[user.role](user)
    # Work that waits before what does not, each kind in the role's order of urgency.
    return sorted(items, key=lambda item: item.count == 0)


def _bid_count(count: int) -> str:
    if count == 0:
        return "žádná nabídka"
    return f"{count} nabídka" if count == 1 else f"{count} nabídky" if count < 5 else f"{count} nabídek"


def _demand_link(demand_id: int) -> str:
    return url_for("demands.detail", demand_id=demand_id)


def _subcontract_link(subcontract_id: int) -> str:
    return url_for("contracts.detail", subcontract_id=subcontract_id)


def _left(moment: dt.datetime) -> str:
    """Time left until ``moment``, in words."""
    hours = int((moment - clock.now()).total_seconds() // 3600)
    if hours >= 48:
        return f"zbývá {hours // 24} dní"
    if hours >= 1:
        return f"zbývá {hours} h"
    return "zbývá méně než hodina"


# --- OSPOD ------------------------------------------------------------------------------------------
def _ospod(user: User) -> list[Item]:
    now, today = clock.now(), clock.today()
    # Past the deadline the office that runs the minitender may count its bids (never who bid, here).
    bids = (
        sa.select(sa.func.count(Bid.id))
        .where(Bid.demand_id == Demand.id, Bid.status == BidStatus.SUBMITTED)
        .scalar_subquery()
        .label("bids")
    )
    evaluate = _item(
        "evaluate",
        "Minitendry po lhůtě k otevření a hodnocení",
        url_for("demands.index", status=DemandStatus.EVALUATION.value),
        sa.select(Demand.id, Demand.number, Demand.deadline, bids).where(
            Demand.orp_id == user.orp_id, Demand.status == DemandStatus.PUBLISHED, Demand.deadline <= now
        ),
        [Demand.deadline, Demand.id],
        lambda r: Row(
            r.number,
            _demand_link(r.id),
            f"lhůta skončila {datetime(r.deadline)}, {_bid_count(r.bids)}",
            urgent=True,
        ),
    )
    questions = _item(
        "questions",
        "Dotazy k zodpovězení",
        url_for("demands.index", status=DemandStatus.PUBLISHED.value),
        sa.select(
            Clarification.id, Clarification.asked_at, Demand.id.label("demand_id"), Demand.number, Demand.deadline
        )
        .join(Demand, Demand.id == Clarification.demand_id)
        .where(
            Demand.orp_id == user.orp_id,
            Demand.status == DemandStatus.PUBLISHED,
            Demand.deadline > now,
            Clarification.answer.is_(None),
        ),
        [Demand.deadline, Clarification.id],
        lambda r: Row(
            f"{r.number}: dotaz ze dne {date(r.asked_at)}",
            _demand_link(r.demand_id),
            f"lhůta pro nabídky {datetime(r.deadline)}",
        ),
    )
    drawdowns = _item(
        "drawdowns",
        "Čerpání k potvrzení",
        url_for("contracts.index", status=SubContractStatus.ACTIVE.value),
        sa.select(Drawdown.id, Drawdown.period, Drawdown.amount, Drawdown.reported_at, SubContract.id.label("sc"))
        .join(SubContract, SubContract.id == Drawdown.subcontract_id)
        .where(
            SubContract.orp_id == user.orp_id,
            SubContract.status == SubContractStatus.ACTIVE,
            Drawdown.status == DrawdownStatus.SUBMITTED,
        )
        .add_columns(SubContract.number),
        [Drawdown.reported_at, Drawdown.id],
        lambda r: Row(
            f"{r.number}, {r.period.month}/{r.period.year}",
            _subcontract_link(r.sc),
            f"{money(r.amount)}, vykázáno {date(r.reported_at)}",
        ),
    )
    ending = _item(
        "ending",
        "Dílčí smlouvy končící do 30 dní",
        url_for("contracts.index", status=SubContractStatus.ACTIVE.value),
        sa.select(SubContract.id, SubContract.number, SubContract.end_date).where(
            SubContract.orp_id == user.orp_id,
            SubContract.status == SubContractStatus.ACTIVE,
            SubContract.end_date <= today + ENDING_WITHIN,
        ),
        [SubContract.end_date, SubContract.id],
        lambda r: Row(r.number, _subcontract_link(r.id), f"končí {date(r.end_date)}", urgent=r.end_date < today),
    )
    reissued = sa.exists().where(
        AuditEvent.object_type == Demand.__tablename__,
        AuditEvent.object_id == Demand.id,
        AuditEvent.action == "demand.reissued",
    )
    ended_at = sa.func.coalesce(Demand.decided_at, Demand.cancelled_at)
    reissues = _item(
        "reissues",
        "Minitendry k novému vypsání",
        url_for("demands.index", status=DemandStatus.UNSUCCESSFUL.value),
        sa.select(Demand.id, Demand.number, Demand.status, ended_at.label("ended_at")).where(
            Demand.orp_id == user.orp_id,
            sa.or_(
                Demand.status == DemandStatus.UNSUCCESSFUL,
                sa.and_(Demand.status == DemandStatus.CANCELLED, Demand.published_at.is_not(None)),
            ),
            ended_at >= now - RECENT,
            ~reissued,
        ),
        [ended_at.desc(), Demand.id.desc()],
        lambda r: Row(r.number, _demand_link(r.id), f"{DemandStatus(r.status).label} {date(r.ended_at)}"),
    )
    return [evaluate, questions, drawdowns, ending, reissues]


# --- provider ---------------------------------------------------------------------------------------
def _provider(user: User, since: dt.datetime | None) -> list[Item]:
    now, provider_id = clock.now(), user.provider_id
    visible = demand_scope(user)
    # An alias: the scope has a condition on invitations of its own, which must not correlate with it.
    own_invitation = aliased(Invitation, name="own_invitation")
    invited = sa.and_(own_invitation.demand_id == Demand.id, own_invitation.provider_id == provider_id)
    open_invitations = _item(
        "invitations",
        "Otevřené výzvy k podání nabídky",
        url_for("demands.index", status=DemandStatus.PUBLISHED.value),
        sa.select(Demand.id, Demand.number, Demand.deadline)
        .join(own_invitation, invited)
        .where(visible, Demand.status == DemandStatus.PUBLISHED, Demand.deadline > now),
        [Demand.deadline, Demand.id],
        lambda r: Row(
            r.number,
            _demand_link(r.id),
            f"lhůta {datetime(r.deadline)}, {_left(r.deadline)}",
            urgent=r.deadline - now < dt.timedelta(days=2),
        ),
    )
    own = sa.select(Bid.id, Bid.status, Bid.submitted_at, Demand.id.label("demand_id"), Demand.number, Demand.deadline)
    own = own.join(Demand, Demand.id == Bid.demand_id).where(Bid.provider_id == provider_id)
    bids = _item(
        "bids",
        "Vaše podané nabídky čekající na výsledek",
        url_for("demands.index"),
        own.where(Bid.status == BidStatus.SUBMITTED, Demand.status == DemandStatus.PUBLISHED),
        [Demand.deadline, Bid.id],
        lambda r: Row(
            r.number,
            _demand_link(r.demand_id),
            f"podána {datetime(r.submitted_at)}; "
            + (f"lhůta {datetime(r.deadline)}" if r.deadline > now else "po lhůtě, probíhá hodnocení"),
        ),
    )
    results_since = since or now - FIRST_VISIT
    results = _item(
        "results",
        "Nové výsledky od vaší předchozí návštěvy",
        url_for("demands.index"),
        own.add_columns(Demand.decided_at).where(
            Bid.status.in_([BidStatus.AWARDED, BidStatus.NOT_AWARDED, BidStatus.EXCLUDED]),
            Demand.decided_at > results_since,
        ),
        [Demand.decided_at.desc(), Bid.id.desc()],
        lambda r: Row(
            r.number,
            _demand_link(r.demand_id),
            f"{_result_label(BidStatus(r.status))}, rozhodnuto {date(r.decided_at)}",
            urgent=BidStatus(r.status) is BidStatus.AWARDED,
        ),
    )
    rejected = aliased(Drawdown, name="rejected")
    # A month rejected and reported again is done: only the rejections that still stand.
    reported_again = (
        sa.select(Drawdown.id)
        .where(
            Drawdown.subcontract_id == rejected.subcontract_id,
            Drawdown.period == rejected.period,
            Drawdown.status != DrawdownStatus.REJECTED,
        )
        .exists()
    )
    rejected_drawdowns = _item(
        "rejected",
        "Zamítnutá čerpání k opravě",
        url_for("contracts.index"),
        sa.select(
            rejected.id, rejected.period, rejected.rejection_reason, SubContract.id.label("sc"), SubContract.number
        )
        .join(SubContract, SubContract.id == rejected.subcontract_id)
        .where(
            SubContract.provider_id == provider_id,
            SubContract.status == SubContractStatus.ACTIVE,
            rejected.status == DrawdownStatus.REJECTED,
            ~reported_again,
        ),
        [rejected.decided_at.desc(), rejected.id.desc()],
        lambda r: Row(
            f"{r.number}, {r.period.month}/{r.period.year}",
            _subcontract_link(r.sc),
            f"důvod: {r.rejection_reason}",
            urgent=True,
        ),
    )
    notices = _notices(user)
    return [notices, open_invitations, rejected_drawdowns, _unreported(user), results, bids]


def _result_label(status: BidStatus) -> str:
    return {BidStatus.AWARDED: "vybrána", BidStatus.NOT_AWARDED: "nevybrána", BidStatus.EXCLUDED: "vyřazena"}[status]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _unreported(user: User) -> Item:
    """Months past (before this one) of the provider's active sub-contracts without a drawdown that
    stands (reported and not rejected). Two statements: the sub-contracts ending first (at most
    ``UNREPORTED_CONTRACTS``), then their reported months."""
    this_month = clock.today().replace(day=1)
    contracts = db.session.execute(
        sa.select(SubContract.id, SubContract.number, SubContract.start_date, SubContract.end_date)
        .where(
            SubContract.provider_id == user.provider_id,
            SubContract.status == SubContractStatus.ACTIVE,
            SubContract.start_date < this_month,
        )
        .order_by(SubContract.end_date, SubContract.id)
        .limit(UNREPORTED_CONTRACTS)
    ).all()
    reported: set[tuple[int, dt.date]] = set()
    if contracts:
        reported = {
            (subcontract_id, period)
            for subcontract_id, period in db.session.execute(
                sa.select(Drawdown.subcontract_id, Drawdown.period).where(
                    Drawdown.subcontract_id.in_([c.id for c in contracts]), Drawdown.status != DrawdownStatus.REJECTED
                )
            )
        }
    missing: list[tuple[dt.date, Row]] = []
    for c in contracts:
        last = min(c.end_date, this_month - dt.timedelta(days=1))
        for month in _months(c.start_date, last):
            if (c.id, month) not in reported:
                row = Row(f"{c.number}, {month.month}/{month.year}", _subcontract_link(c.id))
                missing.append((month, row))
    missing.sort(key=lambda pair: pair[0])
    return Item(
        "unreported",
        "Měsíce bez vykázaného čerpání",
        url_for("contracts.index", status=SubContractStatus.ACTIVE.value),
        count=len(missing),
        rows=[row for _month, row in missing[:TOP]],
    )


def _notices(user: User) -> Item:
    """The kraj's notices to the user: unread first, then the newest."""
    stmt = (
        sa.select(NoticeRecipient.notice_id, NoticeRecipient.read_at, Notice.subject, Notice.created_at, Kraj.name)
        .join(Notice, Notice.id == NoticeRecipient.notice_id)
        .join(Kraj, Kraj.id == Notice.kraj_id)
        .where(NoticeRecipient.user_id == user.id)
    )
    count, more = _counted(stmt.where(NoticeRecipient.read_at.is_(None)))
    rows = db.session.execute(
        stmt.order_by(NoticeRecipient.read_at.is_not(None), NoticeRecipient.notice_id.desc()).limit(TOP)
    ).all()
    return Item(
        "notices",
        "Nepřečtená oznámení kraje",
        url_for("notices.index"),
        count,
        more,
        [
            Row(
                r.subject,
                url_for("notices.detail", notice_id=r.notice_id),
                f"{r.name}, {date(r.created_at)}" + ("" if r.read_at else " – nepřečteno"),
            )
            for r in rows
        ],
        empty="Žádná nepřečtená oznámení.",
    )


# --- kraj and ministry ------------------------------------------------------------------------------
def _frameworks(user: User) -> Item:
    today = clock.today()
    committed = summary.framework_committed(FrameworkContract.id)
    near_ceiling = committed >= FrameworkContract.ceiling * CEILING_SHARE
    near_end = FrameworkContract.valid_to <= today + FRAMEWORK_END_WITHIN
    stmt = sa.select(
        FrameworkContract.id,
        FrameworkContract.number,
        FrameworkContract.valid_to,
        FrameworkContract.ceiling,
        committed.label("committed"),
    ).where(
        FrameworkContract.kraj_id == user.kraj_id,
        FrameworkContract.status == FrameworkStatus.ACTIVE,
        FrameworkContract.valid_to >= today,
        sa.or_(near_ceiling, near_end),
    )

    def row(r) -> Row:
        share = (Decimal(r.committed) * 100 / r.ceiling).quantize(Decimal("0.1"))
        note = f"vyčerpáno {str(share).replace('.', ',')} % stropu, platí do {date(r.valid_to)}"
        return Row(r.number, url_for("frameworks.detail", framework_id=r.id), note, urgent=share >= 100)

    return _item(
        "frameworks",
        "Rámcové smlouvy u stropu (≥ 90 %) nebo konce (≤ 60 dní)",
        url_for("frameworks.index"),
        stmt,
        [FrameworkContract.valid_to, FrameworkContract.id],
        row,
    )


def _registry(user: User) -> Item:
    """Sub-contracts and amendments waiting for the register of contracts, overdue first (the due
    list's first page)."""
    from minitendr.isrs.queries import due_list

    page = due_list(user)
    rows = [
        Row(
            due.subcontract.number + (" (dodatek)" if due.amendment is not None else ""),
            _subcontract_link(due.subcontract.id),
            f"po lhůtě {-due.days_left} dní" if due.days_left < 0 else f"zveřejnit do {date(due.due_on)}",
            urgent=due.days_left < 0,
        )
        for due in page.items[:TOP]
    ]
    return Item(
        "registry",
        "K uveřejnění v registru smluv",
        url_for("isrs.due"),
        count=len(page.items),
        more=page.next_cursor is not None,
        rows=rows,
    )


def _single_bid(user: User) -> Item:
    """Minitenders of the kraj past their deadline (the bids' count is no longer sealed) that had one
    live bid, the latest deadline first, of the last ``RECENT`` days."""
    now = clock.now()
    live = [BidStatus.SUBMITTED, BidStatus.AWARDED, BidStatus.NOT_AWARDED, BidStatus.EXCLUDED]
    bids = sa.select(sa.func.count(Bid.id)).where(Bid.demand_id == Demand.id, Bid.status.in_(live)).scalar_subquery()
    stmt = sa.select(Demand.id, Demand.number, Demand.deadline, Orp.name).join(Orp, Orp.id == Demand.orp_id)
    stmt = stmt.where(
        demand_scope(user),
        bids_countable(),
        Demand.deadline > now - RECENT,
        bids == 1,
    )
    return _item(
        "single_bid",
        "Minitendry s jedinou nabídkou (posledních 90 dní)",
        url_for("demands.index"),
        stmt,
        [Demand.deadline.desc(), Demand.id.desc()],
        lambda r: Row(r.number, _demand_link(r.id), f"{r.name}, lhůta skončila {date(r.deadline)}"),
    )


def _gaps(user: User, kraj: Kraj | None) -> Item:
    """The worst gaps of the service network (minitendr.network.coverage) in the kraj, or nationally."""
    from minitendr.network import coverage

    cells = coverage.gaps(coverage.cells(coverage.NetworkFilters(kraj=kraj), user))
    link_args: dict[str, Any] = {"kraj": kraj.code} if kraj is not None else {}
    rows = [
        Row(
            f"{cell.orp_name}: {cell.need_label}",
            url_for("network.index", **link_args, need=cell.need),
            "; ".join(cell.gap_reasons),
            urgent=cell.priority == 1,
        )
        for cell in cells[:TOP]
    ]
    return Item("gaps", "Mezery v síti služeb", url_for("network.index", **link_args), len(cells), rows=rows)


def _kraj(user: User) -> list[Item]:
    kraj = db.session.get(Kraj, user.kraj_id)
    return [_registry(user), _frameworks(user), _single_bid(user), _gaps(user, kraj)]


def _ministry(user: User) -> list[Item]:
    overdue = _registry(user)
    national = Item(
        "figures",
        "Celostátní čerpání a soutěž",
        url_for("reports.spend"),
        rows=[Row("Přehled čerpání podle krajů", url_for("reports.spend"))],
        empty="",
    )
    return [overdue, _gaps(user, None), national]


# --- admin ------------------------------------------------------------------------------------------
def _admin(user: User) -> list[Item]:
    users = _item(
        "inactive",
        "Deaktivované účty",
        url_for("users.index"),
        sa.select(User.id, User.email, User.name).where(User.active.is_(False)),
        [User.email, User.id],
        lambda r: Row(r.email, url_for("users.index", q=r.email), r.name),
    )
    locked = _locked()
    emails = _item(
        "emails",
        "E-maily, které se nepodařilo odeslat",
        url_for("outbox.index"),
        sa.select(OutboxEmail.id, OutboxEmail.recipient, OutboxEmail.subject, OutboxEmail.attempts).where(
            OutboxEmail.sent_at.is_(None), OutboxEmail.last_error.is_not(None)
        ),
        [OutboxEmail.id.desc()],
        lambda r: Row(r.subject, url_for("outbox.index"), f"{r.recipient}, pokusů: {r.attempts}", urgent=True),
    )
    jobs = _item(
        "exports",
        "Exporty, které selhaly",
        url_for("users.index"),
        sa.select(ExportJob.id, ExportJob.kind, ExportJob.created_at, User.email)
        .join(User, User.id == ExportJob.user_id)
        .where(ExportJob.status == JobStatus.FAILED),
        [ExportJob.created_at.desc(), ExportJob.id],
        lambda r: Row(f"{r.kind} ({r.email})", url_for("users.index", q=r.email), f"zadán {datetime(r.created_at)}"),
    )
    return [emails, jobs, locked, users]


def _locked() -> Item:
    """Accounts whose logins are being held back now (``minitendr.auth.throttle``: the per-account limit
    reached in its window). The counts are kept under hashed keys, so only how many is known."""
    from minitendr.auth import throttle

    limit, window = throttle._limit("LOGIN_LIMIT_PER_ACCOUNT")
    # The per-account keys are not told apart from the others by their hash: every key at the
    # per-account limit in its window is counted (a pair or an address reaching it is as worth a look).
    count, more = _counted(
        sa.select(LoginFailures.key).where(
            LoginFailures.failures >= limit, LoginFailures.first_failure_at > clock.now() - window
        )
    )
    return Item(
        "locked",
        "Přihlášení zadržená po opakovaných chybných pokusech",
        url_for("users.index"),
        count,
        more,
        empty="Žádná.",
    )
