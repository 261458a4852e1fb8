"""Reference data: loaded from seed/ exactly once, shown to everyone, service types kept by admin."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from minitendr.audit.models import AuditEvent
from minitendr.db import db
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType
from minitendr.registry.service import load_reference_data


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_reference_data_is_complete(app):
    assert (count(Kraj), count(Orp), count(ServiceCategory), count(ServiceType)) == (14, 206, 3, 16)
    expected = {
        row["kraj_code"]: int(row["orp_count"])
        for row in csv.DictReader((Path(app.config["SEED_DIR"]) / "kraje.csv").read_text("utf-8").splitlines())
    }
    per_kraj = dict(
        db.session.execute(sa.select(Kraj.code, sa.func.count(Orp.id)).join(Kraj.orps).group_by(Kraj.code)).all()
    )
    assert per_kraj == expected
    assert {c.code for c in db.session.scalars(sa.select(ServiceCategory))} == {"pobytove", "poradenstvi", "terenni"}
    sas = db.session.execute(sa.select(ServiceType).where(ServiceType.code == "SAS")).scalar_one()
    assert (sas.category.code, sas.unit, sas.indicative_unit_price) == ("terenni", "hodina", Decimal("500.00"))


def test_loading_reference_data_twice_changes_nothing(app):
    counts = load_reference_data(Path(app.config["SEED_DIR"]))
    assert counts == {"created": 0, "updated": 0}
    assert count(Orp) == 206


def test_loading_brings_changed_rows_back_in_line(app):
    pardubice = db.session.execute(sa.select(Orp).where(Orp.code == "5309")).scalar_one()
    pardubice.name = "Přejmenováno"
    db.session.flush()
    assert load_reference_data(Path(app.config["SEED_DIR"])) == {"created": 0, "updated": 1}
    assert pardubice.name == "Pardubice"


def test_kraje_page_lists_fourteen_kraje_and_206_orp(login, personas):
    page = login(personas.provider).get("/registry/kraje").get_data(as_text=True)
    assert page.count("/registry/kraje/CZ") == 14 and ">206<" in page


def test_kraj_page_lists_its_orp(login, personas):
    page = login(personas.kraj).get("/registry/kraje/cz041").get_data(as_text=True)
    assert "Karlovarský kraj" in page and "Cheb" in page and "Sokolov" in page and "Svitavy" not in page


def test_service_types_show_prices_the_czech_way(login, personas):
    page = login(personas.ministry).get("/registry/service-types").get_data(as_text=True)
    assert "1\xa0430,00\xa0Kč" in page  # ZDVOP
    assert "Pobytové služby" in page and "Rodinná mediace" in page


@pytest.fixture
def admin_client(login, personas):
    return login(personas.admin)


def service_type_form(**overrides):
    category = db.session.execute(sa.select(ServiceCategory).where(ServiceCategory.code == "terenni")).scalar_one()
    data = {
        "code": "DOUC",
        "name": "Doučování",
        "category_id": category.id,
        "unit": "hodina",
        "indicative_unit_price": "1 234,50",
        "active": "y",
    }
    return data | overrides


def test_admin_adds_a_service_type_with_a_czech_price(admin_client):
    assert admin_client.post("/registry/service-types/new", data=service_type_form()).status_code == 302
    douc = db.session.execute(sa.select(ServiceType).where(ServiceType.code == "DOUC")).scalar_one()
    assert douc.indicative_unit_price == Decimal("1234.50") and douc.category.code == "terenni"
    assert db.session.execute(sa.select(AuditEvent.action)).scalar_one() == "service_type.created"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "SAS"}, "Typ služby s kódem SAS už existuje."),
        ({"code": "a b"}, "Kód smí obsahovat jen písmena, číslice a pomlčku."),
        ({"indicative_unit_price": "-5"}, "Číslo musí být v rozmezí 0,00 až 10\xa0000\xa0000,00\xa0Kč."),
        ({"indicative_unit_price": "abc"}, "Zadejte číslo, například 1 234,50."),
        ({"indicative_unit_price": "NaN"}, "Zadejte číslo, například 1 234,50."),
        ({"unit": ""}, "Toto pole je povinné."),
        ({"category_id": "999"}, "Neplatná volba"),
        ({"name": "n" * 201}, "Pole může mít nejvýše 200 znaků."),
    ],
)
def test_bad_service_type_input_stores_nothing(admin_client, overrides, message):
    before = count(ServiceType)
    response = admin_client.post("/registry/service-types/new", data=service_type_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(ServiceType) == before


def test_admin_edits_a_service_type_and_the_change_is_audited(admin_client):
    sas = db.session.execute(sa.select(ServiceType).where(ServiceType.code == "SAS")).scalar_one()
    data = service_type_form(code="SAS", name=sas.name, category_id=sas.category_id, indicative_unit_price="520")
    assert admin_client.post(f"/registry/service-types/{sas.id}/edit", data=data).status_code == 302
    db.session.refresh(sas)
    assert sas.indicative_unit_price == Decimal("520.00")
    event = db.session.execute(sa.select(AuditEvent)).scalar_one()
    assert event.action == "service_type.updated"
    assert event.data["indicative_unit_price"] == ["500.00", "520"]


@pytest.mark.parametrize(
    ("persona", "sees"), [("admin", True), ("ministry", False), ("kraj", False), ("ospod", False), ("provider", False)]
)
def test_only_the_register_keeper_is_offered_to_add_and_edit_service_types(login, personas, persona, sees):
    page = login(personas[persona]).get("/registry/service-types").get_data(as_text=True)
    assert ("Nový typ služby" in page) is sees and ("/registry/service-types/" in page) is sees


def test_a_refused_service_type_keeps_the_input(admin_client):
    response = admin_client.post("/registry/service-types/new", data=service_type_form(code="SAS", name="Jiná SAS"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="#code"' in page
    assert 'value="Jiná SAS"' in page and 'value="1 234,50"' in page
