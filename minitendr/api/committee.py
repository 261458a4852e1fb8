"""API: the evaluation committee of a minitender — its OSPOD names members (OSPOD users of its ORP),
each member declares no conflict of interest after the deadline; only then are envelopes opened."""

from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint

from minitendr.api import present, schemas
from minitendr.api.core import perform, user
from minitendr.api.problems import Problem
from minitendr.auth.models import User
from minitendr.committee import service
from minitendr.db import db
from minitendr.demands.models import Demand
from minitendr.permissions import can_manage_committee, can_sit_on_committee, ensure

blp = Blueprint("api_committee", __name__, url_prefix="/api/v1/demands", description="Hodnoticí komise")


def _demand(demand_id: int, rule) -> Demand:
    demand = db.get_or_404(Demand, demand_id)
    ensure(rule(user(), demand))
    return demand


@blp.post("/<int:demand_id>/committee")
@blp.arguments(schemas.MemberInput)
@blp.response(200, schemas.Demand)
def name(data, demand_id: int):
    """OSPOD minitendru jmenuje člena komise (pracovníka OSPOD své ORP, podle e-mailu)."""
    demand = _demand(demand_id, can_manage_committee)
    member = db.session.scalar(sa.select(User).where(User.email == data["email"].strip().lower()))
    if member is None:
        raise Problem(422, "Členem komise může být jen aktivní pracovník OSPOD této ORP.", field="email")
    return perform(
        lambda: service.name_member(demand, member.id, user()), lambda _: present.demand(user(), demand, detail=True)
    )


@blp.post("/<int:demand_id>/committee/declaration")
@blp.arguments(schemas.DeclarationInput)
@blp.response(200, schemas.Demand)
def declare(data, demand_id: int):
    """Člen komise prohlásí, že není ve střetu zájmů (nebo že je, a komisi opouští)."""
    demand = _demand(demand_id, can_sit_on_committee)
    return perform(
        lambda: service.declare(demand, user(), data["conflict"], data.get("note")),
        lambda _: present.demand(user(), demand, detail=True),
    )
