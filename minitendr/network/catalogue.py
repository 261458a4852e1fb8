"""The katalog služeb: keeping a kraj's catalogue (by hand, by import, and automatically for the
framework parties) and searching it.

A kraj official keeps the services of their kraj; every active party of an active framework has one
entry per service type of the framework's category, made and switched off here when the framework or
the party changes (``sync_party``), which the kraj may then fit: needs areas, ORPs served, capacity.
Every change writes an audit event in the same transaction. Functions flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import Role, User
from minitendr.db import DomainError, db
from minitendr.demands.models import NEEDS
from minitendr.frameworks.models import FrameworkContract, FrameworkParty, FrameworkStatus, PartyStatus
from minitendr.network import catalogue_totals
from minitendr.network.models import CatalogueNeed, CatalogueOrp, CatalogueService, Sector, ServiceForm
from minitendr.pagination import Page, Sort, paginate
from minitendr.privacy import BIRTH_NUMBER_MESSAGE, find_birth_number
from minitendr.providers.ico import ico_error, normalize_ico
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceType

# --- what a framework party's service type means for the catalogue --------------------------------
# The needs areas a service type meets unless the kraj says otherwise (its ORPs: all of the kraj's).
DEFAULT_NEEDS: dict[str, tuple[str, ...]] = {
    "ZDVOP": ("bezpeci", "materialni", "zdravi"),
    "AD": ("materialni", "bezpeci", "vztahy"),
    "DPC": ("materialni", "uceni", "chovani"),
    "KP-P": ("bezpeci", "vztahy"),
    "ODL-P": ("zdravi", "vztahy"),
    "OSP": ("vztahy", "materialni"),
    "PSYDG": ("zdravi", "chovani", "uceni"),
    "MED": ("vztahy",),
    "TER": ("vztahy", "chovani"),
    "KP-A": ("bezpeci", "vztahy"),
    "SAS": ("vztahy", "uceni", "materialni"),
    "TP": ("bezpeci", "materialni"),
    "NZDM": ("chovani", "uceni", "vztahy"),
    "RP": ("zdravi", "uceni"),
    "DOPR": ("vztahy", "uceni"),
    "AK": ("vztahy", "bezpeci"),
}
# A service type of none of these: the needs areas of its category.
CATEGORY_NEEDS: dict[str, tuple[str, ...]] = {
    "pobytove": ("bezpeci", "materialni"),
    "poradenstvi": ("vztahy", "chovani"),
    "terenni": ("vztahy", "uceni"),
}
CATEGORY_FORM = {"pobytove": ServiceForm.POBYTOVA, "poradenstvi": ServiceForm.AMBULANTNI}
TYPE_FORM = {"NZDM": ServiceForm.AMBULANTNI}

# The fields the kraj may change on an automatic entry; the rest comes from the framework party.
AUTOMATIC_EDITABLE = ("needs", "orps", "capacity", "capacity_unit")
TEXT_FIELDS = {
    "name": 200,
    "description": 2000,
    "organization": 200,
    "capacity_unit": 40,
    "contact_name": 120,
    "contact_email": 254,
    "contact_phone": 40,
    "web": 300,
    "address": 300,
}
EDITABLE = (
    "name",
    "description",
    "sector",
    "form",
    "organization",
    "ico",
    "needs",
    "orps",
    "capacity",
    "capacity_unit",
    "contact_name",
    "contact_email",
    "contact_phone",
    "web",
    "address",
)
MAX_CAPACITY = Decimal("1000000")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def default_needs(service_type: ServiceType) -> list[str]:
    return list(DEFAULT_NEEDS.get(service_type.code) or CATEGORY_NEEDS.get(service_type.category.code, ("vztahy",)))


def default_form(service_type: ServiceType) -> ServiceForm:
    return TYPE_FORM.get(service_type.code) or CATEGORY_FORM.get(service_type.category.code, ServiceForm.TERENNI)


def default_sector(service_type: ServiceType) -> Sector:
    """A registered social service when the type stands on zákon 108/2006 Sb.; the others (OSPOD's own
    services under zákon 359/1999 Sb., mediation) are of no sector the catalogue names: "jiná"."""
    return Sector.SOCIALNI if "108/2006" in service_type.legal_basis else Sector.JINA


# --- which entries are listed --------------------------------------------------------------------
def listed() -> sa.ColumnElement[bool]:
    """The entries a search, the open data and the coverage count: active, and an automatic entry
    only while its framework is in force (a framework expires by its date, without a write)."""
    today = clock.today()
    in_force = (
        sa.select(FrameworkParty.id)
        .join(FrameworkContract, FrameworkContract.id == FrameworkParty.framework_id)
        .where(
            FrameworkParty.id == CatalogueService.framework_party_id,
            FrameworkContract.valid_from <= today,
            FrameworkContract.valid_to >= today,
        )
        .exists()
    )
    return sa.and_(CatalogueService.active.is_(True), sa.or_(CatalogueService.framework_party_id.is_(None), in_force))


def is_listed(service: CatalogueService) -> bool:
    """``listed()`` for a loaded entry."""
    if not service.active:
        return False
    party = service.framework_party
    return party is None or party.framework.valid_from <= clock.today() <= party.framework.valid_to


# --- checking what a person typed or a file says -------------------------------------------------
def problems(values: Mapping[str, Any], kraj: Kraj) -> list[tuple[str, str]]:
    """What is wrong with the values of an entry of ``kraj``: (field, Czech message) pairs, empty
    when they may be stored. ``values`` are those ``clean`` returns."""
    found: list[tuple[str, str]] = []
    if not values.get("name"):
        found.append(("name", "Vyplňte název služby."))
    for name, limit in TEXT_FIELDS.items():
        if len(values.get(name) or "") > limit:
            found.append((name, f"Text může mít nejvýše {limit} znaků."))
    if not isinstance(values.get("sector"), Sector):
        found.append(("sector", "Vyberte sektor: sociální, zdravotní, školská nebo jiná."))
    if not isinstance(values.get("form"), ServiceForm):
        found.append(("form", "Vyberte formu: pobytová, ambulantní nebo terénní."))
    ico = values.get("ico")
    if ico and ico_error(ico):
        found.append(("ico", ico_error(ico) or ""))
    if values.get("provider") is None and not values.get("organization"):
        found.append(
            ("organization", "Vyplňte organizaci, která službu poskytuje, nebo IČO registrovaného poskytovatele.")
        )
    needs = values.get("needs") or []
    if not needs:
        found.append(("needs", "Vyberte alespoň jednu oblast potřeb, kterou služba naplňuje."))
    elif any(n not in NEEDS for n in needs):
        found.append(("needs", "Neznámá oblast potřeb."))
    orps = values.get("orps") or []
    if not orps:
        found.append(("orps", "Vyberte alespoň jedno ORP, kterému služba slouží."))
    elif any(orp.kraj_id != kraj.id for orp in orps):
        found.append(("orps", f"Služba v katalogu kraje {kraj.name} může sloužit jen ORP tohoto kraje."))
    capacity = values.get("capacity")
    if capacity is not None:
        if not capacity.is_finite() or capacity <= 0 or capacity > MAX_CAPACITY:
            found.append(("capacity", "Kapacita musí být kladné číslo nejvýše 1 000 000."))
        elif capacity != capacity.quantize(Decimal("0.01")):
            found.append(("capacity", "Kapacitu zadejte nejvýše na dvě desetinná místa."))
        elif not values.get("capacity_unit"):
            found.append(("capacity_unit", "Uveďte jednotku kapacity (např. lůžka, klienti, hodiny týdně)."))
    email = values.get("contact_email")
    if email and not EMAIL.fullmatch(email):
        found.append(("contact_email", "Zadejte platnou e-mailovou adresu."))
    web = values.get("web")
    if web and not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", web):
        found.append(("web", "Webovou adresu zadejte celou, např. https://www.example.cz."))
    for name in ("name", "description", "organization", "contact_name", "address"):
        if find_birth_number(values.get(name)):
            found.append((name, BIRTH_NUMBER_MESSAGE))
    return found


def clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The values as they are stored: texts stripped, the IČO normalised and, when a registered
    provider has it, that provider found (``provider``), needs areas without repeats in their order."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in fields:
            values[name] = (fields[name] or "").strip()
    for name in ("sector", "form", "capacity"):
        if name in fields:
            values[name] = fields[name]
    if "needs" in fields:
        chosen = set(fields["needs"] or [])
        values["needs"] = [n for n in NEEDS if n in chosen] + sorted(n for n in chosen if n not in NEEDS)
    if "orps" in fields:
        values["orps"] = list({orp.id: orp for orp in fields["orps"] or []}.values())
    if "ico" in fields:
        ico = normalize_ico((fields["ico"] or "").strip()) or None
        values["ico"] = ico
        values["provider"] = (
            db.session.scalar(sa.select(Provider).where(Provider.ico == ico)) if ico and not ico_error(ico) else None
        )
    return values


def _refuse(found: list[tuple[str, str]]) -> None:
    if found:
        name, message = found[0]
        raise DomainError(message, field=name)


# --- keeping the catalogue by hand ----------------------------------------------------------------
def _audit_values(service: CatalogueService) -> dict[str, Any]:
    return {
        "name": service.name,
        "sector": service.sector,
        "form": service.form,
        "organization": service.organization_name,
        "ico": service.ico,
        # Texts, not lists: the history reads a two-item list as [old, new].
        "needs": ", ".join(sorted(service.need_codes)),
        "orps": ", ".join(sorted(o.orp.code for o in service.orps)),
        "capacity": service.capacity,
        "capacity_unit": service.capacity_unit,
    }


def _set_needs(service: CatalogueService, needs: Sequence[str]) -> None:
    kept = {n.need: n for n in service.needs}
    service.needs = [kept.get(need) or CatalogueNeed(need=need) for need in needs]


def _set_orps(service: CatalogueService, orps: Sequence[Orp]) -> None:
    kept = {o.orp_id: o for o in service.orps}
    service.orps = [kept.get(orp.id) or CatalogueOrp(orp=orp) for orp in orps]


def create_service(kraj: Kraj, source: str = "form", **fields: Any) -> CatalogueService:
    """A new entry in ``kraj``'s catalogue (kept by hand: no framework party behind it)."""
    values = clean(fields)
    _refuse(problems(values, kraj))
    provider = values.pop("provider", None)
    needs, orps = values.pop("needs"), values.pop("orps")
    service = CatalogueService(kraj=kraj, provider=provider, **values)
    _set_needs(service, needs)
    _set_orps(service, orps)
    db.session.add(service)
    db.session.flush()
    catalogue_totals.counted(service)
    record("catalogue.created", service, {**_audit_values(service), "source": source, "kraj": kraj.code})
    return service


