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
