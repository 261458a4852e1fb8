"""Admin creates accounts with the binding their role needs; bad input stores nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from minitendr.audit.models import AuditEvent
from minitendr.auth.models import Role, User
from minitendr.db import db


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)))


@pytest.fixture
def admin_client(login, personas):
    return login(personas.admin)


def form(**overrides):
    data = {
        "email": "nova@ospod.cz",
        "name": "Nová Pracovnice",
        "password": "dlouhe-heslo-123",
        "role": "ospod",
        "orp": "ORP",
    }
    data.update(overrides)
    return data


def test_admin_creates_an_ospod_user_bound_to_an_orp(admin_client, personas, orp_cheb):
    response = admin_client.post("/admin/users/new", data=form(orp=orp_cheb.id))
    assert response.status_code == 302
    user = db.session.execute(sa.select(User).where(User.email == "nova@ospod.cz")).scalar_one()
    assert user.role is Role.OSPOD and user.orp_id == orp_cheb.id and user.kraj_id is None
    assert user.password_hash.startswith("scrypt:") and user.check_password("dlouhe-heslo-123")
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "user.created")).scalar_one()
    assert event.object_id == user.id and event.actor_id == personas.admin.id
    assert event.data == {"email": "nova@ospod.cz", "role": "ospod", "binding": "4102"}


@pytest.mark.parametrize(
    ("role", "binding"),
    [("admin", None), ("ministry", None), ("kraj", "kraj"), ("provider", "provider")],
)
def test_admin_creates_every_role(admin_client, personas, kraj_kvk, role, binding):
    values = {"kraj": kraj_kvk.id, "provider": personas.provider.provider_id}
    data = form(role=role, email=f"{role}@nove.cz", orp="", **({binding: values[binding]} if binding else {}))
    assert admin_client.post("/admin/users/new", data=data).status_code == 302
    assert db.session.execute(sa.select(User).where(User.email == f"{role}@nove.cz")).scalar_one().role == Role(role)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "ospod.pardubice@test.cz"}, "Uživatel s tímto e-mailem už existuje."),
        ({"email": "OSPOD.Pardubice@TEST.cz"}, "Uživatel s tímto e-mailem už existuje."),
        ({"email": "neni-email"}, "Zadejte platnou e-mailovou adresu."),
        ({"email": ""}, "Toto pole je povinné."),
        ({"password": "kratke"}, "Heslo musí mít alespoň 10 znaků."),
        ({"name": "x" * 121}, "Pole může mít nejvýše 120 znaků."),
        ({"email": "a" * 250 + "@x.cz"}, "Pole může mít nejvýše 254 znaků."),
        ({"name": "   "}, "Toto pole je povinné."),
        ({"orp": ""}, "Uživatel s rolí OSPOD musí mít určenou ORP."),
        ({"role": "kraj", "orp": ""}, "Uživatel s rolí Krajský úřad musí mít určený kraj."),
        ({"role": "provider", "orp": ""}, "Uživatel s rolí Poskytovatel musí mít určeného poskytovatele."),
        ({"role": "admin"}, "Role Správce systému se neváže na ORP – ponechte pole prázdné."),
        ({"kraj": "KRAJ"}, "Role OSPOD se neváže na kraj – ponechte pole prázdné."),
        ({"role": "ospod", "orp": "999999"}, "Neplatná volba – vyberte jednu z nabízených možností."),
        ({"role": "ospod", "orp": "abc"}, "Neplatná volba – vyberte jednu z nabízených možností."),
        ({"role": "superuser"}, "Neplatná volba – vyberte jednu z nabízených možností."),
    ],
    ids=lambda v: str(v)[:40],
)
def test_bad_user_input_gets_a_czech_message_and_stores_nothing(
    admin_client, personas, orp_cheb, kraj_pak, overrides, message
):
    data = {k: {"ORP": orp_cheb.id, "KRAJ": kraj_pak.id}.get(v, v) for k, v in form(**overrides).items()}
    before = count_users()
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count_users() == before
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_database_refuses_a_role_without_its_binding(personas):
    """The rule holds in the database too, whatever path a row comes by."""
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.insert(User).values(
                email="bez-vazby@test.cz",
                name="x",
                password_hash="x",
                role="ospod",
                active=True,
                created_at=personas.admin.created_at,
            )
        )


def test_admin_deactivates_and_reactivates_a_user(admin_client, personas):
    assert admin_client.post(f"/admin/users/{personas.ministry.id}/deactivate").status_code == 302
    db.session.refresh(personas.ministry)
    assert personas.ministry.active is False
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.deactivated"]
    admin_client.post(f"/admin/users/{personas.ministry.id}/activate")
    db.session.refresh(personas.ministry)
    assert personas.ministry.active is True


def test_deactivated_user_cannot_log_in(client, admin_client, personas):
    response = admin_client.post(f"/admin/users/{personas.kraj.id}/deactivate", follow_redirects=True)
    assert "Účet kraj.pak@test.cz je deaktivován." in response.get_data(as_text=True)
    other = client.application.test_client()
    response = other.post("/login", data={"email": "kraj.pak@test.cz", "password": "heslo-pro-testy"})
    assert response.status_code == 200  # the login page again, not a redirect into the application
    assert "Nesprávný e-mail nebo heslo, případně je účet deaktivován." in response.get_data(as_text=True)
    assert other.get("/").status_code == 302  # still not logged in
    db.session.refresh(personas.kraj)
    assert personas.kraj.active is False
    personas.kraj.active = True  # the same password works once the account is active again
    db.session.commit()
    response = other.post("/login", data={"email": "kraj.pak@test.cz", "password": "heslo-pro-testy"})
    assert response.status_code == 302 and other.get("/").status_code == 200


def test_admin_cannot_deactivate_themselves(admin_client, personas):
    response = admin_client.post(f"/admin/users/{personas.admin.id}/deactivate", follow_redirects=True)
    assert response.request.path == "/admin/users/"
    assert "Nemůžete deaktivovat svůj vlastní účet." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
    db.session.refresh(personas.admin)
    assert personas.admin.active


def test_user_list_filters_by_role_and_text(admin_client, personas):
    page = admin_client.get("/admin/users/?role=kraj").get_data(as_text=True)
    assert "kraj.pak@test.cz" in page and "kraj.kvk@test.cz" in page and "mpsv@test.cz" not in page
    page = admin_client.get("/admin/users/?q=cheb").get_data(as_text=True)
    assert "ospod.cheb@test.cz" in page and "ospod.pardubice@test.cz" not in page
    assert admin_client.get("/admin/users/?role=nonsense&page=abc").status_code == 200


@pytest.mark.parametrize(
    "password", ["1234567890", "heslo12345", "Password123!", "qwertzuiop", "aaaaaaaaaaaa", "ababababab", "Minitendr1!"]
)
def test_common_passwords_are_refused(admin_client, personas, orp_cheb, password):
    response = admin_client.post("/admin/users/new", data=form(orp=orp_cheb.id, password=password))
    assert response.status_code == 200
    assert "příliš běžné" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(User).where(User.email == "nova@ospod.cz")).scalar_one_or_none() is None


def test_an_uncommon_long_password_is_accepted(admin_client, personas, orp_cheb):
    response = admin_client.post(
        "/admin/users/new", data=form(orp=orp_cheb.id, password="Modrý vlak do Chebu 7"), follow_redirects=True
    )
    assert response.request.path == "/admin/users/"
    assert "Uživatel nova@ospod.cz byl vytvořen." in response.get_data(as_text=True)
    user = db.session.execute(sa.select(User).where(User.email == "nova@ospod.cz")).scalar_one()
    assert user.check_password("Modrý vlak do Chebu 7") and user.orp_id == orp_cheb.id
    assert db.session.scalars(sa.select(AuditEvent.action)).all() == ["user.created"]


def test_a_refused_user_keeps_what_was_typed_but_not_the_password(admin_client, personas, orp_cheb):
    response = admin_client.post(
        "/admin/users/new", data=form(orp=orp_cheb.id, name="Jana Refusovaná", password="kratke")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="#password"' in page
    assert "Heslo musí mít alespoň 10 znaků." in page
    assert 'value="nova@ospod.cz"' in page and 'value="Jana Refusovaná"' in page and "kratke" not in page


def test_the_role_filter_offers_every_role_by_its_czech_name(admin_client, personas):
    page = admin_client.get("/admin/users/?role=ospod").get_data(as_text=True)
    assert '<option value="ospod" selected>OSPOD</option>' in page
    assert all(f'<option value="{role.value}"' in page and role.label in page for role in Role)
