"""The service network's pages: the map page's switches, its gaps listed first and worst first, the
table beside the map; the ORP page's catalogue per needs area, the model's goal and minimum, the
minitenders by year, the providers active there and the gaps; who may read them; ugly input; and a
constant, small number of SQL statements whatever the data."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from minitendr import clock
from minitendr.auth.models import Role
from minitendr.db import db
from minitendr.formatting import money
from minitendr.navigation import navigation
from minitendr.network import catalogue_totals, overview
from minitendr.network.models import (
    CatalogueNeed,
    CatalogueOrp,
    CatalogueService,
    NetworkModel,
    NetworkTarget,
    Sector,
    ServiceForm,
)
from minitendr.permissions import can_read_network
from tests.factories import make_demand, make_framework

STATEMENTS = 15


@pytest.fixture
def model(orp_pardubice):
    """This year's model of Pardubický kraj: Pardubice wants two services for bezpečí (priority 1) and
    one for chování (priority 2), Přelouč one for zdraví (priority 3)."""
    today = clock.today()
    network = NetworkModel(
        kraj_id=orp_pardubice.kraj_id,
        name="Model sítě Pardubického kraje",
        valid_from=dt.date(today.year, 1, 1),
        valid_to=dt.date(today.year, 12, 31),
        unmet_threshold=Decimal("10"),
        single_bid_threshold=Decimal("40"),
    )
    prelouc = db.session.scalar(db.select(type(orp_pardubice)).where(type(orp_pardubice).code == "5311"))
    network.targets = [
        NetworkTarget(
            orp_id=orp_pardubice.id, need="bezpeci", priority=1, goal="Krizová pomoc do 24 hodin", minimum_services=2
        ),
        NetworkTarget(orp_id=orp_pardubice.id, need="chovani", priority=2, goal="", minimum_services=1),
        NetworkTarget(orp_id=prelouc.id, need="zdravi", priority=3, goal="Dětský psycholog", minimum_services=1),
    ]
    db.session.add(network)
    db.session.flush()
    return network


def add_service(kraj, orps, needs, name: str, *, active: bool = True, **values) -> CatalogueService:
    service = CatalogueService(
        kraj_id=kraj.id,
        name=name,
        sector=values.pop("sector", Sector.SOCIALNI),
        form=values.pop("form", ServiceForm.TERENNI),
        organization=values.pop("organization", "Spolek Rodina v pohodě"),
        active=active,
        **values,
    )
    service.needs = [CatalogueNeed(need=need) for need in needs]
    service.orps = [CatalogueOrp(orp_id=orp.id) for orp in orps]
    db.session.add(service)
    db.session.flush()
    catalogue_totals.counted(service)  # as the catalogue's services count an entry they make
    return service


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def section(html: str, heading_id: str) -> str:
    """The HTML of one needs area's section of the ORP page."""
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, flags=re.S)
    assert found, heading_id
    return found.group(0)


# --- the menu --------------------------------------------------------------------------------------
def test_names_sort_in_czech_order():
    names = ["Žamberk", "Česká Třebová", "Chrudim", "Ústí nad Orlicí", "Hlinsko", "Cheb", "Aš", "Čáslav", "Zlín"]
    assert sorted(names, key=overview.czech_key) == [
        "Aš",
        "Čáslav",
        "Česká Třebová",
        "Hlinsko",
        "Cheb",
        "Chrudim",
        "Ústí nad Orlicí",
        "Zlín",
        "Žamberk",
    ]


def test_the_menu_offers_the_network_to_exactly_those_who_may_read_its_figures(personas):
    for name in ("admin", "ministry", "kraj", "ospod", "provider", "interloper"):
        user = personas[name]
        listed = any(item.endpoint == "network.index" for item in navigation(user))
        assert listed == can_read_network(user), name
    assert {user.role for user in (personas.ministry, personas.kraj, personas.ospod)} == {
        Role.MINISTRY,
        Role.KRAJ,
        Role.OSPOD,
    }


def test_the_menu_entry_leads_to_the_map(login, personas):
    html = page(login(personas.ospod), "/")
    assert 'href="/network/"' in html and "Síť služeb" in html


