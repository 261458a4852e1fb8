"""Bulk import of providers (admin) and of framework parties (the framework's kraj official, admin).

The file is read by ``minitendr.tabular_import`` (the machinery the catalogue import uses too); here
is what a row means. Every row is checked before anything is stored, duplicates included (within
the file and against the database); a file with any error stores nothing, and its report names each
wrong cell. A clean file is stored whole, through the same services as the forms (so each provider
and each party is audited as if added by hand), and the import itself is audited.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import User
from minitendr.databox import data_box_error, normalize_data_box
from minitendr.db import db
from minitendr.frameworks import service as frameworks
from minitendr.frameworks.models import FrameworkContract
from minitendr.permissions import can_import_parties
from minitendr.providers import service as providers
from minitendr.providers.ico import ico_error, normalize_ico
from minitendr.providers.models import Provider
from minitendr.registry.models import ServiceCategory
from minitendr.tabular_import import ImportRefused, ImportReport, Layout, RowError, plain, read_table

PROVIDERS = Layout(
    {
        "IČO": "ico",
        "název": "name",
        "právní forma": "legal_form",
        "sídlo": "address",
        "datová schránka": "data_box",
        "e-mail": "email",
        "telefon": "phone",
    },
    ("ico", "name"),
    nothing="Soubor neobsahuje žádného poskytovatele, jen záhlaví.",
)
PROVIDER_EXAMPLES = [
    ["25931521", "Rodinné centrum Příklad, z.ú.", "ústav", "Masarykovo nám. 1, 530 02 Pardubice", "", "", ""],
    ["00064581", "Poradna pro rodinu, z.s.", "spolek", "", "abc1234", "poradna@example.cz", "+420 466 000 000"],
]
PARTIES = Layout(
    {"rámcová smlouva": "framework", "IČO": "ico", "přistoupení od": "since", "kategorie": "category"},
    ("framework", "ico"),
    nothing="Soubor neobsahuje žádnou smluvní stranu, jen záhlaví.",
)
PARTY_EXAMPLES = [
    ["RS-PAK-2026-01", "25931521", "1. 1. 2026", "Terénní a ambulantní služby pro rodiny a děti"],
    ["RS-PAK-2026-01", "00064581", "", ""],
]
LIMITS = {"name": 200, "legal_form": 100, "address": 300, "email": 254, "phone": 40}
PHONE = re.compile(r"\+?[\d ]{9,20}")
DATE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})|(\d{4})-(\d{2})-(\d{2})")


@dataclass
class Checked:
    """A file read and checked: its report and, when clean, what each row stores."""

    report: ImportReport
    rows: list[dict[str, Any]]


def _refuse_with_errors(checked: Checked) -> None:
    if checked.report.errors:
        raise ImportRefused(checked.report)


# --- providers ---------------------------------------------------------------------------------------
def _provider_row(number: int, cells: dict[str, str], seen: dict[str, int], report: ImportReport) -> dict:
    errors = report.errors
    header = PROVIDERS.header
    raw_ico = cells.get("ico", "")
    ico = normalize_ico(raw_ico)
    if not raw_ico:
        errors.append(RowError(number, header("ico"), "Vyplňte IČO."))
    elif message := ico_error(ico):
        errors.append(RowError(number, header("ico"), _ico_message(raw_ico, message)))
    elif ico in seen:
        errors.append(RowError(number, header("ico"), f"IČO {ico} je v souboru už na řádku {seen[ico]}."))
    else:
        seen[ico] = number
    values = {"ico": ico, **{name: cells.get(name, "") for name in LIMITS}}
    if not values["name"]:
        errors.append(RowError(number, header("name"), "Vyplňte název poskytovatele."))
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors.append(RowError(number, header(name), f"Text je delší než {limit} znaků."))
    values["data_box"] = normalize_data_box(cells.get("data_box"))
    if values["data_box"] and (message := data_box_error(values["data_box"])):
        errors.append(RowError(number, header("data_box"), message))
    if values["email"]:
        try:
            validate_email(values["email"], check_deliverability=False)
        except EmailNotValidError:
            errors.append(RowError(number, header("email"), f"„{values['email']}“ není platná e-mailová adresa."))
    if values["phone"] and not PHONE.fullmatch(values["phone"]):
        errors.append(RowError(number, header("phone"), "Telefon pište číslicemi, případně s +420 na začátku."))
    return values


def _ico_message(typed: str, message: str) -> str:
    """What is wrong with an IČO, saying which: ``IČO 12345678 nemá platnou kontrolní číslici…``."""
    return f"IČO {typed} {message.removeprefix('IČO ')}"


def check_providers(filename: str, data: bytes) -> Checked:
    """Read and check a providers file; nothing is stored."""
    report = ImportReport(filename=filename)
    rows = read_table(PROVIDERS, report, data)
    seen: dict[str, int] = {}
    prepared = [_provider_row(number, cells, seen, report) for number, cells in rows]
    stmt = sa.select(Provider.ico, Provider.name).where(Provider.ico.in_(list(seen)))
    known = {ico: name for ico, name in db.session.execute(stmt)}
    for ico, number in seen.items():
        if ico in known:
            report.errors.append(
                RowError(number, PROVIDERS.header("ico"), f"Poskytovatel s IČO {ico} už je evidován ({known[ico]}).")
            )
    report.errors.sort(key=lambda e: e.row)
    return Checked(report, prepared)


def import_providers(filename: str, data: bytes, actor: User, dry_run: bool = False) -> ImportReport:
    """Register every provider of a clean file, or — with any error — none (``ImportRefused``)."""
    checked = check_providers(filename, data)
    _refuse_with_errors(checked)
    checked.report.checked_only = dry_run
    if dry_run:
        checked.report.created = checked.rows
        return checked.report
    for values in checked.rows:
        checked.report.created.append(providers.create_provider(**values))
    record("providers.imported", actor, {"file": filename, "rows": checked.report.rows}, actor=actor)
    return checked.report


# --- framework parties -------------------------------------------------------------------------------
def parse_date(text: str) -> dt.date | None:
    """``1. 1. 2026``, ``1.1.2026`` or ``2026-01-01``; None when it is none of them or no day."""
    match = DATE.fullmatch(text.strip())
    if not match:
        return None
    day, month, year = (match.group(1), match.group(2), match.group(3)) if match.group(1) else match.group(6, 5, 4)
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _default_since(framework: FrameworkContract) -> dt.date:
    """Today, kept within the framework's validity."""
    return min(max(clock.today(), framework.valid_from), framework.valid_to)


