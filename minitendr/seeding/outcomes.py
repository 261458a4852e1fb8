"""Demo outcomes: each pilot kraj's list of follow-ups, and on the pilot's ended sub-contracts OSPOD's
outcome and the provider's final report, written through the outcome services with the clock set to
a few days after each sub-contract ended. A few stay without an outcome, for the form to show.

Nothing here adds or changes a sub-contract: the pilot's published table reproduces as before.
Deterministic (a seeded generator) and idempotent (a kraj that keeps a list already is left as it is).
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from minitendr import clock
from minitendr.auth.models import Role, User
from minitendr.contracts.models import SubContract, SubContractStatus
from minitendr.db import db
from minitendr.notifications.models import Notification
from minitendr.notifications.service import outbox_silenced
from minitendr.outcomes import service
from minitendr.outcomes.models import FollowUp, OutcomeResult
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp
from minitendr.seeding.pilot import PILOT

SEED = 2016
FOLLOW_UPS = (
    "Rodina zůstává pohromadě",
    "Dítě se vrátilo do rodiny",
    "Navazuje jiná služba",
    "Služba pokračuje novou zakázkou",
    "Dítě umístěno mimo rodinu",
    "Rodina přestala spolupracovat",
    "Bez další intervence",
)
# What tends to follow each result (indexes into FOLLOW_UPS).
FOLLOWING = {
    OutcomeResult.MET: (0, 0, 0, 1, 6, 6),
    OutcomeResult.PARTLY: (2, 2, 3, 0),
    OutcomeResult.NOT_MET: (2, 4, 5, 3),
}
RESULT_WEIGHTS = {  # per category: met, partly, not met
    "pobytove": (45, 35, 20),
    "poradenstvi": (65, 25, 10),
    "terenni": (55, 30, 15),
}
NOTES = {
    OutcomeResult.MET: ("Cíle individuálního plánu byly naplněny.", ""),
    OutcomeResult.PARTLY: ("Zlepšení v péči o domácnost, školní docházka stále nepravidelná.", ""),
    OutcomeResult.NOT_MET: ("Rodina se přestala účastnit konzultací.", "Situace se zhoršila, OSPOD podal návrh soudu."),
}
REPORTS = (
    "Služba proběhla podle individuálního plánu, rodina spolupracovala, cíle byly dosaženy.",
    "Podařilo se stabilizovat situaci v rodině; doporučujeme navazující poradenství.",
    "Spolupráce byla nepravidelná, část cílů se nepodařilo naplnit; rodině jsme předali kontakty na další služby.",
)
LEFT_OPEN = 0.06  # ended sub-contracts left without an outcome
WITHOUT_REPORT = 0.2  # outcomes the provider has not reported on


def seed_outcomes() -> dict[str, int]:
    """The follow-up lists of the pilot kraje and outcomes on their ended sub-contracts."""
    kraje = list(db.session.scalars(sa.select(Kraj).where(Kraj.code.in_(list(PILOT))).order_by(Kraj.code)))
    if not kraje or db.session.scalar(sa.select(FollowUp.id).where(FollowUp.kraj_id == kraje[0].id).limit(1)):
        return {"outcomes": 0}
    rng = random.Random(SEED)
    offered = {kraj.id: [service.add_follow_up(kraj, label) for label in FOLLOW_UPS] for kraj in kraje}
    ospod = {u.orp_id: u for u in db.session.scalars(sa.select(User).where(User.role == Role.OSPOD, User.active))}
    providers = {
        u.provider_id: u for u in db.session.scalars(sa.select(User).where(User.role == Role.PROVIDER, User.active))
    }
    ended = db.session.scalars(
        sa.select(SubContract)
        .join(Orp, Orp.id == SubContract.orp_id)
        .where(
            Orp.kraj_id.in_(list(offered)),
            SubContract.status.in_([SubContractStatus.COMPLETED, SubContractStatus.TERMINATED]),
        )
        .order_by(SubContract.id)
    ).all()
    recorded = reported = 0
    before = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    with outbox_silenced():
        for subcontract in ended:
            if rng.random() < LEFT_OPEN:
                continue
            closed_at = subcontract.closed_at or clock.now()
            result = rng.choices(list(OutcomeResult), RESULT_WEIGHTS[subcontract.category.code])[0]
            follow_up = offered[subcontract.orp.kraj_id][rng.choice(FOLLOWING[result])]
            with clock.frozen_at(min(closed_at + dt.timedelta(days=rng.randint(3, 20)), clock.now())):
                service.record_outcome(
                    subcontract,
                    result=result.value,
                    follow_up_id=follow_up.id,
                    note=rng.choice(NOTES[result]),
                    user=ospod.get(subcontract.orp_id),
                )
                recorded += 1
                if rng.random() >= WITHOUT_REPORT:
                    provider = db.session.get(Provider, subcontract.provider_id)
                    assert provider is not None, "a sub-contract's provider is registered"
                    service.submit_final_report(
                        subcontract, provider, rng.choice(REPORTS), user=providers.get(provider.id)
                    )
                    reported += 1
        # What happened years ago has been read long since.
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id > before, Notification.read_at.is_(None))
            .values(read_at=clock.now())
        )
    db.session.flush()
    return {"outcomes": recorded, "final_reports": reported}
