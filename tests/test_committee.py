"""The evaluation committee: named before the opening, each member declaring (no) conflict of interest
after seeing the bidders' names and no price; the envelopes open only before a committee that has
declared; a member who declared a conflict cannot score — in the service, on the page and in the
database; the protocol lists who declared what and who scored."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import Role
from minitendr.bids import service as bids
from minitendr.bids.models import Bid, EnvelopeOpening
from minitendr.committee import service as committee
from minitendr.committee.models import AssessmentKind, BidAssessment, CommitteeMember, MemberStatus
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.formatting import datetime as format_datetime
from tests.factories import UserFactory, make_bid, make_demand
from tests.test_bids import after_deadline, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("monday")

PRICES = ("487,65", "19\xa0506", "520,00", "20\xa0800")  # 487,65 and 520 × 40 units


@pytest.fixture
def tender(request):
    """The open minitender of the bid tests (``tests.test_bids.world``)."""
    return request.getfixturevalue("world")


@pytest.fixture
def colleague(personas):
    """A second OSPOD worker of the same ORP."""
    return UserFactory(email="kolegyne@test.cz", name="Kolegyně Nováková", role=Role.OSPOD, orp=personas.ospod.orp)


@pytest.fixture
def bidding(tender):
    """Two bids in the persona OSPOD's open minitender."""
    return [make_bid(tender.demand, tender.a, unit_price="487.65"), make_bid(tender.demand, tender.b, unit_price="520")]


def named(tender, *users):
    for user in users:
        committee.name_member(tender.demand, user.id, tender.ospod)


def db_refuses(statement) -> None:
    """The database itself refuses ``statement`` (a trigger or a constraint), whatever the service says."""
    with pytest.raises(sa.exc.DBAPIError), db.session.begin_nested():
        db.session.execute(statement)


# --- the order of the steps ------------------------------------------------------------------------
def test_a_member_cannot_declare_before_the_deadline(tender, bidding, personas):
    named(tender, personas.ospod)  # naming may come early; it tells nothing about the bids
    with pytest.raises(DomainError, match="až po uplynutí lhůty"):
        committee.declare(tender.demand, personas.ospod, conflict=False)
    with pytest.raises(DomainError, match="zapečetěný"):
        committee.bidders(tender.demand)
    member = committee.member_of(tender.demand, personas.ospod)
    assert member is not None and member.status is MemberStatus.NAMED
    # Nor can the database be told so: a declaration dated before the deadline is refused.
    db_refuses(
        sa.update(CommitteeMember)
        .where(CommitteeMember.id == member.id)
        .values(status="declared", declared_at=clock.now(), declaration="x")
    )


def test_envelopes_open_only_when_every_member_declared_no_conflict(tender, bidding, personas, colleague):
    with after_deadline(opened=False):
        with pytest.raises(DomainError, match="jmenujte hodnoticí komisi"):
            evaluation.open_envelopes(tender.demand, personas.ospod)
        named(tender, personas.ospod, colleague)
        committee.declare(tender.demand, personas.ospod, conflict=False)
        with pytest.raises(DomainError, match="chybí: Kolegyně Nováková"):
            evaluation.open_envelopes(tender.demand, personas.ospod)
        assert all(bid.is_sealed for bid in bidding)
        committee.declare(tender.demand, colleague, conflict=False)
        opening = evaluation.open_envelopes(tender.demand, personas.ospod)
        assert opening.bids_opened == 2
        # The committee is fixed from now on: no new member, no late declaration.
        other = UserFactory(role=Role.OSPOD, orp=personas.ospod.orp)
        with pytest.raises(DomainError, match="už byly otevřeny"):
            committee.name_member(tender.demand, other.id, personas.ospod)
        late = {"demand_id": tender.demand.id, "user_id": other.id, "named_at": clock.now()}
        db_refuses(sa.insert(CommitteeMember).values(**late))
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("committee.%")).order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "committee.member_named",
        "committee.member_named",
        "committee.no_conflict_declared",
        "committee.no_conflict_declared",
    ]


def test_a_minitender_without_bids_opens_without_a_committee(tender, personas):
    with after_deadline(opened=False):
        evaluation.open_envelopes(tender.demand, personas.ospod)
        evaluation.close_unsuccessful(tender.demand, personas.ospod, "")


