"""The JSON API /api/v1: tokens, conventions (problem+json, ETag, pages, idempotency), sealing, and
the whole journey of a minitender through the API alone."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.api import tokens
from minitendr.api.models import ApiToken, ApiTokenUse, IdempotentRequest
from minitendr.bids.models import Bid
from minitendr.contracts.models import Drawdown
from minitendr.db import db
from minitendr.documents.models import Document, DocumentKind
from minitendr.extensions import limiter
from tests.api_helpers import bearer
from tests.factories import MINIMAL_PDF, make_bid, make_demand, make_framework, seat_committee

pytestmark = pytest.mark.usefixtures("monday")
PROBLEM = "application/problem+json"


@pytest.fixture
def market(personas, kraj_pak):
    """An active framework of Pardubický kraj with the persona provider and the interloper as parties."""
    return make_framework(kraj_pak, providers=[personas.provider.provider, personas.interloper.provider])


def bid_form(demand, unit_price="500.00", **overrides) -> dict:
    values = {
        "unit_price": unit_price,
        "units": "40",
        "vat_rate": "0",
        "proposed_start": demand["start_date"],
        "team": "Dvě sociální pracovnice s praxí.",
        "approach": "Terénní práce v rodině dvakrát týdně.",
    }
    return values | overrides


def demand_document(**overrides) -> dict:
    start = clock.today() + dt.timedelta(days=14)
    values = {
        "service_type": "SAS",
        "needs": ["vztahy"],
        "case_reference": "OSPOD-PA-2026/900",
        "need_description": "Rodina s dětmi, potíže se školní docházkou.",
        "expected_outcome": "Pravidelná školní docházka.",
        "place": "Pardubice",
        "volume": "40",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=180)).isoformat(),
        "estimated_max_value": "50000.00",
        "contact_name": "Jana Nováková",
        "contact_email": "ospod@pardubice-mesto.cz",
    }
    return values | overrides


# --- tokens --------------------------------------------------------------------------------------
def test_token_is_stored_hashed_and_works_until_revoked(client, personas):
    token, secret = tokens.create_token(personas.ospod, "Spisová služba")
    db.session.commit()
    assert secret.startswith("mt_") and token.token_hash != secret and secret not in token.prefix + "…"
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/demands/", headers=headers).status_code == 200
    tokens.revoke(token, personas.ospod)
    db.session.commit()
    response = client.get("/api/v1/demands/", headers=headers)
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_and_inactive_user_are_refused(client, personas):
    headers = bearer(personas.ministry)
    with clock.frozen_at(clock.now() + dt.timedelta(days=91)):
        assert client.get("/api/v1/demands/", headers=headers).status_code == 401
    headers = bearer(personas.ospod)
    personas.ospod.active = False
    db.session.commit()
    assert client.get("/api/v1/demands/", headers=headers).status_code == 401


def test_session_cookie_does_not_authenticate_the_api(login, personas):
    client = login(personas.ospod)
    assert client.get("/").status_code == 200  # the session works for the pages
    response = client.get("/api/v1/demands/")
    assert response.status_code == 401 and response.json["title"] == "Chybí platný API token"
    assert client.post("/api/v1/demands/", json=demand_document()).status_code == 401


def test_read_only_token_reads_but_does_not_write(client, personas):
    headers = bearer(personas.ospod, read_only=True)
    assert client.get("/api/v1/demands/", headers=headers).status_code == 200
    response = client.post("/api/v1/demands/", json=demand_document(), headers=headers)
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert "jen pro čtení" in response.json["detail"]


def test_every_use_of_a_token_is_recorded(client, personas):
    headers = bearer(personas.kraj)
    client.get("/api/v1/frameworks/", headers=headers)
    client.get("/api/v1/demands/999999", headers=headers)
    uses = db.session.scalars(sa.select(ApiTokenUse).order_by(ApiTokenUse.id)).all()
    assert [(u.method, u.path, u.status) for u in uses] == [
        ("GET", "/api/v1/frameworks/", 200),
        ("GET", "/api/v1/demands/999999", 404),
    ]
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None


def test_tokens_page_shows_a_new_token_once_and_revokes(login, personas):
    client = login(personas.provider)
    page = client.post("/account/tokens", data={"name": "Fakturace", "days": "30"}).get_data(as_text=True)
    secret = page.split('id="new-token" class="form-control font-monospace" readonly value="')[1].split('"')[0]
    assert secret.startswith("mt_")
    again = client.get("/account/tokens").get_data(as_text=True)
    assert "Fakturace" in again and secret not in again
    assert client.get("/api/v1/subcontracts/", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/subcontracts/", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_tokens_page_refuses_an_empty_name_at_the_field(login, personas):
    page = login(personas.provider).post("/account/tokens", data={"name": "", "days": "30"})
    assert page.status_code == 200 and "Toto pole je povinné." in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_another_users_token_cannot_be_revoked(login, personas):
    token, _secret = tokens.create_token(personas.ospod, "Cizí")
    db.session.commit()
    assert login(personas.provider).post(f"/account/tokens/{token.id}/revoke").status_code == 404


def test_cli_creates_a_token(run_cli, personas, client):
    db.session.commit()
    result = run_cli("tokens", "create", "--user", personas.ministry.email, "--name", "Skript", "--read-only")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/reports/spend", headers=headers).status_code == 200
    assert client.post("/api/v1/demands/", json=demand_document(), headers=headers).status_code == 403


def test_rate_limit_per_token(app, client, personas, monkeypatch):
    monkeypatch.setitem(app.config, "API_LIMIT", "3 per minute")
    limiter.reset()  # counted from zero, whatever ran before in this process
    headers = bearer(personas.ministry)
    statuses = [client.get("/api/v1/frameworks/", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/frameworks/", headers=headers)
    assert response.mimetype == PROBLEM and response.json["status"] == 429
    assert client.get("/api/v1/frameworks/", headers=bearer(personas.kraj)).status_code == 200


def test_applications_made_after_the_first_do_not_count_a_request_twice(
    app, client, personas, monkeypatch, separate_app
):
    """The API's blueprints and the limiter belong to the process: making another application (gunicorn's
    preload, the tests) must not put the per-token limit on them again."""
    separate_app()
    separate_app()
    monkeypatch.setitem(app.config, "API_LIMIT", "3 per minute")
    limiter.reset()
    headers = bearer(personas.ministry)
    statuses = [client.get("/api/v1/frameworks/", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- conventions ---------------------------------------------------------------------------------
def test_openapi_document_is_public_and_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/demands/{demand_id}/bids" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.get_data(as_text=True)
    assert "/api/v1/subcontracts/{subcontract_id}/drawdowns" in page
    assert "<script>" not in page and "cdn" not in page.lower()  # no inline script, nothing from a CDN


def test_etag_and_if_none_match(client, personas, market):
    headers = bearer(personas.kraj)
    first = client.get(f"/api/v1/frameworks/{market.id}", headers=headers)
    assert first.status_code == 200 and first.headers["ETag"]
    assert "private" in first.headers["Cache-Control"]
    again = client.get(f"/api/v1/frameworks/{market.id}", headers=headers | {"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/api/v1/frameworks/{market.id}", headers=headers | {"If-None-Match": '"jiny"'})
    assert other.status_code == 200


def test_lists_page_by_cursor_with_next_links(client, personas, market):
    for _ in range(3):
        make_demand(personas.ospod)
    db.session.commit()
    headers = bearer(personas.ospod)
    seen, url = [], "/api/v1/demands/"
    import minitendr.pagination

    original = minitendr.pagination.PER_PAGE
    try:
        minitendr.pagination.PER_PAGE = 2
        paginate_defaults = minitendr.pagination.paginate.__kwdefaults__
        paginate_defaults["per_page"] = 2
        while url:
            body = client.get(url, headers=headers).json
            seen += [item["id"] for item in body["items"]]
            url = body["next"]
    finally:
        minitendr.pagination.PER_PAGE = original
        minitendr.pagination.paginate.__kwdefaults__["per_page"] = original
    assert len(seen) == 3 == len(set(seen))
    bad = client.get("/api/v1/demands/?after=nesmysl", headers=headers)
    assert bad.status_code == 400 and bad.mimetype == PROBLEM


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"volume": "-5"}, "volume"),
        ({"volume": "abc"}, "volume"),
        ({"case_reference": "x" * 41}, "case_reference"),
        ({"case_reference": ""}, "case_reference"),
        ({"service_type": "NEEXISTUJE"}, "service_type"),
        ({"end_date": (clock.today()).isoformat()}, "end_date"),
        ({"start_date": "2020-01-01", "end_date": "2020-02-01"}, "start_date"),
        ({"deadline": "2020-01-01T12:00:00+01:00"}, "deadline"),
        ({"contact_email": "nenimail"}, "contact_email"),
        ({"need_description": "Dítě 015101/1234 potřebuje"}, "need_description"),
    ],
)
def test_bad_demand_input_is_a_czech_problem_at_its_field(client, personas, overrides, field):
    headers = bearer(personas.ospod)
    response = client.post("/api/v1/demands/", json=demand_document(**overrides), headers=headers)
    assert response.status_code == 422, response.json
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["title"] == "Údaje nelze přijmout" and body["status"] == 422
    assert field in [error["field"] for error in body["errors"]], body


def test_empty_and_non_json_bodies_are_problems(client, personas):
    headers = bearer(personas.ospod)
    empty = client.post("/api/v1/demands/", json={}, headers=headers)
    assert empty.status_code == 422 and {e["field"] for e in empty.json["errors"]} >= {"service_type", "volume"}
    assert "Toto pole je povinné." in {e["detail"] for e in empty.json["errors"]}
    garbage = client.post("/api/v1/demands/", data="{", content_type="application/json", headers=headers)
    assert garbage.status_code in (400, 422) and garbage.mimetype == PROBLEM


def test_wrong_ico_in_a_report_filter_is_a_problem(client, personas):
    response = client.get("/api/v1/reports/spend?provider=12345678", headers=bearer(personas.ministry))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "provider"
    assert "IČO" in response.json["detail"]


def test_others_ids_are_refused(client, personas, market):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    assert client.get(f"/api/v1/demands/{demand.id}", headers=bearer(personas.ospod_other)).status_code == 403
    response = client.post(f"/api/v1/demands/{demand.id}/publish", headers=bearer(personas.ospod_other))
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert client.get("/api/v1/demands/999999", headers=bearer(personas.ospod)).status_code == 404


# --- sealing -------------------------------------------------------------------------------------
def _everything_seen(client, headers, demand_id: int) -> str:
    """Every API answer an observer gets about the minitender and its surroundings, as one text."""
    paths = [
        "/api/v1/demands/",
        f"/api/v1/demands/{demand_id}",
        f"/api/v1/demands/{demand_id}/bids",
        f"/api/v1/demands/{demand_id}/audit",
        "/api/v1/subcontracts/",
        "/api/v1/reports/spend",
        "/api/v1/reports/network?kraj=CZ053",
        "/api/v1/frameworks/",
    ]
    return "\n".join(
        f"{p} {r.status_code} {r.get_data(as_text=True)}" for p in paths for r in [client.get(p, headers=headers)]
    )


def test_before_the_deadline_no_api_answer_reveals_a_bid(client, personas, market):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    observers = ("admin", "ministry", "kraj", "ospod", "interloper")
    headers = {name: bearer(personas[name]) for name in observers}
    before = {name: _everything_seen(client, headers[name], demand.id) for name in observers}
    bid_headers = bearer(personas.provider)
    document = client.get(f"/api/v1/demands/{demand.id}", headers=bid_headers).json
    response = client.post(
        f"/api/v1/demands/{demand.id}/bids",
        data=bid_form(document, unit_price="473.25") | {"attachments": [(io.BytesIO(MINIMAL_PDF), "nabidka.pdf")]},
        headers=bid_headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    assert response.json["unit_price"] == "473.25"  # the bidder reads its own
    after = {name: _everything_seen(client, headers[name], demand.id) for name in observers}
    for name in observers:
        seen = after[name]
        assert (
            "473.25" not in seen and personas.provider.provider.ico not in seen.split("invited")[0]
        ) or name == "ospod"
        if name == "ospod":  # its own OSPOD alone learns how many bids arrived, nothing else
            assert seen.replace('"bid_count":1', '"bid_count":0') == before[name]
        else:
            assert seen == before[name], name
    bid_id, attachment_id = response.json["id"], response.json["attachments"][0]["id"]
    own = client.get(f"/api/v1/bids/{bid_id}/attachments/{attachment_id}", headers=bid_headers)
    assert own.status_code == 200 and own.data == MINIMAL_PDF
    for name in observers:
        assert client.get(f"/api/v1/bids/{bid_id}", headers=headers[name]).status_code == 404
        # The attachment answers as one of a bid that does not exist: not even that it exists.
        download = client.get(f"/api/v1/bids/{bid_id}/attachments/{attachment_id}", headers=headers[name])
        nothing = client.get(f"/api/v1/bids/{bid_id + 1000}/attachments/{attachment_id}", headers=headers[name])
        assert download.status_code == 404 and download.mimetype == PROBLEM, name
        assert download.get_data() == nothing.get_data(), name


def test_after_the_opening_officials_read_the_offer_and_before_it_the_fields_are_absent(client, personas, market):
    demand = make_demand(personas.ospod, publish=True)
    bid = make_bid(demand, personas.provider.provider, unit_price="480")
    db.session.commit()
    headers = bearer(personas.ospod)
    with clock.frozen_at(demand.deadline + dt.timedelta(hours=1)):
        seat_committee(demand, personas.ospod)
        db.session.commit()
        sealed = client.get(f"/api/v1/bids/{bid.id}", headers=headers).json
        assert sealed["sealed"] is True and "unit_price" not in sealed and "team" not in sealed
        opened = client.post(f"/api/v1/demands/{demand.id}/open", headers=headers)
        assert opened.status_code == 200, opened.json
        body = client.get(f"/api/v1/bids/{bid.id}", headers=headers).json
        assert body["unit_price"] == "480.00" and body["total"] == "19200.00"


def test_a_bid_attachment_is_downloaded_by_its_bidder_and_by_officials_only_once_opened(client, personas, market):
    demand = make_demand(personas.ospod, publish=True)
    bid = make_bid(demand, personas.provider.provider, attachments=[("cenik.pdf", MINIMAL_PDF + b"%cenik")])
    other = make_bid(demand, personas.interloper.provider, attachments=[("jiny.pdf", MINIMAL_PDF)])
    db.session.commit()
    url = f"/api/v1/bids/{bid.id}/attachments/{bid.attachments[0].id}"
    bidder, ospod, kraj = bearer(personas.provider), bearer(personas.ospod), bearer(personas.kraj)
    own = client.get(url, headers=bidder)
    assert own.status_code == 200 and own.mimetype == "application/pdf" and own.data == MINIMAL_PDF + b"%cenik"
    assert "cenik.pdf" in own.headers["Content-Disposition"]
    # An attachment of another bid under this bid's id is no attachment of it.
    assert client.get(f"/api/v1/bids/{bid.id}/attachments/{other.attachments[0].id}", headers=bidder).status_code == 404
    assert client.get(url, headers=ospod).status_code == 404  # before the deadline: no bid to speak of
    with clock.frozen_at(demand.deadline + dt.timedelta(hours=1)):
        sealed = client.get(url, headers=ospod)
        assert sealed.status_code == 403 and sealed.mimetype == PROBLEM and sealed.json["title"] == "Přístup odepřen"
        assert client.get(url, headers=bidder).data == MINIMAL_PDF + b"%cenik"
        seat_committee(demand, personas.ospod)
        db.session.commit()
        assert client.post(f"/api/v1/demands/{demand.id}/open", headers=ospod).status_code == 200
        for headers in (ospod, kraj):
            opened = client.get(url, headers=headers)
            assert opened.status_code == 200 and opened.data == MINIMAL_PDF + b"%cenik"
        assert client.get(url, headers=bearer(personas.ospod_other)).status_code == 404
        assert client.get(url, headers=bearer(personas.interloper)).status_code == 404


# --- If-Match ------------------------------------------------------------------------------------
def test_a_change_sent_with_a_stale_etag_is_refused_with_412(client, personas, market):
    headers = bearer(personas.ospod)
    created = client.post("/api/v1/demands/", json=demand_document(), headers=headers)
    url = f"/api/v1/demands/{created.json['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    changed = client.patch(url, json={"place": "Chrudim"}, headers=headers | {"If-Match": etag})
    assert changed.status_code == 200, changed.json
    assert changed.json["place"] == "Chrudim" and changed.json["case_reference"] == "OSPOD-PA-2026/900"
    # The answer's ETag is the one the next read gives: the If-Match of the next change.
    assert changed.headers["ETag"] == client.get(url, headers=headers).headers["ETag"] != etag
    for method in ("patch", "put"):
        stale = getattr(client, method)(url, json=demand_document(place="Holice"), headers=headers | {"If-Match": etag})
        assert stale.status_code == 412 and stale.mimetype == PROBLEM
        assert stale.json["title"] == "Záznam se mezitím změnil" and "načtěte" in stale.json["detail"].lower()
        assert stale.json["errors"][0]["field"] == "If-Match"
    assert client.get(url, headers=headers).json["place"] == "Chrudim"  # nothing changed
    current = client.get(url, headers=headers).headers["ETag"]
    put = client.put(url, json=demand_document(place="Holice"), headers=headers | {"If-Match": current})
    assert put.status_code == 200 and put.json["place"] == "Holice"
    assert client.patch(url, json={"place": "Přelouč"}, headers=headers | {"If-Match": "*"}).status_code == 200
    # Without If-Match the change goes ahead (as documented in the OpenAPI document).
    assert client.patch(url, json={"place": "Lázně Bohdaneč"}, headers=headers).json["place"] == "Lázně Bohdaneč"
    document = client.get("/api/v1/openapi.json").json
    assert "If-Match" in document["info"]["description"]
    spec = document["paths"]["/api/v1/demands/{demand_id}"]
    for method in ("put", "patch"):
        assert "If-Match" in [p["name"] for p in spec[method]["parameters"]] and "412" in spec[method]["responses"]


def test_a_partial_change_is_checked_like_a_whole_one(client, personas, market):
    headers = bearer(personas.ospod)
    created = client.post("/api/v1/demands/", json=demand_document(), headers=headers)
    url = f"/api/v1/demands/{created.json['id']}"
    refused = client.patch(url, json={"need_description": "Dítě 015101/1234 potřebuje"}, headers=headers)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "need_description"
    published = client.post(f"{url}/publish", headers=headers)
    assert published.status_code == 200, published.json
    assert client.patch(url, json={"place": "Chrudim"}, headers=headers).status_code == 422  # no longer a draft


# --- actions the pages have ----------------------------------------------------------------------
def test_a_cancelled_minitender_is_reissued_as_a_new_draft(client, personas, market):
    from minitendr.demands import service as demands

    headers = bearer(personas.ospod)
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    assert client.post(f"/api/v1/demands/{demand.id}/reissue", headers=headers).status_code == 422  # still open
    demands.cancel(demand, "Rodina se odstěhovala.")
    db.session.commit()
    assert client.post(f"/api/v1/demands/{demand.id}/reissue", headers=bearer(personas.ospod_other)).status_code == 403
    reissued = client.post(f"/api/v1/demands/{demand.id}/reissue", headers=headers)
    assert reissued.status_code == 201, reissued.json
    copy = reissued.json
    assert copy["id"] != demand.id and copy["status"] == "draft" and copy["case_reference"] == demand.case_reference
    trail = client.get(f"/api/v1/demands/{demand.id}/audit", headers=headers).json["items"]
    assert trail[0]["action"] == "demand.reissued"


@pytest.fixture
def big_subcontract(personas, kraj_pak):
    """A sub-contract of 50 001,20 Kč (over the registr smluv threshold) signed in September."""
    from tests.test_contracts import awarded

    subcontract = awarded(personas, kraj_pak, unit_price="1250.03", ceiling="200000")
    db.session.commit()
    return subcontract


def test_registr_smluv_publication_is_recorded_once_by_the_kraj_or_ospod(client, personas, big_subcontract):
    url = f"/api/v1/subcontracts/{big_subcontract.id}/registry"
    today = clock.today().isoformat()
    assert (
        client.post(
            url, json={"registry_id": "1", "published_on": today}, headers=bearer(personas.provider)
        ).status_code
        == 403
    )
    wrong = client.post(url, json={"registry_id": "RS-12", "published_on": today}, headers=bearer(personas.kraj))
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "registry_id"
    missing = client.post(url, json={"registry_id": "26781234"}, headers=bearer(personas.kraj))
    assert missing.status_code == 422 and missing.json["errors"][0] == {
        "field": "published_on",
        "detail": "Toto pole je povinné.",
    }
    recorded = client.post(
        url,
        json={"registry_id": "26781234", "registry_version": "28945612", "published_on": today},
        headers=bearer(personas.kraj),
    )
    assert recorded.status_code == 200, recorded.json
    assert (
        recorded.json["registry_id"],
        recorded.json["registry_version"],
        recorded.json["registry_published_on"],
    ) == (
        "26781234",
        "28945612",
        today,
    )
    again = client.post(url, json={"registry_id": "26781235", "published_on": today}, headers=bearer(personas.ospod))
    assert again.status_code == 422 and "už je zaznamenáno" in again.json["detail"]


def test_an_amendments_registr_smluv_publication_is_recorded_once_on_its_own_subcontract(
    client, personas, kraj_pak, big_subcontract
):
    from tests.test_contracts import awarded

    today = clock.today().isoformat()
    amended = client.post(
        f"/api/v1/subcontracts/{big_subcontract.id}/amendments",
        json={
            "new_value": "60000.36",
            "new_units": "48",
            "new_end_date": big_subcontract.end_date.isoformat(),
            "reason": "Více hodin.",
            "provider_consent": "Souhlas poskytovatele.",
            "consent_on": today,
        },
        headers=bearer(personas.ospod),
    )
    assert amended.status_code == 201, amended.json
    assert amended.json["registry_id"] is None and amended.json["registry_published_on"] is None
    url = f"/api/v1/subcontracts/{big_subcontract.id}/amendments/{amended.json['id']}/registry"
    entry = {"registry_id": "26781240", "registry_version": "28945700", "published_on": today}
    assert client.post(url, json=entry, headers=bearer(personas.provider)).status_code == 403
    # The amendment through another sub-contract's URL is not found, whoever asks.
    other = awarded(personas, kraj_pak, framework=big_subcontract.demand.framework)
    db.session.commit()
    elsewhere = f"/api/v1/subcontracts/{other.id}/amendments/{amended.json['id']}/registry"
    assert client.post(elsewhere, json=entry, headers=bearer(personas.kraj)).status_code == 404
    wrong = client.post(url, json={**entry, "registry_id": "RS-12"}, headers=bearer(personas.kraj))
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "registry_id"
    recorded = client.post(url, json=entry, headers=bearer(personas.kraj))
    assert recorded.status_code == 200, recorded.json
    published = recorded.json
    assert (published["registry_id"], published["registry_version"], published["registry_published_on"]) == (
        "26781240",
        "28945700",
        today,
    )
    shown = client.get(f"/api/v1/subcontracts/{big_subcontract.id}", headers=bearer(personas.provider)).json
    assert shown["amendments"][0]["registry_id"] == "26781240"
    again = client.post(url, json={**entry, "registry_id": "26781241"}, headers=bearer(personas.ospod))
    assert again.status_code == 422 and "už je zaznamenáno" in again.json["detail"]
    trail = client.get(f"/api/v1/subcontracts/{big_subcontract.id}/audit", headers=bearer(personas.kraj)).json
    assert trail["items"][0]["action"] == "subcontract.amendment_published"


def test_a_subcontract_is_terminated_with_a_reason_or_completed_by_its_ospod(
    client, personas, kraj_pak, big_subcontract
):
    from tests.test_contracts import awarded

    ospod = bearer(personas.ospod)
    url = f"/api/v1/subcontracts/{big_subcontract.id}"
    assert (
        client.post(f"{url}/terminate", json={"reason": "Konec."}, headers=bearer(personas.provider)).status_code == 403
    )
    no_reason = client.post(f"{url}/terminate", json={"reason": " "}, headers=ospod)
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    terminated = client.post(f"{url}/terminate", json={"reason": "Rodina se odstěhovala mimo ORP."}, headers=ospod)
    assert terminated.status_code == 200, terminated.json
    assert (
        terminated.json["status"] == "terminated"
        and terminated.json["termination_reason"] == "Rodina se odstěhovala mimo ORP."
    )
    assert client.post(f"{url}/complete", headers=ospod).status_code == 422  # closed already
    other = awarded(personas, kraj_pak, framework=big_subcontract.framework)
    db.session.commit()
    assert client.post(f"/api/v1/subcontracts/{other.id}/complete", headers=bearer(personas.kraj)).status_code == 403
    completed = client.post(f"/api/v1/subcontracts/{other.id}/complete", headers=ospod)
    assert completed.status_code == 200 and completed.json["status"] == "completed"


# --- idempotency ---------------------------------------------------------------------------------
def test_a_retried_bid_is_stored_once_and_answered_the_same(client, personas, market):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    headers = bearer(personas.provider) | {"Idempotency-Key": "nabidka-1"}
    document = client.get(f"/api/v1/demands/{demand.id}", headers=headers).json

    def send():
        data = bid_form(document) | {"attachments": [(io.BytesIO(MINIMAL_PDF), "nabidka.pdf")]}
        return client.post(f"/api/v1/demands/{demand.id}/bids", data=data, headers=headers)

    first, second = send(), send()
    assert first.status_code == second.status_code == 201
    assert first.json == second.json and second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(IdempotentRequest.id))) == 1
    other = client.post(
        f"/api/v1/demands/{demand.id}/bids", data=bid_form(document, unit_price="499.00"), headers=headers
    )
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"


def test_a_refused_request_does_not_use_up_its_key(client, personas, market):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    headers = bearer(personas.provider) | {"Idempotency-Key": "k"}
    document = client.get(f"/api/v1/demands/{demand.id}", headers=headers).json
    refused = client.post(
        f"/api/v1/demands/{demand.id}/bids", data=bid_form(document, unit_price="-1"), headers=headers
    )
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "unit_price"
    accepted = client.post(f"/api/v1/demands/{demand.id}/bids", data=bid_form(document), headers=headers)
    assert accepted.status_code == 201


# --- the journey ---------------------------------------------------------------------------------
def test_journey_demand_bids_award_drawdown_report_through_the_api_alone(client, personas, market):
    ospod, provider, rival = bearer(personas.ospod), bearer(personas.provider), bearer(personas.interloper)
    kraj = bearer(personas.kraj)
    created = client.post("/api/v1/demands/", json=demand_document(), headers=ospod)
    assert created.status_code == 201, created.json
    demand_id = created.json["id"]
    published = client.post(f"/api/v1/demands/{demand_id}/publish", headers=ospod)
    assert published.status_code == 200, published.json
    demand = published.json
    assert demand["status"] == "published" and demand["bid_count"] == 0
    assert {p["ico"] for p in demand["invited"]} == {personas.provider.provider.ico, personas.interloper.provider.ico}
    question = client.post(f"/api/v1/demands/{demand_id}/questions", json={"question": "Víkendy?"}, headers=provider)
    assert question.status_code == 201
    answered = client.post(
        f"/api/v1/demands/{demand_id}/questions/{question.json['id']}/answer", json={"answer": "Ano."}, headers=ospod
    )
    assert answered.status_code == 200
    for headers, price in ((provider, "400.00"), (rival, "600.00")):
        response = client.post(
            f"/api/v1/demands/{demand_id}/bids",
            data=bid_form(demand, unit_price=price),
            headers=headers | {"Idempotency-Key": f"bid-{price}"},
        )
        assert response.status_code == 201, response.json
    deadline = dt.datetime.fromisoformat(demand["deadline"])
    with clock.frozen_at(deadline + dt.timedelta(hours=1)):
        named = client.post(
            f"/api/v1/demands/{demand_id}/committee", json={"email": personas.ospod.email}, headers=ospod
        )
        assert named.status_code == 200, named.json
        declared = client.post(
            f"/api/v1/demands/{demand_id}/committee/declaration", json={"conflict": False}, headers=ospod
        )
        assert declared.status_code == 200, declared.json
        assert client.post(f"/api/v1/demands/{demand_id}/open", headers=ospod).status_code == 200
        bids = client.get(f"/api/v1/demands/{demand_id}/bids", headers=ospod).json["items"]
        assert sorted(b["unit_price"] for b in bids) == ["400.00", "600.00"]
        for bid in bids:
            scored = client.post(
                f"/api/v1/bids/{bid['id']}/score", json={"quality_score": 80, "justification": "Dobré."}, headers=ospod
            )
            assert scored.status_code == 200, scored.json
        awarded = client.post(f"/api/v1/demands/{demand_id}/award", headers=ospod)
        assert awarded.status_code == 200, awarded.json
        assert awarded.json["status"] == "awarded"
        subcontract_id = awarded.json["subcontract_id"]
        # As on the pages, the decision's records and the sub-contract's document are issued at once.
        issued = db.session.scalars(
            sa.select(Document.kind).where(
                sa.or_(Document.demand_id == demand_id, Document.subcontract_id == subcontract_id)
            )
        )
        assert set(issued) == {DocumentKind.OPENING, DocumentKind.PROTOCOL, DocumentKind.CONTRACT}
        subcontract = client.get(f"/api/v1/subcontracts/{subcontract_id}", headers=provider).json
        assert subcontract["provider"]["ico"] == personas.provider.provider.ico and subcontract["value"] == "16000.00"
    with clock.frozen_at(
        dt.datetime.fromisoformat(subcontract["start_date"] + "T12:00:00+01:00") + dt.timedelta(days=31)
    ):
        period = subcontract["start_date"]
        reported = client.post(
            f"/api/v1/subcontracts/{subcontract_id}/drawdowns",
            json={"period": period, "units": "10", "amount": "4000.00"},
            headers=provider | {"Idempotency-Key": "cerpani-1"},
        )
        assert reported.status_code == 201, reported.json
        retried = client.post(
            f"/api/v1/subcontracts/{subcontract_id}/drawdowns",
            json={"period": period, "units": "10", "amount": "4000.00"},
            headers=provider | {"Idempotency-Key": "cerpani-1"},
        )
        assert retried.json == reported.json
        assert db.session.scalar(sa.select(sa.func.count(Drawdown.id))) == 1
        confirmed = client.post(
            f"/api/v1/subcontracts/{subcontract_id}/drawdowns/{reported.json['id']}/confirm", headers=ospod
        )
        assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
        spend = client.get("/api/v1/reports/spend?kraj=CZ053", headers=kraj).json
        assert spend["drawn"] == "4000.00" and spend["value"] == "16000.00" and spend["count"] == 1
        trail = client.get(f"/api/v1/subcontracts/{subcontract_id}/audit", headers=kraj).json
        assert "drawdown.confirmed" in {event["action"] for event in trail["items"]} or trail["items"]
    assert Decimal(spend["drawn"]) == Decimal("4000.00")
