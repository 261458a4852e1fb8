"""The catalogue as open data in Open Referral HSDS 3.0 (the standard of service directories).

Public and read-only: the listed services of every kraj (``catalogue.listed``), their organisations,
and the needs areas, sectors and forms as taxonomy terms attached to services through attributes; the
ORPs a service serves are its service areas. Nothing about cases or demands is ever here.

Lists answer the HSDS API's paged response (``total_items``, ``total_pages``, ``page_number``, ``size``,
``first_page``, ``last_page``, ``empty``, ``contents``) with ``page`` and ``per_page``: the protocol
numbers its pages, so these lists page by offset — over a catalogue (services, not sub-contracts: a few
thousand rows nationally) read along its (name, id) index, never over the minitenders.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import BadRequest, HTTPException

from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.network import catalogue
from minitendr.network.models import CatalogueNeed, CatalogueOrp, CatalogueService, Sector, ServiceForm
from minitendr.providers.models import Provider

bp = Blueprint("hsds", __name__, url_prefix="/network/hsds")

# Every id we publish is a UUID derived from what it stands for, so it stays the same from one day
# to the next (a service's own is its stored ``uuid``).
NAMESPACE = uuid.UUID("9b0f6f0e-3d1a-5c55-8f1e-6d696e697465")
PER_PAGE, MAX_PER_PAGE = 50, 100


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


# --- taxonomies ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Taxonomy:
    code: str
    name: str
    description: str
    terms: Mapping[str, str]  # term code → Czech name

    @property
    def id(self) -> str:
        return _id("taxonomy", self.code)

    def term_id(self, code: str) -> str:
        return _id("term", self.code, code)


TAXONOMIES = (
    Taxonomy(
        "needs",
        "Oblasti potřeb dítěte a rodiny",
        "Šest oblastí potřeb, v nichž krajské modely sítě služeb a místní analýzy posuzují pokrytí ORP.",
        NEEDS,
    ),
    Taxonomy("sectors", "Sektory služeb", "Sektor, do kterého služba patří.", {s.value: s.label for s in Sector}),
    Taxonomy("forms", "Formy služeb", "Forma poskytování služby.", {f.value: f.label for f in ServiceForm}),
    Taxonomy(
        "facts",
        "Údaje o službě",
        "Další údaje: kapacita služby a zda je poskytovatel smluvní stranou rámcové smlouvy kraje.",
        {"capacity": "Kapacita", "framework_party": "Smluvní strana rámcové smlouvy kraje"},
    ),
)
BY_CODE = {t.code: t for t in TAXONOMIES}


def taxonomy_json(taxonomy: Taxonomy) -> dict[str, Any]:
    return {"id": taxonomy.id, "name": taxonomy.name, "description": taxonomy.description, "version": "1"}


def term_json(taxonomy: Taxonomy, code: str) -> dict[str, Any]:
    return {
        "id": taxonomy.term_id(code),
        "code": code,
        "name": taxonomy.terms[code],
        "description": f"{taxonomy.name}: {taxonomy.terms[code]}",
        "taxonomy": taxonomy.name,
        "taxonomy_detail": taxonomy_json(taxonomy),
        "language": "cs",
        "taxonomy_id": taxonomy.id,
    }


TERMS = {t.term_id(code): (t, code) for t in TAXONOMIES for code in t.terms}


# --- organisations ---------------------------------------------------------------------------------
def organization_id(name: str, ico: str | None) -> str:
    """An organisation is its IČO where it has one (a registered provider always has), else its name."""
    return _id("ico", ico) if ico else _id("name", " ".join(name.lower().split()))


def organization_json(name: str, ico: str | None, *, email: str = "", description: str = "") -> dict[str, Any]:
    ident = organization_id(name, ico)
    found: dict[str, Any] = {"id": ident, "name": name, "description": description}
    if email and catalogue.EMAIL.fullmatch(email):
        found["email"] = email
    if ico:
        found["organization_identifiers"] = [
            {
                "id": _id("identifier", ico),
                "organization_id": ident,
                "identifier_scheme": "CZ-ICO",
                "identifier_type": "IČO (identifikační číslo osoby)",
                "identifier": ico,
            }
        ]
    return found


def _service_organization(service: CatalogueService) -> dict[str, Any]:
    provider = service.provider
    if provider is not None:
        return organization_json(
            provider.name, provider.ico, email=provider.email or "", description=_provider_description(provider)
        )
    return organization_json(service.organization, service.ico)


def _provider_description(provider: Provider) -> str:
    return ", ".join(part for part in (provider.legal_form, provider.address) if part)


# --- services --------------------------------------------------------------------------------------
def _stamp(service: CatalogueService) -> str:
    return service.updated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def service_list_json(service: CatalogueService) -> dict[str, Any]:
    """A service as the API's list shows it (compiled_service_list: its one-to-one fields)."""
    organization = _service_organization(service)
    found: dict[str, Any] = {
        "id": service.uuid,
        "organization_id": organization["id"],
        "name": service.name,
        "description": service.description,
        "status": "active",
        "last_modified": _stamp(service),
    }
    if service.web:
        found["url"] = service.web
    if service.contact_email:
        found["email"] = service.contact_email
    return found


