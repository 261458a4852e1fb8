"""The exports against bare writers over the same rows, their peak memory, and a repeated export.

"Ours" is what a person gets, through the stable interface (``minitendr export spend|ocds`` and the
HTTP endpoints), so the figures hold whatever the export code inside becomes. "Bare" reads the same
rows from a database cursor and hands them to the library with nothing else: ``csv.writer``, XlsxWriter
in constant-memory mode (values already as Excel stores them: doubles and serial days), ``json.dumps``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import xlsxwriter
from flask import Flask
from flask.testing import FlaskClient

from minitendr.config import PROJECT_ROOT
from minitendr.db import db
from minitendr.reports.exports import DETAIL_COLUMNS
from tests.benchmarks.databases import Personas, Target
from tests.benchmarks.pages import client_for, with_query

DETAIL = """
SELECT s.number, k.name, o.name, c.name, t.name, p.name, p.ico, {signed}, {start}, {end},
       {number}(s.units), {number}(s.unit_price), {number}(s.value), {number}(coalesce(d.drawn, 0)), s.status
FROM subcontract s
JOIN orp o ON o.id = s.orp_id JOIN kraj k ON k.id = o.kraj_id
JOIN service_category c ON c.id = s.category_id JOIN service_type t ON t.id = s.service_type_id
JOIN provider p ON p.id = s.provider_id
LEFT JOIN (SELECT subcontract_id, sum(amount) AS drawn FROM drawdown WHERE status = 'confirmed'
           GROUP BY subcontract_id) d ON d.subcontract_id = s.id
ORDER BY s.id
"""
OCDS = (
    """SELECT d.id, d.number, d.published_at, d.deadline, d.decided_at, o.code, o.name, t.name, f.number,
              s.number, s.value, s.start_date, s.end_date, s.signed_on, s.status, p.ico, p.name
       FROM demand d JOIN subcontract s ON s.demand_id = d.id JOIN orp o ON o.id = d.orp_id
       JOIN service_type t ON t.id = d.service_type_id JOIN framework_contract f ON f.id = d.framework_id
       JOIN provider p ON p.id = s.provider_id
       WHERE d.status = 'awarded' ORDER BY d.id""",
    """SELECT b.demand_id, b.id, b.status, b.unit_price, b.units, b.total, b.submitted_at, p.ico, p.name
       FROM bid b JOIN demand d ON d.id = b.demand_id JOIN provider p ON p.id = b.provider_id
       WHERE d.status = 'awarded' AND b.status IN ('awarded', 'not_awarded', 'excluded') ORDER BY b.id""",
    """SELECT w.subcontract_id, w.id, w.period, w.units, w.amount
       FROM drawdown w WHERE w.status = 'confirmed' ORDER BY w.id""",
)


@dataclass(frozen=True)
class Figure:
    """One export: seconds and peak memory (MB: Python's traced peak; the process's peak resident memory for OCDS ours)
    of ours and of the bare writer; ``note`` says what ours is, or why a figure is missing."""

    name: str
    ours_s: float | None
    bare_s: float | None
    ours_mb: float | None = None
    bare_mb: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.ours_s / self.bare_s if self.ours_s and self.bare_s else None


@dataclass(frozen=True)
class Repeat:
    """The same export asked for twice over HTTP: status and seconds of each request."""

    name: str
    first_status: int | str
    first_s: float | None
    second_status: int | str
    second_s: float | None

    @property
    def ratio(self) -> float | None:
        return self.second_s / self.first_s if self.first_s and self.second_s else None


def _rows(sql: str, batch: int = 5000) -> Iterator[tuple]:
    """The rows of ``sql`` from a cursor, streamed (a server-side cursor on PostgreSQL)."""
    connection = db.session.connection().connection.driver_connection
    assert connection is not None
    if db.engine.dialect.name == "postgresql":
        with connection.cursor(name="bench") as cursor:
            cursor.itersize = batch
            cursor.execute(sql)
            yield from cursor
    else:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()


def _detail_sql(excel: bool) -> str:
    if db.engine.dialect.name == "postgresql":
        day = "({} - date '1899-12-30')" if excel else "{}"
        number = "float8" if excel else ""
    else:
        day = "(julianday({}) - julianday('1899-12-30'))" if excel else "{}"
        number = ""
    return DETAIL.format(
        signed=day.format("s.signed_on"), start=day.format("s.start_date"), end=day.format("s.end_date"), number=number
    )


def bare_csv(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(DETAIL_COLUMNS)
        writer.writerows(_rows(_detail_sql(excel=False)))
    db.session.rollback()


def bare_excel(path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Detail")
    money = workbook.add_format({"num_format": '#,##0.00 "Kč"'})
    date = workbook.add_format({"num_format": "d.m.yyyy"})
    sheet.write_row(0, 0, DETAIL_COLUMNS)
    write_string, write_number = sheet.write_string, sheet.write_number
    for i, row in enumerate(_rows(_detail_sql(excel=True)), start=1):
        for j in range(7):
            write_string(i, j, row[j])
        for j in range(7, 10):
            write_number(i, j, row[j], date)
        for j in range(10, 14):
            write_number(i, j, row[j], money)
        write_string(i, 14, row[14])
    workbook.close()
    db.session.rollback()


def bare_ocds(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        for sql in OCDS:
            for row in _rows(sql):
                stream.write(json.dumps(row, ensure_ascii=False, default=str))
                stream.write("\n")
    db.session.rollback()


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _traced_peak(run: Callable[[], object]) -> float:
    """Peak memory of Python objects (MB) during a run of its own (tracing slows Python code down
    unevenly, so it is never the run that is timed)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def _cli(app: Flask, *args: str) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            result = app.test_cli_runner().invoke(args=list(args))
            db.session.remove()
        if result.exit_code != 0:
            raise RuntimeError(f"minitendr {' '.join(args)}: {result.output.strip()[-300:]}") from result.exception

    return run


