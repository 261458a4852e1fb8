"""Charts as SVG, drawn on the server: no CDN, no JavaScript; each page shows the data table beside it."""

from __future__ import annotations

import textwrap
from decimal import Decimal

from markupsafe import Markup, escape

from minitendr.formatting import money, number
from minitendr.formatting import month as month_cs

COLOURS = ("#0d6efd", "#20c997")


def _scale(maximum: Decimal) -> Decimal:
    return maximum if maximum > 0 else Decimal(1)


def bars(title: str, labels: list[str], series: list[tuple[str, list[Decimal]]], width: int = 760) -> Markup:
    """Horizontal grouped bars: one group per label, one bar per series."""
    bar, gap, left = 12, 10, 230
    group = bar * len(series) + gap
    height = 30 + group * len(labels) + 30
    top = _scale(max((v for _, values in series for v in values), default=Decimal(0)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i, label in enumerate(labels):
        y = 20 + i * group
        parts.append(_label(label, left - 6, y, bar * len(series)))
        for j, (name, values) in enumerate(series):
            length = float(values[i] / top) * (width - left - 150)
            parts.append(
                f'<rect x="{left}" y="{y + j * bar}" width="{length:.1f}" height="{bar - 2}" fill="{COLOURS[j]}">'
                f"<title>{escape(name)}: {escape(money(values[i]))}</title></rect>"
            )
            parts.append(
                f'<text x="{left + length + 4:.1f}" y="{y + j * bar + bar - 3}" font-size="10">'
                f"{escape(money(values[i]))}</text>"
            )
    parts.append(_legend(series, 10, height - 12))
    parts.append("</svg>")
    return Markup("".join(parts))


# Width of a character of the 10 px axis labels (digits, spaces, "Kč"), on the generous side: the
# left margin is made from it so that the longest amount on the y-axis fits whole.
CHAR_WIDTH = 6.2


def _ticks(top: Decimal, count: int = 4) -> list[Decimal]:
    """Round steps (1, 2 or 5 × 10ⁿ) from 0 up to at least ``top``."""
    rough = top / count
    power = Decimal(10) ** (len(str(int(rough))) - 1) if rough >= 1 else Decimal(1)
    step = next((m * power for m in (1, 2, 5, 10) if m * power >= rough), 10 * power)
    ticks = [Decimal(0)]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def _axis_money(value: Decimal) -> str:
    """An axis amount in whole crowns: ``2 600 000 Kč``."""
    return number(value) + "\xa0Kč"


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (``2026-01``), the empty ones included."""
    year, month = map(int, first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def lines(title: str, months: list[str], series: list[tuple[str, list[Decimal | None]]], width: int = 760) -> Markup:
    """A line per series over consecutive ``months`` (``2026-01``), named in Czech. A month without a
    value (None) is a gap: the line stops before it and starts again after it (separate paths), it is
    not drawn across. The left margin is as wide as the longest amount on the y-axis."""
    height, bottom, top_margin = 260, 40, 20
    values = [v for _, vs in series for v in vs if v is not None]
    ticks = _ticks(max(values, default=Decimal(0)) or Decimal(1))
    top = ticks[-1]
    tick_labels = [_axis_money(t) for t in ticks]
    left = int(max(len(label) for label in tick_labels) * CHAR_WIDTH) + 14
    step = (width - left - 32) / max(1, len(months) - 1)
    plot = height - bottom - top_margin

    def x_of(i: int) -> float:
        return left + i * step if len(months) > 1 else left + (width - left - 32) / 2

    def y_of(v: Decimal) -> float:
        return height - bottom - float(v / top) * plot

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" class="chart trend-chart">',
        f"<title>{escape(title)}</title>",
    ]
    for tick, label in zip(ticks, tick_labels, strict=True):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text class="y-label" x="{left - 6}" y="{y + 3:.1f}" font-size="10" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#999"/>')
    for j, (name, vs) in enumerate(series):
        runs: list[list[tuple[int, Decimal]]] = []  # consecutive months with a value
        for i, v in enumerate(vs):
            if v is None:
                continue
            if runs and runs[-1][-1][0] == i - 1:
                runs[-1].append((i, v))
            else:
                runs.append([(i, v)])
        for run in runs:
            if len(run) > 1:
                d = " ".join(f"{'M' if n == 0 else 'L'}{x_of(i):.1f},{y_of(v):.1f}" for n, (i, v) in enumerate(run))
                parts.append(
                    f'<path class="trend-line" data-series="{j}" d="{d}" fill="none" '
                    f'stroke="{COLOURS[j]}" stroke-width="2"/>'
                )
        # A dot per month with a value: a lone month has no line to draw, and each dot names its value.
        for i, v in enumerate(vs):
            if v is not None:
                parts.append(
                    f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3" fill="{COLOURS[j]}">'
                    f"<title>{escape(month_cs(months[i]))} – {escape(name)}: {escape(money(v))}</title></circle>"
                )
    every = -(-len(months) // 12)
    for i, label in enumerate(months):
        if i % every == 0:
            parts.append(
                f'<text class="x-label" x="{x_of(i):.1f}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle">{escape(month_cs(label, short=True))}</text>'
            )
    parts.append(_legend(series, left, height - 8))
    parts.append("</svg>")
    return Markup("".join(parts))


def _label(label: str, right: float, top: float, space: float, width: int = 36) -> str:
    """A group's label, right-aligned before the bars, on two lines when long (cut with … beyond)."""
    lines = textwrap.wrap(label, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    first = top + space / 2 + 4 - 6 * (len(lines) - 1)
    spans = "".join(
        f'<tspan x="{right}" y="{first + 12 * n:.1f}">{escape(line)}</tspan>' for n, line in enumerate(lines)
    )
    return f'<text text-anchor="end" font-size="11"><title>{escape(label)}</title>{spans}</text>'


def _legend(series, x: int, y: int) -> str:
    items = []
    for j, (name, _) in enumerate(series):
        items.append(
            f'<rect x="{x + j * 170}" y="{y - 9}" width="10" height="10" fill="{COLOURS[j]}"/>'
            f'<text x="{x + j * 170 + 14}" y="{y}" font-size="11">{escape(name)}</text>'
        )
    return "".join(items)


def spend_charts(matrix: list[dict], months: list[dict]) -> dict[str, Markup]:
    """The spend page's two charts: kraj × category, and the months."""
    return {
        "matrix_chart": bars(
            "Smluvní hodnota a vyčerpáno podle krajů a kategorií",
            [f"{r['kraj']} – {r['category']}" for r in matrix],
            [("Smluvní hodnota", [r["value"] for r in matrix]), ("Vyčerpáno", [r["drawn"] for r in matrix])],
        ),
        "trend_chart": trend(months),
    }


def trend(months: list[dict]) -> Markup:
    """Contracted and drawn per month, over every month from the first to the last: a month without
    any sub-contract signed or service drawn is a gap in the lines."""
    if not months:
        return Markup("")
    by_month = {m["month"]: m for m in months}
    axis = month_range(months[0]["month"], months[-1]["month"])
    return lines(
        "Nasmlouváno a vyčerpáno po měsících",
        axis,
        [
            (name, [by_month[m][key] if m in by_month else None for m in axis])
            for name, key in (("Nasmlouváno", "contracted"), ("Vyčerpáno", "drawn"))
        ],
    )
