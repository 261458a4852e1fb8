"""Reminders: each kind reaches the right people and only them, once per period, unless switched off;
the deadline reminder tells nobody who bid; the command and the daily schedule."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.auth.models import Role
from minitendr.bids.service import score_bid
from minitendr.contracts.service import report_drawdown
from minitendr.db import db
from minitendr.demands.evaluation import award, open_envelopes
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.reminders import service
from minitendr.reminders.models import ReminderKind, ReminderOptOut, ReminderSent
from tests.conftest import MONDAY
from tests.factories import ProviderFactory, UserFactory, make_bid, make_demand, make_framework, seat_committee
from tests.test_races import race_app, run_together, slowed  # noqa: F401  (race_app: a fixture)

pytestmark = pytest.mark.usefixtures("monday")

SUBJECT = "Připomínka"


def at(year: int, month: int, day: int, hour: int = 7) -> dt.datetime:
    """A moment in Prague (the daily run goes at 07:00)."""
    return dt.datetime(year, month, day, hour, 0, tzinfo=clock.PRAGUE)


def reminded(user, kind: ReminderKind | None = None) -> list[Notification]:
    """The in-app reminders of ``user`` (of one kind: by its label in the title)."""
    stmt = sa.select(Notification).where(Notification.user_id == user.id, Notification.title.startswith(SUBJECT))
    found = list(db.session.scalars(stmt.order_by(Notification.id)))
    return [n for n in found if kind is None or kind.label in n.title]


def emailed(user) -> list[OutboxEmail]:
    stmt = sa.select(OutboxEmail).where(OutboxEmail.recipient == user.email, OutboxEmail.subject.contains(SUBJECT))
    return list(db.session.scalars(stmt.order_by(OutboxEmail.id)))


def send(moment: dt.datetime) -> dict[ReminderKind, int]:
    with clock.frozen_at(moment):
        return service.send_reminders()


@pytest.fixture
def framework(kraj_pak, personas):
    return make_framework(kraj_pak, providers=[personas.provider.provider, personas.interloper.provider])


@pytest.fixture
def open_demand(framework, personas):
    """Published on Monday 23. 11. 2026: the deadline is Monday 7. 12. 2026 12:00."""
    return make_demand(personas.ospod, publish=True)


@pytest.fixture
def subcontract(framework, personas):
    """Awarded on Monday 23. 11. 2026 (40 units × 2 000 Kč = 80 000 Kč: due in the register of contracts
    by 23. 12.), running from 17. 11. 2026."""
    with clock.frozen_at(MONDAY - dt.timedelta(days=20)):
        demand = make_demand(personas.ospod, publish=True, estimated_max_value=Decimal("100000.00"))
        bid = make_bid(demand, personas.provider.provider, unit_price="2000")
    seat_committee(demand, personas.ospod)
    open_envelopes(demand, personas.ospod)
    score_bid(bid, 80, "Splňuje zadání.", by=personas.ospod)
    contract = award(demand, personas.ospod)
    db.session.flush()
    return contract


def report_november(subcontract, personas) -> None:
    """The provider reports November (on Monday 23. 11.): 2 units × 2 000 Kč."""
    provider = personas.provider.provider
    report_drawdown(subcontract, provider, period=clock.today(), units=Decimal(2), amount=Decimal(4000))


# --- deadline in two working days ----------------------------------------------------------------
def test_invited_provider_without_a_bid_is_reminded_two_working_days_before_the_deadline(open_demand, personas):
    assert send(at(2026, 12, 2))[ReminderKind.DEADLINE] == 0  # Wednesday: three working days before
    sent = send(at(2026, 12, 3))  # Thursday: Friday and Monday are left
    assert sent[ReminderKind.DEADLINE] == 2
    [notice] = reminded(personas.provider, ReminderKind.DEADLINE)
    assert open_demand.number in notice.title and "7. 12. 2026" in notice.body
    assert notice.link.endswith(f"/demands/{open_demand.id}")
    for user in (personas.ospod, personas.kraj, personas.admin, personas.ospod_other):
        assert reminded(user) == [] and emailed(user) == []


def test_the_deadline_reminder_tells_nobody_who_bid(app, open_demand, personas):
    """The provider that bid has no in-app reminder; its e-mail (the outbox, which admin reads) and the
    command's count are the same as for the one that has not bid, so neither shows who bid."""
    make_bid(open_demand, personas.interloper.provider)
    app.config["BASE_URL"] = "https://minitendr.example.cz"
    try:
        sent = send(at(2026, 12, 4))
    finally:
        app.config["BASE_URL"] = ""
    assert sent[ReminderKind.DEADLINE] == 2  # the invited parties, bid or not
    assert len(reminded(personas.provider)) == 1
    assert reminded(personas.interloper) == []
    [to_bidder], [to_other] = emailed(personas.interloper), emailed(personas.provider)
    assert (to_bidder.subject, to_bidder.body) == (to_other.subject, to_other.body)
    assert f"https://minitendr.example.cz/demands/{open_demand.id}" in to_other.body
    assert "https://minitendr.example.cz/account/reminders" in to_other.body
    for text in (to_other.body, reminded(personas.provider)[0].body):
        assert "nabíd" in text and personas.interloper.provider.name not in text


