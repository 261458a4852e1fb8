"""Who may do what: role checks and per-object checks, in one place.

Views call ``roles_required`` for the coarse check and ``ensure(rule(user, obj))`` after loading an
object. Rules are plain functions of (user, object) so they compose and are easy to test as a table.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from minitendr.auth.models import Role, User
from minitendr.db import db

F = TypeVar("F", bound=Callable[..., Any])

# Named role sets: views say ``roles_required(*OFFICIALS)``, never a list of roles of their own.
EVERYONE = frozenset(Role)
NATIONAL_READERS = frozenset({Role.ADMIN, Role.MINISTRY})
OFFICIALS = frozenset({Role.ADMIN, Role.MINISTRY, Role.KRAJ, Role.OSPOD})
FRAMEWORK_MANAGERS = frozenset({Role.ADMIN, Role.KRAJ})
REGISTER_KEEPERS = frozenset({Role.ADMIN})  # users, providers, service types, the outbox


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Log in first (redirect), then 403 unless the user has one of ``roles``."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def ensure(allowed: bool) -> None:
    """403 unless ``allowed``: the per-object check after ``get_or_404``."""
    if not allowed:
        abort(403)


def reads_nationally(user: User) -> bool:
    return user.role in NATIONAL_READERS


# --- what a role may do anywhere (menus, buttons, filters) -----------------------------------------
def can_keep_register(user: User) -> bool:
    """Admin keeps the registers: users, providers, service types, the e-mail outbox."""
    return user.role in REGISTER_KEEPERS


def can_file_demands(user: User) -> bool:
    """Only an OSPOD office files demands (for its own ORP)."""
    return user.role is Role.OSPOD


def can_follow_registry(user: User) -> bool:
    """Officials follow what remains to publish in the register of contracts; providers do not."""
    return user.role in OFFICIALS


def can_see_ceilings(user: User) -> bool:
    """Framework ceilings and their use are the contracting authorities' figures, not a provider's."""
    return user.role in OFFICIALS


def can_choose_kraj(user: User) -> bool:
    """A filter by kraj makes sense to those who read more than one kraj."""
    return reads_nationally(user)


def can_choose_orp(user: User) -> bool:
    """An OSPOD office sees its own ORP only: no filter by ORP."""
    return user.role is not Role.OSPOD


def can_choose_provider(user: User) -> bool:
    """A provider sees its own figures only: no filter by provider."""
    return user.role is not Role.PROVIDER


def can_read_kraj(user: User, kraj_id: int) -> bool:
    """Admin and ministry read every kraj; a kraj official and an OSPOD office only their own."""
    return reads_nationally(user) or user.home_kraj_id == kraj_id


def can_manage_kraj(user: User, kraj_id: int) -> bool:
    """Admin manages every kraj's frameworks; a kraj official only their own kraj's."""
    return user.role is Role.ADMIN or (user.role is Role.KRAJ and user.kraj_id == kraj_id)


def can_read_orp(user: User, orp_id: int, kraj_id: int) -> bool:
    """National readers, the kraj the ORP lies in, and that ORP's own OSPOD office."""
    if reads_nationally(user):
        return True
    if user.role is Role.KRAJ:
        return user.kraj_id == kraj_id
    return user.role is Role.OSPOD and user.orp_id == orp_id


def can_act_for_orp(user: User, orp_id: int) -> bool:
    """Only the ORP's own OSPOD office files and decides its demands."""
    return user.role is Role.OSPOD and user.orp_id == orp_id


def can_act_for_provider(user: User, provider_id: int) -> bool:
    """A provider account acts only for its own organisation."""
    return user.role is Role.PROVIDER and user.provider_id == provider_id


def can_read_provider(user: User, provider_id: int) -> bool:
    """Provider records are public register data for officials; a provider sees only itself."""
    if user.role is Role.PROVIDER:
        return user.provider_id == provider_id
    return True


# --- framework contracts -------------------------------------------------------------------------
def framework_scope(user: User) -> sa.ColumnElement[bool]:
    """The frameworks ``user`` may see, as a SQL condition (lists and object checks both use it):
    admin and ministry all; a kraj official their kraj's; OSPOD the activated frameworks of its kraj;
    a provider those (not drafts) it is a party to."""
    from minitendr.frameworks.models import FrameworkContract, FrameworkParty, FrameworkStatus

    if reads_nationally(user):
        return sa.true()
    if user.role is Role.KRAJ:
        return FrameworkContract.kraj_id == user.kraj_id
    if user.role is Role.OSPOD:
        return sa.and_(
            FrameworkContract.kraj_id == user.home_kraj_id, FrameworkContract.status == FrameworkStatus.ACTIVE
        )
    if user.role is Role.PROVIDER:
        is_party = (
            sa.select(FrameworkParty.id)
            .where(FrameworkParty.framework_id == FrameworkContract.id, FrameworkParty.provider_id == user.provider_id)
            .exists()
        )
        return sa.and_(FrameworkContract.status != FrameworkStatus.DRAFT, is_party)
    return sa.false()


