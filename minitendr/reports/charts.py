"""Charts as SVG, drawn on the server: no CDN, no JavaScript; each page shows the data table beside it."""

from __future__ import annotations

import textwrap
from decimal import Decimal

from markupsafe import Markup, escape

from minitendr.formatting import money

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


def lines(title: str, labels: list[str], series: list[tuple[str, list[Decimal]]], width: int = 760) -> Markup:
    """A line per series over the labels (months)."""
    height, left, bottom = 260, 70, 40
    top = _scale(max((v for _, values in series for v in values), default=Decimal(0)))
    step = (width - left - 20) / max(1, len(labels) - 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#999"/>',
    ]
    for j, (name, values) in enumerate(series):
        points = " ".join(
            f"{left + i * step:.1f},{height - bottom - float(v / top) * (height - bottom - 20):.1f}"
            for i, v in enumerate(values)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="{COLOURS[j]}" stroke-width="2"/>')
        # A dot per month: a single month has no line to draw, and each dot names its value.
        for i, v in enumerate(values):
            x, y = left + i * step, height - bottom - float(v / top) * (height - bottom - 20)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[j]}">'
                f"<title>{escape(labels[i])} – {escape(name)}: {escape(money(v))}</title></circle>"
            )
    every = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(f'<text x="{left - 4}" y="24" font-size="10" text-anchor="end">{escape(money(top))}</text>')
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
        "trend_chart": lines(
            "Nasmlouváno a vyčerpáno po měsících",
            [m["month"] for m in months],
            [("Nasmlouváno", [m["contracted"] for m in months]), ("Vyčerpáno", [m["drawn"] for m in months])],
        ),
    }
