"""Random input at every state-changing route, as a persona allowed to use it: never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_permissions import TABLE

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