def can_create_frameworks(user: User) -> bool:
    """Admin and kraj officials write framework contracts (a kraj official for its own kraj only,
    see ``can_manage_kraj``)."""
    return user.role in FRAMEWORK_MANAGERS


def can_read_framework(user: User, framework) -> bool:
    from minitendr.frameworks.models import FrameworkContract

    stmt = sa.select(FrameworkContract.id).where(FrameworkContract.id == framework.id, framework_scope(user))
    return db.session.scalar(stmt) is not None


def can_manage_framework(user: User, framework) -> bool:
    """Admin, or the kraj official of the framework's kraj."""
    return can_manage_kraj(user, framework.kraj_id)


# --- demands (minitenders) -----------------------------------------------------------------------
def demand_scope(user: User) -> sa.ColumnElement[bool]:
    """The demands ``user`` may see, as a SQL condition. Drafts are the ORP's working copies: only its
    OSPOD sees them. Kraj officials see their kraj's published demands, admin and ministry everyone's,
    a provider the minitenders it is invited to (see ``provider_demand_scope``)."""
    from minitendr.demands.models import Demand, DemandStatus
    from minitendr.registry.models import Orp

    if user.role is Role.OSPOD:
        return Demand.orp_id == user.orp_id
    if user.role is Role.PROVIDER:
        return provider_demand_scope(user.provider_id)
    not_draft = Demand.status != DemandStatus.DRAFT
    if reads_nationally(user):
        return not_draft
    if user.role is Role.KRAJ:
        return sa.and_(not_draft, Demand.orp_id.in_(sa.select(Orp.id).where(Orp.kraj_id == user.kraj_id)))
    return sa.false()


def _active_party_of_framework(provider_id: int | None) -> sa.ColumnElement[bool]:
    """The provider is an active party of the framework the demand was published under."""
    from minitendr.demands.models import Demand
    from minitendr.frameworks.models import FrameworkParty, PartyStatus

    return (
        sa.select(FrameworkParty.id)
        .where(
            FrameworkParty.framework_id == Demand.framework_id,
            FrameworkParty.provider_id == provider_id,
            FrameworkParty.status == PartyStatus.ACTIVE,
        )
        .exists()
    )


def provider_demand_scope(provider_id: int | None) -> sa.ColumnElement[bool]:
    """The minitenders a provider sees: those it was invited to, while it is an active party of their
    framework. A party suspended or withdrawn after the invitation loses the open ones (it may not bid,
    so it has no business reading them); minitenders it bid in stay readable once their deadline has
    passed or they were cancelled, so it can follow its own bid to the result and the sub-contract."""
    from minitendr import clock
    from minitendr.bids.models import Bid
    from minitendr.demands.models import Demand, DemandStatus, Invitation

    invited = (
        sa.select(Invitation.id)
        .where(Invitation.demand_id == Demand.id, Invitation.provider_id == provider_id)
        .exists()
    )
    active_party = _active_party_of_framework(provider_id)
    bid = sa.select(Bid.id).where(Bid.demand_id == Demand.id, Bid.provider_id == provider_id).exists()
    closed = sa.or_(Demand.status != DemandStatus.PUBLISHED, Demand.deadline <= clock.now())
    return sa.and_(invited, sa.or_(active_party, sa.and_(bid, closed)))


def can_read_demand(user: User, demand) -> bool:
    from minitendr.demands.models import Demand

    return db.session.scalar(sa.select(Demand.id).where(Demand.id == demand.id, demand_scope(user))) is not None


def can_manage_demand(user: User, demand) -> bool:
    """Only the ORP's own OSPOD office files, publishes, cancels and answers."""
    return can_act_for_orp(user, demand.orp_id)


def can_count_bids(user: User, demand) -> bool:
    """How many bids arrived is known before the deadline to the demand's own OSPOD alone (it must know
    whether to extend the deadline); to everyone who reads the demand once the deadline has passed."""
    return can_manage_demand(user, demand) or (
        demand.deadline is not None and not demand.is_open and demand.status in _bids_came_due()
    )


