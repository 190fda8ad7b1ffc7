"""Chart definitions (Vega-Lite): one spec renders in the page and as PNG in the email (notify.charts).

Charts never rely on colour alone: series differ by dash pattern and point shape as well, bars
and cells carry their value as text, and every chart's data is a table on the page (CSV too).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
PALETTE = ["#3b6fd8", "#d9622b", "#2f9e6e", "#8a5cc7", "#b8860b", "#5d6778", "#c2417a"]
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 2]]
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "stroke"]
BASE_CONFIG = {"view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 11},
               "legend": {"orient": "bottom", "labelFontSize": 11, "titleFontSize": 11, "symbolStrokeWidth": 2}}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _values(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    return [{k: _plain(r.get(k)) for k in keys} for r in rows]


def _base(description: str, values: list[dict[str, Any]], height: int = 240) -> dict[str, Any]:
    return {"$schema": SCHEMA, "description": description, "width": "container", "height": height,
            "autosize": {"type": "fit", "contains": "padding"}, "data": {"values": values}, "config": BASE_CONFIG}


def bars_with_trend(rows, x: str, y: str, trend: str | None, y_title: str, trend_title: str, time_unit: str,
                    marker: str | None = None):
    """Bars of ``y`` per period with ``trend`` (a moving average) as a dashed line over them, and
    a ▼ above the bars whose row has a ``marker`` text (e.g. why the period was restated)."""
    keys = [x, y] + ([trend] if trend else []) + ([marker] if marker else [])
    x_enc = {"field": x, "type": "temporal", "timeUnit": time_unit, "title": None,
             "axis": {"labelOverlap": True, "labelAngle": 0, "format": "%b %Y" if time_unit == "yearmonth" else "%b %d"}}
    layers: list[dict[str, Any]] = [{
        "mark": {"type": "bar", "color": PALETTE[0], "tooltip": True},
        "encoding": {"x": x_enc, "y": {"field": y, "type": "quantitative", "title": y_title},
                     "tooltip": [{"field": x, "type": "temporal", "timeUnit": time_unit, "title": "Period"},
                                 {"field": y, "type": "quantitative", "title": y_title, "format": ",.2f"}]},
    }]
    if trend:
        layers.append({
            "mark": {"type": "line", "color": "#1d2430", "strokeDash": [6, 3], "strokeWidth": 2},
            "encoding": {"x": x_enc, "y": {"field": trend, "type": "quantitative"}},
        })
    if marker:
        layers.append({
            # an expression, not a field predicate: {"field", "valid"} draws nothing under the
            # expression interpreter the pages use (static/charts.js), found in Chromium
            "transform": [{"filter": f"isValid(datum[{marker!r}])"}],
            "mark": {"type": "point", "shape": "triangle-down", "filled": True, "color": PALETTE[4], "size": 90,
                     "yOffset": -10},
            "encoding": {"x": x_enc, "y": {"field": y, "type": "quantitative"},
                         "tooltip": [{"field": x, "type": "temporal", "timeUnit": time_unit, "title": "Period"},
                                     {"field": marker, "type": "nominal", "title": "Restated"}]},
        })
    spec = _base(f"{y_title} per period" + (f" with {trend_title} as a dashed line" if trend else "")
                 + ("; ▼ marks a period restated since first reported" if marker else ""), _values(rows, keys))
    spec["layer"] = layers
    return spec


def lines_by_series(rows, x: str, y: str, series: str, y_title: str, time_unit: str = "yearmonthdate",
                    x_type: str = "temporal", x_title: str | None = None):
    """One line per ``series`` value, told apart by colour, dash pattern and point shape."""
    names = sorted({str(r[series]) for r in rows})
    scale = {"domain": names, "range": PALETTE[: len(names)] or PALETTE[:1]}
    x_enc: dict[str, Any] = {"field": x, "type": x_type, "title": x_title, "axis": {"labelOverlap": True, "labelAngle": 0}}
    if x_type == "temporal":
        x_enc["timeUnit"] = time_unit
        x_enc["axis"]["format"] = "%b %Y" if time_unit == "yearmonth" else "%b %d"
    spec = _base(f"{y_title} by {series}", _values(rows, [x, y, series]), height=260)
    spec["mark"] = {"type": "line", "point": {"filled": True, "size": 45}, "strokeWidth": 2, "tooltip": True}
    spec["encoding"] = {
        "x": x_enc,
        "y": {"field": y, "type": "quantitative", "title": y_title},
        "color": {"field": series, "type": "nominal", "title": None, "scale": scale},
        "strokeDash": {"field": series, "type": "nominal", "title": None,
                       "scale": {"domain": names, "range": DASHES[: len(names)] or DASHES[:1]}},
        "shape": {"field": series, "type": "nominal", "title": None,
                  "scale": {"domain": names, "range": SHAPES[: len(names)] or SHAPES[:1]}},
    }
    return spec


def heatmap(rows, x: str, y: str, value: str, label: str, x_title: str, y_title: str, value_title: str):
    """Cells shaded by ``value`` with the value written in each cell (readable without colour)."""
    spec = _base(f"{value_title} by {y_title} and {x_title}", _values(rows, [x, y, value, label]),
                 height=max(120, 26 * len({r[y] for r in rows}) + 40))
    enc = {"x": {"field": x, "type": "ordinal", "title": x_title, "axis": {"labelAngle": 0}},
           "y": {"field": y, "type": "ordinal", "title": y_title}}
    spec["encoding"] = enc
    spec["layer"] = [
        {"mark": {"type": "rect", "tooltip": True},
         "encoding": {"color": {"field": value, "type": "quantitative", "title": value_title,
                                "scale": {"scheme": "blues", "domain": [0, _max(rows, value) or 1]},
                                "legend": None}}},
        {"mark": {"type": "text", "fontSize": 10},
         "encoding": {"text": {"field": label, "type": "nominal"},
                      "color": {"condition": {"test": f"datum['{value}'] > 0.55 * {_max(rows, value)}",
                                              "value": "white"}, "value": "#1d2430"}}},
    ]
    return spec


def _max(rows, key: str) -> float:
    values = [float(r[key]) for r in rows if r.get(key) is not None]
    return max(values) if values else 0.0


def horizontal_bars(rows, category: str, value: str, label: str, value_title: str, flag: str | None = None):
    """One bar per ``category``; negative bars point left, each carries its value as text, and
    flagged rows get a ⚠ in their label."""
    values = _values(rows, [category, value, label] + ([flag] if flag else []))
    for v in values:
        v["name"] = ("⚠ " if flag and v.get(flag) else "") + f"{v[category]} · {v[label]}"
    spec = _base(f"{value_title} by {category}", values, height=max(120, 22 * len(values) + 30))
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "y": {"field": "name", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 150}},
        "x": {"field": value, "type": "quantitative", "title": value_title},
        "color": {"condition": {"test": f"datum['{value}'] < 0", "value": PALETTE[1]}, "value": PALETTE[0]},
    }
    return spec


# The weekly email's sales chart (notify/charts.py): net sales bars with orders as a dashed line.
def revenue_daily_chart(rows: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """Daily net sales as bars with orders as a line, from ``rpt_revenue_daily`` rows."""
    values = [
        {"date": r["date"].isoformat(), "net_sales": float(r["net_sales"]), "orders": int(r["orders"])} for r in rows
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Net sales per day",
        "width": "container",
        "height": 260,
        "data": {"values": values},
        "encoding": {"x": {"field": "date", "type": "temporal", "timeUnit": "yearmonthdate", "title": None}},
        "layer": [
            {
                "mark": {"type": "bar", "color": "#3b6fd8", "tooltip": True, "width": {"band": 0.8}},
                "encoding": {
                    "y": {"field": "net_sales", "type": "quantitative", "title": f"Net sales ({currency})"},
                    "tooltip": [
                        {"field": "date", "type": "temporal", "title": "Day"},
                        {"field": "net_sales", "type": "quantitative", "title": "Net sales", "format": ",.2f"},
                        {"field": "orders", "type": "quantitative", "title": "Orders"},
                    ],
                },
            },
            {
                "mark": {"type": "line", "color": "#e07b24", "strokeDash": [4, 3], "point": True, "xOffset": 0},
                "encoding": {"y": {"field": "orders", "type": "quantitative", "title": "Orders"}},
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
        "config": {"view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 11}},
    }


# The weekly email's marketing chart (notify/charts.py): ad spend bars with blended ROAS as a line.
def spend_roas_daily_chart(rows: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """Daily ad spend as bars with blended ROAS as a line, from ``rpt_marketing_daily`` rows."""
    values = [
        {"date": r["date"].isoformat(), "ad_spend": float(r["ad_spend"] or 0),
         "blended_roas": None if r["blended_roas"] is None else float(r["blended_roas"])}
        for r in rows
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Ad spend and blended ROAS per day",
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "encoding": {"x": {"field": "date", "type": "temporal", "timeUnit": "yearmonthdate", "title": None}},
        "layer": [
            {"mark": {"type": "bar", "color": "#8a63d2", "width": {"band": 0.8}},
             "encoding": {"y": {"field": "ad_spend", "type": "quantitative", "title": f"Ad spend ({currency})"}}},
            {"mark": {"type": "line", "color": "#1f9d74", "point": True},
             "encoding": {"y": {"field": "blended_roas", "type": "quantitative", "title": "Blended ROAS"}}},
        ],
        "resolve": {"scale": {"y": "independent"}},
        "config": {"view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 11}},
    }
