"""The MPSV pilot of 2013–2015, replayed: Pardubický and Karlovarský kraj, their framework contracts,
minitenders with 1–4 bids each, awards and monthly confirmed drawdowns — all through the service
functions the application uses, with the clock set to each moment of the story.

The published result is reproduced exactly in counts and closely in money (see ``PILOT``); the plan is
drawn from a seeded random generator, so every run writes the same data.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import sqlalchemy as sa

from minitendr import clock
from minitendr.auth.models import Role, User
from minitendr.bids import service as bids
from minitendr.committee import service as committee
from minitendr.contracts import service as contracts
from minitendr.db import db
from minitendr.demands import evaluation
from minitendr.demands import service as demands
from minitendr.demands.models import NEEDS, Demand
from minitendr.frameworks import service as frameworks
from minitendr.frameworks.models import FrameworkContract
from minitendr.notifications.models import Notification
from minitendr.notifications.service import outbox_silenced
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType

SEED = 2013
PILOT_START, PILOT_END = dt.date(2013, 1, 1), dt.date(2015, 12, 31)


# The published table: sub-contracts per category, and confirmed drawdowns in Kč.
@dataclass(frozen=True)
class Published:
    """What the pilot's evaluation published for one kraj: sub-contracts per category, money drawn."""

    subcontracts: dict[str, int]
    drawn: Decimal


PILOT = {
    "CZ053": Published({"pobytove": 33, "poradenstvi": 74, "terenni": 144}, Decimal("15000000")),
    "CZ041": Published({"pobytove": 66, "poradenstvi": 16, "terenni": 63}, Decimal("25000000")),
}
# How money divides between categories (relative size of one sub-contract), and how long they run.
CATEGORY_WEIGHT = {"pobytove": 6.0, "poradenstvi": 1.0, "terenni": 2.2}
MONTHS = {"pobytove": (2, 6), "poradenstvi": (2, 6), "terenni": (4, 12)}
WEIGHTS = {"pobytove": (60, 40), "poradenstvi": (50, 50), "terenni": (70, 30)}
UNSUCCESSFUL_PER_KRAJ = 4
CANCELLED_PER_KRAJ = 3

NEED_TEXTS = {
    "pobytove": (
        "Dítě potřebuje bezpečné krátkodobé umístění, rodina prochází krizí.",
        "Rodina s dětmi přišla o bydlení a potřebuje ubytování s podporou.",
        "Mladý dospělý odchází z ústavní péče a potřebuje bydlení s doprovázením.",
    ),
    "poradenstvi": (
        "Rodiče v konfliktu o péči o děti potřebují mediaci.",
        "Dítě s výchovnými obtížemi potřebuje psychologické vyšetření.",
        "Rodina po rozpadu potřebuje odborné poradenství.",
    ),
    "terenni": (
        "Rodina potřebuje podporu při péči o domácnost a školní přípravě dětí.",
        "Rodiče potřebují posílit rodičovské kompetence v domácím prostředí.",
        "Pěstounská rodina potřebuje pravidelné doprovázení.",
    ),
}


