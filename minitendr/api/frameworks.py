"""API: framework contracts and their parties, and their audit trail."""

from __future__ import annotations

from flask_smorest import Blueprint

from minitendr.api import present, schemas
from minitendr.api.core import listing, user
from minitendr.api.history import history_of
from minitendr.db import db
from minitendr.frameworks import queries
from minitendr.frameworks.models import FrameworkContract
from minitendr.permissions import can_read_framework, ensure

blp = Blueprint("api_frameworks", __name__, url_prefix="/api/v1/frameworks", description="Rámcové smlouvy")


def _load(framework_id: int) -> FrameworkContract:
    framework = db.get_or_404(FrameworkContract, framework_id)
    ensure(can_read_framework(user(), framework))
    return framework


@blp.get("/")
@blp.arguments(schemas.FrameworkArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.FrameworkPage)
def index(**args):
    """Rámcové smlouvy, které smíte vidět (filtry kraj, category, status, valid_on)."""
    filters = {key: str(args.get(key) or "") for key in queries.FILTERS}
    page = queries.frameworks(user(), filters)
    return listing(page, lambda item: present.framework(user(), item))


@blp.get("/<int:framework_id>")
@blp.response(200, schemas.Framework)
def detail(framework_id: int):
    """Rámcová smlouva se smluvními stranami."""
    return present.framework(user(), _load(framework_id), parties=True)


@blp.get("/<int:framework_id>/audit")
@blp.arguments(schemas.HistoryArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.AuditPage)
def audit(framework_id: int, **_args):
    """Auditní stopa rámcové smlouvy."""
    return history_of(_load(framework_id))
