"""SVG charts: valid XML, accessible titles, proportional bars, zero days, bucketed state tiles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from lxml import etree

from outreach.campaigns import charts

NS = {"s": charts.SVG_NS}


def parse(svg) -> etree._Element:
    return etree.fromstring(str(svg).encode())


def series(*counts: int) -> list[tuple[date, int]]:
    start = date(2026, 3, 1)
    return [(start + timedelta(days=i), n) for i, n in enumerate(counts)]


def test_bar_chart_is_svg_with_title_and_description():
    root = parse(charts.daily_bar_chart(series(3, 0, 7)))
    assert root.tag == f"{{{charts.SVG_NS}}}svg" and root.get("role") == "img"
    title, desc = root.find("s:title", NS), root.find("s:desc", NS)
    assert title.text == "Actions per day"
    assert "10 actions" in desc.text and "2026-03-01" in desc.text and "2026-03-03" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_bar_heights_are_proportional_and_zero_days_are_drawn():
    root = parse(charts.daily_bar_chart(series(2, 0, 8, 4)))
    bars = root.findall(".//s:g[@class='bars']/s:rect", NS)
    assert [b.get("data-day") for b in bars] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == 0
    assert heights[2] == pytest.approx(4 * heights[0]) and heights[3] == pytest.approx(2 * heights[0])
    # Bars stand on the same baseline.
    assert len({round(float(b.get("y")) + float(b.get("height")), 3) for b in bars}) == 1
    assert bars[1].find("s:title", NS).text == "2026-03-02: 0 actions"
    assert bars[0].find("s:title", NS).text == "2026-03-01: 2 actions"


def test_y_axis_scale_is_a_round_ceiling_with_whole_ticks():
    assert [charts.nice_ceiling(n) for n in (0, 1, 3, 7, 10, 11, 140)] == [1, 1, 5, 10, 10, 20, 200]
    root = parse(charts.daily_bar_chart(series(7)))
    ticks = [t.text for t in root.findall("s:text", NS) if t.get("text-anchor") == "end"]
    assert ticks == ["0", "2", "4", "6", "8", "10"]
    # The tallest bar is 7/10 of the plot height (from the 0 tick line to the top one).
    lines = [float(l.get("y1")) for l in root.findall("s:line", NS) if l.get("stroke") == charts.GRID]
    plot_height = max(lines) - min(lines)
    assert float(root.find(".//s:g[@class='bars']/s:rect", NS).get("height")) == pytest.approx(0.7 * plot_height)


def test_no_style_attributes_and_no_script():
    for svg in (charts.daily_bar_chart(series(1, 2)), charts.state_tile_map({"IL": 3})):
        root = parse(svg)
        assert not root.xpath("//*[@style]") and not root.xpath("//s:script", namespaces=NS)
        assert not root.xpath("//@*[starts-with(name(), 'on')]")


def test_empty_series_still_draws_an_empty_chart():
    root = parse(charts.daily_bar_chart([]))
    assert root.find("s:desc", NS).text == "No actions yet."


def test_text_is_escaped():
    svg = str(charts.el("text", {"data-x": '"><script>'}, "<b>&"))
    assert svg == '<text data-x="&#34;&gt;&lt;script&gt;">&lt;b&gt;&amp;</text>'
    parse(svg)


def test_buckets_split_the_range_in_four_above_none():
    assert charts.bucket_bounds(0) == []
    assert charts.bucket_bounds(1) == [(1, 1)]
    assert charts.bucket_bounds(10) == [(1, 3), (4, 5), (6, 8), (9, 10)]
    bounds = charts.bucket_bounds(10)
    assert [charts.bucket_for(n, bounds) for n in (0, 1, 3, 4, 8, 9, 10)] == [0, 1, 1, 2, 3, 4, 4]


def tiles(root) -> dict[str, etree._Element]:
    return {g.get("data-state"): g for g in root.findall(".//s:g[@class='tile']", NS)}


def test_state_map_has_a_tile_per_state_and_dc_with_titles_and_shading():
    root = parse(charts.state_tile_map({"IL": 10, "NY": 1, "DC": 5, "CA": 8}))
    assert root.find("s:title", NS).text == "Actions by state"
    by_state = tiles(root)
    assert len(by_state) == 51 and "DC" in by_state and "PR" not in by_state
    assert by_state["IL"].find("s:title", NS).text == "IL: 10 actions"
    assert by_state["NY"].find("s:title", NS).text == "NY: 1 action"
    assert by_state["TX"].find("s:title", NS).text == "TX: 0 actions"
    fill = {s: by_state[s].find("s:rect", NS).get("fill") for s in ("IL", "CA", "DC", "NY", "TX")}
    assert fill == {"IL": charts.BUCKET_FILLS[4], "CA": charts.BUCKET_FILLS[3], "DC": charts.BUCKET_FILLS[2],
                    "NY": charts.BUCKET_FILLS[1], "TX": charts.BUCKET_FILLS[0]}
    legend = [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)]
    assert legend == ["No actions", "1–3", "4–5", "6–8", "9–10"]


def test_tiles_do_not_overlap_and_territories_appear_when_present():
    root = parse(charts.state_tile_map({"PR": 2}, states=["GU"]))
    by_state = tiles(root)
    assert {"PR", "GU"} <= set(by_state) and "VI" not in by_state
    positions = [(r.get("x"), r.get("y")) for g in by_state.values() for r in g.findall("s:rect", NS)]
    assert len(positions) == len(set(positions))
    assert len(charts.TILE_GRID) == len(set(charts.TILE_GRID.values()))