def can_see_invited_providers(user: User, demand) -> bool:
    """Who was invited is the officials' to know; a provider sees how many competitors it has, not
    who they are (that would tell it whom to agree prices with)."""
    return user.role in OFFICIALS and can_read_demand(user, demand)


def can_read_evaluation_records(user: User, demand) -> bool:
    """The opening record and the evaluation protocol: the officials who read the minitender. A
    provider learns its own scores and the winner from the result notification and the demand's page."""
    return user.role in OFFICIALS and can_read_demand(user, demand)


def can_bid_on_demand(user: User, demand) -> bool:
    """A provider account whose organisation is invited and still an active party of the demand's
    framework (the bid form; the service refuses a late or otherwise wrong bid itself)."""
    from minitendr.demands.models import Demand

    if user.role is not Role.PROVIDER:
        return False
    stmt = sa.select(Demand.id).where(
        Demand.id == demand.id, demand_scope(user), _active_party_of_framework(user.provider_id)
    )
    return db.session.scalar(stmt) is not None


# --- bids: sealed until the deadline -------------------------------------------------------------
def _bids_came_due() -> tuple:
    """The states in which a minitender's deadline ends the sealing. One cancelled before its deadline
    never opens its envelopes: who bid and how many stay sealed for good."""
    from minitendr.demands.models import DemandStatus

    return (DemandStatus.PUBLISHED, DemandStatus.AWARDED, DemandStatus.UNSUCCESSFUL)


def bid_scope(user: User) -> sa.ColumnElement[bool]:
    """The bids ``user`` may read, as a SQL condition. A provider reads its own bids. Nobody else —
    not OSPOD, kraj, ministry or admin — reads a bid before the minitender's deadline has passed;
    after it, those who may see the minitender read its bids."""
    from minitendr import clock
    from minitendr.bids.models import Bid
    from minitendr.demands.models import Demand

    if user.role is Role.PROVIDER:
        return Bid.provider_id == user.provider_id
    unsealed = sa.select(Demand.id).where(
        demand_scope(user), Demand.deadline <= clock.now(), Demand.status.in_(_bids_came_due())
    )
    return Bid.demand_id.in_(unsealed)


def can_read_bid(user: User, bid) -> bool:
    from minitendr.bids.models import Bid

    return db.session.scalar(sa.select(Bid.id).where(Bid.id == bid.id, bid_scope(user))) is not None


# --- sub-contracts -------------------------------------------------------------------------------
def subcontract_scope(user: User, table=None) -> sa.ColumnElement[bool]:
    """The sub-contracts ``user`` may see: its provider's, the ORP's OSPOD's, the kraj's, and
    admin's and ministry's all. ``table`` is anything with ``orp_id`` and ``provider_id`` columns
    (the spend summaries), by default the sub-contracts themselves."""
    from minitendr.contracts.models import SubContract
    from minitendr.registry.models import Orp

    table = SubContract if table is None else table
    if reads_nationally(user):
        return sa.true()
    if user.role is Role.KRAJ:
        return table.orp_id.in_(sa.select(Orp.id).where(Orp.kraj_id == user.kraj_id))
    if user.role is Role.OSPOD:
        return table.orp_id == user.orp_id
    if user.role is Role.PROVIDER:
        return table.provider_id == user.provider_id
    return sa.false()


def subcontract_scope_key(user: User) -> str:
    """A name for the sub-contracts ``user`` sees, drawn as ``subcontract_scope`` draws them: users
    with the same name see exactly the same sub-contracts, so an export file made for one name may be
    served to all of them, and to nobody else. Change the two together."""
    if reads_nationally(user):
        return "national"
    if user.role is Role.KRAJ:
        return f"kraj:{user.kraj_id}"
    if user.role is Role.OSPOD:
        return f"orp:{user.orp_id}"
    if user.role is Role.PROVIDER:
        return f"provider:{user.provider_id}"
    return "none"


def reader_of_scope(key: str) -> User:
    """A user (never stored) who sees exactly the sub-contracts named ``key`` by
    ``subcontract_scope_key``: a background export builds a scope's file as this reader."""
    from minitendr.registry.models import Orp

    kind, _, bound = key.partition(":")
    roles = {"national": Role.MINISTRY, "kraj": Role.KRAJ, "orp": Role.OSPOD, "provider": Role.PROVIDER}
    if kind not in roles:
        raise ValueError(f"not a scope: {key!r}")
    reader = User(role=roles[kind], email=key, name=key, active=True)
    if kind == "kraj":
        reader.kraj_id = int(bound)
    elif kind == "orp":
        reader.orp_id = int(bound)
        reader.orp = db.session.get(Orp, reader.orp_id)  # its kraj, for the filters' check
    elif kind == "provider":
        reader.provider_id = int(bound)
    return reader