def check_parties(filename: str, data: bytes, actor: User) -> Checked:
    """Read and check a framework parties file; nothing is stored. Each row's framework must be one
    the actor manages (a framework of another kraj reads as unknown: the file learns nothing of it)."""
    report = ImportReport(filename=filename)
    rows = read_table(PARTIES, report, data)
    header = PARTIES.header
    numbers = {plain(cells.get("framework", "")) for _n, cells in rows}
    found = db.session.scalars(sa.select(FrameworkContract).where(sa.func.lower(FrameworkContract.number).in_(numbers)))
    by_number = {plain(f.number): f for f in found if can_import_parties(actor, f)}
    icos = {normalize_ico(cells.get("ico", "")) for _n, cells in rows}
    by_ico = {p.ico: p for p in db.session.scalars(sa.select(Provider).where(Provider.ico.in_(icos)))}
    categories = {}
    for known in db.session.scalars(sa.select(ServiceCategory)):
        categories[plain(known.code)] = categories[plain(known.name)] = known
    seen: dict[tuple[int, int], int] = {}
    prepared = []
    for number, cells in rows:
        before = len(report.errors)
        named = cells.get("framework", "")
        framework = by_number.get(plain(named))
        if not named:
            report.errors.append(RowError(number, header("framework"), "Vyplňte číslo rámcové smlouvy."))
        elif framework is None:
            report.errors.append(
                RowError(number, header("framework"), f"Rámcová smlouva „{named}“ neexistuje, nebo ji nespravujete.")
            )
        elif not framework.can_be_changed:
            report.errors.append(
                RowError(
                    number,
                    header("framework"),
                    f"K rámcové smlouvě {framework.number}, která {framework.state.label}, nelze přidávat strany.",
                )
            )
        raw_ico = cells.get("ico", "")
        ico = normalize_ico(raw_ico)
        provider = by_ico.get(ico)
        if not raw_ico:
            report.errors.append(RowError(number, header("ico"), "Vyplňte IČO."))
        elif message := ico_error(ico):
            report.errors.append(RowError(number, header("ico"), _ico_message(raw_ico, message)))
        elif provider is None:
            report.errors.append(
                RowError(number, header("ico"), f"Poskytovatel s IČO {ico} není v registru; nejdřív jej zaevidujte.")
            )
        elif not provider.active:
            report.errors.append(RowError(number, header("ico"), f"Poskytovatel s IČO {ico} není aktivní."))
        category_text = cells.get("category", "")
        category = categories.get(plain(category_text))
        if category_text and category is None:
            report.errors.append(
                RowError(
                    number,
                    header("category"),
                    f"Neznámá kategorie „{category_text}“ (pobytove, poradenstvi nebo terenni, nebo její název).",
                )
            )
        elif category is not None and framework is not None and category.id != framework.category_id:
            report.errors.append(
                RowError(
                    number,
                    header("category"),
                    f"Rámcová smlouva {framework.number} je pro kategorii {framework.category.name}, "
                    f"ne {category.name}.",
                )
            )
        since_text = cells.get("since", "")
        since = parse_date(since_text) if since_text else None
        if since_text and since is None:
            report.errors.append(
                RowError(number, header("since"), f"Datum „{since_text}“ pište jako 1. 1. 2026 (den. měsíc. rok).")
            )
        if framework is not None and provider is not None and len(report.errors) == before:
            since = since or _default_since(framework)
            key = (framework.id, provider.id)
            if not framework.valid_from <= since <= framework.valid_to:
                report.errors.append(
                    RowError(
                        number,
                        header("since"),
                        f"Datum přistoupení musí ležet v době platnosti smlouvy {framework.number} "
                        f"({framework.valid_from:%d. %m. %Y}–{framework.valid_to:%d. %m. %Y}).",
                    )
                )
            elif key in seen:
                report.errors.append(
                    RowError(number, header("ico"), f"Tatáž strana téže smlouvy je v souboru už na řádku {seen[key]}.")
                )
            elif any(party.provider_id == provider.id for party in framework.parties):
                report.errors.append(
                    RowError(
                        number, header("ico"), f"{provider.name} už je smluvní stranou smlouvy {framework.number}."
                    )
                )
            seen.setdefault(key, number)
        prepared.append({"framework": framework, "provider": provider, "since": since})
    return Checked(report, prepared)


def import_parties(filename: str, data: bytes, actor: User, dry_run: bool = False) -> ImportReport:
    """Add every party of a clean file to its framework, or — with any error — none."""
    checked = check_parties(filename, data, actor)
    _refuse_with_errors(checked)
    checked.report.checked_only = dry_run
    if dry_run:
        checked.report.created = checked.rows
        return checked.report
    added: dict[int, int] = {}
    for row in checked.rows:
        checked.report.created.append(frameworks.add_party(row["framework"], row["provider"], row["since"]))
        added[row["framework"].id] = added.get(row["framework"].id, 0) + 1
    for framework_id, count in added.items():
        framework = db.session.get(FrameworkContract, framework_id)
        record("framework.parties_imported", framework, {"file": filename, "created": count}, actor=actor)
    return checked.report
