"""Importing a kraj's catalogue from a CSV or XLSX file, row by row.

Every row is read and checked first; the report names each wrong cell by its row (as numbered in the
file, the header being row 1) and column. A file with any error stores nothing; a clean one stores
every row as a new entry (audited one by one, and the import itself on the kraj).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from minitendr.audit.service import record
from minitendr.db import DomainError, db
from minitendr.demands.models import NEEDS
from minitendr.network import catalogue
from minitendr.network.models import CatalogueService, Sector, ServiceForm
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MAX_COLUMNS = 40
MAX_UNPACKED = 50 * 1024 * 1024

# Column header (as people write it: case and diacritics do not matter) → field.
COLUMNS = {
    "název": "name",
    "popis": "description",
    "sektor": "sector",
    "forma": "form",
    "IČO": "ico",
    "organizace": "organization",
    "oblasti potřeb": "needs",
    "ORP": "orps",
    "kapacita": "capacity",
    "jednotka kapacity": "capacity_unit",
    "kontaktní osoba": "contact_name",
    "e-mail": "contact_email",
    "telefon": "contact_phone",
    "web": "web",
    "adresa": "address",
}
REQUIRED = ("name", "sector", "form", "needs", "orps")
HEADER = {field: header for header, field in COLUMNS.items()}
ALL_ORPS = {"vse", "vsechna", "vsechny", "*"}


def _plain(text: str) -> str:
    """Lower case without diacritics and extra spaces: how a header or a value is matched."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


PLAIN_COLUMNS = {_plain(header): name for header, name in COLUMNS.items()}


@dataclass(frozen=True)
class RowError:
    row: int  # as numbered in the file: the header is row 1
    column: str  # the column's header, "" for the whole row or file
    message: str


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: list[CatalogueService] = field(default_factory=list)

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors})


class ImportRefused(DomainError):
    """The file had errors: nothing was stored; ``report`` says where."""

    def __init__(self, report: ImportReport):
        super().__init__(
            f"Soubor {report.filename} obsahuje chyby ({len(report.errors)}); nic z něj nebylo uloženo. "
            "Opravte řádky podle přehledu níže a nahrajte jej znovu.",
            field="file",
        )
        self.report = report


# --- reading the file ----------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1250"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1250 decodes nearly every byte; the few it does not land here
        raise DomainError("Soubor CSV není v kódování UTF-8 ani Windows-1250.", field="file")
    if "\x00" in text:
        raise DomainError("Soubor není textový soubor CSV.", field="file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:
        raise DomainError(f"Soubor CSV nelze přečíst: {error}.", field="file") from error


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise DomainError("Soubor nelze přečíst jako sešit Excelu (.xlsx).", field="file") from error
    if unpacked > MAX_UNPACKED:  # a small file that unpacks to gigabytes is not a catalogue
        raise DomainError("Sešit je po rozbalení příliš velký; rozdělte jej na menší.", field="file")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise DomainError("Soubor nelze přečíst jako sešit Excelu (.xlsx).", field="file") from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise DomainError("Sešit nemá žádný list.", field="file")
        rows = []
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, max_row=MAX_ROWS + 2, values_only=True):
            rows.append([_cell(v) for v in row])
        return rows
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as error:
        raise DomainError("Sešit Excelu je poškozený a nelze jej přečíst.", field="file") from error
    finally:
        workbook.close()


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The file's rows as texts, by its kind: a workbook (.xlsx, a zip) or a CSV."""
    if not data:
        raise DomainError("Soubor je prázdný.", field="file")
    if len(data) > MAX_BYTES:
        raise DomainError("Soubor je větší než 2 MB; rozdělte jej na menší.", field="file")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        return _read_csv(data)
    raise DomainError("Nahrajte soubor CSV nebo XLSX.", field="file")


# --- reading one row -----------------------------------------------------------------------------
def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;|\n]", text) if part.strip()]


def _word(text: str) -> str:
    plain = _plain(text)
    return plain.split(" ", 1)[0] if plain else ""


SECTORS = {_word(s.value): s for s in Sector}
FORMS = {_word(f.value): f for f in ServiceForm}
NEED_WORDS = {code: code for code in NEEDS} | {_word(label): code for code, label in NEEDS.items()}


