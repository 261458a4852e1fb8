"""Two application hosts that keep nothing of their own: each gunicorn has its own instance folders, and
both share one database, one Redis and one S3 bucket (moto's server), as behind a load balancer. A bid
attachment uploaded through one host downloads through the other; an export started on one host is
written by an RQ worker (a third host) and downloads from the other. One browser session goes to both
hosts, as a load balancer would send it."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from tests.conftest import S3_BUCKET, S3_CREDENTIALS
from tests.factories import bid_form
from tests.live.client import User
from tests.live.server import LIVE_BID_KEY, ROOT, Server, live_database, prepare

# A Redis database of this test's own (test_sessions uses 15); its worker takes jobs from a queue of the
# test's own too, so that a worker of another run against the same Redis cannot take them.
REDIS_URL = "redis://127.0.0.1:6379/14"


def scenario() -> dict:
    """An open minitender to bid on, and an awarded one: a sub-contract for the spend export."""
    from minitendr import clock
    from minitendr.auth.models import User as Account
    from minitendr.bids.service import score_bid
    from minitendr.db import db
    from minitendr.demands.evaluation import award, open_envelopes
    from minitendr.frameworks.models import FrameworkContract
    from tests.factories import make_bid, make_demand, seat_committee

    framework = db.session.execute(
        sa.select(FrameworkContract).where(FrameworkContract.number == "RS-PAK-2025-TER")
    ).scalar_one()
    provider = framework.active_parties[0].provider
    ospod = db.session.execute(sa.select(Account).where(Account.email == "ospod.pardubice@demo.cz")).scalar_one()
    with clock.frozen_at(clock.now() - dt.timedelta(days=30)):
        awarded = make_demand(ospod, publish=True)
        bid = make_bid(awarded, provider, unit_price="450")
    seat_committee(awarded, ospod)
    open_envelopes(awarded, ospod)
    score_bid(bid, 70, "Odpovídá zadání.", by=ospod)
    award(awarded, ospod)
    demand = make_demand(ospod, publish=True)
    db.session.flush()
    return {
        "provider": db.session.scalar(sa.select(Account.email).where(Account.provider_id == provider.id)),
        "demand": demand.id,
        "volume": str(demand.volume).replace(".", ","),
        "start": demand.start_date.isoformat(),
    }


class Cluster:
    def __init__(self, url: str, plan: dict, a: Server, b: Server, env: dict[str, str], folder: Path) -> None:
        self.url, self.plan, self.a, self.b, self.env, self.folder = url, plan, a, b, env, folder

    def run_worker(self, export_id: str) -> str:
        """The job node A queued, done by ``rq worker --burst`` in a process of its own; its log."""
        redis = Redis.from_url(REDIS_URL)
        shared = Queue("minitendr", connection=redis)
        job = next(job for job in shared.get_jobs() if job.args == (export_id,))
        shared.remove(job)
        private = Queue(f"cluster-{uuid.uuid4().hex}", connection=redis)
        private.enqueue_job(job)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, private.name],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            private.delete(delete_jobs=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, s3_endpoint) -> Iterator[Cluster]:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    folder = tmp_path_factory.mktemp("cluster")
    shared = {
        **S3_CREDENTIALS,
        "MINITENDR_STORAGE_URL": f"s3://{S3_BUCKET}/cluster-{uuid.uuid4().hex}",
        "MINITENDR_S3_ENDPOINT_URL": s3_endpoint,
        "MINITENDR_REDIS_URL": REDIS_URL,
        "MINITENDR_EXPORT_SYNC_LIMIT": "0",  # every export runs in the background
    }
    with live_database(folder, "cluster") as url:
        plan = prepare(url, folder, scenario)
        # The worker: a host of its own, with the application's settings and folders of its own.
        worker = folder / "worker"
        env = {
            **os.environ,
            **shared,
            "PYTHONPATH": str(ROOT),
            "MINITENDR_DATABASE_URL": url,
            "MINITENDR_SECRET_KEY": "live-tests-secret",
            "MINITENDR_BID_KEY": LIVE_BID_KEY,
            "MINITENDR_ATTACHMENTS_DIR": str(worker / "attachments"),
            "MINITENDR_EXPORTS_DIR": str(worker / "exports"),
        }
        (folder / "a").mkdir()
        (folder / "b").mkdir()
        with (
            Server(url, folder / "a", workers=1, env=shared) as a,
            Server(url, folder / "b", workers=1, env=shared) as b,
        ):
            yield Cluster(url, plan, a, b, env, folder)
            assert not a.errors_in_log() and not b.errors_in_log()


def attachment_link(url: str, filename: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            bid_id, attachment_id = connection.execute(
                sa.text("SELECT bid_id, id FROM bid_attachment WHERE filename = :name"), {"name": filename}
            ).one()
    finally:
        engine.dispose()
    return f"/bids/{bid_id}/attachments/{attachment_id}"


def test_an_attachment_uploaded_through_one_host_downloads_through_the_other(cluster):
    plan = cluster.plan
    pdf = b"%PDF-1.7\n%" + os.urandom(300_000) + b"\n%%EOF\n"
    provider = User(cluster.a.base_url, plan["provider"])
    sent = provider.post(
        f"/demands/{plan['demand']}/bid",
        bid_form("480", plan["volume"], plan["start"]),
        files={"attachments": ("rozpocet-uzel-a.pdf", pdf, "application/pdf")},
    )
    assert sent.status_code == 302, sent.text[-2000:]
    link = attachment_link(cluster.url, "rozpocet-uzel-a.pdf")
    for node in (cluster.a, cluster.b):  # the file went to the shared store, not to a host's folder
        assert not any((node.log.parent / "attachments").glob("*"))
    downloaded = provider.session.get(cluster.b.base_url + link, timeout=30)
    assert downloaded.status_code == 200 and downloaded.content == pdf
    assert downloaded.headers["Content-Disposition"].endswith("filename=rozpocet-uzel-a.pdf")


def test_an_export_started_on_one_host_is_written_by_a_worker_and_downloads_from_another(cluster):
    official = User(cluster.a.base_url, "mpsv@demo.cz")
    started = official.get("/reports/spend.xlsx", allow_redirects=False)
    assert started.status_code == 302, started.text[-2000:]
    export_id = re.fullmatch(r".*/reports/jobs/([^/]+)", started.headers["Location"]).group(1)
    cluster.run_worker(export_id)
    assert not any((cluster.folder / "worker" / "exports").glob("*.xlsx"))  # nothing left on the worker
    download = f"{cluster.b.base_url}/reports/jobs/{export_id}/download"
    workbook = official.session.get(download, timeout=30)
    assert workbook.status_code == 200, workbook.text[-2000:]
    assert openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames[0] == "Souhrn"
    tail = official.session.get(download, headers={"Range": "bytes=-100"}, timeout=30)
    assert tail.status_code == 206 and tail.content == workbook.content[-100:]
    again = official.session.get(download, headers={"If-None-Match": workbook.headers["ETag"]}, timeout=30)
    assert again.status_code == 304
