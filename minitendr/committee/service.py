"""The evaluation committee: naming and calling off members, the declarations of (no) conflict of
interest, and who may score. Functions flush, never commit; every step is audited on the demand.

The order is deadline → committee named → each member declares, having seen the bidders' names and no
price → the envelopes open (only when every member still on the committee has declared no conflict) →
members who declared no conflict score. Every change of the committee takes the demand's row lock, as
the opening does, so a declaration and the opening cannot pass each other; once the envelopes are open
the committee is fixed (the database refuses a change too, see migration 0019).

Minitenders opened before committees were recorded (migration 0019) have no committee: they are
evaluated as before, and their protocol says that no committee was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import Role, User
from minitendr.bids.models import LIVE, Bid, EnvelopeOpening
from minitendr.committee.models import (
    CONFLICT,
    DECLARATION,
    AssessmentKind,
    BidAssessment,
    CommitteeMember,
    MemberStatus,
)
from minitendr.db import DomainError, db
from minitendr.demands import service as demands
from minitendr.demands.models import Demand, DemandStatus
from minitendr.privacy import check_no_birth_numbers
from minitendr.providers.models import Provider

MAX_MEMBERS = 9
MAX_NOTE = 2000


# --- reading ---------------------------------------------------------------------------------------
def members(demand: Demand) -> list[CommitteeMember]:
    """Everyone ever named to the committee, in the order named (those who left stay on the record)."""
    stmt = (
        sa.select(CommitteeMember)
        .where(CommitteeMember.demand_id == demand.id)
        .options(selectinload(CommitteeMember.user))
        .order_by(CommitteeMember.named_at, CommitteeMember.id)
    )
    return list(db.session.scalars(stmt))


def member_of(demand: Demand, user: User) -> CommitteeMember | None:
    """``user``'s place on the committee (also a past one: a declared conflict), if any."""
    return db.session.scalar(
        sa.select(CommitteeMember).where(CommitteeMember.demand_id == demand.id, CommitteeMember.user_id == user.id)
    )


def candidates(demand: Demand) -> list[User]:
    """Who may be named: the active OSPOD users of the demand's ORP not named before."""
    named = sa.select(CommitteeMember.user_id).where(CommitteeMember.demand_id == demand.id)
    stmt = (
        sa.select(User)
        .where(User.role == Role.OSPOD, User.orp_id == demand.orp_id, User.active, User.id.not_in(named))
        .order_by(User.name, User.id)
    )
    return list(db.session.scalars(stmt))


def is_opened(demand: Demand) -> bool:
    return db.session.scalar(sa.select(EnvelopeOpening.id).where(EnvelopeOpening.demand_id == demand.id)) is not None


def bidders(demand: Demand) -> list[Provider]:
    """Who bid, by name only, for the declarations: after the deadline, never before (who bid is
    sealed as the prices are). Providers whose bids were all withdrawn are not in the evaluation."""
    if demand.deadline is None or demand.deadline > clock.now() or demand.status is DemandStatus.CANCELLED:
        raise DomainError("Seznam účastníků je zapečetěný až do konce lhůty pro nabídky.")
    live = sa.select(Bid.provider_id).where(Bid.demand_id == demand.id, Bid.status.in_(LIVE))
    return list(db.session.scalars(sa.select(Provider).where(Provider.id.in_(live)).order_by(Provider.name)))


def has_live_bids(demand: Demand) -> bool:
    return (
        db.session.scalar(sa.select(Bid.id).where(Bid.demand_id == demand.id, Bid.status.in_(LIVE)).limit(1))
        is not None
    )


# --- the committee's course ----------------------------------------------------------------------
def _ensure_changeable(demand: Demand) -> None:
    """The committee is named for a published minitender, and fixed once its envelopes are open."""
    if demand.status is not DemandStatus.PUBLISHED:
        raise DomainError(
            f"Hodnoticí komisi lze jmenovat jen u zveřejněného minitendru; tento je {demand.state.label}."
        )
    if is_opened(demand):
        raise DomainError("Obálky už byly otevřeny; složení hodnoticí komise se nyní nemění.")


def name_member(demand: Demand, user_id: int | None, named_by: User | None) -> CommitteeMember:
    """Name an OSPOD user of the demand's ORP to its committee."""
    demand = demands.lock(demand)
    _ensure_changeable(demand)
    user = db.session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id < 2**31 else None
    if user is None or user.role is not Role.OSPOD or user.orp_id != demand.orp_id or not user.active:
        raise DomainError("Členem komise může být jen aktivní pracovník OSPOD této ORP.", field="user_id")
    previous = member_of(demand, user)
    if previous is not None:
        raise DomainError(f"{user.name} už v komisi je nebo byl(a) ({previous.status.label}).", field="user_id")
    seated = sum(1 for m in members(demand) if m.is_seated)
    if seated >= MAX_MEMBERS:
        raise DomainError(f"Komise může mít nejvýše {MAX_MEMBERS} členů.", field="user_id")
    member = CommitteeMember(
        demand_id=demand.id, user_id=user.id, named_by_id=getattr(named_by, "id", None), named_at=clock.now()
    )
    db.session.add(member)
    db.session.flush()
    record("committee.member_named", demand, {"member": user.email}, actor=named_by)
    return member


