"""Framework contracts: creating, changing, activating and ending them, and managing their parties.

Every change writes an audit event in the same transaction. Functions flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from minitendr.audit.service import record
from minitendr.db import DomainError, db
from minitendr.formatting import money
from minitendr.frameworks.models import (
    MAX_CEILING,
    FrameworkContract,
    FrameworkParty,
    FrameworkStatus,
)
from minitendr.money import to_money
from minitendr.network import catalogue
from minitendr.privacy import check_no_birth_numbers
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, ServiceCategory
from minitendr.reports import summary

# Fields a kraj may still change once the framework is active (the rest is fixed by signature).
ACTIVE_EDITABLE = ("title", "ceiling", "price_weight", "quality_weight", "bid_period_days")
# Changes of an active framework that need a written reason.
NEEDS_REASON = ("ceiling", "price_weight", "quality_weight")


def committed_amount(framework: FrameworkContract) -> Decimal:
    """What the framework's sub-contracts commit: the sum of their values, summed in SQL."""
    from minitendr.contracts.models import SubContract

    # An aggregate always yields its one row, and coalesce keeps its value from being NULL.
    total = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(SubContract.value), 0)).where(SubContract.framework_id == framework.id)
    ).scalar_one()
    return to_money(total)


def _check_terms(values: dict[str, Any]) -> None:
    """The terms of a framework that must hold whatever its state."""
    ceiling = values["ceiling"]
    if ceiling is None or ceiling <= 0:
        raise DomainError("Finanční strop musí být kladná částka.", field="ceiling")
    if ceiling > MAX_CEILING:
        raise DomainError("Finanční strop nesmí přesáhnout 10 000 000 000 Kč.", field="ceiling")
    if to_money(ceiling) != ceiling:
        raise DomainError("Finanční strop zadejte nejvýše na haléře (dvě desetinná místa).", field="ceiling")
    for field in ("price_weight", "quality_weight"):
        if not 0 <= values[field] <= 100:
            raise DomainError("Váha musí být mezi 0 a 100 %.", field=field)
    if values["price_weight"] + values["quality_weight"] != 100:
        raise DomainError(
            f"Váhy kritérií musí dát dohromady 100 % (teď {values['price_weight'] + values['quality_weight']} %).",
            field="price_weight",
        )
    if not 1 <= values["bid_period_days"] <= 60:
        raise DomainError("Lhůta pro nabídky musí být 1 až 60 pracovních dnů.", field="bid_period_days")
    if values["valid_to"] < values["valid_from"]:
        raise DomainError("Konec platnosti nesmí předcházet jejímu začátku.", field="valid_to")
    if not values["title"].strip():
        raise DomainError("Vyplňte název rámcové smlouvy.", field="title")


def create_framework(
    *,
    kraj: Kraj,
    category: ServiceCategory,
    number: str,
    title: str,
    valid_from: dt.date,
    valid_to: dt.date,
    ceiling: Decimal,
    price_weight: int,
    quality_weight: int,
    bid_period_days: int = 10,
) -> FrameworkContract:
    """A new framework, as a draft (parties are added next, then it is activated)."""
    values = {
        "title": title.strip(),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "ceiling": ceiling,
        "price_weight": price_weight,
        "quality_weight": quality_weight,
        "bid_period_days": bid_period_days,
    }
    _check_terms(values)
    number = number.strip()
    if not number:
        raise DomainError("Vyplňte číslo rámcové smlouvy.", field="number")
    if db.session.scalar(sa.select(FrameworkContract.id).where(FrameworkContract.number == number)):
        raise DomainError(f"Rámcová smlouva s číslem {number} už existuje.", field="number")
    framework = FrameworkContract(kraj=kraj, category=category, number=number, **values)
    db.session.add(framework)
    db.session.flush()
    record("framework.created", framework, {"number": number, "kraj": kraj.code, "category": category.code, **values})
    return framework


def update_framework(framework: FrameworkContract, reason: str | None = None, **fields: Any) -> dict[str, list]:
    """Change a framework's terms. A draft may change everything; an active framework only its title,
    ceiling, weights and bid period, and a change of ceiling or weights needs a reason. The ceiling
    never drops below what sub-contracts already commit. Returns the changes (field → [old, new])."""
    if not framework.can_be_changed:
        raise DomainError(f"Rámcovou smlouvu, která {framework.state.label}, už nelze měnit.")
    if framework.is_active:
        fixed = sorted(k for k in fields if k not in ACTIVE_EDITABLE and fields[k] != getattr(framework, k))
        if fixed:
            raise DomainError("U platné rámcové smlouvy lze měnit jen název, strop, váhy a lhůtu pro nabídky.")
    current = {
        k: getattr(framework, k)
        for k in ("title", "valid_from", "valid_to", "ceiling", "price_weight", "quality_weight", "bid_period_days")
    }
    values = current | {k: v for k, v in fields.items() if k in current}
    values["title"] = values["title"].strip()
    _check_terms(values)
    changes = {k: [current[k], v] for k, v in values.items() if current[k] != v}
    if "number" in fields and fields["number"].strip() != framework.number:
        if not framework.is_draft:
            raise DomainError("Číslo platné rámcové smlouvy nelze měnit.", field="number")
        number = fields["number"].strip()
        if db.session.scalar(sa.select(FrameworkContract.id).where(FrameworkContract.number == number)):
            raise DomainError(f"Rámcová smlouva s číslem {number} už existuje.", field="number")
        changes["number"] = [framework.number, number]
    if not changes:
        return {}
    reason = (reason or "").strip()
    check_no_birth_numbers({"reason": reason}, ("reason",))
    if framework.is_active and any(k in changes for k in NEEDS_REASON):
        if not reason:
            raise DomainError("Změnu stropu nebo vah platné rámcové smlouvy zdůvodněte.", field="reason")
        if "ceiling" in changes:
            committed = committed_amount(lock(framework.id))
            if values["ceiling"] < committed:
                raise DomainError(
                    f"Strop nelze snížit pod částku, kterou už zavazují dílčí smlouvy ({money(committed)}).",
                    field="ceiling",
                )
    for key, (_old, new) in changes.items():
        setattr(framework, key, new)
    record("framework.updated", framework, {**changes, **({"reason": reason} if reason else {})})
    return changes


