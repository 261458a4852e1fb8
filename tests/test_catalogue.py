"""Katalog služeb: the kraj keeps it (by hand, by import), framework parties appear in it by
themselves, and OSPOD finds who in its ORP helps with a needs area."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.db import DomainError, db
from minitendr.frameworks import service as frameworks
from minitendr.network import catalogue
from minitendr.network.catalogue_import import COLUMNS
from minitendr.network.models import CatalogueService, Sector, ServiceForm
from minitendr.registry.models import Orp
from tests.factories import ProviderFactory, make_framework


def orp(code: str) -> Orp:
    return db.session.execute(sa.select(Orp).where(Orp.code == code)).scalar_one()


def add(kraj, name: str, needs=("chovani",), orps=("5309",), **fields) -> CatalogueService:
    values = {
        "sector": Sector.SKOLSKA,
        "form": ServiceForm.AMBULANTNI,
        "organization": "Pedagogicko-psychologická poradna",
        **fields,
    }
    return catalogue.create_service(kraj, name=name, needs=list(needs), orps=[orp(c) for c in orps], **values)


def events(obj, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id, AuditEvent.action == action
            )
            .order_by(AuditEvent.id)
        )
    )


def automatic(party_id: int) -> list[CatalogueService]:
    return list(
        db.session.scalars(
            sa.select(CatalogueService)
            .where(CatalogueService.framework_party_id == party_id)
            .order_by(CatalogueService.service_type_id)
        )
    )


def names(response) -> str:
    return response.get_data(as_text=True)


# --- framework parties appear by themselves -----------------------------------------------------------
def test_a_party_of_an_active_framework_has_its_service_types_in_the_catalogue(kraj_pak):
    provider = ProviderFactory(name="Rodinné centrum Sluníčko")
    framework = make_framework(kraj_pak, "terenni", providers=[provider])
    entries = automatic(framework.parties[0].id)
    codes = {e.service_type.code for e in entries}
    assert codes == {t.code for t in framework.category.service_types if t.active}
    sas = next(e for e in entries if e.service_type.code == "SAS")
    assert set(sas.need_codes) == {"vztahy", "uceni", "materialni"}
    assert {o.orp.code for o in sas.orps} == {o.code for o in kraj_pak.orps}
    assert sas.provider_id == provider.id and sas.ico == provider.ico
    assert sas.sector is Sector.SOCIALNI and sas.form is ServiceForm.TERENNI
    assert sas.active and catalogue.is_listed(sas)
    assert events(sas, "catalogue.created")[0].data["source"] == "framework"
    # Zákon 359/1999 Sb. (OSPOD's own): not a registered social service.
    assert next(e for e in entries if e.service_type.code == "AK").sector is Sector.JINA


def test_a_draft_frameworks_parties_appear_only_once_it_is_activated(kraj_pak):
    framework = make_framework(kraj_pak, "poradenstvi", providers=[ProviderFactory()], active=False)
    assert automatic(framework.parties[0].id) == []
    frameworks.activate_framework(framework)
    assert len(automatic(framework.parties[0].id)) == 5


def test_a_suspended_party_leaves_the_catalogue_and_comes_back_with_the_kraj_fitting_kept(kraj_pak):
    framework = make_framework(kraj_pak, "pobytove", providers=[ProviderFactory()])
    party = framework.parties[0]
    shelter = next(e for e in automatic(party.id) if e.service_type.code == "AD")
    catalogue.update_service(shelter, orps=[orp("5304")], capacity=Decimal(12), capacity_unit="lůžek")

    frameworks.suspend_party(party, "Neplní standardy kvality.")
    assert not shelter.active and not catalogue.is_listed(shelter)
    assert events(shelter, "catalogue.deactivated")
    found = catalogue.search(catalogue.SearchFilters(orp=orp("5304")))
    assert shelter not in found.items

    frameworks.reinstate_party(party)
    assert shelter.active and [o.orp.code for o in shelter.orps] == ["5304"]
    assert shelter.capacity == Decimal(12)
    assert len(automatic(party.id)) == 5, "no second entry on reinstatement"

    frameworks.withdraw_party(party, "Ukončení činnosti.")
    assert not any(e.active for e in automatic(party.id))


def test_a_terminated_or_expired_framework_takes_its_parties_off_the_catalogue(kraj_pak):
    framework = make_framework(kraj_pak, "terenni", providers=[ProviderFactory()])
    entry = automatic(framework.parties[0].id)[0]
    with clock.frozen_at(clock.now() + dt.timedelta(days=800)):
        assert not catalogue.is_listed(entry), "past its validity the framework has expired"
        assert entry not in catalogue.search(catalogue.SearchFilters()).items
    frameworks.terminate_framework(framework, "Dohoda stran.")
    assert not entry.active


def test_the_kraj_may_fit_an_automatic_entry_but_not_rename_it(kraj_pak):
    framework = make_framework(kraj_pak, "terenni", providers=[ProviderFactory()])
    entry = automatic(framework.parties[0].id)[0]
    changes = catalogue.update_service(entry, needs=["chovani"], orps=[orp("5309"), orp("5303")], capacity=Decimal(30))
    assert changes["needs"][1] == "chovani" and changes["capacity"] == [None, Decimal(30)]
    assert events(entry, "catalogue.updated")[0].data["orps"][1] == "5303, 5309"
    with pytest.raises(DomainError, match="lze měnit jen"):
        catalogue.update_service(entry, name="Jiný název")
    with pytest.raises(DomainError) as refused:
        catalogue.update_service(entry, orps=[orp("4102")])
    assert refused.value.field == "orps"
    with pytest.raises(DomainError, match="zapíná a vypíná"):
        catalogue.set_active(entry, False)


# --- the kraj keeps it by hand --------------------------------------------------------------------------
FORM = {
    "name": "Středisko výchovné péče Pardubice",
    "description": "Ambulantní a celodenní program pro děti s problémy v chování.",
    "sector": "skolska",
    "form": "ambulantni",
    "organization": "Dětský domov a SVP Pardubice",
    "needs": ["chovani", "uceni"],
    "capacity": "24",
    "capacity_unit": "klientů",
    "contact_email": "svp@example.cz",
    "web": "https://svp.example.cz",
}


def test_a_kraj_official_adds_a_service_of_another_sector(login, personas):
    client = login(personas.kraj)
    response = client.post("/network/catalogue/new", data={**FORM, "orps": [orp("5309").id, orp("5303").id]})
    assert response.status_code == 302
    service = db.session.scalars(sa.select(CatalogueService).where(CatalogueService.name == FORM["name"])).one()
    assert service.kraj_id == personas.kraj.kraj_id and service.sector is Sector.SKOLSKA
    assert set(service.need_codes) == {"uceni", "chovani"} and service.capacity == Decimal(24)
    assert events(service, "catalogue.created")[0].actor_id == personas.kraj.id


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"needs": []}, "needs", "alespoň jednu oblast"),
        ({"orps": []}, "orps", "alespoň jedno ORP"),
        ({"description": "Dítě 015101/1234 potřebuje pomoc."}, "description", "rodného čísla"),
        ({"contact_email": "svp(at)example"}, "contact_email", "platnou e-mailovou"),
        ({"capacity": "-3"}, "capacity", "Číslo musí být"),
        ({"capacity": "abc"}, "capacity", "Zadejte číslo"),
        ({"capacity": "5", "capacity_unit": ""}, "capacity_unit", "jednotku kapacity"),
        ({"organization": "", "ico": ""}, "organization", "Vyplňte organizaci"),
        ({"ico": "12345678"}, "ico", "kontrolní číslici"),
        ({"web": "javascript:alert(1)"}, "web", "celou"),
        ({"sector": "vesmirny"}, "sector", "Neplatná volba"),
        ({"name": "x" * 201}, "name", "nejvýše 200"),
    ],
)
def test_a_wrong_entry_is_refused_at_its_field_and_nothing_is_stored(login, personas, change, field, message):
    client = login(personas.kraj)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(CatalogueService))
    data = {**FORM, "orps": [orp("5309").id], **change}
    response = client.post("/network/catalogue/new", data=data)
    assert response.status_code == 200
    page = names(response)
    assert message in page and f'href="#{field if field != "needs" else "needs-0"}"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CatalogueService)) == before


def test_an_orp_of_another_kraj_cannot_be_smuggled_into_the_form(login, personas):
    client = login(personas.kraj)
    response = client.post("/network/catalogue/new", data={**FORM, "orps": [orp("4102").id]})
    assert response.status_code == 200 and "Neplatná volba" in names(response)


def test_a_kraj_official_cannot_edit_another_krajs_service(login, personas, kraj_kvk):
    service = add(kraj_kvk, "Poradna Cheb", orps=("4102",))
    db.session.commit()
    client = login(personas.kraj)
    assert client.get(f"/network/catalogue/{service.id}/edit").status_code == 403
    assert client.post(f"/network/catalogue/{service.id}/deactivate").status_code == 403
    assert client.get(f"/network/catalogue/{service.id}/edit?x=1").status_code == 403
    assert login(personas.kraj_other).get(f"/network/catalogue/{service.id}/edit").status_code == 200
    assert client.get("/network/catalogue/999999/edit").status_code == 404


def test_a_deactivated_service_is_hidden_from_search_but_kept_for_its_kraj(login, personas, kraj_pak):
    service = add(kraj_pak, "Poradna pro rodinu Holice", orps=("5303",))
    db.session.commit()
    client = login(personas.kraj)
    assert client.post(f"/network/catalogue/{service.id}/deactivate").status_code == 302
    db.session.refresh(service)
    assert not service.active and events(service, "catalogue.deactivated")
    assert login(personas.ospod).get(f"/network/services/{service.id}").status_code == 404
    assert "Poradna pro rodinu Holice" not in names(login(personas.ospod).get("/network/services?orp=5303"))
    client = login(personas.kraj)
    assert client.get(f"/network/services/{service.id}").status_code == 200
    assert "Poradna pro rodinu Holice" in names(client.get("/network/catalogue"))
    assert client.post(f"/network/catalogue/{service.id}/activate").status_code == 302
    db.session.refresh(service)
    assert service.active


def test_editing_an_automatic_entry_shows_only_what_the_kraj_may_fit(login, personas, objects):
    client = login(personas.kraj)
    url = f"/network/catalogue/{objects['catalogue_service_id']}/edit"
    page = names(client.get(url))
    assert 'name="needs"' in page and 'name="name"' not in page
    response = client.post(
        url, data={"needs": ["bezpeci"], "orps": [orp("5309").id], "capacity": "10,5", "capacity_unit": "hodin"}
    )
    assert response.status_code == 302
    service = db.session.get(CatalogueService, objects["catalogue_service_id"])
    db.session.refresh(service)
    assert service.need_codes == ["bezpeci"] and service.capacity == Decimal("10.5")


# --- OSPOD finds a service -------------------------------------------------------------------------------
def test_ospod_finds_who_in_its_orp_helps_with_behaviour(login, personas, kraj_pak):
    add(kraj_pak, "SVP Pardubice", needs=("chovani", "uceni"), orps=("5309",))
    add(kraj_pak, "SVP Holice", needs=("chovani",), orps=("5303",))
    add(kraj_pak, "Potravinová banka Pardubice", needs=("materialni",), orps=("5309",), sector=Sector.JINA)
    db.session.commit()
    client = login(personas.ospod)
    page = names(client.get("/network/services?need=chovani"))  # its ORP by default
    assert "SVP Pardubice" in page and "SVP Holice" not in page and "Potravinová banka" not in page
    page = names(client.get("/network/services?orp=5303&need=chovani"))
    assert "SVP Holice" in page and "SVP Pardubice" not in page
    page = names(client.get("/network/services?orp=&kraj=CZ053&sector=jina"))
    assert "Potravinová banka" in page and "SVP" not in page
    page = names(client.get("/network/services?orp=5309&q=potravin"))
    assert "Potravinová banka" in page and "SVP Pardubice" not in page
    page = names(client.get("/network/services?orp=5309&form=pobytova"))
    assert "SVP Pardubice" not in page


@pytest.mark.parametrize(
    "query",
    [
        "orp=9999",
        "need=lasky",
        "sector=vesmirny",
        "form=vesmirna",
        "kraj=CZ999",
        "orp=4102&kraj=CZ053",
        "q=" + "%" * 300,
    ],
)
def test_a_wrong_search_says_what_was_dropped_and_never_fails(login, personas, query):
    response = login(personas.ospod).get(f"/network/services?{query}")
    assert response.status_code == 200
    if not query.startswith("q="):
        assert "nešly použít" in names(response)


def test_the_search_pages_by_keyset_in_constant_statements(login, personas, kraj_pak, statements):
    for n in range(3):
        add(kraj_pak, f"Služba {n:03d}")
    db.session.commit()
    client = login(personas.ospod)
    with statements() as few:
        client.get("/network/services?need=chovani")
    for n in range(3, 60):
        add(kraj_pak, f"Služba {n:03d}", orps=("5309", "5303", "5304"), needs=("chovani", "vztahy"))
    db.session.commit()
    with statements() as many:
        first = client.get("/network/services?need=chovani")
    assert len(many) == len(few)
    page = names(first)
    assert "Služba 049" in page and "Služba 050" not in page and "Celkem 60" in page
    next_url = page.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = names(client.get(next_url))
    assert "Služba 050" in second and "Služba 059" in second and "Služba 049" not in second
    assert client.get("/network/services?after=nesmysl").status_code == 400


# --- import -----------------------------------------------------------------------------------------------
HEADER = ";".join(COLUMNS)


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join([header, *rows]).encode(encoding)


def upload(client, data: bytes, filename: str = "katalog.csv"):
    return client.post(
        "/network/catalogue/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def row(name: str, orps: str = "Pardubice, 5303", needs: str = "chování, učení se", **cells: str) -> str:
    values = {
        "název": name,
        "sektor": "zdravotní",
        "forma": "ambulantní",
        "organizace": "Nemocnice Pardubického kraje",
        "oblasti potřeb": needs,
        "ORP": orps,
        **cells,
    }
    return ";".join(values.get(header, "") for header in COLUMNS)


def kraj_services(kraj) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(CatalogueService.kraj_id == kraj.id)) or 0


def test_a_clean_file_is_imported_whole_and_audited(login, personas, kraj_pak):
    provider = ProviderFactory(name="Poradna Cesta")
    data = csv_file(
        row("Dětská psychiatrická ambulance", **{"kapacita": "40", "jednotka kapacity": "pacientů měsíčně"}),
        row("Klinický psycholog pro děti", orps="vše", needs="Zdraví"),
        row("Rodinná poradna", **{"IČO": provider.ico, "organizace": "", "sektor": "sociální služba"}),
    )
    response = upload(login(personas.kraj), data)
    assert response.status_code == 302
    created = list(db.session.scalars(sa.select(CatalogueService).where(CatalogueService.kraj_id == kraj_pak.id)))
    by_name = {s.name: s for s in created}
    assert set(by_name) == {"Dětská psychiatrická ambulance", "Klinický psycholog pro děti", "Rodinná poradna"}
    assert set(by_name["Dětská psychiatrická ambulance"].need_codes) == {"uceni", "chovani"}
    assert {o.orp.code for o in by_name["Dětská psychiatrická ambulance"].orps} == {"5309", "5303"}
    assert len(by_name["Klinický psycholog pro děti"].orps) == 15
    assert by_name["Rodinná poradna"].provider_id == provider.id
    assert all(events(s, "catalogue.created")[0].data["source"] == "import" for s in created)
    assert events(kraj_pak, "catalogue.imported")[0].data["created"] == 3


def test_a_file_with_an_error_stores_nothing_and_reports_each_row(login, personas, kraj_pak):
    data = csv_file(
        row("Dobrá služba"),
        row("Špatná oblast", needs="chování, láska"),
        row("", orps="Cheb"),
        row("Dobrá služba"),
        row("Špatná kapacita", **{"kapacita": "hodně"}),
        row("Rodné číslo", **{"popis": "Pro Jana, r. č. 015101/1234"}),
    )
    response = upload(login(personas.kraj), data)
    assert response.status_code == 200
    page = names(response)
    assert "nic z něj nebylo uloženo" in page
    report = page.split('id="import-report"')[1].split("</table>")[0]
    assert "<td>3</td><td>oblasti potřeb</td><td>Neznámá oblast potřeb „láska“" in report
    assert "<td>4</td><td>název</td><td>Vyplňte název služby.</td>" in report
    assert "ORP „Cheb“ v kraji Pardubický kraj není" in report
    assert "<td>5</td><td>název</td>" in report and "v souboru dvakrát" in report
    assert "<td>6</td><td>kapacita</td>" in report
    assert "<td>7</td><td>popis</td>" in report
    assert "<td>2</td>" not in report
    assert kraj_services(kraj_pak) == 0
    assert not events(kraj_pak, "catalogue.imported")


def test_an_xlsx_and_a_windows_1250_csv_are_read_too(login, personas, kraj_pak):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    sheet.append(
        [
            "Speciálně pedagogické centrum",
            "",
            "školská",
            "ambulantní",
            None,
            "SPC Chrudim",
            "učení se",
            5304,
            12.5,
            "dětí",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = login(personas.kraj)
    assert upload(client, buffer.getvalue(), "katalog.xlsx").status_code == 302
    spc = db.session.scalars(
        sa.select(CatalogueService).where(CatalogueService.name == "Speciálně pedagogické centrum")
    ).one()
    assert [o.orp.code for o in spc.orps] == ["5304"] and spc.capacity == Decimal("12.5")
    data = csv_file(row("Školní poradenské pracoviště"), encoding="cp1250")
    assert upload(client, data).status_code == 302
    assert kraj_services(kraj_pak) == 2


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "katalog.csv", "Soubor je prázdný"),
        (b"PK\x03\x04 not a workbook", "katalog.xlsx", "nelze přečíst jako sešit"),
        (b"\x00\x01\x02", "katalog.csv", "není textový soubor"),
        (HEADER.encode(), "katalog.csv", "jen záhlaví"),
        ("název;barva\r\nX;modrá".encode(), "katalog.csv", "Neznámý sloupec"),
        ("název;sektor\r\nX;jiná".encode(), "katalog.csv", "Chybí povinný sloupec"),
        (b"%PDF-1.4", "katalog.pdf", "Nahrajte soubor CSV nebo XLSX"),
        (b"x" * (2 * 1024 * 1024 + 1), "katalog.csv", "větší než 2 MB"),
    ],
)
def test_an_unreadable_file_is_refused_in_czech(login, personas, kraj_pak, data, filename, message):
    response = upload(login(personas.kraj), data, filename)
    assert response.status_code == 200 and message in names(response)
    assert kraj_services(kraj_pak) == 0


def test_a_workbook_that_unpacks_to_too_much_is_refused(login, personas, kraj_pak):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (60 * 1024 * 1024))
    response = upload(login(personas.kraj), buffer.getvalue(), "katalog.xlsx")
    assert "po rozbalení příliš velký" in names(response) and kraj_services(kraj_pak) == 0


def test_a_file_with_more_rows_than_allowed_is_refused(login, personas, kraj_pak):
    data = csv_file(*(row(f"Služba {n}") for n in range(2001)))
    response = upload(login(personas.kraj), data)
    assert "více než 2000 řádků" in names(response) and kraj_services(kraj_pak) == 0


def test_the_import_template_imports_as_it_is(login, personas, kraj_pak):
    client = login(personas.kraj)
    template = client.get("/network/catalogue/import/vzor.csv")
    assert template.data.startswith("\ufeff".encode())
    assert upload(client, template.data).status_code == 302
    assert kraj_services(kraj_pak) == 1


# --- the demo ------------------------------------------------------------------------------------------
def test_the_demo_catalogue_has_all_four_sectors_in_every_pilot_orp_and_thin_orps(demo_app):
    from minitendr.seeding.catalogue import THIN

    served = (
        sa.select(CatalogueService.sector, Orp.code).join(CatalogueService.orps).join(Orp).where(catalogue.listed())
    )
    sectors: dict[str, set] = {}
    for sector, code in db.session.execute(served):
        sectors.setdefault(code, set()).add(sector)
    pilot = db.session.scalars(sa.select(Orp.code).join(Orp.kraj).where(sa.text("kraj.code IN ('CZ053', 'CZ041')")))
    for code in pilot:
        assert sectors.get(code) == set(Sector), f"ORP {code} lacks a sector"
    from minitendr.network.models import CatalogueNeed, CatalogueOrp

    def need_count(code: str, need: str) -> int:
        return db.session.scalar(
            sa.select(sa.func.count(sa.distinct(CatalogueService.id)))
            .join(CatalogueOrp)
            .join(Orp)
            .join(CatalogueNeed)
            .where(Orp.code == code, CatalogueNeed.need == need, catalogue.listed())
        )

    for code in THIN:
        assert need_count(code, "bezpeci") == 0, "a thin ORP has a needs area no one meets"
    assert need_count("5309", "bezpeci") > 0 and need_count("5309", "chovani") >= 3
    automatic = db.session.scalars(
        sa.select(CatalogueService).where(CatalogueService.framework_party_id.is_not(None), catalogue.listed())
    ).all()
    assert automatic and all(len(s.orps) < 15 and s.capacity for s in automatic), "the kraj fitted its parties"
