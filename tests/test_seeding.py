"""The demo replays the pilot and reproduces its published figures; the synthetic generator keeps
every invariant."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract, SubContractStatus
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
    # Every total has rows, but what awaits the register: the pilot's contracts over 50 000 Kč are published.
    assert all(rows for table, rows in kept.items() if table != "registry_pending")
    assert (
        kept["registry_pending"]
        == set()
        == set(db.session.scalars(sa.select(SubContract.id).where(SubContract.registry_pending)))
    )
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
    # The load wrote no audit trail (nobody decided these minitenders); the trail stays whole.
    from minitendr.audit.service import verify_chain

    assert verify_chain().ok
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(sa.text("PRAGMA foreign_key_check")).all() == []


def test_seed_synthetic_command_reports_rows_per_second(run_cli):
    result = run_cli("seed", "synthetic", "--subcontracts", "200", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "200 dílčích smluv" in result.output and "řádků/s" in result.output
    assert db.session.scalar(sa.select(sa.func.count(SubContract.id))) == 200
    assert "služeb v katalogu" in result.output and "28 krajských modelů" in result.output  # two per kraj


def test_synthetic_data_has_a_national_service_network(app, personas):
    """Every kraj's model, a catalogue in every ORP (the parties' automatic entries among it) and an
    outcome on nineteen in twenty ended sub-contracts, counted in their totals; made once."""
    from minitendr import clock
    from minitendr.network import catalogue, coverage
    from minitendr.network.models import CatalogueOrp, CatalogueService, NetworkModel, NetworkTarget
    from minitendr.outcomes import service as outcomes
    from minitendr.outcomes.models import Outcome, OutcomeSummary
    from minitendr.seeding.national import seed_national_network
    from minitendr.seeding.synthetic import generate
    from tests.test_catalogue_totals import listed_in_bare_sql

    generate(300, seed=5)
    made = seed_national_network()
    kraje = db.session.scalar(sa.select(sa.func.count(Kraj.id)))
    orps = db.session.scalar(sa.select(sa.func.count(Orp.id)))
    assert made["models"] == 2 * kraje  # last year's and this year's
    today = clock.today()
    current = sa.select(NetworkModel.id).where(NetworkModel.valid_from <= today, NetworkModel.valid_to >= today)
    targets = db.session.scalar(sa.select(sa.func.count()).where(NetworkTarget.model_id.in_(current)))
    assert targets == orps * 6
    uncovered = db.session.scalar(
        sa.select(sa.func.count(Orp.id)).where(
            ~sa.select(CatalogueOrp.orp_id)
            .join(CatalogueService, CatalogueService.id == CatalogueOrp.service_id)
            .where(CatalogueOrp.orp_id == Orp.id, catalogue.listed())
            .exists()
        )
    )
    assert uncovered == 0
    # The catalogue's totals (rebuilt once at the end of the load) give the map what the entries list.
    every_orp = list(db.session.scalars(sa.select(Orp.id)))
    on_the_map = {
        (cell.orp_code, cell.need): (cell.services, cell.capacity)
        for cell in coverage.cells(coverage.NetworkFilters(), personas.ministry, medians=False, outcomes=False)
        if cell.services
    }
    assert on_the_map and on_the_map == listed_in_bare_sql(every_orp)
    assert made["automatic"] > 0 and made["automatic"] == db.session.scalar(
        sa.select(sa.func.count(CatalogueService.id)).where(CatalogueService.framework_party_id.is_not(None))
    )
    ended = db.session.scalars(
        sa.select(SubContract.id).where(
            SubContract.status.in_([SubContractStatus.COMPLETED, SubContractStatus.TERMINATED])
        )
    ).all()
    assert ended and made["outcomes"] == sum(1 for id_ in ended if id_ % 20 < 19)
    assert db.session.scalar(sa.select(sa.func.count(Outcome.id))) == made["outcomes"]
    totals = set(db.session.execute(sa.select(*OutcomeSummary.__table__.columns)).all())
    outcomes.rebuild()
    assert set(db.session.execute(sa.select(*OutcomeSummary.__table__.columns)).all()) == totals
    assert sum(row.recorded for row in totals if row.need == "vztahy") > 0
    again = seed_national_network()
    assert again == {"automatic": 0, "services": 0, "fitted": 0, "models": 0, "outcomes": 0}


def _schema_rules() -> set[tuple]:
    """Every index, key and trigger of the database, as it defines them (and whether each trigger is on)."""
    if db.engine.dialect.name == "postgresql":
        return {
            *db.session.execute(
                sa.text("SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
            ),
            *db.session.execute(sa.text("SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint")),
            *db.session.execute(
                sa.text("SELECT 'trigger', tgname, tgenabled::text FROM pg_trigger WHERE NOT tgisinternal")
            ),
        }
    return set(db.session.execute(sa.text("SELECT type, name, sql FROM sqlite_master WHERE type <> 'table'")))


def test_a_synthetic_load_gives_back_every_index_key_and_trigger_it_set_aside(app):
    from minitendr import clock
    from minitendr.bids.models import Bid
    from minitendr.seeding.synthetic import generate

    before = _schema_rules()
    generate(300, seed=9)
    assert _schema_rules() == before

    # The deadline trigger is on again: a bid row received after a synthetic minitender's deadline is refused.
    demand = db.session.scalars(sa.select(Demand).order_by(Demand.id)).first()
    assert demand is not None and demand.deadline is not None and demand.deadline < clock.now()
    late = {
        "demand_id": demand.id,
        "provider_id": db.session.scalar(sa.select(Bid.provider_id).where(Bid.demand_id == demand.id).limit(1)),
        "status": "withdrawn",  # not a live bid: only the deadline stands in its way
        "unit_price": Decimal(100),
        "units": Decimal(1),
        "total": Decimal(100),
        "vat_rate": 0,
        "proposed_start": demand.start_date,
        "team": "Tým",
        "approach": "Postup",
        "submitted_at": demand.deadline,
    }
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.insert(Bid).values(**late))


def test_a_synthetic_load_that_fails_halfway_leaves_a_consistent_database(app, monkeypatch):
    """PostgreSQL loads in one transaction: nothing of it stays. SQLite commits batch by batch: the
    batches written stay, with their indexes and report summaries."""
    from minitendr.reports import summary
    from minitendr.seeding import synthetic

    monkeypatch.setattr(synthetic, "BATCH", 100)
    write, calls = synthetic.Loader.write, []

    def disk_full_at_the_second_batch(loader, encoded):
        calls.append(encoded)
        if len(calls) == 3:  # providers and frameworks, the first batch, then this
            raise OSError("disk full")
        write(loader, encoded)

    monkeypatch.setattr(synthetic.Loader, "write", disk_full_at_the_second_batch)
    before = _schema_rules()
    with pytest.raises(OSError, match="disk full"):
        synthetic.generate(300, seed=4)

    assert _schema_rules() == before
    kept = db.session.scalar(sa.select(sa.func.count(SubContract.id)))
    assert kept == (0 if db.engine.dialect.name == "postgresql" else 100)
    totals = summary.snapshot()
    summary.rebuild()
    assert summary.snapshot() == totals


def test_the_same_seed_writes_the_same_rows(tmp_path):
    from flask_migrate import upgrade

    from minitendr import clock, create_app
    from minitendr.registry.service import load_reference_data
    from minitendr.seeding.synthetic import generate
    from tests.conftest import MONDAY, config_for_tests

    tables = ("provider", "framework_contract", "framework_party", "demand", "bid", "subcontract", "drawdown")
    loads = []
    for seed, name in ((5, "first"), (5, "again"), (6, "other")):
        other = create_app(config_for_tests(f"sqlite:///{tmp_path}/{name}.db"))
        with other.app_context(), clock.frozen_at(MONDAY):
            upgrade(directory=other.config["MIGRATIONS_DIR"])
            load_reference_data(Path(other.config["SEED_DIR"]))
            db.session.commit()
            generate(150, seed=seed)
            loads.append(
                {table: db.session.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).all() for table in tables}
            )
            db.session.remove()
            db.engine.dispose()
    first, again, other_seed = loads
    assert first == again
    assert first["subcontract"] != other_seed["subcontract"]
