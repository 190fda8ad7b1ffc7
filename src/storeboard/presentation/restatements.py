"""Restatements of closed periods, read from ``analytics.rpt_restatements`` and put in words.

The definitions (what a headline figure is, when a move counts, how the cause is found) are in
docs/metrics.md, Restatements, and in the dbt models; the data-health page, the revenue and
marketing pages, the Monday email and the Slack alert only read the mart through this module,
so they say the same thing the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from storeboard.presentation.formatting import count, money

#: metric → (label, kind): how each headline figure is named and shown
METRICS = {
    "net_sales": ("Net sales", "money"),
    "orders": ("Orders", "count"),
    "returns": ("Returns", "money"),
    "new_customers": ("New customers", "count"),
    "ad_spend": ("Ad spend", "money"),
    "platform_conversion_value": ("Platform conversion value", "money"),
    "contribution_margin": ("Contribution margin", "money"),
    "cogs": ("COGS", "money"),
    "shipping_cost": ("Shipping cost", "money"),
}
PLATFORMS = {"meta_ads": "Meta Ads", "google_ads": "Google Ads"}
#: what each page shows beside its charts
REVENUE_METRICS = ("net_sales", "orders", "returns")
MARKETING_METRICS = ("ad_spend", "platform_conversion_value", "new_customers")
#: what the Monday email's "Changes to earlier weeks" block reports
EMAIL_METRICS = ("net_sales", "orders", "new_customers", "ad_spend", "contribution_margin")


def period_label(grain: str, start: date, end: date) -> str:
    """``Tue 17 Nov 2026``, ``16–22 Nov 2026`` (``30 Nov – 6 Dec 2026``), ``November 2026``."""
    if grain == "day":
        return f"{start:%a} {start.day} {start:%b %Y}"
    if grain == "month":
        return f"{start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def metric_label(metric: str, ad_platform: str = "") -> str:
    label = METRICS.get(metric, (metric.replace("_", " ").capitalize(), "money"))[0]
    return f"{label} ({PLATFORMS.get(ad_platform, ad_platform)})" if ad_platform else label


def amount(metric: str, value: Decimal | int | None, currency: str, signed: bool = False) -> str:
    """The figure as the pages show it: store money, or a whole count."""
    if value is None:
        return "–"
    kind = METRICS.get(metric, ("", "money"))[1]
    text = count(value) if kind == "count" else money(value, currency)
    if kind == "count" and value < 0:
        text = "−" + count(-value)
    return ("+" + text) if signed and value > 0 else text


def sentence(row: dict[str, Any], currency: str) -> str:
    """``Net sales for 16–22 Nov 2026 restated from $90.00 to $70.00 (−$20.00: 1 late refund …)``."""
    return (f"{metric_label(row['metric'], row['ad_platform'])} for "
            f"{period_label(row['grain'], row['period_start'], row['period_end'])} restated from "
            f"{amount(row['metric'], row['old_value'], currency)} to {amount(row['metric'], row['new_value'], currency)} "
            f"({amount(row['metric'], row['change'], currency, signed=True)}: {row['cause']})")


def read(conn, *, restated_after: datetime | None = None, restated_before: datetime | None = None,
         periods_from: date | None = None, periods_to: date | None = None, grains: tuple[str, ...] | None = None,
         metrics: tuple[str, ...] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Restatements, newest first: seen in ``[restated_after, restated_before)``, of periods
    overlapping ``[periods_from, periods_to]``, of these grains and metrics. Empty when the
    mart is not built yet."""
    if not conn.table_exists("analytics", "rpt_restatements"):
        return []
    where, params = ["true"], {}
    bounds = (("restated_at >=", restated_after), ("restated_at <", restated_before),
              ("period_end >=", periods_from), ("period_start <=", periods_to))
    for i, (condition, value) in enumerate(bounds):
        if value is not None:
            where.append(f"{condition} %(bound_{i})s")
            params[f"bound_{i}"] = value
    for name, values in (("grain", grains), ("metric", metrics)):
        if values:
            names = {f"{name}_{i}": v for i, v in enumerate(values)}
            where.append(f"{name} in ({', '.join(f'%({k})s' for k in names)})")
            params.update(names)
    rows = conn.query(
        "select restatement_id, grain, period_start, period_end, metric, ad_platform, old_value, new_value, change, "
        "reported_at, restated_at, cause_source, cause from analytics.rpt_restatements "
        f"where {' and '.join(where)} "
        "order by restated_at desc, case grain when 'month' then 0 when 'week' then 1 else 2 end, period_start desc, "
        f"metric, ad_platform limit {int(limit)}", params)
    for row in rows:
        row["period"] = period_label(row["grain"], row["period_start"], row["period_end"])
        row["metric_label"] = metric_label(row["metric"], row["ad_platform"])
    return rows