def _attribute(service: CatalogueService, taxonomy: Taxonomy, code: str, value: str = "") -> dict[str, Any]:
    found = {
        "id": _id("attribute", service.uuid, taxonomy.code, code),
        "link_id": service.uuid,
        "taxonomy_term_id": taxonomy.term_id(code),
        "link_type": taxonomy.code,
        "link_entity": "service",
        "taxonomy_term": term_json(taxonomy, code),
    }
    if value:
        found["value"] = value
    return found


def service_json(service: CatalogueService) -> dict[str, Any]:
    """A service fully nested: organisation, phone, contact, ORPs served and the taxonomy terms."""
    found = service_list_json(service)
    found["organization"] = _service_organization(service)
    if service.contact_phone:
        found["phones"] = [
            {"id": _id("phone", service.uuid), "service_id": service.uuid, "number": service.contact_phone}
        ]
    if service.contact_name or service.contact_email:
        contact: dict[str, Any] = {"id": _id("contact", service.uuid), "service_id": service.uuid}
        if service.contact_name:
            contact["name"] = service.contact_name
        if service.contact_email:
            contact["email"] = service.contact_email
        found["contacts"] = [contact]
    found["service_areas"] = [
        {
            "id": _id("area", service.uuid, link.orp.code),
            "service_id": service.uuid,
            "name": f"ORP {link.orp.name}",
            "description": (
                f"Správní obvod obce s rozšířenou působností {link.orp.name} "
                f"(kód ČSÚ {link.orp.code}), {service.kraj.name}."
            ),
        }
        for link in sorted(service.orps, key=lambda link: link.orp.name)
    ]
    attributes = [_attribute(service, BY_CODE["needs"], need) for need in service.need_codes]
    attributes.append(_attribute(service, BY_CODE["sectors"], service.sector.value))
    attributes.append(_attribute(service, BY_CODE["forms"], service.form.value))
    if service.capacity is not None:
        capacity = (
            service.capacity.normalize() if service.capacity == service.capacity.to_integral() else service.capacity
        )
        attributes.append(
            _attribute(service, BY_CODE["facts"], "capacity", f"{capacity:f} {service.capacity_unit}".strip())
        )
    if service.is_automatic:
        attributes.append(_attribute(service, BY_CODE["facts"], "framework_party", "ano"))
    found["attributes"] = attributes
    return found


# --- the paged answer ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _positive(name: str, default: int, limit: int | None = None) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if len(text) > 9 or not text.isdigit() or int(text) < 1:
        raise BadRequest(f"Parametr {name} musí být kladné celé číslo.")
    value = int(text)
    if limit is not None and value > limit:
        raise BadRequest(f"Parametr {name} může být nejvýše {limit}.")
    return value