@dataclass
class Plan:
    """One minitender of the pilot, decided before anything is written."""

    kraj: str
    category: str
    orp_code: str
    service_type: str
    published: dt.date
    months: int
    unit_price: Decimal
    delivered: list[int]  # units delivered per month (confirmed drawdowns)
    units: Decimal  # contracted units
    winner: str  # IČO
    others: list[tuple[str, Decimal, int]] = field(default_factory=list)  # (IČO, unit price, quality)
    winner_quality: int = 90
    needs: list[str] = field(default_factory=list)
    outcome: str = "awarded"  # awarded | unsuccessful | cancelled


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _working_day(day: dt.date) -> dt.date:
    while not clock.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def plan_pilot(seed_dir: Path, rng: random.Random) -> list[Plan]:
    """Decide every minitender: where, what, when, who wins at what price, what is delivered."""
    providers = _rows(seed_dir / "demo_providers.csv")
    types = _rows(seed_dir / "service_types.csv")
    orps = _rows(seed_dir / "kraje_orp.csv")
    plans: list[Plan] = []
    for kraj, table in PILOT.items():
        kraj_orps = [o["orp_code"] for o in orps if o["kraj_code"] == kraj]
        slots = [(category, n) for category in CATEGORY_WEIGHT for n in range(table.subcontracts[category])]
        weights = [CATEGORY_WEIGHT[c] * rng.lognormvariate(0, 0.45) for c, _ in slots]
        scale = table.drawn / Decimal(str(sum(weights)))
        for (category, _), weight in zip(slots, weights, strict=True):
            target = Decimal(str(weight)) * scale
            service_type = rng.choice([t for t in types if t["category"] == category])
            price = (Decimal(service_type["indicative_unit_price_czk"]) * Decimal(rng.uniform(0.9, 1.1))).quantize(
                Decimal(1)
            )
            low, high = MONTHS[category]
            months = rng.randint(low, high)
            total_units = max(months, int((target / price).to_integral_value()))
            delivered = [total_units // months + (1 if m < total_units % months else 0) for m in range(months)]
            utilisation = Decimal(str(rng.uniform(0.86, 1.0)))
            units = (Decimal(total_units) / utilisation).to_integral_value(ROUND_CEILING)
            latest = PILOT_END - dt.timedelta(days=31 * months + 45)
            published = _working_day(
                dt.date(2013, 2, 1) + dt.timedelta(days=rng.randint(0, (latest - dt.date(2013, 2, 1)).days))
            )
            parties = [p["ico"] for p in providers if p["kraj"] == kraj and category in p["categories"].split()]
            bidders = rng.sample(parties, k=min(len(parties), rng.randint(1, 4)))
            others = [
                (ico, (price * Decimal(str(rng.uniform(1.04, 1.35)))).quantize(Decimal(1)), rng.randint(50, 80))
                for ico in bidders[1:]
            ]
            plans.append(
                Plan(
                    kraj,
                    category,
                    rng.choice(kraj_orps),
                    service_type["code"],
                    published,
                    months,
                    price,
                    delivered,
                    units,
                    bidders[0],
                    others,
                    rng.randint(80, 95),
                    rng.sample(list(NEEDS), k=rng.randint(1, 3)),
                )
            )
        # Minitenders that ended without a sub-contract: no acceptable bid, or cancelled.
        for outcome, count in (("unsuccessful", UNSUCCESSFUL_PER_KRAJ), ("cancelled", CANCELLED_PER_KRAJ)):
            for _ in range(count):
                category = rng.choice(list(CATEGORY_WEIGHT))
                service_type = rng.choice([t for t in types if t["category"] == category])
                parties = [p["ico"] for p in providers if p["kraj"] == kraj and category in p["categories"].split()]
                published = _working_day(dt.date(2013, 3, 1) + dt.timedelta(days=rng.randint(0, 900)))
                plans.append(
                    Plan(
                        kraj,
                        category,
                        rng.choice(kraj_orps),
                        service_type["code"],
                        published,
                        3,
                        Decimal(service_type["indicative_unit_price_czk"]),
                        [10, 10, 10],
                        Decimal(30),
                        rng.choice(parties),
                        [],
                        40,
                        rng.sample(list(NEEDS), k=1),
                        outcome,
                    )
                )
    plans.sort(key=lambda p: (p.published, p.kraj, p.orp_code))
    return plans


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.PRAGUE)


def _frameworks(
    plans: list[Plan], parties: dict[tuple[str, str], list[Provider]]
) -> dict[tuple[str, str], FrameworkContract]:
    """One framework per kraj and category, for the pilot years, with a ceiling above what it will commit."""
    found = {}
    with clock.frozen_at(_at(PILOT_START)):
        for kraj_code in PILOT:
            kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == kraj_code)).scalar_one()
            for category in CATEGORY_WEIGHT:
                committed = sum(p.unit_price * p.units for p in plans if (p.kraj, p.category) == (kraj_code, category))
                ceiling = (committed * Decimal("1.25") / 100000).to_integral_value(ROUND_CEILING) * 100000
                price_weight, quality_weight = WEIGHTS[category]
                service_category = db.session.execute(
                    sa.select(ServiceCategory).where(ServiceCategory.code == category)
                ).scalar_one()
                framework = frameworks.create_framework(
                    kraj=kraj,
                    category=service_category,
                    number=f"RS-{kraj.abbr}-2013-{category[:3].upper()}",
                    title=f"Pilotní projekt MPSV – {service_category.name}",
                    valid_from=PILOT_START,
                    valid_to=PILOT_END,
                    ceiling=max(ceiling, Decimal(1000000)),
                    price_weight=price_weight,
                    quality_weight=quality_weight,
                )
                for provider in parties[(kraj_code, category)]:
                    frameworks.add_party(framework, provider, PILOT_START)
                frameworks.activate_framework(framework)
                found[(kraj_code, category)] = framework
    return found


