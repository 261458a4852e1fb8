"""Who may call what: every route × every persona → the expected status.

The table must cover every route the application has; a new route without rows fails
``test_every_route_is_in_the_table``.
"""

from __future__ import annotations

import pytest

from minitendr.auth.models import Role
from minitendr.permissions import (
    can_act_for_orp,
    can_act_for_provider,
    can_manage_kraj,
    can_read_kraj,
    can_read_orp,
    can_read_provider,
)
from tests.api_routes import API_ROUTES

pytestmark = pytest.mark.shared_world

PERSONAS = (
    "anonymous",
    "admin",
    "ministry",
    "kraj",
    "ospod",
    "provider",
    "interloper",
    "kraj_other",
    "ospod_other",
    "suspended",
)
LOGIN = 302  # anonymous visitors are sent to the login page


def expect(default: int, anonymous: int = LOGIN, **overrides: int) -> dict[str, int]:
    """``suspended`` is the persona provider after its party was suspended: unless a row says
    otherwise, it keeps what the provider had (its own bids, sub-contracts, drawdowns)."""
    statuses = dict.fromkeys(PERSONAS, default)
    statuses["anonymous"] = anonymous
    statuses.update(overrides)
    if "suspended" not in overrides:
        statuses["suspended"] = statuses["provider"]
    return statuses


ADMIN_ONLY = expect(403, admin=200)
ADMIN_ONLY_ACTION = expect(403, admin=302)
EVERYONE = expect(200)
OFFICIALS = expect(200, provider=403, interloper=403)
# A framework of Pardubický kraj, active, with the persona provider as a party.
FRAMEWORK_READERS = expect(200, interloper=403, kraj_other=403, ospod_other=403)
FRAMEWORK_MANAGERS = expect(403, admin=200, kraj=200)
FRAMEWORK_ACTIONS = expect(403, admin=302, kraj=302)
# A published demand of OSPOD Pardubice under that framework: the persona provider is invited. Once
# its party is suspended, the open minitender is closed to it (though it has a bid in it).
DEMAND_READERS = expect(200, interloper=403, kraj_other=403, ospod_other=403, suspended=403)
OSPOD_ONLY = expect(403, ospod=200, ospod_other=200)
DEMAND_MANAGER = expect(403, ospod=200)
DEMAND_ACTION = expect(403, ospod=302)
AUDIT_READERS = expect(403, admin=200, ministry=200, kraj=200, kraj_other=200)
# The bid form of the open demand: only the invited provider while its party is active.
BIDDER_ONLY = expect(403, provider=200, suspended=403)
# A bid not yours to read is 404, not 403: a 403 would tell that the bid exists.
SEALED = expect(404, provider=200)
UNSEALED = expect(200, interloper=404, kraj_other=404, ospod_other=404)
SUBCONTRACT_READERS = expect(200, interloper=403, kraj_other=403, ospod_other=403)
# Registr smluv: the kraj of the sub-contract and the OSPOD of its ORP publish it (a refused form: 200).
REGISTRY_PUBLISHERS = expect(403, kraj=200, ospod=200)
REGISTRY_NOTHING_TO_PUBLISH = expect(403, kraj=404, ospod=404)
# Service network: figures and models for the ministry and the officials of a kraj (OSPOD read-only).
NETWORK_READERS = expect(200, admin=403, provider=403, interloper=403)
NETWORK_KEEPERS = expect(403, kraj=200, kraj_other=200)
CATALOGUE_KEEPERS = expect(403, kraj=200, kraj_other=200)  # each their own kraj's catalogue
CATALOGUE_KEEPER = expect(403, kraj=200)  # an entry of Pardubický kraj
PUBLIC = expect(200, anonymous=200)
PARTY_IMPORTERS = expect(403, admin=200, kraj=200, kraj_other=200)  # each row: a framework the importer manages