# --- a conflict of interest ------------------------------------------------------------------------
def test_a_member_who_declares_a_conflict_leaves_the_committee_and_cannot_score(tender, bidding, personas, colleague):
    with after_deadline(opened=False):
        named(tender, personas.ospod, colleague)
        committee.declare(tender.demand, personas.ospod, conflict=False)
        conflicted = committee.declare(tender.demand, colleague, conflict=True, note="Sestra pracuje u účastníka.")
        assert conflicted.status is MemberStatus.CONFLICT and conflicted.removed_at is not None
        assert "mám střet zájmů" in conflicted.declaration and tender.b.name in conflicted.declaration
        with pytest.raises(DomainError, match="už bylo učiněno"):
            committee.declare(tender.demand, colleague, conflict=False)  # a declaration is final
        with pytest.raises(DomainError, match="už v komisi je nebo byl"):
            committee.name_member(tender.demand, colleague.id, personas.ospod)  # and they are not named again
        evaluation.open_envelopes(tender.demand, personas.ospod)  # the conflicted member is off the committee
        with pytest.raises(DomainError, match="jen člen hodnoticí komise"):
            bids.score_bid(bidding[0], 80, "Dobře.", by=colleague)
        with pytest.raises(DomainError, match="jen člen hodnoticí komise"):
            bids.exclude_bid(bidding[0], "Nesplňuje.", by=colleague)
        with pytest.raises(DomainError, match="jen člen hodnoticí komise"):
            bids.score_bid(bidding[0], 80, "Dobře.", by=None)
        assert bidding[0].quality_score is None
        bids.score_bid(bidding[0], 80, "Zkušený tým.", by=personas.ospod)
        bids.exclude_bid(bidding[1], "Chybí kvalifikace.", by=personas.ospod)
    rows = db.session.execute(
        sa.select(BidAssessment.bid_id, CommitteeMember.user_id, BidAssessment.kind, BidAssessment.quality_score)
        .join(BidAssessment.member)
        .order_by(BidAssessment.id)
    ).all()
    assert rows == [
        (bidding[0].id, personas.ospod.id, AssessmentKind.SCORE, 80),
        (bidding[1].id, personas.ospod.id, AssessmentKind.EXCLUSION, None),
    ]


def test_the_database_refuses_a_score_row_of_a_conflicted_or_foreign_member(tender, bidding, personas, colleague):
    with after_deadline(opened=False):
        named(tender, personas.ospod, colleague)
        declared = committee.declare(tender.demand, personas.ospod, conflict=False)
        conflicted = committee.declare(tender.demand, colleague, conflict=True)
        row = {"bid_id": bidding[0].id, "kind": "score", "quality_score": 90, "text": "x", "assessed_at": clock.now()}
        db_refuses(sa.insert(BidAssessment).values(member_id=declared.id, **row))  # the envelope is still sealed
        evaluation.open_envelopes(tender.demand, personas.ospod)
        db_refuses(sa.insert(BidAssessment).values(member_id=conflicted.id, **row))
        # A declared member of another minitender is no member of this one.
        other_demand = make_demand(personas.ospod, publish=True)
        assert other_demand.id != tender.demand.id
        foreign = CommitteeMember(demand_id=other_demand.id, user_id=personas.ospod.id, named_at=clock.now())
        db.session.add(foreign)
        db.session.flush()
        db_refuses(sa.insert(BidAssessment).values(member_id=foreign.id, **row))
        # A declaration is final, the record kept; an assessment is never rewritten.
        db_refuses(sa.update(CommitteeMember).where(CommitteeMember.id == conflicted.id).values(status="declared"))
        db_refuses(sa.delete(CommitteeMember).where(CommitteeMember.id == conflicted.id))
        bids.score_bid(bidding[0], 70, "ok", by=personas.ospod)
        db_refuses(sa.update(BidAssessment).values(quality_score=100))
        db_refuses(sa.delete(BidAssessment))
    assert db.session.scalar(sa.select(sa.func.count(BidAssessment.id))) == 1


