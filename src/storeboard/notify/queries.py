"""Every query the alerts and the weekly email run: marts in ``analytics`` only.

The weekly email's figures come ready-made from ``rpt_weekly_summary``. The alert rules sum a
mart's additive columns over their window, and a ratio over a window (campaign ROAS) is the ratio
of those sums, as docs/metrics.md defines it; no metric is derived here in any other way. A mart
that is not built yet reads as empty, so a rule that needs it is skipped rather than reported as
recovered.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from storeboard.presentation import metrics
from storeboard.warehouse import Connection

SCHEMA = "analytics"
# ROAS in an alert: 2 places like the marketing page, rounded once from the exact ratio of the sums
ROAS_ALERT_PLACES = 2


def has_mart(conn: Connection, name: str) -> bool:
    """True when ``analytics.<name>`` has been built."""
    return conn.table_exists(SCHEMA, name)


def inventory_status(conn: Connection) -> list[dict[str, Any]] | None:
    """Every SKU of ``rpt_inventory_status`` (None when the mart is missing)."""
    if not has_mart(conn, "rpt_inventory_status"):
        return None
    return conn.query(
        "select sku, product_title, on_hand, reorder_point, velocity, days_of_cover, "
        f"projected_stockout_date, is_low_stock from {SCHEMA}.rpt_inventory_status order by sku"
    )


def campaign_roas(conn: Connection, start: date, end: date) -> list[dict[str, Any]] | None:
    """Per campaign over [start, end] (ad account days): spend, platform conversion value and
    platform ROAS = Σ conversion value ÷ Σ spend (``rpt_marketing_campaigns_daily``)."""
    if not has_mart(conn, "rpt_marketing_campaigns_daily"):
        return None
    rows = conn.query(
        "select ad_platform, campaign_id, min(campaign_name) as campaign_name, sum(spend) as spend, "
        "sum(platform_conversion_value) as conversion_value "
        f"from {SCHEMA}.rpt_marketing_campaigns_daily where date between %(start)s and %(end)s "
        "group by ad_platform, campaign_id order by ad_platform, campaign_id",
        {"start": start, "end": end},
    )
    for row in rows:
        spend = Decimal(row["spend"] or 0)
        row["spend"] = spend
        row["conversion_value"] = Decimal(row["conversion_value"] or 0)
        # 2 places, as the marketing page shows the same campaign's ROAS over the same days
        row["roas"] = metrics.roas(row["conversion_value"], spend, ROAS_ALERT_PLACES)
    return rows


def budget_pacing(conn: Connection, month: date) -> list[dict[str, Any]] | None:
    """The month's rows of ``rpt_ad_budget_pacing_monthly`` (platform and campaign budgets)."""
    if not has_mart(conn, "rpt_ad_budget_pacing_monthly"):
        return None
    return conn.query(
        "select budget_pacing_id, month, ad_platform, budget_scope, campaign_id, campaign_name, budget_source, "
        "budget_amount, mtd_spend, projected_spend, pacing, pacing_status, elapsed_days, days_in_month "
        f"from {SCHEMA}.rpt_ad_budget_pacing_monthly where month = %(month)s and pacing is not null "
        "order by ad_platform, budget_scope, campaign_id",
        {"month": month},
    )


def sku_margins(conn: Connection, first_month: date, last_month: date) -> list[dict[str, Any]] | None:
    """Per SKU, the sums over months [first_month, last_month] of ``rpt_product_margin_monthly``:
    net revenue, gross margin and contribution margin (shop currency)."""
    if not has_mart(conn, "rpt_product_margin_monthly"):
        return None
    return conn.query(
        "select sku, min(product_title) as product_title, sum(net_units) as net_units, "
        "sum(net_revenue) as net_revenue, sum(gross_margin) as gross_margin, "
        "sum(shipping_cost) as shipping_cost, sum(contribution_margin) as contribution_margin "
        f"from {SCHEMA}.rpt_product_margin_monthly where month between %(first)s and %(last)s "
        "and sku <> '(no sku)' group by sku order by sku",
        {"first": first_month, "last": last_month},
    )


def source_health(conn: Connection) -> list[dict[str, Any]] | None:
    """Every row of ``rpt_source_health`` (one per source ever extracted)."""
    if not has_mart(conn, "rpt_source_health"):
        return None
    return conn.query(
        "select source_name, last_status, last_error, last_attempt_at, last_success_at, minutes_since_success, "
        f"health_status from {SCHEMA}.rpt_source_health order by source_name"
    )


def net_sales_on(conn: Connection, days: list[date]) -> dict[date, Decimal] | None:
    """Net sales of each listed day inside ``rpt_revenue_daily``'s range (first to last day with
    sales; days inside it without sales have a row with 0). Days outside the range are absent."""
    if not has_mart(conn, "rpt_revenue_daily"):
        return None
    if not days:
        return {}
    params = {f"d{i}": day for i, day in enumerate(days)}
    rows = conn.query(
        f"select date, net_sales from {SCHEMA}.rpt_revenue_daily "
        f"where date in ({', '.join(f'%({k})s' for k in params)})",
        params,
    )
    return {row["date"]: Decimal(row["net_sales"]) for row in rows}


def revenue_days(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """One ``rpt_revenue_daily`` row per day in [start, end] (for the sales chart)."""
    if not has_mart(conn, "rpt_revenue_daily"):
        return []
    return conn.query(
        f"select date, net_sales, orders from {SCHEMA}.rpt_revenue_daily "
        "where date between %(start)s and %(end)s order by date",
        {"start": start, "end": end},
    )


def marketing_days(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """One ``rpt_marketing_daily`` row per day in [start, end] (for the spend/ROAS chart)."""
    if not has_mart(conn, "rpt_marketing_daily"):
        return []
    return conn.query(
        f"select date, ad_spend, net_sales, blended_roas from {SCHEMA}.rpt_marketing_daily "
        "where date between %(start)s and %(end)s order by date",
        {"start": start, "end": end},
    )


def weekly_summary(conn: Connection, week_start: date) -> dict[str, dict[str, Any]] | None:
    """The week's headline metrics from ``rpt_weekly_summary``: metric → its row (``value``,
    ``previous_value``, ``change``, ``change_pct``; money in shop currency, change_pct a fraction).
    None when the mart is missing; empty when the week has no row."""
    if not has_mart(conn, "rpt_weekly_summary"):
        return None
    rows = conn.query(
        "select metric, metric_order, value, previous_value, change, change_pct "
        f"from {SCHEMA}.rpt_weekly_summary where week_start = %(week)s order by metric_order",
        {"week": week_start},
    )
    return {row["metric"]: row for row in rows}