def update_service(service: CatalogueService, **fields: Any) -> dict[str, list]:
    """Change an entry; an automatic one only in its needs areas, ORPs and capacity. Returns the
    changes (field → [old, new]), which the audit event lists."""
    if service.is_automatic:
        locked = [k for k in fields if k not in AUTOMATIC_EDITABLE]
        if locked:
            raise DomainError(
                "U služby smluvní strany rámcové smlouvy lze měnit jen oblasti potřeb, ORP a kapacitu; "
                "ostatní údaje se přebírají z rámcové smlouvy."
            )
    values = clean(fields)
    before = _audit_values(service)
    current: dict[str, Any] = {
        **{k: getattr(service, k) for k in EDITABLE if k not in ("needs", "orps")},
        "provider": service.provider,
        "needs": service.need_codes,
        "orps": [o.orp for o in service.orps],
    }
    merged = current | values
    if service.is_automatic:
        merged["provider"] = service.provider  # its organisation is the party's
    _refuse(problems(merged, service.kraj))
    with catalogue_totals.kept(service):
        for name in EDITABLE:
            if name in ("needs", "orps") or name not in values:
                continue
            setattr(service, name, merged[name])
        if "ico" in values:
            service.provider = merged["provider"]
        if "needs" in values:
            _set_needs(service, merged["needs"])
        if "orps" in values:
            _set_orps(service, merged["orps"])
    after = _audit_values(service)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    for name in ("description", "contact_name", "contact_email", "contact_phone", "web", "address"):
        if name in values and values[name] != current[name]:
            changes[name] = [current[name], values[name]]
    if changes:
        record("catalogue.updated", service, changes)
    return changes