# (method, endpoint, url template, expected status per persona)
TABLE = [
    ("GET", "home.index", "/", EVERYONE),
    ("GET", "home.healthz", "/healthz", expect(200, anonymous=200)),
    ("GET", "auth.login", "/login", expect(302, anonymous=200)),
    ("POST", "auth.login", "/login", expect(302, anonymous=200)),
    ("POST", "auth.logout", "/logout", expect(302, anonymous=302)),
    ("GET", "auth.change_password", "/account/password", EVERYONE),
    ("POST", "auth.change_password", "/account/password", EVERYONE),
    ("GET", "reminders.preferences", "/account/reminders", EVERYONE),  # reminders (issue 18)
    ("POST", "reminders.preferences", "/account/reminders", expect(302)),
    ("GET", "users.index", "/admin/users/", ADMIN_ONLY),
    ("GET", "users.create", "/admin/users/new", ADMIN_ONLY),
    ("POST", "users.create", "/admin/users/new", ADMIN_ONLY),
    ("POST", "users.deactivate", "/admin/users/{victim_id}/deactivate", ADMIN_ONLY_ACTION),
    ("POST", "users.activate", "/admin/users/{victim_id}/activate", ADMIN_ONLY_ACTION),
    # --- accounts: a forgotten password (anyone), admin's edit, a provider's account manager
    ("GET", "auth.forgot_password", "/password/forgot", expect(200, anonymous=200)),
    ("POST", "auth.forgot_password", "/password/forgot", expect(200, anonymous=200)),
    ("GET", "auth.reset_password", "/password/reset/neplatny-odkaz", expect(200, anonymous=200)),
    ("POST", "auth.reset_password", "/password/reset/neplatny-odkaz", expect(200, anonymous=200)),
    ("GET", "users.edit", "/admin/users/{victim_id}/edit", ADMIN_ONLY),
    ("POST", "users.edit", "/admin/users/{victim_id}/edit", ADMIN_ONLY),
    ("GET", "colleagues.index", "/account/colleagues/", expect(403, provider=200)),
    ("GET", "colleagues.create", "/account/colleagues/new", expect(403, provider=200)),
    ("POST", "colleagues.create", "/account/colleagues/new", expect(403, provider=200)),
    # The victim is not a colleague of anyone's: even the provider's account manager is refused.
    ("POST", "colleagues.deactivate", "/account/colleagues/{victim_id}/deactivate", expect(403)),
    ("POST", "colleagues.activate", "/account/colleagues/{victim_id}/activate", expect(403)),
    # --- bulk import: providers (admin), framework parties (admin and kraj officials, each row checked)
    ("GET", "bulk_import.providers", "/providers/import", ADMIN_ONLY),
    ("POST", "bulk_import.providers", "/providers/import", ADMIN_ONLY),
    ("GET", "bulk_import.providers_template", "/providers/import/vzor.csv", ADMIN_ONLY),
    ("GET", "bulk_import.providers_template", "/providers/import/vzor.xlsx", ADMIN_ONLY),
    ("GET", "bulk_import.parties", "/frameworks/parties/import", PARTY_IMPORTERS),
    ("POST", "bulk_import.parties", "/frameworks/parties/import", PARTY_IMPORTERS),
    (
        "GET",
        "bulk_import.parties_template",
        "/frameworks/parties/import/vzor.csv",
        PARTY_IMPORTERS,
    ),
    (
        "GET",
        "bulk_import.parties_template",
        "/frameworks/parties/import/vzor.xlsx",
        PARTY_IMPORTERS,
    ),
    ("GET", "providers.index", "/providers/", OFFICIALS),
    ("GET", "providers.detail", "/providers/{provider_id}", expect(200, interloper=403)),
    ("GET", "providers.create", "/providers/new", ADMIN_ONLY),
    ("POST", "providers.create", "/providers/new", ADMIN_ONLY),
    ("GET", "providers.edit", "/providers/{provider_id}/edit", ADMIN_ONLY),
    ("POST", "providers.edit", "/providers/{provider_id}/edit", ADMIN_ONLY),
    ("GET", "registry.kraje", "/registry/kraje", EVERYONE),
    ("GET", "registry.kraj", "/registry/kraje/CZ053", EVERYONE),
    ("GET", "registry.service_types", "/registry/service-types", EVERYONE),
    ("GET", "registry.service_type_create", "/registry/service-types/new", ADMIN_ONLY),
    ("POST", "registry.service_type_create", "/registry/service-types/new", ADMIN_ONLY),
    ("GET", "registry.service_type_edit", "/registry/service-types/{service_type_id}/edit", ADMIN_ONLY),
    ("POST", "registry.service_type_edit", "/registry/service-types/{service_type_id}/edit", ADMIN_ONLY),
    ("GET", "frameworks.index", "/frameworks/", EVERYONE),
    ("GET", "frameworks.detail", "/frameworks/{framework_id}", FRAMEWORK_READERS),
    ("GET", "frameworks.create", "/frameworks/new", expect(403, admin=200, kraj=200, kraj_other=200)),
    ("POST", "frameworks.create", "/frameworks/new", expect(403, admin=200, kraj=200, kraj_other=200)),
    ("GET", "frameworks.edit", "/frameworks/{framework_id}/edit", FRAMEWORK_MANAGERS),
    ("POST", "frameworks.edit", "/frameworks/{framework_id}/edit", FRAMEWORK_MANAGERS),
    ("POST", "frameworks.activate", "/frameworks/{framework_id}/activate", FRAMEWORK_ACTIONS),
    ("POST", "frameworks.terminate", "/frameworks/{framework_id}/terminate", FRAMEWORK_MANAGERS),
    ("POST", "frameworks.delete", "/frameworks/{framework_id}/delete", FRAMEWORK_ACTIONS),
    ("POST", "frameworks.add_party", "/frameworks/{framework_id}/parties", FRAMEWORK_MANAGERS),
    ("POST", "frameworks.suspend_party", "/frameworks/{framework_id}/parties/{party_id}/suspend", FRAMEWORK_MANAGERS),
    (
        "POST",
        "frameworks.reinstate_party",
        "/frameworks/{framework_id}/parties/{party_id}/reinstate",
        FRAMEWORK_ACTIONS,
    ),
    ("POST", "frameworks.withdraw_party", "/frameworks/{framework_id}/parties/{party_id}/withdraw", FRAMEWORK_MANAGERS),
    ("GET", "demands.index", "/demands/", EVERYONE),
    ("GET", "demands.detail", "/demands/{demand_id}", DEMAND_READERS),
    ("GET", "demands.create", "/demands/new", OSPOD_ONLY),
    ("POST", "demands.create", "/demands/new", OSPOD_ONLY),
    ("GET", "demands.edit", "/demands/{draft_id}/edit", DEMAND_MANAGER),
    ("POST", "demands.edit", "/demands/{draft_id}/edit", DEMAND_MANAGER),
    ("POST", "demands.delete", "/demands/{demand_id}/delete", DEMAND_ACTION),
    ("POST", "demands.publish", "/demands/{demand_id}/publish", DEMAND_ACTION),
    # A form refused (here: empty) comes back on its page, 200, with the message at the field.
    ("POST", "demands.cancel", "/demands/{demand_id}/cancel", DEMAND_MANAGER),
    ("POST", "demands.ask", "/demands/{demand_id}/questions", expect(403, provider=200, suspended=403)),
    (
        "POST",
        "demands.answer",
        "/demands/{demand_id}/questions/{clarification_id}/answer",
        DEMAND_MANAGER,
    ),
    ("GET", "notifications.index", "/notifications/", EVERYONE),
    ("GET", "notifications.follow", "/notifications/{notification_id}", expect(403, provider=302)),
    ("POST", "notifications.read_all", "/notifications/read", expect(302)),
    ("GET", "outbox.index", "/admin/outbox/", ADMIN_ONLY),
    # Bids. Before the deadline a bid is sealed: only its own provider reads it, not even admin.
    ("GET", "bids.submit", "/demands/{demand_id}/bid", BIDDER_ONLY),
    ("POST", "bids.submit", "/demands/{demand_id}/bid", BIDDER_ONLY),
    ("GET", "bids.detail", "/bids/{bid_id}", SEALED),
    ("GET", "bids.detail", "/bids/{past_bid_id}", UNSEALED),
    ("GET", "bids.attachment", "/bids/{bid_id}/attachments/{attachment_id}", SEALED),
    ("GET", "bids.attachment", "/bids/{past_bid_id}/attachments/{past_attachment_id}", UNSEALED),
    ("POST", "bids.withdraw", "/bids/{bid_id}/withdraw", expect(403, provider=302, interloper=404)),
    # Scoring or excluding one bid: refused here (empty), it comes back in its row of the evaluation.
    ("POST", "bids.score", "/bids/{past_bid_id}/score", DEMAND_MANAGER),
    ("POST", "bids.exclude", "/bids/{past_bid_id}/exclude", DEMAND_MANAGER),
    # The decisions on a minitender after its deadline (the past demand is awarded already: a button is
    # refused back to the page it was pressed on, the unsuccessful note comes back on the evaluation).
    ("GET", "demands.evaluation", "/demands/{past_demand_id}/evaluation", DEMAND_MANAGER),
    ("POST", "demands.award", "/demands/{past_demand_id}/award", DEMAND_ACTION),
    ("POST", "demands.unsuccessful", "/demands/{past_demand_id}/unsuccessful", DEMAND_MANAGER),
    ("POST", "demands.reissue", "/demands/{past_demand_id}/reissue", DEMAND_ACTION),
    ("POST", "demands.open_envelopes", "/demands/{past_demand_id}/open", DEMAND_ACTION),
    (
        "GET",
        "demands.opening",
        "/demands/{past_demand_id}/opening",
        expect(200, provider=403, interloper=403, kraj_other=403, ospod_other=403),
    ),
    (
        "GET",
        "demands.protocol",
        "/demands/{past_demand_id}/protocol",
        expect(200, provider=403, interloper=403, kraj_other=403, ospod_other=403),
    ),
    # The evaluation committee: the demand's OSPOD names it; its members declare (on the past demand the
    # persona OSPOD is a member who declared; a refused empty form comes back on its page).
    ("GET", "committee.index", "/demands/{demand_id}/committee/", DEMAND_MANAGER),
    ("POST", "committee.name", "/demands/{demand_id}/committee/members", DEMAND_MANAGER),
    ("POST", "committee.remove", "/demands/{past_demand_id}/committee/members/{member_id}/remove", DEMAND_ACTION),
    ("GET", "committee.declaration", "/demands/{past_demand_id}/committee/declaration", DEMAND_MANAGER),
    ("POST", "committee.declaration", "/demands/{past_demand_id}/committee/declaration", DEMAND_MANAGER),
    ("GET", "contracts.index", "/subcontracts/", EVERYONE),
    ("GET", "contracts.export_csv", "/subcontracts/export.csv?need=vztahy", EVERYONE),
    ("GET", "contracts.export_xlsx", "/subcontracts/export.xlsx?service_type=SAS", EVERYONE),
    ("GET", "contracts.detail", "/subcontracts/{subcontract_id}", SUBCONTRACT_READERS),
    ("POST", "contracts.report", "/subcontracts/{subcontract_id}/drawdowns", expect(403, provider=200)),
    ("POST", "contracts.confirm", "/subcontracts/{subcontract_id}/drawdowns/{drawdown_id}/confirm", DEMAND_ACTION),
    ("POST", "contracts.reject", "/subcontracts/{subcontract_id}/drawdowns/{drawdown_id}/reject", DEMAND_MANAGER),
    ("POST", "contracts.amend", "/subcontracts/{subcontract_id}/amendments", DEMAND_MANAGER),
    ("POST", "contracts.complete", "/subcontracts/{subcontract_id}/complete", DEMAND_ACTION),
    ("POST", "contracts.terminate", "/subcontracts/{subcontract_id}/terminate", DEMAND_MANAGER),
    ("POST", "contracts.registry_record", "/subcontracts/{subcontract_id}/registry", REGISTRY_PUBLISHERS),
    ("GET", "contracts.registry", "/subcontracts/registry", OFFICIALS),
    # Registr smluv (minitendr.isrs). The sub-contract here is 20 000 Kč: nothing to publish, so those who
    # publish it get 404 (tests/test_registr_smluv.py downloads one over 50 000 Kč per persona), the rest 403.
    ("GET", "isrs.subcontract_xml", "/subcontracts/{subcontract_id}/registr-smluv.xml", REGISTRY_NOTHING_TO_PUBLISH),
    ("GET", "isrs.subcontract_zip", "/subcontracts/{subcontract_id}/registr-smluv.zip", REGISTRY_NOTHING_TO_PUBLISH),
    (
        "GET",
        "isrs.amendment_xml",
        "/subcontracts/{subcontract_id}/amendments/999999/registr-smluv.xml",
        REGISTRY_NOTHING_TO_PUBLISH,
    ),
    (
        "GET",
        "isrs.amendment_zip",
        "/subcontracts/{subcontract_id}/amendments/999999/registr-smluv.zip",
        REGISTRY_NOTHING_TO_PUBLISH,
    ),
    ("POST", "isrs.answer", "/subcontracts/{subcontract_id}/registr-smluv/answer", REGISTRY_PUBLISHERS),
    (
        "POST",
        "isrs.amendment_record",
        "/subcontracts/{subcontract_id}/amendments/999999/registry",
        REGISTRY_NOTHING_TO_PUBLISH,
    ),
    ("GET", "isrs.due", "/subcontracts/registry/due", OFFICIALS),
    ("GET", "registry.publisher", "/registry/kraje/CZ053/publisher", FRAMEWORK_MANAGERS),
    ("POST", "registry.publisher", "/registry/kraje/CZ053/publisher", expect(403, admin=302, kraj=302)),
    # Documents as PDF (minitendr.documents): the sub-contract's like the sub-contract (the objects'
    # sub-contract has no amendment: its readers get 404), the records like the HTML records (the past
    # demand is awarded: the frozen PDFs), the kraj's templates like the framework's edit form.
    ("GET", "documents.contract", "/subcontracts/{subcontract_id}/document.pdf", SUBCONTRACT_READERS),
    (
        "GET",
        "documents.amendment",
        "/subcontracts/{subcontract_id}/amendments/1/document.pdf",
        expect(404, interloper=403, kraj_other=403, ospod_other=403),
    ),
    (
        "GET",
        "documents.opening",
        "/demands/{past_demand_id}/opening.pdf",
        expect(200, provider=403, interloper=403, kraj_other=403, ospod_other=403),
    ),
    (
        "GET",
        "documents.protocol",
        "/demands/{past_demand_id}/protocol.pdf",
        expect(200, provider=403, interloper=403, kraj_other=403, ospod_other=403),
    ),
    ("GET", "documents.templates", "/frameworks/{framework_id}/templates", FRAMEWORK_MANAGERS),
    ("POST", "documents.templates", "/frameworks/{framework_id}/templates", expect(403, admin=302, kraj=302)),
    ("GET", "reports.spend", "/reports/spend", EVERYONE),
    ("GET", "reports.spend", "/reports/spend?kraj=CZ053", expect(200, kraj_other=403, ospod_other=403)),
    ("GET", "reports.spend_xlsx", "/reports/spend.xlsx", EVERYONE),
    ("GET", "reports.spend_xlsx", "/reports/spend.xlsx?orp=5309", expect(200, kraj_other=403, ospod_other=403)),
    ("GET", "reports.spend_csv", "/reports/spend.csv", EVERYONE),
    ("GET", "reports.spend_csv", "/reports/spend.csv?kraj=CZ041", expect(200, kraj=403, ospod=403)),
    ("GET", "reports.job", "/reports/jobs/{job_id}", expect(403, admin=200)),
    ("GET", "reports.job_download", "/reports/jobs/{job_id}/download", expect(403, admin=200)),
    ("GET", "reports.ocds_package", "/open-data/ocds.json", expect(200, anonymous=200)),
    # --- service network: the kraj's model and the figures as files
    ("GET", "network_model.models", "/network/models/", NETWORK_READERS),
    ("GET", "network_model.create", "/network/models/new", NETWORK_KEEPERS),
    ("POST", "network_model.create", "/network/models/new", NETWORK_KEEPERS),
    (
        "GET",
        "network_model.detail",
        "/network/models/{network_model_id}",
        expect(403, ministry=200, kraj=200, ospod=200),
    ),
    ("GET", "network_model.edit", "/network/models/{network_model_id}/edit", expect(403, kraj=200)),
    ("POST", "network_model.edit", "/network/models/{network_model_id}/edit", expect(403, kraj=200)),
    ("GET", "network_model.targets", "/network/models/{network_model_id}/orp/5309", expect(403, kraj=200)),
    ("POST", "network_model.targets", "/network/models/{network_model_id}/orp/5309", expect(403, kraj=302)),
    ("GET", "network_model.network_csv", "/network.csv", NETWORK_READERS),
    (
        "GET",
        "network_model.network_csv",
        "/network.csv?kraj=CZ041",
        expect(403, ministry=200, kraj_other=200, ospod_other=200),
    ),
    ("GET", "network_model.network_xlsx", "/network.xlsx", NETWORK_READERS),
    ("GET", "network_model.network_xlsx", "/network.xlsx?orp=5309", expect(403, ministry=200, kraj=200, ospod=200)),
    # katalog služeb: everyone logged in searches it; a kraj official keeps their kraj's (the entry is
    # of Pardubický kraj); the open data (HSDS) are public.
    ("GET", "catalogue.search", "/network/services", EVERYONE),
    ("GET", "catalogue.search", "/network/services?orp=5309&need=chovani", EVERYONE),
    ("GET", "catalogue.detail", "/network/services/{catalogue_service_id}", EVERYONE),
    ("GET", "catalogue.manage", "/network/catalogue", CATALOGUE_KEEPERS),
    ("GET", "catalogue.create", "/network/catalogue/new", CATALOGUE_KEEPERS),
    ("POST", "catalogue.create", "/network/catalogue/new", CATALOGUE_KEEPERS),
    ("GET", "catalogue.edit", "/network/catalogue/{catalogue_service_id}/edit", CATALOGUE_KEEPER),
    ("POST", "catalogue.edit", "/network/catalogue/{catalogue_service_id}/edit", CATALOGUE_KEEPER),
    ("POST", "catalogue.deactivate", "/network/catalogue/{catalogue_service_id}/deactivate", expect(403, kraj=302)),
    ("POST", "catalogue.activate", "/network/catalogue/{catalogue_service_id}/activate", expect(403, kraj=302)),
    ("GET", "catalogue.import_file", "/network/catalogue/import", CATALOGUE_KEEPERS),
    ("POST", "catalogue.import_file", "/network/catalogue/import", CATALOGUE_KEEPERS),
    ("GET", "catalogue.import_template", "/network/catalogue/import/vzor.csv", CATALOGUE_KEEPERS),
    ("GET", "hsds.services", "/network/hsds/services", PUBLIC),
    ("GET", "hsds.service", "/network/hsds/services/{catalogue_service_uuid}", PUBLIC),
    ("GET", "hsds.organizations", "/network/hsds/organizations", PUBLIC),
    ("GET", "hsds.taxonomies", "/network/hsds/taxonomies", PUBLIC),
    ("GET", "hsds.taxonomy_terms", "/network/hsds/taxonomy_terms", PUBLIC),
    # --- service network: the map and the ORP pages (the figures: ministry, and each kraj's own officials)
    ("GET", "network.index", "/network/", NETWORK_READERS),
    (
        "GET",
        "network.index",
        "/network/?kraj=CZ053&need=bezpeci&metric=value_per_child",
        expect(403, ministry=200, kraj=200, ospod=200),
    ),
    (
        "GET",
        "network.index",
        "/network/?kraj=CZ999",
        expect(403, ministry=400, kraj=400, ospod=400, kraj_other=400, ospod_other=400),
    ),
    ("GET", "network.orp", "/network/orp/5309", expect(403, ministry=200, kraj=200, ospod=200)),
    ("GET", "network.orp", "/network/orp/4103", expect(403, ministry=200, kraj_other=200, ospod_other=200)),
    ("GET", "network.orp", "/network/orp/9999", expect(404, admin=404, anonymous=LOGIN)),
    # Outcomes (the sub-contract is still active: the ORP's OSPOD and its provider get the form back
    # refused, 200; a follow-up that does not exist is 404 to the kraj that keeps the list).
    ("POST", "outcomes.record", "/subcontracts/{subcontract_id}/outcome", DEMAND_MANAGER),
    ("POST", "outcomes.final_report", "/subcontracts/{subcontract_id}/final-report", expect(403, provider=200)),
    (
        "GET",
        "outcomes.follow_ups",
        "/outcomes/follow-ups/CZ053",
        expect(200, provider=403, interloper=403, kraj_other=403, ospod_other=403),
    ),
    ("POST", "outcomes.add_follow_up", "/outcomes/follow-ups/CZ053", expect(403, kraj=200)),
    (
        "GET",
        "outcomes.kraj",
        "/outcomes/kraje/CZ053",
        expect(200, admin=403, provider=403, interloper=403, kraj_other=403, ospod_other=403),
    ),
    ("POST", "outcomes.retire_follow_up", "/outcomes/follow-ups/CZ053/999999/retire", expect(403, kraj=404)),
    ("POST", "outcomes.reinstate_follow_up", "/outcomes/follow-ups/CZ053/999999/reinstate", expect(403, kraj=404)),
    # --- the accessibility statement: public
    ("GET", "accessibility.statement", "/prohlaseni-o-pristupnosti", expect(200, anonymous=200)),
    # Kraj notices: the kraj's officials send and read theirs (with receipts); provider users read theirs
    # (the notice of the objects went to the persona provider, a party of the Pardubický framework).
    ("GET", "notices.index", "/notices/", expect(403, kraj=200, kraj_other=200, provider=200, interloper=200)),
    ("GET", "notices.create", "/notices/new", expect(403, kraj=200, kraj_other=200)),
    ("POST", "notices.create", "/notices/new", expect(403, kraj=200, kraj_other=200)),
    ("GET", "notices.detail", "/notices/{notice_id}", expect(403, kraj=200, provider=200)),
    # The audit log: admin, the ministry and kraj officials (their kraj's objects); a bad filter is a
    # Czech message at the field, not an error.
    ("GET", "audit.index", "/audit/", AUDIT_READERS),
    ("GET", "audit.index", "/audit/?object=demand&ref={past_demand_id}&since=2026-13-01", AUDIT_READERS),
    ("GET", "audit.export_csv", "/audit/log.csv?object=bid", AUDIT_READERS),
    ("GET", "audit.export_xlsx", "/audit/log.xlsx?user=admin@test.cz", AUDIT_READERS),
]

