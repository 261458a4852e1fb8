"""Who bid stays sealed until the deadline: nobody but the bidder can tell, from any page, report,
export, open-data file or notification, that a provider has bid, replaced or withdrawn its bid.

One scenario, one loop: every GET route of the application (enumerated from ``app.url_map``, its
path parameters filled with the scenario's objects) is fetched by every persona other than the
bidder before the bid, after it, after its replacement and after its withdrawal; the answers must be
the same once what differs between any two requests (CSRF tokens, export job ids) is normalised.
The one thing allowed to move is what the design allows: the demand's own OSPOD sees how many bids
arrived, on its demand page.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import product

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from minitendr import clock
from minitendr.bids import service as bids
from minitendr.contracts.service import confirm_drawdown, report_drawdown
from minitendr.db import db
from minitendr.demands import evaluation
from minitendr.documents import service as documents
from minitendr.extensions import limiter
from minitendr.network.models import CatalogueService, NetworkModel
from minitendr.notices.models import Notice
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.reports import jobs, summary
from tests.conftest import MONDAY, Personas, log_in
from tests.factories import MINIMAL_PDF, make_bid, make_demand, make_framework, seat_committee

OBSERVERS = ("admin", "ministry", "kraj", "kraj_other", "ospod", "ospod_other", "interloper", "anonymous")
STAGES = ("před nabídkou", "po podání nabídky", "po nahrazení nabídky", "po stažení nabídky")
# An id no bid has: before the bid exists, its pages are asked for under this id, so that "no such
# bid" and "a bid you may not read" can be compared.
NO_SUCH_ID = 2_000_000_000
# Routes that serve files of the application itself, not data.
STATIC = {"static", "bootstrap.static"}
# The one sentence the demand's own OSPOD may see change (on its demand page, and only there).
BID_COUNT = re.compile(r"Počet podaných nabídek: <strong>(\d+)</strong>")
CSRF_INPUT = re.compile(r"<input[^>]*csrf_token[^>]*>")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PUBLISHED = re.compile(r"Zveřejněné minitendry</dt>\s*<dd[^>]*>([^<]*)</dd>")


pytestmark = pytest.mark.usefixtures("monday")


@dataclass
class Scenario:
    """A published open minitender with two invited providers (the bidder and the interloper), and a
    decided one before it, so that the reports have something to show."""

    personas: Personas
    open_demand: object
    past_demand: object
    past_bids: list
    subcontract: object
    bids: dict[str, object] = field(default_factory=dict)  # "first", "second" once they exist


@pytest.fixture
def scenario(personas, kraj_pak) -> Scenario:
    bidder, interloper = personas.provider.provider, personas.interloper.provider
    make_framework(kraj_pak, providers=[bidder, interloper], ceiling=Decimal("500000"))
    with clock.frozen_at(MONDAY - dt.timedelta(days=20)):
        past = make_demand(personas.ospod, publish=True, estimated_max_value=Decimal("30000.00"))
        past_bids = [
            make_bid(past, bidder, "500", attachments=[("nabidka.pdf", MINIMAL_PDF)]),
            make_bid(past, interloper, "550", attachments=[("cenik.pdf", MINIMAL_PDF + b"%2")]),
        ]
    seat_committee(past, personas.ospod)
    evaluation.open_envelopes(past, personas.ospod)
    for bid in past_bids:
        bids.score_bid(bid, 80, "Splňuje zadání.", by=personas.ospod)
    subcontract = evaluation.award(past, personas.ospod)
    with clock.frozen_at(MONDAY + dt.timedelta(days=21)):
        drawdown = report_drawdown(
            subcontract, bidder, period=clock.today().replace(day=1), units=Decimal("2"), amount=Decimal("1000.00")
        )
        confirm_drawdown(drawdown)
    open_demand = make_demand(personas.ospod, publish=True, estimated_max_value=Decimal("30000.00"))
    # Following a notification marks it read; read them all now, so that following one changes nothing.
    db.session.execute(sa.update(Notification).values(read_at=MONDAY))
    # The decided minitender's documents, issued now as the award does in a request (the first download
    # would issue them, and the pages listing them would change between the stages for that alone).
    documents.issue_decision_documents(past)
    documents.issue_subcontract_documents(subcontract)
    db.session.commit()
    return Scenario(personas, open_demand, past, past_bids, subcontract)


# --- fetching everything -------------------------------------------------------------------------
def _bid_and_attachment(bid) -> tuple[int, int]:
    if bid is None:
        return NO_SUCH_ID, NO_SUCH_ID
    return bid.id, bid.attachments[0].id


def _latest_notification(user) -> list[int]:
    stmt = sa.select(Notification.id).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    return db.session.scalars(stmt.limit(1)).all()


def _path_values(scenario: Scenario, persona: str) -> dict[str | tuple[str, ...], list]:
    """The values each path parameter takes: the scenario's objects (for the bid routes, both bids of
    the bidder, or an id no bid has while they do not exist yet)."""
    p = scenario.personas
    user = p[persona]
    return {
        "demand_id": [scenario.open_demand.id, scenario.past_demand.id],
        ("bid_id", "attachment_id"): [
            _bid_and_attachment(scenario.bids.get("first")),
            _bid_and_attachment(scenario.bids.get("second")),
            _bid_and_attachment(scenario.past_bids[0]),
        ],
        "framework_id": [scenario.open_demand.framework_id],
        "provider_id": [p.provider.provider_id, p.interloper.provider_id],
        "subcontract_id": [scenario.subcontract.id],
        "service_type_id": [scenario.open_demand.service_type_id],
        "code": [scenario.open_demand.orp.kraj.code],
        "kraj_code": [scenario.open_demand.orp.kraj.code],
        # The sub-contract has no amendment yet: the amendment routes answer the same 404 throughout.
        "amendment_id": [1],
        "seq": [1],
        # The service network: the kraj's model and the catalogue (the bidder's entry as a party is
        # public; nothing there may move when it bids).
        "model_id": [_first(NetworkModel.id) or 1],
        "service_id": [_first(CatalogueService.id) or 1],
        "service_uuid": [_first(CatalogueService.uuid) or "00000000-0000-0000-0000-000000000000"],
        # The persona's own newest notification (if any) and the bidder's.
        "notification_id": [*(_latest_notification(user) if user else []), *_latest_notification(p.provider)],
        # An export of the persona's own, made now (its id differs each time and is normalised).
        "job_id": [_export_job(user) if user else "00000000-0000-0000-0000-000000000000"],
        # Kraj notices (none in the scenario unless one was sent: an id no notice has).
        "notice_id": [_first(Notice.id) or 1],
        # Accounts: the bidder's own account (admin's edit page), a reset link that is no link.
        "user_id": [p.provider.id],
        "token": ["neplatny-odkaz"],
        "fmt": ["csv", "xlsx"],  # the bulk import templates
    }


def _first(column):
    return db.session.scalars(sa.select(column).order_by(column).limit(1)).first()


def _export_job(user) -> str:
    job_id = jobs.start(user, {}, 1).id
    db.session.commit()
    jobs.dispatch(job_id)
    return job_id


def _query_variants(endpoint: str, scenario: Scenario) -> list[str]:
    """Filters worth trying: one provider's numbers are where the known leak was."""
    p = scenario.personas
    if endpoint in ("reports.spend", "reports.spend_csv"):
        return ["", f"?provider={p.provider.provider.ico}"]
    if endpoint.startswith("audit."):
        # The audit log by the kinds of objects a bid could show in, and by the bidder's account; not
        # unfiltered, where the crawl's own document downloads (audited) would move every page.
        kinds = ("bid", "demand", "subcontract", "framework_contract", "provider", "user_account")
        return [*(f"?object={kind}" for kind in kinds), f"?user={p.provider.email}"]
    return [""]