def set_active(service: CatalogueService, active: bool) -> None:
    """Take an entry kept by hand off the catalogue (it stays readable to the kraj), or back on. An
    automatic entry follows its framework party and cannot be switched by hand."""
    if service.is_automatic:
        raise DomainError("Službu smluvní strany zapíná a vypíná stav smluvní strany v rámcové smlouvě.")
    if service.active == active:
        raise DomainError("Služba už je v katalogu zveřejněna." if active else "Služba už je vyřazena z katalogu.")
    with catalogue_totals.kept(service):
        service.active = active
    record("catalogue.activated" if active else "catalogue.deactivated", service, {"active": active})


# --- the automatic entries of framework parties ------------------------------------------------------
def sync_framework(framework: FrameworkContract) -> None:
    """Bring the entries of all the framework's parties in line with its state."""
    for party in framework.parties:
        sync_party(party)


def sync_party(party: FrameworkParty) -> None:
    """One entry per service type of the framework's category for a party of an active framework,
    active while the party is: made the first time (default needs areas, all the kraj's ORPs),
    switched off when the party is suspended or leaves or the framework ends, on again when it is
    reinstated. What the kraj fitted (needs areas, ORPs, capacity) is kept."""
    framework = party.framework
    if framework.status is FrameworkStatus.DRAFT:
        return
    wanted = party.status is PartyStatus.ACTIVE and framework.status is FrameworkStatus.ACTIVE
    existing = {
        entry.service_type_id: entry
        for entry in db.session.scalars(
            sa.select(CatalogueService).where(CatalogueService.framework_party_id == party.id)
        )
    }
    for service_type in framework.category.service_types:
        entry = existing.get(service_type.id)
        if entry is None:
            if wanted and service_type.active:
                _create_automatic(party, service_type)
        elif entry.active != (wanted and service_type.active):
            with catalogue_totals.kept(entry):
                entry.active = wanted and service_type.active
            record(
                "catalogue.activated" if entry.active else "catalogue.deactivated",
                entry,
                {"active": entry.active, "party_status": party.status, "framework": framework.number},
            )