def reads_whole_kraje(user: User) -> bool:
    """National readers and kraj officials read totals of whole kraje; an OSPOD office's and a
    provider's figures are their ORP's and their own, a part of any kraj's total."""
    return reads_nationally(user) or user.role is Role.KRAJ


def kraj_totals_scope(user: User, table) -> sa.ColumnElement[bool]:
    """The totals per kraj (``table`` has ``kraj_id``) ``user`` may read: every kraj's for national
    readers, its own kraj's for a kraj official (the same sub-contracts ``subcontract_scope`` lets
    them read), none for anyone else."""
    if reads_nationally(user):
        return sa.true()
    if user.role is Role.KRAJ:
        return table.kraj_id == user.kraj_id
    return sa.false()


def can_read_subcontract(user: User, subcontract) -> bool:
    from minitendr.contracts.models import SubContract

    stmt = sa.select(SubContract.id).where(SubContract.id == subcontract.id, subcontract_scope(user))
    return db.session.scalar(stmt) is not None


def can_manage_subcontract(user: User, subcontract) -> bool:
    """The OSPOD office of the sub-contract's ORP amends, confirms drawdowns, completes and terminates."""
    return can_act_for_orp(user, subcontract.orp_id)


def can_report_drawdowns(user: User, subcontract) -> bool:
    """The provider that holds the sub-contract reports what it delivered."""
    return can_act_for_provider(user, subcontract.provider_id)


# --- registr smluv (ISRS messages, the register's answer) -----------------------------------------
def can_publish_in_registry(user: User, subcontract) -> bool:
    """The kraj publishes its sub-contracts (and their amendments) in the register of contracts: it is
    the ``subjekt`` of the message. Its officials download the message and record the register's
    answer; so may the OSPOD office of the sub-contract's ORP, which concluded it and recorded the
    publication before the messages existed. Admin and the ministry do not publish contracts."""
    if user.role is Role.KRAJ:
        return user.kraj_id == subcontract.orp.kraj_id
    return can_manage_subcontract(user, subcontract)


def can_edit_publisher(user: User, kraj) -> bool:
    """The kraj's details as a publisher (data box, name, IČO, seat): admin, who keeps the reference
    data, and the kraj's own officials, who know them best."""
    return can_manage_kraj(user, kraj.id)


# --- reports -------------------------------------------------------------------------------------
def can_report_on(user: User, kraj=None, orp=None, provider=None) -> bool:
    """Whether a spend report may be filtered by this kraj, ORP and provider (any may be None).

    A report shows only the sub-contracts ``user`` reads anyway; a filter outside them is refused
    rather than answered with zeros. Kraj officials and OSPOD offices stay in their kraj (OSPOD in its
    ORP), a provider with its own figures; kraje and ORPs are no secret to a provider."""
    if user.role is Role.PROVIDER:
        return provider is None or can_act_for_provider(user, provider.id)
    return (kraj is None or can_read_kraj(user, kraj.id)) and (orp is None or can_read_orp(user, orp.id, orp.kraj_id))


# --- things of one user, and histories -----------------------------------------------------------
def owns(user: User, thing) -> bool:
    """A notification or an export job belongs to the one user it was made for."""
    return thing.user_id == user.id


def can_read_history(user: User, thing) -> bool:
    """Who reads an object's audit trail (the caller has checked that ``user`` may read the object).

    A framework's and a sub-contract's trail: everyone who reads them (providers follow the contracts
    they are bound by). A minitender's: officials only, for its trail records the bids' life. A
    provider's register record: admin only, who keeps the register."""
    from minitendr.contracts.models import SubContract
    from minitendr.demands.models import Demand
    from minitendr.frameworks.models import FrameworkContract
    from minitendr.providers.models import Provider

    if isinstance(thing, FrameworkContract | SubContract):
        return True
    if isinstance(thing, Demand):
        return user.role in OFFICIALS
    if isinstance(thing, Provider):
        return can_keep_register(user)
    return False


