"""The map of the service network: the ORPs as an SVG choropleth drawn on the server from
``seed/orp_map.geojson`` (WGS 84, 206 ORPs) — no tile server, no script, nothing from outside, so it
passes the CSP and works offline and on paper.

The polygons are projected once per process (Lambert azimuthal equal-area centred on Czechia: a
choropleth compares areas, so they keep their proportions) into integer units of 100 m, and each ORP's
path is kept as a string. A map of the country or of one kraj is then only a choice of paths and a
``viewBox`` around them; colours are classes (``q0`` … ``q4``, ``nodata``) of ``static/network.css``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from markupsafe import Markup, escape

GEOJSON = "orp_map.geojson"
# The projection's centre (the middle of Czechia) and the Earth's radius in units of 100 m.
CENTRE_LON, CENTRE_LAT = math.radians(15.5), math.radians(49.8)
RADIUS = 63_710
CLASSES = 5  # quantile classes at most (fewer when the values are fewer)
PADDING = 0.02  # of the drawing's larger side, around the ORPs shown


@dataclass(frozen=True)
class Shape:
    """One ORP's outline, projected: its SVG path and its bounding box (in map units)."""

    code: str
    name: str
    kraj_code: str
    path: str
    bounds: tuple[int, int, int, int]  # min x, min y, max x, max y


@dataclass(frozen=True)
class MapClass:
    """One class of the legend: the values from ``low`` to ``high`` (as found among the ORPs)."""

    css: str
    low: Decimal
    high: Decimal
    count: int


@dataclass(frozen=True)
class Choropleth:
    svg: Markup
    classes: list[MapClass]
    css: dict[str, str]  # ORP code → its class, for the table beside the map
    missing: int  # ORPs without a value


def project(lon: float, lat: float) -> tuple[int, int]:
    """WGS 84 degrees → map units (100 m; y grows southwards, as SVG's does)."""
    lam, phi = math.radians(lon) - CENTRE_LON, math.radians(lat)
    k = math.sqrt(2 / (1 + math.sin(CENTRE_LAT) * math.sin(phi) + math.cos(CENTRE_LAT) * math.cos(phi) * math.cos(lam)))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (math.cos(CENTRE_LAT) * math.sin(phi) - math.sin(CENTRE_LAT) * math.cos(phi) * math.cos(lam))
    return round(x * RADIUS), round(-y * RADIUS)


def _rings(geometry: dict) -> Iterable[list[list[float]]]:
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon
    else:
        raise ValueError(f"unexpected geometry {geometry['type']}")


def _path(rings: Iterable[list[list[float]]]) -> tuple[str, tuple[int, int, int, int]]:
    """An SVG path of closed rings in relative steps (short), and the bounds of its points."""
    parts: list[str] = []
    xs: list[int] = []
    ys: list[int] = []
    for ring in rings:
        points = [project(lon, lat) for lon, lat, *_ in ring]
        x0, y0 = points[0]
        steps = []
        for (x1, y1), (x2, y2) in pairwise(points):
            if (x2, y2) != (x1, y1):  # points that fall together at this precision
                steps.append(f"{x2 - x1} {y2 - y1}")
        if len(steps) < 2:
            continue  # a ring smaller than the precision
        parts.append(f"M{x0} {y0}l{' '.join(steps)}z")
        xs += [x for x, _ in points]
        ys += [y for _, y in points]
    return "".join(parts), (min(xs), min(ys), max(xs), max(ys))


@lru_cache(maxsize=2)
def shapes(seed_dir: str) -> dict[str, Shape]:
    """Every ORP of ``seed_dir/orp_map.geojson``, projected (once per process)."""
    with (Path(seed_dir) / GEOJSON).open(encoding="utf-8") as handle:
        collection = json.load(handle)
    found = {}
    for feature in collection["features"]:
        properties = feature["properties"]
        path, bounds = _path(_rings(feature["geometry"]))
        code = str(properties["orp_code"])
        found[code] = Shape(code, properties["orp_name"], properties["kraj_code"], path, bounds)
    return found


def quantile_classes(values: Iterable[Decimal], classes: int = CLASSES) -> list[Decimal]:
    """Upper bounds of up to ``classes`` classes holding about as many values each (quantiles). Equal
    values always share a class; when one value fills a class and more (many ORPs at 0), the classes
    left are the quantiles of the values above it, so they are not lost to the tie."""
    rest = sorted(values)
    bounds: list[Decimal] = []
    left = classes
    while rest and left:
        bound = rest[math.ceil(len(rest) / left) - 1]
        bounds.append(bound)
        rest = [value for value in rest if value > bound]
        left -= 1
    return bounds


def _css_names(count: int) -> list[str]:
    """The palette's steps for ``count`` classes, spread from the lightest to the darkest."""
    if count == 1:
        return ["q2"]
    return [f"q{round(i * (CLASSES - 1) / (count - 1))}" for i in range(count)]


def choropleth(
    values: Mapping[str, Decimal | None],
    seed_dir: str,
    *,
    label: str,
    describe: Callable[[Decimal | None], str],
    href: Callable[[str], str],
    marked: str | None = None,
) -> Choropleth:
    """The map of the ORPs in ``values`` (ORP code → value; None where there is none): one
    ``<path data-orp>`` per ORP, inside a link to ``href(code)``, titled with its name and
    ``describe(value)``, coloured by quantile class. ``marked`` (an ORP code) is outlined."""
    known = shapes(seed_dir)
    shown = sorted((known[code] for code in values if code in known), key=lambda s: s.name)
    present = [v for v in values.values() if v is not None]
    bounds = quantile_classes(present)
    names = _css_names(len(bounds))
    css: dict[str, str] = {}
    members: dict[int, list[Decimal]] = {}
    for code, value in values.items():
        if value is None:
            css[code] = "nodata"
            continue
        index = next(i for i, bound in enumerate(bounds) if value <= bound)
        css[code] = names[index]
        members.setdefault(index, []).append(value)
    legend = [MapClass(names[i], min(members[i]), max(members[i]), len(members[i])) for i in sorted(members)]
    parts = [_open_svg(shown, label)]
    for shape in shown:
        value = values[shape.code]
        title = f"{shape.name}: {describe(value)}"
        classes = f"orp {css[shape.code]}" + (" marked" if shape.code == marked else "")
        parts.append(
            f'<a href="{escape(href(shape.code))}" aria-label="{escape(title)}">'
            f'<path data-orp="{escape(shape.code)}" class="{classes}" d="{shape.path}">'
            f"<title>{escape(title)}</title></path></a>"
        )
    parts.append("</svg>")
    return Choropleth(Markup("".join(parts)), legend, css, len(values) - len(present))


def _open_svg(shown: list[Shape], label: str) -> str:
    if shown:
        min_x = min(s.bounds[0] for s in shown)
        min_y = min(s.bounds[1] for s in shown)
        max_x = max(s.bounds[2] for s in shown)
        max_y = max(s.bounds[3] for s in shown)
    else:
        min_x = min_y = 0
        max_x = max_y = 1
    pad = round(max(max_x - min_x, max_y - min_y) * PADDING)
    box = f"{min_x - pad} {min_y - pad} {max_x - min_x + 2 * pad} {max_y - min_y + 2 * pad}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="orp-map" viewBox="{box}" '
        f'preserveAspectRatio="xMidYMid meet" role="group" aria-label="{escape(label)}">'
    )
