"""Export jobs: long exports run in the background; the row keeps their progress and file, so a
reload of the page finds them again."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from minitendr import clock
from minitendr.db import Model, UTCDateTime, enum_column, money, timestamp
from minitendr.enums import LabelledEnum


class JobStatus(LabelledEnum):
    QUEUED = "queued", "čeká ve frontě"
    RUNNING = "running", "probíhá"
    DONE = "done", "hotovo"
    FAILED = "failed", "selhalo"


class ExportJob(Model):
    __tablename__ = "export_job"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED)
    done_rows: Mapped[int] = mapped_column(default=0)
    total_rows: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str | None] = mapped_column(sa.String(200))
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # What was asked (kind and filters, hashed) and the data version it was built from: the same
    # request of the same user over the same data takes this job's file instead of a new one.
    key: Mapped[str | None] = mapped_column(sa.String(64))
    version: Mapped[str | None] = mapped_column(sa.String(100))

    @property
    def is_pending(self) -> bool:
        """Queued or running: the page reloads itself until it is done or has failed."""
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.status is JobStatus.DONE

    @property
    def has_failed(self) -> bool:
        return self.status is JobStatus.FAILED

    @property
    def percent(self) -> int:
        if self.is_done:
            return 100
        return int(self.done_rows * 100 / self.total_rows) if self.total_rows else 0


# --- running totals behind the spend dashboard (maintained by minitendr.reports.summary) -------------
class SpendSummary(Model):
    """Per framework, ORP, category, provider and year of signing: how many sub-contracts, their value
    (with amendments) and what has been confirmed as drawn from them."""

    __tablename__ = "spend_summary"

    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework_contract.id"), primary_key=True)
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True, index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), primary_key=True, index=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    contracts: Mapped[int] = mapped_column(default=0)
    contracted: Mapped[money] = mapped_column(default=0)
    drawn: Mapped[money] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("contracts >= 0 AND contracted >= 0 AND drawn >= 0", name="not_negative"),)


class SpendMonth(Model):
    """Per ORP, category, year of signing and calendar month: money contracted (by the month signed)
    and drawn (by the month delivered)."""

    __tablename__ = "spend_month"

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    contracted: Mapped[money] = mapped_column(default=0)
    drawn: Mapped[money] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("contracted >= 0 AND drawn >= 0", name="not_negative"),)


class CompetitionSummary(Model):
    """Per ORP, category and year of publication (UTC): minitenders published, decided, the live bids
    of the decided ones, those decided with a single bid, and the unsuccessful."""

    __tablename__ = "competition_summary"

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    published: Mapped[int] = mapped_column(default=0)
    decided: Mapped[int] = mapped_column(default=0)
    bids: Mapped[int] = mapped_column(default=0)
    single_bid: Mapped[int] = mapped_column(default=0)
    unsuccessful: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint(
            "published >= 0 AND decided >= 0 AND bids >= 0 AND single_bid >= 0 AND unsuccessful >= 0",
            name="not_negative",
        ),
    )


class AwardDuration(Model):
    """How many minitenders took a given time from publication to award, in tenths of a day (the
    histogram the median is read from)."""

    __tablename__ = "award_duration"

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    tenths: Mapped[int] = mapped_column(primary_key=True)
    awards: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("tenths >= 0 AND awards >= 0", name="not_negative"),)


class KrajSpend(Model):
    """Per kraj, category and year of signing: the sub-contracts, their value (with amendments) and
    what is confirmed as drawn from them — the few hundred rows the national and kraj views read
    (``OrpSpend``, ``ProviderSpend`` and ``KrajMonth`` break them down per ORP, per provider and per
    month)."""

    __tablename__ = "spend_kraj"

    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    contracts: Mapped[int] = mapped_column(default=0)
    contracted: Mapped[money] = mapped_column(default=0)
    drawn: Mapped[money] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("contracts >= 0 AND contracted >= 0 AND drawn >= 0", name="not_negative"),)


class OrpSpend(Model):
    """``KrajSpend`` per ORP (of that kraj): the national and kraj views' table per ORP."""

    __tablename__ = "spend_orp"

    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"), primary_key=True)
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    contracts: Mapped[int] = mapped_column(default=0)
    contracted: Mapped[money] = mapped_column(default=0)
    drawn: Mapped[money] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("contracts >= 0 AND contracted >= 0 AND drawn >= 0", name="not_negative"),)


