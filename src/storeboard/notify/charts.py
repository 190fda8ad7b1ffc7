"""Charts for the email: the dashboards' Vega-Lite specs rendered to PNG offline (vl-convert)."""

from __future__ import annotations

import copy
from typing import Any

from storeboard.presentation.charts import revenue_daily_chart, spend_roas_daily_chart

#: Pixel width of an email chart (doubled for sharp rendering on phones).
WIDTH = 560


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
