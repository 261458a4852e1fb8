"""Sealed envelopes: bids encrypted at rest until OSPOD opens them after the deadline, the opening as a
recorded act, and the deadline enforced where the bid row is written."""

# The fixtures ``world`` and ``race_app`` come from the bid and race tests and are taken as arguments.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from minitendr import clock, create_app, sealing, storage
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import Role
from minitendr.bids import service
from minitendr.bids.models import Bid, BidAttachment, BidStatus, EnvelopeOpening
from minitendr.config import ConfigurationError
from minitendr.contracts import service as contracts
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.demands.models import Demand
from minitendr.formatting import datetime as format_datetime
from minitendr.registry.models import Kraj, Orp
from tests.conftest import MONDAY, config_for_tests
from tests.factories import (
    MINIMAL_PDF,
    ProviderFactory,
    UserFactory,
    bid_form,
    make_bid,
    make_demand,
    make_framework,
    seat_committee,
)
from tests.test_bids import AFTER_DEADLINE, after_deadline, world  # noqa: F401  (fixture)
from tests.test_races import race_app  # noqa: F401  (fixture)

PRICE = "487.65"  # × 40 units = 19 506,00
TEAM = "Tým ZNACKA-TYM-7731 se supervizí."
APPROACH = "Postup ZNACKA-POSTUP-9913 podle plánu."
FILE = b"%PDF-1.4\n% ZNACKA-SOUBOR-4471\ntrailer<<>>\n%%EOF\n"
MARKERS = ("487.65", "19506", "ZNACKA-TYM-7731", "ZNACKA-POSTUP-9913", "ZNACKA-SOUBOR-4471")


@pytest.fixture
def running_clock():
    """The test lets real time run (a deadline passes while a request works), not Monday's frozen clock."""


@pytest.fixture(autouse=True)
def _clock(request):
    """Monday's frozen clock (conftest's ``monday``), unless the test lets real time run."""
    if "running_clock" not in request.fixturenames:
        request.getfixturevalue("monday")


def marked_bid(world_):
    return make_bid(
        world_.demand, world_.a, unit_price=PRICE, team=TEAM, approach=APPROACH, attachments=[("n.pdf", FILE)]
    )


def raw_dump() -> str:
    """Every row of every table as a read-only SQL login sees it, plus the attachment files."""
    connection = db.session.connection()
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name == "work_day":
            continue  # the public calendar: tens of thousands of day numbers, one of them 19506
        for row in connection.execute(sa.text(f"SELECT * FROM {table.name}")):
            parts.extend(repr(value) for value in row)
    return "\n".join(parts)


def stored_files() -> bytes:
    """Every attachment file as the store holds it."""
    names = db.session.scalars(sa.select(BidAttachment.stored_as))
    return b"".join(storage.area("attachments").read_bytes(name) for name in names)


# --- encrypted at rest ---------------------------------------------------------------------------
def test_a_database_dump_reveals_no_price_text_or_file_before_the_opening(world, personas, store):
    bid = marked_bid(world)
    db.session.flush()
    dump, files = raw_dump(), stored_files()
    assert not [m for m in MARKERS if m in dump]
    assert b"ZNACKA-SOUBOR-4471" not in files
    with after_deadline(opened=False):
        assert not [m for m in MARKERS if m in raw_dump()]  # the deadline alone opens nothing
        seat_committee(world.demand, personas.ospod)
        assert not [m for m in MARKERS if m in raw_dump()]  # nor does the committee's declaration
        evaluation.open_envelopes(world.demand, personas.ospod)
        db.session.flush()
        opened = raw_dump()
        assert "487.65" in opened and "ZNACKA-TYM-7731" in opened  # the scan would see them
        service.score_bid(bid, 80, "Dobrý tým.", by=personas.ospod)
        subcontract = evaluation.award(world.demand, personas.ospod)
    assert subcontract.value == Decimal("19506.00") and bid.team == TEAM
    assert service.attachment_content(bid.attachments[0]) == FILE
    assert b"ZNACKA-SOUBOR-4471" not in stored_files()  # files stay encrypted at rest, served decrypted


