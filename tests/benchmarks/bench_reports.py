"""Benchmarks for the spend reports (run by hand; not collected by pytest):

    .venv/bin/python -m tests.benchmarks.bench_reports [10000 100000 1000000]

For each size it seeds synthetic data into a fresh SQLite file and prints:
- the spend dashboard's response time through the Flask test client (median of several runs) against
  the bare SQL query computing the same kraj × category numbers (target at 1 000 000: ≤ 1.2×);
- the Excel export of 100 000 detail rows against XlsxWriter writing the same rows in constant-memory
  mode with nothing else, and against pandas' ``DataFrame.to_excel`` (targets: ≤ 1.25× the bare
  XlsxWriter, faster than pandas), with the peak Python memory of each.
"""

from __future__ import annotations

import contextvars
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa
import xlsxwriter
from flask_migrate import upgrade

from minitendr import create_app
from minitendr.auth.models import Role, User
from minitendr.db import db, read_only
from minitendr.registry.service import load_reference_data
from minitendr.reports import exports, service
from minitendr.seeding.synthetic import generate

BARE_MATRIX = """
SELECT k.code, c.code, count(s.id), sum(s.value), coalesce(sum(d.drawn), 0)
FROM subcontract s
LEFT JOIN (SELECT subcontract_id, sum(amount) AS drawn FROM drawdown WHERE status = 'confirmed'
           GROUP BY subcontract_id) d ON d.subcontract_id = s.id
JOIN orp o ON o.id = s.orp_id JOIN kraj k ON k.id = o.kraj_id JOIN service_category c ON c.id = s.category_id
GROUP BY k.code, c.code
"""


def median_seconds(run, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def timed_and_peak(run) -> tuple[float, float]:
    """Seconds of a plain run, then the peak Python memory of a second, traced run (tracing slows
    Python code down unevenly, so it must not be in the timing)."""
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1024 / 1024


def bench_size(size: int, folder: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench-{size}.db",
        }
    )
    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        load_reference_data(Path(app.config["SEED_DIR"]))
        db.session.commit()
        started = time.perf_counter()
        counts = generate(size, seed=1)
        print(f"\n== {size:,} sub-contracts: seeded {counts['rows']:,} rows in {time.perf_counter() - started:.1f} s")
        user = User(email="bench@mpsv.cz", name="Benchmark", role=Role.MINISTRY, password_hash="x")
        db.session.add(user)
        db.session.commit()
        user_id = user.id

        def bare() -> None:
            with read_only():
                db.session.execute(sa.text(BARE_MATRIX)).all()
                db.session.rollback()

        times = 5 if size <= 100_000 else 3
        bare_s = median_seconds(bare, times)

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    app.config["SESSION_PROTECTION"] = None

    def dashboard() -> None:
        response = contextvars.Context().run(client.get, "/reports/spend")
        assert response.status_code == 200, response.status_code

    dashboard()  # warm
    dash_s = median_seconds(dashboard, times)
    print(
        f"dashboard /reports/spend: {dash_s * 1000:8.0f} ms   bare kraj × category SQL: {bare_s * 1000:8.0f} ms"
        f"   ratio {dash_s / bare_s:.2f}×   (target ≤ 1.2× at 1 000 000)"
    )

    if size == 100_000:
        excel(app, user_id, folder)


def excel(app, user_id: int, folder: Path) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        filters = service.parse_filters({}, user)
        with read_only():
            rows = list(exports.detail_rows(filters, user))
            db.session.rollback()
        print(f"Excel of {len(rows):,} detail rows × {len(exports.DETAIL_COLUMNS)} columns:")

        def ours() -> None:
            with read_only():
                exports.write_workbook(str(folder / "ours.xlsx"), filters, user)
                db.session.rollback()

        def bare_xlsxwriter() -> None:
            workbook = xlsxwriter.Workbook(str(folder / "bare.xlsx"), {"constant_memory": True})
            sheet = workbook.add_worksheet("Detail")
            money = workbook.add_format({"num_format": '#,##0.00 "Kč"'})
            date = workbook.add_format({"num_format": "d.m.yyyy"})
            sheet.write_row(0, 0, exports.DETAIL_COLUMNS)
            import datetime as dt
            from decimal import Decimal

            for i, row in enumerate(rows, start=1):
                for j, value in enumerate(row):
                    if isinstance(value, dt.date):
                        sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), date)
                    elif isinstance(value, Decimal):
                        sheet.write_number(i, j, float(value), money)
                    else:
                        sheet.write_string(i, j, str(value))
            workbook.close()

        def with_pandas() -> None:
            import pandas as pd

            frame = pd.DataFrame(rows, columns=exports.DETAIL_COLUMNS)
            frame.to_excel(folder / "pandas.xlsx", sheet_name="Detail", index=False)

        results = {
            name: timed_and_peak(run)
            for name, run in (
                ("minitendr export (whole workbook)", ours),
                ("bare XlsxWriter (detail only)", bare_xlsxwriter),
                ("pandas to_excel (detail only)", with_pandas),
            )
        }
        bare_s = results["bare XlsxWriter (detail only)"][0]
        for name, (seconds, peak) in results.items():
            print(f"  {name:36s} {seconds:7.1f} s   {seconds / bare_s:4.2f}× bare   peak Python memory {peak:7.1f} MB")

        fewer = service.parse_filters({"kraj": "CZ020"}, user)  # Středočeský kraj: about a tenth of the rows

        def ours_fewer() -> None:
            with read_only():
                exports.write_workbook(str(folder / "ours-fewer.xlsx"), fewer, user)
                db.session.rollback()

        _, peak_fewer = timed_and_peak(ours_fewer)
        print(
            f"  peak memory of our export does not grow with rows: {peak_fewer:.1f} MB for "
            f"{exports.detail_count(fewer, user):,} rows, "
            f"{results['minitendr export (whole workbook)'][1]:.1f} MB for {len(rows):,}"
        )


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            bench_size(size, Path(folder))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
