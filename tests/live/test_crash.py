"""kill -9 of gunicorn workers while bids, awards and drawdowns are being written: afterwards the
database holds no half-written record and every invariant still holds — ceilings, one live bid per
provider, drawn ≤ contracted, an audit event for every change, the report totals equal to a rebuild,
and everything the server acknowledged is there."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import threading
import time
from collections import defaultdict
from decimal import Decimal

import requests
import sqlalchemy as sa

from tests.factories import bid_form
from tests.live.client import User
from tests.live.server import LIVE_BID_KEY, Server, live_database, prepare, stored_bids

KILLS = int(os.environ.get("MINITENDR_CRASH_KILLS", 6))


def scenario() -> dict:
    """Open minitenders to bid on, evaluated ones ready to award, sub-contracts with drawdowns waiting
    for confirmation — all made through the services."""
    from minitendr import clock
    from minitendr.auth.models import User as Account
    from minitendr.bids.service import score_bid
    from minitendr.contracts.service import report_drawdown
    from minitendr.db import db
    from minitendr.demands.evaluation import award, open_envelopes
    from minitendr.frameworks.models import FrameworkContract
    from tests.factories import make_bid, make_demand, seat_committee

    framework = db.session.execute(
        sa.select(FrameworkContract).where(FrameworkContract.number == "RS-PAK-2025-TER")
    ).scalar_one()
    providers = [party.provider for party in framework.active_parties][:4]
    ospod = db.session.execute(sa.select(Account).where(Account.email == "ospod.pardubice@demo.cz")).scalar_one()
    accounts = {p.id: db.session.scalar(sa.select(Account.email).where(Account.provider_id == p.id)) for p in providers}
    with clock.frozen_at(clock.now() - dt.timedelta(days=30)):
        evaluated = [make_demand(ospod, publish=True) for _ in range(9)]
        bids = [
            make_bid(d, provider, unit_price=str(450 + 10 * n))
            for d in evaluated
            for n, provider in enumerate(providers[:2])
        ]
    for demand in evaluated:
        seat_committee(demand, ospod)
        open_envelopes(demand, ospod)
    for bid in bids:
        score_bid(bid, 70, "Odpovídá zadání.", by=ospod)
    signed = [award(demand, ospod) for demand in evaluated[6:]]
    waiting = [
        report_drawdown(sc, sc.provider, period=sc.start_date, units=Decimal(2), amount=sc.unit_price * 2)
        for sc in signed
    ]
    open_demands = [make_demand(ospod, publish=True) for _ in range(3)]
    db.session.flush()
    return {
        "providers": [accounts[p.id] for p in providers],
        "to_award": [d.id for d in evaluated[:6]],
        "drawdowns": [(d.subcontract_id, d.id) for d in waiting],
        "open": [(d.id, str(d.volume).replace(".", ","), d.start_date.isoformat()) for d in open_demands],
    }


def test_killed_workers_leave_no_half_written_record(tmp_path):
    with live_database(tmp_path, "crash") as url:
        plan = prepare(url, tmp_path, scenario)
        with Server(
            url,
            tmp_path,
            workers=3,
            env={"MINITENDR_BID_LIMIT": "10000 per minute", "MINITENDR_TEST_SLOW_COMMIT": "0.15"},
        ) as server:
            outcomes = rush(server, plan)
        check_invariants(url, tmp_path, plan, outcomes)


def rush(server: Server, plan: dict) -> dict:
    """Writers in threads for a few seconds while workers are killed; every outcome is recorded as
    acknowledged, refused, or unknown (the connection died with the worker)."""
    outcomes: dict = {"bids": defaultdict(list), "awards": {}, "confirms": {}, "statuses": [], "cut": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def note(kind, key, value) -> None:
        with lock:
            if kind == "bids":
                outcomes["bids"][key].append(value)
            else:
                outcomes[kind][key] = value

    def attempt(call, *args):
        try:
            response = call(*args)
        except requests.RequestException:
            with lock:
                outcomes["cut"] += 1
            return None
        with lock:
            outcomes["statuses"].append(response.status_code)
        return response

    def bidder(user: User, seed: int) -> None:
        rng = random.Random(seed)
        serial = 0
        while not stop.is_set():
            demand_id, volume, start = rng.choice(plan["open"])
            serial += 1
            price = f"{400 + 20 * seed + serial // 100},{serial % 100:02d}"  # unique per session and attempt
            sent = time.monotonic()
            response = attempt(user.post, f"/demands/{demand_id}/bid", bid_form(price, volume, start))
            state = "unknown" if response is None else ("ack" if response.status_code == 302 else "refused")
            price = Decimal(price.replace(",", "."))
            note("bids", (user.email, demand_id), (state, price, sent, time.monotonic()))

    def outcome(user: User, path: str) -> str:
        """The message the application answered with, or "unknown" when a kill cut the POST or the
        page that shows its result."""
        response = attempt(user.post, path)
        try:
            return "unknown" if response is None else user.flash_after(response)
        except requests.RequestException:
            return "unknown"

    def official(user: User) -> None:
        for demand_id in plan["to_award"]:
            note("awards", demand_id, outcome(user, f"/demands/{demand_id}/award"))
        for subcontract_id, drawdown_id in plan["drawdowns"]:
            note(
                "confirms",
                drawdown_id,
                outcome(user, f"/subcontracts/{subcontract_id}/drawdowns/{drawdown_id}/confirm"),
            )

    # Everyone logs in first: the kills are for the writes.
    bidders = [User(server.base_url, email) for email in plan["providers"] for _ in range(2)]
    threads = [threading.Thread(target=bidder, args=(user, n)) for n, user in enumerate(bidders)]
    threads.append(threading.Thread(target=official, args=(User(server.base_url, "ospod.pardubice@demo.cz"),)))
    for thread in threads:
        thread.start()
    killed = 0
    time.sleep(0.5)
    while killed < KILLS:
        workers = server.worker_pids()
        if workers:
            os.kill(random.choice(workers), signal.SIGKILL)
            killed += 1
        time.sleep(0.7)
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert requests.get(server.base_url + "/healthz", timeout=10).status_code == 200  # the master replaced them
    outcomes["killed"] = killed
    return outcomes


def check_invariants(url: str, folder, plan: dict, outcomes: dict) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as db:

        def rows(sql: str, **params) -> list:
            return db.execute(sa.text(sql), params).all()

        assert not [s for s in outcomes["statuses"] if s >= 500], "a 5xx answer"
        assert sum(len(v) for v in outcomes["bids"].values()) > 10, "the rush wrote too little to prove anything"
        # Ceilings: no framework commits more than its ceiling.
        assert not rows(
            "SELECT f.id FROM framework_contract f JOIN subcontract s ON s.framework_id = f.id "
            "GROUP BY f.id, f.ceiling HAVING sum(s.value) > f.ceiling"
        )
        # One live bid per provider and minitender; every replaced bid points at its successor.
        assert not rows(
            "SELECT demand_id, provider_id FROM bid WHERE status = 'submitted' "
            "GROUP BY demand_id, provider_id HAVING count(*) > 1"
        )
        assert not rows(
            "SELECT b.id FROM bid b LEFT JOIN bid n ON n.id = b.replaced_by_id "
            "WHERE b.status = 'replaced' AND (n.id IS NULL OR n.demand_id <> b.demand_id)"
        )
        # Drawn never above contracted; an award is whole (demand, winning bid and sub-contract together).
        assert not rows(
            "SELECT s.id FROM subcontract s JOIN drawdown d ON d.subcontract_id = s.id "
            "WHERE d.status IN ('submitted', 'confirmed') GROUP BY s.id, s.value HAVING sum(d.amount) > s.value"
        )
        assert not rows(
            "SELECT d.id FROM demand d LEFT JOIN subcontract s ON s.demand_id = d.id "
            "WHERE (d.status = 'awarded') <> (s.id IS NOT NULL)"
        )
        assert not rows(
            "SELECT s.id FROM subcontract s JOIN bid b ON b.id = s.bid_id "
            "WHERE b.status <> 'awarded' OR b.demand_id <> s.demand_id"
        )
        # An audit event for every change.
        for table, action in (("bid", "bid.submitted"), ("subcontract", "subcontract.created")):
            assert not rows(
                f"SELECT x.id FROM {table} x WHERE NOT EXISTS (SELECT 1 FROM audit_event a "
                f"WHERE a.action = :action AND a.object_id = x.id AND a.object_type = :table)",
                action=action,
                table=table,
            ), action
        assert not rows(
            "SELECT d.id FROM demand d WHERE d.status = 'awarded' AND NOT EXISTS "
            "(SELECT 1 FROM audit_event a WHERE a.action = 'demand.awarded' AND a.object_id = d.id)"
        )
        confirmed_audit = {
            int(data["drawdown"])
            for (data,) in rows("SELECT data FROM audit_event WHERE action = 'drawdown.confirmed'")
            for data in [data if isinstance(data, dict) else json.loads(data)]
        }
        confirmed = {i for (i,) in rows("SELECT id FROM drawdown WHERE status = 'confirmed'")}
        assert confirmed == confirmed_audit

        # What the server acknowledged is there.
        for demand_id, message in outcomes["awards"].items():
            status = rows("SELECT status FROM demand WHERE id = :id", id=demand_id)[0][0]
            if "je zadán" in message:
                assert status == "awarded", (demand_id, message)
        for drawdown_id, message in outcomes["confirms"].items():
            if "potvrzeno" in message:
                assert drawdown_id in confirmed
        stored = {
            (email, demand, Decimal(str(price)).quantize(Decimal("0.01"))): status
            for email, demand, price, status in stored_bids(url)
        }
        for (email, demand_id), attempts in outcomes["bids"].items():
            for state, price, _, _ in attempts:
                if state == "ack":
                    assert (email, demand_id, price) in stored, (email, demand_id, price)
            if not any(state == "ack" for state, *_ in attempts):
                continue
            live = [
                price
                for (e, d, price), status in stored.items()
                if (e, d) == (email, demand_id) and status == "submitted"
            ]
            # The account bids from two sessions at once, so the order of the answers is not the order of the
            # commits. The live bid is one whose request ended before no acknowledged one began: anything
            # acknowledged after it was sent later would have replaced it.
            possible = {
                price
                for state, price, _, ended in attempts
                if state != "refused" and not any(s == "ack" and began > ended for s, _, began, _ in attempts)
            }
            assert len(live) == 1 and live[0] in possible, (email, demand_id, live, attempts)
    engine.dispose()
    check_summaries(url, folder)
    print(
        f"\ncrash test: {outcomes['killed']} workers killed, {outcomes['cut']} requests cut off, "
        f"{len(outcomes['statuses'])} answered ({outcomes['statuses'].count(302)} writes acknowledged), no 5xx, "
        "every invariant holds"
    )


def check_summaries(url: str, folder) -> None:
    """The running report totals survived too: they equal a rebuild from the records."""
    from minitendr import create_app
    from minitendr.db import db
    from minitendr.reports import summary

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "BID_KEY": LIVE_BID_KEY, "EXPORTS_DIR": str(folder)}
    )
    with app.app_context():
        kept = summary.snapshot()
        summary.rebuild()
        assert summary.snapshot() == kept
        db.session.rollback()
        db.engine.dispose()