def test_an_attachment_swapped_in_the_store_or_gone_from_it_is_never_served(login, personas, world, store, caplog):
    first = make_bid(world.demand, world.a, attachments=[("a.pdf", FILE)])
    second = make_bid(world.demand, world.b, attachments=[("b.pdf", MINIMAL_PDF)])
    db.session.commit()
    first_url = f"/bids/{first.id}/attachments/{first.attachments[0].id}"
    second_url = f"/bids/{second.id}/attachments/{second.attachments[0].id}"
    assert login(world.b_user).get(second_url).data == MINIMAL_PDF
    files = storage.area("attachments")
    # Someone with access to the store copies one bidder's encrypted file over another's.
    files.put_bytes(second.attachments[0].stored_as, files.read_bytes(first.attachments[0].stored_as))
    swapped = login(world.b_user).get(second_url)
    assert swapped.status_code == 404 and b"ZNACKA" not in swapped.data
    assert f"attachment {second.attachments[0].id} of bid {second.id}" in caplog.text
    assert login(personas.provider).get(first_url).data == FILE
    files.delete(first.attachments[0].stored_as)
    assert login(personas.provider).get(first_url).status_code == 404 and "chybí v úložišti" in caplog.text


def test_the_bidder_reads_its_own_sealed_bid_and_nobody_else_does(login, personas, world):
    bid = marked_bid(world)
    db.session.commit()
    own = login(personas.provider).get(f"/bids/{bid.id}").get_data(as_text=True)
    assert "19\xa0506,00" in own and "ZNACKA-TYM-7731" in own
    with after_deadline(opened=False):
        page = login(personas.ospod).get(f"/bids/{bid.id}")
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "zapečetěná" in text
        assert not [m for m in ("19\xa0506", "487,65", "ZNACKA") if m in text]
        download = login(personas.ospod).get(f"/bids/{bid.id}/attachments/{bid.attachments[0].id}")
        assert download.status_code == 403
        unopened = login(personas.ospod).get(f"/demands/{world.demand.id}/evaluation").get_data(as_text=True)
        assert "Otevírání obálek" in unopened and "487,65" not in unopened and "19\xa0506" not in unopened
        assert "Obálky lze otevřít, až bude jmenována hodnoticí komise" in unopened  # none yet
        for record in ("protocol", "opening"):
            response = login(personas.kraj).get(f"/demands/{world.demand.id}/{record}", follow_redirects=True)
            assert "dosud nebyly otevřeny" in response.get_data(as_text=True)
    assert login(personas.ospod).get(f"/demands/{world.demand.id}/opening").status_code == 404  # sealed


def test_an_envelope_copied_onto_another_bid_does_not_open(world):
    first = make_bid(world.demand, world.a, unit_price="450")
    second = make_bid(world.demand, world.b, unit_price="520")
    second.envelope = first.envelope
    with pytest.raises(sealing.EnvelopeError, match="neodpovídá"):
        second.offer  # noqa: B018
    db.session.rollback()


# --- the opening -----------------------------------------------------------------------------------
def test_ospod_opens_the_envelopes_once_after_the_deadline_and_it_is_recorded(login, personas, world):
    replaced = make_bid(world.demand, world.a, unit_price="500", attachments=[("a.pdf", MINIMAL_PDF)])
    live = make_bid(world.demand, world.a, unit_price="480")
    withdrawn = make_bid(world.demand, world.b, unit_price="470")
    service.withdraw_bid(withdrawn)
    db.session.commit()
    url = f"/demands/{world.demand.id}/open"
    early = login(personas.ospod).post(url, follow_redirects=True).get_data(as_text=True)
    assert "až po uplynutí lhůty" in early
    with after_deadline(opened=False):
        assert login(personas.ospod_other).post(url).status_code == 403
        assert login(personas.provider).post(url).status_code == 403
        assert login(personas.kraj).post(url).status_code == 403
        with pytest.raises(DomainError, match="otevřete obálky"):
            service.score_bid(db.session.get(Bid, live.id), 80, "ok", by=personas.ospod)
        seat_committee(world.demand, personas.ospod)
        db.session.commit()
        response = login(personas.ospod).post(url, follow_redirects=True)
        assert "Obálky jsou otevřeny" in response.get_data(as_text=True)
        assert "19\xa0200,00" in response.get_data(as_text=True)  # 480 × 40 in the evaluation
        again = login(personas.ospod).post(url, follow_redirects=True).get_data(as_text=True)
        assert "už byly otevřeny" in again
        record = login(personas.ospod).get(f"/demands/{world.demand.id}/opening").get_data(as_text=True)
    db.session.expire_all()
    opening = db.session.scalar(sa.select(EnvelopeOpening))
    assert opening.opened_by_id == personas.ospod.id and opening.bids_opened == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "demand.envelopes_opened"))
    assert event is not None and event.actor_id == personas.ospod.id
    # Withdrawn and replaced bids are listed with their times, never opened.
    assert db.session.get(Bid, replaced.id).is_sealed and db.session.get(Bid, withdrawn.id).is_sealed
    assert not db.session.get(Bid, live.id).is_sealed
    assert record.count("neotevírá se") == 2 and "19\xa0200,00" in record
    assert "20\xa0000,00" not in record and "18\xa0800,00" not in record
    for bid in (replaced, live, withdrawn):
        assert format_datetime(bid.submitted_at) in record


