"""Demands: filing, publication with invitations, the deadline and the clock, cancellation,
clarifications, lists per role, and the data-protection rule."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import Role, User
from minitendr.db import DomainError, db
from minitendr.demands import service
from minitendr.demands.models import Clarification, Demand, DemandStatus, Invitation
from minitendr.frameworks import service as frameworks
from minitendr.frameworks.models import FrameworkContract
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.privacy import find_birth_number
from minitendr.providers.models import Provider
from minitendr.registry.models import ServiceType
from tests.conftest import MONDAY
from tests.factories import (
    ProviderFactory,
    UserFactory,
    demand_form,
    demand_values,
    make_demand,
    make_framework,
    message_at,
)

pytestmark = pytest.mark.usefixtures("monday")


@dataclass
class World:
    """Pardubický kraj's SAS framework: the persona provider and ``second`` active, ``suspended``
    suspended; plus an inactive account at the persona provider, who must not be told anything."""

    framework: FrameworkContract
    second: Provider
    second_user: User
    suspended: Provider


@pytest.fixture
def world(personas, kraj_pak) -> World:
    second, suspended = ProviderFactory(name="Druhý poskytovatel"), ProviderFactory(name="Pozastavený")
    second_user = UserFactory(email="druhy@test.cz", role=Role.PROVIDER, provider=second)
    UserFactory(email="pozastaveny@test.cz", role=Role.PROVIDER, provider=suspended)
    UserFactory(email="byvaly@test.cz", role=Role.PROVIDER, provider=personas.provider.provider, active=False)
    framework = make_framework(kraj_pak, providers=[personas.provider.provider, second, suspended])
    frameworks.suspend_party(framework.parties[2], "neplnění povinností")
    db.session.flush()
    return World(framework=framework, second=second, second_user=second_user, suspended=suspended)


def audit(demand) -> list[str]:
    stmt = sa.select(AuditEvent.action).where(AuditEvent.object_type == "demand", AuditEvent.object_id == demand.id)
    return list(db.session.scalars(stmt.order_by(AuditEvent.id)))


# --- deadlines -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("published", "days", "expected"),
    [
        # Monday + 10 working days → Monday two weeks later, 12:00 CET = 11:00 UTC.
        (dt.datetime(2026, 11, 23, 9, tzinfo=clock.PRAGUE), 10, dt.datetime(2026, 12, 7, 11, tzinfo=dt.UTC)),
        # Over Christmas: 23. 12. counts, 24.–26. 12. are holidays, 27. 12. a Sunday.
        (dt.datetime(2026, 12, 22, 9, tzinfo=clock.PRAGUE), 3, dt.datetime(2026, 12, 29, 11, tzinfo=dt.UTC)),
        # Over Easter 2027: Velký pátek 26. 3. and Velikonoční pondělí 29. 3.; summer time from 28. 3.
        (dt.datetime(2027, 3, 25, 9, tzinfo=clock.PRAGUE), 2, dt.datetime(2027, 3, 31, 10, tzinfo=dt.UTC)),
        # Friday evening + 1 working day → Monday noon.
        (dt.datetime(2026, 11, 27, 20, tzinfo=clock.PRAGUE), 1, dt.datetime(2026, 11, 30, 11, tzinfo=dt.UTC)),
    ],
)
def test_default_deadline_counts_czech_working_days_to_noon_in_prague(published, days, expected):
    assert service.default_deadline(days, published) == expected


@pytest.mark.parametrize(
    ("moment", "earliest"),
    [
        (dt.datetime(2026, 11, 23, 9, tzinfo=clock.PRAGUE), dt.datetime(2026, 11, 25, 0, tzinfo=clock.PRAGUE)),
        (dt.datetime(2026, 11, 27, 9, tzinfo=clock.PRAGUE), dt.datetime(2026, 12, 1, 0, tzinfo=clock.PRAGUE)),
        (dt.datetime(2026, 12, 23, 9, tzinfo=clock.PRAGUE), dt.datetime(2026, 12, 29, 0, tzinfo=clock.PRAGUE)),
    ],
    ids=["Monday → after Tuesday", "Friday → after Monday", "before Christmas → after 28. 12."],
)
def test_a_deadline_leaves_at_least_one_full_working_day(moment, earliest):
    assert service.earliest_deadline(moment) == earliest


# --- publication ---------------------------------------------------------------------------------
def test_publishing_invites_exactly_the_active_parties_and_tells_their_active_users(personas, world):
    demand = make_demand(personas.ospod)
    invitations = service.publish(demand)
    assert {i.provider_id for i in invitations} == {personas.provider.provider_id, world.second.id}
    assert demand.status is DemandStatus.PUBLISHED and demand.framework is world.framework
    assert demand.deadline == dt.datetime(2026, 12, 7, 11, tzinfo=dt.UTC)  # 10 working days, 12:00 Prague
    told = set(db.session.scalars(sa.select(Notification.user_id)))
    assert told == {personas.provider.id, world.second_user.id}
    mailed = set(db.session.scalars(sa.select(OutboxEmail.recipient)))
    assert mailed == {"poskytovatel@test.cz", "druhy@test.cz"}
    assert audit(demand) == ["demand.created", "demand.published"]


def test_a_demand_is_numbered_per_kraj_and_year(personas, world):
    first, second = make_demand(personas.ospod), make_demand(personas.ospod)
    assert (first.number, second.number) == ("PAK-2026-0001", "PAK-2026-0002")
    cheb = make_demand(personas.ospod_other)
    assert cheb.number == "KVK-2026-0001"


def test_a_second_publication_is_refused(personas, world):
    demand = make_demand(personas.ospod, publish=True)
    with pytest.raises(DomainError, match="už byla zveřejněna"):
        service.publish(demand)
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 2


def test_publishing_without_a_framework_in_force_is_refused(personas, world):
    demand = make_demand(personas.ospod, "ZDVOP")  # pobytové: the kraj has no such framework
    with pytest.raises(DomainError, match="nemá k dnešnímu dni platnou rámcovou smlouvu"):
        service.publish(demand)
    assert demand.status is DemandStatus.DRAFT


def test_publishing_under_a_framework_without_active_parties_is_refused(personas, world):
    for party in world.framework.active_parties:
        frameworks.suspend_party(party, "kontrola")
    demand = make_demand(personas.ospod)
    with pytest.raises(DomainError, match="nemá žádnou aktivní smluvní stranu"):
        service.publish(demand)


def test_a_terminated_or_expired_framework_is_not_used(personas, world):
    demand = make_demand(personas.ospod)
    frameworks.terminate_framework(world.framework, "výpověď")
    with pytest.raises(DomainError, match="nemá k dnešnímu dni platnou"):
        service.publish(demand)


def test_the_deadline_chosen_in_the_draft_is_used(personas, world):
    chosen = dt.datetime(2026, 12, 3, 10, 0, tzinfo=clock.PRAGUE).astimezone(dt.UTC)
    demand = make_demand(personas.ospod, deadline=chosen, publish=True)
    assert demand.deadline == chosen


@pytest.mark.parametrize(
    "deadline",
    [
        dt.datetime(2026, 11, 20, 12, tzinfo=clock.PRAGUE),  # in the past
        dt.datetime(2026, 11, 24, 16, tzinfo=clock.PRAGUE),  # tomorrow: less than a full working day
    ],
)
def test_a_deadline_too_soon_is_refused(personas, world, deadline):
    with pytest.raises(DomainError) as refused:
        make_demand(personas.ospod, deadline=deadline.astimezone(dt.UTC))
    assert refused.value.field == "deadline"


def test_a_draft_whose_deadline_has_become_too_soon_cannot_be_published(personas, world):
    demand = make_demand(personas.ospod, deadline=dt.datetime(2026, 11, 26, 12, tzinfo=clock.PRAGUE))
    with (
        clock.frozen_at(dt.datetime(2026, 11, 25, 9, tzinfo=clock.PRAGUE)),
        pytest.raises(DomainError, match="celý pracovní den"),
    ):
        service.publish(demand)


# --- the clock decides ---------------------------------------------------------------------------
def test_the_deadline_passing_moves_the_demand_to_evaluation(personas, world):
    demand = make_demand(personas.ospod, publish=True)
    assert demand.state is DemandStatus.PUBLISHED and demand.is_open
    just_after = demand.deadline + dt.timedelta(seconds=1)
    with clock.frozen_at(just_after):
        assert demand.state is DemandStatus.EVALUATION and not demand.is_open
        in_evaluation = db.session.scalars(sa.select(Demand.id).where(Demand.state == "evaluation")).all()
        assert in_evaluation == [demand.id]
        with pytest.raises(DomainError, match="do konce lhůty"):
            service.ask(demand, personas.provider.provider, "Ještě dotaz?")
        with pytest.raises(DomainError, match="Zrušit lze jen"):
            service.cancel(demand, "pozdě")
    assert demand.status is DemandStatus.PUBLISHED  # nothing was written: the state is derived


def test_demand_page_shows_evaluation_after_the_deadline(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    with clock.frozen_at(demand.deadline + dt.timedelta(minutes=1)):
        page = login(personas.ospod).get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "hodnocení nabídek" in page and "Lhůta pro nabídky skončila" in page


# --- cancellation --------------------------------------------------------------------------------
def test_cancelling_a_published_demand_tells_the_invited_providers(personas, world):
    demand = make_demand(personas.ospod, publish=True)
    before = db.session.scalar(sa.select(sa.func.count(Notification.id)))
    with pytest.raises(DomainError, match="Uveďte důvod"):
        service.cancel(demand, " ")
    service.cancel(demand, "Rodina se odstěhovala.")
    assert demand.state is DemandStatus.CANCELLED
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == before + 2
    assert audit(demand)[-1] == "demand.cancelled"
    with pytest.raises(DomainError, match="Zrušit lze jen"):
        service.cancel(demand, "znovu")


def test_cancelling_a_draft_tells_nobody(personas, world):
    demand = make_demand(personas.ospod)
    service.cancel(demand, "Omylem založeno.")
    assert demand.state is DemandStatus.CANCELLED
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_a_birth_number_in_the_cancel_reason_is_refused(personas, world):
    demand = make_demand(personas.ospod, publish=True)
    with pytest.raises(DomainError, match="rodného čísla"):
        service.cancel(demand, "Dítě 150315/1243 bylo umístěno jinam.")


# --- editing -------------------------------------------------------------------------------------
def test_a_published_demand_cannot_be_edited_or_deleted(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    with pytest.raises(DomainError, match="nelze upravovat"):
        service.update_demand(demand, category=demand.category, service_type=demand.service_type, **demand_values())
    with pytest.raises(DomainError, match="nelze upravovat"):
        service.delete_draft(demand)
    db.session.commit()
    response = login(personas.ospod).get(f"/demands/{demand.id}/edit", follow_redirects=True)
    assert "nelze upravovat" in response.get_data(as_text=True)


def test_a_draft_can_be_edited_and_deleted(login, personas, world):
    demand = make_demand(personas.ospod)
    service.update_demand(
        demand, category=demand.category, service_type=demand.service_type, **demand_values(place="Holice")
    )
    assert demand.place == "Holice"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "demand.updated")).one()
    assert event.data == {"fields": ["place"]}  # what changed, never the text of the case
    db.session.commit()
    assert login(personas.ospod).post(f"/demands/{demand.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Demand.id))) == 0


# --- the form and its bad input ------------------------------------------------------------------
def test_ospod_files_a_demand_through_the_form(login, personas, world):
    response = login(personas.ospod).post("/demands/new", data=demand_form(deadline="2026-12-04T10:00"))
    assert response.status_code == 302
    demand = db.session.execute(sa.select(Demand)).scalar_one()
    assert demand.orp_id == personas.ospod.orp_id and demand.status is DemandStatus.DRAFT
    assert demand.needs == ["vztahy", "bezpeci"] and demand.estimated_max_value == Decimal("20000.00")
    assert demand.deadline == dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)  # typed in Prague time


BAD = [
    ({"service_type_id": "OTHER"}, "nepatří do kategorie"),
    ({"needs": []}, "Vyberte alespoň jednu oblast potřeb."),
    ({"needs": ["vztahy", "penize"]}, "Neplatná volba"),
    ({"end_date": "2026-12-01"}, "Konec poskytování nesmí předcházet jeho začátku."),
    ({"start_date": "2026-11-20", "end_date": "2026-12-20"}, "Začátek poskytování nesmí být v minulosti."),
    ({"volume": "0"}, "Číslo musí být v rozmezí"),
    ({"volume": "-5"}, "Číslo musí být v rozmezí"),
    ({"volume": "čtyřicet"}, "Zadejte číslo, například 1 234,50."),
    ({"estimated_max_value": "-1"}, "Číslo musí být v rozmezí"),
    ({"deadline": "2026-11-20T12:00"}, "Lhůta pro nabídky nesmí být v minulosti."),
    ({"deadline": "2026-11-24T15:00"}, "alespoň jeden celý pracovní den"),
    ({"deadline": "zítra"}, "Zadejte platné datum a čas."),
    ({"case_reference": "Novák 150315/1243"}, "rodného čísla"),
    ({"need_description": "Chlapec, r. č. 1503151243, agresivní projevy."}, "rodného čísla"),
    ({"expected_outcome": "Dívka 0655121236 se vrátí do školy."}, "rodného čísla"),
    ({"place": "u 150315 / 123"}, "rodného čísla"),
    ({"contact_name": "X 860101/0011"}, "rodného čísla"),
    ({"need_description": "x" * 4001}, "Pole může mít nejvýše 4000 znaků."),
    ({"case_reference": ""}, "Toto pole je povinné."),
    ({"contact_email": "nekdo"}, "Zadejte platnou e-mailovou adresu."),
    # Dates off the calendar's edge (they answered 500: OverflowError converting to UTC or shifting).
    ({"deadline": "0001-01-01T00:00"}, "Zadejte datum mezi lety 2000 a 2100."),
    ({"deadline": "9999-12-31T23:59"}, "Zadejte datum mezi lety 2000 a 2100."),
    ({"start_date": "9999-12-30", "end_date": "9999-12-31"}, "Zadejte datum mezi lety 2000 a 2100."),
    ({"end_date": "9999-12-31"}, "Zadejte datum mezi lety 2000 a 2100."),
]


@pytest.mark.parametrize(("overrides", "message"), BAD, ids=[m[:32] for _, m in BAD])
def test_bad_demand_input_gets_a_czech_message_and_stores_nothing(login, personas, world, overrides, message):
    if overrides.get("service_type_id") == "OTHER":
        overrides = {
            "service_type_id": db.session.execute(
                sa.select(ServiceType.id).where(ServiceType.code == "ZDVOP")
            ).scalar_one()
        }
    response = login(personas.ospod).post("/demands/new", data=demand_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True).replace("\xa0", " ")
    assert db.session.scalar(sa.select(sa.func.count(Demand.id))) == 0


def test_the_form_says_what_may_not_be_written(login, personas):
    page = login(personas.ospod).get("/demands/new").get_data(as_text=True)
    assert "Nepište jména dětí" in page and "rodná čísla" in page


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("r.č. 150315/1243", "150315/1243"),
        ("1503151243", "1503151243"),
        ("ženské 535123/456", "535123/456"),  # month + 50, three-digit suffix (before 1954)
        ("po roce 2004: 042215/1235", "042215/1235"),  # month + 20
        ("150315 / 1243", "150315 / 1243"),
        ("tel. 466 000 101", None),
        ("spis OSPOD-PA-2026/117", None),
        ("123456/7890", None),  # month 34 is no month
        ("PSČ 530 02, č. p. 1234", None),
    ],
)
def test_birth_numbers_are_recognised_by_their_shape(text, found):
    assert find_birth_number(text) == found


# --- clarifications ------------------------------------------------------------------------------
def test_a_question_is_answered_for_everyone_without_saying_who_asked(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    asker = login(personas.provider)
    assert (
        asker.post(f"/demands/{demand.id}/questions", data={"question": "Je možné začít později?"}).status_code == 302
    )
    ospod_told = db.session.scalars(sa.select(Notification).where(Notification.user_id == personas.ospod.id)).one()
    assert "Dotaz k minitendru" in ospod_told.title
    clarification = demand.clarifications[0] if demand.clarifications else None
    db.session.expire_all()
    clarification = db.session.get(Demand, demand.id).clarifications[0]
    new_deadline = "2026-12-10T12:00"
    ospod = login(personas.ospod)
    response = ospod.post(
        f"/demands/{demand.id}/questions/{clarification.id}/answer",
        data={"answer": "Ano, nejpozději o dva týdny.", "new_deadline": new_deadline},
    )
    assert response.status_code == 302
    db.session.expire_all()
    demand = db.session.get(Demand, demand.id)
    assert demand.deadline == dt.datetime(2026, 12, 10, 11, 0, tzinfo=dt.UTC)
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.title.like("Odpověď%"))))
    assert told == {personas.provider.id, world.second_user.id}
    other_page = login(world.second_user).get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "Je možné začít později?" in other_page and "Ano, nejpozději o dva týdny." in other_page
    assert "váš dotaz" not in other_page and personas.provider.provider.name not in other_page
    assert "váš dotaz" in login(personas.provider).get(f"/demands/{demand.id}").get_data(as_text=True)


def test_the_deadline_can_only_be_extended(personas, world):
    demand = make_demand(personas.ospod, publish=True)
    clarification = service.ask(demand, personas.provider.provider, "Dotaz")
    with pytest.raises(DomainError, match="jen prodloužit"):
        service.answer(clarification, "Odpověď", demand.deadline - dt.timedelta(hours=1))
    service.answer(clarification, "Odpověď")
    with pytest.raises(DomainError, match="už bylo odpovězeno"):
        service.answer(clarification, "Znovu")


def test_only_invited_providers_ask(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    with pytest.raises(DomainError, match="jen pozvaní"):
        service.ask(demand, world.suspended, "Můžu se také ucházet?")
    db.session.commit()
    assert login(personas.interloper).post(f"/demands/{demand.id}/questions", data={"question": "?"}).status_code == 403


def test_a_question_with_a_birth_number_is_refused(personas, world):
    demand = make_demand(personas.ospod, publish=True)
    with pytest.raises(DomainError, match="rodného čísla"):
        service.ask(demand, personas.provider.provider, "Jde o dítě 150315/1243?")


def test_another_ospod_cannot_answer(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    clarification = service.ask(demand, personas.provider.provider, "Dotaz")
    db.session.commit()
    response = login(personas.ospod_other).post(
        f"/demands/{demand.id}/questions/{clarification.id}/answer", data={"answer": "Ne"}
    )
    assert response.status_code == 403


# --- lists ---------------------------------------------------------------------------------------
def test_lists_per_role(login, personas, world, kraj_kvk):
    draft = make_demand(personas.ospod, case_reference="DRAFT-1")
    open_later = make_demand(personas.ospod, deadline=dt.datetime(2026, 12, 18, 12, tzinfo=clock.PRAGUE), publish=True)
    open_soon = make_demand(personas.ospod, deadline=dt.datetime(2026, 11, 30, 12, tzinfo=clock.PRAGUE), publish=True)
    past = make_demand(personas.ospod, deadline=dt.datetime(2026, 11, 26, 12, tzinfo=clock.PRAGUE), publish=True)
    make_framework(kraj_kvk, providers=[ProviderFactory()])
    cheb = make_demand(personas.ospod_other, publish=True)
    db.session.commit()

    def numbers(persona, query=""):
        with clock.frozen_at(dt.datetime(2026, 11, 27, 9, tzinfo=clock.PRAGUE)):
            page = login(personas[persona]).get(f"/demands/{query}").get_data(as_text=True)
        return re.findall(r">([A-Z]{3}-2026-\d{4})<", page)

    assert set(numbers("ospod")) == {draft.number, open_later.number, open_soon.number, past.number}
    assert set(numbers("kraj")) == {open_later.number, open_soon.number, past.number}  # no drafts
    assert set(numbers("ministry")) == {open_later.number, open_soon.number, past.number, cheb.number}
    assert numbers("ospod_other") == [cheb.number]
    assert numbers("provider") == [open_soon.number, open_later.number, past.number]  # open first, nearest on top
    assert numbers("interloper") == []
    assert numbers("ospod", "?status=evaluation") == [past.number]
    assert numbers("ospod", "?status=draft") == [draft.number]


def test_provider_sees_time_left(login, personas, world):
    make_demand(personas.ospod, publish=True)
    db.session.commit()
    page = login(personas.provider).get("/demands/").get_data(as_text=True)
    assert "zbývá 14 dní" in page  # 23. 11. 9:00 → 7. 12. 12:00


# --- notifications and the outbox -----------------------------------------------------------------
def test_notifications_show_unread_count_and_are_read_when_followed(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    client = login(personas.provider)
    assert '1<span class="visually-hidden"> nepřečtených' in client.get("/").get_data(as_text=True)
    notification = db.session.scalars(sa.select(Notification).where(Notification.user_id == personas.provider.id)).one()
    response = client.get(f"/notifications/{notification.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/demands/{demand.id}"
    assert "nepřečtených" not in client.get("/").get_data(as_text=True)
    assert login(personas.interloper).get(f"/notifications/{notification.id}").status_code == 403


def test_admin_reads_the_outbox(login, personas, world):
    make_demand(personas.ospod, publish=True)
    db.session.commit()
    page = login(personas.admin).get("/admin/outbox/").get_data(as_text=True)
    assert "poskytovatel@test.cz" in page and "Pozvánka do minitendru PAK-2026-0001" in page and "ve frontě" in page


class FakeSMTP:
    sent: list = []
    fail_for: set = set()

    def __init__(self, host, port, timeout):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        import smtplib

        if message["To"] in self.fail_for:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such user")})
        self.sent.append(message)


def test_outbox_is_sent_by_smtp_and_failures_are_kept(app, personas, world, monkeypatch):
    from minitendr.notifications import service as notifications

    make_demand(personas.ospod, publish=True)
    FakeSMTP.sent, FakeSMTP.fail_for = [], {"druhy@test.cz"}
    monkeypatch.setattr(notifications.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test")
    sent, failed = notifications.deliver_outbox()
    assert (sent, failed) == (1, 1)
    assert [m["To"] for m in FakeSMTP.sent] == ["poskytovatel@test.cz"]
    assert "Pozvánka do minitendru" in FakeSMTP.sent[0]["Subject"]
    pending = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))).one()
    assert pending.recipient == "druhy@test.cz" and "550" in pending.last_error and pending.attempts == 1


def test_emails_leave_after_the_response_when_smtp_is_configured(app, login, personas, world, monkeypatch):
    from minitendr.notifications import service as notifications

    demand = make_demand(personas.ospod)
    db.session.commit()
    FakeSMTP.sent, FakeSMTP.fail_for = [], set()
    monkeypatch.setattr(notifications.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test")
    response = login(personas.ospod).post(f"/demands/{demand.id}/publish")
    assert response.status_code == 302
    response.close()  # the server closes the response once it is sent; delivery runs then
    assert sorted(m["To"] for m in FakeSMTP.sent) == ["druhy@test.cz", "poskytovatel@test.cz"]
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxEmail.sent_at.is_(None))) == 0


def test_outbox_send_needs_smtp(run_cli):
    result = run_cli("outbox", "send")
    assert result.exit_code != 0 and "SMTP není nastaveno" in result.output


def test_publishing_through_the_page_stores_the_invitations(login, personas, world):
    """In a request's own session (as in production) the invitations must be stored, not only created."""
    demand = make_demand(personas.ospod)
    db.session.commit()
    assert login(personas.ospod).post(f"/demands/{demand.id}/publish").status_code == 302
    invited = db.session.scalars(sa.select(Invitation.provider_id).where(Invitation.demand_id == demand.id)).all()
    assert sorted(invited) == sorted([personas.provider.provider_id, world.second.id])


