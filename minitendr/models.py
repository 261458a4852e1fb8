"""Every model, imported in one place so that the metadata (and Alembic) knows all tables."""

from minitendr.audit.models import AuditEvent
from minitendr.auth.models import User
from minitendr.bids.models import Bid, BidAttachment
from minitendr.contracts.models import Amendment, Drawdown, SubContract
from minitendr.demands.models import Clarification, Demand, Invitation
from minitendr.frameworks.models import FrameworkContract, FrameworkParty
from minitendr.network.models import CatalogueNeed, CatalogueOrp, CatalogueService
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
    "AuditEvent",
    "AwardDuration",
    "Bid",
    "BidAttachment",
    "CatalogueNeed",
    "CatalogueOrp",
    "CatalogueService",
    "Clarification",
    "CompetitionSummary",
    "Demand",
    "Drawdown",
    "ExportFile",
    "ExportJob",
    "FinalReport",
    "FollowUp",
    "FrameworkContract",
    "FrameworkParty",
    "FrameworkSpend",
    "Invitation",
    "Kraj",
    "KrajMonth",
    "KrajSpend",
    "Notification",
    "Orp",
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
    "ServiceCategory",
    "ServiceType",
    "SpendMonth",
    "SpendSummary",
    "SubContract",
    "User",
]
