"""Load test: the last minute before a deadline (run by hand or by .ci/run; not collected by pytest).

    MINITENDR_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test \\
        .venv/bin/python -m tests.live.load [--quick] [--providers N] [--seconds S] [--workers W]

gunicorn with several sync workers on loopback, PostgreSQL (a database of its own beside the given
one, dropped afterwards). Many providers submit and replace bids on three minitenders whose deadline
falls in the coming minute (the server's test clock is set so), paced as people are, while officials
load the spend dashboard over synthetic national data. Afterwards: every acknowledged bid is in the
database exactly once, no provider has two live bids on a minitender, the live one is the last
acknowledged, no 5xx. It prints throughput and p50/p95/p99 latency of each kind of request, and the
same for a minimal endpoint inserting one row on the same stack, with the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import requests
import sqlalchemy as sa

from tests.factories import bid_form
from tests.live.client import User
from tests.live.server import Server, live_database, prepare, stored_bids

PASSWORD = "Zátěžový-test-2026"
BIDDER_PAUSE = (2.2, 4.0)  # seconds between one provider's submissions: under 30 a minute per account
OFFICIAL_PAUSE = (0.2, 1.0)
OFFICIALS = 6


def scenario(providers: int, subcontracts: int):
    def build() -> dict:
        from werkzeug.security import generate_password_hash

        from minitendr.auth.models import Role
        from minitendr.auth.models import User as Account
        from minitendr.db import db
        from minitendr.frameworks.models import FrameworkContract
        from minitendr.frameworks.service import add_party
        from minitendr.seeding.synthetic import generate
        from tests.factories import ProviderFactory, UserFactory, make_demand

        generate(subcontracts, seed=5)  # national data for the dashboards
        framework = db.session.execute(
            sa.select(FrameworkContract).where(FrameworkContract.number == "RS-PAK-2025-TER")
        ).scalar_one()
        password = generate_password_hash(PASSWORD)
        emails = []
        for n in range(providers):
            provider = ProviderFactory()
            add_party(framework, provider, framework.valid_from)
            UserFactory(
                email=f"zatez{n}@poskytovatel.cz",
                role=Role.PROVIDER,
                provider=provider,
                password_hash=password,
            )
            emails.append(f"zatez{n}@poskytovatel.cz")
        for email in ("ospod.pardubice@demo.cz", "kraj.pak@demo.cz", "mpsv@demo.cz"):
            db.session.execute(sa.select(Account).where(Account.email == email)).scalar_one().password_hash = password
        ospod = db.session.execute(sa.select(Account).where(Account.email == "ospod.pardubice@demo.cz")).scalar_one()
        demands = [make_demand(ospod, publish=True, estimated_max_value=None) for _ in range(3)]
        db.session.flush()
        return {
            "providers": emails,
            "demands": [(d.id, str(d.volume).replace(".", ","), d.start_date.isoformat()) for d in demands],
            "deadline": min(d.deadline for d in demands),
        }

    return build


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[tuple[float, float, int]]] = defaultdict(list)  # (start, seconds, status)

    def timed(self, kind: str, call, *args):
        started = time.perf_counter()
        try:
            response = call(*args)
            status = response.status_code
        except requests.RequestException:
            response, status = None, 0
        with self.lock:
            self.samples[kind].append((started, time.perf_counter() - started, status))
        return response

    def report(self, kind: str) -> dict:
        rows = self.samples[kind]
        seconds = sorted(s for _, s, _ in rows)
        span = max(start + s for start, s, _ in rows) - min(start for start, _, _ in rows)
        q = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else seconds * 99
        return {
            "count": len(rows),
            "per_second": len(rows) / span if span else float("nan"),
            "p50": q[49] * 1000,
            "p95": q[94] * 1000,
            "p99": q[98] * 1000,
            "statuses": dict(sorted(_count(status for _, _, status in rows).items())),
        }


def _count(values) -> dict:
    counts: dict = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts


def probe(server: Server, plan: dict, seconds: float, recorder: Recorder) -> None:
    """The minimal endpoint under the same arrival pattern as the rush: as many clients, paced alike."""
    end = time.monotonic() + seconds

    def run(seed: int, pause: tuple[float, float]) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        time.sleep(rng.uniform(0, 2))
        while time.monotonic() < end:
            recorder.timed("probe: insert one row", session.post, server.base_url + "/_probe")
            time.sleep(rng.uniform(*pause))

    threads = [threading.Thread(target=run, args=(n, BIDDER_PAUSE)) for n in range(len(plan["providers"]))]
    threads += [threading.Thread(target=run, args=(n, OFFICIAL_PAUSE)) for n in range(OFFICIALS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def rush(server: Server, plan: dict, seconds: float, recorder: Recorder) -> dict:
    """Until the deadline: providers bid and replace (a few seconds between their submissions, as
    people do), officials reload dashboards."""
    end = time.monotonic() + seconds
    attempts: dict = defaultdict(list)  # (email, demand) -> [(price, acknowledged)]
    lock = threading.Lock()
    officials = [
        User(server.base_url, email, PASSWORD)
        for email in ("kraj.pak@demo.cz", "mpsv@demo.cz", "ospod.pardubice@demo.cz")
    ]
    bidders = [User(server.base_url, email, PASSWORD) for email in plan["providers"]]

    def bidder(user: User, seed: int) -> None:
        rng = random.Random(seed)
        serial = 0
        time.sleep(rng.uniform(0, 2))
        while time.monotonic() < end - 1:
            demand_id, volume, start = rng.choice(plan["demands"])
            serial += 1
            price = Decimal(400) + Decimal(seed) + Decimal(serial) / 100  # unique per provider and attempt
            kind = "bid: replace" if attempts[(user.email, demand_id)] else "bid: submit"
            response = recorder.timed(
                kind, user.post, f"/demands/{demand_id}/bid", bid_form(str(price).replace(".", ","), volume, start)
            )
            with lock:
                attempts[(user.email, demand_id)].append((price, response is not None and response.status_code == 302))
            time.sleep(rng.uniform(*BIDDER_PAUSE))

    def official(user: User, seed: int) -> None:
        rng = random.Random(seed)
        pages = ["/reports/spend", "/reports/spend?year=2024", "/reports/spend?category=terenni"]
        if user.email.startswith("kraj"):
            pages = ["/reports/spend", "/reports/spend?orp=5309", "/reports/spend?year=2025"]
        if user.email.startswith("ospod"):
            pages = ["/reports/spend", "/demands/"]
        while time.monotonic() < end:
            recorder.timed("dashboard: /reports/spend", user.get, rng.choice(pages))
            time.sleep(rng.uniform(*OFFICIAL_PAUSE))

    threads = [threading.Thread(target=bidder, args=(u, n)) for n, u in enumerate(bidders)]
    threads += [threading.Thread(target=official, args=(u, n)) for n, u in enumerate(officials * (OFFICIALS // 3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return attempts


def verify(url: str, attempts: dict, recorder: Recorder) -> list[str]:
    problems = []
    for kind, rows in recorder.samples.items():
        errors = [status for _, _, status in rows if status >= 500 or status == 0]
        if errors:
            problems.append(f"{kind}: {len(errors)} answers 5xx or none")
    engine = sa.create_engine(url)
    with engine.connect() as db:
        duplicates = db.execute(
            sa.text(
                "SELECT demand_id, provider_id FROM bid WHERE status = 'submitted' "
                "GROUP BY demand_id, provider_id HAVING count(*) > 1"
            )
        ).all()
    engine.dispose()
    bids = stored_bids(url, "zatez%")
    stored = _count((email, demand, Decimal(str(price)).quantize(Decimal("0.01"))) for email, demand, price, _ in bids)
    live = {(email, demand): Decimal(str(price)) for email, demand, price, status in bids if status == "submitted"}
    if duplicates:
        problems.append(f"live duplicates: {duplicates}")
    acknowledged = 0
    for (email, demand), tries in attempts.items():
        for price, ok in tries:
            if ok:
                acknowledged += 1
                if stored.get((email, demand, price)) != 1:
                    problems.append(
                        f"acknowledged bid {email} {demand} {price} stored {stored.get((email, demand, price), 0)}×"
                    )
        last = [price for price, ok in tries if ok]
        if last and live.get((email, demand)) != last[-1]:
            problems.append(f"{email} {demand}: live bid {live.get((email, demand))}, last acknowledged {last[-1]}")
    print(f"\n{acknowledged} acknowledged bids checked: each stored exactly once, the last one live.")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short bounded run (CI)")
    parser.add_argument("--providers", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    providers = args.providers or (12 if args.quick else 60)
    seconds = args.seconds or (15 if args.quick else 60)
    subcontracts = 2000 if args.quick else 20000
    if not os.environ.get("MINITENDR_TEST_DATABASE_URL"):
        print("Set MINITENDR_TEST_DATABASE_URL to a PostgreSQL database (the load test makes its own beside it).")
        return 2
    with tempfile.TemporaryDirectory() as folder, live_database(Path(folder), "load") as url:
        started = time.perf_counter()
        plan = prepare(url, Path(folder), scenario(providers, subcontracts))
        print(f"prepared: {providers} providers, {subcontracts} sub-contracts in {time.perf_counter() - started:.0f} s")
        env = {"MINITENDR_LOGIN_LIMIT_PER_ADDRESS": "10000 per minute"}  # every client comes from 127.0.0.1
        with Server(url, Path(folder), workers=args.workers, env=env) as server:
            engine = sa.create_engine(url)
            with engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE load_probe (id serial PRIMARY KEY, note text)")
            engine.dispose()
            recorder = Recorder()
            # The deadline is a minute away (or the run's length): the last minute before it.
            deadline = plan["deadline"]
            server.move_clock(deadline - dt.timedelta(seconds=seconds) - dt.datetime.now(dt.UTC))
            attempts = rush(server, plan, seconds, recorder)
            probe(server, plan, seconds, recorder)
            problems = verify(url, attempts, recorder) + [f"server: {e[:300]}" for e in server.errors_in_log()]
    reports = {kind: recorder.report(kind) for kind in sorted(recorder.samples)}
    print(f"\n{'request':32s} {'count':>6s} {'req/s':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s}  statuses")
    for kind, r in reports.items():
        print(
            f"{kind:32s} {r['count']:6d} {r['per_second']:7.1f} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f}  "
            f"{r['statuses']}"
        )
    base = reports["probe: insert one row"]
    for kind, r in reports.items():
        if kind.startswith("probe"):
            continue
        ratios = "  ".join(f"{q} {r[q] / base[q]:5.1f}×" for q in ("p50", "p95", "p99"))
        print(f"{kind:32s} vs probe: {ratios}")
    if problems:
        print("\nPROBLEMS:\n" + "\n".join(problems))
        return 1
    print("\nno 5xx, no live duplicates, every acknowledged bid stored exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
