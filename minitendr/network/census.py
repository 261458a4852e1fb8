"""Children aged 0–14 and residents per ORP (2021 census), loaded from ``seed/orp_population.csv``
(taken from the ``children_0_14`` and ``population`` of ``data/orp_map.geojson``) with the reference data."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

from minitendr.db import db
from minitendr.network.models import OrpCensus
from minitendr.registry.models import Orp


def load_census(seed_dir: Path) -> int:
    """Insert or bring up to date every ORP's census counts; returns how many rows changed."""
    with (seed_dir / "orp_population.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["orp_code"]: row for row in csv.DictReader(handle)}
    orps = dict(db.session.execute(sa.select(Orp.code, Orp.id).where(Orp.code.in_(rows))).all())
    known = {c.orp_id: c for c in db.session.scalars(sa.select(OrpCensus))}
    changed = 0
    for code, orp_id in orps.items():
        population, children = int(rows[code]["population"]), int(rows[code]["children_0_14"])
        census = known.get(orp_id)
        if census is None:
            db.session.add(OrpCensus(orp_id=orp_id, population=population, children_0_14=children))
        elif (census.population, census.children_0_14) == (population, children):
            continue
        else:
            census.population, census.children_0_14 = population, children
        changed += 1
    db.session.flush()
    return changed
