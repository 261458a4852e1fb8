"""The service network's map and ORP pages: ``GET /network/`` (a choropleth of the ORPs drawn on the
server, the same figures as a table beside it, the gaps first) and ``GET /network/orp/<code>``. The
ministry reads every kraj, kraj officials and OSPOD offices their own (OSPOD with its ORP first);
providers and admin do not read the figures."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from minitendr.auth.models import Role
from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.network import coverage, overview, svgmap
from minitendr.permissions import (
    EVERYONE,
    can_manage_network,
    can_read_network,
    ensure,
    reads_nationally,
    roles_required,
)
from minitendr.registry.models import Kraj, Orp, ServiceCategory
from minitendr.reports.service import FilterError, OutOfScope

bp = Blueprint("network", __name__)
ARGS = (*coverage.FILTERS, "metric")
GAPS_SHOWN = 100  # the worst gaps on the page; all of them are in the CSV export


def _own_orp() -> str | None:
    """An OSPOD office's own ORP code: its ORP comes first and is outlined on the map."""
    if current_user.role is Role.OSPOD and current_user.orp is not None:
        return current_user.orp.code
    return None


def _choices() -> dict:
    national = reads_nationally(current_user)
    return {
        "kraje": list(db.session.scalars(db.select(Kraj).order_by(Kraj.name))) if national else [],
        "categories": list(db.session.scalars(db.select(ServiceCategory).order_by(ServiceCategory.position))),
        "needs": NEEDS,
        "metrics": coverage.METRICS,
    }


def _orp_url():
    """ORP code → its page: ``url_for`` once, not for each of the 206 ORPs on the map and in two
    tables (ORP codes are four digits, nothing to quote)."""
    prefix = url_for("network.orp", code="0")[:-1]
    return lambda code: prefix + code


@bp.get("/network/")
@roles_required(*EVERYONE)
def index():
    ensure(can_read_network(current_user))
    page = {"args": {key: request.args.get(key, "") for key in ARGS}, **_choices()}
    try:
        filters = coverage.parse_filters(request.args, current_user)
        metric = overview.parse_metric(request.args.get("metric"))
    except OutOfScope:
        abort(403)
    except FilterError as error:
        return render_template("network/index.html", problem=error.message, problem_field=error.field, **page), 400
    # The table of every metric per ORP is a kraj's (some 15 ORPs); nationally (206 ORPs) the exports
    # have it, and the page shows the map's metric beside the map.
    every_metric = filters.kraj is not None or filters.orp is not None or not reads_nationally(current_user)
    shown = tuple(coverage.METRICS) if every_metric else (metric,)
    cells = coverage.cells(filters, current_user, medians=False, outcomes="outcomes_met" in shown)
    own = _own_orp()
    rows = overview.orp_rows(cells, first=own, metrics=shown)
    orp_url = _orp_url()
    choropleth = svgmap.choropleth(
        {row.code: row.values[metric] for row in rows},
        current_app.config["SEED_DIR"],
        label=f"Mapa ORP: {coverage.METRICS[metric]}" + (f", {NEEDS[filters.need]}" if filters.need else ""),
        describe=overview.describer(metric),
        href=orp_url,
        marked=own,
    )
    gaps = coverage.gaps(cells)
    return render_template(
        "network/index.html",
        problem=None,
        problem_field=None,
        filters=filters,
        metric=metric,
        choropleth=choropleth,
        rows=rows,
        every_metric=every_metric,
        several_kraje=len({row.kraj_name for row in rows}) > 1,
        gaps=gaps[:GAPS_SHOWN],
        gap_count=len(gaps),
        show=overview.show,
        orp_url=orp_url,
        **page,
    )


@bp.get("/network/orp/<code>")
@roles_required(*EVERYONE)
def orp(code: str):
    place = db.first_or_404(db.select(Orp).where(Orp.code == code).options(joinedload(Orp.kraj)))
    ensure(can_read_network(current_user, place.kraj))
    cells = coverage.cells(coverage.NetworkFilters(orp=place), current_user)
    per_need, overall = overview.figures_by_year(place)
    return render_template(
        "network/orp.html",
        orp=place,
        cells=cells,
        gaps=coverage.gaps(cells),
        services=overview.services_by_need(place),
        per_need=per_need,
        overall=overall,
        providers=overview.active_providers(place),
        # What the sub-contracts achieved, per needs area (an outcome counts in every area its demand lists).
        outcomes={cell.need: cell.outcomes for cell in cells if cell.outcomes.recorded},
        children=cells[0].children if cells else 0,
        may_manage=can_manage_network(current_user, place.kraj),
    )
