"""factory_boy factories and objects made through the services (they flush into the test's transaction, never
commit); the forms a browser posts, and what a refused one shows at its field."""

from __future__ import annotations

import re

import factory
from werkzeug.security import generate_password_hash

from minitendr.auth.models import Role, User
from minitendr.db import db
from minitendr.providers.ico import check_digit
from minitendr.providers.models import Provider

TEST_PASSWORD = "heslo-pro-testy"
# Hashed once: scrypt is (rightly) slow, and every persona shares the same password.
TEST_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD)


def valid_ico(n: int) -> str:
    base = f"{3_000_000 + n:07d}"
    return base + str(check_digit(base))


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class ProviderFactory(BaseFactory):
    class Meta:
        model = Provider

    ico = factory.Sequence(valid_ico)
    name = factory.Sequence(lambda n: f"Poskytovatel č. {n}, z.ú.")
    legal_form = "zapsaný ústav"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"uzivatel{n}@test.cz")
    name = factory.Sequence(lambda n: f"Uživatel {n}")
    role = Role.ADMIN
    password_hash = TEST_PASSWORD_HASH
    active = True


def make_framework(
    kraj,
    category_code: str = "terenni",
    providers=(),
    *,
    active: bool = True,
    number: str | None = None,
    valid_from=None,
    valid_to=None,
    ceiling=None,
):
    """A framework made through the service functions, so every rule applies; active by default."""
    import datetime as dt
    from decimal import Decimal

    import sqlalchemy as sa

    from minitendr import clock
    from minitendr.frameworks import service
    from minitendr.registry.models import ServiceCategory

    category = db.session.execute(sa.select(ServiceCategory).where(ServiceCategory.code == category_code)).scalar_one()
    valid_from = valid_from or clock.today() - dt.timedelta(days=30)
    framework = service.create_framework(
        kraj=kraj,
        category=category,
        number=number or f"RS-{kraj.abbr}-{category_code}-{valid_from:%Y%m%d}",
        title=f"Rámcová smlouva – {category.name}",
        valid_from=valid_from,
        valid_to=valid_to or valid_from + dt.timedelta(days=730),
        ceiling=ceiling or Decimal("5000000.00"),
        price_weight=60,
        quality_weight=40,
    )
    for provider in providers:
        service.add_party(framework, provider, framework.valid_from)
    if active:
        service.activate_framework(framework)
    db.session.flush()
    return framework


def demand_values(**overrides):
    """Valid values for a demand (a family's need, pseudonymous), starting in two weeks."""
    import datetime as dt
    from decimal import Decimal

    from minitendr import clock

    start = clock.today() + dt.timedelta(days=14)
    values = {
        "needs": ["vztahy", "uceni"],
        "case_reference": "OSPOD-PA-2026/117",
        "need_description": "Rodina se dvěma dětmi (9 a 12 let), konflikty v rodině, potíže se školní docházkou.",
        "expected_outcome": "Stabilizace rodiny, pravidelná školní docházka.",
        "place": "Pardubice – v domácnosti rodiny",
        "volume": Decimal("40"),
        "start_date": start,
        "end_date": start + dt.timedelta(days=180),
        "estimated_max_value": Decimal("25000.00"),
        "deadline": None,
        "contact_name": "Jana Nováková",
        "contact_email": "ospod@pardubice-mesto.cz",
        "contact_phone": "",
    }
    return values | overrides


def make_demand(ospod_user, service_type_code: str = "SAS", *, publish: bool = False, **overrides):
    """A demand filed (and published) through the service functions, so every rule applies."""
    import sqlalchemy as sa

    from minitendr.demands import service
    from minitendr.registry.models import ServiceType

    service_type = db.session.execute(sa.select(ServiceType).where(ServiceType.code == service_type_code)).scalar_one()
    demand = service.create_demand(
        orp=ospod_user.orp,
        created_by=ospod_user,
        category=service_type.category,
        service_type=service_type,
        **demand_values(**overrides),
    )
    if publish:
        service.publish(demand)
    db.session.flush()
    return demand


def demand_form(**overrides) -> dict:
    """A valid demand form as a browser posts it (filed by OSPOD, the deadline left to the default)."""
    import datetime as dt

    import sqlalchemy as sa

    from minitendr import clock
    from minitendr.registry.models import ServiceType

    sas = db.session.execute(sa.select(ServiceType).where(ServiceType.code == "SAS")).scalar_one()
    start = clock.today() + dt.timedelta(days=14)
    data = {
        "category_id": sas.category_id,
        "service_type_id": sas.id,
        "needs": ["vztahy", "bezpeci"],
        "case_reference": "OSPOD-PA-2026/117",
        "need_description": "Rodina potřebuje podporu při výchově.",
        "expected_outcome": "Zlepšení rodičovských kompetencí.",
        "place": "Pardubice",
        "volume": "40",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=90)).isoformat(),
        "estimated_max_value": "20 000",
        "deadline": "",
        "contact_name": "Jana Nováková",
        "contact_email": "jana@ospod-pardubice.cz",
        "contact_phone": "",
    }
    return data | overrides


def bid_form(unit_price: str = "500", units: str = "40", start: str = "2026-12-14", **overrides) -> dict:
    """A valid bid form as a browser posts it (Czech decimals allowed)."""
    return {
        "unit_price": unit_price,
        "units": units,
        "vat_rate": "0",
        "proposed_start": start,
        "team": "Dva sociální pracovníci s praxí.",
        "approach": "Návštěvy dvakrát týdně podle plánu podpory.",
    } | overrides


def message_at(page: str, input_id: str) -> str | None:
    """The message shown at the input ``input_id`` of a refused form (None when it has none), after
    checking that the input says it is invalid and points to the message."""
    tag = re.search(rf'<(?:textarea|input)[^>]*\bid="{input_id}"[^>]*>', page)
    message = re.search(rf'id="{input_id}-error">([^<]*)<', page)
    if tag is None or message is None:
        return None
    assert 'aria-invalid="true"' in tag.group(0) and f'aria-describedby="{input_id}-error"' in tag.group(0)
    return message.group(1).strip()


MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def make_bid(demand, provider, unit_price="500", units=None, *, attachments=(), **overrides):
    """A bid submitted through the service (so the sealing and every rule apply)."""
    from decimal import Decimal

    from minitendr import clock
    from minitendr.bids import service

    values = {
        "unit_price": Decimal(unit_price),
        "units": Decimal(units) if units is not None else demand.volume,
        "vat_rate": 0,
        "proposed_start": max(demand.start_date, clock.today()),
        "team": "Dvě sociální pracovnice s praxí 10 let, supervize.",
        "approach": "Terénní práce v rodině dvakrát týdně, individuální plán.",
    }
    bid = service.submit_bid(
        demand,
        provider,
        attachments=[service.Upload(name, content) for name, content in attachments],
        **(values | overrides),
    )
    db.session.flush()
    return bid


def seat_committee(demand, *members):
    """The committee step before the opening, done: after the deadline ``members`` (OSPOD users of the
    demand's ORP) are named to the evaluation committee and declare no conflict of interest."""
    from minitendr.committee import service

    for user in members:
        service.name_member(demand, user.id, members[0])
        service.declare(demand, user, conflict=False)
    db.session.flush()