def lock(framework_id: int) -> FrameworkContract:
    """Hold the framework's row until commit and read it afresh: a ceiling change, awards and
    amendments that commit its money run one at a time (FOR UPDATE on PostgreSQL; SQLite serialises
    writing transactions anyway)."""
    return db.session.execute(
        sa.select(FrameworkContract)
        .where(FrameworkContract.id == framework_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def remaining(framework: FrameworkContract) -> Decimal:
    """What is left of the ceiling; exact only while the framework is locked (see ``lock``)."""
    return framework.ceiling - committed_amount(framework)


def overlapping_active(framework: FrameworkContract) -> FrameworkContract | None:
    """Another active framework of the same kraj and category whose validity overlaps this one's."""
    return db.session.scalar(
        sa.select(FrameworkContract).where(
            FrameworkContract.id != framework.id,
            FrameworkContract.kraj_id == framework.kraj_id,
            FrameworkContract.category_id == framework.category_id,
            FrameworkContract.status == FrameworkStatus.ACTIVE,
            FrameworkContract.valid_from <= framework.valid_to,
            FrameworkContract.valid_to >= framework.valid_from,
        )
    )


def activate_framework(framework: FrameworkContract) -> None:
    """draft → active, refusing an overlap with another active framework of the kraj and category.

    The kraj's row is locked first, so two activations in the same kraj cannot both pass the check."""
    db.session.execute(sa.select(Kraj.id).where(Kraj.id == framework.kraj_id).with_for_update()).one()
    clash = overlapping_active(framework)
    if clash is not None:
        raise DomainError(
            f"Kraj už má platnou rámcovou smlouvu {clash.number} na tuto kategorii "
            f"s překrývající se platností ({clash.valid_from:%d. %m. %Y}–{clash.valid_to:%d. %m. %Y})."
        )
    framework.activate()
    record("framework.activated", framework, {"active_parties": len(framework.active_parties)})
    catalogue.sync_framework(framework)


def terminate_framework(framework: FrameworkContract, reason: str | None) -> None:
    framework.terminate(reason)
    record("framework.terminated", framework, {"reason": framework.termination_reason})
    catalogue.sync_framework(framework)


def delete_draft(framework: FrameworkContract) -> None:
    """A draft that was never activated can be thrown away; the audit trail keeps that it existed."""
    if not framework.can_be_deleted:
        raise DomainError("Smazat lze jen návrh rámcové smlouvy.")
    record("framework.deleted", framework, {"number": framework.number})
    db.session.delete(framework)
    db.session.flush()


# --- parties -------------------------------------------------------------------------------------
def add_party(framework: FrameworkContract, provider: Provider, since: dt.date) -> FrameworkParty:
    """Bind a provider to the framework from ``since`` (within the framework's validity)."""
    if not framework.can_be_changed:
        raise DomainError(f"K rámcové smlouvě, která {framework.state.label}, nelze přidávat smluvní strany.")
    if not provider.active:
        raise DomainError("Neaktivního poskytovatele nelze přidat jako smluvní stranu.", field="provider")
    if any(p.provider_id == provider.id for p in framework.parties):
        raise DomainError(f"{provider.name} už je smluvní stranou této rámcové smlouvy.", field="provider")
    if not framework.valid_from <= since <= framework.valid_to:
        raise DomainError(
            f"Datum přistoupení musí ležet v době platnosti smlouvy "
            f"({framework.valid_from:%d. %m. %Y}–{framework.valid_to:%d. %m. %Y}).",
            field="since",
        )
    party = FrameworkParty(framework=framework, provider=provider, since=since)
    db.session.add(party)
    db.session.flush()
    record("framework.party_added", framework, {"provider": provider.ico, "name": provider.name, "since": since})
    catalogue.sync_party(party)
    return party


def suspend_party(party: FrameworkParty, reason: str | None) -> None:
    party.suspend(reason)
    record(
        "framework.party_suspended", party.framework, {"provider": party.provider.ico, "reason": party.status_reason}
    )
    catalogue.sync_party(party)


def reinstate_party(party: FrameworkParty) -> None:
    party.reinstate()
    record("framework.party_reinstated", party.framework, {"provider": party.provider.ico})
    catalogue.sync_party(party)


def withdraw_party(party: FrameworkParty, reason: str | None) -> None:
    party.withdraw(reason)
    record(
        "framework.party_withdrawn", party.framework, {"provider": party.provider.ico, "reason": party.status_reason}
    )
    catalogue.sync_party(party)


def utilisation(framework: FrameworkContract) -> dict[str, Decimal]:
    """Ceiling, committed, remaining and the share used (in %), for the framework page (from the
    framework's running total, see ``minitendr.reports.summary``)."""
    committed = summary.committed(framework.id)
    share = (committed / framework.ceiling * 100).quantize(Decimal("0.1")) if framework.ceiling else Decimal(0)
    return {
        "ceiling": framework.ceiling,
        "committed": committed,
        "remaining": framework.ceiling - committed,
        "share": share,
    }
