"""Who may call what in the API: every API route × every persona (by token) → the expected status.

Like tests/test_permissions.py for the pages, and failing the same way when an API route has no row.
Requests carry valid input, so that what answers is the permission rule, not the input's check
(a refused rule of the service is 422: the persona was let in). Anonymous: no token, 401."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from minitendr import clock
from tests.api_helpers import bearer
from tests.api_routes import API_ROUTES
from tests.factories import MINIMAL_PDF
from tests.test_permissions import PERSONAS, as_persona

pytestmark = pytest.mark.shared_world

NO_TOKEN = 401


def expect(default: int, **overrides: int) -> dict[str, int]:
    statuses = dict.fromkeys(PERSONAS, default)
    statuses["anonymous"] = NO_TOKEN
    statuses.update(overrides)
    if "suspended" not in overrides:
        statuses["suspended"] = statuses["provider"]
    return statuses


EVERYONE = expect(200)
PUBLIC = expect(200, anonymous=200)
FRAMEWORK_READERS = expect(200, interloper=403, kraj_other=403, ospod_other=403)
DEMAND_READERS = expect(200, interloper=403, kraj_other=403, ospod_other=403, suspended=403)
DEMAND_MANAGER = expect(403, ospod=200)
SUBCONTRACT_READERS = expect(200, interloper=403, kraj_other=403, ospod_other=403)
UNSEALED = expect(200, interloper=404, kraj_other=404, ospod_other=404)


def demand_document() -> dict:
    start = clock.today() + dt.timedelta(days=14)
    return {
        "service_type": "SAS",
        "needs": ["vztahy"],
        "case_reference": "OSPOD/1",
        "need_description": "Potřeba rodiny.",
        "expected_outcome": "Výsledek.",
        "place": "Pardubice",
        "volume": "10",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=90)).isoformat(),
        "contact_name": "Jana Nováková",
        "contact_email": "ospod@example.cz",
    }


def bid_form() -> dict:
    return {
        "unit_price": "400",
        "units": "40",
        "vat_rate": "0",
        "proposed_start": (clock.today() + dt.timedelta(days=14)).isoformat(),
        "team": "Tým.",
        "approach": "Postup.",
        "attachments": [(io.BytesIO(MINIMAL_PDF), "nabidka.pdf")],
    }


JSON, FORM = "json", "form"
# (method, endpoint, url template, body kind, body, expected status per persona)
API_TABLE = [
    ("GET", "api-docs.openapi_json", "/api/v1/openapi.json", None, None, PUBLIC),
    ("GET", "api_docs.docs", "/api/v1/docs", None, None, PUBLIC),
    ("GET", "api_frameworks.index", "/api/v1/frameworks/", None, None, EVERYONE),
    ("GET", "api_frameworks.detail", "/api/v1/frameworks/{framework_id}", None, None, FRAMEWORK_READERS),
    ("GET", "api_frameworks.audit", "/api/v1/frameworks/{framework_id}/audit", None, None, FRAMEWORK_READERS),
    ("GET", "api_demands.index", "/api/v1/demands/", None, None, EVERYONE),
    ("POST", "api_demands.create", "/api/v1/demands/", JSON, demand_document, expect(403, ospod=201, ospod_other=201)),
    ("GET", "api_demands.detail", "/api/v1/demands/{demand_id}", None, None, DEMAND_READERS),
    ("PUT", "api_demands.update", "/api/v1/demands/{draft_id}", JSON, demand_document, DEMAND_MANAGER),
    (
        "PATCH",
        "api_demands.patch",
        "/api/v1/demands/{draft_id}",
        JSON,
        lambda: {"place": "Chrudim"},
        DEMAND_MANAGER,
    ),
    ("POST", "api_demands.publish", "/api/v1/demands/{draft_id}/publish", None, None, DEMAND_MANAGER),
    (
        "POST",
        "api_demands.cancel",
        "/api/v1/demands/{demand_id}/cancel",
        JSON,
        lambda: {"reason": "Důvod."},
        DEMAND_MANAGER,
    ),
    (
        "POST",
        "api_demands.ask",
        "/api/v1/demands/{demand_id}/questions",
        JSON,
        lambda: {"question": "Dotaz?"},
        expect(403, provider=201, suspended=403),
    ),
    (
        "POST",
        "api_demands.answer",
        "/api/v1/demands/{demand_id}/questions/{clarification_id}/answer",
        JSON,
        lambda: {"answer": "Odpověď."},
        DEMAND_MANAGER,
    ),
    # After the deadline only: on the open minitender its OSPOD is let in and refused by the rule (422).
    ("POST", "api_demands.open_envelopes", "/api/v1/demands/{demand_id}/open", None, None, expect(403, ospod=422)),
    ("POST", "api_demands.award", "/api/v1/demands/{demand_id}/award", None, None, expect(403, ospod=422)),
    (
        "POST",
        "api_demands.unsuccessful",
        "/api/v1/demands/{demand_id}/unsuccessful",
        JSON,
        lambda: {"note": "Nic."},
        expect(403, ospod=422),
    ),
    # An awarded minitender is not re-issued: its OSPOD is let in and refused by the rule.
    ("POST", "api_demands.reissue", "/api/v1/demands/{past_demand_id}/reissue", None, None, expect(403, ospod=422)),
    # A minitender's trail records its bids' life: officials only.
    (
        "GET",
        "api_demands.audit",
        "/api/v1/demands/{demand_id}/audit",
        None,
        None,
        expect(200, provider=403, interloper=403, kraj_other=403, ospod_other=403, suspended=403),
    ),
    ("POST", "api_committee.name", "/api/v1/demands/{demand_id}/committee", JSON, None, DEMAND_MANAGER),
    (
        "POST",
        "api_committee.declare",
        "/api/v1/demands/{past_demand_id}/committee/declaration",
        JSON,
        lambda: {"conflict": False},
        expect(403, ospod=422),
    ),
    # Bids: before the deadline the officials' list is empty, a bid not yours is 404 (not 403).
    ("GET", "api_bids.index", "/api/v1/demands/{demand_id}/bids", None, None, DEMAND_READERS),
    (
        "POST",
        "api_bids.submit",
        "/api/v1/demands/{demand_id}/bids",
        FORM,
        bid_form,
        expect(403, provider=201, suspended=403),
    ),
    ("GET", "api_bids.detail", "/api/v1/bids/{bid_id}", None, None, expect(404, provider=200)),
    # An attachment: of the sealed bid, only its bidder; of the opened one, everyone who reads its minitender.
    (
        "GET",
        "api_bids.attachment",
        "/api/v1/bids/{bid_id}/attachments/{attachment_id}",
        None,
        None,
        expect(404, provider=200),
    ),
    (
        "GET",
        "api_bids.attachment",
        "/api/v1/bids/{past_bid_id}/attachments/{past_attachment_id}",
        None,
        None,
        UNSEALED,
    ),
    (
        "POST",
        "api_bids.withdraw",
        "/api/v1/bids/{bid_id}/withdraw",
        None,
        None,
        expect(404, provider=200),
    ),
    (
        "POST",
        "api_bids.score",
        "/api/v1/bids/{past_bid_id}/score",
        JSON,
        lambda: {"quality_score": 50, "justification": "Ok."},
        expect(403, ospod=422),
    ),
    (
        "POST",
        "api_bids.exclude",
        "/api/v1/bids/{past_bid_id}/exclude",
        JSON,
        lambda: {"reason": "Ne."},
        expect(403, ospod=422),
    ),
    ("GET", "api_contracts.index", "/api/v1/subcontracts/", None, None, EVERYONE),
    ("GET", "api_contracts.detail", "/api/v1/subcontracts/{subcontract_id}", None, None, SUBCONTRACT_READERS),
    (
        "GET",
        "api_contracts.drawdowns",
        "/api/v1/subcontracts/{subcontract_id}/drawdowns",
        None,
        None,
        SUBCONTRACT_READERS,
    ),
    (
        "POST",
        "api_contracts.report",
        "/api/v1/subcontracts/{subcontract_id}/drawdowns",
        JSON,
        lambda: {"period": clock.today().isoformat(), "units": "1", "amount": "1.00"},
        expect(403, provider=422),
    ),
    (
        "POST",
        "api_contracts.confirm",
        "/api/v1/subcontracts/{subcontract_id}/drawdowns/{drawdown_id}/confirm",
        None,
        None,
        DEMAND_MANAGER,
    ),
    (
        "POST",
        "api_contracts.reject",
        "/api/v1/subcontracts/{subcontract_id}/drawdowns/{drawdown_id}/reject",
        JSON,
        lambda: {"reason": "Nesouhlasí."},
        DEMAND_MANAGER,
    ),
    (
        "POST",
        "api_contracts.amend",
        "/api/v1/subcontracts/{subcontract_id}/amendments",
        JSON,
        lambda: {
            "new_value": "30000.00",
            "new_units": "60",
            "new_end_date": (clock.today() + dt.timedelta(days=300)).isoformat(),
            "reason": "Rozšíření.",
            "provider_consent": "Souhlas poskytovatele ze dne.",
            "consent_on": clock.today().isoformat(),
        },
        expect(403, ospod=201),
    ),
    # A drawdown awaits the decision: its OSPOD is let in and refused by the rule.
    (
        "POST",
        "api_contracts.complete",
        "/api/v1/subcontracts/{subcontract_id}/complete",
        None,
        None,
        expect(403, ospod=422),
    ),
    (
        "POST",
        "api_contracts.terminate",
        "/api/v1/subcontracts/{subcontract_id}/terminate",
        JSON,
        lambda: {"reason": "Rodina se odstěhovala."},
        expect(403, ospod=422),
    ),
    # Registr smluv: the kraj of the sub-contract and the OSPOD of its ORP record the publication (let in,
    # and refused by the rule: this sub-contract is under 50 000 Kč; tests/test_api.py records one).
    (
        "POST",
        "api_contracts.registry",
        "/api/v1/subcontracts/{subcontract_id}/registry",
        JSON,
        lambda: {"registry_id": "26781234", "published_on": clock.today().isoformat()},
        expect(403, kraj=422, ospod=422),
    ),
    # The objects' sub-contract has no amendment: who may record gets 404 (tests/test_api.py records one).
    (
        "POST",
        "api_contracts.amendment_registry",
        "/api/v1/subcontracts/{subcontract_id}/amendments/999999/registry",
        JSON,
        lambda: {"registry_id": "26781234", "published_on": clock.today().isoformat()},
        expect(403, kraj=404, ospod=404),
    ),
    ("GET", "api_contracts.audit", "/api/v1/subcontracts/{subcontract_id}/audit", None, None, SUBCONTRACT_READERS),
    ("GET", "api_reports.spend", "/api/v1/reports/spend", None, None, EVERYONE),
    (
        "GET",
        "api_reports.network",
        "/api/v1/reports/network",
        None,
        None,
        expect(200, admin=403, provider=403, interloper=403),
    ),
]


def test_the_table_follows_the_list_of_api_routes():
    assert [(method, endpoint, url) for method, endpoint, url, *_rest in API_TABLE] == API_ROUTES


def test_every_api_route_is_in_the_table(app):
    routes = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(method, endpoint) for method, endpoint, *_rest in API_TABLE}
    assert routes - covered == set(), "API routes without rows in the table"
    assert covered - routes == set(), "rows for API routes that do not exist"


@pytest.mark.parametrize(
    ("method", "endpoint", "url", "kind", "body", "statuses"), API_TABLE, ids=[f"{r[0]} {r[2]}" for r in API_TABLE]
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_route_answers_each_persona_as_the_table_says(
    client, personas, objects, method, endpoint, url, kind, body, statuses, persona
):
    user = as_persona(personas, objects, persona)
    headers = bearer(user) if user is not None else {}
    document = body() if body else ({"email": personas.ospod.email} if endpoint == "api_committee.name" else None)
    options = {"json": document} if kind == JSON else {"data": document} if kind == FORM else {}
    response = client.open(url.format(**objects), method=method, headers=headers, **options)
    assert response.status_code == statuses[persona], f"{method} {url} as {persona}: {response.get_data(as_text=True)}"
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
