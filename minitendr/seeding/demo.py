"""The demo: providers and the accounts DESIGN.md lists (password ``demo``), loaded from ``seed/``.

Used by ``minitendr seed demo`` and ``minitendr demo``; idempotent, so running it again changes nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from minitendr.auth.models import Role, User
from minitendr.auth.service import create_user
from minitendr.db import db
from minitendr.providers.models import Provider
from minitendr.providers.service import create_provider
from minitendr.registry.models import Kraj, Orp

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    bound_to: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_demo_accounts(seed_dir: Path) -> list[DemoAccount]:
    """Create the demo providers and one account per role binding, plus one per demo provider."""
    providers = []
    for row in _rows(seed_dir / "demo_providers.csv"):
        provider = db.session.scalar(db.select(Provider).where(Provider.ico == row["ico"]))
        providers.append(provider or create_provider(**row))
    accounts = [dict(row) for row in _rows(seed_dir / "demo_users.csv")]
    accounts += [
        {"email": f"provider{n}@demo.cz", "name": provider.name, "role": "provider", "binding": provider.ico}
        for n, provider in enumerate(providers, start=1)
    ]
    result = []
    for account in accounts:
        role = Role(account["role"])
        binding = _binding(role, account["binding"])
        user = db.session.scalar(db.select(User).where(User.email == account["email"]))
        if user is None:
            user = create_user(
                email=account["email"],
                name=account["name"],
                password=DEMO_PASSWORD,
                role=role,
                enforce_password_policy=False,
                kraj=binding if isinstance(binding, Kraj) else None,
                orp=binding if isinstance(binding, Orp) else None,
                provider=binding if isinstance(binding, Provider) else None,
            )
        result.append(DemoAccount(user.email, role, str(binding) if binding else "celá republika"))
    return result


def _binding(role: Role, code: str) -> Kraj | Orp | Provider | None:
    model, column = {
        Role.KRAJ: (Kraj, Kraj.code),
        Role.OSPOD: (Orp, Orp.code),
        Role.PROVIDER: (Provider, Provider.ico),
    }.get(role, (None, None))
    if model is None:
        return None
    return db.session.execute(db.select(model).where(column == code)).scalar_one()
