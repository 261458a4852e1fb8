"""Synthetic data at national scale: all 14 kraje and 206 ORP, providers, framework contracts, awarded
minitenders with their bids, sub-contracts and monthly drawdowns — for performance work.

Written in bulk, not through the service functions: rows get their ids here, are built as tuples of
the values the database stores (UTC timestamps as text, whole-crown amounts as integers: the Python
objects the ORM would convert cost more than the rest of the load) and go in batches — ``executemany``
on SQLite, ``COPY`` on PostgreSQL, fed by a thread while the next batch is built. The invariants the
services keep are kept by construction and checked by the database: every framework's ceiling covers
what its sub-contracts commit, one live bid per provider and minitender (unique index), drawn ≤
contracted, every deadline in the past (nothing is sealed any more, every bid arrived before its
deadline). No audit trail is written: these minitenders were never decided by anyone. The report
summaries are rebuilt at the end.

Meanwhile the plain indexes of the bulk tables are dropped and built once at the end (one sorted pass
each). On PostgreSQL the load is one transaction — all of it or, after an error, none — and the
foreign keys of the bulk tables are dropped too (adding one back checks every row in one join instead
of a lookup per row) and the deadline trigger is off (one query checks every bid instead); they hold
the tables' exclusive locks until the commit: it is a tool for test and benchmark databases. SQLite
commits each batch (a write-ahead log as big as the database would slow every read of the load down);
after an error, what was written stays, with its indexes and summaries.

Deterministic for a given ``--seed``; it adds to what the database already holds.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import itertools
import json
import math
import queue
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar, cast

import sqlalchemy as sa

from minitendr import clock
from minitendr.bids.models import Bid, EnvelopeOpening
from minitendr.contracts.models import REGISTRY_THRESHOLD, Drawdown, SubContract
from minitendr.db import Model, db
from minitendr.demands.models import NEEDS, Demand, Invitation
from minitendr.frameworks.models import FrameworkContract, FrameworkParty
from minitendr.network import summary as network_summary
from minitendr.providers.ico import check_digit
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType
from minitendr.reports import summary

BATCH = 10_000  # sub-contracts (about 130 000 rows of the six bulk tables)
# The tables the loader fills per sub-contract, in the order their foreign keys need.
BULK: tuple[type[Model], ...] = (Demand, Invitation, Bid, EnvelopeOpening, SubContract, Drawdown)
# The database's own check that no bid arrived at or after its minitender's deadline (migration 0010).
DEADLINE_TRIGGER = "bid_within_deadline"
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
T = TypeVar("T")

# The columns written, in the order of each row's values.
COLUMNS: dict[type[Model], tuple[str, ...]] = {
    Provider: ("id", "ico", "name", "legal_form", "address", "email", "phone", "active", "created_at"),
    FrameworkContract: (
        "id",
        "number",
        "kraj_id",
        "category_id",
        "title",
        "valid_from",
        "valid_to",
        "ceiling",
        "price_weight",
        "quality_weight",
        "bid_period_days",
        "status",
        "activated_at",
        "created_at",
    ),
    FrameworkParty: ("id", "framework_id", "provider_id", "since", "status", "created_at"),
    Demand: (
        "id",
        "number",
        "number_year",
        "kraj_abbr",
        "number_seq",
        "orp_id",
        "category_id",
        "service_type_id",
        "framework_id",
        "needs",
        "case_reference",
        "need_description",
        "expected_outcome",
        "place",
        "volume",
        "start_date",
        "end_date",
        "deadline",
        "contact_name",
        "contact_email",
        "contact_phone",
        "status",
        "created_at",
        "published_at",
        "decided_at",
    ),
    Invitation: ("id", "demand_id", "provider_id", "invited_at"),
    Bid: (
        "id",
        "demand_id",
        "provider_id",
        "status",
        "unit_price",
        "units",
        "total",
        "vat_rate",
        "proposed_start",
        "team",
        "approach",
        "submitted_at",
        "quality_score",
        "quality_justification",
        "evaluated_at",
    ),
    EnvelopeOpening: ("id", "demand_id", "opened_at", "bids_opened"),
    SubContract: (
        "id",
        "number",
        "kraj_abbr",
        "number_year",
        "number_seq",
        "demand_id",
        "bid_id",
        "framework_id",
        "provider_id",
        "orp_id",
        "category_id",
        "service_type_id",
        "units",
        "unit_price",
        "value",
        "vat_rate",
        "start_date",
        "end_date",
        "signed_on",
        "status",
        "created_at",
        "closed_at",
        "registry_id",
        "registry_published_on",
    ),
    Drawdown: ("id", "subcontract_id", "period", "units", "amount", "status", "reported_at", "decided_at"),
}


class Dice:
    """Random draws for millions of rows: each one ``random()`` of a seeded ``random.Random`` (its own
    ``choice``, ``randint`` and ``sample`` cost several times more, and take most of a load's Python
    time)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def between(self, low: int, high: int) -> int:
        """An integer from ``low`` to ``high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def weighted(self, items: Sequence[T], cumulative: Sequence[float]) -> T:
        """One of ``items``, each as likely as its share of the running totals ``cumulative``."""
        return items[bisect.bisect(cumulative, self.random() * cumulative[-1], 0, len(items) - 1)]

    def few(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` different items in the order drawn (``k`` is small beside ``len(items)``; the items
        are distinct)."""
        chosen: list[T] = []
        while len(chosen) < k:
            item = items[int(self.random() * len(items))]
            if item not in chosen:
                chosen.append(item)
        return chosen


