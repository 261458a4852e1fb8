"""Creating and editing providers (admin)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from minitendr.audit.service import record
from minitendr.databox import data_box_error, normalize_data_box
from minitendr.db import DomainError, db
from minitendr.pagination import Page, Sort, paginate
from minitendr.providers.ico import ico_error, normalize_ico
from minitendr.providers.models import Provider

EDITABLE = ("name", "legal_form", "address", "data_box", "email", "phone", "active")


# The register's order, read from ix_provider_name (name, id) a page at a time.
BY_NAME = Sort((Provider.name.expression, Provider.id.expression))


def search(query: str) -> Page[Provider]:
    """A page of the providers whose name contains ``query`` or whose IČO starts with it, by name, and
    how many match (up to pagination.COUNT_LIMIT).

    The name search cannot use an index (it looks inside names): the page walks ix_provider_name in
    order and stops once it has a page of matches, so a common word costs a page; a rare one reads
    the whole index (thousands of rows), as does the count."""
    stmt = sa.select(Provider)
    if query:
        stmt = stmt.where(sa.or_(Provider.name.ilike(f"%{query}%"), Provider.ico.startswith(query)))
    return paginate(stmt, BY_NAME, lambda provider: (provider.name, provider.id), count=True)


def form_values(form) -> dict[str, Any]:
    """What the provider form carries, an empty field as "" (the flag as False)."""
    return {"ico": form.ico.data, **{name: getattr(form, name).data or _blank(name) for name in EDITABLE}}


def _blank(name: str) -> Any:
    return False if name == "active" else ""


def _check_ico_free(ico: str, provider: Provider | None = None) -> str:
    ico = normalize_ico(ico)
    message = ico_error(ico)
    if message:
        raise DomainError(message, field="ico")
    clash = db.session.scalar(db.select(Provider).where(Provider.ico == ico))
    if clash is not None and clash is not provider:
        raise DomainError(f"Poskytovatel s IČO {ico} už je evidován ({clash.name}).", field="ico")
    return ico


def _check_data_box(fields: dict[str, Any]) -> None:
    """A data box, when given, must look like one (stored in lower case)."""
    if "data_box" in fields:
        fields["data_box"] = normalize_data_box(fields["data_box"])
        if fields["data_box"] and (message := data_box_error(fields["data_box"])):
            raise DomainError(message, field="data_box")


def create_provider(*, ico: str, name: str, **fields: Any) -> Provider:
    """Register a provider; the IČO must be valid and not yet known."""
    ico = _check_ico_free(ico)
    _check_data_box(fields)
    if not (name or "").strip():
        raise DomainError("Vyplňte název poskytovatele.", field="name")
    provider = Provider(ico=ico, name=name.strip(), **{k: v for k, v in fields.items() if k in EDITABLE})
    db.session.add(provider)
    db.session.flush()
    record("provider.created", provider, {"ico": ico, "name": provider.name})
    return provider


def update_provider(provider: Provider, *, ico: str, **fields: Any) -> None:
    """Change a provider's data; the audit event lists what changed from what."""
    changes: dict[str, Any] = {}
    ico = _check_ico_free(ico, provider)
    _check_data_box(fields)
    if ico != provider.ico:
        changes["ico"] = [provider.ico, ico]
        provider.ico = ico
    for key in EDITABLE:
        if key in fields and fields[key] != getattr(provider, key):
            changes[key] = [getattr(provider, key), fields[key]]
            setattr(provider, key, fields[key])
    if changes:
        record("provider.updated", provider, changes)