def _bare(app: Flask, writer: Callable[[Path], None], path: Path) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            writer(path)
            db.session.remove()

    return run


def _compare(name: str, ours: Callable[[], None], bare: Callable[[], None], trace: bool) -> Figure:
    try:
        bare()  # the first reader of the rows warms the caches for both
        bare_s = _timed(bare)
        bare_mb = _traced_peak(bare) if trace else None
    except Exception as error:
        return Figure(name, None, None, note=f"bare: {type(error).__name__}: {error}"[:120])
    try:
        ours_s = _timed(ours)
        ours_mb = _traced_peak(ours) if trace else None
    except Exception as error:
        return Figure(name, None, bare_s, None, bare_mb, note=f"{type(error).__name__}: {error}"[:120])
    return Figure(name, ours_s, bare_s, ours_mb, bare_mb)


# The command in a process of its own. Its peak resident memory is measured the way ``/usr/bin/time``
# measures it: ``time`` — a small process — starts the command and reads its maximum resident set from
# ``wait4`` (whatever the command's own exit path does). A child forked from this (large) benchmark
# process would carry this process's high-water mark in its own ``ru_maxrss`` across exec; forked from
# ``time`` it carries only ``time``'s. The command also reports its own ``VmHWM`` at exit: the two are
# shown side by side when they disagree, and ``VmHWM`` alone where there is no ``/usr/bin/time``.
OWN_PROCESS = """
import sys
from minitendr.cli import cli
try:
    cli(args=sys.argv[1:], prog_name="minitendr")
finally:
    status = open("/proc/self/status").read().splitlines()
    sys.stderr.write(next(line for line in status if line.startswith("VmHWM:")) + "\\n")
"""
TIME = Path("/usr/bin/time")


