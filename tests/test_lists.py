"""The big lists — sub-contracts, demands, the register of contracts — a page at a time: the pages
cover every row once in the order chosen, keep their filters, stay whole while rows are added, cost
the same number of statements at 3 rows and at 60, and read their page from an index in order.

The rows are written straight into the tables (as the synthetic loader does) with the spend summary
rebuilt after them: the services would take a second per award, and these tests need sixty."""

from __future__ import annotations

import base64
import datetime as dt
import html
import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.auth.models import Role
from minitendr.bids.models import Bid, BidStatus
from minitendr.contracts import queries as contract_queries
from minitendr.contracts.models import Amendment, Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.demands import queries as demand_queries
from minitendr.demands.models import Demand, DemandStatus, Invitation
from minitendr.pagination import encode_cursor
from minitendr.permissions import demand_scope, subcontract_scope
from minitendr.registry.models import Orp, ServiceType
from minitendr.reports import summary
from tests.conftest import SQLITE_PLANS
from tests.factories import ProviderFactory, make_bid, make_demand, make_framework

pytestmark = pytest.mark.usefixtures("monday")

OFFICIALS_AND_PROVIDER = ("ministry", "kraj", "ospod", "provider")
ROW_LINK = re.compile(r'href="/(subcontracts|demands)/(\d+)"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')
PREVIOUS = re.compile(r'rel="prev" href="([^"]+)"')


# --- a country in miniature ----------------------------------------------------------------------
@dataclass
class Country:
    """Sub-contracts and the demands they came from, over the Pardubice kraj's ORPs (the OSPOD persona's
    among them) and another kraj's, several providers (the provider persona among them) and service
    types, with ties in the date and the value to sort through."""

    personas: object
    framework: object
    orps: list[Orp]
    providers: list
    types: list[ServiceType]
    made: int = 0
    subcontracts: list[SubContract] = field(default_factory=list)

    def add(self, count: int, **fixed) -> list[SubContract]:
        rows = [self._one(**fixed) for _ in range(count)]
        db.session.flush()
        summary.rebuild()
        return rows

    def _one(self, **fixed) -> SubContract:
        n = self.made = self.made + 1
        orp = fixed.get("orp", self.orps[n % len(self.orps)])
        provider = fixed.get("provider", self.providers[n % len(self.providers)])
        service_type = self.types[n % len(self.types)]
        signed = fixed.get("signed_on", dt.date(2025, 1 + n % 12, 1 + n % 3))  # many on one day
        value = fixed.get("value", Decimal(20000 + 10000 * (n % 7)))  # 20 000 to 80 000, repeated
        abbr = orp.kraj.abbr
        published = clock.now() - dt.timedelta(days=300 - n)
        demand = Demand(
            number=f"{abbr}-2031-{n:04d}",
            number_year=2031,
            kraj_abbr=abbr,
            number_seq=n,
            orp_id=orp.id,
            category_id=service_type.category_id,
            service_type_id=service_type.id,
            framework_id=self.framework.id,
            needs=["vztahy"],
            case_reference=f"SEZNAM-{n}",
            need_description="Rodina potřebuje podporu.",
            expected_outcome="Stabilizace rodiny.",
            place="v obvodu ORP",
            volume=Decimal("40"),
            start_date=signed,
            end_date=signed + dt.timedelta(days=180),
            deadline=published + dt.timedelta(days=14),
            contact_name="OSPOD",
            contact_email="ospod@test.cz",
            status=DemandStatus.AWARDED,
            created_at=published,
            published_at=published,
            decided_at=published + dt.timedelta(days=15),
        )
        demand.invitations.append(Invitation(provider_id=provider.id, invited_at=published))
        bid = Bid(
            demand=demand,
            provider_id=provider.id,
            status=BidStatus.AWARDED,
            unit_price=value / 40,
            units=Decimal("40"),
            total=value,
            vat_rate=0,
            proposed_start=signed,
            team="Tým.",
            approach="Plán.",
            submitted_at=published + dt.timedelta(days=1),
        )
        subcontract = SubContract(
            number=f"DS-{abbr}-2031-{n:04d}",
            kraj_abbr=abbr,
            number_year=2031,
            number_seq=n,
            demand=demand,
            bid=bid,
            framework_id=self.framework.id,
            provider_id=provider.id,
            orp_id=orp.id,
            category_id=service_type.category_id,
            service_type_id=service_type.id,
            units=Decimal("40"),
            unit_price=value / 40,
            value=value,
            vat_rate=0,
            start_date=signed,
            end_date=signed + dt.timedelta(days=180),
            signed_on=signed,
            status=fixed.get("status", SubContractStatus.ACTIVE),
            termination_reason="Rodina se odstěhovala."
            if fixed.get("status") is SubContractStatus.TERMINATED
            else None,
        )
        db.session.add_all([demand, bid, subcontract])
        self.subcontracts.append(subcontract)
        return subcontract


