"""The demo replays the pilot and reproduces its published figures; the synthetic generator keeps
every invariant."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract
from minitendr.db import db
from minitendr.demands.models import Demand
from minitendr.frameworks.models import FrameworkContract
from minitendr.notifications.models import OutboxEmail
from minitendr.registry.models import Kraj, Orp, ServiceCategory
from minitendr.seeding.demo import seed_demo_accounts
from minitendr.seeding.pilot import SEED, plan_pilot, seed_pilot, seed_present

PUBLISHED = {
    ("CZ053", "pobytove"): 33,
    ("CZ053", "poradenstvi"): 74,
    ("CZ053", "terenni"): 144,
    ("CZ041", "pobytove"): 66,
    ("CZ041", "poradenstvi"): 16,
    ("CZ041", "terenni"): 63,
}
DRAWN = {"CZ053": Decimal("15000000"), "CZ041": Decimal("25000000")}


def test_the_demo_replays_the_pilot_with_its_published_figures(app):
    seed_dir = Path(app.config["SEED_DIR"])
    seed_demo_accounts(seed_dir)
    seed_pilot(seed_dir)
    seed_present(seed_dir)
    db.session.flush()

    # The published table, exactly in counts …
    counts = db.session.execute(
        sa.select(Kraj.code, ServiceCategory.code, sa.func.count(SubContract.id))
        .join(SubContract.orp)
        .join(Orp.kraj)
        .join(SubContract.category)
        .group_by(Kraj.code, ServiceCategory.code)
    ).all()
    assert {(k, c): n for k, c, n in counts} == PUBLISHED
    # … and within 2 % in confirmed money.
    drawn = dict(
        db.session.execute(
            sa.select(Kraj.code, sa.func.sum(Drawdown.amount))
            .join(Drawdown.subcontract)
            .join(SubContract.orp)
            .join(Orp.kraj)
            .where(Drawdown.status == DrawdownStatus.CONFIRMED)
            .group_by(Kraj.code)
        ).all()
    )
    for kraj, target in DRAWN.items():
        assert abs(Decimal(drawn[kraj]) - target) <= target * Decimal("0.02"), (kraj, drawn[kraj])

    # Every state has something to show, and no rule was bent to get there.
    states = set(db.session.scalars(sa.select(Demand.state)))
    assert {"draft", "published", "evaluation", "awarded", "unsuccessful", "cancelled"} <= states
    for framework in db.session.scalars(sa.select(FrameworkContract)):
        committed = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(SubContract.value), 0)).where(
                SubContract.framework_id == framework.id
            )
        )
        assert Decimal(committed) <= framework.ceiling, framework.number
    over = db.session.execute(
        sa.select(SubContract.id)
        .join(Drawdown)
        .group_by(SubContract.id, SubContract.value)
        .having(sa.func.sum(Drawdown.amount) > SubContract.value)
    ).all()
    assert over == []
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0  # nobody is e-mailed about 2013

    # Seeding again changes nothing.
    first = db.session.execute(sa.select(SubContract.number, SubContract.value).order_by(SubContract.number)).all()
    assert seed_pilot(seed_dir) == {"demands": 0} and seed_present(seed_dir) == {}
    assert (
        db.session.execute(sa.select(SubContract.number, SubContract.value).order_by(SubContract.number)).all() == first
    )


def test_the_pilot_plan_is_the_same_every_run(app):
    seed_dir = Path(app.config["SEED_DIR"])
    assert plan_pilot(seed_dir, random.Random(SEED)) == plan_pilot(seed_dir, random.Random(SEED))
    assert plan_pilot(seed_dir, random.Random(SEED)) != plan_pilot(seed_dir, random.Random(SEED + 1))
