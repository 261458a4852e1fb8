"""Coverage of the service network: the running totals per ORP × needs area after any story equal the
bare SQL over the records (written here on its own, not by the rebuild) and a rebuild; the median of
working days comes out as Python's median over the Czech calendar; gaps follow the model and the
kraj's thresholds, worst first; filters refuse what is unknown or out of scope."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minitendr import clock
from minitendr.db import DomainError, db
from minitendr.demands.models import NEEDS, Demand, DemandStatus
from minitendr.network import coverage
from minitendr.network import summary as network_summary
from minitendr.network.models import NetworkModel, NetworkTarget, WorkDay
from minitendr.reports.service import FilterError, OutOfScope
from tests.factories import make_demand, make_framework
from tests.test_rollups import START, Story, act, bidders, cast, publish, rows

__all__ = ["cast"]  # the fixture, shared with the report totals' stories

NEED_CODES = list(NEEDS)


# --- the bare aggregates -------------------------------------------------------------------------
def demand_needs_sql(dialect: str) -> str:
    """Each published minitender once per (known) needs area it lists."""
    listed = "json_array_elements_text(d2.needs)" if dialect == "postgresql" else "json_each(d2.needs)"
    known = ", ".join(f"'{code}'" for code in NEED_CODES)
    return (
        f"SELECT DISTINCT d2.id AS demand_id, j.value AS need FROM demand d2, {listed} AS j(value) "
        f"WHERE d2.published_at IS NOT NULL AND j.value IN ({known})"
        if dialect == "postgresql"
        else f"SELECT DISTINCT d2.id AS demand_id, j.value AS need FROM demand d2, {listed} AS j "
        f"WHERE d2.published_at IS NOT NULL AND j.value IN ({known})"
    )


def bare_figures(dialect: str) -> dict[str, tuple[str, str]]:
    year = (
        "CAST(EXTRACT(YEAR FROM d.published_at AT TIME ZONE 'UTC') AS INTEGER)"
        if dialect == "postgresql"
        else "CAST(strftime('%Y', d.published_at) AS INTEGER)"
    )
    live = "(SELECT count(*) FROM bid lb WHERE lb.demand_id = d.id AND lb.status NOT IN ('withdrawn', 'replaced'))"
    figures = (
        "count(*), sum(CASE WHEN d.status = 'awarded' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN d.status IN ('unsuccessful', 'cancelled') THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN d.status = 'awarded' AND {live} = 1 THEN 1 ELSE 0 END), coalesce(sum(s.value), 0)"
    )
    needs = demand_needs_sql(dialect)
    return {
        "network_summary": (
            "orp_id, need, category_id, year, published, awarded, unmet, single_bid, value",
            f"SELECT d.orp_id, n.need, d.category_id, {year}, {figures} FROM ({needs}) n "
            "JOIN demand d ON d.id = n.demand_id LEFT JOIN subcontract s ON s.demand_id = d.id "
            f"GROUP BY d.orp_id, n.need, d.category_id, {year}",
        ),
        "network_orp_summary": (
            "orp_id, category_id, year, published, awarded, unmet, single_bid, value",
            f"SELECT d.orp_id, d.category_id, {year}, {figures} FROM demand d "
            "LEFT JOIN subcontract s ON s.demand_id = d.id "
            f"WHERE d.id IN (SELECT demand_id FROM ({needs}) n) GROUP BY d.orp_id, d.category_id, {year}",
        ),
    }


def differences_from_the_records() -> dict[str, tuple[set, set]]:
    found = {}
    for table, (columns, aggregate) in bare_figures(db.session.get_bind().dialect.name).items():
        kept, computed = rows(f"SELECT {columns} FROM {table}"), rows(aggregate)
        if kept != computed:
            found[table] = (kept - computed, computed - kept)
    return found


def working_days_in_python() -> dict[tuple, list[int]]:
    """Per ORP × area: the working days each awarded minitender took, counted by the clock's calendar."""
    found: dict[tuple, list[int]] = {}
    for demand in db.session.scalars(sa.select(Demand).where(Demand.status == DemandStatus.AWARDED)):
        assert demand.published_at is not None and demand.decided_at is not None
        day = demand.published_at.astimezone(clock.PRAGUE).date()
        end = demand.decided_at.astimezone(clock.PRAGUE).date()
        days = 0
        while day < end:
            day += dt.timedelta(days=1)
            days += clock.is_working_day(day)
        for need in set(demand.needs) & set(NEED_CODES):
            found.setdefault((demand.orp.code, need), []).append(days)
    return found