# --- a party that is no longer active ------------------------------------------------------------
@pytest.mark.parametrize("change", ["suspend", "withdraw"])
def test_a_suspended_or_withdrawn_party_neither_sees_an_open_minitender_nor_its_bid_form(
    login, world, personas, change
):
    from minitendr.bids import service as bids
    from tests.factories import make_bid

    provider = personas.provider.provider
    with clock.frozen_at(MONDAY - dt.timedelta(days=30)):
        earlier = make_demand(personas.ospod, publish=True, estimated_max_value=None)
        make_bid(earlier, provider)
        untouched = make_demand(personas.ospod, publish=True)  # invited, never bid
    open_now = make_demand(personas.ospod, publish=True)
    own_bid = make_bid(open_now, provider)
    party = next(p for p in world.framework.parties if p.provider_id == provider.id)
    getattr(frameworks, f"{change}_party")(party, "Neplní podmínky rámcové smlouvy.")
    db.session.commit()

    client = login(personas.provider)
    assert client.get(f"/demands/{open_now.id}").status_code == 403
    assert client.get(f"/demands/{open_now.id}/bid").status_code == 403
    assert client.post(f"/demands/{open_now.id}/questions", data={"question": "Platí to?"}).status_code == 403
    listing = client.get("/demands/").get_data(as_text=True)
    assert open_now.number not in listing and untouched.number not in listing
    # What it already has stays its own: the earlier minitender it bid in, and its bids.
    assert earlier.number in listing and client.get(f"/demands/{earlier.id}").status_code == 200
    assert client.get(f"/bids/{own_bid.id}").status_code == 200
    assert client.get(f"/demands/{untouched.id}").status_code == 403
    # The other, still active party sees and may bid as before.
    other = login(world.second_user)
    assert other.get(f"/demands/{open_now.id}").status_code == 200
    assert other.get(f"/demands/{open_now.id}/bid").status_code == 200
    assert bids.live_bid(open_now, provider.id) is not None  # nothing of its own was taken away


