"""What the network's pages show beyond the coverage figures: the table beside the map (every metric
per ORP, with the map's class) and the ORP page's catalogue, figures by year and active providers. Each
a single aggregate query over the catalogue or the running totals, whatever the number of minitenders."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from minitendr.db import db
from minitendr.demands.models import NEEDS
from minitendr.network import catalogue, coverage
from minitendr.network.models import (
    CatalogueNeed,
    CatalogueOrp,
    CatalogueService,
    NetworkOrpSummary,
    NetworkSummary,
)
from minitendr.providers.models import Provider
from minitendr.registry.models import Orp
from minitendr.reports.models import SpendSummary
from minitendr.reports.service import FilterError

DEFAULT_METRIC = "gaps"
# The Czech alphabet's order (ČSN 97 6030, simplified): č, ř, š, ž and "ch" are letters of their own,
# the acute, the ring and the other carons only break ties.
LETTERS = (
    "a", "b", "c", "č", "d", "e", "f", "g", "h", "ch", "i", "j", "k", "l", "m", "n",
    "o", "p", "q", "r", "ř", "s", "š", "t", "u", "v", "w", "x", "y", "z", "ž",
)  # fmt: skip
RANK = {letter: rank for rank, letter in enumerate(LETTERS)}
PLAIN = str.maketrans("áéěíóúůýďťň", "aeeiouuydtn")
MONEY_METRICS = frozenset({"value", "value_per_child"})
PERCENT_METRICS = frozenset({"outcomes_met"})
# The ORP page lists this many services per needs area (a busy ORP has hundreds); the catalogue's
# search, linked beside them, pages through all of them.
SERVICES_SHOWN = 20
FIGURES = ("published", "awarded", "unmet", "single_bid", "value")


def czech_key(text: str) -> tuple:
    """A sort key that puts names in Czech order (Česká Třebová after Chrudim's c…, before d…)."""
    plain = text.lower().translate(PLAIN)
    key: list[tuple[int, int]] = []
    i = 0
    while i < len(plain):
        letter = "ch" if plain.startswith("ch", i) else plain[i]
        key.append((1, RANK[letter]) if letter in RANK else (0, ord(letter)))
        i += len(letter)
    return (tuple(key), text)


def parse_metric(value: str | None) -> str:
    """The map's metric from the URL (the default when absent); a Czech ``FilterError`` when unknown."""
    metric = (value or "").strip() or DEFAULT_METRIC
    if metric not in coverage.METRICS:
        raise FilterError(f"Neznámý ukazatel „{metric}“.", field="metric")
    return metric


def show(value: Decimal | int | None, metric: str) -> str:
    """A metric's value as ``minitendr.formatting`` writes it (``1 234,50 Kč``, ``1 234``; – for none),
    by Python's own formatting: the map page shows some 2 000 figures, and Babel takes about 30 µs for
    each (tests/test_network_map.py checks that both write the same)."""
    if value is None:
        return "–"
    if metric in MONEY_METRICS:
        return f"{Decimal(value):,.2f}".replace(",", "\xa0").replace(".", ",") + "\xa0Kč"
    if metric in PERCENT_METRICS:
        return f"{Decimal(value):.1f}".replace(".", ",") + "\xa0%"
    return f"{Decimal(value):,.0f}".replace(",", "\xa0")


def describer(metric: str) -> Callable[[Decimal | None], str]:
    """How a metric's value reads in Czech: money with its currency, counts as whole numbers."""
    label = coverage.METRICS[metric]

    def describe(value: Decimal | None) -> str:
        if value is None:
            return f"{label}: bez údaje"
        return f"{label}: {show(value, metric)}"

    return describe


@dataclass
class OrpRow:
    """One ORP in the table beside the map: every metric over the areas shown, and its gaps."""

    code: str
    name: str
    kraj_name: str
    children: int
    values: dict[str, Decimal | None] = field(default_factory=dict)
    gaps: list[coverage.Cell] = field(default_factory=list)  # worst first

    @property
    def worst(self) -> coverage.Cell | None:
        return self.gaps[0] if self.gaps else None


def orp_rows(
    cells: list[coverage.Cell], first: str | None = None, metrics: Iterable[str] = tuple(coverage.METRICS)
) -> list[OrpRow]:
    """Per ORP the ``metrics`` (every one of ``coverage.METRICS`` unless told; as ``coverage.orp_values``
    gives them to the map) and its gaps; the ORPs with gaps first, the worst gap first, then the others
    by name — and ``first`` (an OSPOD office's own ORP) ahead of all."""
    rows: dict[str, OrpRow] = {}
    for cell in cells:
        if cell.orp_code not in rows:
            rows[cell.orp_code] = OrpRow(cell.orp_code, cell.orp_name, cell.kraj_name, cell.children)
    for code, values in coverage.orp_metrics(cells, metrics).items():
        rows[code].values = values
    for gap in coverage.gaps(cells):
        rows[gap.orp_code].gaps.append(gap)

    def order(row: OrpRow) -> tuple:
        worst = row.worst
        if worst is not None:
            return (row.code != first, 0, worst.severity)
        return (row.code != first, 1, (czech_key(row.name), row.code))

    return sorted(rows.values(), key=order)


# --- the ORP page ---------------------------------------------------------------------------------
def services_by_need(orp: Orp, shown: int = SERVICES_SHOWN) -> dict[str, list[CatalogueService]]:
    """The first ``shown`` listed services of the catalogue serving ``orp`` by name, per needs area
    they meet (a service that meets several areas is listed under each): one statement, a row per
    service and area. How many there are in all is the coverage's count; the search lists the rest."""
    found: dict[str, list[CatalogueService]] = {need: [] for need in NEEDS}
    places = (
        sa.select(
            CatalogueService.id,
            CatalogueNeed.need,
            sa.func.row_number()
            .over(partition_by=CatalogueNeed.need, order_by=(CatalogueService.name, CatalogueService.id))
            .label("place"),
        )
        .join(CatalogueOrp, CatalogueOrp.service_id == CatalogueService.id)
        .join(CatalogueNeed, CatalogueNeed.service_id == CatalogueService.id)
        .where(CatalogueOrp.orp_id == orp.id, catalogue.listed())
        .subquery()
    )
    rows = db.session.execute(
        sa.select(CatalogueService, places.c.need)
        .join(places, places.c.id == CatalogueService.id)
        .where(places.c.place <= shown)
        .options(joinedload(CatalogueService.provider))
        .order_by(CatalogueService.name, CatalogueService.id)
    )
    for service, need in rows:
        found[need].append(service)
    return found


@dataclass
class YearFigures:
    year: int
    published: int = 0
    awarded: int = 0
    unmet: int = 0
    single_bid: int = 0
    value: Decimal = Decimal("0.00")


def figures_by_year(orp: Orp) -> tuple[dict[str, list[YearFigures]], list[YearFigures]]:
    """The minitenders of ``orp`` by year of publication: per needs area (a minitender counts in every
    area it lists) and over all areas (each minitender once), newest year first."""
    sums = [sa.func.sum(getattr(NetworkSummary, name)) for name in FIGURES]
    per_need: dict[str, list[YearFigures]] = {need: [] for need in NEEDS}
    for need, year, *values in db.session.execute(
        sa.select(NetworkSummary.need, NetworkSummary.year, *sums)
        .where(NetworkSummary.orp_id == orp.id)
        .group_by(NetworkSummary.need, NetworkSummary.year)
        .order_by(NetworkSummary.year.desc())
    ):
        per_need[need].append(_year(year, values))
    orp_sums = [sa.func.sum(getattr(NetworkOrpSummary, name)) for name in FIGURES]
    overall = [
        _year(year, values)
        for year, *values in db.session.execute(
            sa.select(NetworkOrpSummary.year, *orp_sums)
            .where(NetworkOrpSummary.orp_id == orp.id)
            .group_by(NetworkOrpSummary.year)
            .order_by(NetworkOrpSummary.year.desc())
        )
    ]
    return per_need, overall


def _year(year: int, values: list) -> YearFigures:
    published, awarded, unmet, single_bid, value = values
    return YearFigures(
        year, int(published or 0), int(awarded or 0), int(unmet or 0), int(single_bid or 0), Decimal(value or 0)
    )


@dataclass(frozen=True)
class ActiveProvider:
    name: str
    ico: str
    contracts: int
    value: Decimal
    first_year: int
    last_year: int


def active_providers(orp: Orp) -> list[ActiveProvider]:
    """The providers with sub-contracts in ``orp`` (from the spend totals), the busiest first."""
    contracts = sa.func.sum(SpendSummary.contracts)
    rows = db.session.execute(
        sa.select(
            Provider.name,
            Provider.ico,
            contracts,
            sa.func.sum(SpendSummary.contracted),
            sa.func.min(SpendSummary.year),
            sa.func.max(SpendSummary.year),
        )
        .join(Provider, Provider.id == SpendSummary.provider_id)
        .where(SpendSummary.orp_id == orp.id)
        .group_by(Provider.id, Provider.name, Provider.ico)
        .having(contracts > 0)
        .order_by(contracts.desc(), Provider.name)
    )
    return [
        ActiveProvider(name, ico, int(count), Decimal(value or 0), first, last)
        for name, ico, count, value, first, last in rows
    ]