def _create_automatic(party: FrameworkParty, service_type: ServiceType) -> CatalogueService:
    provider, framework = party.provider, party.framework
    service = CatalogueService(
        kraj_id=framework.kraj_id,
        name=service_type.name,
        description=(
            f"{service_type.name} ({service_type.legal_basis}); smluvní strana rámcové smlouvy {framework.number}."
        ),
        sector=default_sector(service_type),
        form=default_form(service_type),
        provider=provider,
        ico=provider.ico,
        service_type=service_type,
        framework_party=party,
        capacity_unit=service_type.unit,
        contact_email=provider.email or "",
        contact_phone=provider.phone or "",
        address=provider.address or "",
    )
    _set_needs(service, default_needs(service_type))
    _set_orps(service, list(framework.kraj.orps))
    db.session.add(service)
    db.session.flush()
    catalogue_totals.counted(service)
    record(
        "catalogue.created",
        service,
        {**_audit_values(service), "source": "framework", "framework": framework.number, "kraj": framework.kraj.code},
    )
    return service


# --- reading it -----------------------------------------------------------------------------------
BY_NAME = Sort((CatalogueService.name.expression, CatalogueService.id.expression))


@dataclass(frozen=True)
class SearchFilters:
    """What an OSPOD worker asks: in which ORP (or kraj), for which needs area, of which sector and
    form, with which words."""

    kraj: Kraj | None = None
    orp: Orp | None = None
    need: str | None = None
    sector: Sector | None = None
    form: ServiceForm | None = None
    text: str = ""

    def as_args(self) -> dict[str, str]:
        return {
            "kraj": self.kraj.code if self.kraj else "",
            "orp": self.orp.code if self.orp else "",
            "need": self.need or "",
            "sector": self.sector.value if self.sector else "",
            "form": self.form.value if self.form else "",
            "q": self.text,
        }


def parse_search(args: Mapping[str, str], user: User) -> tuple[SearchFilters, dict[str, str]]:
    """The search's filters from the URL and what was wrong with them (field → Czech message; a
    wrong value is dropped, never a 500). With no ``kraj``/``orp`` in the URL an OSPOD worker searches
    their ORP and a kraj official their kraj, the everyday question; an empty value means all."""
    errors: dict[str, str] = {}
    kraj: Kraj | None = None
    orp: Orp | None = None
    if "orp" in args:
        code = (args.get("orp") or "").strip()
        if code:
            orp = db.session.scalar(sa.select(Orp).options(joinedload(Orp.kraj)).where(Orp.code == code))
            if orp is None:
                errors["orp"] = "Neznámé ORP."
    elif user.role is Role.OSPOD and user.orp_id is not None:
        orp = db.session.get(Orp, user.orp_id)
    if "kraj" in args:
        code = (args.get("kraj") or "").strip()
        if code:
            kraj = db.session.scalar(sa.select(Kraj).where(Kraj.code == code))
            if kraj is None:
                errors["kraj"] = "Neznámý kraj."
    elif orp is None and user.role in (Role.KRAJ, Role.OSPOD) and user.home_kraj_id is not None:
        kraj = db.session.get(Kraj, user.home_kraj_id)
    if orp is not None and kraj is not None and orp.kraj_id != kraj.id:
        errors["orp"] = f"ORP {orp.name} neleží v kraji {kraj.name}."
        orp = None
    need = (args.get("need") or "").strip() or None
    if need is not None and need not in NEEDS:
        errors["need"] = "Neznámá oblast potřeb."
        need = None
    sector = _enum(Sector, args.get("sector"), "sector", "Neznámý sektor.", errors)
    form = _enum(ServiceForm, args.get("form"), "form", "Neznámá forma služby.", errors)
    text = (args.get("q") or "").strip()[:100]
    return SearchFilters(kraj=kraj, orp=orp, need=need, sector=sector, form=form, text=text), errors