def test_reinstated_party_sees_the_open_minitender_again(login, world, personas):
    provider = personas.provider.provider
    open_now = make_demand(personas.ospod, publish=True)
    party = next(p for p in world.framework.parties if p.provider_id == provider.id)
    frameworks.suspend_party(party, "Prověřujeme stížnost.")
    db.session.commit()
    assert login(personas.provider).get(f"/demands/{open_now.id}").status_code == 403
    frameworks.reinstate_party(party)
    db.session.commit()
    page = login(personas.provider).get(f"/demands/{open_now.id}")
    assert page.status_code == 200 and f"/demands/{open_now.id}/bid" in page.get_data(as_text=True)


def test_the_service_refuses_dates_off_the_calendar_edge_at_their_field(personas, world):
    with pytest.raises(DomainError, match="mezi lety 2000 a 2100") as refused:
        make_demand(personas.ospod, end_date=dt.date(9999, 12, 31))
    assert refused.value.field == "end_date"


def test_answering_with_a_new_deadline_in_year_one_gets_a_czech_message(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    clarification = service.ask(demand, personas.provider.provider, "Lze začít dříve?")
    db.session.commit()
    response = login(personas.ospod).post(
        f"/demands/{demand.id}/questions/{clarification.id}/answer",
        data={"answer": "Ano.", "new_deadline": "0001-01-01T00:00"},
    )
    assert response.status_code == 200
    assert message_at(response.get_data(as_text=True), f"deadline-{clarification.id}") == (
        "Zadejte datum mezi lety 2000 a 2100."
    )


# Every list pages by keyset (cursors, not page numbers): a page number is ignored, never an error.
@pytest.mark.parametrize("url", ["/demands/", "/subcontracts/", "/frameworks/", "/providers/", "/admin/users/"])
@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "x", "1" * 5000])
def test_a_page_number_is_ignored_by_every_list(login, personas, url, page):
    assert login(personas.admin).get(url, query_string={"page": page}).status_code == 200