def urls(app: Flask, scenario: Scenario, persona: str) -> Iterator[tuple[str, str]]:
    """(key, url) for every GET route; the key names the route and the role of its parameters, so
    that one stage's answer is compared with the same slot's answer in another stage."""
    values = _path_values(scenario, persona)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "GET" not in rule.methods or rule.endpoint in STATIC:
            continue
        arguments = set(rule.arguments)
        # Parameters that go together (a bid and its attachment) are taken together, or the ones a route has.
        tied = [key for key in values if isinstance(key, tuple) and arguments & set(key)]
        singles = sorted(arguments - {name for key in tied for name in key})
        unknown = [name for name in singles if name not in values]
        assert not unknown, f"{rule.rule}: dejte testu hodnoty parametru {unknown}"
        choices = [
            [{name: value for name, value in zip(key, item, strict=True) if name in arguments} for item in values[key]]
            for key in tied
        ]
        choices += [[{name: item} for item in values[name]] for name in singles]
        for slot, combination in enumerate(product(*choices)):
            arguments_ = {name: value for part in combination for name, value in part.items()}
            with app.test_request_context():
                path = app.url_map.bind("localhost").build(rule.endpoint, arguments_)
            for query in _query_variants(rule.endpoint, scenario):
                yield f"{rule.endpoint}#{slot}{query}", path + query