# --- the story: the report totals' story, with minitenders of varied needs areas -------------------
KINDS = (*("publish",) * 3, *("decide",) * 4, "amend", "amend", "cancel", "reissue", "wait", "report", "end")
steps = st.lists(
    st.tuples(
        st.sampled_from(KINDS), st.integers(0, 7), st.integers(0, 100), bidders, st.sets(st.sampled_from(NEED_CODES))
    ),
    min_size=10,
    max_size=30,
)


def step(story: Story, kind: str, n: int, x: int, offered: list, needs: set[str]) -> None:
    if kind == "publish":
        with clock.frozen_at(story.now):
            demand = make_demand(story.offices[n % 2], estimated_max_value=None, needs=sorted(needs) or ["chovani"])
            publish(story, demand, offered)
    else:
        act(story, kind, n, x, offered)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story_steps=steps)
def test_network_totals_equal_the_records_and_a_rebuild_after_any_story(cast, personas, story_steps):
    savepoint = db.session.begin_nested()
    try:
        story = Story(*cast())
        with clock.frozen_at(START):
            for office in story.offices:
                make_framework(office.orp.kraj, providers=story.providers, ceiling=Decimal("200000"))
        for story_step in story_steps:
            made = len(story.demands), len(story.subcontracts)
            try:
                with db.session.begin_nested():
                    step(story, *story_step)
            except DomainError:
                del story.demands[made[0] :], story.subcontracts[made[1] :]
        with clock.frozen_at(story.now):
            assert differences_from_the_records() == {}
            kept = network_summary.snapshot()
            network_summary.rebuild()
            assert network_summary.snapshot() == kept
            ministry = personas.ministry
            by_cell = {(c.orp_code, c.need): c for c in coverage.cells(coverage.NetworkFilters(), ministry)}
            for key, days in working_days_in_python().items():
                assert by_cell[key].median_days == Decimal(str(statistics.median(days))).quantize(Decimal("0.1"))
                assert by_cell[key].awarded == len(days)
    finally:
        savepoint.rollback()
        db.session.expunge_all()


# --- the calendar --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("published", "decided", "days"),
    [
        (dt.datetime(2026, 11, 2, 9), dt.datetime(2026, 11, 2, 17), 0),  # the same day
        (dt.datetime(2026, 11, 6, 9), dt.datetime(2026, 11, 9, 9), 1),  # Friday to Monday
        (dt.datetime(2026, 12, 22, 9), dt.datetime(2026, 12, 28, 9), 2),  # over Christmas (24–26 December)
        (dt.datetime(2026, 3, 27, 23, 30), dt.datetime(2026, 3, 30, 0, 30), 1),  # around midnight and DST
        (dt.datetime(2025, 12, 31, 23, 59), dt.datetime(2026, 1, 2, 0, 1), 1),  # New Year's Day is a holiday
    ],
)
def test_working_days_from_the_calendar_table_agree_with_the_clock(published, decided, days):
    earlier, later = published.replace(tzinfo=clock.PRAGUE), decided.replace(tzinfo=clock.PRAGUE)
    assert network_summary.working_days_between(earlier, later) == days
    index = network_summary._working_index
    counted = db.session.scalar(
        sa.select(index(sa.literal(later, WorkDay.starts_at.type)) - index(sa.literal(earlier, WorkDay.starts_at.type)))
    )
    assert counted == days


# --- coverage and gaps ---------------------------------------------------------------------------
@pytest.fixture
def model(personas, orp_pardubice):
    """Pardubický kraj's model for this year: Pardubice wants two services for bezpečí (priority 1)
    and one for chování (priority 2); at most 10 % unmet, 40 % single-bid."""
    today = clock.today()
    network = NetworkModel(
        kraj_id=orp_pardubice.kraj_id,
        name="Model sítě",
        valid_from=dt.date(today.year, 1, 1),
        valid_to=dt.date(today.year, 12, 31),
        unmet_threshold=Decimal("10"),
        single_bid_threshold=Decimal("40"),
    )
    network.targets = [
        NetworkTarget(orp_id=orp_pardubice.id, need="bezpeci", priority=1, goal="Krizová pomoc", minimum_services=2),
        NetworkTarget(orp_id=orp_pardubice.id, need="chovani", priority=2, goal="", minimum_services=1),
    ]
    db.session.add(network)
    db.session.flush()
    return network


def test_gaps_follow_the_model_minimum_and_come_worst_first(personas, model, orp_pardubice):
    cells = coverage.cells(coverage.NetworkFilters(orp=orp_pardubice), personas.kraj)
    assert [c.need for c in cells] == NEED_CODES
    found = coverage.gaps(cells)
    assert [(c.need, c.priority) for c in found] == [("bezpeci", 1), ("chovani", 2)]
    assert found[0].gap_reasons == ["V katalogu 0 služeb, model žádá nejméně 2."]
    assert found[0].goal == "Krizová pomoc" and found[0].model_minimum == 2
    assert not any(c.gap for c in cells if c.need not in ("bezpeci", "chovani"))


