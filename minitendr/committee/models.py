"""The evaluation committee (hodnoticí komise) of a minitender and what its members did.

OSPOD names members (its own ORP's OSPOD users) before the envelopes are opened. After the deadline
each member sees who bid, never at what price, and declares in the application whether they have a
conflict of interest (§ 44 zákona 134/2016 Sb.). The envelopes open only when every member still on
the committee has declared none; a member who declares a conflict leaves the committee (the row stays
as the record) and cannot score. Every score and exclusion is a ``BidAssessment`` row naming the member
who made it; the database itself refuses one by a member who has not declared "no conflict" (see
migration 0019), and refuses to rewrite a declaration or an assessment.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.auth.models import User
from minitendr.bids.models import Bid
from minitendr.db import DomainError, Model, UTCDateTime, enum_column, intpk, timestamp
from minitendr.demands.models import Demand
from minitendr.enums import LabelledEnum

# What a member signs; the text with the bidders' names is kept on the row as it was signed.
DECLARATION = (
    "Čestně prohlašuji, že ve vztahu k účastníkům tohoto minitendru uvedeným níže nemám střet zájmů ve smyslu "
    "§ 44 zákona č. 134/2016 Sb., o zadávání veřejných zakázek: nemám osobní, finanční, hospodářský ani jiný "
    "zájem, který by mohl ohrozit mou nestrannost a nezávislost při hodnocení nabídek. Pokud se o střetu "
    "zájmů dozvím později, oznámím to neprodleně zadavateli."
)
CONFLICT = (
    "Oznamuji, že ve vztahu k účastníkům tohoto minitendru uvedeným níže mám střet zájmů ve smyslu § 44 "
    "zákona č. 134/2016 Sb.; na hodnocení nabídek se proto nepodílím."
)


class MemberStatus(LabelledEnum):
    NAMED = "named", "jmenován(a) – čeká na prohlášení"
    DECLARED = "declared", "prohlásil(a), že nemá střet zájmů"
    CONFLICT = "conflict", "oznámil(a) střet zájmů – z komise vyřazen(a)"
    REMOVED = "removed", "odvolán(a) před prohlášením"


class CommitteeMember(Model):
    """One person on one minitender's committee, with their declaration once they have made it."""

    __tablename__ = "committee_member"
    __table_args__ = (
        # A person sits once on a committee: one who declared a conflict is not named again.
        sa.UniqueConstraint("demand_id", "user_id", name="uq_committee_member_demand_user"),
        sa.CheckConstraint(
            "(declared_at IS NOT NULL) = (status IN ('declared', 'conflict'))", name="declared_when_declared"
        ),
        sa.CheckConstraint("(declaration IS NOT NULL) = (declared_at IS NOT NULL)", name="declaration_text"),
        sa.CheckConstraint("(removed_at IS NOT NULL) = (status IN ('conflict', 'removed'))", name="removed_when_gone"),
    )

    id: Mapped[intpk]
    # The unique (demand, user) index serves the committee's lookups by demand.
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    status: Mapped[MemberStatus] = mapped_column(
        enum_column(MemberStatus, "committee_member_status"), default=MemberStatus.NAMED
    )
    named_at: Mapped[timestamp] = mapped_column(default=clock.now)
    named_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    declared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The declaration as signed: its text and the bidders it was made about.
    declaration: Mapped[str | None] = mapped_column(sa.Text)
    conflict_note: Mapped[str | None] = mapped_column(sa.Text)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    demand: Mapped[Demand] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    named_by = relationship("User", foreign_keys=[named_by_id])
    removed_by = relationship("User", foreign_keys=[removed_by_id])

    @property
    def is_seated(self) -> bool:
        """Still on the committee: named and waiting, or declared without a conflict."""
        return self.status in (MemberStatus.NAMED, MemberStatus.DECLARED)

    @property
    def may_assess(self) -> bool:
        """Only a member who declared no conflict scores or excludes bids."""
        return self.status is MemberStatus.DECLARED

    def declare(self, conflict: bool, text: str, note: str | None) -> None:
        """named → declared (no conflict) | conflict (and off the committee)."""
        if self.status is MemberStatus.REMOVED:
            raise DomainError("Z hodnoticí komise jste byl(a) odvolán(a); prohlášení už nečiníte.")
        if self.status is not MemberStatus.NAMED:
            raise DomainError(f"Prohlášení už bylo učiněno ({self.status.label}); změnit je nelze.")
        now = clock.now()
        self.declared_at = now
        self.declaration = text
        if conflict:
            self.status = MemberStatus.CONFLICT
            self.conflict_note = note
            self.removed_at = now
        else:
            self.status = MemberStatus.DECLARED

    def remove(self, removed_by: User | None) -> None:
        """named → removed: a member who has not declared yet is called off the committee."""
        if self.status is not MemberStatus.NAMED:
            raise DomainError(
                f"Odvolat lze jen člena, který dosud neučinil prohlášení; {self.user.name} {self.status.label}."
            )
        self.status = MemberStatus.REMOVED
        self.removed_at = clock.now()
        self.removed_by_id = getattr(removed_by, "id", None)


class AssessmentKind(LabelledEnum):
    SCORE = "score", "hodnocení kvality"
    EXCLUSION = "exclusion", "vyřazení nabídky"


class BidAssessment(Model):
    """A score or an exclusion of one bid by one committee member: the record of who evaluated what.
    The bid keeps the latest of them as its current score (the ranking reads that)."""

    __tablename__ = "bid_assessment"
    __table_args__ = (
        sa.CheckConstraint("(kind = 'score') = (quality_score IS NOT NULL)", name="score_has_points"),
        sa.CheckConstraint("quality_score IS NULL OR quality_score BETWEEN 0 AND 100", name="quality_range"),
    )

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("committee_member.id"), index=True)
    kind: Mapped[AssessmentKind] = mapped_column(enum_column(AssessmentKind, "assessment_kind"))
    quality_score: Mapped[int | None]
    # The justification of a score, or the reason of an exclusion.
    text: Mapped[str] = mapped_column(sa.Text)
    assessed_at: Mapped[timestamp] = mapped_column(default=clock.now)

    bid: Mapped[Bid] = relationship()
    member: Mapped[CommitteeMember] = relationship()
