"""Benchmarks at national scale, printed side by side (run by hand; not collected by pytest):

    .venv/bin/python -m tests.benchmarks [--sizes 10000,100000,1000000] [--databases sqlite,postgresql]
        [--postgres postgresql+psycopg://postgres@127.0.0.1/bench] [--quick] [--sections lists,reports,...]

For each database and size it seeds synthetic data once (kept in ``--cache`` and in PostgreSQL databases
named ``<database of --postgres>_<size>_s<seed>``, reused by the next run) and prints:

- every list page, first and deep, per role, and the spend dashboard per role and filter: median server
  time through the Flask test client and SQL statements per request, and the growth from the smallest
  size to the largest (targets on PostgreSQL at 1 000 000: under 100 ms, growth under 1.5×);
- the national CSV, Excel and OCDS exports against bare writers over the same rows (targets: CSV ≤ 1.2×
  bare ``csv.writer``, Excel ≤ 1.05× bare XlsxWriter), with their peak memory (OCDS in a process of its
  own: peak resident memory under 300 MB, constant with size);
- an export asked for twice over HTTP (target: the second under 5 % of the first).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from minitendr.db import db
from minitendr.sealing import new_key
from tests.benchmarks import exports, pages
from tests.benchmarks.databases import Target, personas, postgres_target, prepare, sqlite_target

SECTIONS = ("lists", "reports", "exports", "repeats")
PAGE_MS, GROWTH = 100.0, 1.5
EXPORT_TARGETS = {"CSV (national)": 1.2, "Excel (national)": 1.05}
OCDS_MB, REPEAT_SHARE = 300.0, 0.05


@dataclass
class Results:
    targets: list[Target] = field(default_factory=list)
    seeding: dict[Target, float | None] = field(default_factory=dict)
    pages: dict[Target, list[pages.Measurement]] = field(default_factory=dict)
    exports: dict[Target, list[exports.Figure]] = field(default_factory=dict)
    repeats: dict[Target, list[exports.Repeat]] = field(default_factory=dict)


def log(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def size_label(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k" if size % 1000 == 0 else str(size)


def bid_key(cache: Path) -> str:
    """One key for every cached database (their bids are all opened; the application wants a key)."""
    path = cache / "bench.bid-key"
    if not path.exists():
        path.write_text(new_key())
    return path.read_text().strip()


def run_target(target: Target, key: str, options: argparse.Namespace, results: Results) -> None:
    app, seconds = prepare(target, key, log)
    results.seeding[target] = seconds
    with app.app_context():
        people = personas()
        db.session.remove()
    measured: list[pages.Measurement] = []
    if "lists" in options.sections:
        log(f"{target.label}: list pages")
        measured += pages.measure_lists(app, people, options.runs, options.depth)
    if "reports" in options.sections:
        log(f"{target.label}: reports")
        measured += pages.measure_reports(app, people, options.runs)
        measured += pages.measure_network(app, people, options.runs)  # the service network's pages
    results.pages[target] = measured
    with exports.scratch_folder() as folder:
        if "exports" in options.sections:
            log(f"{target.label}: exports")
            results.exports[target] = exports.measure_exports(app, target, key, Path(folder), trace=options.trace)
        if "repeats" in options.sections:
            log(f"{target.label}: repeated exports")
            results.repeats[target] = exports.measure_repeats(app, people)
    with app.app_context():
        db.engine.dispose()


# --- the tables ----------------------------------------------------------------------------------
def _cell(measurement: pages.Measurement | None) -> str:
    if measurement is None:
        return "—"
    if measurement.ms is None:
        return f"{measurement.status}"
    return f"{measurement.ms:.1f}/{measurement.statements}"


def _growth(first: pages.Measurement | None, last: pages.Measurement | None) -> float | None:
    if first is None or last is None or not first.ms or last.ms is None:
        return None
    return last.ms / first.ms


def _table(header: Sequence[str], rows: list[Sequence[str]], right: int = 0) -> str:
    """Columns as wide as their widest cell; the first ``right`` columns left-aligned, the rest right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            str(cell).ljust(width) if i < right else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)])


def page_table(results: Results) -> str:
    databases = sorted({t.dialect for t in results.targets}, key=["sqlite", "postgresql"].index)
    sizes = sorted({t.size for t in results.targets})
    by_target = {(t.dialect, t.size): {m.key: m for m in results.pages.get(t, [])} for t in results.targets}
    keys: list[tuple[str, str, str, str]] = []
    for measurements in results.pages.values():
        keys += [m.key for m in measurements if m.key not in keys]
    growth = f"{size_label(sizes[0])}→{size_label(sizes[-1])}" if len(sizes) > 1 else None
    postgres = "postgresql" in databases
    header = ["page", "role", "which"]
    for dialect in databases:
        name = "SQLite" if dialect == "sqlite" else "PG"
        header += [f"{name} {size_label(size)}" for size in sizes] + ([f"{name} {growth}"] if growth else [])
    header += ["deep page"] + ([f"PG {size_label(sizes[-1])}: <{PAGE_MS:.0f} ms, <{GROWTH}×"] if postgres else [])
    rows = []
    for key in keys:
        row, reached, check = [key[1], key[2], key[3]], "", "—"
        for dialect in databases:
            cells = [by_target.get((dialect, size), {}).get(key) for size in sizes]
            row += [_cell(cell) for cell in cells]
            ratio = _growth(cells[0], cells[-1])
            if growth:
                row.append(f"{ratio:.2f}×" if ratio is not None else "—")
            reached = reached or next((cell.reached for cell in reversed(cells) if cell and cell.reached), "")
            last = cells[-1]
            if dialect == "postgresql" and last is not None and last.ms is not None:
                check = "ok" if last.ms < PAGE_MS and (ratio is None or ratio < GROWTH) else "OVER"
        rows.append([*row, reached] + ([check] if postgres else []))
    return _table(header, rows, right=3)


