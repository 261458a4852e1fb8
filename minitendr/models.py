"""Every model, imported in one place so that the metadata (and Alembic) knows all tables."""

from minitendr.audit.models import AuditEvent
from minitendr.auth.models import User
from minitendr.frameworks.models import FrameworkContract, FrameworkParty
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType

__all__ = [
    "AuditEvent",
    "FrameworkContract",
    "FrameworkParty",
    "Kraj",
    "Orp",
    "Provider",
    "ServiceCategory",
    "ServiceType",
    "User",
]