# --- the audit log (minitendr.audit.log) ----------------------------------------------------------
AUDIT_READERS = frozenset({Role.ADMIN, Role.MINISTRY, Role.KRAJ})


def can_read_audit_log(user: User) -> bool:
    """The audit log: admin and the ministry all of it, a kraj official its kraj's objects
    (``audit_scope``); OSPOD and providers read the histories of their own objects instead."""
    return user.role in AUDIT_READERS


def audit_scope(user: User) -> sa.ColumnElement[bool]:
    """The audit events ``user`` may read in the log: none for those who may not read it, a kraj's
    objects for a kraj official, and — for everyone, admin too — bid and scoring events only once the
    envelopes of their minitender are opened (before that not even who bid)."""
    from minitendr.audit import log

    if not can_read_audit_log(user):
        return sa.false()
    conditions = [log.unsealed()]
    if user.role is Role.KRAJ:
        conditions.append(log.of_kraj(user.kraj_id))
    return sa.and_(*conditions)


# --- service network -----------------------------------------------------------------------------
def can_read_network(user: User, kraj=None) -> bool:
    """The network's demand figures and the kraj's model: the ministry everywhere, a kraj official
    and an OSPOD office their kraj (read-only for OSPOD). Providers see the catalogue, not the figures;
    admin keeps registers, not figures (as with reports)."""
    if user.role is Role.MINISTRY:
        return True
    if user.role in (Role.KRAJ, Role.OSPOD):
        return kraj is None or user.home_kraj_id == kraj.id
    return False


def can_manage_network(user: User, kraj) -> bool:
    """Only the kraj's own officials keep its model of the network (and its thresholds)."""
    return user.role is Role.KRAJ and user.kraj_id == kraj.id


CATALOGUE_KEEPERS = frozenset({Role.KRAJ})  # a kraj official keeps their kraj's katalog služeb


def can_search_catalogue(user: User) -> bool:
    """The catalogue is public-facing information: everyone logged in searches it (the open data
    publish it to anyone)."""
    return user.role in EVERYONE


def can_manage_catalogue(user: User, kraj: Any = None) -> bool:
    """A kraj official keeps the catalogue of their own kraj (with no kraj given: of some kraj)."""
    if user.role is not Role.KRAJ:
        return False
    return kraj is None or user.kraj_id == getattr(kraj, "id", kraj)


# --- the evaluation committee (minitendr.committee) ------------------------------------------------
def can_manage_committee(user: User, demand) -> bool:
    """The demand's own OSPOD office names and calls off the members of its evaluation committee."""
    return can_manage_demand(user, demand)


def can_sit_on_committee(user: User, demand) -> bool:
    """A person named to the minitender's committee (also one who has left it: they read what they
    declared). Only an OSPOD user of the demand's ORP is ever named."""
    from minitendr.committee.models import CommitteeMember

    if not can_act_for_orp(user, demand.orp_id):
        return False
    stmt = sa.select(CommitteeMember.id).where(
        CommitteeMember.demand_id == demand.id, CommitteeMember.user_id == user.id
    )
    return db.session.scalar(stmt) is not None


def can_assess_bids(user: User, demand) -> bool:
    """Scores and exclusions: the demand's OSPOD, and where a committee was recorded only its members
    who declared no conflict of interest (a minitender opened before committees were kept has none)."""
    from minitendr.committee.models import CommitteeMember, MemberStatus

    if not can_manage_demand(user, demand):
        return False
    declared = set(
        db.session.scalars(
            sa.select(CommitteeMember.user_id).where(
                CommitteeMember.demand_id == demand.id, CommitteeMember.status == MemberStatus.DECLARED
            )
        )
    )
    return not declared or user.id in declared


# --- outcomes (výsledky) --------------------------------------------------------------------------
def can_record_outcome(user: User, subcontract) -> bool:
    """The OSPOD office of the sub-contract's ORP records what it achieved."""
    return can_act_for_orp(user, subcontract.orp_id)


def can_submit_final_report(user: User, subcontract) -> bool:
    """The provider that held the sub-contract writes its final report."""
    return can_act_for_provider(user, subcontract.provider_id)


def can_read_follow_ups(user: User, kraj) -> bool:
    """A kraj's list of follow-ups: the officials who read that kraj (OSPOD chooses from it)."""
    return user.role in OFFICIALS and can_read_kraj(user, kraj.id)


def can_manage_follow_ups(user: User, kraj) -> bool:
    """The kraj's own officials keep its list of follow-ups."""
    return user.role is Role.KRAJ and user.kraj_id == kraj.id


