"""Coverage and gaps of the service network, per ORP × needs area: the minitenders' figures (from the
running totals of ``minitendr.network.summary``), the services in the catalogue, the kraj's model and
the children aged 0–14 — a handful of statements whatever the number of minitenders.

A gap is an ORP × needs area where the catalogue is below the model's minimum (services or capacity),
or where the share of unmet minitenders (of those finished) or of single-bid awards (of those awarded)
is above the threshold the kraj set in its model. Gaps are listed worst first: the kraj's priority,
then how many reasons, then how far below the minimum.

This is the interface the map and the ORP page (``minitendr.network.views``) and the exports build on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from minitendr import clock
from minitendr.auth.models import User
from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.formatting import number
from minitendr.money import ZERO, to_money
from minitendr.network.models import (
    NEED_CODES,
    CatalogueCoverage,
    NetworkDuration,
    NetworkModel,
    NetworkNeedTotal,
    NetworkOrpSummary,
    NetworkSummary,
    NetworkTarget,
    OrpCensus,
)
from minitendr.outcomes.models import OutcomeSummary
from minitendr.outcomes.service import Counts
from minitendr.permissions import can_read_network, reads_nationally
from minitendr.registry.models import Kraj, Orp, ServiceCategory
from minitendr.reports.service import FilterError, OutOfScope

METRICS: dict[str, str] = {
    "value_per_child": "Kč na dítě",
    "gaps": "Mezery",
    "services": "Služby v katalogu",
    "published": "Poptávky",
    "unmet": "Nezadané",
    "single_bid": "S jedinou nabídkou",
    "value": "Hodnota dílčích smluv",
    "outcomes_met": "Splněné výsledky",
}
FILTERS = ("kraj", "orp", "need", "category", "year")
NEED_ORDER = {code: position for position, code in enumerate(NEED_CODES)}
FIGURES = ("published", "awarded", "unmet", "single_bid")


@dataclass(frozen=True)
class NetworkFilters:
    kraj: Kraj | None = None
    orp: Orp | None = None
    need: str | None = None
    category: ServiceCategory | None = None
    year: int | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as URL query arguments (to keep them in links and exports)."""
        values = {
            "kraj": self.kraj.code if self.kraj else "",
            "orp": self.orp.code if self.orp else "",
            "need": self.need or "",
            "category": self.category.code if self.category else "",
            "year": str(self.year) if self.year else "",
        }
        return {key: value for key, value in values.items() if value}

    def describe(self) -> str:
        parts = [
            self.kraj.name if self.kraj else None,
            f"ORP {self.orp.name}" if self.orp else None,
            NEEDS[self.need] if self.need else None,
            self.category.name if self.category else None,
            f"rok {self.year}" if self.year else None,
        ]
        return ", ".join(p for p in parts if p) or "bez filtrů (celý rozsah oprávnění)"


def parse_filters(args: Mapping[str, str], user: User) -> NetworkFilters:
    """Validate the query arguments (``FilterError``, Czech, at the field) and check they lie within
    what ``user`` may read (``OutOfScope``)."""
    values = {key: (args.get(key) or "").strip() for key in FILTERS}
    kraj = orp = category = None
    need = year = None
    if values["kraj"]:
        kraj = db.session.scalar(sa.select(Kraj).where(Kraj.code == values["kraj"].upper()))
        if kraj is None:
            raise FilterError(f"Neznámý kraj „{values['kraj']}“ (očekává se kód NUTS, např. CZ053).", field="kraj")
    if values["orp"]:
        orp = db.session.scalar(sa.select(Orp).where(Orp.code == values["orp"]))
        if orp is None:
            raise FilterError(f"Neznámá ORP „{values['orp']}“ (očekává se kód ČSÚ, např. 5309).", field="orp")
        if kraj is not None and orp.kraj_id != kraj.id:
            raise FilterError(f"ORP {orp.name} neleží v kraji {kraj.name}.", field="orp")
    if values["need"]:
        if values["need"] not in NEEDS:
            raise FilterError(f"Neznámá oblast potřeb „{values['need']}“.", field="need")
        need = values["need"]
    if values["category"]:
        category = db.session.scalar(sa.select(ServiceCategory).where(ServiceCategory.code == values["category"]))
        if category is None:
            raise FilterError(f"Neznámá kategorie „{values['category']}“.", field="category")
    if values["year"]:
        if not (values["year"].isdigit() and 2000 <= int(values["year"]) <= 2100):
            raise FilterError(f"„{values['year']}“ není platný rok.", field="year")
        year = int(values["year"])
    area = kraj or (orp.kraj if orp else None)
    if not can_read_network(user, area):
        raise OutOfScope
    return NetworkFilters(kraj, orp, need, category, year)


