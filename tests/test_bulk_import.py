"""Bulk import of providers and framework parties: all or nothing, each wrong cell reported by row."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.db import db
from minitendr.frameworks.models import FrameworkParty
from minitendr.frameworks.service import add_party, terminate_framework
from minitendr.providers.models import Provider
from minitendr.tabular_import import formula_error
from tests.factories import ProviderFactory, make_framework, valid_ico

PROVIDER_HEADER = "IČO;název;právní forma;sídlo;datová schránka;e-mail;telefon"
PARTY_HEADER = "rámcová smlouva;IČO;přistoupení od;kategorie"
pytestmark = pytest.mark.usefixtures("monday")


def csv_file(header: str, *rows: str, encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join([header, *rows]).encode(encoding)


def upload(client, url: str, data: bytes, filename: str = "soubor.csv", check: bool = False):
    form = {"file": (io.BytesIO(data), filename)}
    form["check" if check else "submit"] = "1"
    return client.post(url, data=form, content_type="multipart/form-data")


def report_of(response) -> str:
    page = response.get_data(as_text=True)
    assert 'id="import-report"' in page, page
    return page.split('id="import-report"')[1].split("</table>")[0]


def providers_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Provider.id))) or 0


def parties_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(FrameworkParty.id))) or 0


def bad_check_digit(n: int) -> str:
    good = valid_ico(n)
    return good[:7] + str((int(good[7]) + 1) % 10)


# --- providers -----------------------------------------------------------------------------------
def test_a_clean_providers_file_is_imported_whole_and_audited(login, personas):
    before = providers_count()
    data = csv_file(
        PROVIDER_HEADER,
        f"{valid_ico(901)};Rodinné centrum Sluníčko, z.ú.;ústav;Pardubice;ABC1234;info@slunicko.cz;+420 466 111 222",
        f"{valid_ico(902)};Poradna Most, z.s.;spolek;;;;",
    )
    response = upload(login(personas.admin), "/providers/import", data)
    assert response.status_code == 302 and response.headers["Location"] == "/providers/"
    assert providers_count() == before + 2
    sun = db.session.scalars(sa.select(Provider).where(Provider.ico == valid_ico(901))).one()
    assert sun.data_box == "abc1234" and sun.phone == "+420 466 111 222"
    created = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "provider.created")).all()
    assert {e.data["ico"] for e in created} == {valid_ico(901), valid_ico(902)}
    summary = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "providers.imported")).one()
    assert summary.data == {"file": "soubor.csv", "rows": 2} and summary.actor_id == personas.admin.id


def test_a_providers_file_with_errors_stores_nothing_and_reports_each_row(login, personas):
    existing = ProviderFactory(name="Už evidovaný, z.ú.")
    db.session.commit()
    before = providers_count()
    data = csv_file(
        PROVIDER_HEADER,
        f"{valid_ico(911)};Dobrý poskytovatel;;;;;",  # row 2: fine on its own
        f"{bad_check_digit(912)};Špatná číslice;;;;;",  # row 3
        f"{valid_ico(911)};Znovu tentýž;;;;;",  # row 4: twice in the file
        f"{existing.ico};Evidovaný;;;;;",  # row 5: already in the register
        f"{valid_ico(913)};;;;;;",  # row 6: no name
        f'{valid_ico(914)};=HYPERLINK("http://zle.example");;;;;',  # row 7: formula injection
        f"{valid_ico(915)};Špatný e-mail;;;;není-adresa;",  # row 8
        "123456789;Dlouhé IČO;;;;;",  # row 9
        f"{valid_ico(916)};Schránka;;;12;;",  # row 10
    )
    response = upload(login(personas.admin), "/providers/import", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "nic z něj nebylo uloženo" in page
    report = report_of(response)
    assert f"<td>3</td><td>IČO</td><td>IČO {bad_check_digit(912)} nemá platnou kontrolní číslici" in report
    assert f"<td>4</td><td>IČO</td><td>IČO {valid_ico(911)} je v souboru už na řádku 2.</td>" in report
    assert f"<td>5</td><td>IČO</td><td>Poskytovatel s IČO {existing.ico} už je evidován (Už evidovaný, z.ú.).</td>" in (
        report
    )
    assert "<td>6</td><td>název</td><td>Vyplňte název poskytovatele.</td>" in report
    assert "<td>7</td><td>název</td><td>Text nesmí začínat znakem „=“" in report
    assert "<td>8</td><td>e-mail</td>" in report
    assert "<td>9</td><td>IČO</td><td>IČO 123456789 musí mít přesně 8 číslic" in report
    assert "<td>10</td><td>datová schránka</td>" in report
    assert "<td>2</td>" not in report
    assert providers_count() == before
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("provider%"))).all()


def test_a_check_shows_what_would_be_imported_and_stores_nothing(login, personas):
    before = providers_count()
    data = csv_file(PROVIDER_HEADER, f"{valid_ico(921)};Náhledové centrum, z.ú.;;Chrudim;;;")
    response = upload(login(personas.admin), "/providers/import", data, check=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="import-preview"' in page
    assert "Import by uložil 1 poskytovatelů" in page and "Náhledové centrum, z.ú." in page
    assert providers_count() == before


def test_an_xlsx_and_a_windows_1250_csv_are_read_too(login, personas):
    before = providers_count()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["IČO", "Název"])  # case and order of columns do not matter, optional ones may be left out
    sheet.append([valid_ico(931), "Centrum z Excelu, o.p.s."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = login(personas.admin)
    assert upload(client, "/providers/import", buffer.getvalue(), "poskytovatele.xlsx").status_code == 302
    data = csv_file(PROVIDER_HEADER, f"{valid_ico(932)};Žluťoučký kůň, z.s.;;;;;", encoding="cp1250")
    assert upload(client, "/providers/import", data).status_code == 302
    assert providers_count() == before + 2
    assert db.session.scalar(sa.select(Provider.name).where(Provider.ico == valid_ico(932))) == "Žluťoučký kůň, z.s."


def test_a_formula_in_an_xlsx_cell_is_refused_not_read_as_its_value(login, personas):
    before = providers_count()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["IČO", "název"])
    sheet.append([valid_ico(941), '=HYPERLINK("http://zle.example","Klikni")'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(login(personas.admin), "/providers/import", buffer.getvalue(), "p.xlsx")
    assert "<td>2</td><td>název</td><td>Text nesmí začínat znakem „=“" in report_of(response)
    assert providers_count() == before


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "p.csv", "Soubor je prázdný"),
        (PROVIDER_HEADER.encode(), "p.csv", "žádného poskytovatele, jen záhlaví"),
        (b"\x00\x01\x02", "p.csv", "není textový soubor"),
        (b"\x81\x83\x88\x90\x98", "p.csv", "není v kódování UTF-8 ani Windows-1250"),
        ("IČO;barva\r\n12345678;modrá".encode(), "p.csv", "Neznámý sloupec"),
        ("název;sídlo\r\nX;Y".encode(), "p.csv", "Chybí povinný sloupec"),
        ("IČO;IČO;název\r\n1;2;X".encode(), "p.csv", "Sloupec je v záhlaví dvakrát"),
        (b"PK\x03\x04 not a workbook", "p.xlsx", "nelze přečíst jako sešit"),
        (b"%PDF-1.4", "p.pdf", "Nahrajte soubor CSV nebo XLSX"),
        (b"x" * (2 * 1024 * 1024 + 1), "p.csv", "větší než 2 MB"),
    ],
    ids=["empty", "header only", "binary", "not utf-8 nor cp1250", "unknown column", "missing column",
         "doubled column", "broken xlsx", "pdf", "huge"],
)  # fmt: skip
def test_an_ugly_providers_file_is_refused_in_czech_and_stores_nothing(login, personas, data, filename, message):
    before = providers_count()
    response = upload(login(personas.admin), "/providers/import", data, filename)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert providers_count() == before


def test_a_file_with_more_rows_than_allowed_is_refused(login, personas):
    rows = [f"{valid_ico(1000 + n)};Poskytovatel {n};;;;;" for n in range(2001)]
    response = upload(login(personas.admin), "/providers/import", csv_file(PROVIDER_HEADER, *rows))
    assert "více než 2000 řádků" in response.get_data(as_text=True)


def test_a_workbook_that_unpacks_to_too_much_is_refused(login, personas):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (60 * 1024 * 1024))
    response = upload(login(personas.admin), "/providers/import", buffer.getvalue(), "p.xlsx")
    assert "po rozbalení příliš velký" in response.get_data(as_text=True)


def test_a_row_with_more_cells_than_the_header_is_an_error(login, personas):
    data = csv_file("IČO;název", f"{valid_ico(951)};Navíc;nečekaná buňka")
    assert "Řádek má víc buněk než záhlaví" in report_of(upload(login(personas.admin), "/providers/import", data))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_providers_templates_in_both_formats_import_as_they_are(login, personas, fmt):
    client = login(personas.admin)
    template = client.get(f"/providers/import/vzor.{fmt}")
    assert template.status_code == 200 and "attachment" in template.headers["Content-Disposition"]
    if fmt == "xlsx":
        rows = list(load_workbook(io.BytesIO(template.data)).active.iter_rows(values_only=True))
        assert rows[0][:2] == ("IČO", "název") and rows[2][0] == "00064581"  # leading zeros kept as text
    else:
        assert template.data.startswith("\ufeff".encode())
    before = providers_count()
    assert upload(client, "/providers/import", template.data, f"vzor.{fmt}").status_code == 302
    assert providers_count() == before + 2


def test_the_phone_number_is_not_taken_for_a_formula():
    assert formula_error("+420 466 000 000") is None and formula_error("-5") is None
    assert formula_error("+cmd|' /C calc'!A0") and formula_error("@SUM(A1)") and formula_error("-2+3")


# --- framework parties ---------------------------------------------------------------------------
@pytest.fixture
def frameworks(kraj_pak, kraj_kvk):
    own = make_framework(kraj_pak, "terenni", [ProviderFactory()], number="RS-PAK-T")
    other = make_framework(kraj_kvk, "terenni", [ProviderFactory()], number="RS-KVK-T")
    ended = make_framework(kraj_pak, "poradenstvi", [ProviderFactory()], number="RS-PAK-OLD")
    terminate_framework(ended, "Vypovězena dohodou stran.")
    db.session.commit()
    return {"own": own, "other": other, "ended": ended}


def test_a_kraj_official_imports_parties_of_their_frameworks(login, personas, frameworks):
    first, second = ProviderFactory(), ProviderFactory()
    db.session.commit()
    since = frameworks["own"].valid_from + dt.timedelta(days=3)
    data = csv_file(
        PARTY_HEADER,
        f"RS-PAK-T;{first.ico};{since.day}. {since.month}. {since.year};terenni",
        f"rs-pak-t;{second.ico};;Terénní a ambulantní služby pro rodiny a děti",
    )
    response = upload(login(personas.kraj), "/frameworks/parties/import", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    parties = {p.provider_id: p for p in frameworks["own"].parties}
    assert parties[first.id].since == since and parties[second.id].since == clock.today()
    summary = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "framework.parties_imported")).one()
    assert summary.object_id == frameworks["own"].id and summary.data["created"] == 2
    added = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "framework.party_added")).all()
    assert {first.ico, second.ico} <= {e.data["provider"] for e in added}


def test_a_parties_file_with_errors_stores_nothing_and_reports_each_row(login, personas, frameworks):
    provider = ProviderFactory()
    inactive = ProviderFactory(active=False)
    already = personas.provider.provider
    add_party(frameworks["own"], already, frameworks["own"].valid_from)
    db.session.commit()
    before = parties_count()
    data = csv_file(
        PARTY_HEADER,
        f"RS-PAK-T;{provider.ico};;",  # row 2: fine on its own
        f"RS-NIC;{provider.ico};;",  # row 3: unknown framework
        f"RS-KVK-T;{provider.ico};;",  # row 4: another kraj's framework reads as unknown
        f"RS-PAK-T;{bad_check_digit(961)};;",  # row 5
        f"RS-PAK-T;{valid_ico(962)};;",  # row 6: not in the register
        f"RS-PAK-T;{provider.ico};;",  # row 7: twice in the file
        f"RS-PAK-T;{already.ico};;",  # row 8: already a party
        f"RS-PAK-T;{inactive.ico};;",  # row 9: inactive provider
        f"RS-PAK-T;{provider.ico};;pobytove",  # row 10: wrong category
        f"RS-PAK-T;{provider.ico};;zahradnictví",  # row 11: unknown category
        f"RS-PAK-T;{provider.ico};31. 2. 2026;",  # row 12: no such day
        f"RS-PAK-T;{provider.ico};1. 1. 2000;",  # row 13: before the framework
        f"RS-PAK-OLD;{provider.ico};;",  # row 14: the framework is over
    )
    response = upload(login(personas.kraj), "/frameworks/parties/import", data)
    assert response.status_code == 200
    report = report_of(response)
    assert "<td>3</td><td>rámcová smlouva</td><td>Rámcová smlouva „RS-NIC“ neexistuje, nebo ji nespravujete." in report
    assert "<td>4</td><td>rámcová smlouva</td><td>Rámcová smlouva „RS-KVK-T“ neexistuje, nebo ji nespravujete." in (
        report
    )
    assert f"<td>5</td><td>IČO</td><td>IČO {bad_check_digit(961)} nemá platnou kontrolní číslici" in report
    assert f"<td>6</td><td>IČO</td><td>Poskytovatel s IČO {valid_ico(962)} není v registru" in report
    assert "<td>7</td><td>IČO</td><td>Tatáž strana téže smlouvy je v souboru už na řádku 2.</td>" in report
    assert "<td>8</td><td>IČO</td>" in report and "už je smluvní stranou smlouvy RS-PAK-T" in report
    assert f"<td>9</td><td>IČO</td><td>Poskytovatel s IČO {inactive.ico} není aktivní.</td>" in report
    assert "<td>10</td><td>kategorie</td><td>Rámcová smlouva RS-PAK-T je pro kategorii" in report
    assert "<td>11</td><td>kategorie</td><td>Neznámá kategorie „zahradnictví“" in report
    assert "<td>12</td><td>přistoupení od</td><td>Datum „31. 2. 2026“" in report
    assert "<td>13</td><td>přistoupení od</td><td>Datum přistoupení musí ležet v době platnosti" in report
    assert "<td>14</td><td>rámcová smlouva</td><td>K rámcové smlouvě RS-PAK-OLD" in report
    assert "<td>2</td>" not in report
    assert parties_count() == before


def test_admin_imports_parties_of_any_kraj(login, personas, frameworks):
    provider = ProviderFactory()
    db.session.commit()
    data = csv_file(PARTY_HEADER, f"RS-KVK-T;{provider.ico};;", f"RS-PAK-T;{provider.ico};;")
    assert upload(login(personas.admin), "/frameworks/parties/import", data).status_code == 302
    assert provider.id in {p.provider_id for p in frameworks["other"].parties}
    assert provider.id in {p.provider_id for p in frameworks["own"].parties}


def test_the_other_kraj_official_cannot_import_into_this_kraj(login, personas, frameworks):
    provider = ProviderFactory()
    db.session.commit()
    response = upload(
        login(personas.kraj_other), "/frameworks/parties/import", csv_file(PARTY_HEADER, f"RS-PAK-T;{provider.ico};;")
    )
    assert "neexistuje, nebo ji nespravujete" in report_of(response)
    assert provider.id not in {p.provider_id for p in frameworks["own"].parties}


@pytest.mark.parametrize("persona", ["ospod", "ministry", "provider"])
def test_only_framework_managers_reach_the_parties_import(login, personas, persona):
    assert login(personas[persona]).get("/frameworks/parties/import").status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_parties_templates_offer_the_columns(login, personas, fmt):
    template = login(personas.kraj).get(f"/frameworks/parties/import/vzor.{fmt}")
    assert template.status_code == 200
    if fmt == "xlsx":
        header = next(load_workbook(io.BytesIO(template.data)).active.iter_rows(values_only=True))
    else:
        header = tuple(template.data.decode("utf-8-sig").splitlines()[0].split(";"))
    assert header == ("rámcová smlouva", "IČO", "přistoupení od", "kategorie")


def test_the_import_pages_link_their_templates(login, personas):
    page = login(personas.admin).get("/providers/import").get_data(as_text=True)
    assert "/providers/import/vzor.csv" in page and "/providers/import/vzor.xlsx" in page
    assert "/providers/import" in login(personas.admin).get("/providers/").get_data(as_text=True)
    assert "/frameworks/parties/import" in login(personas.kraj).get("/frameworks/").get_data(as_text=True)
