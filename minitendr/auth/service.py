"""Accounts: creating users with the binding their role needs, (de)activating, logging in, passwords."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy.orm import joinedload

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth import sessions
from minitendr.auth.models import Role, User
from minitendr.db import DomainError, db
from minitendr.notifications.service import link, notify
from minitendr.pagination import Page, Sort, paginate
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp

NOT_BOUND = {"kraj": "kraj", "orp": "ORP", "provider": "poskytovatele"}
BINDING_MESSAGES = {
    "kraj": "Uživatel s rolí Krajský úřad musí mít určený kraj.",
    "orp": "Uživatel s rolí OSPOD musí mít určenou ORP.",
    "provider": "Uživatel s rolí Poskytovatel musí mít určeného poskytovatele.",
}


def normalize_email(email: str) -> str:
    """E-mail addresses are compared without case and surrounding spaces."""
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    """The normalised address, or a DomainError on the ``email`` field."""
    email = normalize_email(email)
    if len(email) > 254:
        raise DomainError("E-mail může mít nejvýše 254 znaků.", field="email")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError("Zadejte platnou e-mailovou adresu.", field="email") from None
    return email


@lru_cache(maxsize=1)
def _common_passwords(path: str) -> frozenset[str]:
    lines = Path(path).read_text("utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    """A password on the list, or one of them with digits or a "!" added (``heslo12345!``)."""
    common = _common_passwords(str(Path(current_app.config["SEED_DIR"]) / "common_passwords.txt"))
    lowered = (password or "").lower()
    return lowered in common or lowered.rstrip("0123456789!.") in common or len(set(lowered)) <= 2


def check_password_strength(password: str, field: str = "password") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise DomainError(f"Heslo musí mít alespoň {minimum} znaků.", field=field)
    if len(password) > 200:
        raise DomainError("Heslo může mít nejvýše 200 znaků.", field=field)
    if is_common_password(password):
        raise DomainError("Toto heslo je příliš běžné a snadno uhodnutelné; zvolte jiné.", field=field)


def check_binding(role: Role, kraj: Kraj | None, orp: Orp | None, provider: Provider | None) -> None:
    """A role carries exactly its own binding: a kraj official a kraj, OSPOD an ORP, a provider its
    organisation, and admin and ministry none."""
    given = {"kraj": kraj, "orp": orp, "provider": provider}
    required = role.binding
    if required and given[required] is None:
        raise DomainError(BINDING_MESSAGES[required], field=required)
    for name, value in given.items():
        if name != required and value is not None:
            raise DomainError(f"Role {role.label} se neváže na {NOT_BOUND[name]} – ponechte pole prázdné.", field=name)


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    kraj: Kraj | None = None,
    orp: Orp | None = None,
    provider: Provider | None = None,
    actor: User | None = None,
    enforce_password_policy: bool = True,
) -> User:
    """Create an account after checking every rule; nothing is added when one fails.

    ``enforce_password_policy`` is off only for the demo accounts, whose password is ``demo``.
    """
    email = check_email(email)
    name = (name or "").strip()
    if not name:
        raise DomainError("Vyplňte jméno.", field="name")
    if len(name) > 120:
        raise DomainError("Jméno může mít nejvýše 120 znaků.", field="name")
    if enforce_password_policy:
        check_password_strength(password)
    check_binding(role, kraj, orp, provider)
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise DomainError("Uživatel s tímto e-mailem už existuje.", field="email")
    user = User(email=email, name=name, role=role, kraj=kraj, orp=orp, provider=provider)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    binding = user.binding
    record(
        "user.created",
        user,
        {"email": email, "role": role, "binding": getattr(binding, "code", getattr(binding, "ico", None))},
        actor=actor,
    )
    return user


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """Deactivate (or reactivate) an account; nobody locks themselves out."""
    if actor is not None and actor.id == user.id and not active:
        raise DomainError("Nemůžete deaktivovat svůj vlastní účet.")
    if user.active == active:
        return
    user.active = active
    if not active:
        sessions.end_all(user)
    record("user.activated" if active else "user.deactivated", user, actor=actor)


def _audit_value(value: object) -> object:
    """How a changed field reads in the audit trail: a role by its label, a binding by its name (and
    code), a flag as ano/ne."""
    if isinstance(value, Role):
        return value.label
    if isinstance(value, bool):
        return "ano" if value else "ne"
    if isinstance(value, Kraj | Orp):
        return f"{value.name} ({value.code})"
    if isinstance(value, Provider):
        return f"{value.name} (IČO {value.ico})"
    return value


def update_user(
    user: User,
    *,
    email: str,
    name: str,
    role: Role,
    kraj: Kraj | None = None,
    orp: Orp | None = None,
    provider: Provider | None = None,
    manages_colleagues: bool = False,
    actor: User | None = None,
) -> dict[str, list]:
    """Change an account's name, e-mail, role and what the role binds it to; the audit event lists
    each change as old → new. Nobody demotes themselves, and the last active admin stays one."""
    email = check_email(email)
    name = (name or "").strip()
    if not name:
        raise DomainError("Vyplňte jméno.", field="name")
    if len(name) > 120:
        raise DomainError("Jméno může mít nejvýše 120 znaků.", field="name")
    check_binding(role, kraj, orp, provider)
    if manages_colleagues and role is not Role.PROVIDER:
        raise DomainError("Účty kolegů může spravovat jen uživatel s rolí Poskytovatel.", field="manages_colleagues")
    if role is not user.role and user.role is Role.ADMIN:
        if actor is not None and actor.id == user.id:
            raise DomainError("Nemůžete odebrat roli správce sám sobě – požádejte jiného správce.", field="role")
        if user.active and _active_admins() <= 1:
            raise DomainError("Jde o posledního aktivního správce systému; jeho roli nelze změnit.", field="role")
    clash = db.session.scalar(db.select(User.id).where(User.email == email, User.id != user.id))
    if clash is not None:
        raise DomainError("Uživatel s tímto e-mailem už existuje.", field="email")
    new = {
        "email": email,
        "name": name,
        "role": role,
        "kraj": kraj,
        "orp": orp,
        "provider": provider,
        "manages_colleagues": manages_colleagues,
    }
    changes = {
        key: [_audit_value(getattr(user, key)), _audit_value(value)]
        for key, value in new.items()
        if getattr(user, key) != value
    }
    if not changes:
        return changes
    for key, value in new.items():
        setattr(user, key, value)
    if {"role", "kraj", "orp", "provider", "email"} & changes.keys():
        # What the account may see has changed: its open sessions end, and it logs in anew.
        sessions.end_all(user)
    db.session.flush()
    record("user.updated", user, changes, actor=actor)
    return changes


def _active_admins() -> int:
    stmt = sa.select(sa.func.count(User.id)).where(User.role == Role.ADMIN, User.active)
    return db.session.scalar(stmt) or 0


WRONG_PASSWORD = "Současné heslo není správné."


def change_password(user: User, current: str, new: str) -> None:
    """A new password of the user's own choosing; every session of the account ends (the caller opens
    a fresh one for the person who changed it) and the account's address is told, in case it was not
    its owner."""
    if not user.check_password(current or ""):
        raise DomainError(WRONG_PASSWORD, field="current_password")
    check_password_strength(new, field="new_password")
    if user.check_password(new):
        raise DomainError("Nové heslo musí být jiné než současné.", field="new_password")
    user.set_password(new)
    sessions.end_all(user)
    record("user.password_changed", user, actor=user)
    notify(
        [user],
        "Heslo bylo změněno",
        "Heslo k vašemu účtu bylo právě změněno a všechna ostatní přihlášení byla ukončena. "
        "Pokud jste heslo neměnili vy, obraťte se ihned na správce systému.",
        link("auth.change_password"),
    )


# --- the user administration pages ---------------------------------------------------------------
# The list's order, read from ix_user_account_role_email (role, email, id) a page at a time, with or
# without the role filter. The role sorts as the text it is stored as: a cursor holds that text.
BY_ROLE = Sort((sa.type_coerce(User.role, sa.String(20)), User.email.expression, User.id.expression))


def search(role: str | None, query: str) -> Page[User]:
    """A page of the users of ``role`` (ignored unless a known role) whose e-mail or name contains
    ``query``, with what each is bound to (in the same statement), and how many match (up to
    pagination.COUNT_LIMIT).

    The text search looks inside e-mails and names, which no index serves: the page walks the index
    in order and stops once it has a page of matches, so a common word costs a page and a rare one
    reads the index of the role (or every account) through, as does the count."""
    stmt = sa.select(User).options(joinedload(User.kraj), joinedload(User.orp), joinedload(User.provider))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.email).like(like), sa.func.lower(User.name).like(like)))
    return paginate(stmt, BY_ROLE, lambda user: (user.role, user.email, user.id), count=True)


def kraje() -> list[Kraj]:
    return list(db.session.scalars(db.select(Kraj).order_by(Kraj.name)))


def orps_by_kraj() -> list[tuple[Orp, str]]:
    """Every ORP with its kraj's name, grouped by kraj (for a select with optgroups)."""
    stmt = db.select(Orp, Kraj.name).join(Orp.kraj).order_by(Kraj.name, Orp.name)
    return [(orp, kraj) for orp, kraj in db.session.execute(stmt)]


def active_providers() -> list[Provider]:
    return list(db.session.scalars(db.select(Provider).where(Provider.active).order_by(Provider.name)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. The hash is checked even for an unknown
    address, so timing does not tell which addresses exist."""
    user = db.session.scalar(db.select(User).where(User.email == normalize_email(email)))
    if user is None:
        User(password_hash=_dummy_hash()).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = clock.now()
    return user


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    if "hash" not in _DUMMY:
        probe = User()
        probe.set_password("nepoužité heslo")
        _DUMMY["hash"] = probe.password_hash
    return _DUMMY["hash"]