# The JSON API (minitendr.api): a browser's session never authenticates it, so every API route answers
# every persona 401 here (tests/test_api_permissions.py has its table by token); its OpenAPI document
# and documentation page are public. The account's API tokens: each user their own (a refused empty
# form comes back, 200; a token that is not yours is 404).
TABLE += [
    *[
        (method, endpoint, url, expect(401, anonymous=401))
        for method, endpoint, url in API_ROUTES
        if not endpoint.startswith("api-docs") and endpoint != "api_docs.docs"
    ],
    ("GET", "api-docs.openapi_json", "/api/v1/openapi.json", PUBLIC),
    ("GET", "api_docs.docs", "/api/v1/docs", PUBLIC),
    ("GET", "api_tokens.index", "/account/tokens", EVERYONE),
    ("POST", "api_tokens.index", "/account/tokens", EVERYONE),
    ("POST", "api_tokens.revoke", "/account/tokens/999999/revoke", expect(404)),
]

# Served by extensions, not by us: static files only.
NOT_OURS = {"static", "bootstrap.static"}


def test_every_route_is_in_the_table(app):
    routes = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in NOT_OURS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(method, endpoint) for method, endpoint, _url, _statuses in TABLE}
    assert routes - covered == set(), "routes without rows in the permission table"
    assert covered - routes == set(), "rows for routes that do not exist"