def test_a_wrong_key_is_a_clear_message_not_a_500(app, login, personas, world, monkeypatch):
    bid = make_bid(world.demand, world.a)
    db.session.commit()
    monkeypatch.setitem(app.config, "BID_KEYS", [sealing._decode(sealing.new_key())])
    page = login(personas.provider).get(f"/bids/{bid.id}")
    assert page.status_code == 200 and "jiným klíčem" in page.get_data(as_text=True)
    with after_deadline(opened=False):
        seat_committee(world.demand, personas.ospod)
        db.session.commit()
        response = login(personas.ospod).post(f"/demands/{world.demand.id}/open", follow_redirects=True)
        assert response.status_code == 200 and "jiným klíčem" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(EnvelopeOpening)) is None  # nothing half-opened


def test_a_rotated_key_still_opens_envelopes_sealed_under_the_old_one(app, world, personas, monkeypatch):
    bid = make_bid(world.demand, world.a, unit_price="455")
    monkeypatch.setitem(app.config, "BID_KEYS", [sealing._decode(sealing.new_key()), *app.config["BID_KEYS"]])
    with after_deadline(opened=False):
        seat_committee(world.demand, personas.ospod)
        evaluation.open_envelopes(world.demand, personas.ospod)
    assert bid.unit_price == Decimal("455.00")


@pytest.mark.parametrize(
    ("key", "message"),
    [(None, "není nastaven"), ("tohle-neni-base64!", "base64"), ("c2hvcnQ=", "32 bajtů")],
    ids=["missing", "not-base64", "short"],
)
def test_start_up_refuses_a_missing_or_malformed_key(database_url, key, message):
    config = config_for_tests(database_url) | {"TESTING": False, "BID_KEY": key}
    with pytest.raises(ConfigurationError, match=message):
        create_app(config)


# --- the deadline where the row is written ------------------------------------------------------
def test_the_database_refuses_a_bid_row_received_after_the_deadline(world):
    bid = make_bid(world.demand, world.a)
    deadline = world.demand.deadline
    values = {"demand_id": bid.demand_id, "provider_id": world.b.id, "envelope": bid.envelope}
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.insert(Bid).values(**values, status="submitted", submitted_at=deadline))
    db.session.execute(
        sa.insert(Bid).values(**values, status="submitted", submitted_at=deadline - dt.timedelta(microseconds=1))
    )
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.update(Bid).where(Bid.id == bid.id).values(status="withdrawn", closed_at=deadline + dt.timedelta(1))
        )


def test_a_slow_upload_cannot_carry_a_bid_past_the_deadline(running_clock, world, monkeypatch):
    deadline = world.demand.deadline
    original = service.store_attachment

    def slow_store(content):
        found = original(content)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(service, "store_attachment", slow_store)
    with clock.moved_by(deadline - dt.datetime.now(dt.UTC) - dt.timedelta(seconds=0.15)):
        assert clock.now() < deadline
        with pytest.raises(DomainError, match="Lhůta pro nabídky skončila"):
            make_bid(world.demand, world.a, attachments=[("pomalu.pdf", MINIMAL_PDF)])


