"""Charts as Vega-Lite specs, drawn to SVG on the server (vl-convert, no network).

The same spec is drawn for the page and for the PDF, so both show the same picture. The
page shows it as an <img>: nothing to run on a cheap phone, and the strict Content
Security Policy stays as it is (Vega in the browser would need 'unsafe-eval').
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import vl_convert

# Colour-blind-safe sequential colours for levels 1–4 (ColorBrewer "YlGnBu", 4 classes),
# also used by the skill matrix's CSS.
LEVEL_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8")
# Light and dark of one hue: tells the rounds apart without colour vision (also in the
# PDFs' print.css, for the legend printed beside the chart).
ROUND_COLOURS = ("#a6bddb", "#034e7b")


def levels_before_after_spec(
    before: Mapping[int, int],
    after: Mapping[int, int],
    *,
    level_names: Mapping[int, str],
    before_label: str,
    after_label: str,
    count_label: str,
    title: str = "",
    words: bool = True,
) -> dict[str, Any]:
    """Grouped bars: how many ratings (or CRCs) were at each level, before and after.

    `words=False` draws no words, only numbers (level numbers on the axis, no legend, no
    titles), for WeasyPrint: it draws SVG text code point by code point, which breaks
    Devanagari (Kozea/WeasyPrint#2249), so the PDF prints the words beside the chart."""
    if not words:
        level_names = dict.fromkeys(level_names, "")
        before_label, after_label, count_label, title = "before", "after", "", ""
    values = [
        {
            "level": f"{level} {level_names[level]}".strip(),
            "round": label,
            "n": counts.get(level, 0),
        }
        for label, counts in ((before_label, before), (after_label, after))
        for level in sorted(level_names)
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": 320,
        "height": 200,
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": words},
        "encoding": {
            "x": {
                "field": "level",
                "type": "nominal",
                "title": None,
                "sort": None,
                "axis": {"labelAngle": 0},
            },
            "xOffset": {"field": "round", "sort": [before_label, after_label]},
            "y": {"field": "n", "type": "quantitative", "title": count_label or None},
            "color": {
                "field": "round",
                "type": "nominal",
                "title": None,
                "sort": [before_label, after_label],
                "scale": {"range": list(ROUND_COLOURS)},
                **({} if words else {"legend": None}),
            },
        },
        "config": {"font": "Noto Sans, Noto Sans Devanagari, sans-serif"},
    }


def svg(spec: Mapping[str, Any]) -> str:
    return vl_convert.vegalite_to_svg(vl_spec=dict(spec))