def as_persona(personas, objects, persona: str):
    """The user behind a persona name; ``suspended`` suspends the persona provider's party first."""
    if persona != "suspended":
        return personas[persona]
    from minitendr.db import db
    from minitendr.frameworks.models import FrameworkParty

    db.session.get(FrameworkParty, objects["party_id"]).suspend("Neplní podmínky rámcové smlouvy.")
    db.session.commit()
    return personas.provider


@pytest.mark.parametrize(("method", "endpoint", "url", "statuses"), TABLE, ids=[f"{m} {u}" for m, _e, u, _s in TABLE])
@pytest.mark.parametrize("persona", PERSONAS)
def test_route_answers_each_persona_as_the_table_says(
    login, personas, objects, method, endpoint, url, statuses, persona
):
    client = login(as_persona(personas, objects, persona))
    # An empty name: every form sees a submission and refuses it (200 with errors).
    response = client.open(url.format(**objects), method=method, data={"name": ""})
    assert response.status_code == statuses[persona], f"{method} {url} as {persona}"
    if response.status_code == LOGIN and persona == "anonymous" and endpoint not in {"auth.logout"}:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/providers/999999",
        "/providers/999999/edit",
        "/registry/kraje/CZ999",
        "/registry/service-types/999999/edit",
        "/frameworks/999999",
        "/frameworks/999999/edit",
        "/demands/999999",
        "/notifications/999999",
        "/subcontracts/999999",
    ],
)
def test_missing_objects_are_404_with_a_czech_page(login, personas, url):
    response = login(personas.admin).get(url)
    assert response.status_code == 404
    assert "Stránka nenalezena" in response.get_data(as_text=True)