def _demand_values(plan: Plan, rng: random.Random, n: int) -> dict:
    start = plan.published + dt.timedelta(days=28)
    return {
        "needs": plan.needs,
        "case_reference": f"OSPOD-{plan.orp_code}-{plan.published.year}/{n:04d}",
        "need_description": rng.choice(NEED_TEXTS[plan.category]),
        "expected_outcome": "Stabilizace situace rodiny a bezpečí dítěte.",
        "place": "v obvodu ORP",
        "volume": plan.units,
        "start_date": start,
        "end_date": _add_months(start, plan.months) - dt.timedelta(days=1),
        "estimated_max_value": None,
        "deadline": None,
        "contact_name": "Pracovník OSPOD",
        "contact_email": f"ospod{plan.orp_code}@demo.cz",
        "contact_phone": "",
    }


def _play(plan: Plan, n: int, rng: random.Random, providers: dict[str, Provider], ospod: dict[str, User]) -> None:
    """One minitender from filing to the last confirmed drawdown, through the application's services."""
    orp = db.session.execute(sa.select(Orp).where(Orp.code == plan.orp_code)).scalar_one()
    service_type = db.session.execute(sa.select(ServiceType).where(ServiceType.code == plan.service_type)).scalar_one()
    officer = ospod.get(plan.orp_code)
    with clock.frozen_at(_at(plan.published)):
        demand = demands.create_demand(
            orp=orp,
            created_by=officer,
            category=service_type.category,
            service_type=service_type,
            **_demand_values(plan, rng, n),
        )
        demands.publish(demand)
    if plan.outcome == "cancelled":
        with clock.frozen_at(_at(plan.published + dt.timedelta(days=2))):
            demands.cancel(demand, "Rodina se odstěhovala mimo obvod ORP; služba už není potřeba.")
        return
    bid_time = _at(plan.published + dt.timedelta(days=1), 10)
    placed = []
    with clock.frozen_at(bid_time):
        for ico, price, quality in [(plan.winner, plan.unit_price, plan.winner_quality), *plan.others]:
            bid = bids.submit_bid(
                demand,
                providers[ico],
                unit_price=price,
                units=plan.units,
                vat_rate=0,
                proposed_start=demand.start_date,
                team="Sociální pracovnice a psycholog s praxí v práci s rodinou.",
                approach="Individuální plán podpory, pravidelné konzultace s OSPOD.",
            )
            placed.append((bid, quality))
    deadline = demand.deadline
    assert deadline is not None, "publishing set the deadline"
    member = _seat_committee(demand, orp, officer, deadline)
    with clock.frozen_at(deadline + dt.timedelta(hours=1)):
        evaluation.open_envelopes(demand, officer)
    with clock.frozen_at(deadline + dt.timedelta(hours=2)):
        if plan.outcome == "unsuccessful":
            for bid, _ in placed:
                bids.exclude_bid(bid, "Nabídka nesplnila požadavky na kvalifikaci týmu.", by=member)
            evaluation.close_unsuccessful(demand, officer, "Žádná nabídka nesplnila požadavky.")
            return
        for bid, quality in placed:
            bids.score_bid(bid, quality, "Hodnoceno podle zkušeností týmu a navrženého postupu.", by=member)
        subcontract = evaluation.award(demand, officer)
    for month, units in enumerate(plan.delivered):
        period = _add_months(subcontract.start_date.replace(day=1), month)
        with clock.frozen_at(_at(_add_months(period, 1) + dt.timedelta(days=4))):
            drawdown = contracts.report_drawdown(
                subcontract,
                providers[plan.winner],
                period=period,
                units=Decimal(units),
                amount=subcontract.unit_price * units,
            )
            contracts.confirm_drawdown(drawdown)
    with clock.frozen_at(_at(subcontract.end_date + dt.timedelta(days=10))):
        if subcontract.requires_registry:
            contracts.record_registry(subcontract, f"{2600000 + n}", subcontract.signed_on + dt.timedelta(days=5))
        contracts.complete(subcontract)


def _evaluator(orp: Orp, officer: User | None) -> User:
    """Who sits on the ORP's committees in the demo: its OSPOD account, or for an ORP without one an
    evaluator account that cannot log in (no password; an admin may set one)."""
    if officer is not None:
        return officer
    email = f"komise{orp.code}@demo.cz"
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, name=f"Hodnotitel(ka) OSPOD {orp.name}", role=Role.OSPOD, orp=orp, password_hash="!")
        db.session.add(user)
        db.session.flush()
    return user


def _seat_committee(demand: Demand, orp: Orp, officer: User | None, deadline: dt.datetime) -> User:
    """A one-member committee, named and declared (no conflict) between the deadline and the opening:
    enough for the demo's protocols to show the whole record."""
    member = _evaluator(orp, officer)
    with clock.frozen_at(deadline + dt.timedelta(minutes=30)):
        committee.name_member(demand, member.id, officer)
    with clock.frozen_at(deadline + dt.timedelta(minutes=45)):
        committee.declare(demand, member, conflict=False)
    return member


