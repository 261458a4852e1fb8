"""The catalogue as Open Referral HSDS 3.0 open data: public, read-only, every object valid against the
schemas in shared/data/hsds/, listed services only, nothing about cases or demands."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from minitendr.db import db
from minitendr.frameworks import service as frameworks
from minitendr.network import catalogue
from minitendr.network.hsds import BY_CODE
from minitendr.network.models import CatalogueService, Sector, ServiceForm
from minitendr.registry.models import Orp
from tests.factories import make_demand, make_framework
from tests.hsds_validation import errors, page_schema, unknown_fields


def orp(code: str) -> Orp:
    return db.session.execute(sa.select(Orp).where(Orp.code == code)).scalar_one()


@pytest.fixture
def network(personas, kraj_pak, kraj_kvk):
    """A framework party's entries, a hospital ward with a full contact, one without an IČO in
    Karlovarský kraj, and one taken off the catalogue; plus a published demand that must not leak."""
    framework = make_framework(kraj_pak, "terenni", providers=[personas.provider.provider])
    ward = catalogue.create_service(
        kraj_pak,
        name="Dětské oddělení – psychosomatika",
        description="Hospitalizace dětí s psychosomatickými obtížemi.",
        sector=Sector.ZDRAVOTNI,
        form=ServiceForm.POBYTOVA,
        organization="Nemocnice Pardubického kraje, a.s.",
        ico="27520536",
        needs=["zdravi", "chovani"],
        orps=[orp("5309"), orp("5304")],
        capacity=Decimal(8),
        capacity_unit="lůžek",
        contact_name="Primariát",
        contact_email="detske@example.cz",
        contact_phone="+420 466 000 111",
        web="https://nemocnice.example.cz/detske",
    )
    nameless = catalogue.create_service(
        kraj_kvk,
        name="Mateřské centrum Cheb",
        sector=Sector.JINA,
        form=ServiceForm.AMBULANTNI,
        organization="Spolek rodičů Cheb",
        needs=["vztahy"],
        orps=[orp("4102")],
    )
    gone = catalogue.create_service(
        kraj_pak,
        name="Zrušená poradna",
        sector=Sector.SKOLSKA,
        form=ServiceForm.AMBULANTNI,
        organization="Poradna, která skončila",
        needs=["uceni"],
        orps=[orp("5309")],
    )
    catalogue.set_active(gone, False)
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    return {"framework": framework, "ward": ward, "nameless": nameless, "gone": gone, "demand": demand}


def get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_valid(instance, schema: str) -> None:
    assert errors(instance, schema) == []
    assert unknown_fields(instance, schema) == []


def assert_page(body) -> None:
    assert Draft202012Validator(page_schema()).is_valid(body)
    assert set(body) == {
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    }


def test_the_services_list_is_public_paged_and_valid(client, network):
    body = get(client, "/network/hsds/services?per_page=100")
    assert_page(body)
    for item in body["contents"]:
        assert_valid(item, "compiled_service_list.json")
    found = {item["name"] for item in body["contents"]}
    assert "Dětské oddělení – psychosomatika" in found and "Mateřské centrum Cheb" in found
    assert "Zrušená poradna" not in found
    listed = db.session.scalar(sa.select(sa.func.count()).select_from(CatalogueService).where(catalogue.listed()))
    assert body["total_items"] == listed == len(body["contents"])


def test_a_service_is_fully_nested_and_valid(client, network):
    ward = network["ward"]
    body = get(client, f"/network/hsds/services/{ward.uuid}")
    assert_valid(body, "service.json")
    assert body["id"] == ward.uuid and body["status"] == "active"
    assert body["organization"]["organization_identifiers"][0]["identifier"] == "27520536"
    assert body["organization_id"] == body["organization"]["id"]
    assert {a["service_id"] for a in body["service_areas"]} == {ward.uuid}
    assert [a["name"] for a in body["service_areas"]] == ["ORP Chrudim", "ORP Pardubice"]
    terms = {(a["link_type"], a["taxonomy_term"]["code"]) for a in body["attributes"]}
    assert {("needs", "zdravi"), ("needs", "chovani"), ("sectors", "zdravotni"), ("forms", "pobytova")} <= terms
    capacity = next(a for a in body["attributes"] if a["taxonomy_term"]["code"] == "capacity")
    assert capacity["value"] == "8 lůžek"
    assert body["phones"][0]["number"] == "+420 466 000 111"


def test_every_fully_nested_service_on_a_page_is_valid(client, network):
    body = get(client, "/network/hsds/services?full=true&per_page=100")
    assert body["contents"]
    for item in body["contents"]:
        assert_valid(item, "service.json")
    automatic = [
        item
        for item in body["contents"]
        if any(a["taxonomy_term"]["code"] == "framework_party" for a in item["attributes"])
    ]
    assert automatic and all(len(item["service_areas"]) == 15 for item in automatic)


def test_organizations_and_taxonomies_are_valid(client, network):
    organizations = get(client, "/network/hsds/organizations")
    assert_page(organizations)
    for item in organizations["contents"]:
        assert_valid(item, "organization.json")
        assert (
            errors(
                {k: v for k, v in item.items() if k != "organization_identifiers"}, "compiled_organization_list.json"
            )
            == []
        )
    names = [item["name"] for item in organizations["contents"]]
    assert names == sorted(names)
    assert {"Nemocnice Pardubického kraje, a.s.", "Spolek rodičů Cheb", "Rodinné centrum Test, z.ú."} <= set(names)
    assert "Poradna, která skončila" not in names
    taxonomies = get(client, "/network/hsds/taxonomies")
    assert_page(taxonomies)
    assert {t["name"] for t in taxonomies["contents"]} >= {
        "Oblasti potřeb dítěte a rodiny",
        "Sektory služeb",
        "Formy služeb",
    }
    for item in taxonomies["contents"]:
        assert_valid(item, "taxonomy.json")
    terms = get(client, "/network/hsds/taxonomy_terms?per_page=100")
    for item in terms["contents"]:
        assert_valid(item, "taxonomy_term.json")
    assert {t["name"] for t in terms["contents"]} >= {"Vztahy", "Bezpečí", "Chování", "Materiální zajištění", "terénní"}
    needs = get(client, f"/network/hsds/taxonomy_terms?taxonomy_id={BY_CODE['needs'].id}")
    assert needs["total_items"] == 6


def test_every_service_of_an_organization_points_to_an_organization_that_is_published(client, network):
    services = get(client, "/network/hsds/services?per_page=100")["contents"]
    organizations = {o["id"] for o in get(client, "/network/hsds/organizations?per_page=100")["contents"]}
    assert {s["organization_id"] for s in services} <= organizations
    ward = next(s for s in services if s["name"].startswith("Dětské oddělení"))
    only = get(client, f"/network/hsds/services?organization_id={ward['organization_id']}")
    assert [s["name"] for s in only["contents"]] == [ward["name"]]


def test_filters_by_term_and_words(client, network):
    behaviour = BY_CODE["needs"].term_id("chovani")
    body = get(client, f"/network/hsds/services?taxonomy_term_id={behaviour}")
    assert "Dětské oddělení – psychosomatika" in {s["name"] for s in body["contents"]}
    assert "Mateřské centrum Cheb" not in {s["name"] for s in body["contents"]}
    body = get(client, "/network/hsds/services?search=mateřské")
    assert [s["name"] for s in body["contents"]] == ["Mateřské centrum Cheb"]


def test_pages_number_as_the_protocol_says(client, network):
    total = get(client, "/network/hsds/services")["total_items"]
    assert total >= 4
    first = get(client, "/network/hsds/services?per_page=2")
    second = get(client, "/network/hsds/services?per_page=2&page=2")
    assert first["first_page"] and not first["last_page"] and first["total_pages"] == -(-total // 2)
    assert second["page_number"] == 2 and not second["first_page"]
    assert not {s["id"] for s in first["contents"]} & {s["id"] for s in second["contents"]}
    beyond = get(client, "/network/hsds/services?page=999")
    assert beyond["empty"] and beyond["contents"] == [] and beyond["last_page"]


@pytest.mark.parametrize(
    "url",
    [
        "/network/hsds/services?page=0",
        "/network/hsds/services?page=-1",
        "/network/hsds/services?per_page=1000",
        "/network/hsds/services?page=abc",
        "/network/hsds/services?taxonomy_term_id=nesmysl",
        "/network/hsds/taxonomy_terms?taxonomy_id=nesmysl",
    ],
)
def test_a_wrong_parameter_is_400_json_in_czech(client, url):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.get_json()["error"]


def test_a_service_off_the_catalogue_or_unknown_is_404(client, network):
    assert client.get(f"/network/hsds/services/{network['gone'].uuid}").status_code == 404
    assert client.get(f"/network/hsds/services/{uuid.uuid4()}").status_code == 404
    response = client.get("/network/hsds/services/not-a-uuid")
    assert response.status_code == 404 and response.get_json()["error"]


def test_a_suspended_party_disappears_from_the_open_data(client, network):
    party = network["framework"].parties[0]
    entry = db.session.scalars(
        sa.select(CatalogueService).where(CatalogueService.framework_party_id == party.id)
    ).first()
    assert client.get(f"/network/hsds/services/{entry.uuid}").status_code == 200
    frameworks.suspend_party(party, "Neplní standardy kvality.")
    db.session.commit()
    assert client.get(f"/network/hsds/services/{entry.uuid}").status_code == 404


def test_no_case_or_demand_data_is_published(client, network):
    demand = network["demand"]
    everything = json.dumps(
        [
            get(client, "/network/hsds/services?full=true&per_page=100"),
            get(client, "/network/hsds/organizations?per_page=100"),
            get(client, "/network/hsds/taxonomy_terms?per_page=100"),
        ],
        ensure_ascii=False,
    )
    for secret in (demand.case_reference, demand.need_description, demand.number):
        assert secret not in everything


def test_ids_are_stable_uuids(client, network):
    first = get(client, "/network/hsds/organizations")["contents"]
    again = get(client, "/network/hsds/organizations")["contents"]
    assert [o["id"] for o in first] == [o["id"] for o in again]
    for item in first:
        uuid.UUID(item["id"])