def ocds_in_process(target: Target, bid_key: str, path: Path) -> tuple[float | None, float | None, str]:
    """``minitendr export ocds`` in a process of its own: seconds (start-up included) and its peak
    resident memory (MB), by ``/usr/bin/time`` where there is one."""
    environment = os.environ | {
        "MINITENDR_DATABASE_URL": target.url,
        "MINITENDR_SECRET_KEY": "benchmark",
        "MINITENDR_BID_KEY": bid_key,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    command = [sys.executable, "-c", OWN_PROCESS, "export", "ocds", "-o", str(path)]
    timed = TIME.exists()
    if timed:
        command = [str(TIME), "-f", "maximum-resident-kb %M", *command]
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.run(
            command, env=environment, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=errors, check=False
        )
        seconds = time.perf_counter() - started
        errors.seek(0)
        output = errors.read().decode(errors="replace")
    own = re.search(r"VmHWM:\s+(\d+) kB", output)
    by_time = re.search(r"maximum-resident-kb (\d+)", output)
    if process.returncode != 0 or own is None or (timed and by_time is None):
        return None, None, f"exit {process.returncode}: {output.strip()[-100:]}"
    own_mb = int(own.group(1)) / 1024
    if by_time is None:
        return seconds, own_mb, "own process, start-up included; VmHWM at exit"
    peak_mb = int(by_time.group(1)) / 1024
    note = "own process, start-up included; /usr/bin/time"
    if abs(peak_mb - own_mb) > 0.2 * peak_mb:
        note += f" (its own VmHWM said {own_mb:.0f} MB)"
    return seconds, peak_mb, note


def measure_exports(app: Flask, target: Target, bid_key: str, folder: Path, trace: bool = True) -> list[Figure]:
    """National CSV, Excel and OCDS: ours against the bare writer."""
    figures = [
        _compare(
            "CSV (national)",
            _cli(app, "export", "spend", "-o", str(folder / "ours.csv")),
            _bare(app, bare_csv, folder / "bare.csv"),
            trace,
        ),
        _compare(
            "Excel (national)",
            _cli(app, "export", "spend", "-o", str(folder / "ours.xlsx")),
            _bare(app, bare_excel, folder / "bare.xlsx"),
            trace,
        ),
    ]
    try:
        bare_s = _timed(_bare(app, bare_ocds, folder / "bare.ocds"))
        bare_mb = _traced_peak(_bare(app, bare_ocds, folder / "bare.ocds")) if trace else None
    except Exception as error:
        bare_s, bare_mb = None, None
        figures.append(Figure("OCDS bare", None, None, note=f"{type(error).__name__}: {error}"[:120]))
    ours_s, ours_rss, note = ocds_in_process(target, bid_key, folder / "ours.json")
    figures.append(Figure("OCDS (national)", ours_s, bare_s, ours_rss, bare_mb, note=note))
    return figures


_DOWNLOAD = re.compile(r'href="([^"]*/download[^"]*)"')


def fetch_export(client: FlaskClient, url: str, limit: float = 1800.0) -> tuple[int | str, float]:
    """Ask for an export as a browser would: follow redirects and a job page's download link (waiting
    while the job runs, as the page's refresh does). Returns the final status and the seconds."""
    started = time.perf_counter()
    try:
        response = client.get(url)
        while time.perf_counter() - started < limit:
            if response.status_code in (301, 302, 303, 307, 308):
                url = urlsplit(response.headers["Location"])._replace(scheme="", netloc="").geturl()
                response = client.get(url)
            elif response.status_code == 200 and response.mimetype == "text/html":
                link = _DOWNLOAD.search(response.get_data(as_text=True))
                if link:
                    url = link.group(1).replace("&amp;", "&")
                    response = client.get(url)
                elif 'http-equiv="refresh"' in response.get_data(as_text=True):
                    time.sleep(0.5)
                    response = client.get(url)
                else:
                    break
            else:
                break
        response.get_data()  # the whole body, streamed or not
    except Exception as error:
        return type(error).__name__, time.perf_counter() - started
    return response.status_code, time.perf_counter() - started


def measure_repeats(app: Flask, personas: Personas) -> list[Repeat]:
    """The kraj's Excel and CSV as the ministry, and the public OCDS package, each asked for twice."""
    ministry = client_for(app, personas.users["ministry"])
    anonymous = app.test_client()
    results = []
    for name, client, url in (
        ("Excel (kraj) over HTTP", ministry, with_query("/reports/spend.xlsx", kraj=personas.kraj)),
        ("CSV (kraj) over HTTP", ministry, with_query("/reports/spend.csv", kraj=personas.kraj)),
        ("OCDS over HTTP", anonymous, "/open-data/ocds.json"),
    ):
        first_status, first_s = fetch_export(client, url)
        second_status, second_s = fetch_export(client, url)
        results.append(Repeat(name, first_status, first_s, second_status, second_s))
    return results


def scratch_folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="minitendr-bench-")