def test_another_missing_demand_is_404_for_ospod(login, personas):
    client = login(personas.ospod)
    assert client.get("/demands/999999/edit").status_code == 404
    assert client.post("/demands/999999/publish").status_code == 404


def test_deactivating_a_missing_user_is_404(login, personas):
    assert login(personas.admin).post("/admin/users/999999/deactivate").status_code == 404


def test_forbidden_page_is_in_czech(login, personas):
    response = login(personas.provider).get("/admin/users/")
    assert response.status_code == 403
    assert "Přístup odepřen" in response.get_data(as_text=True)


# The per-object rules, as a table of (rule, persona, object) → allowed.
def test_kraj_rules(personas, kraj_pak, kraj_kvk):
    assert can_read_kraj(personas.kraj, kraj_pak.id)
    assert not can_read_kraj(personas.kraj, kraj_kvk.id)
    assert can_read_kraj(personas.ospod, kraj_pak.id)  # OSPOD Pardubice lies in Pardubický kraj
    assert not can_read_kraj(personas.ospod_other, kraj_pak.id)
    assert can_read_kraj(personas.ministry, kraj_kvk.id) and can_read_kraj(personas.admin, kraj_kvk.id)
    assert not can_read_kraj(personas.provider, kraj_pak.id)
    assert can_manage_kraj(personas.kraj, kraj_pak.id)
    assert not can_manage_kraj(personas.kraj_other, kraj_pak.id)
    assert can_manage_kraj(personas.admin, kraj_pak.id)
    assert not can_manage_kraj(personas.ministry, kraj_pak.id)
    assert not can_manage_kraj(personas.ospod, kraj_pak.id)