def seed_pilot(seed_dir: Path, progress=None) -> dict[str, int]:
    """Replay the pilot (once: a database that has it already is left as it is)."""
    if db.session.scalar(sa.select(FrameworkContract.id).where(FrameworkContract.number == "RS-PAK-2013-POB")):
        return {"demands": 0}
    rng = random.Random(SEED)
    plans = plan_pilot(seed_dir, rng)
    rows = _rows(seed_dir / "demo_providers.csv")
    providers = {
        p.ico: p for p in db.session.scalars(sa.select(Provider).where(Provider.ico.in_([r["ico"] for r in rows])))
    }
    parties = {
        (kraj, category): [providers[r["ico"]] for r in rows if r["kraj"] == kraj and category in r["categories"]]
        for kraj in PILOT
        for category in CATEGORY_WEIGHT
    }
    ospod = {u.orp.code: u for u in db.session.scalars(sa.select(User).where(User.role == Role.OSPOD)) if u.orp}
    with outbox_silenced():
        _frameworks(plans, parties)
        for n, plan in enumerate(plans, start=1):
            _play(plan, n, rng, providers, ospod)
            if progress:
                progress(n, len(plans))
        # What happened years ago has been read long since.
        db.session.execute(sa.update(Notification).where(Notification.read_at.is_(None)).values(read_at=clock.now()))
    db.session.flush()
    return {"demands": len(plans)}


def seed_present(seed_dir: Path) -> dict[str, str]:
    """Minitenders of today, under a current framework: a draft, an open one with bids, one in
    evaluation. They add no sub-contracts."""
    if db.session.scalar(sa.select(FrameworkContract.id).where(FrameworkContract.number == "RS-PAK-2025-TER")):
        return {}
    today = clock.today()
    kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
    terenni = db.session.execute(sa.select(ServiceCategory).where(ServiceCategory.code == "terenni")).scalar_one()
    rows = [r for r in _rows(seed_dir / "demo_providers.csv") if r["kraj"] == "CZ053" and "terenni" in r["categories"]]
    providers = list(db.session.scalars(sa.select(Provider).where(Provider.ico.in_([r["ico"] for r in rows]))))
    officer = db.session.execute(sa.select(User).where(User.email == "ospod.pardubice@demo.cz")).scalar_one()
    assert officer.orp is not None, "an OSPOD account is bound to its ORP"
    office = officer.orp
    sas = db.session.execute(sa.select(ServiceType).where(ServiceType.code == "SAS")).scalar_one()
    start = dt.date(today.year - 1, 1, 1)
    with clock.frozen_at(_at(start)):
        framework = frameworks.create_framework(
            kraj=kraj,
            category=terenni,
            number="RS-PAK-2025-TER",
            title="Terénní a ambulantní služby pro rodiny a děti",
            valid_from=start,
            valid_to=dt.date(today.year + 2, 12, 31),
            ceiling=Decimal("20000000"),
            price_weight=70,
            quality_weight=30,
        )
        for provider in providers:
            frameworks.add_party(framework, provider, start)
        frameworks.activate_framework(framework)
    rng = random.Random(SEED + 1)

    def filed(days_ago: int, publish: bool) -> Demand:
        plan = Plan(
            "CZ053",
            "terenni",
            "5309",
            "SAS",
            today - dt.timedelta(days=days_ago),
            6,
            Decimal(520),
            [],
            Decimal(48),
            providers[0].ico,
            needs=["vztahy", "uceni"],
        )
        with clock.frozen_at(_at(plan.published)):
            demand = demands.create_demand(
                orp=office,
                created_by=officer,
                category=terenni,
                service_type=sas,
                **_demand_values(plan, rng, 9000 + days_ago),
            )
            if publish:
                demands.publish(demand)
        return demand

    with outbox_silenced():
        draft = filed(0, publish=False)
        open_now = filed(1, publish=True)
        in_evaluation = filed(30, publish=True)
        published = in_evaluation.published_at
        assert published is not None, "publishing set the time"
        for demand, moment in ((open_now, clock.now()), (in_evaluation, _at(published.date()))):
            with clock.frozen_at(moment + dt.timedelta(hours=1)):
                for provider, price in zip(providers[:3], ("495", "520", "548"), strict=False):
                    bids.submit_bid(
                        demand,
                        provider,
                        unit_price=Decimal(price),
                        units=demand.volume,
                        vat_rate=0,
                        proposed_start=demand.start_date,
                        team="Dvě sociální pracovnice s praxí.",
                        approach="Terénní práce v rodině dvakrát týdně.",
                    )
    db.session.flush()
    return {"draft": draft.number, "open": open_now.number, "evaluation": in_evaluation.number}