def can_read_provider_outcomes(user: User, provider) -> bool:
    """A provider's outcome rates: the ministry (everywhere), a kraj official (its kraj's part, see
    ``provider_outcomes_kraj``) and the provider itself. Not OSPOD, not admin: they judge providers
    by their kraj's figures, not one office's."""
    if user.role is Role.PROVIDER:
        return user.provider_id == provider.id
    return user.role in {Role.MINISTRY, Role.KRAJ}


def can_read_outcome_rates(user: User, kraj) -> bool:
    """A kraj's outcome rates per ORP × needs area: the ministry, the kraj's officials and its OSPOD
    offices (read-only); admin is kept out of figures, providers see only their own."""
    return user.role in {Role.MINISTRY, Role.KRAJ, Role.OSPOD} and can_read_kraj(user, kraj.id)


def can_compare_providers(user: User, kraj) -> bool:
    """Outcome rates per provider across a kraj: the ministry and that kraj's own officials only."""
    return user.role is Role.MINISTRY or (user.role is Role.KRAJ and user.kraj_id == kraj.id)


def provider_outcomes_kraj(user: User) -> int | None:
    """The kraj whose outcomes of a provider ``user`` reads: a kraj official's own, else all (None)."""
    return user.kraj_id if user.role is Role.KRAJ else None


# --- kraj notices (minitendr.notices) ----------------------------------------------------------------
def can_send_notices(user: User) -> bool:
    """A kraj official writes notices to the parties of its kraj's frameworks."""
    return user.role is Role.KRAJ


def notice_scope(user: User) -> sa.ColumnElement[bool]:
    """The notices ``user`` may read, as a SQL condition: a kraj official its kraj's (with the read
    receipts), a provider user those sent to it; nobody else."""
    from minitendr.notices.models import Notice, NoticeRecipient

    if user.role is Role.KRAJ:
        return Notice.kraj_id == user.kraj_id
    if user.role is Role.PROVIDER:
        received = sa.select(NoticeRecipient.id).where(
            NoticeRecipient.notice_id == Notice.id, NoticeRecipient.user_id == user.id
        )
        return received.exists()
    return sa.false()


def can_read_notice(user: User, notice) -> bool:
    from minitendr.notices.models import Notice

    return db.session.scalar(sa.select(Notice.id).where(Notice.id == notice.id, notice_scope(user))) is not None


def bids_countable() -> sa.ColumnElement[bool]:
    """The minitenders (a condition on ``Demand``) whose bids anyone who reads them may count: past
    the deadline, in a state the deadline unsealed (``can_count_bids`` for one demand). The start pages'
    single-bid lists use it; before the deadline only the demand's own OSPOD knows a count."""
    from minitendr import clock
    from minitendr.demands.models import Demand

    return sa.and_(Demand.deadline <= clock.now(), Demand.status.in_(_bids_came_due()))


def can_read_notice_receipts(user: User, notice) -> bool:
    """Who has read a notice: the officials of the kraj that sent it, not its recipients."""
    return user.role is Role.KRAJ and user.kraj_id == notice.kraj_id


# --- accounts: a provider's own account manager --------------------------------------------------
def can_manage_colleagues(user: User) -> bool:
    """A provider's user flagged by admin as its account manager keeps its colleagues' accounts."""
    return user.role is Role.PROVIDER and user.manages_colleagues and user.provider_id is not None


def can_manage_colleague(user: User, other: User) -> bool:
    """...of its own provider only: never another provider's users, nor anyone who is not a provider."""
    return can_manage_colleagues(user) and other.role is Role.PROVIDER and other.provider_id == user.provider_id


# --- bulk import ----------------------------------------------------------------------------------
def can_import_parties(user: User, framework) -> bool:
    """The parties of a framework are imported by whoever manages it: its kraj's official, or admin."""
    return can_manage_framework(user, framework)


# --- templates ------------------------------------------------------------------------------------
def may(rule: str, *objects: Any) -> bool:
    """The one permission helper templates use: ``may("manage_demand", demand)`` asks
    ``can_manage_demand(current_user, demand)``. An anonymous visitor may nothing; a misspelt rule is
    an error, not a silent no."""
    check = RULES[rule]
    return bool(current_user.is_authenticated) and check(current_user, *objects)


RULES: dict[str, Callable[..., bool]] = {
    name.removeprefix("can_"): function
    for name, function in list(globals().items())
    if callable(function) and (name.startswith("can_") or name in {"owns", "reads_nationally"})
}