def test_orp_rules(personas, orp_pardubice, orp_cheb):
    pardubice = (orp_pardubice.id, orp_pardubice.kraj_id)
    assert can_read_orp(personas.ospod, *pardubice)
    assert not can_read_orp(personas.ospod_other, *pardubice)
    assert can_read_orp(personas.kraj, *pardubice)
    assert not can_read_orp(personas.kraj_other, *pardubice)
    assert can_read_orp(personas.ministry, *pardubice)
    assert not can_read_orp(personas.provider, *pardubice)
    assert can_act_for_orp(personas.ospod, orp_pardubice.id)
    assert not can_act_for_orp(personas.ospod, orp_cheb.id)
    assert not can_act_for_orp(personas.admin, orp_pardubice.id)  # admin does not decide minitenders
    assert not can_act_for_orp(personas.kraj, orp_pardubice.id)


def test_provider_rules(personas):
    own = personas.provider.provider_id
    assert can_act_for_provider(personas.provider, own)
    assert not can_act_for_provider(personas.interloper, own)
    assert not can_act_for_provider(personas.admin, own)
    assert can_read_provider(personas.provider, own)
    assert not can_read_provider(personas.interloper, own)
    assert all(can_read_provider(personas[p], own) for p in ("admin", "ministry", "kraj", "ospod"))


