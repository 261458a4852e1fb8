"""The demo's models of the service network: for the pilot's two kraje a model of last year (still
readable) and of this year, per ORP and needs area a priority, a goal and a minimal number of services
— chosen from a fixed seed, so the demo is the same every time. Idempotent: a kraj with a model keeps it."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa

from minitendr import clock
from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.network.model_service import TargetValues, create_model, set_targets
from minitendr.network.models import NetworkModel
from minitendr.registry.models import Kraj, Orp

PILOT_KRAJE = ("CZ053", "CZ041")
GOALS = {
    "vztahy": "Dostupné poradenství pro rodiny v konfliktu a podpora kontaktu dítěte s rodiči.",
    "bezpeci": "Krizová pomoc a pobyt pro dítě v ohrožení do 24 hodin.",
    "zdravi": "Dětský psycholog a pedopsychiatr dostupný do 30 dnů.",
    "uceni": "Doučování a podpora školní docházky v každé ORP.",
    "chovani": "Terénní práce s dospívajícími a program pro děti s problémovým chováním.",
    "materialni": "Dluhové poradenství a pomoc s bydlením pro rodiny s dětmi.",
}
SEED = 17


def seed_network_models(kraje: Sequence[str] = PILOT_KRAJE) -> int:
    """Models for ``kraje`` (NUTS codes; the pilot's by default); returns how many were made."""
    rng = random.Random(SEED)
    year = clock.today().year
    made = 0
    for code in kraje:
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == code)).scalar_one()
        if db.session.scalar(sa.select(NetworkModel.id).where(NetworkModel.kraj_id == kraj.id)):
            continue
        orps = list(db.session.scalars(sa.select(Orp).where(Orp.kraj_id == kraj.id).order_by(Orp.code)))
        earlier = create_model(
            kraj,
            f"Krajský model sítě služeb {year - 1}",
            dt.date(year - 1, 1, 1),
            dt.date(year - 1, 12, 31),
            Decimal("25.00"),
            Decimal("60.00"),
        )
        for orp in orps:
            set_targets(
                earlier, orp, {need: TargetValues(priority=2, goal=GOALS[need], minimum_services=1) for need in NEEDS}
            )
        current = create_model(
            kraj,
            f"Krajský model sítě služeb {year}",
            dt.date(year, 1, 1),
            dt.date(year, 12, 31),
            Decimal("20.00"),
            Decimal("50.00"),
            copy_from=earlier,
        )
        for orp in orps:
            stated = {}
            for need in NEEDS:
                priority = rng.choice((1, 1, 2, 2, 3))
                stated[need] = TargetValues(
                    priority=priority,
                    goal=GOALS[need],
                    minimum_services=rng.choice((1, 2, 2, 3)) if priority < 3 else 1,
                )
            set_targets(current, orp, stated)
        made += 2
    db.session.flush()
    return made