# --- the map page ----------------------------------------------------------------------------------
def test_gaps_come_first_and_worst_first(login, personas, model):
    html = page(login(personas.kraj), "/network/")
    # Beside the map: the ORPs with gaps first, by their worst gap, then the others by name.
    beside = html[html.index('id="orp-table"') : html.index('id="gaps"')]
    order = re.findall(r'<a href="/network/orp/(\d+)">', beside)
    assert order[:2] == ["5309", "5311"] and len(order) == 15
    assert 'Bezpečí (priorita 1) <span class="text-muted">a další 1</span>' in beside
    rest = re.findall(r'<a href="/network/orp/\d+">([^<]+)</a>', beside)[2:]
    assert rest == sorted(rest, key=overview.czech_key)
    assert rest.index("Hlinsko") < rest.index("Holice") < rest.index("Chrudim") < rest.index("Králíky")
    # The list of gaps, worst first, with the reasons.
    gap_table = html[html.index('id="gaps"') : html.index("Všechny ukazatele podle ORP")]
    order = re.findall(r'<a href="/network/orp/(\d+)">[^<]+</a>.*?<td>([^<]+)</td><td>(\d)</td>', gap_table, re.S)
    assert order == [("5309", "Bezpečí", "1"), ("5309", "Chování", "2"), ("5311", "Zdraví", "3")]
    assert "V katalogu 0 služeb, model žádá nejméně 2." in gap_table
    assert "3 mezery" in gap_table
    assert "Pardubický kraj)" not in gap_table  # one kraj: not repeated on every row


def test_a_service_in_the_catalogue_closes_a_gap(login, personas, model, orp_pardubice):
    add_service(orp_pardubice.kraj, [orp_pardubice], ["chovani"], "Terénní program pro dospívající")
    html = page(login(personas.kraj), "/network/?metric=gaps")
    gap_table = html[html.index('id="gaps"') : html.index("Všechny ukazatele podle ORP")]
    assert "Chování" not in gap_table and "Bezpečí" in gap_table


def test_the_table_beside_the_map_has_every_orp_with_the_maps_value_and_class(login, personas, model):
    html = page(login(personas.kraj), "/network/?metric=gaps")
    beside = html[html.index('id="orp-table"') : html.index('id="gaps"')]
    rows = re.findall(r'<a href="/network/orp/(\d+)">([^<]+)</a></th>\s*<td class="money">([^<]+)</td>', beside)
    assert len(rows) == 15
    values = {code: value for code, _name, value in rows}
    assert values["5309"] == "2" and values["5311"] == "1" and values["5302"] == "0"
    assert '<th scope="col">ORP</th>' in beside and "<caption>" in beside


def test_the_ospod_office_sees_its_own_orp_first(login, personas):
    html = page(login(personas.ospod), "/network/")
    beside = html[html.index('id="orp-table"') :]
    first = re.search(r'<a href="/network/orp/(\d+)">', beside)
    assert first and first.group(1) == "5309"


def test_the_switches_keep_their_choices_and_narrow_the_figures(login, personas, orp_pardubice):
    make_framework(orp_pardubice.kraj, providers=[personas.provider.provider])
    make_demand(personas.ospod, needs=["bezpeci"], publish=True)
    client = login(personas.ministry)
    html = page(client, "/network/?kraj=CZ053&need=bezpeci&metric=published&year=" + str(clock.today().year))
    assert '<option value="published" selected>' in html
    assert '<option value="bezpeci" selected>' in html
    assert '<option value="CZ053" selected>' in html
    assert "Mapa: Poptávky, Bezpečí" in html
    assert 'data-orp="5309" class="orp q4"' in html
    other_need = page(client, "/network/?kraj=CZ053&need=zdravi&metric=published")
    assert 'data-orp="5309" class="orp q2"' in other_need  # every ORP at 0: one class
    # The exports follow the same filters.
    assert "/network.csv?kraj=CZ053&amp;need=bezpeci" in html


def test_a_kraj_official_gets_no_kraj_switch(login, personas):
    html = page(login(personas.kraj), "/network/")
    assert 'id="f-kraj"' not in html and 'id="f-need"' in html and 'id="f-metric"' in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("metric=nejlepsi", "metric", "Neznámý ukazatel"),
        ("year=dvacet", "year", "není platný rok"),
        ("need=%3Cscript%3E", "need", "Neznámá oblast potřeb „&lt;script&gt;“"),
        ("category=nic", "category", "Neznámá kategorie"),
        ("kraj=CZ999", "kraj", "Neznámý kraj"),
        ("kraj=CZ041&orp=5309", None, "neleží v kraji"),
        ("orp=12345678901234567890", None, "Neznámá ORP"),
    ],
)
def test_a_wrong_switch_is_a_czech_message_at_its_field(login, personas, query, field, message):
    html = page(login(personas.ministry), f"/network/?{query}", status=400)
    assert message in html
    assert "<script>" not in html
    if field:
        assert re.search(rf'class="form-(select|control) is-invalid" id="f-{field}"', html)
        assert f'id="f-{field}-error"' in html


