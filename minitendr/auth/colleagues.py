"""A provider's account manager keeps its colleagues' accounts, so the provider need not ask admin.

The manager (``User.manages_colleagues``, set by admin) lists, creates, deactivates and reactivates
users of their own provider only. Whatever the form sends, a new colleague is a provider user of the
manager's provider and no account manager: nobody grants more than admin gave them.
"""

from __future__ import annotations

import sqlalchemy as sa

from minitendr.auth.models import Role, User
from minitendr.auth.service import create_user, set_active
from minitendr.db import DomainError, db
from minitendr.permissions import can_manage_colleague, can_manage_colleagues


def colleagues(manager: User) -> list[User]:
    """Every account of the manager's provider, the manager included, by e-mail."""
    stmt = sa.select(User).where(User.role == Role.PROVIDER, User.provider_id == manager.provider_id)
    return list(db.session.scalars(stmt.order_by(User.email)))


def create_colleague(manager: User, *, email: str, name: str, password: str) -> User:
    """A new provider user of the manager's own provider (role and provider are not the manager's to choose)."""
    if not can_manage_colleagues(manager):
        raise DomainError("Účty kolegů může spravovat jen správce účtů poskytovatele.")
    return create_user(
        email=email, name=name, password=password, role=Role.PROVIDER, provider=manager.provider, actor=manager
    )


def set_colleague_active(manager: User, colleague: User, active: bool) -> None:
    """(De)activate a colleague's account; the manager's own stays as it is."""
    if not can_manage_colleague(manager, colleague):
        raise DomainError("Tento účet nepatří k vašemu poskytovateli.")
    set_active(colleague, active, actor=manager)
