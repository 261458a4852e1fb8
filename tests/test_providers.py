"""The provider register: IČO with its check digit, unique; admin edits; every change audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from minitendr.audit.models import AuditEvent
from minitendr.db import DomainError, db
from minitendr.providers.ico import check_digit, ico_error, normalize_ico
from minitendr.providers.models import Provider


@pytest.mark.parametrize("ico", ["00216208", "00064581", "26742101", "05108730"])
def test_known_valid_icos_pass(ico):
    assert ico_error(ico) is None


@pytest.mark.parametrize(
    ("ico", "message"),
    [
        ("00216209", "kontrolní číslici"),
        ("26742102", "kontrolní číslici"),
        ("1234567", "8 číslic"),
        ("123456789", "8 číslic"),
        ("abcdefgh", "8 číslic"),
        ("", "8 číslic"),
    ],
)
def test_bad_icos_are_explained(ico, message):
    assert message in ico_error(ico)


@given(st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_exactly_one_last_digit_makes_an_ico_valid(first_seven):
    valid = [d for d in range(10) if ico_error(first_seven + str(d)) is None]
    assert valid == [check_digit(first_seven)]


def test_short_ico_is_padded_with_leading_zeros():
    assert normalize_ico(" 216208 ") == "00216208"


def test_model_refuses_a_bad_ico_whatever_the_path():
    with pytest.raises(DomainError, match="kontrolní číslici"):
        Provider(ico="00216209", name="X")


@pytest.fixture
def admin_client(login, personas):
    return login(personas.admin)


def count_providers() -> int:
    return db.session.scalar(sa.select(sa.func.count(Provider.id)))


def test_admin_registers_a_provider(admin_client, personas):
    response = admin_client.post(
        "/providers/new", data={"ico": "00216208", "name": "Univerzitní poradna", "active": "y", "email": ""}
    )
    assert response.status_code == 302
    provider = db.session.execute(sa.select(Provider).where(Provider.ico == "00216208")).scalar_one()
    assert provider.name == "Univerzitní poradna" and provider.active
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.object_type == "provider")).scalar_one()
    assert event.action == "provider.created" and event.actor_id == personas.admin.id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ico": "00216209"}, "IČO nemá platnou kontrolní číslici"),
        ({"ico": "12ab"}, "IČO musí mít přesně 8 číslic."),
        ({"ico": ""}, "Toto pole je povinné."),
        ({"ico": "PROVIDER"}, "už je evidován"),
        ({"name": ""}, "Toto pole je povinné."),
        ({"name": "N" * 201}, "Pole může mít nejvýše 200 znaků."),
        ({"email": "ne-email"}, "Zadejte platnou e-mailovou adresu."),
    ],
)
def test_bad_provider_input_gets_a_czech_message_and_stores_nothing(admin_client, personas, data, message):
    existing_ico = personas.provider.provider.ico
    form = {"ico": "00216208", "name": "Poradna", "active": "y"} | data
    form = {k: existing_ico if v == "PROVIDER" else v for k, v in form.items()}
    before = count_providers()
    response = admin_client.post("/providers/new", data=form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count_providers() == before


def test_admin_edits_a_provider_and_the_change_is_audited(admin_client, personas):
    provider = personas.provider.provider
    response = admin_client.post(
        f"/providers/{provider.id}/edit",
        data={"ico": provider.ico, "name": "Nový název, z.ú.", "address": "Pardubice", "active": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(provider)
    assert provider.name == "Nový název, z.ú." and provider.address == "Pardubice"
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "provider.updated")).scalar_one()
    assert event.data["name"] == ["Rodinné centrum Test, z.ú.", "Nový název, z.ú."]
    page = admin_client.get(f"/providers/{provider.id}").get_data(as_text=True)
    assert "Změna údajů poskytovatele" in page  # the history is on the page, in Czech


def test_editing_to_another_providers_ico_is_refused(admin_client, personas):
    provider, other = personas.provider.provider, personas.interloper.provider
    response = admin_client.post(f"/providers/{provider.id}/edit", data={"ico": other.ico, "name": "X", "active": "y"})
    assert response.status_code == 200 and "už je evidován" in response.get_data(as_text=True)
    db.session.refresh(provider)
    assert provider.name == "Rodinné centrum Test, z.ú."


def test_provider_sees_its_own_record_but_not_the_history(login, personas):
    page = login(personas.provider).get(f"/providers/{personas.provider.provider_id}").get_data(as_text=True)
    assert personas.provider.provider.ico in page and "Historie změn" not in page


def test_provider_list_searches_by_name_and_ico(login, personas):
    client = login(personas.kraj)
    page = client.get("/providers/?q=Cizí").get_data(as_text=True)
    assert "Cizí poskytovatel" in page and "Rodinné centrum Test" not in page
    page = client.get(f"/providers/?q={personas.provider.provider.ico[:5]}").get_data(as_text=True)
    assert "Rodinné centrum Test" in page


def test_a_refused_provider_keeps_what_was_typed_and_says_why_at_the_field(admin_client, personas):
    taken = personas.provider.provider.ico
    response = admin_client.post(
        "/providers/new", data={"ico": taken, "name": "Poradna Pod Lipou", "address": "Cheb", "active": "y"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="#ico"' in page  # the error summary links to the field
    assert f"Poskytovatel s IČO {taken} už je evidován" in page
    assert 'value="Poradna Pod Lipou"' in page and 'value="Cheb"' in page


@pytest.mark.parametrize(("persona", "sees"), [("admin", True), ("ministry", False), ("kraj", False), ("ospod", False)])
def test_only_the_register_keeper_is_offered_a_new_provider_and_editing(login, personas, persona, sees):
    client = login(personas[persona])
    assert ("Nový poskytovatel" in client.get("/providers/").get_data(as_text=True)) is sees
    page = client.get(f"/providers/{personas.provider.provider_id}").get_data(as_text=True)
    assert ("/edit" in page) is sees and ("Historie změn" in page) is sees
