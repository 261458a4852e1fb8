"""Races that only real concurrent transactions show: two requests at the same moment, each with
its own connection, committing for real (outside the per-test rollback).

On PostgreSQL the row locks decide; on SQLite the write lock taken at BEGIN IMMEDIATE does.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from minitendr import create_app
from minitendr.db import DomainError, db
from minitendr.frameworks import service
from minitendr.frameworks.models import FrameworkContract, FrameworkStatus
from minitendr.registry.models import Kraj
from minitendr.registry.service import load_reference_data
from tests.conftest import PG_URL, config_for_tests
from tests.factories import ProviderFactory, make_framework, seat_committee


@pytest.fixture
def race_app(tmp_path):
    """An application of its own on a database that commits for real; emptied afterwards."""
    url = PG_URL or f"sqlite:///{tmp_path}/race.db"
    app = create_app(config_for_tests(url) | {"ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    with app.app_context():
        if not PG_URL:
            upgrade(directory=app.config["MIGRATIONS_DIR"])
            load_reference_data(Path(app.config["SEED_DIR"]))
            db.session.commit()
        before = tables_with_rows()
    yield app
    with app.app_context():
        if PG_URL:
            # The shared PostgreSQL database is given back as it was to the tests after this one:
            # every table that was empty is emptied again (a running total forgotten here would keep
            # counting rows that are gone). The audit trail refuses DELETE by trigger (as it should);
            # the replica role, a superuser's, skips triggers.
            with db.engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for table in reversed(db.metadata.sorted_tables):
                    if table.name not in before:
                        conn.execute(table.delete())
            assert tables_with_rows() == before, "a test that commits for real changed the reference data"
        db.engine.dispose()  # on SQLite the database file goes with tmp_path


def tables_with_rows() -> set[str]:
    """The tables holding a row, read through a connection of their own."""
    with db.engine.connect() as conn:
        return {
            table.name
            for table in db.metadata.sorted_tables
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
        }


def slowed(monkeypatch, module, name: str, seconds: float = 0.3) -> None:
    """Widen the window between a check and the commit: without the lock under test, both racers
    would pass the check before either commits."""
    original = getattr(module, name)

    def slow(*args, **kwargs):
        found = original(*args, **kwargs)
        time.sleep(seconds)
        return found

    monkeypatch.setattr(module, name, slow)


def run_together(app, *jobs):
    """Run each job in its own thread, app context and session, released at the same moment.
    Returns what each job returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        with app.app_context():
            barrier.wait()
            try:
                results[index] = job()
                db.session.commit()
            except Exception as error:  # the outcome, success or refusal, is what the test checks
                db.session.rollback()
                results[index] = error

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_overlapping_activations_at_once_leave_one_active(race_app, monkeypatch):
    with race_app.app_context():
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
        provider = ProviderFactory()
        ids = [make_framework(kraj, providers=[provider], active=False, number=f"RS-RACE-{n}").id for n in (1, 2)]
        db.session.commit()

    slowed(monkeypatch, service, "overlapping_active")

    def activate(framework_id):
        return lambda: service.activate_framework(db.session.get(FrameworkContract, framework_id))

    results = run_together(race_app, activate(ids[0]), activate(ids[1]))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1, results
    assert "překrývající se platností" in refused[0].message
    with race_app.app_context():
        statuses = db.session.scalars(sa.select(FrameworkContract.status).order_by(FrameworkContract.id)).all()
        assert sorted(statuses) == [FrameworkStatus.ACTIVE, FrameworkStatus.DRAFT]


def _two_minitenders_in_evaluation(race_app, ceiling: str, price: str):
    """A framework with ``ceiling`` and two minitenders under it, each with one scored bid of
    ``price`` × 40 units, whose deadlines have passed. Returns the two demand ids."""
    import datetime as dt
    from decimal import Decimal

    from minitendr import clock
    from minitendr.auth.models import Role
    from minitendr.bids import service as bids
    from minitendr.demands import evaluation
    from minitendr.registry.models import Orp
    from tests.factories import UserFactory, make_bid, make_demand

    with race_app.app_context():
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
        orp = db.session.execute(sa.select(Orp).where(Orp.code == "5309")).scalar_one()
        provider = ProviderFactory()
        ospod = UserFactory(email="ospod.race@test.cz", role=Role.OSPOD, orp=orp)
        with clock.frozen_at(clock.now() - dt.timedelta(days=20)):
            make_framework(kraj, providers=[provider], ceiling=Decimal(ceiling))
            demands = [make_demand(ospod, publish=True, estimated_max_value=None) for _ in range(2)]
            for demand in demands:
                make_bid(demand, provider, unit_price=price)
        for demand in demands:
            seat_committee(demand, ospod)
            evaluation.open_envelopes(demand, ospod)
            bids.score_bid(evaluation.live_bids(demand)[0], 80, "Splňuje zadání.", by=ospod)
        db.session.commit()
        return [d.id for d in demands]