@dataclass
class Cell:
    """One ORP × needs area."""

    orp_code: str
    orp_name: str
    kraj_code: str
    kraj_name: str
    need: str
    need_label: str
    published: int = 0
    awarded: int = 0
    unmet: int = 0
    single_bid: int = 0
    value: Decimal = Decimal("0.00")
    median_days: Decimal | None = None
    services: int = 0
    model_minimum: int | None = None
    priority: int | None = None
    goal: str = ""
    children: int = 0
    value_per_child: Decimal | None = None
    gap_reasons: list[str] = field(default_factory=list)
    # Beyond the interface: the capacity side of the model, and the ORP's own totals (each minitender
    # once, whatever areas it lists) that the map shows over all areas.
    capacity: Decimal = Decimal("0.00")
    model_capacity: Decimal | None = None
    unmet_share: Decimal | None = None
    single_bid_share: Decimal | None = None
    shortfall: Decimal = Decimal(0)
    orp_totals: dict[str, Decimal] = field(default_factory=dict)
    # What the area's sub-contracts achieved: the outcomes OSPOD recorded and how they came out.
    outcomes: Counts = field(default_factory=Counts)

    @property
    def gap(self) -> bool:
        return bool(self.gap_reasons)

    @property
    def severity(self) -> tuple:
        """Sorting by it puts the worst gap first: the kraj's priority (1 first), the number of
        reasons, how far below the minimum, then the ORP and the area in their order."""
        return (
            self.priority or 4,
            -len(self.gap_reasons),
            -self.shortfall,
            self.orp_name,
            NEED_ORDER[self.need],
        )


