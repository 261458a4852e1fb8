"""The service network of a national deployment, for the synthetic data (``minitendr seed synthetic``
and the benchmark): what the kraje keep beside the minitenders — each framework party's automatic
entries in the catalogue and the services kept by hand in every ORP (as the demo's catalogue has them
for the pilot's kraje), a model of the network per kraj, and OSPOD's outcomes on the ended
sub-contracts. Without them the network's pages would be measured on an empty catalogue and model.

The catalogue and the models go through their services (checked and audited, a few thousand objects;
the catalogue's totals rebuilt once at the end rather than kept entry by entry); the outcomes, one per
ended sub-contract, are written in bulk SQL and their totals rebuilt. Idempotent: what a kraj has
already is left as it is."""

from __future__ import annotations

import sqlalchemy as sa

from minitendr import clock
from minitendr.contracts.models import SubContract, SubContractStatus
from minitendr.db import db
from minitendr.demands.models import Demand
from minitendr.frameworks.models import FrameworkContract, FrameworkStatus
from minitendr.network import catalogue, catalogue_totals
from minitendr.network import summary as network_summary
from minitendr.network.models import CatalogueService
from minitendr.outcomes import service as outcomes
from minitendr.outcomes.models import Outcome, OutcomeNeed, OutcomeResult
from minitendr.registry.models import Kraj, Orp
from minitendr.reports.summary import year_of
from minitendr.seeding.catalogue import seed_catalogue
from minitendr.seeding.network import seed_network_models

# Of every 20 ended sub-contracts (by id): how many met, partly met, not met their expected outcome;
# the rest (one in twenty) still wait for OSPOD's outcome.
RESULTS = ((OutcomeResult.MET, 11), (OutcomeResult.PARTLY, 5), (OutcomeResult.NOT_MET, 3))
OUT_OF = 20


def seed_national_network() -> dict[str, int]:
    """The catalogue, the models and the outcomes of every kraj; returns what was made."""
    kraje = list(db.session.scalars(sa.select(Kraj.code).order_by(Kraj.code)))
    with catalogue_totals.deferred():
        automatic = _automatic_entries()
        made = seed_catalogue(kraje)
    models = seed_network_models(kraje)
    recorded = _outcomes()
    db.session.flush()
    return {"automatic": automatic, **made, "models": models, "outcomes": recorded}


def _automatic_entries() -> int:
    """The parties of the frameworks in force get their catalogue entries, as an activation gives them
    (the synthetic frameworks are written in bulk, past their activation)."""
    before = db.session.scalar(sa.select(sa.func.count(CatalogueService.id))) or 0
    today = clock.today()
    frameworks = db.session.scalars(
        sa.select(FrameworkContract)
        .where(
            FrameworkContract.status == FrameworkStatus.ACTIVE,
            FrameworkContract.valid_from <= today,
            FrameworkContract.valid_to >= today,
        )
        .order_by(FrameworkContract.id)
    )
    for framework in frameworks:
        catalogue.sync_framework(framework)
    db.session.flush()
    return (db.session.scalar(sa.select(sa.func.count(CatalogueService.id))) or 0) - before


def _outcomes() -> int:
    """An outcome on nineteen in twenty ended sub-contracts, in every needs area their minitender lists,
    recorded when the sub-contract closed; then the outcome totals afresh. Only into a database
    without outcomes."""
    if db.session.scalar(sa.select(Outcome.id).limit(1)) is not None:
        return 0  # recorded already (an anti-join against the table being filled would be quadratic)
    dialect = db.session.get_bind().dialect.name
    bucket = SubContract.id % OUT_OF
    upto = 0
    whens = []
    for value, share in RESULTS:
        upto += share
        whens.append((bucket < upto, value.value))
    result = sa.case(*whens, else_=None)
    ended = (
        sa.select(
            SubContract.id,
            SubContract.orp_id,
            Orp.kraj_id,
            SubContract.provider_id,
            SubContract.category_id,
            year_of(Demand.published_at, dialect, utc=True),
            result,
            sa.literal(""),
            sa.func.coalesce(SubContract.closed_at, clock.now()),
        )
        .join(Orp, Orp.id == SubContract.orp_id)
        .join(Demand, Demand.id == SubContract.demand_id)
        .where(
            SubContract.status.in_([SubContractStatus.COMPLETED, SubContractStatus.TERMINATED]),
            bucket < upto,
        )
    )
    columns = ["subcontract_id", "orp_id", "kraj_id", "provider_id", "category_id", "year", "result", "note"]
    before = db.session.scalar(sa.select(sa.func.max(Outcome.id))) or 0
    db.session.execute(sa.insert(Outcome).from_select([*columns, "recorded_at"], ended))
    needs = network_summary.demand_needs(dialect)
    db.session.execute(
        sa.insert(OutcomeNeed).from_select(
            ["outcome_id", "need"],
            sa.select(Outcome.id, needs.c.need)
            .join(SubContract, SubContract.id == Outcome.subcontract_id)
            .join(needs, needs.c.demand_id == SubContract.demand_id)
            .where(Outcome.id > before),
        )
    )
    outcomes.rebuild()
    return db.session.scalar(sa.select(sa.func.count(Outcome.id)).where(Outcome.id > before)) or 0