# --- a refused form comes back on the demand's page ----------------------------------------------
def test_a_refused_cancellation_keeps_the_reason_and_says_why_at_the_field(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    typed = "Rodina (dítě 150315/1243) se odstěhovala."
    response = login(personas.ospod).post(f"/demands/{demand.id}/cancel", data={"reason": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "rodného čísla" in message_at(page, "cancel-reason")
    assert f">{typed}</textarea>" in page and '<details class="mb-4" open>' in page
    assert 'class="alert alert-danger error-summary"' in page and 'href="#cancel-reason"' in page
    assert db.session.get(Demand, demand.id).status is DemandStatus.PUBLISHED
    empty = login(personas.ospod).post(f"/demands/{demand.id}/cancel", data={"reason": ""}).get_data(as_text=True)
    assert message_at(empty, "cancel-reason") == "Toto pole je povinné."


def test_a_refused_question_keeps_its_text_at_the_field(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    typed = "Jde o dítě 150315/1243?"
    response = login(personas.provider).post(f"/demands/{demand.id}/questions", data={"question": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "rodného čísla" in message_at(page, "question")
    assert f">{typed}</textarea>" in page
    assert db.session.scalar(sa.select(sa.func.count(Clarification.id))) == 0


def test_a_refused_answer_keeps_the_text_and_shows_the_service_message_at_the_new_deadline(login, personas, world):
    demand = make_demand(personas.ospod, publish=True)
    clarification = service.ask(demand, personas.provider.provider, "Lze začít později?")
    db.session.commit()
    response = login(personas.ospod).post(
        f"/demands/{demand.id}/questions/{clarification.id}/answer",
        data={"answer": "Ano, o týden.", "new_deadline": "2026-12-01T12:00"},  # before the deadline of 7. 12.
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message_at(page, f"deadline-{clarification.id}") == "Novou lhůtu lze jen prodloužit, ne zkrátit."
    assert ">Ano, o týden.</textarea>" in page and 'value="2026-12-01T12:00"' in page
    assert message_at(page, f"answer-{clarification.id}") is None
    db.session.expire_all()
    assert db.session.get(Demand, demand.id).clarifications[0].answer is None


# --- transitions on the model --------------------------------------------------------------------
def test_the_cancel_transition_refuses_a_missing_reason_and_a_demand_in_evaluation(personas, world):
    demand = make_demand(personas.ospod, publish=True)
    assert demand.can_be_cancelled
    with pytest.raises(DomainError, match="Uveďte důvod zrušení") as refused:
        demand.cancel("  ")
    assert refused.value.field == "reason" and demand.status is DemandStatus.PUBLISHED
    with clock.frozen_at(demand.deadline + dt.timedelta(minutes=1)):
        assert not demand.can_be_cancelled
        with pytest.raises(DomainError, match="Zrušit lze jen koncept nebo zveřejněnou"):
            demand.cancel("Pozdě.")
    demand.cancel("  Rodina se odstěhovala. ")
    assert demand.cancel_reason == "Rodina se odstěhovala." and demand.can_be_reissued


def test_a_decision_before_the_deadline_or_a_second_one_is_refused(personas, world):
    demand = make_demand(personas.ospod, publish=True)
    with pytest.raises(DomainError, match="až po uplynutí lhůty"):
        demand.mark_awarded(personas.ospod)
    with clock.frozen_at(demand.deadline + dt.timedelta(minutes=1)):
        assert demand.in_evaluation and not demand.is_decided
        demand.mark_unsuccessful(personas.ospod, "Nikdo nepodal nabídku.")
        with pytest.raises(DomainError, match="už bylo rozhodnuto"):
            demand.mark_awarded(personas.ospod)
    assert demand.is_unsuccessful and demand.can_be_reissued
