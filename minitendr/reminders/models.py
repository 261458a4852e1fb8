"""What reminders exist, who has been reminded of what, and who switched which kind off."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from minitendr import clock
from minitendr.auth.models import Role
from minitendr.db import Model, enum_column, intpk, timestamp
from minitendr.enums import LabelledEnum


class ReminderKind(LabelledEnum):
    """A kind of reminder: its label and what it is about (the preferences page shows both)."""

    DEADLINE = (
        "deadline",
        "Blížící se konec lhůty pro nabídky",
        "Minitendr, do kterého jste pozváni, přijímá nabídky už nejvýše dva pracovní dny.",
    )
    EVALUATION = (
        "evaluation",
        "Minitendry čekající na hodnocení",
        "Lhůta pro nabídky uplynula a o minitendru vaší ORP zatím nebylo rozhodnuto (jednou týdně).",
    )
    DRAWDOWNS = (
        "drawdowns",
        "Čerpání k potvrzení",
        "Poskytovatel vykázal čerpání a čeká déle než tři dny na potvrzení nebo zamítnutí (jednou týdně).",
    )
    REGISTRY = (
        "registry",
        "Zveřejnění v registru smluv",
        "Dílčí smlouvě nebo dodatku zbývá do konce třicetidenní lhůty týden či méně (jednou týdně).",
    )
    MONTHLY_REPORT = (
        "monthly_report",
        "Měsíční výkaz čerpání",
        "Za uplynulý měsíc zatím nemáte u běžící dílčí smlouvy vykázané čerpání (od 5. dne měsíce).",
    )

    @property
    def description(self) -> str:
        return self.details[0]


# Who each kind is for: the preferences page offers a person the kinds of their role only.
RECIPIENT_ROLES: dict[ReminderKind, frozenset[Role]] = {
    ReminderKind.DEADLINE: frozenset({Role.PROVIDER}),
    ReminderKind.EVALUATION: frozenset({Role.OSPOD}),
    ReminderKind.DRAWDOWNS: frozenset({Role.OSPOD}),
    ReminderKind.REGISTRY: frozenset({Role.OSPOD, Role.KRAJ}),
    ReminderKind.MONTHLY_REPORT: frozenset({Role.PROVIDER}),
}


def kinds_for(role: Role) -> list[ReminderKind]:
    """The kinds of reminder a person of ``role`` may receive, in the order of the enum."""
    return [kind for kind in ReminderKind if role in RECIPIENT_ROLES[kind]]


class ReminderSent(Model):
    """One reminder of one person about one object for one period (a day, a week, a month). The
    database's unique key is what makes ``minitendr reminders send`` idempotent, also when two runs
    overlap: the second one's insert finds the row and tells nobody again."""

    __tablename__ = "reminder_sent"
    __table_args__ = (sa.UniqueConstraint("kind", "user_id", "object_key", "period", name="uq_reminder_sent_once"),)

    id: Mapped[intpk]
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind, "reminder_kind"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # What the reminder is about, as "demand:12", "drawdown:7", "subcontract:3", "amendment:5".
    object_key: Mapped[str] = mapped_column(sa.String(40))
    # The period it is for: a deadline's day ("2026-12-07"), an ISO week ("2026-W49"), a month ("2026-11").
    period: Mapped[str] = mapped_column(sa.String(10))
    sent_at: Mapped[timestamp] = mapped_column(default=clock.now)


class ReminderOptOut(Model):
    """A kind of reminder a person switched off (no row: the kind is on)."""

    __tablename__ = "reminder_opt_out"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind, "reminder_kind"), primary_key=True)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
