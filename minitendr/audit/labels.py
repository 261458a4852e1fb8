"""How audit events read in Czech on the history tables (the stored action codes stay English)."""

from __future__ import annotations

import datetime as dt

from minitendr import formatting

ACTIONS = {
    "user.created": "Založení účtu",
    "user.activated": "Aktivace účtu",
    "user.deactivated": "Deaktivace účtu",
    "user.password_changed": "Změna hesla",
    "user.password_reset": "Nové heslo odkazem z e-mailu",
    "user.updated": "Změna údajů účtu",
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


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def field_label(field: str) -> str:
    return FIELDS.get(field, field)


# Audit data whose value is a list of items, not an [old, new] pair.
LIST_FIELDS = {"fields", "invited"}


def value_text(value, field: str = "") -> str:
    """An audit value as people read it: [old, new] as "old → new", lists joined, times in Prague."""
    if isinstance(value, list):
        parts = [value_text(item) for item in value]
        return ", ".join(parts) if field in LIST_FIELDS else " → ".join(parts)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return formatting.datetime(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    if value is None:
        return "–"
    return str(value)