def test_a_bid_written_slowly_is_not_acknowledged_after_the_deadline(running_clock, world, monkeypatch):
    deadline = world.demand.deadline
    original = service.record

    def slow_record(*args, **kwargs):
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "record", slow_record)
    first = make_bid(world.demand, world.a, unit_price="500")
    with clock.moved_by(deadline - dt.datetime.now(dt.UTC) - dt.timedelta(seconds=0.15)):
        with pytest.raises(DomainError, match="Lhůta pro nabídky skončila"):
            make_bid(world.demand, world.b)
        with pytest.raises(DomainError, match="Lhůta pro nabídky skončila"):
            service.withdraw_bid(first)


@pytest.fixture
def deadline_app(race_app):
    yield race_app
    with race_app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM envelope_opening"))


def test_providers_racing_the_deadline_never_get_a_late_bid_in(running_clock, deadline_app):
    """Several providers submit and replace in a loop across the deadline while OSPOD opens the envelopes
    the moment it passes: every acknowledged bid was received before the deadline, none is stored after
    it, and the opening saw every live bid (none slipped in behind it)."""
    app = deadline_app
    with app.app_context():
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
        providers = [ProviderFactory() for _ in range(4)]
        make_framework(kraj, providers=providers)
        orp = db.session.execute(sa.select(Orp).where(Orp.code == "5309")).scalar_one()
        ospod = UserFactory(email="ospod.zavod@test.cz", role=Role.OSPOD, orp=orp)
        demand = make_demand(ospod, publish=True)
        db.session.commit()
        demand_id, deadline, provider_ids, ospod_id = demand.id, demand.deadline, [p.id for p in providers], ospod.id
    attempts: list[tuple[int, dt.datetime, bool]] = []
    lock = threading.Lock()

    def bidder(provider_id: int, seed: int) -> None:
        price = Decimal(400 + seed)
        while clock.now() < deadline + dt.timedelta(seconds=0.6):
            price += Decimal("0.01")
            with app.app_context():
                began = clock.now()
                try:
                    from minitendr.providers.models import Provider

                    service.submit_bid(
                        db.session.get(Demand, demand_id),
                        db.session.get(Provider, provider_id),
                        unit_price=price,
                        units=Decimal(40),
                        vat_rate=0,
                        proposed_start=clock.today() + dt.timedelta(days=20),
                        team="Tým.",
                        approach="Postup.",
                    )
                    db.session.commit()
                    ok = True
                except DomainError:
                    db.session.rollback()
                    ok = False
                with lock:
                    attempts.append((provider_id, began, ok))

    def opener() -> None:
        from minitendr.auth.models import User

        while clock.now() < deadline:
            time.sleep(0.005)
        with app.app_context():
            demand, ospod = db.session.get(Demand, demand_id), db.session.get(User, ospod_id)
            seat_committee(demand, ospod)  # the committee declares once the bidders are known
            evaluation.open_envelopes(demand, ospod)
            db.session.commit()

    with clock.moved_by(deadline - dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)):
        threads = [threading.Thread(target=bidder, args=(p, n * 20)) for n, p in enumerate(provider_ids)]
        threads.append(threading.Thread(target=opener))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    acknowledged = [a for a in attempts if a[2]]
    assert acknowledged and any(not ok for *_, ok in attempts), attempts  # the loop did cross the deadline
    assert all(began < deadline for _, began, _ in acknowledged)
    with app.app_context():
        bids = db.session.scalars(sa.select(Bid).where(Bid.demand_id == demand_id)).all()
        assert len(bids) == len(acknowledged)  # every acknowledged bid stored, nothing else
        assert all(b.submitted_at < deadline for b in bids)
        assert all(b.closed_at < deadline for b in bids if b.closed_at is not None)
        live = [b for b in bids if b.status is BidStatus.SUBMITTED]
        assert sorted(b.provider_id for b in live) == sorted({p for p, _, _ in acknowledged})
        opening = db.session.scalar(sa.select(EnvelopeOpening).where(EnvelopeOpening.demand_id == demand_id))
        assert opening.bids_opened == len(live) and not any(b.is_sealed for b in live)