@pytest.fixture
def country(personas, kraj_pak, kraj_kvk) -> Country:
    providers = [personas.provider.provider, personas.interloper.provider, *ProviderFactory.create_batch(4)]
    framework = make_framework(kraj_pak, providers=providers)
    pak_orps = db.session.scalars(sa.select(Orp).where(Orp.kraj_id == kraj_pak.id).order_by(Orp.code)).all()
    kvk_orps = db.session.scalars(sa.select(Orp).where(Orp.kraj_id == kraj_kvk.id).order_by(Orp.code)).all()
    ospod_orp = personas.ospod.orp
    orps = [ospod_orp, *[o for o in pak_orps if o.id != ospod_orp.id][:3], *kvk_orps[:2]]
    types = db.session.scalars(sa.select(ServiceType).where(ServiceType.active).order_by(ServiceType.code)).all()
    return Country(personas, framework, orps, providers, list(types[:6]))


def _ids(page: str, kind: str = "subcontracts") -> list[int]:
    """The rows of a list page, in order (each row links to its object once, by its number)."""
    return [int(i) for k, i in ROW_LINK.findall(page) if k == kind]


def _visible(user, model=SubContract) -> set[int]:
    scope = subcontract_scope(user) if model is SubContract else demand_scope(user)
    return set(db.session.scalars(sa.select(model.id).where(scope)))