def test_two_awards_racing_for_the_last_of_a_ceiling_leave_one_winner(race_app, monkeypatch):
    from decimal import Decimal

    from minitendr.contracts.models import SubContract
    from minitendr.demands import evaluation
    from minitendr.demands.models import Demand

    # 100 000 ceiling; each award is 60 000: only one of them fits.
    ids = _two_minitenders_in_evaluation(race_app, ceiling="100000", price="1500")
    slowed(monkeypatch, service, "remaining")

    def award(demand_id):
        return lambda: evaluation.award(db.session.get(Demand, demand_id), None)

    results = run_together(race_app, award(ids[0]), award(ids[1]))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1, results
    assert "přesahuje zbývající strop" in refused[0].message
    with race_app.app_context():
        values = db.session.scalars(sa.select(SubContract.value)).all()
        assert values == [Decimal("60000.00")]


def test_a_double_clicked_award_makes_one_sub_contract(race_app, monkeypatch):
    from minitendr.contracts.models import SubContract
    from minitendr.demands import evaluation
    from minitendr.demands.models import Demand

    ids = _two_minitenders_in_evaluation(race_app, ceiling="1000000", price="100")
    slowed(monkeypatch, service, "remaining")

    def award():
        return evaluation.award(db.session.get(Demand, ids[0]), None)

    results = run_together(race_app, award, award)
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and "už bylo rozhodnuto" in refused[0].message, results
    with race_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SubContract.id))) == 1


def test_two_amendments_racing_for_the_last_of_a_ceiling_leave_one(race_app, monkeypatch):
    from decimal import Decimal

    from minitendr import clock
    from minitendr.contracts import service as contracts
    from minitendr.contracts.models import SubContract
    from minitendr.demands import evaluation
    from minitendr.demands.models import Demand

    # 130 000 ceiling, two awards of 60 000: 10 000 left, and each amendment asks for 8 000 more.
    ids = _two_minitenders_in_evaluation(race_app, ceiling="130000", price="1500")
    with race_app.app_context():
        subcontracts = [evaluation.award(db.session.get(Demand, demand_id), None).id for demand_id in ids]
        db.session.commit()
    slowed(monkeypatch, service, "remaining")

    def amend(subcontract_id):
        def job():
            sc = db.session.get(SubContract, subcontract_id)
            return contracts.amend(
                sc,
                new_value=Decimal("68000.00"),
                new_units=sc.units,
                new_end_date=sc.end_date,
                reason="Rozšíření",
                provider_consent="dopis",
                consent_on=clock.today(),
            )

        return job

    results = run_together(race_app, amend(subcontracts[0]), amend(subcontracts[1]))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and "překročilo strop" in refused[0].message, results
    with race_app.app_context():
        assert sorted(db.session.scalars(sa.select(SubContract.value))) == [Decimal("60000.00"), Decimal("68000.00")]


@pytest.mark.postgres_only
def test_two_awards_in_one_kraj_at_once_take_consecutive_sub_contract_numbers(race_app, monkeypatch):
    """Two awards under two frameworks (no shared framework lock) of one kraj: the kraj's row lock taken
    by contracts.allocate_number makes the second wait for the first's number."""
    import datetime as dt

    from minitendr import clock
    from minitendr.auth.models import Role
    from minitendr.bids import service as bids
    from minitendr.contracts import service as contracts
    from minitendr.contracts.models import SubContract
    from minitendr.demands import evaluation
    from minitendr.demands.models import Demand
    from minitendr.registry.models import Orp
    from tests.factories import UserFactory, make_bid, make_demand

    with race_app.app_context():
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
        orp = db.session.execute(sa.select(Orp).where(Orp.code == "5309")).scalar_one()
        provider = ProviderFactory()
        ospod = UserFactory(email="ospod.numbers@test.cz", role=Role.OSPOD, orp=orp)
        with clock.frozen_at(clock.now() - dt.timedelta(days=20)):
            demands = []
            for category, service_type in (("terenni", "SAS"), ("poradenstvi", "OSP")):
                make_framework(kraj, category, providers=[provider], number=f"RS-RACE-{category}")
                demands.append(make_demand(ospod, service_type, publish=True, estimated_max_value=None))
                make_bid(demands[-1], provider, unit_price="100")
        for demand in demands:
            seat_committee(demand, ospod)
            evaluation.open_envelopes(demand, ospod)
            bids.score_bid(evaluation.live_bids(demand)[0], 80, "Splňuje zadání.", by=ospod)
        db.session.commit()
        ids = [d.id for d in demands]
    slowed(monkeypatch, contracts, "_allocate")

    def award(demand_id):
        return lambda: evaluation.award(db.session.get(Demand, demand_id), None).number

    results = run_together(race_app, award(ids[0]), award(ids[1]))
    year = clock.today().year
    assert sorted(results) == [f"DS-PAK-{year}-0001", f"DS-PAK-{year}-0002"], results
    with race_app.app_context():
        assert sorted(db.session.scalars(sa.select(SubContract.number_seq))) == [1, 2]
