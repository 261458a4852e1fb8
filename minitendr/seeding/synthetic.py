"""Synthetic data at national scale: all 14 kraje and 206 ORP, providers, framework contracts, awarded
minitenders with their bids, sub-contracts and monthly drawdowns — for performance work.

Written in bulk, not through the service functions: rows get their ids here and go in batches
(SQLAlchemy Core on SQLite, COPY on PostgreSQL). The invariants the services keep are kept by
construction: every framework's ceiling covers what its sub-contracts commit, one live bid per provider
and minitender, drawn ≤ contracted, every deadline in the past (nothing is sealed any more).
Deterministic for a given ``--seed``; it adds to what the database already holds.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from minitendr import clock
from minitendr.bids.models import Bid, EnvelopeOpening
from minitendr.contracts.models import REGISTRY_THRESHOLD, Drawdown, SubContract
from minitendr.db import db
from minitendr.demands.models import NEEDS, Demand, Invitation
from minitendr.frameworks.models import FrameworkContract, FrameworkParty
from minitendr.providers.ico import check_digit
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType
from minitendr.reports import summary

BATCH = 5000
# The tables the loader fills row by row, in the order their foreign keys need.
BULK = (Demand, Invitation, Bid, EnvelopeOpening, SubContract, Drawdown)
CATEGORY_SHARE = {"pobytove": 0.18, "poradenstvi": 0.30, "terenni": 0.52}
MONTHS = {"pobytove": (1, 6), "poradenstvi": (1, 6), "terenni": (3, 12)}
MEDIAN_VALUE = {"pobytove": 90000.0, "poradenstvi": 15000.0, "terenni": 45000.0}
PERIODS = ((dt.date(2019, 1, 1), dt.date(2022, 12, 31)), (dt.date(2023, 1, 1), dt.date(2026, 12, 31)))
PROVIDER_KINDS = (
    "Rodinné centrum",
    "Poradna pro rodinu",
    "Centrum sociálních služeb",
    "Azylový dům",
    "Krizové centrum",
    "Spolek pro rodinu",
    "Terénní služby",
    "Diakonie",
    "Centrum pro děti a mládež",
    "Dům na půl cesty",
)
LEGAL_FORMS = ("z.ú.", "z.s.", "o.p.s.")


@dataclass
class Sizes:
    subcontracts: int
    providers: int


def sizes(subcontracts: int) -> Sizes:
    """About one provider per 400 sub-contracts, at least enough for real competition everywhere."""
    return Sizes(subcontracts, max(120, min(6000, subcontracts // 400)))


def _next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


class Writer:
    """Inserts rows in bulk: COPY on PostgreSQL, executemany through Core elsewhere. Counts rows."""

    def __init__(self) -> None:
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.rows = 0
        if not self.postgres:
            # A bulk load: a page cache big enough to keep the indexes being filled in memory.
            self.connection.exec_driver_sql("PRAGMA cache_size = -262144")

    def write(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        table = model.__table__
        if self.postgres:
            columns = list(rows[0])
            processors = {c: table.c[c].type.bind_processor(self.connection.dialect) for c in columns}
            raw = self.connection.connection.driver_connection
            assert raw is not None, "a pooled connection holds psycopg's"
            with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [
                            processors[c](row[c]) if processors[c] and row[c] is not None else _plain(row[c])
                            for c in columns
                        ]
                    )
        else:
            # Straight to the driver in SQLite's storage format: Core's per-value processing would take
            # half of the time.
            columns = list(rows[0])
            placeholders = ", ".join("?" * len(columns))
            self.connection.exec_driver_sql(
                f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})",
                [tuple(_sqlite(row[c]) for c in columns) for row in rows],
            )
        self.rows += len(rows)

    def defer_indexes(self, models) -> list[sa.Index]:
        """Drop the plain (non-unique) indexes of the bulk tables; building each once at the end, in
        one sorted pass, is faster than keeping it up to date row by row. Unique indexes stay: they
        check the one-live-bid and numbering rules on every row."""
        dropped = [index for model in models for index in model.__table__.indexes if not index.unique]
        for index in dropped:
            index.drop(self.connection, checkfirst=True)
        return dropped

    def rebuild_indexes(self, indexes: list[sa.Index]) -> None:
        for index in indexes:
            index.create(self.connection, checkfirst=True)

    def finish(self, models) -> None:
        """Explicit ids leave PostgreSQL's sequences behind; move them past the new rows."""
        if not self.postgres:
            return
        for model in models:
            name = model.__table__.name
            self.connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT coalesce(max(id), 1) FROM {name}))"
            )