class ProviderSpend(Model):
    """``KrajSpend`` per provider: the national and kraj views' table per provider."""

    __tablename__ = "spend_provider"

    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), primary_key=True)
    contracts: Mapped[int] = mapped_column(default=0)
    contracted: Mapped[money] = mapped_column(default=0)
    drawn: Mapped[money] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("contracts >= 0 AND contracted >= 0 AND drawn >= 0", name="not_negative"),)


class KrajMonth(Model):
    """``SpendMonth`` per kraj: the national and kraj views' months."""

    __tablename__ = "spend_kraj_month"

    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    contracted: Mapped[money] = mapped_column(default=0)
    drawn: Mapped[money] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("contracted >= 0 AND drawn >= 0", name="not_negative"),)


class FrameworkSpend(Model):
    """Per framework and year of signing: what its sub-contracts commit (their values with amendments)
    and what is confirmed as drawn from them — the ceilings' use on reports (a year's share when the
    report has a year) and, summed over its few years, on the framework's page and the kraj's start
    page. The ceiling itself is enforced on the sub-contracts, under the framework's lock."""

    __tablename__ = "framework_spend"

    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework_contract.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    committed: Mapped[money] = mapped_column(default=0)
    drawn: Mapped[money] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("committed >= 0 AND drawn >= 0", name="not_negative"),)


class ProviderTotal(Model):
    """Per provider, over every kraj, category and year: ``ProviderSpend`` summed — the national
    dashboard's ranking of providers, its largest read first from the index on the value."""

    __tablename__ = "spend_provider_total"

    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), primary_key=True)
    contracts: Mapped[int] = mapped_column(default=0)
    contracted: Mapped[money] = mapped_column(default=0)
    drawn: Mapped[money] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("contracts >= 0 AND contracted >= 0 AND drawn >= 0", name="not_negative"),
        sa.Index("ix_spend_provider_total_contracted", "contracted", "provider_id"),
    )


class RegistryPending(Model):
    """Per ORP: the sub-contracts that must be published in the register of contracts and are not yet
    (``SubContract.registry_pending``), how many and their value — the register page's sums. An ORP
    with none has no row."""

    __tablename__ = "registry_pending"

    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    value: Mapped[money] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("count >= 0 AND value >= 0", name="not_negative"),)


class ProviderCompetition(Model):
    """Per provider, ORP, category and year of publication (UTC): the decided minitenders the provider
    bid in (a live bid), the live bids they were decided on, those decided on a single bid (its own)
    and the unsuccessful. Counted at the decision, which comes after the deadline: who bid is sealed
    until then, so nothing here may move earlier."""

    __tablename__ = "provider_competition"

    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), primary_key=True)
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    decided: Mapped[int] = mapped_column(default=0)
    bids: Mapped[int] = mapped_column(default=0)
    single_bid: Mapped[int] = mapped_column(default=0)
    unsuccessful: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("decided >= 0 AND bids >= 0 AND single_bid >= 0 AND unsuccessful >= 0", name="not_negative"),
    )


class ProviderAwardDuration(Model):
    """The histogram of ``AwardDuration`` over the awarded minitenders a provider bid in."""

    __tablename__ = "provider_award_duration"

    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), primary_key=True)
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    tenths: Mapped[int] = mapped_column(primary_key=True)
    awards: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("tenths >= 0 AND awards >= 0", name="not_negative"),)


# --- files kept in the export store for everyone who asks the same (minitendr.reports.jobs) -------
class ExportFile(Model):
    """The open-data package, or a spend CSV of one scope and filters, kept as a file in the export
    store: one row per key (kind, scope, parameters) naming the data version its newest complete file
    was built from, what that file holds (a digest, so an unchanged rebuild keeps the file and its
    ETag), and the build under way — ``building_since`` is set by one claimant at a time, across hosts."""

    __tablename__ = "export_file"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    scope: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    version: Mapped[str | None] = mapped_column(sa.String(100))
    digest: Mapped[str | None] = mapped_column(sa.String(64))
    rows: Mapped[int] = mapped_column(default=0)
    built_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    building_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(sa.Text)