def test_a_conflicted_member_gets_403_on_the_score_and_exclude_forms(login, tender, bidding, personas, colleague):
    with after_deadline(opened=False):
        named(tender, personas.ospod, colleague)
        committee.declare(tender.demand, personas.ospod, conflict=False)
        committee.declare(tender.demand, colleague, conflict=True)
        evaluation.open_envelopes(tender.demand, personas.ospod)
        db.session.commit()
        client = login(colleague)
        data = {"quality_score": "90", "justification": "Výborné."}
        assert client.post(f"/bids/{bidding[0].id}/score", data=data).status_code == 403
        assert client.post(f"/bids/{bidding[0].id}/exclude", data={"reason": "x"}).status_code == 403
        page = client.get(f"/demands/{tender.demand.id}/evaluation").get_data(as_text=True)
        assert "/score" not in page and "vy mezi ně nepatříte" in page
        member_page = login(personas.ospod).get(f"/demands/{tender.demand.id}/evaluation").get_data(as_text=True)
        assert f"/bids/{bidding[0].id}/score" in member_page
        assert login(personas.ospod).post(f"/bids/{bidding[0].id}/score", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Bid, bidding[0].id).quality_score == 90


# --- the pages: who may, and what they show ----------------------------------------------------------
def test_committee_and_declaration_pages_refuse_other_users(login, tender, bidding, personas, colleague):
    named(tender, personas.ospod)
    db.session.commit()
    demand_id = tender.demand.id
    member = committee.member_of(tender.demand, personas.ospod)
    assert member is not None
    with after_deadline(opened=False):
        declaration = f"/demands/{demand_id}/committee/declaration"
        assert login(colleague).get(declaration).status_code == 403  # same ORP, not named
        assert login(colleague).post(declaration, data={"conflict": "ne"}).status_code == 403
        assert login(personas.ospod_other).get(declaration).status_code == 403
        assert login(personas.ospod_other).get(f"/demands/{demand_id}/committee/").status_code == 403
        assert login(personas.provider).get(declaration).status_code == 403
        assert login(personas.kraj).get(f"/demands/{demand_id}/committee/").status_code == 403
        assert login(personas.ospod).get("/demands/999999/committee/declaration").status_code == 404
        # A member of another demand cannot be called off through this one's address.
        other = make_demand(personas.ospod, publish=True)
        db.session.commit()
        assert (
            login(personas.ospod).post(f"/demands/{other.id}/committee/members/{member.id}/remove").status_code == 404
        )
        url = f"/demands/{demand_id}/committee/members/{member.id}/remove"
        assert login(personas.ospod_other).post(url).status_code == 403
    assert committee.member_of(tender.demand, personas.ospod) is not None
    assert db.session.scalar(sa.select(sa.func.count(CommitteeMember.id))) == 1


def test_the_declaration_page_shows_the_bidders_after_the_deadline_and_never_a_price(login, tender, bidding, personas):
    named(tender, personas.ospod)
    db.session.commit()
    url = f"/demands/{tender.demand.id}/committee/declaration"
    before = login(personas.ospod).get(url).get_data(as_text=True)
    assert tender.a.name not in before and tender.b.name not in before and "zapečetěný" in before
    with after_deadline(opened=False):
        page = login(personas.ospod).get(url).get_data(as_text=True)
        assert tender.a.name in page and tender.b.name in page and tender.a.ico in page
        assert not [price for price in PRICES if price in page]
        response = login(personas.ospod).post(url, data={"conflict": "ne"}, follow_redirects=True)
        assert "Prohlášení je podepsáno" in response.get_data(as_text=True)
        signed = login(personas.ospod).get(url).get_data(as_text=True)
        assert "nemá střet zájmů" in signed and not [price for price in PRICES if price in signed]


def test_naming_and_calling_off_through_the_page(login, tender, bidding, personas, colleague):
    db.session.commit()
    client = login(personas.ospod)
    page = client.get(f"/demands/{tender.demand.id}/committee/").get_data(as_text=True)
    assert colleague.email in page and personas.ospod_other.email not in page  # only the ORP's own
    response = client.post(f"/demands/{tender.demand.id}/committee/members", data={"user_id": str(colleague.id)})
    assert response.status_code == 302
    member = committee.member_of(tender.demand, colleague)
    assert member is not None and member.named_by_id == personas.ospod.id
    response = client.post(f"/demands/{tender.demand.id}/committee/members/{member.id}/remove", follow_redirects=True)
    assert "odvolán" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CommitteeMember, member.id).status is MemberStatus.REMOVED


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Vyberte pracovníka"),
        ("abc", "Neplatná volba"),
        ("99999999999999999999", "Neplatná volba"),
        ("-1", "Neplatná volba"),
        ("other_orp", "Neplatná volba"),
        ("provider", "Neplatná volba"),
    ],
)
def test_ugly_member_choices_are_refused_at_the_field(login, tender, personas, value, message):
    db.session.commit()
    value = {"other_orp": str(personas.ospod_other.id), "provider": str(personas.provider.id)}.get(value, value)
    response = login(personas.ospod).post(f"/demands/{tender.demand.id}/committee/members", data={"user_id": value})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(r'id="user_id-error">([^<]*)<', page)
    assert error is not None and message in error.group(1)
    assert 'aria-invalid="true"' in page
    assert db.session.scalar(sa.select(sa.func.count(CommitteeMember.id))) == 0