def _walk(client, url: str, kind: str = "subcontracts") -> list[list[int]]:
    """Every page of a list from ``url`` on, following "Další"."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        text = response.get_data(as_text=True)
        pages.append(_ids(text, kind))
        found = NEXT.search(text)
        url = html.unescape(found.group(1)) if found else ""
    return pages


def _expected(rows: list[SubContract], sort: str) -> list[int]:
    keys = {
        "-signed": (lambda s: (s.signed_on, s.id), True),
        "signed": (lambda s: (s.signed_on, s.id), False),
        "-value": (lambda s: (s.value, s.id), True),
        "value": (lambda s: (s.value, s.id), False),
        "number": (lambda s: (s.kraj_abbr, s.number_year, s.number_seq), False),
    }
    key, reverse = keys[sort]
    return [s.id for s in sorted(rows, key=key, reverse=reverse)]


# --- sub-contracts: every row once, in order, for every role and sort -----------------------------
@pytest.mark.parametrize("persona", OFFICIALS_AND_PROVIDER)
@pytest.mark.parametrize("sort", list(contract_queries.SORTS))
def test_the_pages_cover_every_sub_contract_once_in_the_order_chosen(login, personas, country, persona, sort):
    country.add(70)
    db.session.commit()
    user = personas[persona]
    mine = [s for s in country.subcontracts if s.id in _visible(user)]
    pages = _walk(login(user), f"/subcontracts/?sort={sort}")
    assert [row for page in pages for row in page] == _expected(mine, sort)
    assert all(len(page) == 50 for page in pages[:-1])


def test_previous_leads_back_to_the_same_rows(login, personas, country):
    country.add(120)
    db.session.commit()
    client = login(personas.ministry)
    first = client.get("/subcontracts/?sort=value").get_data(as_text=True)
    second = client.get(html.unescape(NEXT.search(first).group(1))).get_data(as_text=True)
    third = client.get(html.unescape(NEXT.search(second).group(1))).get_data(as_text=True)
    back = client.get(html.unescape(PREVIOUS.search(third).group(1))).get_data(as_text=True)
    assert _ids(back) == _ids(second)
    again = client.get(html.unescape(PREVIOUS.search(back).group(1))).get_data(as_text=True)
    assert _ids(again) == _ids(first) and not PREVIOUS.search(again)


def test_a_sub_contract_signed_while_reading_neither_repeats_nor_hides_a_row(login, personas, country):
    country.add(90)
    db.session.commit()
    client = login(personas.kraj)
    first = client.get("/subcontracts/").get_data(as_text=True)
    country.add(1, signed_on=dt.date(2025, 12, 31), orp=personas.ospod.orp)  # the newest: page 1's top
    db.session.commit()
    rest = _walk(client, html.unescape(NEXT.search(first).group(1)))
    seen = _ids(first) + [row for page in rest for row in page]
    mine = [s for s in country.subcontracts[:90] if s.id in _visible(personas.kraj)]
    assert seen == _expected(mine, "-signed")


def test_the_filters_stay_in_the_links_to_the_next_pages(login, personas, country):
    country.add(120, provider=personas.provider.provider)
    db.session.commit()
    query = f"?provider={personas.provider.provider.ico}&category=pobytove&year=2025&status=active&sort=-value"
    page = login(personas.ministry).get(f"/subcontracts/{query}").get_data(as_text=True)
    following = html.unescape(NEXT.search(page).group(1))
    for kept in ("provider=", "category=pobytove", "year=2025", "status=active", "sort=-value", "after="):
        assert kept in following


@pytest.mark.parametrize(
    "query",
    [
        "?kraj=CZ053",
        "?kraj=CZ041&sort=number",
        "?orp=5309&sort=value",
        "?category=terenni&sort=signed",
        "?year=2025&sort=-value",
        "?year=2025",
        "?status=terminated",
        "?registry=pending&sort=value",
        "?kraj=CZ053&category=poradenstvi&year=2025&sort=number",
    ],
)
def test_a_filtered_list_is_what_the_filters_select_in_order(login, personas, country, query):
    country.add(40)
    country.add(5, status=SubContractStatus.TERMINATED)
    country.add(5, value=Decimal("75000.00"))
    db.session.commit()
    args = dict(part.split("=") for part in query[1:].split("&"))
    selected = [s for s in country.subcontracts if _matches(s, args)]
    pages = _walk(login(personas.ministry), f"/subcontracts/{query}")
    assert [row for page in pages for row in page] == _expected(selected, args.get("sort", "-signed"))


def _matches(s: SubContract, args: dict) -> bool:
    return (
        ("kraj" not in args or s.orp.kraj.code == args["kraj"])
        and ("orp" not in args or s.orp.code == args["orp"])
        and ("category" not in args or s.category.code == args["category"])
        and ("year" not in args or s.signed_on.year == int(args["year"]))
        and ("status" not in args or s.status.value == args["status"])
        and ("registry" not in args or s.registry_pending)
    )


# --- the totals --------------------------------------------------------------------------------------
def _caption(page: str) -> str:
    return " ".join(html.unescape(re.search(r"<caption>(.*?)</caption>", page, re.S).group(1)).split())


@pytest.mark.parametrize("persona", OFFICIALS_AND_PROVIDER)
@pytest.mark.parametrize("query", ["", "?category=terenni&year=2025", "?kraj=CZ053", "?status=active"])
def test_the_total_is_the_count_and_value_of_all_the_list_holds(login, personas, country, persona, query):
    country.add(70)
    db.session.commit()
    user = personas[persona]
    args = dict(part.split("=") for part in query[1:].split("&")) if query else {}
    mine = [s for s in country.subcontracts if s.id in _visible(user) and _matches(s, args)]
    value = sum((s.value for s in mine), Decimal("0.00"))
    page = login(user).get(f"/subcontracts/{query}").get_data(as_text=True)
    formatted = f"{value:,.2f}".replace(",", "\xa0").replace(".", ",")
    assert _caption(page) == f"{len(mine)} dílčích smluv v hodnotě {formatted}\xa0Kč".replace("\xa0", " ")


def test_over_the_limit_a_state_filter_says_more_than_and_sums_nothing(login, personas, country, monkeypatch):
    country.add(8)
    db.session.commit()
    monkeypatch.setattr(contract_queries, "COUNT_LIMIT", 5)
    caption = _caption(login(personas.ministry).get("/subcontracts/?status=active").get_data(as_text=True))
    assert caption.startswith("Více než 10 000 dílčích smluv; jejich celkovou hodnotu") and "Kč" not in caption
    # Without the state filter the spend summary answers, exactly, whatever their number.
    assert _caption(login(personas.ministry).get("/subcontracts/").get_data(as_text=True)).startswith("8 dílčích")


# --- statements: the same at 3 rows and at 60 ------------------------------------------------------
def _statements_of(client, statements, url: str) -> int:
    with statements() as ran:
        assert client.get(url).status_code == 200
    return len(ran)


LIST_URLS = {
    "ministry": [
        "/subcontracts/",
        "/subcontracts/?kraj=CZ053&sort=number",
        "/subcontracts/?status=active",
        "/subcontracts/registry",
        "/demands/",
        "/demands/?kraj=CZ053&status=awarded",
        # The search (tests/test_search.py): every field at once costs no more statements per row.
        "/subcontracts/?q=2031&service_type=SAS&need=vztahy&since=2025-01-01&until=2025-12-31&number=DS",
        "/demands/?q=2031&category=terenni&service_type=SAS&need=vztahy&since=2020-01-01&provider=00000000",
    ],
    "kraj": [
        "/subcontracts/",
        "/subcontracts/?sort=-value&registry=pending",
        "/subcontracts/registry",
        "/demands/",
        "/demands/?q=obvodu&need=vztahy&status=awarded",
        "/subcontracts/?q=2031&sort=value",
    ],
    "ospod": ["/subcontracts/", "/subcontracts/?year=2025&sort=value", "/subcontracts/registry", "/demands/"],
    "provider": [
        "/subcontracts/",
        "/subcontracts/?sort=number",
        "/demands/",
        "/demands/?status=awarded",
        "/demands/?q=2031&need=vztahy",
    ],
}


@pytest.mark.parametrize("persona", OFFICIALS_AND_PROVIDER)
def test_a_list_page_costs_the_same_statements_at_3_rows_and_at_60(login, personas, country, statements, persona):
    # Three that every persona sees, then fifty-seven of every ORP, provider and service type: an
    # object loaded per row would show as more statements.
    country.add(3, value=Decimal("60000.00"), orp=personas.ospod.orp, provider=personas.provider.provider)
    db.session.commit()
    client = login(personas[persona])
    few = {url: _statements_of(client, statements, url) for url in LIST_URLS[persona]}
    country.add(57, value=Decimal("60000.00"))  # every one waits for the register too
    db.session.commit()
    many = {url: _statements_of(client, statements, url) for url in LIST_URLS[persona]}
    assert many == few
    assert max(many.values()) <= 15, many
    # … and the rows were there to be shown: the lists are not empty.
    assert len(_ids(client.get(LIST_URLS[persona][0]).get_data(as_text=True))) == min(
        50, len(_visible(personas[persona]) & {s.id for s in country.subcontracts})
    )


def test_a_later_page_costs_the_same_statements_as_the_first(login, personas, country, statements):
    country.add(120)
    db.session.commit()
    client = login(personas.kraj)
    first = client.get("/subcontracts/?sort=value").get_data(as_text=True)
    following = html.unescape(NEXT.search(first).group(1))
    assert _statements_of(client, statements, following) == _statements_of(
        client, statements, "/subcontracts/?sort=value"
    )


# --- the page query reads an index in order (SQLite: its plans do not depend on the table's size) ---
def _page_plans(client, url: str) -> list[str]:
    """The plans of the statements that read a page of sub-contracts or demands (ordered, limited)."""
    ran: list[tuple[str, object]] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        ran.append((statement, parameters))

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    plans = []
    for statement, parameters in ran:
        reads_rows = re.match(r"\s*SELECT (subcontract|demand)\.id|\s*SELECT anon_1\.row_id", statement)
        if reads_rows and "ORDER BY" in statement and "LIMIT" in statement:
            rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append("\n".join(row[-1] for row in rows))
    return plans


AFTER = {  # a cursor in the middle of each sort, so that the plans are those of a later page too
    "-signed": encode_cursor([dt.date(2025, 6, 1), 30]),
    "signed": encode_cursor([dt.date(2025, 6, 1), 30]),
    "-value": encode_cursor([Decimal("50000.00"), 30]),
    "value": encode_cursor([Decimal("50000.00"), 30]),
    "number": encode_cursor(["PAK", 2031, 30]),
    "newest": encode_cursor([dt.datetime(2026, 6, 1, tzinfo=dt.UTC), 30]),
    "invited": encode_cursor([30]),
    "deadline": encode_cursor([dt.datetime(2026, 12, 1, tzinfo=dt.UTC), 30]),
}
ANY, ORP, PROVIDER = r"\w+", r"ix_subcontract_(orp|pending_orp)\w*", r"ix_subcontract_provider_\w+"
PLANNED = [
    *[("ministry", f"/subcontracts/?sort={sort}", ANY) for sort in contract_queries.SORTS],
    ("ministry", "/subcontracts/?status=completed&sort=-value", r"ix_subcontract_status_value"),
    ("ministry", "/subcontracts/?status=active&sort=number", r"ix_subcontract_status_number"),
    ("ministry", "/subcontracts/?category=terenni&sort=value", r"ix_subcontract_value"),
    ("ministry", "/subcontracts/?year=2025&sort=number", r"sqlite_autoindex_subcontract_\d|uq_subcontract_number"),
    ("ministry", "/subcontracts/?year=2025", r"ix_subcontract_signed"),
    ("ministry", "/subcontracts/?registry=pending", r"ix_subcontract_pending_signed"),
    ("ministry", "/subcontracts/?provider=00000000", ANY),
    ("ospod", "/subcontracts/?sort=value", ORP),
    ("ospod", "/subcontracts/?sort=-value&status=completed", ORP),
    ("ospod", "/subcontracts/?sort=number&status=active", ORP),
    ("ospod", "/subcontracts/?registry=pending", ORP),
    ("provider", "/subcontracts/?sort=-value", PROVIDER),
    ("provider", "/subcontracts/?sort=value&status=active", PROVIDER),
    ("provider", "/subcontracts/?sort=number", PROVIDER),
    ("ministry", "/demands/?sort=newest", r"ix_demand_created"),
    ("ministry", "/demands/?sort=newest&status=awarded", r"ix_demand_status_created"),
    ("ospod", "/demands/?sort=newest", r"ix_demand_orp_created"),
    ("ospod", "/demands/?sort=newest&status=awarded", r"ix_demand_orp_created"),
    ("provider", "/demands/?sort=invited", r"ix_invitation_provider_demand"),
    ("provider", "/demands/?sort=invited&status=awarded", r"ix_invitation_provider_demand"),
    ("provider", "/demands/?sort=deadline&status=published", r"ix_demand_status_deadline"),
    ("ospod", "/subcontracts/registry?sort=signed", ORP),
    ("ministry", "/subcontracts/registry?sort=signed", r"ix_subcontract_pending_signed"),
    # The search: nationally by the category's or service type's own index, newest first; within an
    # ORP or a provider's invitations checked along theirs; on sub-contracts along the sort's index.
    ("ministry", "/demands/?sort=newest&category=terenni&q=2031", r"ix_demand_category_created"),
    ("ministry", "/demands/?sort=newest&service_type=SAS&need=vztahy", r"ix_demand_service_type_created"),
    ("ospod", "/demands/?sort=newest&service_type=SAS&number=PAK", r"ix_demand_orp_created"),
    ("provider", "/demands/?sort=invited&category=terenni&need=vztahy", r"ix_invitation_provider_demand"),
    ("ospod", "/subcontracts/?sort=value&need=vztahy&since=2025-01-01", ORP),
    # Nationally the service type has an index of its own per sort (with the state's, either serves);
    # the needs area is read from each row's demand by its key, never as a list of every demand.
    ("ministry", "/subcontracts/?sort=value&service_type=SAS&q=2031", r"ix_subcontract_service_type_value"),
    ("ministry", "/subcontracts/?sort=-signed&service_type=SAS", r"ix_subcontract_service_type_signed"),
    ("ministry", "/subcontracts/?sort=number&service_type=SAS&need=vztahy", r"ix_subcontract_service_type_number"),
    ("ministry", "/subcontracts/?sort=-value&service_type=SAS&status=active", r"ix_subcontract_\w+_value"),
    ("ministry", "/subcontracts/?sort=signed&service_type=SAS&year=2025", r"ix_subcontract_service_type_signed"),
    ("ministry", "/subcontracts/?sort=-signed&need=vztahy", r"ix_subcontract_signed"),
    ("ministry", "/subcontracts/?sort=-value&need=bezpeci&number=PAK&since=2025-01-01", r"ix_subcontract_value"),
    ("ospod", "/subcontracts/?sort=number&service_type=SAS&need=vztahy", ORP),
    ("ospod", "/subcontracts/?sort=-signed&service_type=SAS&status=active", ORP),
    ("provider", "/subcontracts/?sort=-signed&service_type=SAS&need=vztahy", PROVIDER),
    ("provider", "/subcontracts/?sort=value&q=2031&until=2025-06-30", PROVIDER),
]
# A table read whole: what no index leads to (a list of every demand with a needs area, say).
TABLE_SCAN = re.compile(r"^SCAN (subcontract|demand|invitation|bid|drawdown)$", re.MULTILINE)


def _with_cursor(url: str, later: bool) -> str:
    """``url`` as its first page, or as a later one (after a cursor of its sort); the demand lists and the
    register have one sort each, named here only to pick the cursor."""
    sort = re.search(r"sort=([-\w]+)", url)
    key = sort.group(1) if sort else "-signed"
    if url.startswith("/demands/") or url.startswith("/subcontracts/registry"):
        url = re.sub(r"sort=[-\w]+&?", "", url).rstrip("?&")
    return f"{url}{'&' if '?' in url else '?'}after={AFTER[key]}" if later else url


@pytest.mark.parametrize("later", [False, True], ids=["first page", "later page"])
@pytest.mark.parametrize(("persona", "url", "index"), PLANNED)
@SQLITE_PLANS
def test_a_page_is_read_in_order_from_the_index_of_its_sort_and_scope(
    login, personas, country, persona, url, index, later
):
    country.add(3)
    db.session.commit()
    plans = _page_plans(login(personas[persona]), _with_cursor(url, later))
    assert plans, url
    for plan in plans:
        assert "TEMP B-TREE" not in plan, plan
        assert not TABLE_SCAN.search(plan), plan
    assert re.search(rf"USING (COVERING )?INDEX {index}\b", plans[0]), plans[0]


@pytest.mark.parametrize("later", [False, True], ids=["first page", "later page"])
@pytest.mark.parametrize(
    "url",
    [
        "/subcontracts/?sort=-signed",
        "/subcontracts/?sort=number",
        "/subcontracts/?sort=-value&status=completed",
        "/subcontracts/?sort=value&category=terenni&year=2025",
        "/demands/?sort=newest",
        "/demands/?sort=newest&status=awarded",
        "/subcontracts/registry?sort=signed",
        "/demands/?sort=newest&category=terenni&need=vztahy",
        "/subcontracts/?sort=-signed&service_type=SAS&q=2031",
        "/subcontracts/?sort=value&service_type=SAS&need=vztahy",
        "/subcontracts/?sort=number&need=vztahy&since=2025-01-01&until=2025-12-31",
    ],
)
@SQLITE_PLANS
def test_a_kraj_reads_its_orps_one_by_one_each_in_order(login, personas, country, kraj_pak, url, later):
    country.add(3)
    db.session.commit()
    (plan,) = _page_plans(login(personas.kraj), _with_cursor(url, later))
    runs = plan.split("UNION ALL")
    assert len(runs) == len(kraj_pak.orps)
    for run in runs:
        assert re.search(r"INDEX ix_(subcontract|demand)_(orp|pending)_\w+ \(orp_id=\?", run), run
        assert not TABLE_SCAN.search(run), run
    assert plan.count("TEMP B-TREE") == 1  # the merge of the runs' first pages, no more


# --- cursors: only ours ----------------------------------------------------------------------------------
def _forged(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "x",
        "!!!",
        encode_cursor([dt.date(2025, 1, 1)]),  # one value short
        encode_cursor([Decimal("1.00"), 5]),  # an amount where the date belongs
        encode_cursor(["2025-01-01", 5]),
        _forged([{"d": "2025-02-30"}, 5]),
        _forged([{"d": "2025-01-01"}, 2**70]),
        _forged([{"d": "2025-01-01"}, True]),
        _forged([{"d": "2025-01-01"}, "a\x00b"]),
        _forged([{"t": "2025-01-01T10:00:00"}, 5]),  # a timestamp, and a naive one
        _forged([{"n": "NaN"}, 5]),
        _forged([[[[[]]]], 5]),
        _forged([{"d": "2025-01-01"}, 1.5]),
        "[" * 5000,
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_cursor_not_made_by_the_list_is_a_400_in_czech(login, personas, country, cursor, direction):
    response = login(personas.ministry).get("/subcontracts/", query_string={direction: cursor})
    assert response.status_code == 400
    assert "Odkaz na stránku seznamu je neplatný" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/subcontracts/", {"sort": "value"}),
        ("/subcontracts/", {"sort": "number"}),
        ("/demands/", {}),
    ],
)
def test_a_cursor_from_another_list_or_sort_is_a_400_not_a_500(login, personas, country, url, query):
    cursor = encode_cursor([dt.date(2025, 1, 1), 5])  # a cursor of the newest sub-contracts first
    response = login(personas.ministry).get(url, query_string={**query, "after": cursor})
    assert response.status_code == 400


@pytest.mark.parametrize("persona", OFFICIALS_AND_PROVIDER)
@pytest.mark.parametrize(
    "query",
    [
        {"page": "99999999999999999999"},
        {"sort": "x", "status": "y", "year": "99999999999", "registry": "z"},
        {"kraj": "CZ999", "orp": "x" * 5000, "provider": "00000000", "category": "nic"},
        {"status": "evaluation", "orp": "5309", "kraj": "CZ041"},
        {"q": "%_\\'", "number": "x" * 5000, "since": "2026-02-30", "until": "0001-01-01", "need": "x"},
        {"service_type": "nic", "since": "31. 12. 2026", "until": "1. 1. 2026", "provider": "x" * 300},
    ],
)
def test_bad_filters_never_make_a_500(login, personas, persona, query):
    client = login(personas[persona])
    for url in ("/subcontracts/", "/demands/"):
        assert client.get(url, query_string=query).status_code == 200, (url, query)


# --- the register of contracts ----------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["ministry", "kraj", "ospod"])
def test_the_register_overview_sums_what_waits_and_pages_through_it_oldest_first(login, personas, country, persona):
    country.add(30, value=Decimal("60000.00"))  # over the threshold: each must be published
    country.add(30, value=Decimal("30000.00"))  # under it: none
    published = country.add(10, value=Decimal("70000.00"))
    for n, subcontract in enumerate(published):
        subcontract.registry_id, subcontract.registry_published_on = str(26781000 + n), dt.date(2026, 11, 1)
    db.session.flush()
    summary.rebuild()  # written past the services, as a bulk load writes: the running totals afresh
    db.session.commit()
    user = personas[persona]
    waiting = [s for s in country.subcontracts if s.registry_pending and s.id in _visible(user)]
    client = login(user)
    pages = _walk(client, "/subcontracts/registry")
    assert [row for page in pages for row in page] == _expected(waiting, "signed")
    page = html.unescape(client.get("/subcontracts/registry").get_data(as_text=True))
    per_kraj = itertools.groupby(sorted(waiting, key=lambda s: s.orp.kraj.name), key=lambda s: s.orp.kraj.name)
    for kraj, rows in per_kraj:
        count = len(list(rows))
        assert re.search(rf"<td>{kraj}</td><td class=\"money\">{count}</td>", page), (kraj, count)
    assert f"Celkem {len(waiting)} nezveřejněných smluv" in page


# --- demands -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", OFFICIALS_AND_PROVIDER)
def test_the_demand_pages_cover_every_visible_demand_once_newest_first(login, personas, country, persona):
    country.add(70)
    db.session.commit()
    user = personas[persona]
    visible = _visible(user, Demand)
    mine = [s.demand for s in country.subcontracts if s.demand_id in visible]
    if user.role is Role.PROVIDER:  # the latest filed first, in the order of its invitations
        expected = [d.id for d in sorted(mine, key=lambda d: d.id, reverse=True)]
    else:
        expected = [d.id for d in sorted(mine, key=lambda d: (d.created_at, d.id), reverse=True)]
    pages = _walk(login(user), "/demands/", kind="demands")
    assert [row for page in pages for row in page] == expected


def test_a_provider_sees_its_open_minitenders_first_nearest_deadline_on_top(login, personas, country):
    country.add(55, provider=personas.provider.provider)
    later = make_demand(personas.ospod, deadline=dt.datetime(2026, 12, 18, 12, tzinfo=clock.PRAGUE), publish=True)
    sooner = make_demand(personas.ospod, deadline=dt.datetime(2026, 12, 9, 12, tzinfo=clock.PRAGUE), publish=True)
    db.session.commit()
    client = login(personas.provider)
    first = client.get("/demands/").get_data(as_text=True)
    assert _ids(first, "demands")[:2] == [sooner.id, later.id]
    assert "Otevřené – přijímají nabídky" in first and "Celkem 57 minitendrů" in first
    second = client.get(html.unescape(NEXT.search(first).group(1))).get_data(as_text=True)
    assert sooner.id not in _ids(second, "demands") and "Otevřené" not in second  # shown once, on top
    opened = _walk(client, "/demands/?status=published", kind="demands")
    assert opened == [[sooner.id, later.id]]


def test_the_state_tabs_count_up_to_the_limit_and_keep_the_place_filters(login, personas, country, monkeypatch):
    country.add(8)
    db.session.commit()
    client = login(personas.ministry)
    page = client.get("/demands/?kraj=CZ053").get_data(as_text=True)
    in_pak = sum(1 for s in country.subcontracts if s.orp.kraj.code == "CZ053")
    assert f'zadáno <span class="badge text-bg-light">{in_pak}</span>' in page
    assert 'href="/demands/?status=awarded&amp;kraj=CZ053"' in page
    monkeypatch.setattr(demand_queries, "COUNT_LIMIT", 3)
    page = client.get("/demands/?kraj=CZ053").get_data(as_text=True)
    assert 'class="badge' not in page.split("Stav poptávek")[1].split("</nav>")[0]  # no counts over the limit
    assert "Celkem více než" in page


def test_the_demand_list_says_nothing_of_who_bid_before_the_deadline(login, personas, country):
    demand = make_demand(personas.ospod, publish=True)
    make_bid(demand, personas.provider.provider)
    db.session.commit()
    for persona in ("ministry", "kraj", "ospod", "interloper"):
        page = login(personas[persona]).get("/demands/").get_data(as_text=True)
        assert demand.number in page and personas.provider.provider.name not in page


# --- the pages of one sub-contract and one demand -------------------------------------------------
def test_a_sub_contract_page_costs_the_same_with_one_drawdown_and_amendment_or_ten(
    login, personas, country, statements
):
    (subcontract,) = country.add(1, orp=personas.ospod.orp, provider=personas.provider.provider)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            subcontract.drawdowns.append(
                Drawdown(
                    period=dt.date(2025, 1 + n % 12, 1),
                    units=Decimal(1),
                    amount=Decimal(100),
                    status=DrawdownStatus.CONFIRMED if n % 2 else DrawdownStatus.SUBMITTED,
                )
            )
            subcontract.amendments.append(
                Amendment(
                    seq=n + 1,
                    old_value=subcontract.value,
                    new_value=subcontract.value,
                    old_units=Decimal(40),
                    new_units=Decimal(40),
                    old_end_date=subcontract.end_date,
                    new_end_date=subcontract.end_date,
                    reason="Úprava.",
                    provider_consent="Souhlas.",
                    consent_on=dt.date(2025, 6, 1),
                )
            )
        db.session.commit()

    add(1, 0)
    client = login(personas.ospod)
    url = f"/subcontracts/{subcontract.id}"
    one = _statements_of(client, statements, url)
    add(9, 1)
    assert _statements_of(client, statements, url) == one


def test_a_demand_page_costs_the_same_with_two_invited_providers_or_eight(login, personas, kraj_pak, statements):
    providers = ProviderFactory.create_batch(8)
    make_framework(kraj_pak, providers=providers[:2])
    few = make_demand(personas.ospod, publish=True)
    make_framework(kraj_pak, "poradenstvi", providers=providers)
    many = make_demand(personas.ospod, "OSP", publish=True)
    db.session.commit()
    assert len(few.invitations) == 2 and len(many.invitations) == 8
    client = login(personas.kraj)
    assert _statements_of(client, statements, f"/demands/{few.id}") == _statements_of(
        client, statements, f"/demands/{many.id}"
    )
