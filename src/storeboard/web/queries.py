"""Every query the web layer runs, against marts in ``analytics`` only.

Range figures are sums of the mart's additive columns; ratios (AOV) are ratios of those sums, as
docs/metrics.md defines them, never averages of daily ratios.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from storeboard.warehouse import Connection

MART = "analytics.rpt_revenue_daily"


def store_info(conn: Connection) -> dict[str, Any]:
    """The store's time zone and currency from ``analytics.dim_store`` (defaults before a build)."""
    if conn.table_exists("analytics", "dim_store"):
        rows = conn.query("select timezone, currency_code, built_at from analytics.dim_store")
        if rows:
            return rows[0]
    return {"timezone": "UTC", "currency_code": "USD", "built_at": None}


def revenue_bounds(conn: Connection) -> tuple[date, date] | None:
    """First and last day in the revenue mart, or None when it is empty or not built."""
    if not conn.table_exists("analytics", "rpt_revenue_daily"):
        return None
    row = conn.query(f"select min(date) as first_day, max(date) as last_day from {MART}")[0]
    if row["first_day"] is None:
        return None
    return row["first_day"], row["last_day"]


def revenue_daily(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """One row per day in [start, end] from ``rpt_revenue_daily``."""
    return conn.query(
        "select date, gross_sales, discounts, returns, net_sales, orders, average_order_value "
        f"from {MART} where date between %(start)s and %(end)s order by date",
        {"start": start, "end": end},
    )


def revenue_summary(conn: Connection, start: date, end: date) -> dict[str, Any]:
    """Headline figures for [start, end]."""
    row = conn.query(
        "select coalesce(sum(gross_sales), 0) as gross_sales, coalesce(sum(discounts), 0) as discounts, "
        "coalesce(sum(returns), 0) as returns, coalesce(sum(net_sales), 0) as net_sales, "
        f"coalesce(sum(orders), 0) as orders from {MART} where date between %(start)s and %(end)s",
        {"start": start, "end": end},
    )[0]
    orders = int(row["orders"])
    sales = Decimal(row["gross_sales"]) - Decimal(row["discounts"])
    row["orders"] = orders
    row["average_order_value"] = (sales / orders).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") if orders else None
    return row
