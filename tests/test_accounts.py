"""Accounts people manage themselves: a password reset by e-mail link, admin's edit of a user, and a
provider's account manager keeping its colleagues' accounts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import PasswordResetToken, Role, User
from minitendr.db import db
from minitendr.notifications.models import Notification, OutboxEmail
from tests.factories import TEST_PASSWORD, UserFactory

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
NEW_PASSWORD = "Modrý vlak do Chebu 7"
BASE_URL = "https://minitendr.example.cz"


def at(**delta):
    return clock.frozen_at(T0 + dt.timedelta(**delta))


@pytest.fixture(autouse=True)
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)


def outbox(recipient: str | None = None) -> list[OutboxEmail]:
    stmt = sa.select(OutboxEmail).order_by(OutboxEmail.id)
    if recipient:
        stmt = stmt.where(OutboxEmail.recipient == recipient)
    return list(db.session.scalars(stmt))


def ask_for_link(client, email: str):
    return client.post("/password/forgot", data={"email": email})


def link_in(message: OutboxEmail) -> str:
    match = re.search(r"https://\S+/password/reset/\S+", message.body)
    assert match, message.body
    return match.group(0)


def path_of(link: str) -> str:
    return link.removeprefix(BASE_URL)


def set_new_password(client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(path_of(link), data={"new_password": password, "confirm": confirm or password})


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def log_in_by_form(client, email: str, password: str = TEST_PASSWORD) -> int:
    return client.post("/login", data={"email": email, "password": password}).status_code


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# --- a forgotten password ----------------------------------------------------------------------------
def test_a_reset_link_arrives_absolute_through_the_outbox_and_sets_a_new_password(app, client, personas):
    elsewhere = app.test_client()
    assert log_in_by_form(elsewhere, "kraj.pak@test.cz") == 302
    with at(minutes=0):
        response = ask_for_link(client, " Kraj.Pak@test.cz ")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    [message] = outbox("kraj.pak@test.cz")
    link = link_in(message)
    assert link.startswith(f"{BASE_URL}/password/reset/")
    # No in-app copy of the link, and the database keeps only its hash.
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalars(sa.select(PasswordResetToken)).one()
    assert stored.token_hash != token and token not in stored.token_hash
    with at(minutes=10):
        page = client.get(path_of(link)).get_data(as_text=True)
        assert "Nové heslo znovu" in page
        response = set_new_password(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not logged_in(elsewhere)  # every session of the account has ended
    assert log_in_by_form(app.test_client(), "kraj.pak@test.cz") == 200  # the old password is gone
    assert log_in_by_form(app.test_client(), "kraj.pak@test.cz", NEW_PASSWORD) == 302
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.password_reset")).one()
    assert event.object_id == personas.kraj.id and event.actor_id == personas.kraj.id


def test_a_reset_link_works_only_once(app, client, personas):
    with at(minutes=0):
        ask_for_link(client, "kraj.pak@test.cz")
        link = link_in(outbox()[0])
        assert set_new_password(client, link).status_code == 302
        again = set_new_password(client, link, "Jiné dlouhé heslo 42")
    assert again.status_code == 200 and "neplatný, už byl použit, nebo vypršel" in again.get_data(as_text=True)
    assert log_in_by_form(app.test_client(), "kraj.pak@test.cz", NEW_PASSWORD) == 302


@pytest.mark.parametrize(("minutes", "works"), [(59, True), (60, False), (61, False)])
def test_a_reset_link_is_good_for_one_hour(app, client, personas, minutes, works):
    with at(minutes=0):
        ask_for_link(client, "kraj.pak@test.cz")
    link = link_in(outbox()[0])
    with at(minutes=minutes):
        shown = client.get(path_of(link)).get_data(as_text=True)
        assert ("Nové heslo znovu" in shown) is works
        response = set_new_password(client, link)
    assert (response.status_code == 302) is works
    db.session.refresh(personas.kraj)
    assert personas.kraj.check_password(NEW_PASSWORD) is works


def test_a_newer_request_makes_the_older_link_useless(client, personas):
    with at(minutes=0):
        ask_for_link(client, "kraj.pak@test.cz")
    with at(minutes=5):
        ask_for_link(client, "kraj.pak@test.cz")
    first, second = (link_in(m) for m in outbox("kraj.pak@test.cz"))
    assert first != second
    with at(minutes=6):
        assert set_new_password(client, first).status_code == 200
        assert set_new_password(client, second).status_code == 302


def test_an_account_deactivated_after_the_request_cannot_use_its_link(client, personas):
    with at(minutes=0):
        ask_for_link(client, "kraj.pak@test.cz")
    personas.kraj.active = False
    db.session.commit()
    with at(minutes=1):
        assert set_new_password(client, link_in(outbox()[0])).status_code == 200
    db.session.refresh(personas.kraj)
    assert personas.kraj.check_password(TEST_PASSWORD)


@pytest.mark.parametrize("email", ["nikdo@test.cz", "neaktivni@test.cz"], ids=["unknown", "inactive"])
def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(app, personas, email):
    def answer(address: str) -> tuple[int, str, str]:
        client = app.test_client()
        with at(minutes=0):
            response = ask_for_link(client, address)
            page = client.get(response.headers["Location"]).get_data(as_text=True)
        flash = re.search(r"Pokud je adresa .*?nevyžádané pošty\.", page)
        assert flash, page
        return response.status_code, response.headers["Location"], flash.group(0).replace(address, "ADRESA")

    assert answer(email) == answer("mpsv@test.cz")
    assert outbox(email) == [] and len(outbox("mpsv@test.cz")) == 1
    assert db.session.scalar(sa.select(sa.func.count(PasswordResetToken.id))) == 1


@pytest.mark.parametrize("email", ["kraj.pak@test.cz", "nikdo@test.cz"], ids=["known", "unknown"])
def test_reset_requests_are_throttled_alike_for_known_and_unknown_addresses(client, personas, email):
    with at(minutes=0):
        statuses = [ask_for_link(client, email).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    with at(minutes=0):
        refused = ask_for_link(client, email)
    assert refused.status_code == 429 and "Příliš mnoho žádostí" in refused.get_data(as_text=True)
    assert len(outbox(email)) == (3 if email == "kraj.pak@test.cz" else 0)
    with at(minutes=20):  # the wait is over
        assert ask_for_link(client, email).status_code == 302


def test_a_weak_new_password_is_refused_at_its_field_and_the_link_stays_good(client, personas):
    with at(minutes=0):
        ask_for_link(client, "kraj.pak@test.cz")
        link = link_in(outbox()[0])
        weak = set_new_password(client, link, "kratke")
        assert weak.status_code == 200 and "Heslo musí mít alespoň 10 znaků." in weak.get_data(as_text=True)
        mismatch = set_new_password(client, link, NEW_PASSWORD, "něco jiného")
        assert "Hesla se neshodují." in mismatch.get_data(as_text=True)
        assert set_new_password(client, link).status_code == 302


def test_the_reset_link_ignores_a_forged_host_header(app, personas):
    client = app.test_client()
    with at(minutes=0):
        client.post("/password/forgot", data={"email": "kraj.pak@test.cz"}, headers={"Host": "evil.example.com"})
    assert "evil.example.com" not in outbox()[0].body


def test_admin_reads_the_reset_email_in_the_outbox_without_its_token_while_the_sent_one_has_it(
    app, login, personas, monkeypatch
):
    from minitendr.notifications import service as notifications
    from tests.test_demands import FakeSMTP

    with at(minutes=0):
        ask_for_link(app.test_client(), "kraj.pak@test.cz")
    link = link_in(outbox()[0])
    token = link.rsplit("/", 1)[1]
    FakeSMTP.sent, FakeSMTP.fail_for = [], set()
    monkeypatch.setattr(notifications.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test")
    assert notifications.deliver_outbox() == (1, 0)
    db.session.commit()
    [sent] = FakeSMTP.sent
    assert link in sent.get_content()
    page = login(personas.admin).get("/admin/outbox/").get_data(as_text=True)
    assert "Nastavení nového hesla" in page and "odesláno" in page
    assert token not in page and token[:8] not in page
    assert f"{BASE_URL}/password/reset/…" in page
    with at(minutes=5):  # the link itself is still good: masking it changed nothing but the page
        assert "Nové heslo znovu" in app.test_client().get(path_of(link)).get_data(as_text=True)


def test_the_login_page_offers_the_forgotten_password_page(client, personas):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)


def test_a_password_change_is_audited(login, personas):
    client = login(personas.kraj)
    response = client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.password_changed")).one()
    assert event.object_id == personas.kraj.id and event.actor_id == personas.kraj.id


# --- admin edits a user ------------------------------------------------------------------------------
def edit_form(user: User, **overrides) -> dict:
    data = {
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "kraj": user.kraj_id or "",
        "orp": user.orp_id or "",
        "provider": user.provider_id or "",
    }
    if user.manages_colleagues:
        data["manages_colleagues"] = "y"
    return data | overrides


def test_admin_edits_a_user_and_the_audit_says_old_and_new(app, login, personas, orp_cheb):
    ospod_session = app.test_client()
    assert log_in_by_form(ospod_session, "ospod.pardubice@test.cz") == 302
    admin = login(personas.admin)
    response = admin.post(
        f"/admin/users/{personas.ospod.id}/edit",
        data=edit_form(personas.ospod, name="Jana Nová", orp=orp_cheb.id, email="jana.nova@test.cz"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(personas.ospod)
    assert personas.ospod.orp_id == orp_cheb.id and personas.ospod.email == "jana.nova@test.cz"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.updated")).one()
    assert event.actor_id == personas.admin.id and event.object_id == personas.ospod.id
    assert event.data["orp"] == ["Pardubice (5309)", "Cheb (4102)"]
    assert event.data["email"] == ["ospod.pardubice@test.cz", "jana.nova@test.cz"]
    assert event.data["name"][1] == "Jana Nová" and set(event.data) == {"orp", "email", "name"}
    assert not logged_in(ospod_session)  # what the account may see changed: it logs in anew
    page = admin.get(f"/admin/users/{personas.ospod.id}/edit").get_data(as_text=True)
    assert "Pardubice (5309) → Cheb (4102)" in page and "Změna údajů účtu" in page


def test_a_role_change_is_audited_by_its_czech_labels(login, personas, kraj_kvk):
    admin = login(personas.admin)
    admin.post(
        f"/admin/users/{personas.ministry.id}/edit", data=edit_form(personas.ministry, role="kraj", kraj=kraj_kvk.id)
    )
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.updated")).one()
    assert event.data["role"] == ["Ministerstvo (MPSV)", "Krajský úřad"]
    assert event.data["kraj"] == [None, f"{kraj_kvk.name} ({kraj_kvk.code})"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"role": "ospod", "orp": ""}, "Uživatel s rolí OSPOD musí mít určenou ORP."),
        ({"role": "provider", "orp": ""}, "Uživatel s rolí Poskytovatel musí mít určeného poskytovatele."),
        ({"role": "kraj", "orp": ""}, "Uživatel s rolí Krajský úřad musí mít určený kraj."),
        ({"role": "ministry"}, "Role Ministerstvo (MPSV) se neváže na ORP"),
        ({"manages_colleagues": "y"}, "Účty kolegů může spravovat jen uživatel s rolí Poskytovatel."),
        ({"email": "kraj.pak@test.cz"}, "Uživatel s tímto e-mailem už existuje."),
        ({"email": "neni-adresa"}, "e-mail"),
        ({"name": "   "}, "Toto pole je povinné"),
    ],
)
def test_an_inconsistent_edit_is_refused_at_its_field_and_changes_nothing(login, personas, overrides, message):
    admin = login(personas.admin)
    response = admin.post(f"/admin/users/{personas.ospod.id}/edit", data=edit_form(personas.ospod, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and "is-invalid" in page
    db.session.refresh(personas.ospod)
    assert personas.ospod.role is Role.OSPOD and personas.ospod.email == "ospod.pardubice@test.cz"
    assert "user.updated" not in actions()


def test_admin_cannot_demote_themselves(login, personas):
    admin = login(personas.admin)
    response = admin.post(f"/admin/users/{personas.admin.id}/edit", data=edit_form(personas.admin, role="ministry"))
    assert response.status_code == 200
    assert "Nemůžete odebrat roli správce sám sobě" in response.get_data(as_text=True)
    db.session.refresh(personas.admin)
    assert personas.admin.role is Role.ADMIN


def test_the_last_active_admin_keeps_the_role(login, personas):
    other = UserFactory(email="druhy.spravce@test.cz", role=Role.ADMIN)
    db.session.commit()
    client = login(other)
    # Two admins: one may demote the other…
    demote = edit_form(personas.admin, role="ministry")
    assert client.post(f"/admin/users/{personas.admin.id}/edit", data=demote).status_code == 302
    db.session.refresh(personas.admin)
    assert personas.admin.role is Role.MINISTRY
    # …but the one left stays admin, whoever asks (here the system, from outside a request).
    from minitendr.auth.service import update_user
    from minitendr.db import DomainError

    with pytest.raises(DomainError, match="posledního aktivního správce"):
        update_user(other, email=other.email, name=other.name, role=Role.MINISTRY, actor=None)


def test_an_admin_edits_their_own_name_without_locking_out(login, personas):
    admin = login(personas.admin)
    response = admin.post(
        f"/admin/users/{personas.admin.id}/edit", data=edit_form(personas.admin, name="Hlavní Správce")
    )
    assert response.status_code == 302
    assert logged_in(admin)


def test_admin_grants_the_account_manager_flag_to_a_provider_user(login, personas):
    admin = login(personas.admin)
    data = edit_form(personas.interloper, manages_colleagues="y")
    assert admin.post(f"/admin/users/{personas.interloper.id}/edit", data=data).status_code == 302
    db.session.refresh(personas.interloper)
    assert personas.interloper.manages_colleagues
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.updated")).one()
    assert event.data == {"manages_colleagues": ["ne", "ano"]}


def test_admin_sees_the_last_login_in_the_list_and_on_the_edit_page(app, login, personas):
    with clock.frozen_at(dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)):
        assert log_in_by_form(app.test_client(), "mpsv@test.cz") == 302
    admin = login(personas.admin)
    listing = admin.get("/admin/users/?q=mpsv").get_data(as_text=True)
    assert "Poslední přihlášení" in listing and "30. 11. 2026 10:15" in listing
    edit = admin.get(f"/admin/users/{personas.ministry.id}/edit").get_data(as_text=True)
    assert re.search(r'id="last-login">30\. 11\. 2026 10:15<', edit)
    never = admin.get(f"/admin/users/{personas.kraj_other.id}/edit").get_data(as_text=True)
    assert 'id="last-login">nikdy<' in never


# --- a provider's account manager ----------------------------------------------------------------
def colleague_form(**overrides) -> dict:
    return {"email": "kolega@rodinne-centrum.cz", "name": "Petr Kolega", "password": "dlouhe-heslo-123"} | overrides


def test_the_account_manager_lists_their_providers_users_only(login, personas):
    colleague = UserFactory(email="kolega@test.cz", role=Role.PROVIDER, provider=personas.provider.provider)
    db.session.commit()
    page = login(personas.provider).get("/account/colleagues/").get_data(as_text=True)
    assert colleague.email in page and personas.provider.email in page
    assert personas.interloper.email not in page and personas.ospod.email not in page


def test_the_account_manager_creates_a_colleague_of_their_provider_whatever_the_form_says(login, personas):
    client = login(personas.provider)
    escalation = colleague_form(role="admin", provider=personas.interloper.provider_id, manages_colleagues="y")
    response = client.post("/account/colleagues/new", data=escalation)
    assert response.status_code == 302 and response.headers["Location"] == "/account/colleagues/"
    user = db.session.scalars(sa.select(User).where(User.email == "kolega@rodinne-centrum.cz")).one()
    assert user.role is Role.PROVIDER and user.provider_id == personas.provider.provider_id
    assert not user.manages_colleagues
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.created")).one()
    assert event.actor_id == personas.provider.id and event.object_id == user.id


def test_a_refused_colleague_keeps_the_input_and_stores_nothing(login, personas):
    client = login(personas.provider)
    response = client.post("/account/colleagues/new", data=colleague_form(password="kratke"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Heslo musí mít alespoň 10 znaků." in page
    assert 'value="kolega@rodinne-centrum.cz"' in page
    assert db.session.scalar(sa.select(User).where(User.email == "kolega@rodinne-centrum.cz")) is None


def test_the_account_manager_deactivates_and_reactivates_a_colleague(app, login, personas):
    colleague = UserFactory(email="kolega@test.cz", role=Role.PROVIDER, provider=personas.provider.provider)
    db.session.commit()
    their_session = app.test_client()
    assert log_in_by_form(their_session, "kolega@test.cz") == 302
    client = login(personas.provider)
    assert client.post(f"/account/colleagues/{colleague.id}/deactivate").status_code == 302
    db.session.refresh(colleague)
    assert not colleague.active and not logged_in(their_session)
    assert client.post(f"/account/colleagues/{colleague.id}/activate").status_code == 302
    db.session.refresh(colleague)
    assert colleague.active
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_id == colleague.id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["user.deactivated", "user.activated"]
    assert {e.actor_id for e in events} == {personas.provider.id}


@pytest.mark.parametrize("victim", ["interloper", "ospod", "admin"])
def test_the_account_manager_cannot_touch_anyone_outside_their_provider(login, personas, victim):
    target = personas[victim]
    client = login(personas.provider)
    assert client.post(f"/account/colleagues/{target.id}/deactivate").status_code == 403
    db.session.refresh(target)
    assert target.active and actions() == []


def test_the_account_manager_cannot_deactivate_themselves(login, personas):
    client = login(personas.provider)
    response = client.post(f"/account/colleagues/{personas.provider.id}/deactivate", follow_redirects=True)
    assert "Nemůžete deaktivovat svůj vlastní účet." in response.get_data(as_text=True)
    db.session.refresh(personas.provider)
    assert personas.provider.active


def test_a_provider_user_who_is_not_the_account_manager_is_refused(login, personas):
    client = login(personas.interloper)
    assert client.get("/account/colleagues/").status_code == 403
    assert client.post("/account/colleagues/new", data=colleague_form()).status_code == 403
    assert "Účty kolegů" not in client.get("/").get_data(as_text=True)
    assert "Účty kolegů" in login(personas.provider).get("/").get_data(as_text=True)


def test_a_manager_whose_flag_is_withdrawn_is_refused(login, personas):
    personas.provider.manages_colleagues = False
    db.session.commit()
    assert login(personas.provider).get("/account/colleagues/").status_code == 403


def test_an_admin_who_changes_their_own_e_mail_stays_logged_in_here(app, login, personas):
    elsewhere = app.test_client()
    assert log_in_by_form(elsewhere, "admin@test.cz") == 302
    admin = login(personas.admin)
    data = edit_form(personas.admin, email="spravce@test.cz")
    assert admin.post(f"/admin/users/{personas.admin.id}/edit", data=data).status_code == 302
    assert logged_in(admin) and not logged_in(elsewhere)
    assert log_in_by_form(app.test_client(), "spravce@test.cz") == 302
