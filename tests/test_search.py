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


# --- a refused value stays in its field -----------------------------------------------------------------
def _input(page: str, field: str) -> str:
    """The ``<input>`` of a search field."""
    found = re.search(rf'<input[^>]*\bid="f-{field}"[^>]*>', page)
    assert found, field
    return found.group(0)


@pytest.mark.parametrize(
    ("url", "query", "field", "typed", "message"),
    [
        ("/demands/", "since=31.02.2026", "since", "31.02.2026", "Zadejte datum ve tvaru 30. 11. 2026."),
        ("/demands/", "since=2026-05-02&until=2026-05-01", "until", "2026-05-01", "nesmí být před"),
        ("/demands/", "orp=9999", "orp", "9999", "Takový kód ORP neznáme"),
        ("/demands/", "kraj=CZ999", "kraj", "CZ999", "Takový kód kraje neznáme"),
        ("/demands/", "provider=12AB", "provider", "12AB", "IČO má osm číslic"),
        ("/subcontracts/", "until=1.13.2025", "until", "1.13.2025", "Zadejte datum ve tvaru 30. 11. 2026."),
        ("/subcontracts/", "since=2025-12-31&until=2025-01-01", "until", "2025-01-01", "nesmí být před"),
        ("/subcontracts/", "orp=0000", "orp", "0000", "Takový kód ORP neznáme"),
        ("/subcontracts/", "provider=1234567", "provider", "1234567", "IČO má osm číslic"),
        ("/subcontracts/", "year=20x5", "year", "20x5", "Zadejte rok mezi 2000 a 2100"),
    ],
)
def test_a_refused_search_value_stays_in_its_field_with_its_message(login, personas, url, query, field, typed, message):
    page = login(personas.ministry).get(f"{url}?{query}").get_data(as_text=True)
    element = _input(page, field)
    assert f'value="{typed}"' in element, element
    assert 'aria-invalid="true"' in element and f'aria-describedby="f-{field}-error"' in element
    assert f'id="f-{field}-error"' in page and message in page and f'href="#f-{field}"' in page


@pytest.mark.parametrize("url", ["/demands/", "/subcontracts/"])
def test_an_unknown_orp_is_not_applied_and_the_other_filters_are(login, personas, country, url):
    country.add(12)
    db.session.commit()
    client = login(personas.ministry)
    kind = url.strip("/")
    with_unknown = _all(client, f"{url}?orp=9999&need=vztahy", kind)
    assert with_unknown and with_unknown == _all(client, f"{url}?need=vztahy", kind)


# --- the export links keep every filter and the files hold the page's rows ------------------------------
def _every_filter(country) -> dict[str, str]:
    """A filter of each kind that together select a few of the country's sub-contracts (those made
    third, ninth, … share ORP, provider and service type; some of them wait for the register)."""
    chosen = country.subcontracts[2]
    return {
        "q": chosen.orp.name,
        "number": "DS-",
        "service_type": chosen.service_type.code,
        "need": "vztahy",
        "since": "2025-02-01",
        "until": "2025-11-30",
        "kraj": "CZ053",
        "orp": chosen.orp.code,
        "category": chosen.category.code,
        "provider": chosen.provider.ico,
        "status": "active",
        "year": "2025",
        "registry": "pending",
        "sort": "value",
    }


@pytest.mark.parametrize("persona", ["ministry", "kraj"])
def test_the_export_links_keep_every_filter_and_the_files_hold_only_the_rows_shown(login, personas, country, persona):
    import io
    from urllib.parse import parse_qs, urlsplit

    import openpyxl

    country.add(55)
    db.session.commit()
    client = login(personas[persona])
    filters = _every_filter(country)
    url = "/subcontracts/?" + "&".join(f"{key}={value}" for key, value in filters.items())
    page = client.get(url).get_data(as_text=True)
    shown = [s for s in country.subcontracts if s.id in _all(client, url, "subcontracts")]
    expected = [s.number for s in sorted(shown, key=lambda s: (s.value, s.id))]
    assert 0 < len(expected) < 10  # the filters select a few, not none and not all
    for kind in ("csv", "xlsx"):
        link = html.unescape(re.search(rf'href="(/subcontracts/export\.{kind}\?[^"]+)"', page).group(1))
        assert {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()} == filters
        response = client.get(link)
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        if kind == "csv":
            lines = response.get_data().decode("utf-8-sig").splitlines()
            assert lines[0].startswith("Číslo;Poskytovatel;IČO")
            numbers = [line.split(";")[0] for line in lines[1:]]
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
            rows = list(sheet.iter_rows(min_row=6, values_only=True))
            numbers = [row[0] for row in rows if row[0]]
        assert numbers == expected, kind
    # Without the filters the file holds every sub-contract the user may see.
    unfiltered = client.get("/subcontracts/export.csv").get_data().decode("utf-8-sig").splitlines()[1:]
    assert len(unfiltered) == len(_subcontracts(personas[persona], lambda s: True)) > len(expected)


def test_the_export_goes_past_one_batch_in_the_lists_order(login, personas, country, monkeypatch):
    from minitendr.contracts import queries

    monkeypatch.setattr(queries.every_row, "__defaults__", (7,))
    country.add(20)
    db.session.commit()
    client = login(personas.ministry)
    lines = client.get("/subcontracts/export.csv?sort=-value").get_data().decode("utf-8-sig").splitlines()[1:]
    by_value = sorted(country.subcontracts, key=lambda s: (s.value, s.id), reverse=True)
    assert [line.split(";")[0] for line in lines] == [s.number for s in by_value]
