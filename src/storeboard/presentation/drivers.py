"""What drove each week: the parts of the change in net sales, ad spend and MER against the week
before, read from ``analytics.rpt_net_sales_change_weekly`` and ``rpt_ad_spend_change_weekly``
and put in words. The parts are computed once, in those marts (docs/metrics.md, What drove the
week); the revenue and marketing pages and the Monday email only read and word them here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from storeboard.presentation.formatting import money

PLATFORMS = {"meta_ads": "Meta Ads", "google_ads": "Google Ads"}
NET_SALES_COLUMNS = (
    "week_start, week_end, net_sales, previous_net_sales, change, orders, previous_orders, orders_effect, "
    "average_order_value_effect, new_customers_effect, returning_customers_effect, guests_effect, returns_effect, "
    "shopify_effect, other_channels_effect")


def net_sales_weeks(conn, first_week: date, last_week: date) -> list[dict[str, Any]]:
    """The weeks starting in ``[first_week, last_week]``, newest first; empty before the mart exists."""
    if not conn.table_exists("analytics", "rpt_net_sales_change_weekly"):
        return []
    return conn.query(f"select {NET_SALES_COLUMNS} from analytics.rpt_net_sales_change_weekly "
                      "where week_start between %(first)s and %(last)s order by week_start desc",
                      {"first": first_week, "last": last_week})


def ad_spend_weeks(conn, first_week: date, last_week: date) -> list[dict[str, Any]]:
    """The parts of the weeks starting in ``[first_week, last_week]``: newest week first, platforms
    before net sales; empty before the mart exists."""
    if not conn.table_exists("analytics", "rpt_ad_spend_change_weekly"):
        return []
    rows = conn.query(
        "select week_start, part, spend, previous_spend, spend_change, mer, previous_mer, mer_change, mer_effect "
        "from analytics.rpt_ad_spend_change_weekly where week_start between %(first)s and %(last)s "
        "order by week_start desc, case when part = 'net_sales' then 1 else 0 end, part",
        {"first": first_week, "last": last_week})
    for row in rows:
        row["part_label"] = "Net sales" if row["part"] == "net_sales" else PLATFORMS.get(row["part"], row["part"])
    return rows


def _signed(value: Decimal, currency: str) -> str:
    text = money(value, currency)
    return "+" + text if value > 0 else text


def _ratio(value: Decimal | None) -> str:
    """A signed MER change at the marts' 4 places, so that the parts visibly add up."""
    if value is None:
        return "–"
    amount = Decimal(value).quantize(Decimal("0.0001"), rounding="ROUND_HALF_UP")
    return f"{'+' if amount > 0 else '−' if amount < 0 else ''}{abs(amount):.4f}"


def net_sales_sentences(week: dict[str, Any], currency: str) -> list[str]:
    """The week's change in net sales explained two ways, each adding up to the change."""
    orders = f"{int(week['orders']):,} orders against {int(week['previous_orders']):,}"
    return [
        f"Net sales {_signed(week['change'], currency)} against the week before "
        f"({money(week['net_sales'], currency)} from {money(week['previous_net_sales'], currency)}): "
        f"orders {_signed(week['orders_effect'], currency)} ({orders}), average order value "
        f"{_signed(week['average_order_value_effect'], currency)}, returns {_signed(week['returns_effect'], currency)}, "
        f"other channels {_signed(week['other_channels_effect'], currency)}.",
        f"By customer: new customers {_signed(week['new_customers_effect'], currency)}, returning customers "
        f"{_signed(week['returning_customers_effect'], currency)}, guests {_signed(week['guests_effect'], currency)}, "
        f"with the same returns and other channels.",
    ]


def ad_spend_sentence(parts: list[dict[str, Any]], currency: str) -> str | None:
    """The week's ad spend change by platform and what moved MER; None without ad spend."""
    platforms = [p for p in parts if p["part"] != "net_sales"]
    if not platforms:
        return None
    total = sum((p["spend_change"] for p in platforms), Decimal(0))
    spend = ", ".join(f"{p['part_label']} {_signed(p['spend_change'], currency)}" for p in platforms)
    text = f"Ad spend {_signed(total, currency)} ({spend})."
    first = parts[0]
    if first["mer_change"] is None:
        return text + " MER cannot be compared: one of the two weeks had no ad spend."
    effects = ", ".join(f"{p['part_label'].lower() if p['part'] == 'net_sales' else p['part_label'] + ' spend'} "
                        f"{_ratio(p['mer_effect'])}" for p in parts)
    level = lambda v: Decimal(v).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")  # noqa: E731
    return text + f" MER {level(first['mer'])} from {level(first['previous_mer'])} ({_ratio(first['mer_change'])}): {effects}."