@dataclass
class Sizes:
    subcontracts: int
    providers: int


def sizes(subcontracts: int) -> Sizes:
    """About one provider per 400 sub-contracts, at least enough for real competition everywhere."""
    return Sizes(subcontracts, max(120, min(6000, subcontracts // 400)))


def _table(model: type[Model]) -> sa.Table:
    return cast(sa.Table, model.__table__)


def _next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


class Day(NamedTuple):
    """What follows from a minitender's day of publication, in the database's form."""

    published_at: str  # 9:00 in Prague
    submitted_at: tuple[str, ...]  # the bids, from 9:00 on the next day, an hour apart
    deadline: str  # 12:00 fourteen days later
    opened_at: str  # an hour after the deadline
    decided_at: str  # the next day at 12:00
    starts: dt.date  # four weeks after publication
    starts_month: int
    starts_text: str
    signed: dt.date  # the day of the decision
    signed_text: str
    period: int  # of the framework contracts


class Month(NamedTuple):
    """A drawdown's month: its first day, reported on the 4th of the next month at 10:00 and
    confirmed two days later."""

    period: str
    reported_at: str
    decided_at: str


class Values:
    """Values in the form the database stores them, each converted once: a million sub-contracts have a
    few thousand distinct days. Money is in whole crowns here, written as integers (SQLite keeps them as
    such in its NUMERIC columns, PostgreSQL reads them into ``numeric(14,2)``)."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.null = r"\N" if postgres else None
        self.true = "t" if postgres else 1
        self._stamps: dict[tuple[dt.date, int], str] = {}
        self._days: dict[dt.date, Day] = {}
        self._months: dict[int, Month] = {}
        self._texts: dict[dt.date, str] = {}
        self._needs: dict[tuple[str, ...], str] = {}

    def moment(self, moment: dt.datetime) -> str:
        utc = moment.astimezone(dt.UTC)
        # SQLAlchemy's own SQLite format (compared as text in queries), an ISO timestamp for PostgreSQL.
        return utc.strftime("%Y-%m-%d %H:%M:%S+00" if self.postgres else "%Y-%m-%d %H:%M:%S.%f")

    def at(self, day: dt.date, hour: int) -> str:
        """``hour`` o'clock in Prague on ``day`` (``hour`` may run into the following days: the wall
        clock's hour, as adding a ``timedelta`` to an aware Prague time counts)."""
        try:
            return self._stamps[day, hour]
        except KeyError:
            wall = dt.datetime.combine(day, dt.time(), tzinfo=clock.PRAGUE) + dt.timedelta(hours=hour)
            stamp = self._stamps[day, hour] = self.moment(wall)
            return stamp

    def date(self, day: dt.date) -> str:
        try:
            return self._texts[day]
        except KeyError:
            text = self._texts[day] = day.isoformat()
            return text

    def published(self, day: dt.date) -> Day:
        try:
            return self._days[day]
        except KeyError:
            deadline = day + dt.timedelta(days=14)
            starts = day + dt.timedelta(days=28)
            signed = deadline + dt.timedelta(days=1)
            times = self._days[day] = Day(
                self.at(day, 9),
                tuple(self.at(day, 33 + place) for place in range(4)),
                self.at(deadline, 12),
                self.at(deadline, 13),
                self.at(deadline, 36),
                starts,
                _month_index(starts),
                self.date(starts),
                signed,
                self.date(signed),
                0 if day <= PERIODS[0][1] else 1,
            )
            return times

    def month(self, index: int) -> Month:
        try:
            return self._months[index]
        except KeyError:
            reported = _first_of(index + 1) + dt.timedelta(days=3)
            month = self._months[index] = Month(
                self.date(_first_of(index)), self.at(reported, 10), self.at(reported, 58)
            )
            return month

    def needs(self, needs: list[str]) -> str:
        key = tuple(needs)
        try:
            return self._needs[key]
        except KeyError:
            text = self._needs[key] = json.dumps(needs)
            return text

    def text(self, value: str) -> str:
        """A text as COPY reads it: backslashes, tabs and line breaks escaped (the texts of this module
        have none; names from the reference data might)."""
        if not self.postgres:
            return value
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


Batch = dict[type[Model], list[tuple]]


class Loader:
    """Writes rows in bulk on the session's connection and counts them."""

    def __init__(self) -> None:
        self.rows = 0
        self.dropped_indexes: list[sa.Index] = []
        self.dropped_foreign_keys: list[tuple[str, str, str]] = []
        self.attach()
        self.postgres = self.connection.dialect.name == "postgresql"
        if not self.postgres:
            # A page cache big enough to keep the indexes being filled in memory.
            self.connection.exec_driver_sql("PRAGMA cache_size = -262144")

    def attach(self) -> None:
        """Work on the session's connection (again, after a commit)."""
        self.connection = db.session.connection()
        driver = self.connection.connection.driver_connection
        assert driver is not None, "a pooled connection holds the driver's"
        self.driver = driver

    def encode(self, batch: Batch) -> list[tuple[str, int, object]]:
        """The statements and data that write ``batch``: COPY text for PostgreSQL, rows for SQLite."""
        encoded: list[tuple[str, int, object]] = []
        for model, rows in batch.items():
            if not rows:
                continue
            table, columns = _table(model).name, COLUMNS[model]
            if self.postgres:
                line = "\t".join(["%s"] * len(columns)) + "\n"
                data: object = "".join([line % row for row in rows])
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            else:
                data = rows
                statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            encoded.append((statement, len(rows), data))
        return encoded

    def write(self, encoded: list[tuple[str, int, object]]) -> None:
        for statement, count, data in encoded:
            if self.postgres:
                with self.driver.cursor() as cursor, cursor.copy(statement) as copy:
                    copy.write(data)
            else:
                self.driver.executemany(statement, data)
            self.rows += count

    @contextlib.contextmanager
    def pipeline(self) -> Iterator[Callable[[Batch], None]]:
        """``write(batch)``, on PostgreSQL while the batch before is still being written: the server
        reads COPY in a process of its own, fed by a thread here that waits for the socket without the
        GIL while the next batch is built. SQLite works in this process and would take the GIL back
        after every row (and wait for it), so it writes and commits each batch at once. The session is
        the pipeline's until it closes."""
        if not self.postgres:

            def write_and_commit(batch: Batch) -> None:
                self.write(self.encode(batch))
                db.session.commit()
                self.attach()

            yield write_and_commit
            return
        batches: queue.Queue[list | None] = queue.Queue(maxsize=1)
        failures: list[BaseException] = []

        def work() -> None:
            while (encoded := batches.get()) is not None:
                if not failures:
                    try:
                        self.write(encoded)
                    except BaseException as error:  # handed over to the building thread
                        failures.append(error)

        def put(batch: Batch) -> None:
            if failures:
                raise failures[0]
            batches.put(self.encode(batch))

        writer = threading.Thread(target=work, name="synthetic-copy", daemon=True)
        writer.start()
        try:
            yield put
        finally:
            batches.put(None)
            writer.join()
        if failures:
            raise failures[0]

    def set_aside(self, models: tuple[type[Model], ...]) -> None:
        """Drop the plain (non-unique) indexes of the bulk tables: building each once at the end, in one
        sorted pass, is faster than keeping it up to date row by row. Unique indexes stay: they check the
        one-live-bid and numbering rules on every row. On PostgreSQL also drop the tables' foreign keys
        (kept as the database defines them, to be added back) and switch off the deadline trigger."""
        self.dropped_indexes = [index for model in models for index in _table(model).indexes if not index.unique]
        for index in self.dropped_indexes:
            index.drop(self.connection, checkfirst=True)
        if not self.postgres:
            return
        tables = [_table(model).name for model in models]
        self.dropped_foreign_keys = [
            (table, name, definition)
            for table, name, definition in self.connection.execute(
                sa.text(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE contype = 'f' AND conrelid::regclass::text IN :tables ORDER BY conrelid, conname"
                ).bindparams(sa.bindparam("tables", expanding=True)),
                {"tables": tables},
            )
        ]
        for table, name, _ in self.dropped_foreign_keys:
            self.connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        self.connection.exec_driver_sql(f"ALTER TABLE bid DISABLE TRIGGER {DEADLINE_TRIGGER}")

    def restore(self, models: tuple[type[Model], ...]) -> None:
        """Everything ``set_aside`` took away comes back, each rule checked over all the rows at once;
        PostgreSQL's sequences move past the new ids and its planner learns the tables' new sizes."""
        if self.postgres:
            self.connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for index in self.dropped_indexes:
            index.create(self.connection, checkfirst=True)
        if not self.postgres:
            return
        late = self.connection.execute(
            sa.select(sa.func.count(Bid.id))
            .join(Demand, Demand.id == Bid.demand_id)
            .where(sa.or_(Demand.deadline.is_(None), Bid.submitted_at >= Demand.deadline))
        ).scalar_one()
        if late:
            raise RuntimeError(f"{late} bids received at or after their minitender's deadline")
        self.connection.exec_driver_sql(f"ALTER TABLE bid ENABLE TRIGGER {DEADLINE_TRIGGER}")
        for table, name, definition in self.dropped_foreign_keys:
            self.connection.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for model in models:
            name = _table(model).name
            self.connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT coalesce(max(id), 1) FROM {name}))"
            )
            self.connection.exec_driver_sql(f"ANALYZE {name}")


