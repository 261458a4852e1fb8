"""Importing a kraj's catalogue from a CSV or XLSX file, row by row.

Every row is read and checked first; the report names each wrong cell by its row (as numbered in the
file, the header being row 1) and column. A file with any error stores nothing; a clean one stores
every row as a new entry (audited one by one, and the import itself on the kraj).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from minitendr.audit.service import record
from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.network import catalogue
from minitendr.network.models import CatalogueService, Sector, ServiceForm
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp
from minitendr.tabular_import import (
    MAX_BYTES,
    ImportRefused,
    ImportReport,
    Layout,
    RowError,
    read_table,
)
from minitendr.tabular_import import plain as _plain
from minitendr.tabular_import import template_csv as _template_csv

__all__ = ["MAX_BYTES", "ImportRefused", "ImportReport", "RowError", "check_file", "import_file", "template_csv"]

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
LAYOUT = Layout(COLUMNS, REQUIRED, nothing="Soubor neobsahuje žádnou službu, jen záhlaví.")
ALL_ORPS = {"vse", "vsechna", "vsechny", "*"}


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
    rows = read_table(LAYOUT, report, data)
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
    for number, cells in rows:
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


EXAMPLE = [
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


def template_csv() -> bytes:
    """An example file with the header and one row (UTF-8 with BOM, semicolons: Excel opens it)."""
    return _template_csv(LAYOUT, [EXAMPLE])