def remove_member(member: CommitteeMember, removed_by: User | None) -> None:
    """Call off a member who has not declared yet (a declaration stays on the record)."""
    demand = demands.lock(member.demand)
    _ensure_changeable(demand)
    db.session.refresh(member)
    member.remove(removed_by)
    record("committee.member_removed", demand, {"member": member.user.email}, actor=removed_by)


def declaration_text(demand: Demand, conflict: bool) -> str:
    """What the member signs: the declaration and the bidders it is made about."""
    names = "; ".join(f"{p.name} (IČO {p.ico})" for p in bidders(demand)) or "nebyla podána žádná nabídka"
    return f"{CONFLICT if conflict else DECLARATION}\nÚčastníci: {names}."


def declare(demand: Demand, user: User, conflict: bool | None, note: str | None = None) -> CommitteeMember:
    """A member's declaration, after the deadline and before the opening: no conflict of interest, or
    a conflict (the member leaves the committee and OSPOD names someone else)."""
    demand = demands.lock(demand)
    if demand.deadline is None or demand.deadline > clock.now():
        raise DomainError("Prohlášení lze učinit až po uplynutí lhůty pro nabídky, kdy je znám seznam účastníků.")
    _ensure_changeable(demand)
    member = member_of(demand, user)
    if member is None:
        raise DomainError("Nejste členem hodnoticí komise tohoto minitendru.")
    if conflict is None:
        raise DomainError("Vyberte, zda máte, či nemáte střet zájmů.", field="conflict")
    note = (note or "").strip() or None
    if note is not None:
        if len(note) > MAX_NOTE:
            raise DomainError(f"Poznámka může mít nejvýše {MAX_NOTE} znaků.", field="note")
        check_no_birth_numbers({"note": note}, ("note",))
    member.declare(conflict, declaration_text(demand, conflict), note if conflict else None)
    db.session.flush()
    record(
        "committee.conflict_declared" if conflict else "committee.no_conflict_declared",
        demand,
        {"member": user.email, **({"note": note} if conflict and note else {})},
        actor=user,
    )
    return member


def ensure_ready_to_open(demand: Demand) -> None:
    """The envelopes open only before a complete committee: at least one member, every member still
    on it declared no conflict. (A minitender without bids has nothing to evaluate and needs none.)
    The caller holds the demand's lock."""
    if not has_live_bids(demand):
        return
    seated = [m for m in members(demand) if m.is_seated]
    if not seated:
        raise DomainError("Nejprve jmenujte hodnoticí komisi; obálky lze otevřít až po prohlášeních jejích členů.")
    waiting = [m.user.name for m in seated if m.status is MemberStatus.NAMED]
    if waiting:
        raise DomainError(
            "Obálky lze otevřít, až všichni členové komise učiní prohlášení o střetu zájmů; chybí: "
            + ", ".join(waiting)
            + "."
        )


def has_committee(demand: Demand) -> bool:
    """Whether the minitender was evaluated by a recorded committee (not one opened before them)."""
    stmt = sa.select(CommitteeMember.id).where(
        CommitteeMember.demand_id == demand.id, CommitteeMember.status == MemberStatus.DECLARED
    )
    return db.session.scalar(stmt.limit(1)) is not None


def assessing_member(demand: Demand, user: User | None) -> CommitteeMember | None:
    """The member who scores or excludes a bid: ``user``, who must have declared no conflict. None for
    a minitender opened before committees were recorded (evaluated as before)."""
    if not has_committee(demand):
        return None
    member = member_of(demand, user) if user is not None else None
    if member is None or not member.may_assess:
        raise DomainError("Nabídky hodnotí jen člen hodnoticí komise, který prohlásil, že nemá střet zájmů.")
    return member


def record_assessment(
    bid: Bid, member: CommitteeMember | None, kind: AssessmentKind, quality_score: int | None, text: str
) -> BidAssessment | None:
    """The row that says which member scored or excluded the bid (none without a committee)."""
    if member is None:
        return None
    assessment = BidAssessment(
        bid_id=bid.id, member_id=member.id, kind=kind, quality_score=quality_score, text=text, assessed_at=clock.now()
    )
    db.session.add(assessment)
    db.session.flush()
    return assessment


def assessments(demand: Demand) -> list[BidAssessment]:
    """Every score and exclusion of the minitender's bids, in the order made, with the member's name."""
    stmt = (
        sa.select(BidAssessment)
        .join(BidAssessment.bid)
        .where(Bid.demand_id == demand.id)
        .options(
            selectinload(BidAssessment.member).selectinload(CommitteeMember.user),
            selectinload(BidAssessment.bid).selectinload(Bid.provider),
        )
        .order_by(BidAssessment.assessed_at, BidAssessment.id)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class CommitteeRecord:
    """What the evaluation protocol says about the committee: its members with their declarations,
    and every score and exclusion with the member who made it. ``recorded`` is False for a minitender
    evaluated before committees were kept (or one without bids, which needed none)."""

    members: list[CommitteeMember]
    assessments: list[BidAssessment]

    @property
    def recorded(self) -> bool:
        return bool(self.members)


def record_of(demand: Demand) -> CommitteeRecord:
    return CommitteeRecord(members(demand), assessments(demand))
