"""Every model, imported in one place so that the metadata (and Alembic) knows all tables."""

from minitendr.api.models import ApiToken, ApiTokenUse, IdempotentRequest
from minitendr.audit.models import AuditEvent
from minitendr.auth.models import User
from minitendr.bids.models import Bid, BidAttachment
from minitendr.committee.models import BidAssessment, CommitteeMember
from minitendr.contracts.models import Amendment, Drawdown, SubContract
from minitendr.demands.models import Clarification, Demand, Invitation
from minitendr.documents.models import Document
from minitendr.frameworks.models import FrameworkContract, FrameworkParty
from minitendr.network.models import (
    CatalogueCoverage,
    CatalogueNeed,
    CatalogueOrp,
    CatalogueService,
    NetworkDuration,
    NetworkModel,
    NetworkNeedTotal,
    NetworkOrpSummary,
    NetworkSummary,
    NetworkTarget,
    OrpCensus,
    WorkDay,
)
from minitendr.notices.models import Notice, NoticeRecipient
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.outcomes.models import (
    FinalReport,
    FollowUp,
    Outcome,
    OutcomeNeed,
    OutcomeSummary,
    ProviderOutcomeSummary,
)
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType
from minitendr.reminders.models import ReminderOptOut, ReminderSent  # reminders (issue 18)
from minitendr.reports.models import (
    AwardDuration,
    CompetitionSummary,
    ExportFile,
    ExportJob,
    FrameworkSpend,
    KrajMonth,
    KrajSpend,
    OrpSpend,
    ProviderAwardDuration,
    ProviderCompetition,
    ProviderSpend,
    SpendMonth,
    SpendSummary,
)

__all__ = [
    "Amendment",
    "ApiToken",
    "ApiTokenUse",
    "AuditEvent",
    "AwardDuration",
    "Bid",
    "BidAssessment",
    "BidAttachment",
    "CatalogueCoverage",
    "CatalogueNeed",
    "CatalogueOrp",
    "CatalogueService",
    "Clarification",
    "CommitteeMember",
    "CompetitionSummary",
    "Demand",
    "Document",
    "Drawdown",
    "ExportFile",
    "ExportJob",
    "FinalReport",
    "FollowUp",
    "FrameworkContract",
    "FrameworkParty",
    "FrameworkSpend",
    "IdempotentRequest",
    "Invitation",
    "Kraj",
    "KrajMonth",
    "KrajSpend",
    "NetworkDuration",
    "NetworkModel",
    "NetworkNeedTotal",
    "NetworkOrpSummary",
    "NetworkSummary",
    "NetworkTarget",
    "Notice",
    "NoticeRecipient",
    "Notification",
    "Orp",
    "OrpCensus",
    "OrpSpend",
    "OutboxEmail",
    "Outcome",
    "OutcomeNeed",
    "OutcomeSummary",
    "Provider",
    "ProviderAwardDuration",
    "ProviderCompetition",
    "ProviderOutcomeSummary",
    "ProviderSpend",
    "ReminderOptOut",
    "ReminderSent",
    "ServiceCategory",
    "ServiceType",
    "SpendMonth",
    "SpendSummary",
    "SubContract",
    "User",
    "WorkDay",
]