@dataclass
class Reference:
    kraje: list[Kraj]
    cumulative: list[int]  # the kraje's shares of the country (their numbers of ORP), added up
    orps: dict[int, list[int]]  # ORP ids per kraj id
    types: dict[str, list[tuple[int, float]]]  # active service types (id, indicative unit price) per category
    categories: dict[str, int]  # category id per code
    place: dict[int, str]  # a town of each kraj, for providers' names and addresses

    @classmethod
    def load(cls) -> Reference:
        kraje = list(db.session.scalars(sa.select(Kraj).order_by(Kraj.code)))
        orps: dict[int, list[int]] = {}
        for orp_id, kraj_id in db.session.execute(sa.select(Orp.id, Orp.kraj_id)):
            orps.setdefault(kraj_id, []).append(orp_id)
        types: dict[str, list[tuple[int, float]]] = {}
        for service_type in db.session.scalars(
            sa.select(ServiceType).where(ServiceType.active).order_by(ServiceType.id)
        ):
            types.setdefault(service_type.category.code, []).append(
                (service_type.id, float(service_type.indicative_unit_price))
            )
        place = {
            k.id: db.session.execute(
                sa.select(Orp.name).where(Orp.kraj_id == k.id).order_by(Orp.code).limit(1)
            ).scalar_one()
            for k in kraje
        }
        return cls(
            kraje,
            list(itertools.accumulate(len(orps[k.id]) for k in kraje)),
            orps,
            types,
            {category.code: category.id for category in db.session.scalars(sa.select(ServiceCategory))},
            place,
        )