def test_the_service_refuses_whom_the_form_would_not_offer(tender, personas):
    for user_id in (personas.ospod_other.id, personas.provider.id, personas.inactive.id, None, 2**40):
        with pytest.raises(DomainError, match="jen aktivní pracovník OSPOD této ORP") as refused:
            committee.name_member(tender.demand, user_id, personas.ospod)
        assert refused.value.field == "user_id"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "conflict", "Vyberte, zda máte"),
        ({"conflict": "mozna"}, "conflict", "Neplatná volba"),
        ({"conflict": "ano", "note": "Syn 850101/1233 chodí k účastníkovi."}, "note", "rodné"),
        ({"conflict": "ano", "note": "x" * 2001}, "note", "nejvýše 2000"),
    ],
)
def test_ugly_declarations_are_refused_at_the_field_and_keep_the_input(
    login, tender, bidding, personas, data, field, message
):
    named(tender, personas.ospod)
    db.session.commit()
    with after_deadline(opened=False):
        response = login(personas.ospod).post(f"/demands/{tender.demand.id}/committee/declaration", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(rf'id="{field}-error">([^<]*)<', page)
    assert error is not None and message in error.group(1), page
    if data.get("note"):
        assert data["note"][:20] in page  # what was typed comes back
    member = committee.member_of(tender.demand, personas.ospod)
    assert member is not None and member.status is MemberStatus.NAMED


# --- the record ----------------------------------------------------------------------------------
def test_the_protocol_lists_members_declarations_and_who_scored(login, tender, bidding, personas, colleague):
    with after_deadline(opened=False):
        named(tender, personas.ospod, colleague)
        committee.declare(tender.demand, colleague, conflict=True, note="Bývalá zaměstnankyně účastníka.")
        declared = committee.declare(tender.demand, personas.ospod, conflict=False)
        evaluation.open_envelopes(tender.demand, personas.ospod)
        bids.score_bid(bidding[0], 80, "Zkušený tým s rodinami.", by=personas.ospod)
        bids.exclude_bid(bidding[1], "Chybí povinná kvalifikace.", by=personas.ospod)
        evaluation.award(tender.demand, personas.ospod)
        db.session.commit()
        page = login(personas.kraj).get(f"/demands/{tender.demand.id}/protocol").get_data(as_text=True)
    section = page[page.index("Hodnoticí komise") : page.index("Rozhodnutí")]
    assert personas.ospod.name in section and colleague.name in section
    assert "prohlásil(a), že nemá střet zájmů" in section and "oznámil(a) střet zájmů" in section
    assert format_datetime(declared.declared_at) in section and "Bývalá zaměstnankyně účastníka." in section
    assert "Zkušený tým s rodinami." in section and "Chybí povinná kvalifikace." in section
    assert "hodnocení kvality" in section and "vyřazení nabídky" in section and tender.b.name in section


def test_a_minitender_opened_before_committees_is_evaluated_as_before_and_its_protocol_says_so(
    login, tender, bidding, personas
):
    """As migration 0019 leaves it: envelopes opened without a committee (the migration's data)."""
    with after_deadline(opened=False):
        db.session.add(EnvelopeOpening(demand_id=tender.demand.id, opened_at=clock.now(), bids_opened=2))
        for bid in bidding:
            bid.open_envelope()
        db.session.flush()
        bids.score_bid(bidding[0], 80, "ok", by=personas.ospod)
        bids.score_bid(bidding[1], 60, "ok", by=personas.ospod)
        evaluation.award(tender.demand, personas.ospod)
        db.session.commit()
        page = login(personas.kraj).get(f"/demands/{tender.demand.id}/protocol").get_data(as_text=True)
    assert "Hodnoticí komise nebyla v systému evidována" in page
    assert db.session.scalar(sa.select(sa.func.count(BidAssessment.id))) == 0
