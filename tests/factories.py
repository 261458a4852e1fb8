"""factory_boy factories; they flush into the test's transaction, never commit."""

from __future__ import annotations

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