def export_table(results: Results) -> str:
    rows = []
    for target in results.targets:
        for figure in results.exports.get(target, []):
            limit = EXPORT_TARGETS.get(figure.name)
            if figure.name.startswith("OCDS"):
                check = f"peak RSS < {OCDS_MB:.0f} MB: " + (
                    "ok" if figure.ours_mb and figure.ours_mb < OCDS_MB else "OVER" if figure.ours_mb else "—"
                )
            elif limit:
                check = f"≤ {limit}×: " + ("ok" if figure.ratio and figure.ratio <= limit else "OVER")
            else:
                check = ""
            rows.append(
                [
                    figure.name,
                    target.label,
                    _seconds(figure.ours_s),
                    _seconds(figure.bare_s),
                    f"{figure.ratio:.2f}×" if figure.ratio else "—",
                    _mb(figure.ours_mb),
                    _mb(figure.bare_mb),
                    check,
                    figure.note,
                ]
            )
    header = ["export", "database", "ours s", "bare s", "ours/bare", "ours MB", "bare MB", "target", "note"]
    return _table(header, rows, right=2)


def repeat_table(results: Results) -> str:
    rows = []
    for target in results.targets:
        for repeat in results.repeats.get(target, []):
            ratio = repeat.ratio
            check = "ok" if ratio is not None and ratio < REPEAT_SHARE else "OVER" if ratio is not None else "—"
            rows.append(
                [
                    repeat.name,
                    target.label,
                    f"{repeat.first_status} {_seconds(repeat.first_s)}",
                    f"{repeat.second_status} {_seconds(repeat.second_s)}",
                    f"{ratio:.3f}" if ratio is not None else "—",
                    f"< {REPEAT_SHARE}: {check}",
                ]
            )
    return _table(["export", "database", "first", "second", "second/first", "target"], rows, right=2)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def report(results: Results) -> str:
    parts = []
    seeded = [
        f"{t.label}: {'seeded in ' + format(s, '.1f') + ' s' if s is not None else 'cached'}"
        for t, s in results.seeding.items()
    ]
    parts.append("Databases: " + "; ".join(seeded))
    if any(results.pages.values()):
        parts.append(
            "Pages: median server time in ms / SQL statements per request (Flask test client, warm); growth is the"
            " time at the largest size over the smallest."
        )
        parts.append(page_table(results))
    if any(results.exports.values()):
        parts.append(
            "Exports (national): seconds, and peak memory in MB (tracemalloc; OCDS ours: its process's peak"
            " resident memory)."
        )
        parts.append(export_table(results))
    if any(results.repeats.values()):
        parts.append("The same export asked for twice (status and seconds).")
        parts.append(repeat_table(results))
    return "\n\n".join(parts)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="sub-contracts, comma-separated (default 10000,100000,1000000)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("MINITENDR_TEST_DATABASE_URL"),
        help="a PostgreSQL URL; its database name is the prefix of the benchmark's own databases "
        "(default: MINITENDR_TEST_DATABASE_URL)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "minitendr-bench")
    parser.add_argument("--runs", type=int, help="requests per page after a warm one (default 5)")
    parser.add_argument("--depth", type=int, help="how many pages deep a deep page is (default 200)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"any of {', '.join(SECTIONS)}")
    parser.add_argument("--no-trace", dest="trace", action="store_false", help="skip the traced runs of exports")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 000 sub-contracts, 2 runs, 5 pages deep")
    options = parser.parse_args(argv)
    default_sizes = "2000" if options.quick else "10000,100000,1000000"
    options.sizes = [int(s) for s in (options.sizes or default_sizes).split(",")]
    options.runs = options.runs or (2 if options.quick else 5)
    options.depth = options.depth or (5 if options.quick else 200)
    options.databases = [d.strip() for d in options.databases.split(",") if d.strip()]
    options.sections = [s.strip() for s in options.sections.split(",") if s.strip()]
    unknown = set(options.databases) - {"sqlite", "postgresql"} | set(options.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    if "postgresql" in options.databases and not options.postgres:
        parser.error("PostgreSQL needs --postgres URL (or MINITENDR_TEST_DATABASE_URL)")
    return options


def main(argv: Sequence[str] | None = None) -> None:
    options = parse(argv)
    options.cache.mkdir(parents=True, exist_ok=True)
    key = bid_key(options.cache)
    results = Results()
    for dialect in options.databases:
        for size in options.sizes:
            target = (
                sqlite_target(options.cache, size, options.seed)
                if dialect == "sqlite"
                else postgres_target(options.postgres, size, options.seed)
            )
            results.targets.append(target)
            run_target(target, key, options, results)
    print(report(results))


if __name__ == "__main__":
    main()