def _share(part: int, whole: int) -> Decimal | None:
    """``part`` in per cent of ``whole`` to a tenth, half up — in integers (a national map has some
    2 500 shares, and Decimal's division is the dearest step of each)."""
    if not whole:
        return None
    return Decimal((part * 2000 + whole) // (2 * whole)).scaleb(-1)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + " %"


def _scope_orps(filters: NetworkFilters, user: User) -> sa.ColumnElement[bool]:
    """The ORPs the figures are about: the filtered ORP or kraj, else everything a national reader
    sees, else the user's own kraj."""
    if filters.orp is not None:
        return Orp.id == filters.orp.id
    if filters.kraj is not None:
        return Orp.kraj_id == filters.kraj.id
    if reads_nationally(user):
        return sa.true()
    return Orp.kraj_id == user.home_kraj_id


def _period(year: int | None) -> tuple[dt.date, dt.date]:
    if year is None:
        today = clock.today()
        return today, today
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def models_in_force(kraj_ids: set[int], year: int | None) -> dict[int, NetworkModel]:
    """Per kraj, the model valid today (or, with ``year``, during that year: the latest begun)."""
    start, end = _period(year)
    found: dict[int, NetworkModel] = {}
    query = (
        sa.select(NetworkModel)
        .where(NetworkModel.kraj_id.in_(kraj_ids), NetworkModel.valid_from <= end, NetworkModel.valid_to >= start)
        .order_by(NetworkModel.valid_from.desc(), NetworkModel.id.desc())
    )
    for model in db.session.scalars(query):
        found.setdefault(model.kraj_id, model)
    return found


def cells(filters: NetworkFilters, user: User, *, medians: bool = True, outcomes: bool = True) -> list[Cell]:
    """Every ORP × needs area in the user's scope and the filters, ordered by ORP name and area order.
    Without ``medians`` the working days to award are left out: the map does not show them, and read
    from their histogram they are the dearest figure of a national page. Without ``outcomes`` the
    cells' outcomes are left empty (a national map of another metric does not show them)."""
    in_scope = _scope_orps(filters, user)
    orps = db.session.execute(
        sa.select(Orp.id, Orp.code, Orp.name, Orp.kraj_id, Kraj.code, Kraj.name, OrpCensus.children_0_14)
        .join(Kraj, Kraj.id == Orp.kraj_id)
        .outerjoin(OrpCensus, OrpCensus.orp_id == Orp.id)
        .where(in_scope)
        .order_by(Orp.name, Orp.code)
    ).all()
    if not orps:
        return []
    needs = [filters.need] if filters.need else list(NEED_CODES)
    orp_ids = sa.select(Orp.id).where(in_scope).scalar_subquery()

    def narrowed(table) -> list[sa.ColumnElement[bool]]:
        conditions = [table.orp_id.in_(orp_ids)]
        if filters.category is not None:
            conditions.append(table.category_id == filters.category.id)
        if filters.year is not None:
            conditions.append(table.year == filters.year)
        return conditions

    if filters.category is None and filters.year is None:
        # Over every category and year: the totals per ORP × area, a row each.
        whole = [getattr(NetworkNeedTotal, name) for name in (*FIGURES, "value")]
        figures_query = sa.select(NetworkNeedTotal.orp_id, NetworkNeedTotal.need, *whole).where(
            NetworkNeedTotal.orp_id.in_(orp_ids), NetworkNeedTotal.need.in_(needs)
        )
    else:
        sums = [sa.func.sum(getattr(NetworkSummary, name)) for name in (*FIGURES, "value")]
        figures_query = (
            sa.select(NetworkSummary.orp_id, NetworkSummary.need, *sums)
            .where(*narrowed(NetworkSummary), NetworkSummary.need.in_(needs))
            .group_by(NetworkSummary.orp_id, NetworkSummary.need)
        )
    figures = {(orp_id, need): row for orp_id, need, *row in db.session.execute(figures_query)}
    orp_sums = [sa.func.sum(getattr(NetworkOrpSummary, name)) for name in (*FIGURES, "value")]
    orp_figures = {
        orp_id: row
        for orp_id, *row in db.session.execute(
            sa.select(NetworkOrpSummary.orp_id, *orp_sums)
            .where(*narrowed(NetworkOrpSummary))
            .group_by(NetworkOrpSummary.orp_id)
        )
    }
    durations = _medians([*narrowed(NetworkDuration), NetworkDuration.need.in_(needs)]) if medians else {}
    outcome_sums = [sa.func.sum(c) for c in (OutcomeSummary.recorded, OutcomeSummary.met)]
    outcome_sums += [sa.func.sum(c) for c in (OutcomeSummary.partly, OutcomeSummary.not_met)]
    achieved = (
        {
            (orp_id, need): Counts(*(int(v or 0) for v in counts))
            for orp_id, need, *counts in db.session.execute(
                sa.select(OutcomeSummary.orp_id, OutcomeSummary.need, *outcome_sums)
                .where(*narrowed(OutcomeSummary), OutcomeSummary.need.in_(needs))
                .group_by(OutcomeSummary.orp_id, OutcomeSummary.need)
            )
        }
        if outcomes
        else {}
    )
    # The catalogue as listed today (catalogue.listed()), from its running totals.
    today = clock.today()
    services = {
        (orp_id, need): (count, capacity)
        for orp_id, need, count, capacity in db.session.execute(
            sa.select(
                CatalogueCoverage.orp_id,
                CatalogueCoverage.need,
                sa.func.sum(CatalogueCoverage.services),
                sa.func.sum(CatalogueCoverage.capacity),
            )
            .where(
                CatalogueCoverage.orp_id.in_(orp_ids),
                CatalogueCoverage.need.in_(needs),
                CatalogueCoverage.listed_from <= today,
                CatalogueCoverage.listed_to >= today,
            )
            .group_by(CatalogueCoverage.orp_id, CatalogueCoverage.need)
        )
    }
    models = models_in_force({row[3] for row in orps}, filters.year)
    # Rows, not entities: a national map has 1 236 targets, and only these four columns are read.
    targets = {
        (t.orp_id, t.need): t
        for t in db.session.execute(
            sa.select(
                NetworkTarget.orp_id,
                NetworkTarget.need,
                NetworkTarget.minimum_services,
                NetworkTarget.minimum_capacity,
                NetworkTarget.priority,
                NetworkTarget.goal,
            ).where(
                NetworkTarget.model_id.in_([m.id for m in models.values()]),
                NetworkTarget.orp_id.in_(orp_ids),
                NetworkTarget.need.in_(needs),
            )
        )
    }
    # A national map is some 1 200 cells, most of them without minitenders: the loop below is the
    # page's dearest Python, so the empty figures are shared constants, not computed again per cell.
    nothing = (0, 0, 0, 0, 0)
    no_outcomes = Counts()
    result = []
    for orp_id, code, name, kraj_id, kraj_code, kraj_name, children in orps:
        totals = orp_figures.get(orp_id)
        orp_totals = {name_: Decimal(totals[i] or 0) if totals else ZERO for i, name_ in enumerate((*FIGURES, "value"))}
        children = int(children or 0)
        model = models.get(kraj_id)
        for need in needs:
            published, awarded, unmet, single_bid, value = figures.get((orp_id, need), nothing)
            count, capacity = services.get((orp_id, need), (0, None))
            target = targets.get((orp_id, need))
            value = to_money(value) if value else ZERO
            cell = Cell(
                orp_code=code,
                orp_name=name,
                kraj_code=kraj_code,
                kraj_name=kraj_name,
                need=need,
                need_label=NEEDS[need],
                published=int(published or 0),
                awarded=int(awarded or 0),
                unmet=int(unmet or 0),
                single_bid=int(single_bid or 0),
                value=value,
                median_days=durations.get((orp_id, need)),
                services=int(count),
                capacity=Decimal(capacity) if capacity else ZERO,
                model_minimum=target.minimum_services if target else None,
                model_capacity=target.minimum_capacity if target else None,
                priority=target.priority if target else None,
                goal=target.goal if target else "",
                children=children,
                value_per_child=per_child(value, children),
                orp_totals=orp_totals,
                outcomes=achieved.get((orp_id, need), no_outcomes),
            )
            _judge(cell, model)
            result.append(cell)
    return result


def per_child(value: Decimal, children: int) -> Decimal | None:
    """Kč per child aged 0–14, to the haléř (None where the census has no children)."""
    if not children:
        return None
    return to_money(value / children) if value else ZERO


def _judge(cell: Cell, model: NetworkModel | None) -> None:
    """Fill in the shares and why the cell is a gap (nothing, when it is none)."""
    finished = cell.awarded + cell.unmet
    cell.unmet_share = _share(cell.unmet, finished)
    cell.single_bid_share = _share(cell.single_bid, cell.awarded)
    reasons = []
    if cell.model_minimum is not None and cell.services < cell.model_minimum:
        reasons.append(f"V katalogu {cell.services} služeb, model žádá nejméně {cell.model_minimum}.")
        cell.shortfall = Decimal(cell.model_minimum - cell.services) / max(cell.model_minimum, 1)
    if cell.model_capacity is not None and cell.capacity < cell.model_capacity:
        reasons.append(f"Kapacita služeb {number(cell.capacity)} je pod minimem modelu {number(cell.model_capacity)}.")
        shortfall = (cell.model_capacity - cell.capacity) / max(cell.model_capacity, Decimal(1))
        cell.shortfall = max(cell.shortfall, shortfall)
    if model is not None:
        if cell.unmet_share is not None and cell.unmet_share > model.unmet_threshold:
            reasons.append(
                f"Nezadané poptávky {_percent(cell.unmet_share)} ukončených "
                f"(práh kraje {_percent(model.unmet_threshold)})."
            )
        if cell.single_bid_share is not None and cell.single_bid_share > model.single_bid_threshold:
            reasons.append(
                f"S jedinou nabídkou {_percent(cell.single_bid_share)} zadaných "
                f"(práh kraje {_percent(model.single_bid_threshold)})."
            )
    cell.gap_reasons = reasons


def _medians(conditions: list[sa.ColumnElement[bool]]) -> dict[tuple[int, str], Decimal]:
    """The median working days from publication to award per ORP × area, in SQL from the histogram:
    the lower and upper middle values are the first whose running count reaches half."""
    grouped = (
        sa.select(
            NetworkDuration.orp_id,
            NetworkDuration.need,
            NetworkDuration.working_days,
            sa.func.sum(NetworkDuration.awards).label("awards"),
        )
        .where(*conditions)
        .group_by(NetworkDuration.orp_id, NetworkDuration.need, NetworkDuration.working_days)
        .subquery()
    )
    partition = (grouped.c.orp_id, grouped.c.need)
    running = sa.select(
        grouped.c.orp_id,
        grouped.c.need,
        grouped.c.working_days,
        sa.func.sum(grouped.c.awards).over(partition_by=partition, order_by=grouped.c.working_days).label("upto"),
        sa.func.sum(grouped.c.awards).over(partition_by=partition).label("total"),
    ).subquery()
    rows = db.session.execute(
        sa.select(
            running.c.orp_id,
            running.c.need,
            sa.func.min(running.c.working_days).filter(running.c.upto * 2 >= running.c.total),
            sa.func.min(running.c.working_days).filter(running.c.upto * 2 > running.c.total),
        ).group_by(running.c.orp_id, running.c.need)
    )
    return {
        (orp_id, need): (Decimal(lower + upper) / 2).quantize(Decimal("0.1"), ROUND_HALF_UP)
        for orp_id, need, lower, upper in rows
        if lower is not None
    }


def gaps(cells: list[Cell]) -> list[Cell]:
    """Only the gaps, worst first."""
    return sorted((c for c in cells if c.gap), key=lambda c: c.severity)


def orp_values(cells: list[Cell], metric: str) -> dict[str, Decimal | None]:
    """Per ORP code, the metric for the map over the areas in ``cells``: with one area its own figure;
    over several, the ORP's own minitender totals (each minitender once), the services meeting any of
    the areas counted per area, the number of gaps, and the share of met outcomes over the areas (an
    outcome counts in each area its demand lists, as on the ORP page)."""
    return {code: values[metric] for code, values in orp_metrics(cells, (metric,)).items()}


def orp_metrics(cells: list[Cell], metrics: Iterable[str]) -> dict[str, dict[str, Decimal | None]]:
    """``orp_values`` of several metrics at once, in one pass over the cells: per ORP code, metric → value."""
    metrics = tuple(metrics)
    for metric in metrics:
        if metric not in METRICS:
            raise FilterError(f"Neznámý ukazatel „{metric}“.", field="metric")
    by_orp: dict[str, list[Cell]] = {}
    for cell in cells:
        by_orp.setdefault(cell.orp_code, []).append(cell)
    found: dict[str, dict[str, Decimal | None]] = {}
    for code, group in by_orp.items():
        first = group[0]
        one = first if len(group) == 1 else None
        values: dict[str, Decimal | None] = {}
        for metric in metrics:
            if metric == "gaps":
                values[metric] = Decimal(sum(c.gap for c in group))
            elif metric == "services":
                values[metric] = Decimal(sum(c.services for c in group))
            elif metric == "outcomes_met":
                values[metric] = (
                    first.outcomes.met_share if one else sum((c.outcomes for c in group), Counts()).met_share
                )
            elif metric == "value_per_child":
                values[metric] = one.value_per_child if one else per_child(first.orp_totals["value"], first.children)
            elif one is not None:
                values[metric] = Decimal(getattr(one, metric))
            else:
                values[metric] = first.orp_totals[metric]
        found[code] = values
    return found
