"""Reference data: loading kraje, ORP, categories and service types from ``seed/``, and editing
service types."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import load_only

from minitendr.audit.service import record
from minitendr.databox import data_box_error, normalize_data_box
from minitendr.db import DomainError, db
from minitendr.money import to_money
from minitendr.providers.ico import ico_error, normalize_ico
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _upsert(model: type, key: str, values: dict[str, Any], counts: dict[str, int]) -> Any:
    """Insert a row, or update it when it differs; count only real changes. Only the columns written
    are read, so the reference data load into the schema of any revision that has them."""
    columns = [getattr(model, name) for name in values]
    obj = db.session.scalar(db.select(model).where(getattr(model, key) == values[key]).options(load_only(*columns)))
    if obj is None:
        obj = model(**values)
        db.session.add(obj)
        counts["created"] += 1
        return obj
    changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
    if changed:
        for attr, value in changed.items():
            setattr(obj, attr, value)
        counts["updated"] += 1
    return obj


def load_reference_data(seed_dir: Path) -> dict[str, int]:
    """Load (or bring up to date) the 14 kraje, 206 ORP, three categories and the service types.

    Idempotent: a second run finds everything equal and changes nothing.
    """
    counts = {"created": 0, "updated": 0}
    kraje = {}
    for row in _rows(seed_dir / "kraje.csv"):
        kraje[row["kraj_code"]] = _upsert(
            Kraj,
            "code",
            {
                "code": row["kraj_code"],
                "name": row["kraj_name"],
                "abbr": row["kraj_abbr"],
                "csu_code": row["kraj_csu_code"],
                "ruian_code": row["kraj_ruian_code"],
            },
            counts,
        )
    db.session.flush()
    _fill_publishers(seed_dir / "kraje_publishers.csv", kraje, counts)
    for row in _rows(seed_dir / "kraje_orp.csv"):
        _upsert(
            Orp,
            "code",
            {"code": row["orp_code"], "name": row["orp_name"], "kraj_id": kraje[row["kraj_code"]].id},
            counts,
        )
    categories = {}
    for row in _rows(seed_dir / "service_categories.csv"):
        categories[row["code"]] = _upsert(
            ServiceCategory,
            "code",
            {"code": row["code"], "name": row["name_cs"], "position": int(row["position"])},
            counts,
        )
    db.session.flush()
    for row in _rows(seed_dir / "service_types.csv"):
        _upsert(
            ServiceType,
            "code",
            {
                "code": row["code"],
                "name": row["name_cs"],
                "name_en": row["name_en"],
                "category_id": categories[row["category"]].id,
                "legal_basis": row["legal_basis"],
                "unit": row["unit"],
                "indicative_unit_price": to_money(row["indicative_unit_price_czk"]),
            },
            counts,
        )
    db.session.flush()
    return counts


# --- the kraj as the publisher in the register of contracts -------------------------------------------
PUBLISHER_FIELDS = ("official_name", "ico", "data_box", "address")


def _fill_publishers(path: Path, kraje: dict[str, Kraj], counts: dict[str, int]) -> None:
    """The publisher details of the kraje from ``path``, only where a kraj has none yet: what admin or
    the kraj corrected on the form stays as they left it. A schema older than the details (revision
    0020) gets none."""
    columns = {column["name"] for column in sa.inspect(db.session.connection()).get_columns("kraj")}
    if not path.exists() or not set(PUBLISHER_FIELDS) <= columns:
        return
    for row in _rows(path):
        kraj = kraje.get(row["kraj_code"])
        if kraj is None:
            continue
        blank = {name: row[name].strip() for name in PUBLISHER_FIELDS if row[name].strip() and not getattr(kraj, name)}
        if blank:
            for name, value in blank.items():
                setattr(kraj, name, value)
            counts["updated"] += 1


def save_publisher(kraj: Kraj, *, official_name: str, ico: str, data_box: str, address: str) -> None:
    """The kraj's details as the publisher of its contracts; each may stay empty (the message is then
    refused, saying what is missing), but what is filled in must be valid."""
    values = {
        "official_name": (official_name or "").strip(),
        "ico": normalize_ico(ico or "") if (ico or "").strip() else "",
        "data_box": normalize_data_box(data_box),
        "address": (address or "").strip(),
    }
    if values["ico"] and (message := ico_error(values["ico"])):
        raise DomainError(message, field="ico")
    if values["data_box"] and (message := data_box_error(values["data_box"])):
        raise DomainError(message, field="data_box")
    for name, limit in (("official_name", 255), ("address", 255)):
        if len(values[name]) > limit:
            raise DomainError(f"Nejvýše {limit} znaků (tolik jich registr smluv přijme).", field=name)
    changes = {k: [getattr(kraj, k), v] for k, v in values.items() if getattr(kraj, k) != v}
    for key, (_old, new) in changes.items():
        setattr(kraj, key, new)
    if changes:
        record("kraj.publisher_updated", kraj, changes)


SERVICE_TYPE_FIELDS = ("name", "name_en", "category_id", "legal_basis", "unit", "indicative_unit_price", "active")


def save_service_type(service_type: ServiceType | None, *, code: str, **fields: Any) -> ServiceType:
    """Create a service type (``service_type`` None) or change one; codes are unique."""
    code = code.strip().upper()
    clash = db.session.scalar(db.select(ServiceType).where(ServiceType.code == code))
    if clash is not None and clash is not service_type:
        raise DomainError(f"Typ služby s kódem {code} už existuje.", field="code")
    if fields.get("indicative_unit_price") is not None and fields["indicative_unit_price"] < 0:
        raise DomainError("Orientační cena nesmí být záporná.", field="indicative_unit_price")
    values = {k: v for k, v in fields.items() if k in SERVICE_TYPE_FIELDS}
    if service_type is None:
        service_type = ServiceType(code=code, **values)
        db.session.add(service_type)
        db.session.flush()
        record("service_type.created", service_type, {"code": code, **values})
        return service_type
    changes = {k: [getattr(service_type, k), v] for k, v in values.items() if getattr(service_type, k) != v}
    if code != service_type.code:
        changes["code"] = [service_type.code, code]
        service_type.code = code
    for key, (_old, new) in changes.items():
        setattr(service_type, key, new)
    if changes:
        record("service_type.updated", service_type, changes)
    return service_type


# --- the reference data pages --------------------------------------------------------------------
def kraje_with_orp_counts() -> list[tuple[Kraj, int]]:
    """Every kraj with the number of its ORP, by NUTS code."""
    stmt = db.select(Kraj, db.func.count(Orp.id)).outerjoin(Kraj.orps).group_by(Kraj.id).order_by(Kraj.code)
    return [(kraj, count) for kraj, count in db.session.execute(stmt)]


def categories() -> list[ServiceCategory]:
    """The service categories in their order (each lists its service types)."""
    return list(db.session.scalars(db.select(ServiceCategory).order_by(ServiceCategory.position)))