def _sqlite(value):
    """A value as SQLAlchemy would store it in SQLite (UTC timestamps without zone, ISO dates)."""
    import enum
    import json

    if value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | dict):
        return json.dumps(value)
    raise TypeError(f"no SQLite form for {value!r}")


def _plain(value):
    import enum
    import json

    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def _load_reference() -> tuple[
    list[Kraj], list[int], dict[int, list[int]], dict[str, list[ServiceType]], dict[str, int]
]:
    kraje = list(db.session.scalars(sa.select(Kraj).order_by(Kraj.code)))
    orps: dict[int, list[int]] = {}
    for orp_id, kraj_id in db.session.execute(sa.select(Orp.id, Orp.kraj_id)):
        orps.setdefault(kraj_id, []).append(orp_id)
    weights = [len(orps[k.id]) for k in kraje]
    categories = {c.code: c.id for c in db.session.scalars(sa.select(ServiceCategory))}
    types: dict[str, list[ServiceType]] = {}
    for service_type in db.session.scalars(sa.select(ServiceType).where(ServiceType.active).order_by(ServiceType.id)):
        types.setdefault(service_type.category.code, []).append(service_type)
    return kraje, weights, orps, types, categories


def _providers(
    writer: Writer, rng: random.Random, count: int, kraje: list[Kraj], weights: list[int], orp_names: dict[int, str]
) -> dict[tuple[int, str], list[int]]:
    """Providers with valid IČO, each working in one kraj and one or two categories."""
    start_id = _next_id(Provider)
    taken = set(db.session.scalars(sa.select(Provider.ico)))
    parties: dict[tuple[int, str], list[int]] = {}
    rows = []
    base = 6_000_000 + rng.randrange(0, 1_000_000)
    for n in range(count):
        kraj = rng.choices(kraje, weights=weights)[0] if n >= len(kraje) * 9 else kraje[n % len(kraje)]
        while True:
            base = base + 1 if base < 9_999_999 else 1_000_000
            ico = f"{base:07d}{check_digit(f'{base:07d}')}"
            if ico not in taken:
                taken.add(ico)
                break
        chosen = (
            [list(CATEGORY_SHARE)[(n // len(kraje)) % 3]]
            if n < len(kraje) * 9
            else rng.sample(list(CATEGORY_SHARE), k=rng.choice((1, 1, 2)))
        )
        provider_id = start_id + n
        place = orp_names[kraj.id]
        rows.append(
            {
                "id": provider_id,
                "ico": ico,
                "name": f"{rng.choice(PROVIDER_KINDS)} {place} {n + 1}, {rng.choice(LEGAL_FORMS)}",
                "legal_form": "",
                "address": place,
                "email": f"info{provider_id}@poskytovatel.demo.cz",
                "phone": "",
                "active": True,
                "created_at": clock.now(),
            }
        )
        for category in chosen:
            parties.setdefault((kraj.id, category), []).append(provider_id)
    writer.write(Provider, rows)
    return parties


def generate(subcontracts: int, seed: int = 1, progress: Callable[[int], None] | None = None) -> dict[str, float]:
    """Write ``subcontracts`` awarded minitenders with everything they bring; returns row counts."""
    rng = random.Random(seed)
    today = clock.today()
    last_day = today - dt.timedelta(days=45)  # everything published is past its deadline
    size = sizes(subcontracts)
    kraje, weights, orps, types, categories = _load_reference()
    orp_names = {
        k.id: db.session.execute(
            sa.select(Orp.name).where(Orp.kraj_id == k.id).order_by(Orp.code).limit(1)
        ).scalar_one()
        for k in kraje
    }
    writer = Writer()
    deferred = writer.defer_indexes(BULK)
    try:
        parties = _providers(writer, rng, size.providers, kraje, weights, orp_names)

        # Plan every sub-contract's kraj, category, period and value first, so each framework's ceiling
        # is known before it is written and covers everything it will commit.
        picks = []
        committed: dict[tuple[int, str, int], int] = {}
        category_codes = list(CATEGORY_SHARE)
        category_weights = list(CATEGORY_SHARE.values())
        span_days = (last_day - PERIODS[0][0]).days
        for _ in range(subcontracts):
            kraj = rng.choices(kraje, weights=weights)[0]
            category = rng.choices(category_codes, weights=category_weights)[0]
            published = PERIODS[0][0] + dt.timedelta(days=rng.randrange(span_days))
            period = 0 if published <= PERIODS[0][1] else 1
            service_type = rng.choice(types[category])
            price = max(1, round(float(service_type.indicative_unit_price) * rng.uniform(0.85, 1.2)))
            units = max(1, round(MEDIAN_VALUE[category] * rng.lognormvariate(0, 0.6) / price))
            key = (kraj.id, category, period)
            committed[key] = committed.get(key, 0) + units * price
            picks.append((kraj.id, category, published, service_type.id, price, units))

        framework_ids = {}
        rows = []
        next_framework = _next_id(FrameworkContract)
        party_rows = []
        next_party = _next_id(FrameworkParty)
        for (kraj_id, category, period), total in sorted(committed.items()):
            valid_from, valid_to = PERIODS[period]
            kraj = next(k for k in kraje if k.id == kraj_id)
            ceiling = min(Decimal(10_000_000_000), Decimal(math.ceil(total * 1.2 / 100_000) * 100_000))
            framework_id = next_framework
            next_framework += 1
            framework_ids[(kraj_id, category, period)] = framework_id
            rows.append(
                {
                    "id": framework_id,
                    "number": f"SYN-{kraj.abbr}-{valid_from.year}-{category[:3].upper()}-{seed}",
                    "kraj_id": kraj_id,
                    "category_id": categories[category],
                    "title": f"Rámcová smlouva {kraj.name} {valid_from.year}–{valid_to.year}",
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "ceiling": ceiling,
                    "price_weight": 60,
                    "quality_weight": 40,
                    "bid_period_days": 10,
                    "status": "active",
                    "activated_at": clock.now(),
                    "created_at": clock.now(),
                }
            )
            for provider_id in parties.get((kraj_id, category), []):
                party_rows.append(
                    {
                        "id": next_party,
                        "framework_id": framework_id,
                        "provider_id": provider_id,
                        "since": valid_from,
                        "status": "active",
                        "created_at": clock.now(),
                    }
                )
                next_party += 1
        writer.write(FrameworkContract, rows)
        writer.write(FrameworkParty, party_rows)

        # Human numbers continue each kraj's yearly sequence.
        sequences = {
            (abbr, year): last
            for abbr, year, last in db.session.execute(
                sa.select(Demand.kraj_abbr, Demand.number_year, sa.func.max(Demand.number_seq)).group_by(
                    Demand.kraj_abbr, Demand.number_year
                )
            )
        }
        # Sub-contracts have a sequence of their own per kraj and year of signing, as awards take it.
        subcontract_sequences = {
            (abbr, year): last
            for abbr, year, last in db.session.execute(
                sa.select(SubContract.kraj_abbr, SubContract.number_year, sa.func.max(SubContract.number_seq)).group_by(
                    SubContract.kraj_abbr, SubContract.number_year
                )
            )
        }
        abbr = {k.id: k.abbr for k in kraje}
        ids = {model: _next_id(model) for model in BULK}
        needs = list(NEEDS)
        done = 0
        for start in range(0, subcontracts, BATCH):
            batch: dict[type, list[dict]] = {model: [] for model in BULK}
            for kraj_id, category, published, service_type_id, price, units in picks[start : start + BATCH]:
                period = 0 if published <= PERIODS[0][1] else 1
                framework_id = framework_ids[(kraj_id, category, period)]
                orp_id = rng.choice(orps[kraj_id])
                year = published.year
                seq = sequences[(abbr[kraj_id], year)] = sequences.get((abbr[kraj_id], year), 0) + 1
                number = f"{abbr[kraj_id]}-{year}-{seq:04d}"
                months = rng.randint(*MONTHS[category])
                starts = published + dt.timedelta(days=28)
                ends = min(_month_add(starts, months) - dt.timedelta(days=1), PERIODS[period][1])
                if ends < starts:
                    ends = starts
                published_at = dt.datetime.combine(published, dt.time(9), tzinfo=clock.PRAGUE)
                deadline = dt.datetime.combine(published + dt.timedelta(days=14), dt.time(12), tzinfo=clock.PRAGUE)
                decided = deadline + dt.timedelta(days=1)
                demand_id = ids[Demand]
                ids[Demand] += 1
                value = Decimal(units * price)
                batch[Demand].append(
                    {
                        "id": demand_id,
                        "number": number,
                        "number_year": year,
                        "kraj_abbr": abbr[kraj_id],
                        "number_seq": seq,
                        "orp_id": orp_id,
                        "category_id": categories[category],
                        "service_type_id": service_type_id,
                        "framework_id": framework_id,
                        "needs": rng.sample(needs, k=rng.randint(1, 3)),
                        "case_reference": f"SYN-{demand_id}",
                        "need_description": "Syntetická poptávka.",
                        "expected_outcome": "Stabilizace rodiny.",
                        "place": "v obvodu ORP",
                        "volume": Decimal(units),
                        "start_date": starts,
                        "end_date": ends,
                        "estimated_max_value": None,
                        "deadline": deadline,
                        "contact_name": "OSPOD",
                        "contact_email": "ospod@demo.cz",
                        "contact_phone": "",
                        "status": "awarded",
                        "created_at": published_at,
                        "published_at": published_at,
                        "decided_at": decided,
                        "decision_note": None,
                    }
                )
                bidders = rng.sample(
                    parties[(kraj_id, category)],
                    k=min(len(parties[(kraj_id, category)]), rng.choice((1, 2, 2, 3, 3, 4))),
                )
                winner_bid = ids[Bid]
                for place, provider_id in enumerate(bidders):
                    bid_price = price if place == 0 else round(price * rng.uniform(1.03, 1.3))
                    batch[Invitation].append(
                        {
                            "id": ids[Invitation],
                            "demand_id": demand_id,
                            "provider_id": provider_id,
                            "invited_at": published_at,
                        }
                    )
                    ids[Invitation] += 1
                    batch[Bid].append(
                        {
                            "id": ids[Bid],
                            "demand_id": demand_id,
                            "provider_id": provider_id,
                            "status": "awarded" if place == 0 else "not_awarded",
                            "unit_price": Decimal(bid_price),
                            "units": Decimal(units),
                            "total": Decimal(bid_price * units),
                            "vat_rate": 0,
                            "proposed_start": starts,
                            "team": "Tým poskytovatele.",
                            "approach": "Individuální plán.",
                            "submitted_at": published_at + dt.timedelta(hours=24 + place),
                            "quality_score": rng.randint(80, 95) if place == 0 else rng.randint(40, 79),
                            "quality_justification": "Hodnoceno podle kritérií rámcové smlouvy.",
                            "evaluated_at": decided,
                        }
                    )
                    ids[Bid] += 1
                # Awarded, so its envelopes were opened (by the office, after the deadline).
                batch[EnvelopeOpening].append(
                    {
                        "id": ids[EnvelopeOpening],
                        "demand_id": demand_id,
                        "opened_at": deadline + dt.timedelta(hours=1),
                        "opened_by_id": None,
                        "bids_opened": len(bidders),
                    }
                )
                ids[EnvelopeOpening] += 1
                subcontract_id = ids[SubContract]
                ids[SubContract] += 1
                completed = ends < today
                signed = decided.date()
                numbering = (abbr[kraj_id], signed.year)
                subcontract_seq = subcontract_sequences[numbering] = subcontract_sequences.get(numbering, 0) + 1
                batch[SubContract].append(
                    {
                        "id": subcontract_id,
                        "number": f"DS-{abbr[kraj_id]}-{signed.year}-{subcontract_seq:04d}",
                        "kraj_abbr": abbr[kraj_id],
                        "number_year": signed.year,
                        "number_seq": subcontract_seq,
                        "demand_id": demand_id,
                        "bid_id": winner_bid,
                        "framework_id": framework_id,
                        "provider_id": bidders[0],
                        "orp_id": orp_id,
                        "category_id": categories[category],
                        "service_type_id": service_type_id,
                        "units": Decimal(units),
                        "unit_price": Decimal(price),
                        "value": value,
                        "vat_rate": 0,
                        "start_date": starts,
                        "end_date": ends,
                        "signed_on": signed,
                        "status": "completed" if completed else "active",
                        "created_at": decided,
                        "closed_at": dt.datetime.combine(ends, dt.time(16), tzinfo=clock.PRAGUE) if completed else None,
                        **(
                            {"registry_id": str(30_000_000 + subcontract_id), "registry_published_on": decided.date()}
                            if value > REGISTRY_THRESHOLD and rng.random() < 0.92
                            else {"registry_id": None, "registry_published_on": None}
                        ),
                    }
                )
                # Monthly drawdowns for the months that have ended: at most what was contracted.
                month = starts.replace(day=1)
                periods = []
                while month <= ends and _month_add(month, 1) <= today:
                    periods.append(month)
                    month = _month_add(month, 1)
                delivered = int(units * rng.uniform(0.8, 1.0))
                for index, period_start in enumerate(periods):
                    share = delivered // len(periods) + (1 if index < delivered % len(periods) else 0)
                    if share <= 0:
                        continue
                    reported = dt.datetime.combine(
                        _month_add(period_start, 1) + dt.timedelta(days=3), dt.time(10), tzinfo=clock.PRAGUE
                    )
                    batch[Drawdown].append(
                        {
                            "id": ids[Drawdown],
                            "subcontract_id": subcontract_id,
                            "period": period_start,
                            "units": Decimal(share),
                            "amount": Decimal(share * price),
                            "difference_reason": None,
                            "status": "confirmed",
                            "rejection_reason": None,
                            "reported_at": reported,
                            "decided_at": reported + dt.timedelta(days=2),
                        }
                    )
                    ids[Drawdown] += 1
            for model in BULK:
                writer.write(model, batch[model])
            db.session.commit()
            writer.connection = db.session.connection()
            done += len(batch[SubContract])
            if progress:
                progress(done)
        writer.finish((Provider, FrameworkContract, FrameworkParty, *BULK))
    finally:
        # Whatever happened, the indexes and the report summaries come back (a half-done load stays
        # usable and consistent).
        writer.connection = db.session.connection()
        writer.rebuild_indexes(deferred)
        summary.rebuild(writer.connection)
        db.session.commit()
    return {
        "subcontracts": subcontracts,
        "providers": size.providers,
        "frameworks": len(framework_ids),
        "rows": writer.rows,
    }


def _month_add(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)