def _paging() -> Paging:
    return Paging(_positive("page", 1), _positive("per_page", PER_PAGE, MAX_PER_PAGE))


def paged(total: int, contents: list[dict[str, Any]], paging: Paging) -> dict[str, Any]:
    pages = max(1, math.ceil(total / paging.per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": paging.page,
        "size": len(contents),
        "first_page": paging.page == 1,
        "last_page": paging.page >= pages,
        "empty": not contents,
        "contents": contents,
    }


def _json(body: Any, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response


@bp.errorhandler(HTTPException)
def _error(error: HTTPException):
    return _json({"error": error.description, "status": error.code}, error.code or 500)


def _search_condition(text: str) -> sa.ColumnElement[bool]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(
        CatalogueService.name.ilike(pattern, escape="\\"),
        CatalogueService.description.ilike(pattern, escape="\\"),
        CatalogueService.organization.ilike(pattern, escape="\\"),
    )


def _term_condition(term_id: str) -> sa.ColumnElement[bool]:
    if term_id not in TERMS:
        raise BadRequest("Neznámý taxonomy_term_id.")
    taxonomy, code = TERMS[term_id]
    if taxonomy.code == "needs":
        return (
            sa.select(CatalogueNeed.service_id)
            .where(CatalogueNeed.service_id == CatalogueService.id, CatalogueNeed.need == code)
            .exists()
        )
    if taxonomy.code == "sectors":
        return CatalogueService.sector == Sector(code)
    if taxonomy.code == "forms":
        return CatalogueService.form == ServiceForm(code)
    if code == "capacity":
        return CatalogueService.capacity.is_not(None)
    return CatalogueService.framework_party_id.is_not(None)


def _services(conditions: list[sa.ColumnElement[bool]], paging: Paging, full: bool) -> dict[str, Any]:
    stmt = sa.select(CatalogueService).where(catalogue.listed(), *conditions)
    total = db_scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    options: list[Any] = [joinedload(CatalogueService.provider)]
    if full:
        options += [
            joinedload(CatalogueService.kraj),
            selectinload(CatalogueService.needs),
            selectinload(CatalogueService.orps).joinedload(CatalogueOrp.orp),
        ]
    rows = db.session.scalars(
        stmt.options(*options)
        .order_by(CatalogueService.name, CatalogueService.id)
        .offset(paging.offset)
        .limit(paging.per_page)
    ).all()
    render: Callable[[CatalogueService], dict[str, Any]] = service_json if full else service_list_json
    return paged(total, [render(s) for s in rows], paging)


def db_scalar(stmt: sa.Select) -> int:
    return int(db.session.scalar(stmt) or 0)


@bp.get("/services")
def services():
    """The listed services, by name; ``search`` (words), ``taxonomy_term_id``, ``organization_id``,
    ``full=true`` for fully nested services."""
    paging = _paging()
    conditions = []
    text = (request.args.get("search") or "").strip()[:100]
    if text:
        conditions.append(_search_condition(text))
    term = (request.args.get("taxonomy_term_id") or "").strip()
    if term:
        conditions.append(_term_condition(term))
    organization = (request.args.get("organization_id") or "").strip()
    if organization:
        conditions.append(_organization_condition(organization))
    full = (request.args.get("full") or "").lower() == "true"
    return _json(_services(conditions, paging, full))


@bp.get("/services/<service_uuid>")
def service(service_uuid: str):
    try:
        uuid.UUID(service_uuid)
    except ValueError:
        abort(404, "Služba nenalezena.")
    found = db.session.scalar(
        sa.select(CatalogueService)
        .where(CatalogueService.uuid == service_uuid.lower(), catalogue.listed())
        .options(
            joinedload(CatalogueService.provider),
            joinedload(CatalogueService.kraj),
            selectinload(CatalogueService.needs),
            selectinload(CatalogueService.orps).joinedload(CatalogueOrp.orp),
        )
    )
    if found is None:
        abort(404, "Služba nenalezena.")
    return _json(service_json(found))


# --- organisations: the registered providers and the other organisations of listed services ---------
def _organizations_union() -> sa.Subquery:
    of_listed = sa.select(CatalogueService.id).where(catalogue.listed())
    providers = sa.select(
        Provider.name.label("name"),
        Provider.ico.label("ico"),
        Provider.id.label("provider_id"),
    ).where(
        sa.select(CatalogueService.id)
        .where(CatalogueService.provider_id == Provider.id, CatalogueService.id.in_(of_listed))
        .exists()
    )
    others = (
        sa.select(
            sa.func.min(CatalogueService.organization).label("name"),
            CatalogueService.ico.label("ico"),
            sa.null().label("provider_id"),
        )
        .where(
            CatalogueService.provider_id.is_(None),
            CatalogueService.id.in_(of_listed),
            CatalogueService.ico.is_not(None),
        )
        .group_by(CatalogueService.ico)
    )
    nameless = (
        sa.select(
            CatalogueService.organization.label("name"),
            sa.null().label("ico"),
            sa.null().label("provider_id"),
        )
        .where(
            CatalogueService.provider_id.is_(None), CatalogueService.id.in_(of_listed), CatalogueService.ico.is_(None)
        )
        .group_by(CatalogueService.organization)
    )
    return sa.union_all(providers, others, nameless).subquery()


def _organization_condition(organization: str) -> sa.ColumnElement[bool]:
    """The services of one published organisation (by its id; an unknown id matches none)."""
    union = _organizations_union()
    rows = db.session.execute(sa.select(union.c.name, union.c.ico, union.c.provider_id)).all()
    for name, ico, provider_id in rows:
        if organization_id(name, ico) == organization:
            if provider_id is not None:
                return CatalogueService.provider_id == provider_id
            if ico:
                return sa.and_(CatalogueService.provider_id.is_(None), CatalogueService.ico == ico)
            return sa.and_(
                CatalogueService.provider_id.is_(None),
                CatalogueService.ico.is_(None),
                CatalogueService.organization == name,
            )
    return sa.false()


@bp.get("/organizations")
def organizations():
    paging = _paging()
    union = _organizations_union()
    total = db_scalar(sa.select(sa.func.count()).select_from(union))
    rows = db.session.execute(
        sa.select(union.c.name, union.c.ico, union.c.provider_id)
        .order_by(union.c.name, union.c.ico)
        .offset(paging.offset)
        .limit(paging.per_page)
    ).all()
    providers = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Provider).where(Provider.id.in_([r.provider_id for r in rows if r.provider_id is not None]))
        )
    }
    contents = []
    for name, ico, provider_id in rows:
        provider = providers.get(provider_id) if provider_id is not None else None
        if provider is not None:
            contents.append(
                organization_json(
                    provider.name, provider.ico, email=provider.email or "", description=_provider_description(provider)
                )
            )
        else:
            contents.append(organization_json(name, ico))
    return _json(paged(total, contents, paging))


@bp.get("/taxonomies")
def taxonomies():
    paging = _paging()
    chosen = list(TAXONOMIES)[paging.offset : paging.offset + paging.per_page]
    return _json(paged(len(TAXONOMIES), [taxonomy_json(t) for t in chosen], paging))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    """Every term of the taxonomies (``taxonomy_id`` narrows them to one)."""
    paging = _paging()
    wanted = (request.args.get("taxonomy_id") or "").strip()
    terms = [(t, code) for t in TAXONOMIES if not wanted or t.id == wanted for code in t.terms]
    if wanted and not terms:
        raise BadRequest("Neznámý taxonomy_id.")
    chosen = terms[paging.offset : paging.offset + paging.per_page]
    return _json(paged(len(terms), [term_json(t, code) for t, code in chosen], paging))