def test_unmet_share_above_the_kraj_threshold_is_a_gap(personas, model, orp_pardubice):
    make_framework(orp_pardubice.kraj, providers=[personas.provider.provider])
    demand = make_demand(personas.ospod, needs=["zdravi"], publish=True)
    from minitendr.demands import service as demands

    demands.cancel(demand, "Rodina se odstěhovala.")
    cell = coverage.cells(coverage.NetworkFilters(orp=orp_pardubice, need="zdravi"), personas.ospod)[0]
    assert (cell.published, cell.unmet, cell.awarded) == (1, 1, 0)
    assert cell.unmet_share == Decimal("100.0")
    assert cell.gap_reasons == ["Nezadané poptávky 100 % ukončených (práh kraje 10 %)."]
    # A draft cancelled before publishing is no unmet demand.
    draft = make_demand(personas.ospod, needs=["zdravi"])
    demands.cancel(draft, "Omyl.")
    again = coverage.cells(coverage.NetworkFilters(orp=orp_pardubice, need="zdravi"), personas.ospod)[0]
    assert (again.published, again.unmet) == (1, 1)


def test_children_and_value_per_child_come_from_the_census(personas, orp_pardubice):
    cell = coverage.cells(coverage.NetworkFilters(orp=orp_pardubice, need="vztahy"), personas.kraj)[0]
    assert cell.children > 10000
    assert cell.value_per_child == Decimal("0.00")
    assert coverage.per_child(Decimal("1000"), 3) == Decimal("333.33")
    assert coverage.per_child(Decimal("1000"), 0) is None


def test_orp_values_count_a_minitender_once_over_all_areas(personas, orp_pardubice):
    make_framework(orp_pardubice.kraj, providers=[personas.provider.provider])
    make_demand(personas.ospod, needs=["vztahy", "uceni", "chovani"], publish=True)
    cells = coverage.cells(coverage.NetworkFilters(kraj=orp_pardubice.kraj), personas.kraj)
    assert sum(c.published for c in cells if c.orp_code == orp_pardubice.code) == 3
    assert coverage.orp_values(cells, "published")[orp_pardubice.code] == 1
    one = [c for c in cells if c.need == "uceni"]
    assert coverage.orp_values(one, "published")[orp_pardubice.code] == 1
    with pytest.raises(FilterError):
        coverage.orp_values(cells, "nonsense")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"kraj": "CZ999"}, "kraj"),
        ({"orp": "99999"}, "orp"),
        ({"need": "láska"}, "need"),
        ({"category": "x"}, "category"),
        ({"year": "1999"}, "year"),
        ({"year": "20x6"}, "year"),
        ({"kraj": "CZ041", "orp": "5309"}, "orp"),  # Pardubice is not in Karlovarský kraj
    ],
)
def test_bad_filters_are_refused_at_their_field(personas, args, field):
    with pytest.raises(FilterError) as refused:
        coverage.parse_filters(args, personas.ministry)
    assert refused.value.field == field


def test_filters_outside_the_users_kraj_are_out_of_scope(personas):
    assert coverage.parse_filters({"kraj": "cz053"}, personas.kraj).kraj is not None
    for user, args in (
        (personas.kraj, {"kraj": "CZ041"}),
        (personas.ospod, {"orp": "4103"}),
        (personas.provider, {}),
        (personas.admin, {}),
    ):
        with pytest.raises(OutOfScope):
            coverage.parse_filters(args, user)


def test_a_kraj_official_sees_only_their_kraj_and_the_ministry_every_orp(personas, kraj_pak):
    own = coverage.cells(coverage.NetworkFilters(), personas.kraj)
    assert {c.kraj_code for c in own} == {kraj_pak.code}
    national = coverage.cells(coverage.NetworkFilters(need="vztahy"), personas.ministry)
    assert len(national) == 206


def test_the_national_figures_take_a_constant_number_of_statements(personas, statements, model):
    with statements() as few:
        coverage.cells(coverage.NetworkFilters(), personas.ministry)
    with statements() as more:
        coverage.cells(coverage.NetworkFilters(year=2026, need="bezpeci"), personas.kraj)
    assert len(few) == len(more) <= 8
    with statements() as fewer:
        coverage.cells(coverage.NetworkFilters(), personas.ministry, medians=False)
    assert len(fewer) == len(few) - 1  # the map leaves out the medians it does not show


def test_a_share_is_the_per_cent_to_a_tenth_rounded_half_up():
    from decimal import ROUND_HALF_UP

    for whole in range(1, 120):
        for part in range(whole + 1):
            exact = (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)
            assert coverage._share(part, whole) == exact and str(coverage._share(part, whole)) == str(exact)
    assert coverage._share(0, 0) is None
