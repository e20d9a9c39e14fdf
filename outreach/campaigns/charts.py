"""Server-rendered SVG charts for the report page: actions per day, and a state tile-grid map.

No JavaScript and no style attributes (the Content-Security-Policy forbids inline styles): every colour and
size is a presentation attribute. Every piece of text goes through markupsafe's escaping.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"

# Light to dark; the darkest two carry white labels. Chosen so neighbouring buckets stay distinguishable in
# greyscale, and bucket 0 ("no actions") reads as empty rather than as a light shade of the scale.
BUCKET_FILLS = ("#f0f0f0", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
BUCKET_TEXT = ("#222222", "#222222", "#222222", "#ffffff", "#ffffff")
BAR_FILL = "#2171b5"
AXIS = "#555555"
GRID = "#dddddd"

# The usual tile-grid layout (as NPR and others draw it): (column, row) per state, DC beside Maryland,
# territories along the bottom.
TILE_GRID: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (11, 0),
    "WI": (6, 1), "VT": (10, 1), "NH": (11, 1),
    "WA": (1, 2), "ID": (2, 2), "MT": (3, 2), "ND": (4, 2), "MN": (5, 2), "IL": (6, 2), "MI": (7, 2),
    "NY": (9, 2), "MA": (10, 2),
    "OR": (1, 3), "NV": (2, 3), "WY": (3, 3), "SD": (4, 3), "IA": (5, 3), "IN": (6, 3), "OH": (7, 3),
    "PA": (8, 3), "NJ": (9, 3), "CT": (10, 3), "RI": (11, 3),
    "CA": (1, 4), "UT": (2, 4), "CO": (3, 4), "NE": (4, 4), "MO": (5, 4), "KY": (6, 4), "WV": (7, 4),
    "VA": (8, 4), "MD": (9, 4), "DE": (10, 4),
    "AZ": (2, 5), "NM": (3, 5), "KS": (4, 5), "AR": (5, 5), "TN": (6, 5), "NC": (7, 5), "SC": (8, 5),
    "DC": (9, 5),
    "OK": (4, 6), "LA": (5, 6), "MS": (6, 6), "AL": (7, 6), "GA": (8, 6),
    "HI": (0, 7), "TX": (4, 7), "FL": (9, 7),
    "GU": (0, 8), "MP": (1, 8), "AS": (2, 8), "PR": (9, 8), "VI": (10, 8),
}
TERRITORIES = frozenset({"PR", "GU", "VI", "AS", "MP"})


def _attrs(attributes: Mapping[str, object]) -> Markup:
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = f"{value:.2f}".rstrip("0").rstrip(".")
        parts.append(Markup(' {}="{}"').format(Markup(name.replace("_", "-")), value))
    return Markup("").join(parts)


def el(tag: str, attributes: Mapping[str, object] | None = None, *children: object) -> Markup:
    """Return one SVG element; attribute values and text children are escaped, Markup children are kept."""
    inner = Markup("").join(c if isinstance(c, Markup) else escape(str(c)) for c in children)
    return Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), _attrs(attributes or {}), inner)


def _svg(width: int, height: int, title: str, desc: str, ident: str, *body: Markup) -> Markup:
    # role="img" with aria-labelledby makes screen readers announce the title and description once,
    # instead of reading out every tick label.
    return el("svg", {"xmlns": SVG_NS, "viewBox": f"0 0 {width} {height}", "width": width, "height": height,
                      "role": "img", "aria-labelledby": f"{ident}-title {ident}-desc", "class": "chart",
                      "font-family": "sans-serif", "font-size": 11},
              el("title", {"id": f"{ident}-title"}, title), el("desc", {"id": f"{ident}-desc"}, desc), *body)


def nice_ceiling(value: int) -> int:
    """Return the smallest of 1, 2, 5 × 10^k at least `value` (so the axis has round ticks)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def daily_bar_chart(series: list[tuple[date, int]], *, ident: str = "daily", width: int = 720,
                    height: int = 260) -> Markup:
    """Draw actions per day as bars, one per day including days with none, with a scaled y axis."""
    left, right, top, bottom = 44, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    total = sum(n for _, n in series)
    peak = max((n for _, n in series), default=0)
    scale = nice_ceiling(peak)
    if series:
        desc = (f"{_plural(total, 'action', 'actions')} from {series[0][0].isoformat()} to "
                f"{series[-1][0].isoformat()}; the busiest day had {peak}. The table below lists every day.")
    else:
        desc = "No actions yet."
    parts: list[Markup] = []
    # Whole-number ticks: every unit up to 5, else fifths of a 1-2-5 ceiling (10 → 2, 20 → 4, 50 → 10).
    ticks = list(range(scale + 1)) if scale <= 5 else [scale * i // 5 for i in range(6)]
    for tick in ticks:
        y = top + plot_h - tick / scale * plot_h
        label = f"{tick:g}"
        parts.append(el("line", {"x1": left, "x2": left + plot_w, "y1": y, "y2": y, "stroke": GRID}))
        parts.append(el("text", {"x": left - 6, "y": y + 4, "text-anchor": "end", "fill": AXIS}, label))
    count = max(len(series), 1)
    slot = plot_w / count
    bar_w = max(slot * 0.8, 1.0)
    label_every = max(1, math.ceil(count / 8))  # at most about eight date labels, whatever the range
    bars: list[Markup] = []
    for index, (day, value) in enumerate(series):
        bar_h = value / scale * plot_h
        x = left + index * slot + (slot - bar_w) / 2
        bars.append(el("rect", {"x": x, "y": top + plot_h - bar_h, "width": bar_w, "height": bar_h,
                                "fill": BAR_FILL, "data-day": day.isoformat(), "data-count": value},
                       el("title", None, f"{day.isoformat()}: {_plural(value, 'action', 'actions')}")))
        if index % label_every == 0:
            parts.append(el("text", {"x": left + index * slot + slot / 2, "y": top + plot_h + 16,
                                     "text-anchor": "middle", "fill": AXIS}, f"{day:%b} {day.day}"))
    axes = [
        el("line", {"x1": left, "x2": left, "y1": top, "y2": top + plot_h, "stroke": AXIS}),
        el("line", {"x1": left, "x2": left + plot_w, "y1": top + plot_h, "y2": top + plot_h, "stroke": AXIS}),
        el("text", {"x": left + plot_w / 2, "y": height - 6, "text-anchor": "middle", "fill": AXIS},
           "Day (UTC)"),
    ]
    return _svg(width, height, "Actions per day", desc, ident, *parts, el("g", {"class": "bars"}, *bars), *axes)


def bucket_bounds(peak: int) -> list[tuple[int, int]]:
    """Return the count ranges of buckets 1–4 (bucket 0 is "none"): four even slices of 1..peak."""
    if peak <= 0:
        return []
    bounds: list[tuple[int, int]] = []
    low = 1
    for k in range(1, 5):
        high = max(low, math.ceil(peak * k / 4))
        if high >= low and (not bounds or high > bounds[-1][1]):
            bounds.append((low, high))
            low = high + 1
        if high >= peak:
            break
    return bounds


def bucket_for(count: int, bounds: list[tuple[int, int]]) -> int:
    """Return the bucket (0 for none, else 1–4) a count falls in."""
    if count <= 0:
        return 0
    for index, (_, high) in enumerate(bounds, start=1):
        if count <= high:
            return index
    return len(bounds)


def _range_label(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def state_tile_map(counts: Mapping[str, int], *, ident: str = "states", states: Iterable[str] | None = None,
                   tile: int = 40, gap: int = 3) -> Markup:
    """Draw a square per state, shaded by its count in five buckets, with a legend and a title per tile.

    Territories are drawn only when `states` names them or they have a count, so a map for a campaign
    without territory data does not show five empty squares.
    """
    shown = set(TILE_GRID) - TERRITORIES
    shown |= {s for s in TERRITORIES if counts.get(s) or (states is not None and s in set(states))}
    columns = 1 + max(TILE_GRID[s][0] for s in shown)
    rows = 1 + max(TILE_GRID[s][1] for s in shown)
    step = tile + gap
    legend_h = 44
    width, height = columns * step, rows * step + legend_h
    peak = max((counts.get(s, 0) for s in shown), default=0)
    bounds = bucket_bounds(peak)
    with_actions = sum(1 for s in shown if counts.get(s, 0) > 0)
    desc = (f"Actions by state: {with_actions} of {len(shown)} states and territories have actions; "
            f"the most in one state is {peak}. The table beside the map lists the numbers.")
    tiles: list[Markup] = []
    for state in sorted(shown, key=lambda s: (TILE_GRID[s][1], TILE_GRID[s][0])):
        column, row = TILE_GRID[state]
        value = counts.get(state, 0)
        bucket = bucket_for(value, bounds)
        x, y = column * step, row * step
        tiles.append(el(
            "g", {"class": "tile", "data-state": state, "data-bucket": bucket},
            el("title", None, f"{state}: {_plural(value, 'action', 'actions')}"),
            el("rect", {"x": x, "y": y, "width": tile, "height": tile, "fill": BUCKET_FILLS[bucket],
                        "stroke": "#ffffff"}),
            el("text", {"x": x + tile / 2, "y": y + tile / 2 + 4, "text-anchor": "middle",
                        "fill": BUCKET_TEXT[bucket], "font-size": 12}, state)))
    legend: list[Markup] = []
    entries = [("No actions", 0)] + [(_range_label(lo, hi), i) for i, (lo, hi) in enumerate(bounds, start=1)]
    y0 = rows * step + 12
    for index, (label, bucket) in enumerate(entries):
        x = index * 96
        legend.append(el("rect", {"x": x, "y": y0, "width": 16, "height": 16, "fill": BUCKET_FILLS[bucket],
                                  "stroke": AXIS, "stroke-width": 0.5}))
        legend.append(el("text", {"x": x + 22, "y": y0 + 12, "fill": "#222222"}, label))
    return _svg(width, height, "Actions by state", desc, ident, el("g", {"class": "tiles"}, *tiles),
                el("g", {"class": "legend"}, *legend))