def test_nul_characters_and_other_kraje_are_refused(login, personas):
    assert login(personas.ministry).get("/network/?need=%00").status_code == 400
    assert login(personas.kraj).get("/network/?kraj=CZ041").status_code == 403
    assert login(personas.ospod).get("/network/?orp=4103").status_code == 403
    assert login(personas.provider).get("/network/").status_code == 403
    assert login(personas.admin).get("/network/orp/5309").status_code == 403


# --- the ORP page ----------------------------------------------------------------------------------
def test_the_orp_page_lists_the_catalogue_per_needs_area(login, personas, model, orp_pardubice, orp_cheb):
    kraj = orp_pardubice.kraj
    add_service(
        kraj,
        [orp_pardubice],
        ["bezpeci", "vztahy"],
        "Krizové centrum pro děti",
        capacity=Decimal("12"),
        capacity_unit="lůžek",
        ico="12345678",
        contact_phone="+420 466 000 000",
        form=ServiceForm.POBYTOVA,
    )
    add_service(kraj, [orp_pardubice], ["bezpeci"], "Zrušená linka", active=False)
    add_service(orp_cheb.kraj, [orp_cheb], ["bezpeci"], "Služba jiného kraje")
    html = page(login(personas.ospod), "/network/orp/5309")
    safety = section(html, "need-bezpeci")
    assert "Krizové centrum pro děti" in safety and "IČO 12345678" in safety and "12,00 lůžek" in safety
    assert "pobytová" in safety and "sociální služba" in safety
    assert "Zrušená linka" not in html and "Služba jiného kraje" not in html
    assert "Krizové centrum pro děti" in section(html, "need-vztahy")
    assert "Krizové centrum pro děti" not in section(html, "need-zdravi")
    # The model's goal and minimum, and the gap that remains (one service of two).
    assert "Krizová pomoc do 24 hodin" in safety
    assert "2 služeb" in safety and "v katalogu 1 služeb" in safety
    assert "V katalogu 1 služeb, model žádá nejméně 2." in safety
    gaps = html[html.index('<h2 class="h4">Mezery</h2>') : html.index("Přehled oblastí potřeb")]
    assert gaps.index("Bezpečí") < gaps.index("Chování")


def test_the_orp_page_shows_the_first_services_of_a_busy_area_and_links_the_rest(login, personas, orp_pardubice):
    """A busy ORP has hundreds of entries: the page lists the first of each area by name, says how
    many there are and links the search that pages through them all."""
    kraj = orp_pardubice.kraj
    shown = overview.SERVICES_SHOWN
    for number in range(shown + 2):
        add_service(kraj, [orp_pardubice], ["chovani"], f"Poradna {number:02d}")
    add_service(kraj, [orp_pardubice], ["uceni"], "Školní poradna")
    html = page(login(personas.ospod), "/network/orp/5309")
    behaviour = section(html, "need-chovani")
    assert f"Poradna {shown - 1:02d}" in behaviour and f"Poradna {shown:02d}" not in behaviour
    assert f"({shown + 2}), prvních {shown} podle názvu" in behaviour
    assert f"Všech {shown + 2} služeb pro oblast Chování" in behaviour
    assert "/network/services?orp=5309&amp;need=chovani" in behaviour
    learning = section(html, "need-uceni")
    assert "Školní poradna" in learning and "Všech" not in learning and "prvních" not in learning
    assert "Poradna" not in learning.replace("Školní poradna", "")


