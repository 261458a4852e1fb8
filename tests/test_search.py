"""Search and filters of the demand and sub-contract lists: each filter selects what it says over every
page, the filters stay in the URL, the pager's links and the export link, the text never looks into a
demand's case reference or description, a provider finds only what it is invited to, and a value that
cannot be read gets a Czech message at its field."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.contracts.models import SubContract
from minitendr.db import db
from minitendr.demands.models import Demand
from minitendr.permissions import demand_scope, subcontract_scope
from tests.factories import make_demand
from tests.test_lists import _walk
from tests.test_lists import country as country_fixture

country = country_fixture  # the fixture of a country in miniature, shared with the list tests

pytestmark = pytest.mark.usefixtures("monday")


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(clock.PRAGUE).date()


def _all(client, url: str, kind: str) -> list[int]:
    return [row for page in _walk(client, url, kind) for row in page]


def _demands(user, condition) -> set[int]:
    return {d.id for d in db.session.scalars(sa.select(Demand).where(demand_scope(user))) if condition(d)}


def _subcontracts(user, condition) -> set[int]:
    return {s.id for s in db.session.scalars(sa.select(SubContract).where(subcontract_scope(user))) if condition(s)}


# --- demands ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("service_type={type}", lambda d, c: d.service_type_id == c.types[1].id),
        ("category={category}", lambda d, c: d.category_id == c.types[1].category_id),
        ("number=-0007", lambda d, c: d.number.endswith("-0007")),
        ("need=vztahy", lambda d, c: "vztahy" in d.needs),
        ("need=bezpeci", lambda d, c: "bezpeci" in d.needs),
        ("q={orp_name}", lambda d, c: d.orp_id == c.orps[1].id),
        ("q={type_name}", lambda d, c: d.service_type_id == c.types[1].id),
        (
            "provider={ico}",
            lambda d, c: any(s.demand_id == d.id and s.provider_id == c.providers[2].id for s in c.subcontracts),
        ),
        ("since={day}&until={day}", lambda d, c: _day(d.created_at) == _day(c.subcontracts[9].demand.created_at)),
    ],
)
@pytest.mark.parametrize("persona", ["ministry", "kraj", "provider"])
def test_each_demand_filter_selects_what_it_says_over_every_page(login, personas, country, persona, query, matches):
    country.add(55)
    db.session.commit()
    values = {
        "type": country.types[1].code,
        "type_name": country.types[1].name,
        "category": country.types[1].category.code,
        "orp_name": country.orps[1].name,
        "ico": country.providers[2].ico,
        "day": _day(country.subcontracts[9].demand.created_at).isoformat(),
    }
    url = "/demands/?" + query.format(**values)
    found = _all(login(personas[persona]), url, "demands")
    assert len(found) == len(set(found))
    assert set(found) == _demands(personas[persona], lambda d: matches(d, country)), url


def test_the_text_never_looks_into_the_case_reference_or_the_need(login, personas, country):
    make_demand(
        personas.ospod,
        case_reference="SPIS-TAJNE-42",
        need_description="Rodina Zvláštníkových potřebuje pomoc.",
        place="Lázně Bohdaneč",
    )
    db.session.commit()
    client = login(personas.ospod)
    assert _all(client, "/demands/?q=TAJNE", "demands") == []
    assert _all(client, "/demands/?q=Zvláštník", "demands") == []
    assert len(_all(client, "/demands/?q=Bohdaneč", "demands")) == 1
    assert _all(client, "/demands/?q=%25", "demands") == []  # a % is a character, not a wildcard


def test_a_provider_finds_only_minitenders_it_is_invited_to(login, personas, country):
    country.add(30)
    db.session.commit()
    for query in ("", "q=2031", "need=vztahy", f"category={country.types[0].category.code}", "number=-00"):
        found = set(_all(login(personas.provider), f"/demands/?{query}", "demands"))
        invited = _demands(personas.provider, lambda d: True)
        assert found and found <= invited, query
        others = {s.demand_id for s in country.subcontracts if s.provider_id != personas.provider.provider_id}
        assert not found & others, query


def test_the_search_stays_in_the_state_tabs_and_the_pager(login, personas, country):
    country.add(120)
    db.session.commit()
    page = login(personas.ministry).get("/demands/?need=vztahy&q=2031").get_data(as_text=True)
    following = html.unescape(re.search(r'rel="next" href="([^"]+)"', page).group(1))
    assert "need=vztahy" in following and "q=2031" in following and "after=" in following
    tab = re.search(r'href="([^"]*status=awarded[^"]*)"', page).group(1)
    assert "need=vztahy" in tab and "q=2031" in tab
    assert 'value="2031"' in page and '<option value="vztahy" selected>' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("since=31.02.2026", "since", "Zadejte datum ve tvaru 30. 11. 2026."),
        ("since=2026-05-02&until=2026-05-01", "until", "nesmí být před"),
        ("need=stesti", "need", "Vyberte oblast potřeb ze seznamu."),
        ("q=" + "x" * 101, "q", "Zadejte nejvýše 100 znaků."),
        ("number=" + "1" * 101, "number", "Zadejte nejvýše 100 znaků."),
    ],
)
@pytest.mark.parametrize("url", ["/demands/", "/subcontracts/"])
def test_a_bad_search_value_gets_a_czech_message_at_its_field(login, personas, url, query, field, message):
    response = login(personas.ministry).get(f"{url}?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="f-{field}-error"' in page and message in page
    assert f'aria-describedby="f-{field}-error"' in page and 'href="#f-' + field + '"' in page


# --- sub-contracts ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("service_type={type}", lambda s, c: s.service_type_id == c.types[2].id),
        ("number=-0011", lambda s, c: s.number.endswith("-0011")),
        ("need=vztahy", lambda s, c: True),
        ("need=zdravi", lambda s, c: False),
        ("since=2025-03-01&until=2025-04-30", lambda s, c: dt.date(2025, 3, 1) <= s.signed_on <= dt.date(2025, 4, 30)),
        ("q={provider_name}", lambda s, c: s.provider_id == c.providers[3].id),
        ("q={orp_name}&sort=value", lambda s, c: s.orp_id == c.orps[2].id),
    ],
)
@pytest.mark.parametrize("persona", ["ministry", "kraj", "ospod", "provider"])
def test_each_sub_contract_filter_selects_what_it_says_over_every_page(
    login, personas, country, persona, query, matches
):
    country.add(55)
    db.session.commit()
    values = {
        "type": country.types[2].code,
        "provider_name": country.providers[3].name,
        "orp_name": country.orps[2].name,
    }
    url = "/subcontracts/?" + query.format(**values)
    found = _all(login(personas[persona]), url, "subcontracts")
    assert len(found) == len(set(found))
    assert set(found) == _subcontracts(personas[persona], lambda s: matches(s, country)), url


def test_the_sub_contract_search_stays_in_the_pager_and_the_caption_counts_it(login, personas, country):
    country.add(120)
    db.session.commit()
    page = login(personas.ministry).get("/subcontracts/?need=vztahy&since=2025-01-01&sort=value").get_data(as_text=True)
    following = html.unescape(re.search(r'rel="next" href="([^"]+)"', page).group(1))
    assert "need=vztahy" in following and "since=2025-01-01" in following and "sort=value" in following
    assert "120 dílčích smluv" in page