def _providers(
    dice: Dice, count: int, reference: Reference, values: Values, start_id: int, taken: set[str]
) -> tuple[list[tuple], dict[tuple[int, str], list[int]]]:
    """Providers with valid IČO, each working in one kraj and one or two categories (nine in every kraj
    and category to begin with); and the providers of each kraj and category (the parties of its
    framework contracts)."""
    kraje, created, categories = reference.kraje, values.moment(clock.now()), list(CATEGORY_SHARE)
    parties: dict[tuple[int, str], list[int]] = {}
    rows = []
    base = 6_000_000 + dice.below(1_000_000)
    for n in range(count):
        first = n < len(kraje) * 9
        kraj = kraje[n % len(kraje)] if first else dice.weighted(kraje, reference.cumulative)
        while True:
            base = base + 1 if base < 9_999_999 else 1_000_000
            ico = f"{base:07d}{check_digit(f'{base:07d}')}"
            if ico not in taken:
                taken.add(ico)
                break
        chosen = [categories[(n // len(kraje)) % 3]] if first else dice.few(categories, dice.pick((1, 1, 2)))
        provider_id = start_id + n
        place = values.text(reference.place[kraj.id])
        name = f"{dice.pick(PROVIDER_KINDS)} {place} {n + 1}, {dice.pick(LEGAL_FORMS)}"
        email = f"info{provider_id}@poskytovatel.demo.cz"
        rows.append((provider_id, ico, name, "", place, email, "", values.true, created))
        for category in chosen:
            parties.setdefault((kraj.id, category), []).append(provider_id)
    return rows, parties


class Pick(NamedTuple):
    """One sub-contract-to-be, planned before anything is written."""

    kraj_id: int
    category: str
    published: dt.date
    service_type_id: int
    price: int
    units: int


def _plan(dice: Dice, subcontracts: int, reference: Reference, last_day: dt.date) -> list[Pick]:
    """Every sub-contract's kraj, category, day of publication, service and value."""
    kraje, cumulative = [k.id for k in reference.kraje], reference.cumulative
    categories = list(CATEGORY_SHARE)
    category_cumulative = list(itertools.accumulate(CATEGORY_SHARE.values()))
    days = [PERIODS[0][0] + dt.timedelta(days=n) for n in range((last_day - PERIODS[0][0]).days)]
    lognormal = dice.rng.lognormvariate
    picks = []
    for _ in range(subcontracts):
        kraj_id = dice.weighted(kraje, cumulative)
        category = dice.weighted(categories, category_cumulative)
        published = dice.pick(days)
        service_type_id, indicative = dice.pick(reference.types[category])
        price = max(1, round(indicative * dice.uniform(0.85, 1.2)))
        units = max(1, round(MEDIAN_VALUE[category] * lognormal(0, 0.6) / price))
        picks.append(Pick(kraj_id, category, published, service_type_id, price, units))
    return picks


def _frameworks(
    picks: list[Pick],
    reference: Reference,
    values: Values,
    parties: dict[tuple[int, str], list[int]],
    seed: int,
    next_framework: int,
    next_party: int,
) -> tuple[list[tuple], list[tuple], dict[tuple[int, str, int], int]]:
    """One framework contract per kraj, category and period, its ceiling covering all its sub-contracts
    will commit, with the kraj's providers of the category as its parties."""
    committed: dict[tuple[int, str, int], int] = {}
    for pick in picks:
        key = (pick.kraj_id, pick.category, values.published(pick.published).period)
        committed[key] = committed.get(key, 0) + pick.units * pick.price
    kraje = {k.id: k for k in reference.kraje}
    created = values.moment(clock.now())
    frameworks, framework_parties, framework_ids = [], [], {}
    for (kraj_id, category, period), total in sorted(committed.items()):
        valid_from, valid_to = PERIODS[period]
        kraj = kraje[kraj_id]
        ceiling = min(10_000_000_000, math.ceil(total * 1.2 / 100_000) * 100_000)
        framework_id = framework_ids[kraj_id, category, period] = next_framework
        next_framework += 1
        frameworks.append(
            (
                framework_id,
                f"SYN-{kraj.abbr}-{valid_from.year}-{category[:3].upper()}-{seed}",
                kraj_id,
                reference.categories[category],
                values.text(f"Rámcová smlouva {kraj.name} {valid_from.year}–{valid_to.year}"),
                values.date(valid_from),
                values.date(valid_to),
                ceiling,
                60,
                40,
                10,
                "active",
                created,
                created,
            )
        )
        for provider_id in parties.get((kraj_id, category), []):
            framework_parties.append(
                (next_party, framework_id, provider_id, values.date(valid_from), "active", created)
            )
            next_party += 1
    return frameworks, framework_parties, framework_ids


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _first_of(month_index: int) -> dt.date:
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


class Numbering:
    """The next human number of a kraj's yearly sequence, continuing what the database holds."""

    def __init__(self, model: type[Demand] | type[SubContract]) -> None:
        self.last: dict[tuple[str, int], int] = {
            (abbr, year): last
            for abbr, year, last in db.session.execute(
                sa.select(model.kraj_abbr, model.number_year, sa.func.max(model.number_seq)).group_by(
                    model.kraj_abbr, model.number_year
                )
            )
        }

    def next(self, abbr: str, year: int) -> int:
        seq = self.last[abbr, year] = self.last.get((abbr, year), 0) + 1
        return seq


@dataclass
class Plan:
    """What the minitenders are written into, and the numbers they continue."""

    picks: list[Pick]
    parties: dict[tuple[int, str], list[int]]
    framework_ids: dict[tuple[int, str, int], int]
    ids: dict[type[Model], int]  # the next id of each bulk table
    demand_numbers: Numbering
    subcontract_numbers: Numbering


def _batches(dice: Dice, plan: Plan, reference: Reference, values: Values, today: dt.date) -> Iterator[Batch]:
    """The rows of each ``BATCH`` of awarded minitenders: the demand, its invitations and bids, the
    opening of its envelopes, the sub-contract with the winning bid, and its monthly drawdowns."""
    ids = plan.ids
    abbr = {k.id: k.abbr for k in reference.kraje}
    needs = list(NEEDS)
    null, date, categories, orps = values.null, values.date, reference.categories, reference.orps
    threshold = int(REGISTRY_THRESHOLD)
    last_month = _month_index(today) - 1  # the last month that has ended
    text = values.text
    need_description, expected_outcome = text("Syntetická poptávka."), text("Stabilizace rodiny.")
    team, approach = text("Tým poskytovatele."), text("Individuální plán.")
    justification = text("Hodnoceno podle kritérií rámcové smlouvy.")
    pick, between, few, uniform, random_ = dice.pick, dice.between, dice.few, dice.uniform, dice.random
    for start in range(0, len(plan.picks), BATCH):
        demands: list[tuple] = []
        invitations: list[tuple] = []
        bids: list[tuple] = []
        openings: list[tuple] = []
        subcontracts: list[tuple] = []
        drawdowns: list[tuple] = []
        for kraj_id, category, published, service_type_id, price, units in plan.picks[start : start + BATCH]:
            day = values.published(published)
            framework_id = plan.framework_ids[kraj_id, category, day.period]
            category_id = categories[category]
            orp_id = pick(orps[kraj_id])
            kraj_abbr, year = abbr[kraj_id], published.year
            seq = plan.demand_numbers.next(kraj_abbr, year)
            months = between(*MONTHS[category])
            ends = min(_first_of(day.starts_month + months) - dt.timedelta(days=1), PERIODS[day.period][1])
            if ends < day.starts:
                ends = day.starts
            ends_text = date(ends)
            demand_id = ids[Demand]
            ids[Demand] += 1
            demands.append(
                (
                    demand_id,
                    f"{kraj_abbr}-{year}-{seq:04d}",
                    year,
                    kraj_abbr,
                    seq,
                    orp_id,
                    category_id,
                    service_type_id,
                    framework_id,
                    values.needs(few(needs, between(1, 3))),
                    f"SYN-{demand_id}",
                    need_description,
                    expected_outcome,
                    "v obvodu ORP",
                    units,
                    day.starts_text,
                    ends_text,
                    day.deadline,
                    "OSPOD",
                    "ospod@demo.cz",
                    "",
                    "awarded",
                    day.published_at,
                    day.published_at,
                    day.decided_at,
                )
            )
            candidates = plan.parties[kraj_id, category]
            bidders = few(candidates, min(len(candidates), pick((1, 2, 2, 3, 3, 4))))
            winner_bid = ids[Bid]
            for place, provider_id in enumerate(bidders):
                bid_price = price if place == 0 else round(price * uniform(1.03, 1.3))
                invitations.append((ids[Invitation], demand_id, provider_id, day.published_at))
                ids[Invitation] += 1
                bids.append(
                    (
                        ids[Bid],
                        demand_id,
                        provider_id,
                        "awarded" if place == 0 else "not_awarded",
                        bid_price,
                        units,
                        bid_price * units,
                        0,
                        day.starts_text,
                        team,
                        approach,
                        day.submitted_at[place],
                        between(80, 95) if place == 0 else between(40, 79),
                        justification,
                        day.decided_at,
                    )
                )
                ids[Bid] += 1
            # Awarded, so its envelopes were opened (by the office, after the deadline).
            openings.append((ids[EnvelopeOpening], demand_id, day.opened_at, len(bidders)))
            ids[EnvelopeOpening] += 1
            subcontract_id = ids[SubContract]
            ids[SubContract] += 1
            completed = ends < today
            value = units * price
            signed_year = day.signed.year
            subcontract_seq = plan.subcontract_numbers.next(kraj_abbr, signed_year)
            published_in_registry = value > threshold and random_() < 0.92
            subcontracts.append(
                (
                    subcontract_id,
                    f"DS-{kraj_abbr}-{signed_year}-{subcontract_seq:04d}",
                    kraj_abbr,
                    signed_year,
                    subcontract_seq,
                    demand_id,
                    winner_bid,
                    framework_id,
                    bidders[0],
                    orp_id,
                    category_id,
                    service_type_id,
                    units,
                    price,
                    value,
                    0,
                    day.starts_text,
                    ends_text,
                    day.signed_text,
                    "completed" if completed else "active",
                    day.decided_at,
                    values.at(ends, 16) if completed else null,
                    str(30_000_000 + subcontract_id) if published_in_registry else null,
                    day.signed_text if published_in_registry else null,
                )
            )
            # Monthly drawdowns for the months that have ended: at most what was contracted.
            first = day.starts_month
            months_drawn = min(_month_index(ends), last_month) - first + 1
            delivered = int(units * uniform(0.8, 1.0))
            for index in range(max(0, months_drawn)):
                share = delivered // months_drawn + (1 if index < delivered % months_drawn else 0)
                if share <= 0:
                    continue
                month = values.month(first + index)
                drawdowns.append(
                    (
                        ids[Drawdown],
                        subcontract_id,
                        month.period,
                        share,
                        share * price,
                        "confirmed",
                        month.reported_at,
                        month.decided_at,
                    )
                )
                ids[Drawdown] += 1
        yield {
            Demand: demands,
            Invitation: invitations,
            Bid: bids,
            EnvelopeOpening: openings,
            SubContract: subcontracts,
            Drawdown: drawdowns,
        }


def generate(subcontracts: int, seed: int = 1, progress: Callable[[int], None] | None = None) -> dict[str, float]:
    """Write ``subcontracts`` awarded minitenders with everything they bring, and commit; returns row
    counts."""
    dice = Dice(seed)
    today = clock.today()
    last_day = today - dt.timedelta(days=45)  # everything published is past its deadline
    size = sizes(subcontracts)
    reference = Reference.load()
    loader = Loader()
    values = Values(loader.postgres)
    try:
        loader.set_aside(BULK)
        providers, parties = _providers(
            dice,
            size.providers,
            reference,
            values,
            _next_id(Provider),
            set(db.session.scalars(sa.select(Provider.ico))),
        )
        # Plan every sub-contract first, so each framework's ceiling is known before it is written and
        # covers everything it will commit.
        picks = _plan(dice, subcontracts, reference, last_day)
        frameworks, framework_parties, framework_ids = _frameworks(
            picks, reference, values, parties, seed, _next_id(FrameworkContract), _next_id(FrameworkParty)
        )
        loader.write(
            loader.encode({Provider: providers, FrameworkContract: frameworks, FrameworkParty: framework_parties})
        )
        plan = Plan(
            picks,
            parties,
            framework_ids,
            {model: _next_id(model) for model in BULK},
            Numbering(Demand),
            Numbering(SubContract),
        )
        done = 0
        with loader.pipeline() as write:
            for batch in _batches(dice, plan, reference, values, today):
                write(batch)
                done += len(batch[SubContract])
                if progress:
                    progress(done)
        loader.restore((Provider, FrameworkContract, FrameworkParty, *BULK))
        summary.rebuild(loader.connection)
        network_summary.rebuild(loader.connection)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if not loader.postgres:
            # SQLite kept the batches it committed: their indexes and summaries come back with them.
            loader.attach()
            loader.restore(BULK)
            summary.rebuild(loader.connection)
            network_summary.rebuild(loader.connection)
            db.session.commit()
        raise
    return {
        "subcontracts": subcontracts,
        "providers": size.providers,
        "frameworks": len(framework_ids),
        "rows": loader.rows,
    }
