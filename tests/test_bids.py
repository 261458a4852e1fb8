"""Sealed bids, evaluation and award: the minitender decided, fairly and provably."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock, storage
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import Role, User
from minitendr.bids import service
from minitendr.bids.models import Bid, BidStatus, EnvelopeOpening
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.demands import service as demands
from minitendr.demands.models import Demand, DemandStatus
from minitendr.frameworks import service as frameworks
from minitendr.frameworks.models import FrameworkContract
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.permissions import bid_scope
from minitendr.providers.models import Provider
from tests.conftest import MONDAY
from tests.factories import (
    MINIMAL_PDF,
    ProviderFactory,
    UserFactory,
    bid_form,
    make_bid,
    make_demand,
    make_framework,
    message_at,
    seat_committee,
)

AFTER_DEADLINE = dt.datetime(2026, 12, 7, 12, 30, tzinfo=clock.PRAGUE)  # the default deadline is 7. 12. 12:00

pytestmark = pytest.mark.usefixtures("monday")


@dataclass
class World:
    """An open minitender of OSPOD Pardubice (at most 30 000 Kč) under a framework of 100 000 Kč with two
    parties: ``a``, the persona provider, and ``b``, whose account is ``b_user``."""

    framework: FrameworkContract
    demand: Demand
    a: Provider
    b: Provider
    b_user: User
    ospod: User  # the ORP's OSPOD, who sits on the evaluation committee


@pytest.fixture
def world(personas, kraj_pak) -> World:
    second = ProviderFactory(name="Druhý poskytovatel")
    return World(
        b_user=UserFactory(email="druhy@test.cz", role=Role.PROVIDER, provider=second),
        framework=make_framework(kraj_pak, providers=[personas.provider.provider, second], ceiling=Decimal("100000")),
        demand=make_demand(personas.ospod, publish=True, estimated_max_value=Decimal("30000.00")),
        a=personas.provider.provider,
        b=second,
        ospod=personas.ospod,
    )


@contextlib.contextmanager
def after_deadline(*, opened: bool = True):
    """After the deadline, and (unless ``opened=False``) OSPOD has opened the envelopes of every
    minitender waiting for it, as it must before it evaluates, its committee (the ORP's OSPOD users)
    having declared no conflict of interest."""
    with clock.frozen_at(AFTER_DEADLINE):
        if opened:
            waiting = db.session.scalars(
                sa.select(Demand).where(
                    Demand.state == DemandStatus.EVALUATION,
                    ~sa.exists().where(EnvelopeOpening.demand_id == Demand.id),
                )
            )
            for demand in waiting.all():
                office = sa.select(User).where(User.role == Role.OSPOD, User.orp_id == demand.orp_id)
                seat_committee(demand, *db.session.scalars(office).all())
                evaluation.open_envelopes(demand, None)
        yield


# --- submitting ----------------------------------------------------------------------------------
def test_a_bid_total_is_exact_to_the_haler(world):
    bid = make_bid(world.demand, world.a, unit_price="512.35", units="37.5")
    assert bid.offer.total == Decimal("19213.13")  # 19 213,125 rounded half up
    assert bid.status is BidStatus.SUBMITTED and bid.offer.vat_rate == 0


def test_replacing_keeps_the_old_bid_and_one_live_bid(world):
    first = make_bid(world.demand, world.a, unit_price="500")
    second = make_bid(world.demand, world.a, unit_price="450")
    assert first.status is BidStatus.REPLACED and first.replaced_by_id == second.id
    live = db.session.scalars(sa.select(Bid).where(Bid.provider_id == world.a.id, Bid.status == "submitted"))
    assert list(live) == [second]
    assert service.bid_count(world.demand) == 1


def test_withdrawing_then_bidding_again(world):
    bid = make_bid(world.demand, world.a)
    service.withdraw_bid(bid)
    assert bid.status is BidStatus.WITHDRAWN and service.bid_count(world.demand) == 0
    with pytest.raises(DomainError, match="stažena"):
        service.withdraw_bid(bid)
    make_bid(world.demand, world.a)
    assert service.bid_count(world.demand) == 1


def test_the_database_allows_one_live_bid_per_provider(world):
    bid = make_bid(world.demand, world.a)
    twin = {"demand_id": bid.demand_id, "provider_id": bid.provider_id} | {
        c: getattr(bid.offer, c)
        for c in (
            "unit_price",
            "units",
            "total",
            "vat_rate",
            "proposed_start",
            "team",
            "approach",
        )
    }
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.insert(Bid).values(**twin, status="submitted", submitted_at=clock.now()))
    db.session.execute(sa.insert(Bid).values(**twin, status="replaced", submitted_at=clock.now()))  # history is fine


def test_bidding_after_the_deadline_is_refused(world):
    with after_deadline(), pytest.raises(DomainError, match="Lhůta pro nabídky skončila"):
        make_bid(world.demand, world.a)
    bid_before = make_bid(world.demand, world.b)
    with after_deadline(), pytest.raises(DomainError, match=r"uzamčeny|skončila"):
        service.withdraw_bid(bid_before)


def test_a_provider_not_invited_cannot_bid(world, personas):
    with pytest.raises(DomainError, match="nejste pozváni"):
        make_bid(world.demand, personas.interloper.provider)


def test_a_suspended_party_cannot_bid(world):
    party = next(p for p in world.framework.parties if p.provider_id == world.a.id)
    frameworks.suspend_party(party, "kontrola kvality")
    with pytest.raises(DomainError, match="pozastavena"):
        make_bid(world.demand, world.a)


def test_a_bid_above_the_estimated_maximum_is_refused(world):
    with pytest.raises(DomainError, match="přesahuje předpokládanou maximální hodnotu"):
        make_bid(world.demand, world.a, unit_price="750.01", units="40")  # 30 000,40 > 30 000


def test_attachments_must_be_pdf_and_small(app, world, monkeypatch, store):
    with pytest.raises(DomainError, match="není PDF"):
        make_bid(world.demand, world.a, attachments=[("cenik.docx", b"PK\x03\x04...")])
    with pytest.raises(DomainError, match="není PDF"):
        make_bid(world.demand, world.a, attachments=[("fake.pdf", b"<html>")])  # the name says PDF, it is not
    with pytest.raises(DomainError, match="není PDF"):
        make_bid(world.demand, world.a, attachments=[("useknuty.pdf", MINIMAL_PDF[:-7])])  # truncated
    named_oddly = make_bid(world.demand, world.b, attachments=[("nabidka", MINIMAL_PDF)])  # a PDF by content
    assert named_oddly.attachments[0].filename == "nabidka"
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 1024 * 1024)
    with pytest.raises(DomainError, match="větší než 1 MB"):
        make_bid(world.demand, world.a, attachments=[("velka.pdf", MINIMAL_PDF + b"0" * 1024 * 1024)])
    bid = make_bid(world.demand, world.a, attachments=[("nabidka.pdf", MINIMAL_PDF)])
    stored = storage.area("attachments").read_bytes(bid.attachments[0].stored_as)
    assert b"%PDF" not in stored  # encrypted at rest
    assert service.attachment_content(bid.attachments[0]) == MINIMAL_PDF
    assert bid.attachments[0].size == len(MINIMAL_PDF) and "static" not in app.config["ATTACHMENTS_DIR"]


def test_a_refused_bid_leaves_none_of_its_attachments_in_the_store(app, world, monkeypatch, store):
    """The upload of two PDFs lasts past the deadline: the bid is refused, and the files it stored are
    removed again (no bid row names them; nobody could ever reach them)."""
    stored: list[str] = []
    original = service.store_attachment
    late = contextlib.ExitStack()

    def slow_upload(content: bytes) -> tuple[str, str]:
        name, digest = original(content)
        stored.append(name)
        if len(stored) == 2:
            late.enter_context(clock.frozen_at(AFTER_DEADLINE))  # the deadline passed while it was stored
        return name, digest

    monkeypatch.setattr(service, "store_attachment", slow_upload)
    with late, pytest.raises(DomainError, match="Lhůta pro nabídky skončila"):
        make_bid(world.demand, world.a, attachments=[("cenik.pdf", MINIMAL_PDF), ("tym.pdf", MINIMAL_PDF)])
    assert len(stored) == 2
    assert [storage.area("attachments").stat(name) for name in stored] == [None, None]
    # A bid that goes through keeps its files.
    monkeypatch.setattr(service, "store_attachment", original)
    bid = make_bid(world.demand, world.a, attachments=[("cenik.pdf", MINIMAL_PDF)])
    assert storage.area("attachments").stat(bid.attachments[0].stored_as) is not None


BAD_BIDS = [
    ({"unit_price": "0"}, "Číslo musí být v rozmezí"),
    ({"unit_price": "-10"}, "Číslo musí být v rozmezí"),
    ({"unit_price": "pět set"}, "Zadejte číslo, například 1 234,50."),
    ({"unit_price": "99999999999"}, "Číslo musí být v rozmezí"),
    ({"unit_price": "500,001"}, "nejvýše na haléře"),
    ({"units": "0"}, "Číslo musí být v rozmezí"),
    ({"vat_rate": "15"}, "Neplatná volba"),
    ({"proposed_start": "2026-11-01"}, "nesmí být v minulosti"),
    ({"team": ""}, "Toto pole je povinné."),
    ({"team": "Vedoucí 850101/1233"}, "rodného čísla"),
    ({"approach": "x" * 6001}, "Pole může mít nejvýše 6000 znaků."),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_BIDS, ids=[m[:30] for _, m in BAD_BIDS])
def test_bad_bid_input_gets_a_czech_message_and_stores_nothing(login, personas, world, overrides, message):
    db.session.commit()
    data = bid_form(**overrides)
    response = login(personas.provider).post(f"/demands/{world.demand.id}/bid", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True).replace("\xa0", " ")
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0


def test_a_bid_with_an_attachment_through_the_form(login, personas, world, store):
    import io

    db.session.commit()
    data = bid_form("480,50", attachments=[(io.BytesIO(MINIMAL_PDF), "rozpocet.pdf")])
    client = login(personas.provider)
    response = client.post(f"/demands/{world.demand.id}/bid", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    bid = db.session.execute(sa.select(Bid)).scalar_one()
    assert bid.offer.total == Decimal("19220.00") and bid.attachments[0].filename == "rozpocet.pdf"
    download = client.get(f"/bids/{bid.id}/attachments/{bid.attachments[0].id}")
    assert download.status_code == 200 and download.data == MINIMAL_PDF


# --- sealed until the deadline -------------------------------------------------------------------
def test_nobody_but_the_bidder_reads_a_bid_before_the_deadline(login, personas, world):
    bid = make_bid(world.demand, world.a, unit_price="487.65", attachments=[("nabidka.pdf", MINIMAL_PDF)])
    make_bid(world.demand, world.b, unit_price="512.35")
    db.session.commit()
    price = "19\xa0506,00"  # 487,65 × 40
    attachment = f"/bids/{bid.id}/attachments/{bid.attachments[0].id}"
    for persona in ("admin", "ministry", "kraj", "ospod", "interloper"):
        client = login(personas[persona])
        assert client.get(f"/bids/{bid.id}").status_code == 404, persona
        assert client.get(attachment).status_code == 404, persona
    second = login(world.b_user)
    assert second.get(f"/bids/{bid.id}").status_code == 404 and second.get(attachment).status_code == 404
    for persona in ("admin", "ministry", "kraj", "ospod"):
        page = login(personas[persona]).get(f"/demands/{world.demand.id}").get_data(as_text=True)
        # Only the demand's own OSPOD learns how many bids arrived before the deadline.
        assert ("Počet podaných nabídek: <strong>2</strong>" in page) == (persona == "ospod"), persona
        assert price not in page and "487" not in page and "512" not in page, persona
    ospod = login(personas.ospod)
    evaluation = ospod.get(f"/demands/{world.demand.id}/evaluation", follow_redirects=True).get_data(as_text=True)
    assert "zapečetěné" in evaluation and price not in evaluation
    assert ospod.get(f"/demands/{world.demand.id}/protocol").status_code == 404
    own = login(personas.provider).get(f"/bids/{bid.id}").get_data(as_text=True)
    assert price in own


def test_the_query_layer_keeps_bids_sealed(world, personas):
    make_bid(world.demand, world.a)
    with pytest.raises(evaluation.SealedError):
        evaluation.ranking(world.demand)
    for persona in ("admin", "ministry", "kraj", "ospod"):
        visible = db.session.scalars(sa.select(Bid.id).where(bid_scope(personas[persona]))).all()
        assert visible == [], persona
    with after_deadline():
        assert len(db.session.scalars(sa.select(Bid.id).where(bid_scope(personas.ospod))).all()) == 1
        assert db.session.scalars(sa.select(Bid.id).where(bid_scope(personas.ospod_other))).all() == []


def test_no_notification_audit_record_or_email_carries_a_bid_before_the_deadline(world):
    make_bid(world.demand, world.a, unit_price="487.65")
    texts = [n.title + n.body for n in db.session.scalars(sa.select(Notification))]
    texts += [e.subject + e.body for e in db.session.scalars(sa.select(OutboxEmail))]
    texts += [str(e.data) for e in db.session.scalars(sa.select(AuditEvent))]
    assert not any("487" in t or "19506" in t or "19\xa0506" in t for t in texts)


# --- evaluation ----------------------------------------------------------------------------------
def test_evaluation_arithmetic_is_exact(world):
    cheap = make_bid(world.demand, world.a, unit_price="500")  # 20 000,00
    dear = make_bid(world.demand, world.b, unit_price="625")  # 25 000,00
    with after_deadline():
        service.score_bid(cheap, 70, "Dobrý tým, méně zkušeností s rodinami.", by=world.ospod)
        service.score_bid(dear, 90, "Výborný postup.", by=world.ospod)
        rows = {r.bid.id: r for r in evaluation.ranking(world.demand)}
    assert (rows[cheap.id].price_score, rows[cheap.id].quality_points, rows[cheap.id].total_score) == (
        Decimal("60.00"),
        Decimal("28.00"),
        Decimal("88.00"),
    )
    assert (rows[dear.id].price_score, rows[dear.id].quality_points, rows[dear.id].total_score) == (
        Decimal("48.00"),
        Decimal("36.00"),
        Decimal("84.00"),
    )
    assert (rows[cheap.id].rank, rows[dear.id].rank) == (1, 2)


def test_scores_round_half_up_to_hundredths(world):
    low = make_bid(world.demand, world.a, unit_price="499.99")  # 19 999,60
    high = make_bid(world.demand, world.b, unit_price="586.42")  # 23 456,80
    with after_deadline():
        service.score_bid(low, 50, "ok", by=world.ospod)
        service.score_bid(high, 50, "ok", by=world.ospod)
        rows = {r.bid.id: r for r in evaluation.ranking(world.demand)}
    # 19 999,60 / 23 456,80 × 60 = 51,1568… → 51,16
    assert rows[high.id].price_score == Decimal("51.16")


def test_a_tie_goes_to_the_earlier_bid(world):
    first = make_bid(world.demand, world.b, unit_price="500")
    with clock.frozen_at(MONDAY + dt.timedelta(hours=1)):
        second = make_bid(world.demand, world.a, unit_price="500")
    with after_deadline():
        service.score_bid(first, 80, "ok", by=world.ospod)
        service.score_bid(second, 80, "ok", by=world.ospod)
        ranked = [r.bid.id for r in evaluation.ranking(world.demand) if r.rank]
    assert ranked == [first.id, second.id]


def test_excluded_bids_do_not_set_the_lowest_price(world):
    cheap = make_bid(world.demand, world.a, unit_price="100")
    fair = make_bid(world.demand, world.b, unit_price="500")
    with after_deadline():
        service.exclude_bid(cheap, "Mimořádně nízká cena bez zdůvodnění.", by=world.ospod)
        service.score_bid(fair, 60, "ok", by=world.ospod)
        rows = {r.bid.id: r for r in evaluation.ranking(world.demand)}
    assert rows[fair.id].price_score == Decimal("60.00") and rows[fair.id].rank == 1
    assert rows[cheap.id].rank is None and cheap.status is BidStatus.EXCLUDED


@pytest.mark.parametrize("score", [-1, 101, None])
def test_quality_scores_outside_0_to_100_are_refused(world, score):
    bid = make_bid(world.demand, world.a)
    with after_deadline(), pytest.raises(DomainError, match="0 až 100"):
        service.score_bid(bid, score, "ok", by=world.ospod)


def test_scoring_needs_a_justification_and_the_deadline_passed(world):
    bid = make_bid(world.demand, world.a)
    with pytest.raises(DomainError, match="až po uplynutí lhůty"):
        service.score_bid(bid, 50, "ok", by=world.ospod)
    with after_deadline(), pytest.raises(DomainError, match="zdůvodněte"):
        service.score_bid(bid, 50, " ", by=world.ospod)


# --- award ---------------------------------------------------------------------------------------
def scored(world, prices=("500", "625"), scores=(70, 90)):
    bids = [make_bid(world.demand, p, unit_price=price) for p, price in zip((world.a, world.b), prices, strict=True)]
    with after_deadline():
        for bid, score in zip(bids, scores, strict=True):
            service.score_bid(bid, score, "Zdůvodnění hodnocení.", by=world.ospod)
    return bids


def test_award_creates_the_sub_contract_and_tells_every_bidder(world, personas):
    winner, loser = scored(world)
    with after_deadline():
        subcontract = evaluation.award(world.demand, personas.ospod)
    assert subcontract.number == "DS-PAK-2026-0001" and subcontract.value == Decimal("20000.00")
    assert (subcontract.provider_id, subcontract.units, subcontract.unit_price) == (
        world.a.id,
        Decimal("40.00"),
        Decimal("500.00"),
    )
    assert subcontract.framework_id == world.framework.id and subcontract.orp_id == personas.ospod.orp_id
    assert (winner.status, loser.status) == (BidStatus.AWARDED, BidStatus.NOT_AWARDED)
    demand = world.demand
    assert demand.status is DemandStatus.AWARDED and demand.decided_by_id == personas.ospod.id
    assert frameworks.committed_amount(world.framework) == Decimal("20000.00")
    results = {
        n.user_id: n.body
        for n in db.session.scalars(sa.select(Notification).where(Notification.title.like("Výsledek%")))
    }
    assert "cena 60,00\xa0b., kvalita 28,00\xa0b., celkem 88,00\xa0b., pořadí 1" in results[personas.provider.id]
    assert "cena 48,00\xa0b., kvalita 36,00\xa0b., celkem 84,00\xa0b., pořadí 2" in results[world.b_user.id]
    assert all(f"{personas.provider.provider.name} za 20\xa0000,00\xa0Kč" in body for body in results.values())


def test_a_second_award_is_refused_and_makes_no_second_sub_contract(world, personas):
    scored(world)
    with after_deadline():
        evaluation.award(world.demand, personas.ospod)
        with pytest.raises(DomainError, match="už bylo rozhodnuto"):
            evaluation.award(world.demand, personas.ospod)
    assert db.session.scalar(sa.select(sa.func.count(SubContract.id))) == 1


def test_award_before_the_deadline_is_refused(world, personas):
    make_bid(world.demand, world.a)
    with pytest.raises(DomainError):
        evaluation.award(world.demand, personas.ospod)
    assert db.session.scalar(sa.select(sa.func.count(SubContract.id))) == 0


def test_award_needs_every_bid_scored_or_excluded(world, personas):
    make_bid(world.demand, world.a)
    with after_deadline(), pytest.raises(DomainError, match="Ohodnoťte nebo vyřaďte všechny nabídky"):
        evaluation.award(world.demand, personas.ospod)


def test_award_never_exceeds_the_ceiling(world, personas):
    """Another minitender under the same framework takes 85 000 of its 100 000 first."""
    other = make_demand(personas.ospod, publish=True, estimated_max_value=None)
    big = make_bid(other, world.b, unit_price="2125")  # 85 000,00
    small = make_bid(world.demand, world.a, unit_price="500")  # 20 000,00 > 15 000 remaining
    with after_deadline():
        service.score_bid(big, 80, "ok", by=world.ospod)
        service.score_bid(small, 80, "ok", by=world.ospod)
        evaluation.award(other, personas.ospod)
        with pytest.raises(DomainError, match="přesahuje zbývající strop") as refused:
            evaluation.award(world.demand, personas.ospod)
    assert "15\xa0000,00\xa0Kč" in refused.value.message
    assert world.demand.status is DemandStatus.PUBLISHED and small.status is BidStatus.SUBMITTED
    assert frameworks.committed_amount(world.framework) == Decimal("85000.00")


def test_winner_and_price_are_visible_to_the_other_bidders_after_the_award(login, world, personas):
    scored(world)
    with after_deadline():
        evaluation.award(world.demand, personas.ospod)
        db.session.commit()
        page = login(world.b_user).get(f"/demands/{world.demand.id}").get_data(as_text=True)
    assert personas.provider.provider.name in page and "20\xa0000,00\xa0Kč" in page


def test_the_protocol_records_scores_and_the_decision(login, world, personas):
    scored(world)
    with after_deadline():
        evaluation.award(world.demand, personas.ospod)
        db.session.commit()
        page = login(personas.kraj).get(f"/demands/{world.demand.id}/protocol").get_data(as_text=True)
    assert "Protokol o hodnocení nabídek" in page and "88,00" in page and "84,00" in page
    assert "Zakázka zadána poskytovateli" in page and "DS-PAK-2026-0001" in page and personas.ospod.email in page


def test_award_through_the_page_double_clicked(login, world, personas):
    scored(world)
    db.session.commit()
    client = login(personas.ospod)
    with after_deadline():
        first = client.post(f"/demands/{world.demand.id}/award")
        second = client.post(f"/demands/{world.demand.id}/award", follow_redirects=True)
    assert first.status_code == 302
    assert "už bylo rozhodnuto" in second.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SubContract.id))) == 1


# --- unsuccessful and re-issue -------------------------------------------------------------------
def test_no_bids_ends_unsuccessful_and_can_be_reissued(world, personas):
    demand = world.demand
    with after_deadline():
        with pytest.raises(DomainError, match="Žádná nabídka"):
            evaluation.award(demand, personas.ospod)
        evaluation.close_unsuccessful(demand, personas.ospod, "")
        assert demand.status is DemandStatus.UNSUCCESSFUL and demand.decision_note == "Nebyla podána žádná nabídka."
        copy = evaluation.reissue(demand, personas.ospod)
    assert copy.status is DemandStatus.DRAFT and copy.number == "PAK-2026-0002"
    assert copy.start_date >= AFTER_DEADLINE.date() and (copy.end_date - copy.start_date) == (
        demand.end_date - demand.start_date
    )
    assert copy.need_description == demand.need_description and copy.deadline is None


def test_unsuccessful_is_refused_while_bids_are_in_play(world, personas):
    bid = make_bid(world.demand, world.a)
    with after_deadline():
        with pytest.raises(DomainError, match="stále ve hře"):
            evaluation.close_unsuccessful(world.demand, personas.ospod, "")
        service.exclude_bid(bid, "Nesplňuje kvalifikaci.", by=world.ospod)
        evaluation.close_unsuccessful(world.demand, personas.ospod, "Jediná nabídka nesplnila kvalifikaci.")
    assert world.demand.status is DemandStatus.UNSUCCESSFUL
    told = db.session.scalars(
        sa.select(Notification.body).where(
            Notification.user_id == personas.provider.id, Notification.title.like("Výsledek%")
        )
    ).one()
    assert "vyřazena: Nesplňuje kvalifikaci." in told


def test_only_unsuccessful_or_cancelled_demands_are_reissued(world, personas):
    with pytest.raises(DomainError, match="Znovu vypsat"):
        evaluation.reissue(world.demand, personas.ospod)


def test_every_step_is_audited(world, personas):
    scored(world)
    with after_deadline():
        evaluation.award(world.demand, personas.ospod)
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"bid.submitted", "bid.scored", "demand.awarded", "subcontract.created"} <= actions


def test_the_demand_row_lock_reads_the_decision_afresh(world, personas):
    scored(world)
    with after_deadline():
        evaluation.award(world.demand, personas.ospod)
    stale = db.session.get(Demand, world.demand.id)
    assert demands.lock(stale).status is DemandStatus.AWARDED


def test_the_framework_page_shows_the_sub_contract_and_what_it_commits(login, world, personas):
    scored(world)
    with after_deadline():
        evaluation.award(world.demand, personas.ospod)
        db.session.commit()
        page = login(personas.kraj).get(f"/frameworks/{world.framework.id}").get_data(as_text=True)
        other = login(personas.kraj_other).get(f"/frameworks/{world.framework.id}")
    assert "DS-PAK-2026-0001" in page and "20\xa0000,00\xa0Kč" in page  # listed, and in the committed card
    assert "80\xa0000,00\xa0Kč" in page  # remaining of the 100 000 ceiling
    assert other.status_code == 403


def test_bid_submissions_are_rate_limited_per_account(app, login, world, personas, monkeypatch):
    db.session.commit()
    monkeypatch.setitem(app.config, "BID_LIMIT", "2 per minute")
    client = login(personas.provider)
    data = bid_form()
    for _ in range(2):
        assert client.post(f"/demands/{world.demand.id}/bid", data=data).status_code == 302
    blocked = client.post(f"/demands/{world.demand.id}/bid", data=data)
    assert blocked.status_code == 429 and "Příliš mnoho pokusů" in blocked.get_data(as_text=True)
    # Another provider's account is counted on its own.
    assert login(world.b_user).post(f"/demands/{world.demand.id}/bid", data=data).status_code == 302


# --- a refused form on the evaluation page -------------------------------------------------------
def test_a_refused_score_comes_back_in_its_bids_row_with_what_was_typed(login, world, personas):
    refused, other = (make_bid(world.demand, provider) for provider in (world.a, world.b))
    with after_deadline():
        db.session.commit()
        response = login(personas.ospod).post(
            f"/bids/{refused.id}/score", data={"quality_score": "150", "justification": "Velmi dobrý tým."}
        )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Hodnocení nabídek" in page
    assert message_at(page, f"q-{refused.id}") == "Číslo musí být v rozmezí 0 až 100."
    assert 'value="150"' in page and ">Velmi dobrý tým.</textarea>" in page
    assert message_at(page, f"q-{other.id}") is None  # the other bid's row is as it was
    assert page.count("<details open>") == 1 and f'href="#q-{refused.id}"' in page
    assert db.session.get(Bid, refused.id).quality_score is None


def test_a_refused_exclusion_and_a_refused_unsuccessful_end_say_why(login, world, personas):
    bid = make_bid(world.demand, world.a)
    with after_deadline():
        db.session.commit()
        client = login(personas.ospod)
        excluded = client.post(f"/bids/{bid.id}/exclude", data={"reason": ""}).get_data(as_text=True)
        closed = client.post(f"/demands/{world.demand.id}/unsuccessful", data={"note": "Nikdo nevyhověl."})
    assert message_at(excluded, f"x-{bid.id}") == "Toto pole je povinné."
    page = closed.get_data(as_text=True)
    assert closed.status_code == 200 and "stále ve hře" in page and ">Nikdo nevyhověl.</textarea>" in page
    assert db.session.get(Demand, world.demand.id).status is DemandStatus.PUBLISHED


def test_an_unsuccessful_end_refused_before_the_opening_says_why_on_the_opening_page(login, world, personas):
    """The evaluation page is the opening page until the envelopes are open: a refused note (too long)
    or the service's refusal (open the envelopes first) is shown there, not lost."""
    make_bid(world.demand, world.a)
    with after_deadline(opened=False):
        db.session.commit()
        client = login(personas.ospod)
        too_long = client.post(f"/demands/{world.demand.id}/unsuccessful", data={"note": "x" * 2001})
        unopened = client.post(f"/demands/{world.demand.id}/unsuccessful", data={"note": "Nikdo nevyhověl."})
    assert too_long.status_code == 200 and "Pole může mít nejvýše 2000 znaků." in too_long.get_data(as_text=True)
    page = unopened.get_data(as_text=True)
    assert unopened.status_code == 200 and "Otevírání obálek" in page and "Nejprve otevřete obálky" in page
    assert db.session.get(Demand, world.demand.id).status is not DemandStatus.UNSUCCESSFUL


def test_a_refused_bid_form_keeps_what_was_typed(login, world, personas):
    db.session.commit()
    data = bid_form("800", team="Tým se supervizí.")  # 800 × 40 = 32 000 > 30 000, the demand's maximum
    response = login(personas.provider).post(f"/demands/{world.demand.id}/bid", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "přesahuje předpokládanou maximální hodnotu" in page
    assert 'value="800"' in page and "Tým se supervizí.</textarea>" in page


# --- bid transitions on the model ----------------------------------------------------------------
def test_score_and_exclude_refuse_a_bid_that_is_not_in_play(world):
    bid = make_bid(world.demand, world.a)
    service.withdraw_bid(bid)
    with pytest.raises(DomainError, match="Hodnotit lze jen podané nabídky"):
        bid.score(80, "ok")
    with pytest.raises(DomainError, match="Vyřadit lze jen podanou nabídku"):
        bid.exclude("Nesplňuje kvalifikaci.")
    assert bid.status is BidStatus.WITHDRAWN and bid.quality_score is None


def test_score_and_exclude_need_their_reason_at_its_field(world):
    bid = make_bid(world.demand, world.a)
    for move, field in ((lambda: bid.score(80, " "), "justification"), (lambda: bid.exclude(""), "reason")):
        with pytest.raises(DomainError) as refused:
            move()
        assert refused.value.field == field
    with pytest.raises(DomainError, match="rodného čísla"):
        bid.exclude("Vedoucí týmu 850101/1233 nemá praxi.")
    bid.exclude("Nesplňuje kvalifikaci.")
    with pytest.raises(DomainError, match="Vyřadit lze jen podanou"):
        bid.exclude("Znovu.")
    bid.score(60, "Po přezkoumání splňuje.")  # an exclusion may be undone by a score
    assert bid.status is BidStatus.SUBMITTED and bid.excluded_reason is None and bid.quality_score == 60


def test_only_a_scored_bid_is_awarded_or_not_awarded(world):
    bid = make_bid(world.demand, world.a)
    for move in (bid.mark_awarded, bid.mark_not_awarded):
        with pytest.raises(DomainError, match="jen u ohodnocené nabídky"):
            move()
    bid.score(70, "ok")
    bid.mark_awarded()
    with pytest.raises(DomainError, match="jen u ohodnocené nabídky"):
        bid.mark_not_awarded()
    assert bid.status is BidStatus.AWARDED
