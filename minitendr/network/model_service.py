"""The kraj's model of the service network: its validity period and thresholds, and per ORP × needs
area the priority, goal and minimal coverage. Every change is audited; models of earlier periods stay
as they were (readable), a new period gets a new model (optionally a copy of the previous one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from minitendr.audit.service import record
from minitendr.db import DomainError, db
from minitendr.network.models import NEED_CODES, NetworkModel, NetworkTarget
from minitendr.privacy import check_no_birth_numbers
from minitendr.registry.models import Kraj, Orp


@dataclass(frozen=True)
class TargetValues:
    """What the kraj states for one needs area of an ORP (``priority`` None: nothing stated)."""

    priority: int | None
    goal: str = ""
    minimum_services: int | None = None
    minimum_capacity: Decimal | None = None


def models_of(kraj_ids: list[int] | None) -> list[NetworkModel]:
    """The models of the kraje ``kraj_ids`` (all with None), the newest period first."""
    query = sa.select(NetworkModel).order_by(NetworkModel.valid_from.desc(), NetworkModel.id.desc())
    if kraj_ids is not None:
        query = query.where(NetworkModel.kraj_id.in_(kraj_ids))
    return list(db.session.scalars(query))


def _check_period(kraj: Kraj, valid_from: dt.date, valid_to: dt.date, model: NetworkModel | None) -> None:
    if valid_to < valid_from:
        raise DomainError("Konec platnosti musí být stejný nebo pozdější než její začátek.", field="valid_to")
    overlapping = db.session.scalar(
        sa.select(NetworkModel).where(
            NetworkModel.kraj_id == kraj.id,
            NetworkModel.valid_from <= valid_to,
            NetworkModel.valid_to >= valid_from,
            NetworkModel.id != (model.id if model is not None else -1),
        )
    )
    if overlapping is not None:
        raise DomainError(
            f"Období se překrývá s modelem „{overlapping.name}“ "
            f"({overlapping.valid_from:%d.%m.%Y}–{overlapping.valid_to:%d.%m.%Y}); kraj má v každém dni jeden model.",
            field="valid_from",
        )


def _check_thresholds(unmet: Decimal, single_bid: Decimal) -> None:
    for field, value in (("unmet_threshold", unmet), ("single_bid_threshold", single_bid)):
        if not Decimal(0) <= value <= Decimal(100):
            raise DomainError("Práh je podíl v procentech, od 0 do 100.", field=field)


def create_model(
    kraj: Kraj,
    name: str,
    valid_from: dt.date,
    valid_to: dt.date,
    unmet_threshold: Decimal,
    single_bid_threshold: Decimal,
    copy_from: NetworkModel | None = None,
) -> NetworkModel:
    """A new model for a period; ``copy_from`` (one of the kraj's) gives it that model's targets."""
    name = name.strip()
    if not name:
        raise DomainError("Uveďte název modelu.", field="name")
    _check_period(kraj, valid_from, valid_to, None)
    _check_thresholds(unmet_threshold, single_bid_threshold)
    if copy_from is not None and copy_from.kraj_id != kraj.id:
        raise DomainError("Převzít lze jen model vlastního kraje.", field="copy_from")
    model = NetworkModel(
        kraj=kraj,
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
        unmet_threshold=unmet_threshold,
        single_bid_threshold=single_bid_threshold,
    )
    if copy_from is not None:
        model.targets = [
            NetworkTarget(
                orp_id=t.orp_id,
                need=t.need,
                priority=t.priority,
                goal=t.goal,
                minimum_services=t.minimum_services,
                minimum_capacity=t.minimum_capacity,
            )
            for t in copy_from.targets
        ]
    db.session.add(model)
    db.session.flush()
    record(
        "network_model.created",
        model,
        {
            "name": name,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "unmet_threshold": unmet_threshold,
            "single_bid_threshold": single_bid_threshold,
            "copied_from": copy_from.id if copy_from else None,
        },
    )
    return model


def update_model(
    model: NetworkModel,
    name: str,
    valid_from: dt.date,
    valid_to: dt.date,
    unmet_threshold: Decimal,
    single_bid_threshold: Decimal,
) -> NetworkModel:
    """Change the model's name, period or thresholds (audited: old and new value of each change)."""
    name = name.strip()
    if not name:
        raise DomainError("Uveďte název modelu.", field="name")
    _check_period(model.kraj, valid_from, valid_to, model)
    _check_thresholds(unmet_threshold, single_bid_threshold)
    new = {
        "name": name,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "unmet_threshold": unmet_threshold,
        "single_bid_threshold": single_bid_threshold,
    }
    changes = {key: [getattr(model, key), value] for key, value in new.items() if getattr(model, key) != value}
    for key, value in new.items():
        setattr(model, key, value)
    db.session.flush()
    if changes:
        record("network_model.changed", model, changes)
    return model


def set_targets(model: NetworkModel, orp: Orp, values: dict[str, TargetValues]) -> int:
    """State (or clear) the model's targets for the needs areas of one ORP of its kraj; returns how
    many areas changed."""
    if orp.kraj_id != model.kraj_id:
        raise DomainError(f"ORP {orp.name} neleží v kraji modelu.")
    for need, target in values.items():
        if need not in NEED_CODES:
            raise DomainError(f"Neznámá oblast potřeb „{need}“.")
        if target.priority is not None and target.priority not in (1, 2, 3):
            raise DomainError("Priorita je 1, 2 nebo 3.", field=f"priority_{need}")
        check_no_birth_numbers({f"goal_{need}": target.goal}, (f"goal_{need}",))
        for field, minimum in (
            (f"services_{need}", target.minimum_services),
            (f"capacity_{need}", target.minimum_capacity),
        ):
            if minimum is not None and minimum < 0:
                raise DomainError("Minimum nesmí být záporné.", field=field)
    existing = {
        t.need: t
        for t in db.session.scalars(
            sa.select(NetworkTarget).where(NetworkTarget.model_id == model.id, NetworkTarget.orp_id == orp.id)
        )
    }
    changes: dict[str, list] = {}
    for need, target in values.items():
        row = existing.get(need)
        before = _stated(row)
        if target.priority is None:
            if row is not None:
                db.session.delete(row)
        else:
            if row is None:
                row = NetworkTarget(model_id=model.id, orp_id=orp.id, need=need, priority=target.priority)
                db.session.add(row)
            row.priority, row.goal = target.priority, target.goal.strip()
            row.minimum_services, row.minimum_capacity = target.minimum_services, target.minimum_capacity
        after = _stated(row) if target.priority is not None else None
        if before != after:
            changes[need] = [before, after]
    db.session.flush()
    if changes:
        record("network_model.targets", model, {"orp": orp.code, "changes": changes})
    return len(changes)


def _stated(row: NetworkTarget | None) -> dict | None:
    if row is None:
        return None
    return {
        "priority": row.priority,
        "goal": row.goal,
        "minimum_services": row.minimum_services,
        "minimum_capacity": str(row.minimum_capacity) if row.minimum_capacity is not None else None,
    }


def targets_by_orp(model: NetworkModel) -> dict[int, dict[str, NetworkTarget]]:
    """The model's targets, per ORP id and needs area."""
    found: dict[int, dict[str, NetworkTarget]] = {}
    for target in db.session.scalars(sa.select(NetworkTarget).where(NetworkTarget.model_id == model.id)):
        found.setdefault(target.orp_id, {})[target.need] = target
    return found