def _sheets(content: bytes) -> dict[str, list[tuple]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def normalised(response) -> tuple:
    """What a person sees of an answer, minus what differs on every request."""
    content = response.get_data()
    kind = response.mimetype
    if response.status_code in (301, 302, 303):  # the body only repeats the location
        body = ""
    elif content.startswith(b"PK"):  # a workbook: compared by the values of its cells
        body = _sheets(content)
    elif kind == "application/json":
        body = json.loads(content)
    else:
        text = content.decode("utf-8", errors="replace")
        body = UUID.sub("<uuid>", CSRF_INPUT.sub("<csrf>", text))
    # A redirect to the login page names the page asked for, whose id is the one thing that differs.
    location = UUID.sub("<uuid>", response.headers.get("Location", "").split("?next=")[0])
    return response.status_code, kind, location, body


def fetch_all(app: Flask, scenario: Scenario) -> tuple[dict[tuple[str, str], tuple], list[int]]:
    """Every observer's view of every GET route; also the bid count the demand's OSPOD is shown."""
    seen: dict[tuple[str, str], tuple] = {}
    counts: list[int] = []
    own_demand_page = f"/demands/{scenario.open_demand.id}"
    for persona in OBSERVERS:
        # Each observer's crawl starts with the rate limits untouched: the API counts requests without a
        # token per address, the same for every test client, and a limit reached mid-crawl is no leak.
        limiter.reset()
        client = app.test_client()
        log_in(app, client, scenario.personas[persona])
        for key, url in urls(app, scenario, persona):
            answer = normalised(client.get(url))
            if persona == "ospod" and url == own_demand_page:
                status, kind, location, body = answer
                counts += [int(n) for n in BID_COUNT.findall(body)]
                answer = (status, kind, location, BID_COUNT.sub("Počet podaných nabídek: <N>", body))
            seen[persona, key] = answer
    return seen, counts


def differences(before: dict, after: dict, stage: str) -> list[str]:
    found = []
    for key in before:
        if before[key] == after.get(key):
            continue
        persona, route = key
        old, new = before[key], after.get(key)
        if old[:3] != (new or ())[:3]:
            detail = f"odpověď {old[:3]} → {(new or ())[:3]}"
        elif isinstance(old[3], str):
            lines = difflib.unified_diff(old[3].splitlines(), new[3].splitlines(), lineterm="", n=0)
            detail = " | ".join(line.strip() for line in list(lines)[2:8])
        else:
            detail = f"{str(old[3])[:300]} → {str(new[3])[:300]}"
        found.append(f"{stage}: {persona} {route}: {detail}")
    return found


def told_others(scenario: Scenario) -> tuple[int, int]:
    """Notifications and e-mails written for anyone but the bidder."""
    bidder = scenario.personas.provider
    return (
        db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.user_id != bidder.id)),
        db.session.scalar(sa.select(sa.func.count(OutboxEmail.id)).where(OutboxEmail.recipient != bidder.email)),
    )


