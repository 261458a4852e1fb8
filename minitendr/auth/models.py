"""People: user accounts, their role and what the role binds them to."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from minitendr import clock
from minitendr.db import Model, UTCDateTime, enum_column, intpk, timestamp
from minitendr.enums import LabelledEnum
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp


class Role(LabelledEnum):
    """A user's role: its value is stored, its label shown, and its summary (``details``) tells the
    person on the home page what the role is for."""

    ADMIN = "admin", "Správce systému", "Spravujete uživatele, poskytovatele a číselníky celého systému."
    MINISTRY = (
        "ministry",
        "Ministerstvo (MPSV)",
        "Máte náhled na celou republiku: rámcové smlouvy, minitendry, dílčí smlouvy a čerpání.",
    )
    KRAJ = (
        "kraj",
        "Krajský úřad",
        "Spravujete rámcové smlouvy svého kraje a jejich smluvní strany a sledujete čerpání.",
    )
    OSPOD = (
        "ospod",
        "OSPOD",
        "Zadáváte poptávky (minitendry) své ORP, hodnotíte nabídky a potvrzujete čerpání.",
    )
    PROVIDER = (
        "provider",
        "Poskytovatel",
        "Vidíte minitendry, do kterých jste pozváni, podáváte nabídky a vykazujete poskytnuté služby.",
    )

    @property
    def summary(self) -> str:
        return self.details[0]

    @property
    def binding(self) -> str | None:
        """The attribute a user of this role must be bound to (and no other)."""
        return {Role.KRAJ: "kraj", Role.OSPOD: "orp", Role.PROVIDER: "provider"}.get(self)


class User(UserMixin, Model):
    __tablename__ = "user_account"
    __table_args__ = (
        # Each role carries exactly the binding it needs, in the database too.
        sa.CheckConstraint("(role = 'kraj') = (kraj_id IS NOT NULL)", name="kraj_binding"),
        sa.CheckConstraint("(role = 'ospod') = (orp_id IS NOT NULL)", name="orp_binding"),
        sa.CheckConstraint("(role = 'provider') = (provider_id IS NOT NULL)", name="provider_binding"),
        # The user list's order, with and without its role filter (minitendr.auth.service.BY_ROLE).
        sa.Index("ix_user_account_role_email", "role", "email", "id"),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    kraj_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kraj.id"), index=True)
    orp_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orp.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A session remembers the generation it was opened in; raising it (logout, a new password,
    # deactivation) ends every copy of every session of the account at once, on every app host.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The start page's visits: the latest, and the last one of an earlier day, since which what was
    # decided is "new" there (all day long, however often the page is opened).
    start_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    start_new_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def visit_start_page(self) -> dt.datetime | None:
        """Record a visit of the start page now; returns since when results are new to the user (the
        last visit of an earlier day; None before any)."""
        now = clock.now()
        seen = self.start_seen_at
        if seen is not None and seen.astimezone(clock.PRAGUE).date() < now.astimezone(clock.PRAGUE).date():
            self.start_new_since = seen
        self.start_seen_at = now
        return self.start_new_since

    # A provider's user who keeps the accounts of the provider's other users (minitendr.auth.colleagues).
    manages_colleagues: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    kraj: Mapped[Kraj | None] = relationship()
    orp: Mapped[Orp | None] = relationship()
    provider: Mapped[Provider | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt with a random salt.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def binding(self) -> Kraj | Orp | Provider | None:
        return getattr(self, self.role.binding) if self.role.binding else None

    @property
    def home_kraj_id(self) -> int | None:
        """The kraj a kraj official or an OSPOD office belongs to."""
        if self.role is Role.KRAJ:
            return self.kraj_id
        if self.role is Role.OSPOD and self.orp is not None:
            return self.orp.kraj_id
        return None

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class LoginFailures(Model):
    """Failed logins counted under one key: an account, an address, or an account from one address.

    The key is a hash, so the table keeps neither the addresses typed (a password typed into the
    e-mail field included) nor who tried from where. See ``minitendr.auth.throttle``.
    """

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int]
    first_failure_at: Mapped[timestamp]
    last_failure_at: Mapped[timestamp] = mapped_column(index=True)


class PasswordResetToken(Model):
    """A password reset link that is still good: single-use, valid for an hour, one per account.

    Only the token's SHA-256 is kept, so neither a copy of the database nor its backups let anyone
    reset a password; the link in the e-mail is the only copy. See ``minitendr.auth.reset``.
    """

    __tablename__ = "password_reset_token"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[timestamp]
    expires_at: Mapped[timestamp] = mapped_column(index=True)

    user: Mapped[User] = relationship()
