"""Chart definitions (Vega-Lite): one spec renders in the page and, later, as PNG in email."""

from __future__ import annotations

from typing import Any


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
