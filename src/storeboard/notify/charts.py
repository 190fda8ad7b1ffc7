"""Charts for the email: the dashboards' Vega-Lite specs rendered to PNG offline (vl-convert)."""

from __future__ import annotations

import copy
from typing import Any

from storeboard.presentation.charts import revenue_daily_chart

#: Pixel width of an email chart (doubled for sharp rendering on phones).
WIDTH = 560


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


def to_png(spec: dict[str, Any]) -> bytes:
    """Render a spec at email width as a PNG (2× scale)."""
    import vl_convert

    fixed = copy.deepcopy(spec)
    fixed["width"] = WIDTH
    fixed.setdefault("background", "white")
    return vl_convert.vegalite_to_png(fixed, scale=2)


def sales_png(rows: list[dict[str, Any]], currency: str) -> bytes:
    """Net sales and orders per day (the Revenue page's chart)."""
    return to_png(revenue_daily_chart(rows, currency))


def spend_roas_png(rows: list[dict[str, Any]], currency: str) -> bytes:
    """Ad spend and blended ROAS per day."""
    return to_png(spend_roas_daily_chart(rows, currency))
