"""What the demand pages read: the list a user may see, filtered and ordered for their role, and how
many demands it holds in each state. The scope comes from ``permissions.demand_scope``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from minitendr.auth.models import Role, User
from minitendr.db import db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.forms import SelectChoice
from minitendr.permissions import demand_scope
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType


def demand_list(user: User, *, status: str = "", orp: str = "", kraj: str = "") -> sa.Select:
    """The demands ``user`` may see, filtered by state, ORP code and kraj code (unknown filters are ignored). A
    provider gets the open minitenders first, the nearest deadline on top, then the past ones,
    newest first; everyone else the newest first."""
    stmt = sa.select(Demand).join(Demand.orp).join(Orp.kraj).where(demand_scope(user))
    if status in {s.value for s in DemandStatus}:
        stmt = stmt.where(Demand.state == status)
    if orp:
        stmt = stmt.where(Orp.code == orp)
    if kraj:
        stmt = stmt.where(Kraj.code == kraj)
    if user.role is Role.PROVIDER:
        is_open = Demand.state == DemandStatus.PUBLISHED.value
        nearest_open_first = (sa.case((is_open, 0), else_=1), sa.case((is_open, Demand.deadline)))
        return stmt.order_by(*nearest_open_first, Demand.deadline.desc())
    return stmt.order_by(Demand.created_at.desc(), Demand.id.desc())


def state_counts(user: User) -> dict[str, int]:
    """How many of the demands ``user`` may see are in each state (by the state's value)."""
    # Grouped over a subquery: the derived state carries the clock as a parameter, and PostgreSQL
    # would not see the SELECT and GROUP BY copies of it as the same expression.
    states = sa.select(Demand.state.label("state")).where(demand_scope(user)).subquery()
    return dict(db.session.execute(sa.select(states.c.state, sa.func.count()).group_by(states.c.state)).all())


def service_choices() -> tuple[list[Any], list[Any]]:
    """The demand form's choices: the categories, and the active service types grouped by category.

    Lists of ``SelectChoice``, which the checker can only see as ``Any``: typeshed's WTForms stubs
    lack the class (``minitendr.forms`` bridges it)."""
    categories = db.session.scalars(sa.select(ServiceCategory).order_by(ServiceCategory.position)).all()
    types = db.session.execute(
        sa.select(ServiceType, ServiceCategory.name)
        .join(ServiceType.category)
        .where(ServiceType.active)
        .order_by(ServiceCategory.position, ServiceType.name)
    )
    return (
        [SelectChoice(c.id, c.name) for c in categories],
        [SelectChoice(t.id, f"{t.name} ({t.unit})", optgroup=category) for t, category in types],
    )