# --- input that used to answer 500 ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"unit_price": "0,01", "units": "0,01"}, "vychází na 0,00 Kč"),
        ({"units": "10000000000"}, "Číslo musí být v rozmezí"),
    ],
    ids=["total-rounds-to-zero", "ten-billion-units"],
)
def test_bids_that_broke_a_database_limit_get_a_czech_message(login, personas, world, overrides, message):
    db.session.commit()
    response = login(personas.provider).post(f"/demands/{world.demand.id}/bid", data=bid_form(**overrides))
    assert response.status_code == 200 and message in response.get_data(as_text=True).replace("\xa0", " ")
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0


def test_a_tiny_total_is_refused_by_the_service_too(world):
    with pytest.raises(DomainError, match="0,00 Kč"):
        make_bid(world.demand, world.a, unit_price="0.01", units="0.01")


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("nabídka\x00.pdf", "nabídka .pdf"),
        ("a\r\nContent-Type: text/html.pdf", "a Content-Type_ text_html.pdf"),
        ("..\\..\\etc/passwd", "_.._etc_passwd"),
        ("\u202egpj.pdf", "gpj.pdf"),
        ("   ", "příloha"),
        ("x" * 300 + ".pdf", "x" * 192 + ".pdf"),
    ],
    ids=["nul", "crlf", "path", "rtl", "blank", "long"],
)
def test_attachment_names_are_cleaned_at_upload_and_download(login, personas, world, name, stored):
    bid = make_bid(world.demand, world.a, attachments=[(name, MINIMAL_PDF)])
    db.session.commit()
    assert bid.attachments[0].filename == stored
    response = login(personas.provider).get(f"/bids/{bid.id}/attachments/{bid.attachments[0].id}")
    assert response.status_code == 200 and response.data == MINIMAL_PDF
    assert "\r" not in response.headers["Content-Disposition"] and "\n" not in response.headers["Content-Disposition"]


def test_a_name_stored_before_cleaning_is_still_served(login, personas, world):
    bid = make_bid(world.demand, world.a, attachments=[("ok.pdf", MINIMAL_PDF)])
    db.session.execute(
        sa.update(BidAttachment).where(BidAttachment.bid_id == bid.id).values(filename="zlý\r\nnázev\t.pdf")
    )
    db.session.commit()
    response = login(personas.provider).get(f"/bids/{bid.id}/attachments/{bid.attachments[0].id}")
    assert response.status_code == 200 and response.data == MINIMAL_PDF
    assert "filename*=UTF-8''zl%C3%BD%20n%C3%A1zev%20.pdf" in response.headers["Content-Disposition"]