def test_a_provider_that_may_no_longer_bid_or_is_not_invited_is_not_reminded(open_demand, personas):
    from minitendr.frameworks import service as frameworks

    [party] = [p for p in open_demand.framework.parties if p.provider_id == personas.interloper.provider_id]
    frameworks.suspend_party(party, "Pozastaveno kvůli kontrole.")
    outsider = UserFactory(role=Role.PROVIDER, provider=ProviderFactory())
    send(at(2026, 12, 4))
    assert reminded(outsider) == [] and emailed(outsider) == []
    assert reminded(personas.interloper) == [] and emailed(personas.interloper) == []
    assert len(reminded(personas.provider)) == 1


def test_working_days_skip_czech_holidays(open_demand, personas):
    """Christmas: on Wednesday 23. 12. 2026 the next two working days are Monday 28. and Tuesday 29. 12.
    (24.–26. are holidays), so a deadline on the 29th is reminded then — not on Tuesday the 22nd."""
    open_demand.deadline = dt.datetime(2026, 12, 29, 12, 0, tzinfo=clock.PRAGUE)
    db.session.flush()
    assert send(at(2026, 12, 22))[ReminderKind.DEADLINE] == 0
    assert send(at(2026, 12, 23))[ReminderKind.DEADLINE] == 2
    assert clock.add_working_days(dt.date(2026, 12, 23), 2) == dt.date(2026, 12, 29)


# --- evaluation waiting -----------------------------------------------------------------------------
def test_the_demands_own_ospod_is_reminded_of_an_evaluation_and_no_other_office(
    open_demand, personas, kraj_kvk, orp_cheb
):
    make_framework(kraj_kvk, providers=[personas.interloper.provider])
    cheb = make_demand(personas.ospod_other, publish=True, place="Cheb")
    colleague = UserFactory(role=Role.OSPOD, orp=personas.ospod.orp)
    assert send(at(2026, 12, 7))[ReminderKind.EVALUATION] == 0  # 07:00, before the deadline at noon
    assert send(at(2026, 12, 8))[ReminderKind.EVALUATION] == 3
    for user, demand, other in ((personas.ospod, open_demand, cheb), (colleague, open_demand, cheb)):
        [notice] = reminded(user, ReminderKind.EVALUATION)
        assert demand.number in notice.body and other.number not in notice.body
    [notice] = reminded(personas.ospod_other, ReminderKind.EVALUATION)
    assert cheb.number in notice.body and open_demand.number not in notice.body
    for user in (personas.provider, personas.interloper, personas.kraj, personas.admin):
        assert reminded(user, ReminderKind.EVALUATION) == []


def test_reminders_go_once_per_period(open_demand, personas):
    """Twice the same day: nothing new. The next week an evaluation still waiting is told again."""
    assert send(at(2026, 12, 8))[ReminderKind.EVALUATION] == 1
    assert send(at(2026, 12, 8, 9)) == dict.fromkeys(ReminderKind, 0)
    assert send(at(2026, 12, 11))[ReminderKind.EVALUATION] == 0  # the same week
    assert len(reminded(personas.ospod)) == 1 and len(emailed(personas.ospod)) == 1
    assert send(at(2026, 12, 14))[ReminderKind.EVALUATION] == 1
    assert db.session.scalar(sa.select(sa.func.count(ReminderSent.id))) == 2


def test_a_decided_minitender_is_not_reminded(subcontract, personas):
    assert reminded(personas.ospod, ReminderKind.EVALUATION) == []
    send(at(2026, 11, 24))
    assert reminded(personas.ospod, ReminderKind.EVALUATION) == []


# --- drawdowns, registr smluv, monthly report ---------------------------------------------------------
def test_ospod_is_reminded_of_a_drawdown_waiting_three_days(subcontract, personas):
    report_november(subcontract, personas)
    assert send(at(2026, 11, 25))[ReminderKind.DRAWDOWNS] == 0  # reported on Monday: OSPOD was told then
    assert send(at(2026, 11, 27))[ReminderKind.DRAWDOWNS] == 1
    [notice] = reminded(personas.ospod, ReminderKind.DRAWDOWNS)
    assert subcontract.number in notice.body and "4\xa0000,00\xa0Kč" in notice.body
    for user in (personas.ospod_other, personas.kraj, personas.provider):
        assert reminded(user, ReminderKind.DRAWDOWNS) == []