def _enum(kind, value: str | None, name: str, message: str, errors: dict[str, str]):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        errors[name] = message
        return None


def _filtered(stmt: sa.Select, filters: SearchFilters) -> sa.Select:
    if filters.orp is not None:
        stmt = stmt.where(
            sa.select(CatalogueOrp.service_id)
            .where(CatalogueOrp.service_id == CatalogueService.id, CatalogueOrp.orp_id == filters.orp.id)
            .exists()
        )
    elif filters.kraj is not None:
        stmt = stmt.where(CatalogueService.kraj_id == filters.kraj.id)
    if filters.need is not None:
        stmt = stmt.where(
            sa.select(CatalogueNeed.service_id)
            .where(CatalogueNeed.service_id == CatalogueService.id, CatalogueNeed.need == filters.need)
            .exists()
        )
    if filters.sector is not None:
        stmt = stmt.where(CatalogueService.sector == filters.sector)
    if filters.form is not None:
        stmt = stmt.where(CatalogueService.form == filters.form)
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        provider_name = (
            sa.select(Provider.id)
            .where(Provider.id == CatalogueService.provider_id, Provider.name.ilike(pattern, escape="\\"))
            .exists()
        )
        stmt = stmt.where(
            sa.or_(
                CatalogueService.name.ilike(pattern, escape="\\"),
                CatalogueService.organization.ilike(pattern, escape="\\"),
                CatalogueService.description.ilike(pattern, escape="\\"),
                CatalogueService.ico == filters.text,
                provider_name,
            )
        )
    return stmt


def _with_details(stmt: sa.Select) -> sa.Select:
    """What a list row shows, in a constant number of statements per page."""
    return stmt.options(
        joinedload(CatalogueService.provider),
        joinedload(CatalogueService.kraj),
        selectinload(CatalogueService.needs),
        selectinload(CatalogueService.orps).joinedload(CatalogueOrp.orp),
    )


def search(filters: SearchFilters) -> Page[CatalogueService]:
    """A page of the listed services that match, by name (keyset on (name, id)), and how many match."""
    stmt = _with_details(_filtered(sa.select(CatalogueService).where(listed()), filters))
    return paginate(stmt, BY_NAME, lambda service: (service.name, service.id), count=True)


def kraj_catalogue(kraj: Kraj, filters: SearchFilters | None = None) -> Page[CatalogueService]:
    """The kraj's whole catalogue for its keeper, switched-off entries included, by name."""
    stmt = sa.select(CatalogueService).where(CatalogueService.kraj_id == kraj.id)
    if filters is not None:
        stmt = _filtered(
            stmt,
            SearchFilters(
                orp=filters.orp, need=filters.need, sector=filters.sector, form=filters.form, text=filters.text
            ),
        )
    return paginate(_with_details(stmt), BY_NAME, lambda service: (service.name, service.id), count=True)


def load(service_id: int) -> CatalogueService:
    """The service with what its pages show; 404 when there is none (or the id cannot be one)."""
    return db.get_or_404(
        CatalogueService,
        service_id,
        options=[
            joinedload(CatalogueService.provider),
            joinedload(CatalogueService.kraj),
            joinedload(CatalogueService.framework_party).joinedload(FrameworkParty.framework),
            selectinload(CatalogueService.needs),
            selectinload(CatalogueService.orps).joinedload(CatalogueOrp.orp),
        ],
    )


def orps_of(kraj: Kraj) -> list[Orp]:
    return list(db.session.scalars(sa.select(Orp).where(Orp.kraj_id == kraj.id).order_by(Orp.name)))


def all_orps() -> list[Orp]:
    """Every ORP with its kraj, by kraj and name (the search's ORP choice)."""
    return list(
        db.session.scalars(sa.select(Orp).join(Kraj).options(joinedload(Orp.kraj)).order_by(Kraj.name, Orp.name))
    )


def kraje() -> list[Kraj]:
    return list(db.session.scalars(sa.select(Kraj).order_by(Kraj.name)))


def parse_capacity(text: str) -> Decimal | None:
    """A capacity typed the Czech way (``1 234,5``); None for an empty text; ``ValueError`` otherwise."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text or "").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not value.is_finite():
        raise ValueError(text)
    return value