def published_count(app: Flask, user, ico: str) -> str:
    client = app.test_client()
    log_in(app, client, user)
    page = client.get(f"/reports/spend?provider={ico}").get_data(as_text=True)
    return PUBLISHED.search(page).group(1).strip()


# --- the test ------------------------------------------------------------------------------------
def test_nobody_but_the_bidder_can_tell_who_bid_before_the_deadline(app, scenario):
    p = scenario.personas
    demand, bidder = scenario.open_demand, p.provider.provider

    def submit(unit_price: str):
        bid = make_bid(demand, bidder, unit_price, attachments=[("nabidka.pdf", MINIMAL_PDF + unit_price.encode())])
        db.session.commit()
        return bid

    def withdraw():
        bids.withdraw_bid(scenario.bids["second"])
        db.session.commit()

    steps = {
        STAGES[1]: lambda: scenario.bids.update(first=submit("480")),
        STAGES[2]: lambda: scenario.bids.update(second=submit("470")),
        STAGES[3]: withdraw,
    }
    baseline, counts = fetch_all(app, scenario)
    summaries, told = summary.snapshot(), told_others(scenario)
    # Not vacuous: no page fails, and the officials do see the minitender and the reports.
    assert not [key for key, answer in baseline.items() if answer[0] >= 500]
    for persona in ("admin", "ministry", "kraj", "ospod"):
        assert baseline[persona, "demands.detail#0"][0] == 200
        assert baseline[persona, f"reports.spend#0?provider={bidder.ico}"][0] == 200
    problems = []
    for stage, act in steps.items():
        act()
        if told_others(scenario) != told:
            problems.append(f"{stage}: notifikace nebo e-mail někomu jinému než uchazeči")
        if summary.snapshot() != summaries:
            problems.append(f"{stage}: průběžné součty reportů se pohnuly před koncem lhůty")
        seen, stage_counts = fetch_all(app, scenario)
        counts += stage_counts
        problems += differences(baseline, seen, stage)
    # The demand's own OSPOD, and only it, sees the bids arrive (a replacement is still one bid).
    if counts != [0, 1, 1, 0]:
        problems.append(f"OSPOD poptávky vidí počty nabídek {counts}, čekáno [0, 1, 1, 0]")

    assert not problems, "Před koncem lhůty se dá poznat, kdo podal nabídku:\n" + "\n".join(problems)


def test_after_the_deadline_the_provider_report_counts_the_bid(app, scenario):
    """Sealing must not hide participation forever: once the deadline has passed, the competition
    numbers about the bidder include the minitender it bid in (and not the one where it withdrew)."""
    p = scenario.personas
    ico = p.provider.provider.ico
    before = published_count(app, p.admin, ico)
    make_bid(scenario.open_demand, p.provider.provider, "480")
    withdrawn = make_bid(scenario.open_demand, p.interloper.provider, "490")
    bids.withdraw_bid(withdrawn)
    db.session.commit()
    assert published_count(app, p.admin, ico) == before
    with clock.frozen_at(scenario.open_demand.deadline + dt.timedelta(minutes=1)):
        for observer in (p.admin, p.ministry, p.kraj, p.ospod):
            assert published_count(app, observer, ico) == str(int(before) + 1)
            assert published_count(app, observer, p.interloper.provider.ico) == "1"  # only the past one