def test_the_publishers_are_reminded_of_the_register_of_contracts_a_week_before_the_deadline(subcontract, personas):
    assert subcontract.registry_pending
    assert send(at(2026, 12, 15))[ReminderKind.REGISTRY] == 0
    assert send(at(2026, 12, 16))[ReminderKind.REGISTRY] == 2  # the kraj official and the OSPOD office
    for user in (personas.kraj, personas.ospod):
        [notice] = reminded(user, ReminderKind.REGISTRY)
        assert subcontract.number in notice.body and "zveřejnit do 23. 12. 2026" in notice.body
    for user in (personas.kraj_other, personas.ospod_other, personas.provider, personas.admin, personas.ministry):
        assert reminded(user, ReminderKind.REGISTRY) == []
    with clock.frozen_at(at(2026, 12, 16, 10)):
        subcontract.record_publication("26781234", dt.date(2026, 12, 16))
        db.session.flush()
    assert send(at(2026, 12, 21))[ReminderKind.REGISTRY] == 0  # published: nothing more


def test_a_provider_is_reminded_of_last_months_drawdown_from_the_fifth(subcontract, personas):
    assert send(at(2026, 12, 4))[ReminderKind.MONTHLY_REPORT] == 0
    assert send(at(2026, 12, 5))[ReminderKind.MONTHLY_REPORT] == 1
    [notice] = reminded(personas.provider, ReminderKind.MONTHLY_REPORT)
    assert subcontract.number in notice.body and "11/2026" in notice.body
    assert reminded(personas.interloper) == [] and reminded(personas.ospod, ReminderKind.MONTHLY_REPORT) == []
    assert send(at(2026, 12, 20))[ReminderKind.MONTHLY_REPORT] == 0  # once a month


def test_a_reported_month_is_not_reminded(subcontract, personas):
    report_november(subcontract, personas)
    assert send(at(2026, 12, 7))[ReminderKind.MONTHLY_REPORT] == 0


# --- switching off -------------------------------------------------------------------------------------
def test_a_kind_switched_off_is_not_sent_and_others_still_are(subcontract, open_demand, personas):
    service.save_preferences(personas.kraj, [])
    service.save_preferences(personas.ospod, [ReminderKind.EVALUATION, ReminderKind.DRAWDOWNS])
    send(at(2026, 12, 16))
    assert reminded(personas.kraj) == [] and emailed(personas.kraj) == []
    assert reminded(personas.ospod, ReminderKind.REGISTRY) == []
    assert len(reminded(personas.ospod, ReminderKind.EVALUATION)) == 1


def test_the_preferences_page_offers_the_kinds_of_the_role_and_saves_them(login, personas):
    client = login(personas.provider)
    page = client.get("/account/reminders").get_data(as_text=True)
    assert ReminderKind.DEADLINE.label in page and ReminderKind.MONTHLY_REPORT.label in page
    assert ReminderKind.REGISTRY.label not in page and "checked" in page
    response = client.post("/account/reminders", data={"deadline": "y"})
    assert response.status_code == 302
    assert service.switched_off(personas.provider) == {ReminderKind.MONTHLY_REPORT}
    page = client.get("/account/reminders").get_data(as_text=True)
    assert "Nastavení připomínek bylo uloženo." in page
    client.post("/account/reminders", data={"deadline": "y", "monthly_report": "y", "registry": "y"})
    assert service.switched_off(personas.provider) == set()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderOptOut)) == 0
    admin_page = login(personas.admin).get("/account/reminders").get_data(as_text=True)
    assert "žádné připomínky" in admin_page
    assert "/account/reminders" in login(personas.ospod).get("/account/password").get_data(as_text=True)


def test_a_change_of_preferences_is_audited_old_and_new_per_kind_and_reads_in_czech(login, personas):
    from minitendr.audit import labels
    from minitendr.audit.models import AuditEvent

    def changes() -> list[AuditEvent]:
        stmt = sa.select(AuditEvent).where(AuditEvent.action == "user.reminders_changed").order_by(AuditEvent.id)
        return list(db.session.scalars(stmt))

    client = login(personas.provider)
    client.post("/account/reminders", data={"deadline": "y"})  # the monthly report switched off
    client.post("/account/reminders", data={"deadline": "y"})  # the same again: no change, no event
    client.post("/account/reminders", data={"monthly_report": "y"})  # one back on, the other off
    first, second = changes()
    for event in (first, second):
        assert (event.object_type, event.object_id) == ("user_account", personas.provider.id)
        assert event.actor_id == personas.provider.id
    assert first.data == {"reminder_monthly_report": [True, False]}
    assert second.data == {"reminder_deadline": [True, False], "reminder_monthly_report": [False, True]}
    assert labels.action_label(first.action) == "Změna nastavení připomínek"
    assert labels.details(second) == [
        (f"připomínka „{ReminderKind.DEADLINE.label}“", "ano → ne"),
        (f"připomínka „{ReminderKind.MONTHLY_REPORT.label}“", "ne → ano"),
    ]
    log = login(personas.admin).get("/audit/?action=user.reminders_changed").get_data(as_text=True)
    assert "Změna nastavení připomínek" in log and ReminderKind.MONTHLY_REPORT.label in log