def test_the_orp_page_shows_the_minitenders_by_year_and_the_providers_active_there(login, personas, objects):
    from minitendr.demands.models import Demand

    html = page(login(personas.kraj), "/network/orp/5309")
    open_demand, awarded = (db.session.get(Demand, objects[key]) for key in ("demand_id", "past_demand_id"))
    year_of = {demand.id: demand.published_at.astimezone(dt.UTC).year for demand in (open_demand, awarded)}
    overall = html[html.index("Minitendry podle let") :]
    relations = section(html, "need-vztahy")
    # The objects: an open minitender and an awarded one (both listing vztahy and učení se) and a draft.
    for year in set(year_of.values()):
        published = sum(1 for y in year_of.values() if y == year)
        won = int(year_of[awarded.id] == year)
        row = re.search(rf'<th scope="row">{year}</th>((?:<td class="money">[^<]*</td>)+)', overall)
        assert row, overall[:1500]
        cells = re.findall(r'<td class="money">([^<]*)</td>', row.group(1))
        assert cells[:4] == [str(published), str(won), "0", str(won)]  # one bid: a single-bid award
        assert f'<th scope="row">{year}</th><td class="money">{published}</td>' in relations
    assert "Žádné zveřejněné poptávky." in section(html, "need-bezpeci")
    providers = html[html.index("Poskytovatelé působící v ORP") :]
    provider = personas.provider.provider
    from minitendr.contracts.models import SubContract

    subcontract = db.session.get(SubContract, objects["subcontract_id"])
    assert provider.name in providers and provider.ico in providers
    assert money(subcontract.value) in providers


def test_an_orp_of_another_kraj_or_none_at_all(login, personas):
    assert login(personas.kraj).get("/network/orp/4103").status_code == 403
    assert login(personas.ospod).get("/network/orp/4103").status_code == 403
    assert login(personas.kraj_other).get("/network/orp/4103").status_code == 200
    assert login(personas.ministry).get("/network/orp/0000").status_code == 404
    assert login(personas.ministry).get("/network/orp/%3Cb%3E").status_code == 404


# --- cost ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("ministry", "/network/"),
        ("ministry", "/network/?need=bezpeci&metric=value_per_child&category=terenni&year=2026"),
        ("kraj", "/network/"),
        ("ospod", "/network/?metric=unmet"),
        ("kraj", "/network/orp/5309"),
        ("ospod", "/network/orp/5309"),
        ("ministry", "/network/orp/4103"),
    ],
)
def test_the_pages_take_few_statements_whatever_the_data(
    login, personas, statements, model, orp_pardubice, persona, url
):
    client = login(personas[persona])
    client.get(url)
    with statements() as before:
        page(client, url)
    make_framework(orp_pardubice.kraj, providers=[personas.provider.provider])
    for needs in (["bezpeci"], ["vztahy", "chovani"], ["zdravi"]):
        make_demand(personas.ospod, needs=needs, publish=True)
    for n in range(3):
        add_service(orp_pardubice.kraj, [orp_pardubice], ["bezpeci", "zdravi"], f"Služba {n}")
    db.session.commit()
    with statements() as after:
        page(client, url)
    assert len(after) == len(before) <= STATEMENTS, after


def test_the_orp_page_shows_what_the_sub_contracts_achieved_and_links_the_catalogue(login, personas, objects):
    from minitendr.contracts import service as contracts
    from minitendr.contracts.models import Drawdown, SubContract
    from minitendr.outcomes import service as outcomes

    subcontract = db.session.get(SubContract, objects["subcontract_id"])
    before = page(login(personas.kraj), "/network/orp/5309")
    assert "zatím žádný zaznamenaný výsledek" in section(before, "need-vztahy")
    contracts.confirm_drawdown(db.session.get(Drawdown, objects["drawdown_id"]))
    contracts.terminate(subcontract, "Rodina se odstěhovala.")
    outcomes.record_outcome(subcontract, result="met", follow_up_id=None, note="", user=personas.ospod)
    db.session.commit()
    html = page(login(personas.kraj), "/network/orp/5309")
    # The demand lists vztahy and učení se: the outcome counts in both areas, in no other.
    for need in ("vztahy", "uceni"):
        assert "zaznamenáno 1: splněno 1 (100,0 %), částečně 0, nesplněno 0" in section(html, f"need-{need}")
    assert "zatím žádný zaznamenaný výsledek" in section(html, "need-bezpeci")
    assert "/network/services?orp=5309&amp;need=chovani" in section(html, "need-chovani")


def test_the_table_of_every_metric_is_a_krajs_and_nationally_the_exports(login, personas, model):
    client = login(personas.ministry)
    national = page(client, "/network/")
    assert "Všechny ukazatele podle ORP" not in national
    assert "Všechny ukazatele za každou ORP jsou v exportu" in national and 'href="/network.xlsx"' in national
    one_kraj = page(client, "/network/?kraj=CZ053")
    assert "Všechny ukazatele podle ORP" in one_kraj
    assert "Všechny ukazatele podle ORP" in page(login(personas.kraj), "/network/")