def _row_values(cells: dict[str, str], kraj: Kraj, orps: dict[str, Orp], problems: list[tuple[str, str]]) -> dict:
    values: dict[str, Any] = {k: cells.get(k, "") for k in catalogue.TEXT_FIELDS}
    values["ico"] = cells.get("ico", "")
    sector = _word(cells.get("sector", ""))
    values["sector"] = SECTORS.get(sector)
    if cells.get("sector") and values["sector"] is None:
        problems.append(
            ("sector", f"Neznámý sektor „{cells['sector']}“: pište sociální, zdravotní, školská nebo jiná.")
        )
    form = _word(cells.get("form", ""))
    values["form"] = FORMS.get(form)
    if cells.get("form") and values["form"] is None:
        problems.append(("form", f"Neznámá forma „{cells['form']}“: pište pobytová, ambulantní nebo terénní."))
    needs = []
    for part in _split(cells.get("needs", "")):
        code = NEED_WORDS.get(_word(part))
        if code is None:
            problems.append(
                (
                    "needs",
                    f"Neznámá oblast potřeb „{part}“ "
                    "(vztahy, bezpečí, zdraví, učení se, chování, materiální zajištění).",
                )
            )
        else:
            needs.append(code)
    values["needs"] = needs
    chosen: list[Orp] = []
    for part in _split(cells.get("orps", "")):
        if _plain(part) in ALL_ORPS:
            chosen.extend(orps[key] for key in orps if key.isdigit())
            continue
        orp = orps.get(part) or orps.get(_plain(part))
        if orp is None:
            problems.append(("orps", f"ORP „{part}“ v kraji {kraj.name} není (uveďte kód nebo název ORP, nebo „vše“)."))
        else:
            chosen.append(orp)
    values["orps"] = chosen
    try:
        values["capacity"] = catalogue.parse_capacity(cells.get("capacity", ""))
    except ValueError:
        problems.append(("capacity", f"Kapacita „{cells['capacity']}“ není číslo."))
        values["capacity"] = None
    return values


def check_file(kraj: Kraj, filename: str, data: bytes) -> tuple[ImportReport, list[dict[str, Any]]]:
    """Read and check every row; nothing is stored. Returns the report and the rows' values."""
    report = ImportReport(filename=filename)
    rows = read_rows(filename, data)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise DomainError("Soubor neobsahuje žádné řádky.", field="file")
    header = [_plain(h) for h in rows[0]]
    columns: list[str | None] = []
    for position, name in enumerate(header):
        key = PLAIN_COLUMNS.get(name)
        if name and key is None:
            report.errors.append(RowError(1, rows[0][position], "Neznámý sloupec."))
        if key is not None and key in columns:
            report.errors.append(RowError(1, rows[0][position], "Sloupec je v záhlaví dvakrát."))
        columns.append(key)
    for key in REQUIRED:
        if key not in columns:
            report.errors.append(RowError(1, HEADER[key], "Chybí povinný sloupec."))
    if report.errors:
        raise ImportRefused(report)
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise DomainError(f"Soubor má více než {MAX_ROWS} řádků; rozdělte jej na menší.", field="file")
    orps: dict[str, Orp] = {}
    for orp in catalogue.orps_of(kraj):
        orps[orp.code] = orp
        orps[_plain(orp.name)] = orp
    known = {
        (_plain(name), _plain(organization or provider_name or ""))
        for name, organization, provider_name in db.session.execute(
            sa.select(CatalogueService.name, CatalogueService.organization, Provider.name)
            .outerjoin(Provider, Provider.id == CatalogueService.provider_id)
            .where(CatalogueService.kraj_id == kraj.id)
        )
    }
    prepared = []
    for number, row in enumerate(body, start=2):
        if not any(row):
            continue
        report.rows += 1
        if len(row) > len(columns) and any(row[len(columns) :]):
            report.errors.append(RowError(number, "", "Řádek má víc buněk než záhlaví."))
        cells = {key: value for key, value in zip(columns, row, strict=False) if key is not None}
        problems: list[tuple[str, str]] = []
        values = catalogue.clean(_row_values(cells, kraj, orps, problems))
        reported = {name for name, _ in problems}
        problems += [(name, message) for name, message in catalogue.problems(values, kraj) if name not in reported]
        provider = values.get("provider")
        identity = (
            _plain(values.get("name", "")),
            _plain(values.get("organization") or (provider.name if provider else "")),
        )
        if identity[0] and identity in known:
            problems.append(
                ("name", "Služba se stejným názvem a organizací už v katalogu kraje je (nebo je v souboru dvakrát).")
            )
        known.add(identity)
        for name, message in problems:
            report.errors.append(RowError(number, HEADER.get(name, name), message))
        prepared.append(values)
    if report.rows == 0:
        raise DomainError("Soubor neobsahuje žádnou službu, jen záhlaví.", field="file")
    return report, prepared


def import_file(kraj: Kraj, filename: str, data: bytes) -> ImportReport:
    """Import a file into ``kraj``'s catalogue: all of it, or — with any error — nothing
    (``ImportRefused`` carries the row-by-row report)."""
    report, prepared = check_file(kraj, filename, data)
    if report.errors:
        raise ImportRefused(report)
    for values in prepared:
        provider = values.pop("provider", None)
        if provider is not None:
            values["ico"] = provider.ico
        report.created.append(catalogue.create_service(kraj, source="import", **values))
    record("catalogue.imported", kraj, {"file": filename, "rows": report.rows, "created": len(report.created)})
    return report


def template_csv() -> bytes:
    """An example file with the header and one row (UTF-8 with BOM, semicolons: Excel opens it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(list(COLUMNS))
    writer.writerow(
        [
            "Pedagogicko-psychologická poradna",
            "Diagnostika a poradenství pro děti a rodiče",
            "školská",
            "ambulantní",
            "",
            "PPP Pardubického kraje",
            "učení se, chování",
            "Pardubice, Holice",
            "40",
            "klientů měsíčně",
            "",
            "ppp@example.cz",
            "+420 466 000 000",
            "https://www.example.cz",
            "Sakařova 1, 530 02 Pardubice",
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
