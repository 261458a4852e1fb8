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


def test_the_demo_replays_the_pilot_with_its_published_figures(demo_app):
    """On (a copy of) the database ``minitendr demo`` prepared once for the run."""
    seed_dir = Path(demo_app.config["SEED_DIR"])

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
    assert len(seed_demo_accounts(seed_dir)) == 6 + 20
    assert seed_pilot(seed_dir) == {"demands": 0} and seed_present(seed_dir) == {}
    assert (
        db.session.execute(sa.select(SubContract.number, SubContract.value).order_by(SubContract.number)).all() == first
    )

    # The running totals the services kept for the dashboard equal a rebuild from the records.
    from minitendr.reports import summary

    kept = summary.snapshot()
    assert all(kept.values())
    summary.rebuild()
    assert summary.snapshot() == kept


def test_the_pilot_plan_is_the_same_every_run(app):
    seed_dir = Path(app.config["SEED_DIR"])
    assert plan_pilot(seed_dir, random.Random(SEED)) == plan_pilot(seed_dir, random.Random(SEED))
    assert plan_pilot(seed_dir, random.Random(SEED)) != plan_pilot(seed_dir, random.Random(SEED + 1))


def test_synthetic_data_covers_the_country_and_keeps_every_invariant(app):
    from minitendr.bids.models import Bid
    from minitendr.providers.service import create_provider
    from minitendr.seeding.synthetic import generate

    counts = generate(3000, seed=7)
    assert counts["subcontracts"] == 3000
    assert db.session.scalar(sa.select(sa.func.count(SubContract.id))) == 3000
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(SubContract.orp_id)))) == 206
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(FrameworkContract.kraj_id)))) == 14

    # Ceilings cover what every framework commits.
    over_ceiling = db.session.execute(
        sa.select(FrameworkContract.number)
        .join(SubContract, SubContract.framework_id == FrameworkContract.id)
        .group_by(FrameworkContract.id, FrameworkContract.number, FrameworkContract.ceiling)
        .having(sa.func.sum(SubContract.value) > FrameworkContract.ceiling)
    ).all()
    assert over_ceiling == []
    # Every awarded minitender had its envelopes opened, with every one of its bids.
    from minitendr.bids.models import EnvelopeOpening

    unopened = db.session.scalar(
        sa.select(sa.func.count(Demand.id)).where(~sa.exists().where(EnvelopeOpening.demand_id == Demand.id))
    )
    opened_bids = db.session.scalar(sa.select(sa.func.sum(EnvelopeOpening.bids_opened)))
    assert unopened == 0 and opened_bids == db.session.scalar(sa.select(sa.func.count(Bid.id)))
    # One live bid per provider and minitender, exactly one winner, and it is the sub-contract's bid.
    twins = db.session.execute(
        sa.select(Bid.demand_id, Bid.provider_id).group_by(Bid.demand_id, Bid.provider_id).having(sa.func.count() > 1)
    ).all()
    assert twins == []
    winners = db.session.execute(
        sa.select(Bid.demand_id).where(Bid.status == "awarded").group_by(Bid.demand_id).having(sa.func.count() != 1)
    ).all()
    assert winners == []
    mismatched = db.session.scalar(
        sa.select(sa.func.count(SubContract.id))
        .join(Bid, Bid.id == SubContract.bid_id)
        .where(
            sa.or_(Bid.status != "awarded", Bid.total != SubContract.value, Bid.provider_id != SubContract.provider_id)
        )
    )
    assert mismatched == 0
    # Drawn never exceeds the contracted value; nothing is still sealed; bidders were invited parties.
    over_drawn = db.session.execute(
        sa.select(SubContract.id)
        .join(Drawdown)
        .group_by(SubContract.id, SubContract.value)
        .having(sa.func.sum(Drawdown.amount) > SubContract.value)
    ).all()
    assert over_drawn == []
    from minitendr import clock
    from minitendr.demands.models import Invitation
    from minitendr.frameworks.models import FrameworkParty

    assert db.session.scalar(sa.select(sa.func.count(Demand.id)).where(Demand.deadline > clock.now())) == 0
    uninvited = db.session.scalar(
        sa.select(sa.func.count(Bid.id)).where(
            ~sa.select(Invitation.id)
            .where(Invitation.demand_id == Bid.demand_id, Invitation.provider_id == Bid.provider_id)
            .exists()
        )
    )
    assert uninvited == 0
    not_parties = db.session.scalar(
        sa.select(sa.func.count(Bid.id))
        .join(Demand, Demand.id == Bid.demand_id)
        .where(
            ~sa.select(FrameworkParty.id)
            .where(FrameworkParty.framework_id == Demand.framework_id, FrameworkParty.provider_id == Bid.provider_id)
            .exists()
        )
    )
    assert not_parties == 0
    # The database accepts new rows afterwards (PostgreSQL sequences moved past the bulk ids).
    provider = create_provider(ico="00216208", name="Nový poskytovatel")
    assert provider.id > counts["providers"]
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(sa.text("PRAGMA foreign_key_check")).all() == []


def test_seed_synthetic_command_reports_rows_per_second(run_cli):
    result = run_cli("seed", "synthetic", "--subcontracts", "200", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "200 dílčích smluv" in result.output and "řádků/s" in result.output
    assert db.session.scalar(sa.select(sa.func.count(SubContract.id))) == 200