def test_inactive_user_is_treated_as_logged_out(login, personas):
    response = login(personas.inactive).get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_role_has_a_persona():
    assert {r.value for r in Role} <= set(PERSONAS)


MOVED_TO_THE_DEMAND = [
    ("demands.evaluation", "/demands/7/evaluation"),
    ("demands.open_envelopes", "/demands/7/open"),
    ("demands.award", "/demands/7/award"),
    ("demands.unsuccessful", "/demands/7/unsuccessful"),
    ("demands.reissue", "/demands/7/reissue"),
    ("demands.opening", "/demands/7/opening"),
    ("demands.protocol", "/demands/7/protocol"),
]


@pytest.mark.parametrize(("endpoint", "url"), MOVED_TO_THE_DEMAND)
def test_the_decisions_moved_to_the_demand_keep_their_urls(app, endpoint, url):
    """Decisions on a minitender are the demand's pages now; bookmarks and e-mailed links still work."""
    from flask import url_for

    with app.test_request_context():
        assert url_for(endpoint, demand_id=7) == url
    assert not any(rule.endpoint == "bids." + endpoint.split(".")[1] for rule in app.url_map.iter_rules())


def test_only_officials_who_read_a_minitender_see_whom_it_invited_and_its_evaluation_records(personas, objects):
    from minitendr.db import db
    from minitendr.demands.models import Demand
    from minitendr.permissions import can_read_evaluation_records, can_see_invited_providers

    demand = db.session.get(Demand, objects["past_demand_id"])
    logged_in = ("admin", "ministry", "kraj", "ospod", "provider", "interloper", "kraj_other", "ospod_other")
    for rule in (can_see_invited_providers, can_read_evaluation_records):
        allowed = {persona for persona in logged_in if rule(personas[persona], demand)}
        assert allowed == {"admin", "ministry", "kraj", "ospod"}, rule.__name__
