"""How audit events read in Czech on the history tables (the stored action codes stay English)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context

from minitendr import formatting

ACTIONS = {
    "user.created": "Založení účtu",
    "user.activated": "Aktivace účtu",
    "user.deactivated": "Deaktivace účtu",
    "user.password_changed": "Změna hesla",
    "user.password_reset": "Nové heslo odkazem z e-mailu",
    "user.updated": "Změna údajů účtu",
    "user.reminders_changed": "Změna nastavení připomínek",
    "providers.imported": "Hromadný import poskytovatelů",
    "framework.parties_imported": "Hromadný import smluvních stran",
    "provider.created": "Zaevidování poskytovatele",
    "provider.updated": "Změna údajů poskytovatele",
    "service_type.created": "Nový typ služby",
    "service_type.updated": "Změna typu služby",
    "framework.created": "Založení návrhu",
    "framework.updated": "Změna smlouvy",
    "framework.activated": "Aktivace",
    "framework.terminated": "Ukončení",
    "framework.deleted": "Smazání návrhu",
    "framework.party_added": "Přistoupení smluvní strany",
    "framework.party_suspended": "Pozastavení smluvní strany",
    "framework.party_reinstated": "Obnovení smluvní strany",
    "framework.party_withdrawn": "Vystoupení smluvní strany",
    "demand.created": "Založení konceptu",
    "demand.updated": "Úprava konceptu",
    "demand.deleted": "Smazání konceptu",
    "demand.published": "Zveřejnění a pozvánky",
    "demand.cancelled": "Zrušení",
    "demand.question_asked": "Dotaz poskytovatele",
    "demand.question_answered": "Odpověď na dotaz",
    "demand.awarded": "Zadání (výběr dodavatele)",
    "demand.unsuccessful": "Ukončení bez výběru",
    "demand.reissued": "Nové vypsání",
    "demand.envelopes_opened": "Otevření obálek",
    "bid.submitted": "Podání nabídky",
    "bid.withdrawn": "Stažení nabídky",
    "bid.scored": "Hodnocení kvality",
    "committee.member_named": "Jmenování člena hodnoticí komise",
    "committee.member_removed": "Odvolání člena hodnoticí komise",
    "committee.no_conflict_declared": "Prohlášení o neexistenci střetu zájmů",
    "committee.conflict_declared": "Oznámení střetu zájmů (člen vyřazen z komise)",
    "bid.excluded": "Vyřazení nabídky",
    "subcontract.created": "Uzavření dílčí smlouvy",
    "subcontract.amended": "Dodatek",
    "subcontract.completed": "Dokončení",
    "subcontract.terminated": "Předčasné ukončení",
    "subcontract.registry_published": "Zveřejnění v registru smluv",
    "subcontract.amendment_published": "Zveřejnění dodatku v registru smluv",
    "kraj.publisher_updated": "Údaje kraje pro registr smluv",
    "drawdown.reported": "Vykázání čerpání",
    "drawdown.confirmed": "Potvrzení čerpání",
    "drawdown.rejected": "Zamítnutí čerpání",
    # --- service network: the kraj's model
    "network_model.created": "Založení modelu sítě",
    "network_model.changed": "Změna modelu sítě",
    "network_model.targets": "Změna cílů modelu sítě",
    # Documents (minitendr.documents)
    "framework.templates_changed": "Změna šablon dokumentů",
    "subcontract.document_issued": "Vystavení dokumentu",
    "demand.document_issued": "Vystavení dokumentu",
    "document.downloaded": "Stažení dokumentu",
    # katalog služeb
    "catalogue.created": "Zařazení služby do katalogu",
    "catalogue.updated": "Změna služby v katalogu",
    "catalogue.activated": "Návrat služby do katalogu",
    "catalogue.deactivated": "Vyřazení služby z katalogu",
    "catalogue.imported": "Import katalogu služeb",
    # outcomes
    "subcontract.outcome_recorded": "Záznam výsledku",
    "subcontract.final_report": "Závěrečná zpráva poskytovatele",
    "follow_up.created": "Nová položka „co následovalo“",
    "follow_up.retired": "Vyřazení položky „co následovalo“",
    "follow_up.reinstated": "Vrácení položky „co následovalo“",
    # kraj notices
    "notice.sent": "Odeslání oznámení kraje",
    "notice.read": "Přečtení oznámení kraje",
    # personal API tokens
    "api_token.created": "Vytvoření API tokenu",
    "api_token.revoked": "Zrušení API tokenu",
}

FIELDS = {
    "active": "aktivní",
    "active_parties": "aktivní strany",
    "address": "sídlo",
    "binding": "vazba",
    "bid_period_days": "lhůta (prac. dny)",
    "category": "kategorie",
    "category_id": "kategorie",
    "ceiling": "strop (Kč)",
    "code": "kód",
    "clarification": "dotaz č.",
    "deadline": "lhůta",
    "email": "e-mail",
    "fields": "změněná pole",
    "read_only": "jen pro čtení",
    "token": "token č.",
    "amount": "částka (Kč)",
    "drawdown": "čerpání č.",
    "document": "dokument",
    "sha256": "otisk SHA-256",
    "size": "velikost (B)",
    "stored": "uložen",
    "end_date": "konec plnění",
    "period": "období",
    "published_on": "zveřejněno",
    "registry_id": "ID v registru",
    "registry_version": "ID verze v registru",
    "source": "zdroj",
    "data_box": "datová schránka",
    "official_name": "úřední název",
    "seq": "dodatek č.",
    "spent": "vyčerpáno (Kč)",
    "units": "jednotky",
    "bids": "nabídky",
    "demand": "poptávka",
    "new": "nová poptávka",
    "note": "odůvodnění",
    "quality_score": "kvalita (b.)",
    "replaces": "nahrazuje nabídku",
    "subcontract": "dílčí smlouva",
    "value": "hodnota (Kč)",
    "winner": "vítěz (IČO)",
    "framework": "rámcová smlouva",
    "invited": "pozvaní (IČO)",
    "ico": "IČO",
    "indicative_unit_price": "orientační cena (Kč)",
    "kraj": "kraj",
    "legal_form": "právní forma",
    "name": "název",
    "number": "číslo",
    "phone": "telefon",
    "price_weight": "váha ceny (%)",
    "provider": "poskytovatel (IČO)",
    "quality_weight": "váha kvality (%)",
    "reason": "důvod",
    "role": "role",
    "service_type": "typ služby",
    "since": "od",
    "title": "název",
    "unit": "jednotka",
    "valid_from": "platnost od",
    "valid_to": "platnost do",
    # --- service network: the kraj's model
    "unmet_threshold": "práh nezadaných (%)",
    "single_bid_threshold": "práh jediné nabídky (%)",
    "copied_from": "převzato z modelu",
    "orp": "ORP",
    "changes": "změny",
    # katalog služeb
    "sector": "sektor",
    "form": "forma",
    "organization": "organizace",
    "needs": "oblasti potřeb",
    "orps": "ORP",
    "capacity": "kapacita",
    "capacity_unit": "jednotka kapacity",
    "contact_name": "kontaktní osoba",
    "contact_email": "kontaktní e-mail",
    "contact_phone": "telefon",
    "web": "web",
    "description": "popis",
    "party_status": "stav smluvní strany",
    "file": "soubor",
    "rows": "řádků",
    "created": "založeno",
    # outcomes
    "result": "výsledek",
    "follow_up": "co následovalo",
    "label": "položka",
    "text": "text",
    # accounts
    "manages_colleagues": "spravuje účty kolegů",
}


def _reminder_fields() -> dict[str, str]:
    """The keys of "user.reminders_changed": one per kind of reminder (minitendr.reminders.service)."""
    from minitendr.reminders.models import ReminderKind

    return {f"reminder_{kind.value}": f"připomínka „{kind.label}“" for kind in ReminderKind}


FIELDS.update(_reminder_fields())


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def field_label(field: str) -> str:
    return FIELDS.get(field, field)


# Names of the demand's fields listed by "demand.updated" (which says what changed, never the text).
FIELDS.update(
    {
        "case_reference": "spisová značka",
        "need_description": "popis potřeby",
        "expected_outcome": "očekávaný výsledek",
        "place": "místo poskytování",
        "volume": "rozsah",
        "start_date": "začátek",
        "estimated_max_value": "předpokládaná max. hodnota (Kč)",
        "contact_name": "kontaktní osoba",
        "contact_email": "kontaktní e-mail",
        "contact_phone": "kontaktní telefon",
        "service_type_id": "typ služby",
        "member": "člen komise",
        "unit_price": "jednotková cena (Kč)",
        "signed_on": "uzavřena",
        "status": "stav",
    }
)

# Objects the trail records events of, as people call them.
OBJECTS = {
    "demand": "poptávka",
    "bid": "nabídka",
    "subcontract": "dílčí smlouva",
    "framework_contract": "rámcová smlouva",
    "provider": "poskytovatel",
    "user_account": "uživatelský účet",
    "service_type": "typ služby",
    "kraj": "kraj",
    "network_model": "model sítě",
    "catalogue_service": "služba v katalogu",
    "follow_up": "položka „co následovalo“",
    "document": "dokument",
}


def object_label(object_type: str) -> str:
    return OBJECTS.get(object_type, object_type)


# Audit data whose value is a list of items, not an [old, new] pair.
LIST_FIELDS = {"fields", "invited", "needs", "orps"}
MONEY_FIELDS = {"amount", "ceiling", "estimated_max_value", "indicative_unit_price", "spent", "unit_price", "value"}
DATE_FIELDS = {"end_date", "published_on", "signed_on", "since", "start_date", "valid_from", "valid_to"}
PERCENT_FIELDS = {"price_weight", "quality_weight", "single_bid_threshold", "unmet_threshold"}
NUMBER_FIELDS = {"units": 2, "volume": 2, "capacity": 0, "size": 0, "rows": 0, "created": 0, "bids": 0}


def _enum_labels() -> dict[str, dict[str, str]]:
    """The labelled enums an event may name a member of, by the field that holds it."""
    from minitendr.auth.models import Role
    from minitendr.demands.models import NEEDS
    from minitendr.documents.models import DocumentKind
    from minitendr.frameworks.models import PartyStatus
    from minitendr.network.models import Sector, ServiceForm
    from minitendr.outcomes.models import OutcomeResult

    def of(kind) -> dict[str, str]:
        return {member.value: member.label for member in kind}

    return {
        "role": of(Role),
        "document": of(DocumentKind),
        "party_status": of(PartyStatus),
        "sector": of(Sector),
        "form": of(ServiceForm),
        "result": of(OutcomeResult),
        "needs": dict(NEEDS),
    }


# Fields that hold a code (or id) of a register row, named by the row's name.
NAMED_FIELDS = {
    "category": "category",
    "category_id": "category",
    "service_type": "service_type",
    "service_type_id": "service_type",
    "kraj": "kraj",
    "orp": "orp",
}


def _register_models() -> dict[str, Any]:
    from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType

    return {"category": ServiceCategory, "service_type": ServiceType, "kraj": Kraj, "orp": Orp}


def _cache() -> dict[str, dict[object, str]]:
    return g.setdefault("audit_names", {}) if has_app_context() else {}


def load_names(events: Iterable[Any]) -> None:
    """Name the register rows (categories, service types, kraje, ORPs) that a page of events mentions,
    in one statement, always one: a page costs the same whatever its events say."""
    from minitendr.db import db

    wanted: dict[str, set[object]] = {kind: set() for kind in _register_models()}
    for event in events:
        for key, value in (event.data or {}).items():
            if key in NAMED_FIELDS:
                items = value if isinstance(value, list) else [value]
                wanted[NAMED_FIELDS[key]].update(item for item in items if isinstance(item, str | int))
    parts = []
    for kind, model in _register_models().items():
        codes = {str(item) for item in wanted[kind]}
        ids = {item for item in wanted[kind] if isinstance(item, int)}
        parts.append(
            sa.select(sa.literal(kind, sa.String), model.id, model.code, model.name).where(
                sa.or_(model.code.in_(codes), model.id.in_(ids))
            )
        )
    cache = _cache()
    for kind in wanted:
        cache.setdefault(kind, {})
    for kind, id_, code, name in db.session.execute(sa.union_all(*parts)):
        cache[kind].update({id_: name, code: name})


def _names(kind: str) -> dict[object, str]:
    """Codes and ids of one register's rows → their names: those ``load_names`` read for the page,
    else the whole register (read once per request)."""
    from minitendr.db import db

    cache = _cache()
    if kind not in cache:
        model = _register_models()[kind]
        rows = db.session.execute(sa.select(model.id, model.code, model.name)).all()
        cache[kind] = {key: name for id_, code, name in rows for key in (id_, code)}
    return cache[kind]


def _field_value(value: object, field: str) -> str:
    """One value of ``field`` as people read it: money, dates, percentages and enum members in Czech."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ano" if value else "ne"
    try:
        if field in MONEY_FIELDS:
            return formatting.money(Decimal(str(value)))
        if field in PERCENT_FIELDS:
            share = Decimal(str(value))
            return formatting.number(share, 0 if share == share.to_integral_value() else 2) + "\xa0%"
        if field in NUMBER_FIELDS:
            return formatting.number(Decimal(str(value)), NUMBER_FIELDS[field])
        if field == "quality_score":
            return formatting.number(Decimal(str(value)), 0) + " b."
    except (InvalidOperation, ValueError):
        return str(value)
    if isinstance(value, str):
        if len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
            try:
                return formatting.datetime(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        if field in DATE_FIELDS or field == "period":
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                return value
            return f"{day:%m/%Y}" if field == "period" else formatting.date(day)
    if field in NAMED_FIELDS:
        return _names(NAMED_FIELDS[field]).get(value, str(value))
    enums = _enum_labels().get(field)
    if enums is not None and isinstance(value, str):
        if "," in value:  # the catalogue keeps its areas as one text ("bezpeci, vztahy")
            return ", ".join(enums.get(part.strip(), part.strip()) for part in value.split(","))
        return enums.get(value, value)
    return str(value)


def value_text(value, field: str = "") -> str:
    """An audit value as people read it: [old, new] as "old → new", lists joined, money, dates and
    codes in Czech (never "26304.00" or "terenni"), times in Prague."""
    if isinstance(value, dict):
        return "; ".join(f"{_key_label(k)}: {value_text(v, k)}" for k, v in value.items())
    if isinstance(value, list):
        if field == "fields":
            return ", ".join(field_label(str(item)) for item in value)
        if field in LIST_FIELDS and not any(isinstance(item, list) for item in value):
            return ", ".join(_field_value(item, field) for item in value)
        return " → ".join(value_text(item, field) for item in value)
    return _field_value(value, field)


def _key_label(key: str) -> str:
    """A key of an event's data: a field, or a needs area (a network model's targets per area)."""
    from minitendr.demands.models import NEEDS

    return FIELDS.get(key) or NEEDS.get(key) or key


def details(event) -> list[tuple[str, str]]:
    """What an event says, as (label, text) pairs in Czech: the one reading of an event that the
    object's history, the audit log and its exports share."""
    return [(_key_label(key), value_text(value, key)) for key, value in (event.data or {}).items()]