# --- the command and the schedule ------------------------------------------------------------------------
def test_the_command_sends_once_and_says_how_many_per_kind(run_cli, open_demand, personas):
    with clock.frozen_at(at(2026, 12, 8)):
        first = run_cli("reminders", "send")
        second = run_cli("reminders", "send")
    assert first.exit_code == 0, first.output
    assert f"{ReminderKind.EVALUATION.label} / evaluation: 1" in first.output
    assert "reminders sent: 1" in first.output
    assert second.exit_code == 0 and "reminders sent: 0" in second.output
    db.session.expire_all()
    assert len(reminded(personas.ospod)) == 1


def test_the_daily_run_is_enqueued_once_for_all_hosts_from_seven(app, monkeypatch):
    from tests.test_sessions import redis_url

    url = redis_url()
    if url is None:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    from redis import Redis
    from rq import Queue

    enqueued: list[str] = []
    monkeypatch.setattr(Queue, "enqueue", lambda _queue, name, *a, **k: enqueued.append(name))
    monkeypatch.setattr(service, "SEND_LOCK", f"minitendr:test:reminders:{uuid.uuid4().hex}:")
    monkeypatch.setattr(service, "_handed_over_on", {})
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    try:
        with clock.frozen_at(at(2026, 12, 8, 6)):
            service.schedule_daily(app)
        assert enqueued == []  # before 07:00
        with clock.frozen_at(at(2026, 12, 8, 8)):
            app.test_client().get("/login")  # any request of the day hands it over
            service.schedule_daily(app)
            service._handed_over_on.clear()  # another host: the day's key in Redis stops it
            service.schedule_daily(app)
        assert enqueued == ["minitendr.reminders.service.send_in_worker"]
        with clock.frozen_at(at(2026, 12, 9, 8)):
            service.schedule_daily(app)
        assert len(enqueued) == 2
    finally:
        redis = Redis.from_url(url)
        for day in ("2026-12-08", "2026-12-09"):
            redis.delete(f"{service.SEND_LOCK}{day}")
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "inline")
    with clock.frozen_at(at(2026, 12, 10, 8)):
        service.schedule_daily(app)
    assert len(enqueued) == 2  # without RQ, cron runs `minitendr reminders send`


def test_without_redis_answering_the_host_sends_them_itself(app, monkeypatch):
    ran: list[object] = []
    monkeypatch.setattr(service, "_run_logged", lambda app_: ran.append(app_))
    monkeypatch.setattr(service, "_handed_over_on", {})
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    with clock.frozen_at(at(2026, 12, 8, 8)):
        service.schedule_daily(app)
        service.schedule_daily(app)
    import time

    for _ in range(50):
        if ran:
            break
        time.sleep(0.05)
    assert len(ran) == 1


# --- two runs at once -------------------------------------------------------------------------------------
def test_two_runs_at_once_send_each_reminder_once(race_app, monkeypatch):  # noqa: F811  (the fixture)
    """Two hosts run ``reminders send`` at the same moment, each in its own committed transaction: both
    find the same reminder; the database's unique key lets one claim it (on PostgreSQL the second insert
    waits for the first to commit, then finds the row), so it is told once."""
    from minitendr.registry.models import Kraj, Orp

    with race_app.app_context():
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
        orp = db.session.execute(sa.select(Orp).where(Orp.code == "5309")).scalar_one()
        ospod = UserFactory(email="ospod.reminders@test.cz", role=Role.OSPOD, orp=orp)
        with clock.frozen_at(clock.now() - dt.timedelta(days=20)):
            make_framework(kraj, providers=[ProviderFactory()], number="RS-RACE-REMINDERS")
            make_demand(ospod, publish=True)
        db.session.commit()
        ospod_id = ospod.id
    slowed(monkeypatch, service, "due_reminders")

    def run():
        return service.send_reminders()[ReminderKind.EVALUATION]

    with clock.frozen_at(clock.now()):
        results = run_together(race_app, run, run)
    assert sorted(results) == [0, 1], results
    with race_app.app_context():
        titles = db.session.scalars(sa.select(Notification.title).where(Notification.user_id == ospod_id)).all()
        assert len([title for title in titles if title.startswith(SUBJECT)]) == 1
        assert db.session.scalar(sa.select(sa.func.count(ReminderSent.id))) == 1