def test_a_birth_number_in_an_attachment_name_is_refused(login, personas, world):
    db.session.commit()
    data = bid_form(attachments=[(io.BytesIO(MINIMAL_PDF), "zprava_850101-1233.pdf")])
    response = login(personas.provider).post(
        f"/demands/{world.demand.id}/bid", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 200 and "rodné" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0


def test_evaluating_a_draft_demand_says_why_instead_of_a_500(login, personas):
    draft = make_demand(personas.ospod)
    db.session.commit()
    response = login(personas.ospod).get(f"/demands/{draft.id}/evaluation", follow_redirects=True)
    assert response.status_code == 200 and "nebyla zveřejněna" in response.get_data(as_text=True)
    assert login(personas.ospod).post(f"/demands/{draft.id}/open").status_code == 302


def test_the_protocol_keeps_the_award_value_when_the_sub_contract_is_amended(login, personas, world):
    bid = make_bid(world.demand, world.a, unit_price="500")
    with after_deadline():
        service.score_bid(bid, 80, "ok", by=personas.ospod)
        subcontract = evaluation.award(world.demand, personas.ospod)
        contracts.amend(
            subcontract,
            new_value=Decimal("25000.00"),
            new_units=Decimal("50"),
            new_end_date=subcontract.end_date,
            reason="Rozšíření rozsahu služby.",
            provider_consent="Souhlas poskytovatele ze dne 8. 12. 2026",
            consent_on=clock.today(),
        )
        db.session.commit()
        text = login(personas.ospod).get(f"/demands/{world.demand.id}/protocol").get_data(as_text=True)
    assert "za 20\xa0000,00\xa0Kč bez DPH (hodnota vítězné nabídky při zadání)" in text
    assert "po dodatcích: 25\xa0000,00\xa0Kč" in text


def test_time_is_taken_once_and_stored_as_the_receipt(world):
    moment = MONDAY + dt.timedelta(hours=3, microseconds=123456)
    with clock.frozen_at(moment):
        bid = make_bid(world.demand, world.a)
    assert bid.submitted_at == moment.astimezone(dt.UTC)
    assert world.demand.deadline < AFTER_DEADLINE


# --- existing data --------------------------------------------------------------------------------
def test_the_migration_seals_bids_still_before_their_deadline_and_opens_the_rest(tmp_path):
    import hashlib

    from flask_migrate import upgrade

    from minitendr.registry.service import load_reference_data

    folder = tmp_path / "attachments"
    folder.mkdir()
    app = create_app(config_for_tests(f"sqlite:///{tmp_path}/sealing.db") | {"ATTACHMENTS_DIR": str(folder)})
    with app.app_context():
        directory = app.config["MIGRATIONS_DIR"]
        upgrade(directory=directory, revision="0009")
        load_reference_data(Path(app.config["SEED_DIR"]))
        db.session.commit()
        digest = hashlib.sha256(FILE).hexdigest()
        (folder / digest).write_bytes(FILE)
        demand = (
            "INSERT INTO demand (id, number, number_year, kraj_abbr, number_seq, orp_id, category_id, "
            "service_type_id, needs, case_reference, need_description, expected_outcome, place, volume, "
            "start_date, end_date, contact_name, contact_email, contact_phone, status, created_at, deadline) "
            "VALUES (:id, :number, 2026, 'PAK', :id, 1, 1, 1, '[\"vztahy\"]', 'X', 'X', 'X', 'X', 40, "
            "'2026-12-01', '2099-12-31', 'X', 'x@x.cz', '', 'published', '2020-01-01 10:00:00', :deadline)"
        )
        bid = (
            "INSERT INTO bid (id, demand_id, provider_id, status, unit_price, units, total, vat_rate, "
            "proposed_start, team, approach, submitted_at) VALUES (:id, :id, 1, 'submitted', 487.65, 40, 19506, 0, "
            "'2026-12-01', :team, :approach, '2020-01-02 10:00:00.000000')"
        )
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO provider (id, ico, name, legal_form, address, email, phone, active, created_at) "
                    "VALUES (1, '26742101', 'P', '', '', '', '', 1, '2020-01-01 10:00:00')"
                )
            )
            conn.execute(sa.text(demand), {"id": 1, "number": "PAK-2026-0001", "deadline": "2099-01-01 11:00:00"})
            conn.execute(sa.text(demand), {"id": 2, "number": "PAK-2026-0002", "deadline": "2020-01-10 11:00:00"})
            for n in (1, 2):
                conn.execute(sa.text(bid), {"id": n, "team": TEAM, "approach": APPROACH})
            conn.execute(
                sa.text(
                    "INSERT INTO bid_attachment (id, bid_id, filename, size, sha256, uploaded_at) "
                    "VALUES (1, 1, 'n.pdf', :size, :digest, '2020-01-02 10:00:00')"
                ),
                {"size": len(FILE), "digest": digest},
            )
        upgrade(directory=directory)
        sealed, past = db.session.get(Bid, 1), db.session.get(Bid, 2)
        assert sealed.is_sealed and sealed.total is None and sealed.offer.total == Decimal("19506.00")
        assert sealed.offer.team == TEAM and not past.is_sealed and past.total == Decimal("19506.00")
        raw_row = repr(db.session.execute(sa.text("SELECT * FROM bid WHERE id = 1")).one())
        assert not [m for m in MARKERS if m in raw_row]
        openings = db.session.scalars(sa.select(EnvelopeOpening)).all()
        assert [(o.demand_id, o.bids_opened, o.opened_by_id) for o in openings] == [(2, 1, None)]
        attachment = db.session.get(BidAttachment, 1)
        assert not (folder / digest).exists() and b"ZNACKA" not in (folder / attachment.stored_as).read_bytes()
        assert service.attachment_content(attachment) == FILE
        db.session.remove()
        db.engine.dispose()


