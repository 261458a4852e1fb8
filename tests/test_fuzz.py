"""Random input at every route, as a persona allowed to use it: never a 500.

Three layers: random forms at every state-changing route; every route of the URL map with its path
parameters filled from real objects and from hostile values, and every query parameter with boundary
values; and Hypothesis combining those at random."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_permissions import NOT_OURS, TABLE

pytestmark = pytest.mark.shared_world

FIELDS = (
    "email",
    "name",
    "password",
    "role",
    "kraj",
    "orp",
    "provider",
    "ico",
    "legal_form",
    "address",
    "phone",
    "active",
    "code",
    "name_en",
    "category_id",
    "legal_basis",
    "unit",
    "indicative_unit_price",
    "number",
    "kraj_id",
    "title",
    "valid_from",
    "valid_to",
    "ceiling",
    "price_weight",
    "quality_weight",
    "bid_period_days",
    "reason",
    "since",
    "service_type_id",
    "needs",
    "case_reference",
    "need_description",
    "expected_outcome",
    "place",
    "volume",
    "start_date",
    "end_date",
    "estimated_max_value",
    "deadline",
    "contact_name",
    "contact_email",
    "contact_phone",
    "question",
    "answer",
    "new_deadline",
    "unit_price",
    "units",
    "vat_rate",
    "proposed_start",
    "team",
    "approach",
    "quality_score",
    "justification",
    "note",
    "period",
    "amount",
    "new_value",
    "new_units",
    "new_end_date",
    "provider_consent",
    "consent_on",
    "registry_id",
    "published_on",
    "year",
    "status",
    "sort",
    "q",
)
VALUES = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="0123456789,. -+eE", max_size=24),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.sampled_from(["", "0", "-1", "NaN", "Infinity", "1e400", "99999999999999999999", "150315/1234", "ž" * 5000]),
)
FORMS = st.dictionaries(keys=st.sampled_from(FIELDS), values=VALUES, max_size=14)

# Every state-changing route, with a persona that may use it (a 403 would test nothing).
TARGETS = [
    (url, next(p for p, status in statuses.items() if p != "anonymous" and status != 403))
    for method, _endpoint, url, statuses in TABLE
    if method == "POST" and any(p != "anonymous" and status != 403 for p, status in statuses.items())
]


@pytest.mark.parametrize(("url", "persona"), TARGETS, ids=[u for u, _ in TARGETS])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=FORMS, as_json=st.booleans())
def test_random_input_never_makes_a_500(login, personas, objects, url, persona, data, as_json):
    client = login(personas[persona])
    target = url.format(**objects)
    response = client.post(target, json=data) if as_json else client.post(target, data=data)
    assert response.status_code < 500, (target, data, response.status_code)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=FORMS)
def test_random_report_filters_never_make_a_500(login, personas, query):
    client = login(personas.ministry)
    for url in ("/reports/spend", "/reports/spend.csv", "/subcontracts/", "/demands/", "/frameworks/"):
        assert client.get(url, query_string=query).status_code < 500, (url, query)


# --- every route, every query parameter, boundary values -----------------------------------------
# Values that broke pages before: too big for a 64-bit integer, year 1 and 9999, NUL, CR/LF, an RTL
# override, 10 000 characters, nothing at all.
BOUNDARY = (
    "",
    "0",
    "-1",
    "99999999999999999999",
    str(2**63),
    "1" * 5000,
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "a\x00b",
    "a\r\nSet-Cookie: x=1",
    "\u202eexe.pdf",
    "x" * 10_000,
    '=HYPERLINK("http://x","y")',
    "CZ053",
    "5309",
    "00216208",
    "2026",
)
# Every query parameter any page reads (reports, lists, login, the service network).
QUERY_KEYS = (
    "page",
    "per_page",
    "status",
    "kraj",
    "orp",
    "category",
    "provider",
    "year",
    "registry",
    "sort",
    "q",
    "next",
    "need",
    "metric",
    "service_type",
    "limit",
    "offset",
)
HOSTILE_INTS = (0, 2**31, 2**63, 10**20)
HOSTILE_STRINGS = ("0", "x" * 10_000, "a\x00b", "a\r\nb", "\u202e", "..%2F..%2Fetc%2Fpasswd", "CZ999")


def _routes(app):
    return sorted(
        (
            (method, rule)
            for rule in app.url_map.iter_rules()
            if rule.endpoint not in NOT_OURS
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        ),
        key=lambda pair: (pair[1].rule, pair[0]),
    )


def _persona_for(method: str, endpoint: str) -> str:
    """A persona the permission table lets through (otherwise the first one, to be refused)."""
    for row_method, row_endpoint, _url, statuses in TABLE:
        if (row_method, row_endpoint) == (method, endpoint):
            allowed = [p for p, status in statuses.items() if p not in {"anonymous", "suspended"} and status != 403]
            return allowed[0] if allowed else "admin"
    return "admin"


def _real_urls(objects) -> dict[tuple[str, str], list[str]]:
    urls: dict[tuple[str, str], list[str]] = {}
    for method, endpoint, url, _statuses in TABLE:
        urls.setdefault((method, endpoint), []).append(url.format(**objects).split("?")[0])
    return urls


def _hostile_urls(rule) -> list[str]:
    """The rule with every path parameter hostile: integers beyond any row, strings beyond any code."""
    from werkzeug.routing import IntegerConverter

    if not rule.arguments:
        return []
    urls = []
    for n in range(max(len(HOSTILE_INTS), len(HOSTILE_STRINGS))):
        values = {
            name: HOSTILE_INTS[n % len(HOSTILE_INTS)]
            if isinstance(converter, IntegerConverter)
            else HOSTILE_STRINGS[n % len(HOSTILE_STRINGS)]
            for name, converter in rule._converters.items()
        }
        urls.append(_build(rule, values))
    return urls


def _build(rule, values) -> str:
    """The path with ``values`` put in by hand: url_for would refuse a value its converter does not
    match, a client would not. (Werkzeug's trace starts with the host part, up to a ``|``.)"""
    from urllib.parse import quote

    path = "".join(quote(str(values[data]), safe="") if dynamic else data for dynamic, data in rule._trace)
    return path.split("|", 1)[-1]


def test_every_route_with_hostile_path_and_query_never_makes_a_500(app, login, personas, objects):
    """Walks the URL map itself, so a new route is fuzzed without a new line here: each route at its real
    objects with every boundary value in every query parameter and form field, then at hostile ids."""
    real = _real_urls(objects)
    failures = []

    def attempt(client, method, url, value):
        query = dict.fromkeys(QUERY_KEYS, value)
        response = client.open(url, method=method, query_string=query, data=dict.fromkeys(FIELDS, value))
        if response.status_code >= 500:
            failures.append((method, url[:120], repr(value)[:40], response.status_code))

    for method, rule in _routes(app):
        client = login(personas[_persona_for(method, rule.endpoint)])
        for url in real.get((method, rule.endpoint), [rule.rule] if not rule.arguments else []):
            for value in BOUNDARY:
                attempt(client, method, url, value)
        for url in _hostile_urls(rule):
            attempt(client, method, url, "")
    assert failures == []


ROUTE_INDEX = st.integers(min_value=0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pick=ROUTE_INDEX,
    real=st.booleans(),
    query=st.dictionaries(keys=st.sampled_from(QUERY_KEYS), values=st.one_of(VALUES, st.sampled_from(BOUNDARY))),
    form=st.dictionaries(keys=st.sampled_from(FIELDS), values=st.one_of(VALUES, st.sampled_from(BOUNDARY))),
)
def test_random_requests_at_any_route_never_make_a_500(app, login, personas, objects, pick, real, query, form):
    routes = _routes(app)
    method, rule = routes[pick % len(routes)]
    urls = (_real_urls(objects).get((method, rule.endpoint)) if real else None) or _hostile_urls(rule) or [rule.rule]
    client = login(personas[_persona_for(method, rule.endpoint)])
    url = urls[pick % len(urls)]
    response = client.open(url, method=method, query_string=query, data=form)
    assert response.status_code < 500, (method, url, query, form)


# --- list cursors (``after`` / ``before``) ----------------------------------------------------------
def _cursor_of(values) -> str:
    """A cursor as the lists write one: JSON of the sort key's values, URL-safe base64 without padding."""
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


KEY_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates().map(lambda d: {"d": d.isoformat()}),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])).map(lambda d: {"t": d.isoformat()}),
    st.decimals(allow_nan=True, allow_infinity=True).map(lambda d: {"n": str(d)}),
    st.dictionaries(st.sampled_from(["d", "t", "n", "x"]), st.text(max_size=12) | st.integers(), max_size=2),
)
CURSORS = st.one_of(
    st.lists(KEY_VALUES, max_size=5).map(_cursor_of),  # well formed, any values, any length
    st.recursive(KEY_VALUES, lambda inner: st.lists(inner, max_size=3), max_leaves=6).map(_cursor_of),
    st.binary(max_size=60).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    st.text(max_size=80),
    st.sampled_from(["", "=", "W10", "bnVsbA", "W251bGxd", "%00", "..", "W3siZCI6IjAwMDAtMDAtMDAifSwxXQ"]),
)
LISTS = [
    ("/subcontracts/", {}, "ministry"),
    ("/subcontracts/", {"sort": "value"}, "kraj"),  # a kraj's list merges runs of its ORPs
    ("/subcontracts/", {"sort": "number"}, "ospod"),
    ("/subcontracts/registry", {}, "kraj"),
    ("/demands/", {}, "kraj"),
    ("/demands/", {}, "provider"),
    ("/frameworks/", {}, "ministry"),
    ("/notifications/", {}, "provider"),
    ("/providers/", {}, "admin"),
    ("/admin/users/", {}, "admin"),
    ("/admin/outbox/", {}, "admin"),
    ("/audit/", {}, "kraj"),
    ("/audit/", {"object": "demand", "user": "admin@test.cz"}, "ministry"),
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cursor=CURSORS, which=st.sampled_from(["after", "before"]), page=st.sampled_from(LISTS))
def test_any_cursor_on_any_list_is_a_page_or_a_czech_400(login, personas, objects, cursor, which, page):
    """A cursor edited by hand, cut short, from another sort or made up: the page it names, or 400 with
    the Czech message — never a 500."""
    url, query, persona = page
    response = login(personas[persona]).get(url, query_string={**query, which: cursor})
    assert response.status_code in (200, 400), (url, which, cursor, response.status_code)
    if response.status_code == 400:
        message = "nepovolený znak (NUL)" if "\x00" in cursor else "Odkaz na stránku seznamu je neplatný"
        assert message in response.get_data(as_text=True), (url, cursor)


@pytest.mark.parametrize("persona", ["provider", "ospod"])
def test_a_cursor_past_what_an_id_column_holds_is_a_czech_400(login, personas, persona):
    """[2147483648] is a fine integer, but not an int4 id: PostgreSQL would refuse to bind it (a 500)."""
    for value in (2**31, -(2**31) - 1):
        cursor = base64.urlsafe_b64encode(json.dumps([value]).encode()).decode().rstrip("=")
        response = login(personas[persona]).get("/demands/", query_string={"after": cursor, "status": "awarded"})
        assert response.status_code == 400, (persona, value, response.status_code)
        response = login(personas[persona]).get("/demands/", query_string={"after": cursor})
        assert response.status_code in (200, 400), (persona, value, response.status_code)
