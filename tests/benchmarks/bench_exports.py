"""Benchmarks for the exports (run by hand; not collected by pytest), on a database seeded beforehand:

    MINITENDR_DATABASE_URL=sqlite:////tmp/ex100k.db minitendr db upgrade && minitendr seed reference \\
        && minitendr seed synthetic --subcontracts 100000
    .venv/bin/python -m tests.benchmarks.bench_exports sqlite:////tmp/ex100k.db

It prints:
- the national spend CSV written by ``exports.write_csv`` against a bare ``csv.writer`` over the same
  rows from a cursor (the same joins, the values as the driver gives them): CPU and wall seconds,
  median of three (target ≤ 1.2×);
- the first and the second identical request of the national CSV, the workbook (request, job,
  download) and the open-data package through the test client, the second served from the export
  store (target: the second under 5 % of the first).

The peak memory of the open-data package is measured on the command itself:
``/usr/bin/time -v minitendr export ocds -o /tmp/x.json``.
"""

from __future__ import annotations

import contextvars
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

from minitendr import create_app
from minitendr.auth.models import Role, User
from minitendr.db import db, read_only
from minitendr.reports import exports, service

BARE = """
SELECT s.number, k.name, o.name, c.name, t.name, p.name, p.ico, s.signed_on, s.start_date, s.end_date,
       s.units, s.unit_price, s.value, coalesce(d.drawn, 0), s.status
FROM subcontract s JOIN orp o ON o.id = s.orp_id JOIN kraj k ON k.id = o.kraj_id
JOIN service_category c ON c.id = s.category_id JOIN service_type t ON t.id = s.service_type_id
JOIN provider p ON p.id = s.provider_id
LEFT JOIN (SELECT subcontract_id, sum(amount) AS drawn FROM drawdown WHERE status = 'confirmed'
           GROUP BY subcontract_id) d ON d.subcontract_id = s.id
ORDER BY s.id
"""


def measured(run, times: int = 3) -> tuple[float, float]:
    """Median CPU seconds of this process and median wall seconds of ``times`` runs."""
    cpu, wall = [], []
    for _ in range(times):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return statistics.median(cpu), statistics.median(wall)


def csv_against_bare(app, folder: Path) -> None:
    with app.app_context():
        reader = User(role=Role.MINISTRY, email="benchmark", name="benchmark", active=True)
        filters = service.parse_filters({}, reader)

        def ours() -> None:
            with read_only(), open(folder / "ours.csv", "w", encoding="utf-8", newline="") as stream:
                exports.write_csv(stream, filters, reader)
            db.session.rollback()

        def bare() -> None:
            raw = db.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute(BARE)
                with open(folder / "bare.csv", "w", encoding="utf-8", newline="") as stream:
                    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
                    while rows := cursor.fetchmany(exports.BATCH):
                        writer.writerows(rows)
            finally:
                raw.close()

        rows, dialect = exports.detail_count(filters, reader), db.engine.dialect.name
        bare_cpu, bare_wall = measured(bare)
        ours_cpu, ours_wall = measured(ours)
    print(f"CSV of {rows:,} rows on {dialect}:")
    print(f"  bare csv.writer   cpu {bare_cpu:6.2f} s   wall {bare_wall:6.2f} s")
    print(
        f"  exports.write_csv cpu {ours_cpu:6.2f} s   wall {ours_wall:6.2f} s   "
        f"= {ours_cpu / bare_cpu:.2f}× cpu, {ours_wall / bare_wall:.2f}× wall (target ≤ 1.2×)"
    )


def repeats(app) -> None:
    from tests.conftest import IsolatedClient, log_in

    app.test_client_class = IsolatedClient
    with app.app_context():
        user = User(role=Role.MINISTRY, email=f"bench-{time.time_ns()}@mpsv.cz", name="Benchmark", password_hash="x")
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        log_in(app, client, user)

    def get(url: str):
        response = contextvars.Context().run(client.get, url)
        assert response.status_code in (200, 302), (url, response.status_code)
        return response

    def workbook() -> None:
        job_page = get("/reports/spend.xlsx").headers["Location"]
        get(job_page.rstrip("/") + "/download")

    print("The same request twice (the second from the export store):")
    for name, run in (
        ("/reports/spend.csv (national)", lambda: get("/reports/spend.csv")),
        ("/reports/spend.xlsx → job → download", workbook),
        ("/open-data/ocds.json", lambda: get("/open-data/ocds.json")),
    ):
        first = measured(run, 1)[1]
        second = measured(run, 3)[1]
        print(f"  {name:40s} first {first:7.2f} s   second {second * 1000:7.1f} ms   = {second / first:6.2%}")


def main(url: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "SQLALCHEMY_DATABASE_URI": url,
                "EXPORTS_DIR": str(Path(folder) / "exports"),
                "EXPORT_RUNNER": "inline",
                "SESSION_IDLE_TIMEOUT": None,
                "SESSION_MAX_AGE": None,
            }
        )
        csv_against_bare(app, Path(folder))
        repeats(app)


if __name__ == "__main__":
    main(sys.argv[1])