# --- a minitender cancelled before its deadline never opens ----------------------------------------
def test_a_minitender_cancelled_before_its_deadline_keeps_who_bid_sealed(login, personas, world):
    from minitendr.demands import service as demands

    bid = make_bid(world.demand, world.a)
    demands.cancel(world.demand, "Rodina se odstěhovala.")
    db.session.commit()
    evaluation_page = login(personas.ospod).get(f"/demands/{world.demand.id}/evaluation", follow_redirects=True)
    assert evaluation_page.status_code == 200 and "byl zrušen" in evaluation_page.get_data(as_text=True)
    with after_deadline(opened=False):
        for persona in ("admin", "ministry", "kraj"):
            page = login(personas[persona]).get(f"/demands/{world.demand.id}").get_data(as_text=True)
            assert "Počet podaných nabídek" not in page, persona
            assert login(personas[persona]).get(f"/bids/{bid.id}").status_code == 404, persona
        response = login(personas.ospod).post(f"/demands/{world.demand.id}/open", follow_redirects=True)
        assert "není ve fázi hodnocení" in response.get_data(as_text=True)
    assert db.session.get(Bid, bid.id).is_sealed


def test_a_wrong_key_leaves_the_bidders_demand_page_readable(app, login, personas, world, monkeypatch):
    make_bid(world.demand, world.a)
    db.session.commit()
    monkeypatch.setitem(app.config, "BID_KEYS", [sealing._decode(sealing.new_key())])
    page = login(personas.provider).get(f"/demands/{world.demand.id}")
    assert page.status_code == 200 and "obsah nelze přečíst" in page.get_data(as_text=True)


def test_a_withdrawal_and_a_replacement_at_once_end_in_one_consistent_state(deadline_app, monkeypatch):
    """Two sessions of one provider: one withdraws the bid while the other replaces it. They run one
    after the other (the invitation's lock), neither deadlocks on the audit chain's lock, and an
    acknowledged withdrawal is never overwritten as a replacement."""
    from minitendr.providers.models import Provider
    from tests.test_races import run_together, slowed

    app = deadline_app
    with app.app_context():
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
        provider = ProviderFactory()
        make_framework(kraj, providers=[provider])
        orp = db.session.execute(sa.select(Orp).where(Orp.code == "5309")).scalar_one()
        demand = make_demand(UserFactory(email="ospod.souboj@test.cz", role=Role.OSPOD, orp=orp), publish=True)
        bid = make_bid(demand, provider, unit_price="500")
        db.session.commit()
        demand_id, provider_id, bid_id = demand.id, provider.id, bid.id
    slowed(monkeypatch, service, "record", 0.3)

    def withdraw():
        service.withdraw_bid(db.session.get(Bid, bid_id))
        return "withdrawn"

    def replace():
        demand = db.session.get(Demand, demand_id)
        service.submit_bid(
            demand,
            db.session.get(Provider, provider_id),
            unit_price=Decimal("480"),
            units=demand.volume,
            vat_rate=0,
            proposed_start=demand.start_date,
            team="Tým.",
            approach="Postup.",
        )
        return "replaced"

    results = run_together(app, withdraw, replace)
    assert all(r in ("withdrawn", "replaced") or isinstance(r, DomainError) for r in results), results
    with app.app_context():
        old = db.session.get(Bid, bid_id)
        live = db.session.scalars(
            sa.select(Bid).where(Bid.demand_id == demand_id, Bid.status == BidStatus.SUBMITTED)
        ).all()
        if results[0] == "withdrawn":
            assert old.status is BidStatus.WITHDRAWN
        if results[1] == "replaced":
            assert len(live) == 1 and live[0].id != bid_id


def test_schema_commands_need_no_bid_key_and_sealing_without_one_says_so(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from minitendr.cli import cli

    monkeypatch.delenv("MINITENDR_BID_KEY", raising=False)
    monkeypatch.delenv("MINITENDR_BID_KEY_FILE", raising=False)
    monkeypatch.setenv("MINITENDR_SECRET_KEY", "x")
    monkeypatch.setenv("MINITENDR_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    for command in (["db", "upgrade"], ["db", "check"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, result.output
    from minitendr.cli import create_cli_app

    with create_cli_app().app_context(), pytest.raises(sealing.EnvelopeError, match="MINITENDR_BID_KEY"):
        sealing.seal(b"nabidka", "kontext")
    with pytest.raises(ConfigurationError, match="není nastaven"):
        create_app()  # the server does not start without it
