"""Revenue overview: sales for a range against the previous period and last year, a
day / week / month trend with a moving average, and the split by sales channel."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from storeboard.presentation import charts, drivers, metrics, restatements
from storeboard.web import periods, queries, restated as restated_view
from storeboard.web.pages import Chart, Column, Context, Page, Table, Tile, add_dashboard, missing

router = APIRouter(tags=["revenue"])

#: moving-average window per grain: (periods, label, days of history to read before the range)
TREND = {"day": (7, "7-day moving average", 6), "week": (4, "4-week moving average", 27 + 6),
         "month": (3, "3-month moving average", 92 + 31)}
ADDITIVE = ("gross_sales", "discounts", "returns", "net_sales", "shipping", "taxes", "total_sales", "orders",
            "duties", "additional_fees", "return_fees")


def bucket_rows(rows: list[dict[str, Any]], grain: str) -> dict:
    """Sums of the additive columns per period start, in date order."""
    buckets: dict = {}
    for r in rows:
        key = periods.bucket_start(r["date"], grain)
        b = buckets.setdefault(key, {"period": key, **{c: Decimal(0) for c in ADDITIVE}})
        for c in ADDITIVE:
            b[c] += Decimal(r[c])
    for b in buckets.values():
        b["orders"] = int(b["orders"])
        b["average_order_value"] = metrics.aov(b["gross_sales"] - b["discounts"], b["orders"])
    return dict(sorted(buckets.items()))


def with_trend(shown: dict, history: dict, window: int) -> None:
    """Adds ``net_sales_trend``: mean net sales of the last ``window`` whole periods (history
    before the range included), to each shown period."""
    keys = list(history)
    for key, row in shown.items():
        index = keys.index(key) if key in history else -1
        if index + 1 < window:
            row["net_sales_trend"] = None
            continue
        total = sum((history[k]["net_sales"] for k in keys[index + 1 - window: index + 1]), Decimal(0))
        row["net_sales_trend"] = (total / window).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def build(ctx: Context) -> Page:
    page = Page("revenue", "Revenue overview")
    grain = periods.resolve_grain(ctx.params.get("grain"))
    page.controls.append({"name": "grain", "label": "Group by", "value": grain,
                          "options": [("day", "Day"), ("week", "Week"), ("month", "Month")]})
    if missing(page, "rpt_revenue_daily", "rpt_revenue_by_channel_daily", conn=ctx.conn):
        return page
    conn, rng, cur = ctx.conn, ctx.range, ctx.currency
    ranges = {"now": rng, "prev": rng.previous(), "ly": rng.last_year()}
    summary = {k: queries.revenue_summary(conn, r.start, r.end) for k, r in ranges.items()}
    mix = {k: queries.order_mix(conn, r.start, r.end) for k, r in ranges.items()}
    has_marketing = queries.mart_exists(conn, "rpt_marketing_daily")
    new = {k: queries.marketing_summary(conn, r.start, r.end)["new_customers"] if has_marketing else None
           for k, r in ranges.items()}

    def tile(key, label, kind, values, note=""):
        return Tile(key, label, values["now"], kind, [("vs previous period", values["prev"]),
                                                      ("vs last year", values["ly"])], note)

    page.tiles = [
        tile("total_sales", "Total sales (Shopify)", "money", {k: s["total_sales"] for k, s in summary.items()},
             "net sales + shipping + taxes + duties, additional and return fees"),
        tile("net_sales", "Net sales (Shopify)", "money", {k: s["net_sales"] for k, s in summary.items()},
             "gross − discounts − returns"),
        tile("all_channels_net_sales", "Net sales, all channels", "money",
             {k: queries.channel_net_sales(conn, r.start, r.end) for k, r in ranges.items()},
             "Shopify + direct Stripe revenue"),
        tile("orders", "Orders (Shopify)", "count", {k: s["orders"] for k, s in summary.items()}),
        tile("average_order_value", "Average order value", "money",
             {k: s["average_order_value"] for k, s in summary.items()}, "(gross − discounts) ÷ orders"),
        tile("new_customers", "New customers", "count", new, "first order in the range"),
        tile("returning_customer_orders", "Orders from returning customers", "count",
             {k: m.get("returning_customer_orders") for k, m in mix.items()},
             f"{mix['now'].get('new_customer_orders', 0):,} from new customers, "
             f"{mix['now'].get('guest_orders', 0):,} guest checkouts"),
    ]
    window, trend_label, lookback = TREND[grain]
    daily = queries.revenue_daily(conn, rng.start - timedelta(days=lookback), rng.end)
    history = bucket_rows(daily, grain)
    shown = bucket_rows([r for r in daily if r["date"] >= rng.start], grain)
    with_trend(shown, history, window)
    rows = list(shown.values())
    restated = restatements.read(conn, periods_from=rng.start, periods_to=rng.end, grains=(grain,),
                                 metrics=restatements.REVENUE_METRICS)
    restated_view.mark(rows, restated, "net_sales", cur)
    unit = {"day": "yearmonthdate", "week": "yearmonthdate", "month": "yearmonth"}[grain]
    page.charts.append(Chart(
        "trend", f"Net sales per {grain}", charts.bars_with_trend(
            rows, "period", "net_sales", "net_sales_trend", f"Net sales ({cur})", trend_label, unit, marker="restated"),
        "periods", f"Bar chart of net sales per {grain}; the dashed line is the {trend_label}; a ▼ marks a "
        f"{grain} whose net sales were restated since first reported."))
    page.tables.append(Table("periods", f"By {grain}", [
        Column("period", {"day": "Day", "week": "Week of", "month": "Month"}[grain], "date"),
        Column("gross_sales", "Gross sales", "money", phone=False), Column("discounts", "Discounts", "money", phone=False),
        Column("returns", "Returns", "money", phone=False), Column("net_sales", "Net sales", "money"),
        Column("shipping", "Shipping", "money", phone=False), Column("taxes", "Taxes", "money", phone=False),
        Column("duties", "Duties", "money", phone=False),
        Column("additional_fees", "Additional fees", "money", phone=False),
        Column("return_fees", "Return fees", "money", phone=False),
        Column("total_sales", "Total sales", "money", phone=False), Column("orders", "Orders", "count"),
        Column("average_order_value", "AOV", "money", phone=False),
        Column("net_sales_trend", trend_label.capitalize(), "money", phone=False),
    ], list(reversed(rows)), note="Weeks start on Monday; the first and last period may be partial."))
    weeks = drivers.net_sales_weeks(conn, periods.bucket_start(rng.start, "week"), rng.end)
    page.tables.append(Table("drivers", "What drove net sales, week over week", [
        Column("week_start", "Week of", "date"), Column("net_sales", "Net sales", "money"),
        Column("change", "Change", "money"), Column("orders_effect", "Orders", "money"),
        Column("average_order_value_effect", "Order value", "money"), Column("returns_effect", "Returns", "money"),
        Column("other_channels_effect", "Other channels", "money", phone=False),
        Column("new_customers_effect", "New customers", "money", phone=False),
        Column("returning_customers_effect", "Returning", "money", phone=False),
        Column("guests_effect", "Guests", "money", phone=False),
    ], weeks, note="Each week against the one before. Orders + order value + returns + other channels = change; "
                   "new + returning + guests + returns + other channels = change (docs/metrics.md, What drove the "
                   "week). Weeks of the range, Monday to Sunday; the last may not be over yet."))
    page.tables.append(restated_view.table(restated, cur, grain))
    _channels(page, ctx, grain, unit)
    return page


def _channels(page: Page, ctx: Context, grain: str, unit: str) -> None:
    rows = queries.revenue_by_channel(ctx.conn, ctx.range.start, ctx.range.end)
    per_period: dict = defaultdict(lambda: Decimal(0))
    totals: dict[str, dict[str, Any]] = {}
    for r in rows:
        per_period[(periods.bucket_start(r["date"], grain), r["sales_channel"])] += Decimal(r["net_sales"])
        t = totals.setdefault(r["sales_channel"], {"sales_channel": r["sales_channel"], "net_sales": Decimal(0),
                                                   "total_sales": Decimal(0), "orders": 0})
        t["net_sales"] += Decimal(r["net_sales"])
        t["total_sales"] += Decimal(r["total_sales"])
        t["orders"] += int(r["orders"])
    all_net = sum((t["net_sales"] for t in totals.values()), Decimal(0))
    for t in totals.values():
        t["share"] = metrics.divide(t["net_sales"], all_net, metrics.FRACTION_PLACES)
    series = [{"period": p, "sales_channel": c, "net_sales": v} for (p, c), v in sorted(per_period.items())]
    page.charts.append(Chart(
        "channels", "Net sales by sales channel", charts.lines_by_series(
            series, "period", "net_sales", "sales_channel", f"Net sales ({ctx.currency})", unit),
        "channels", "Line chart of net sales per period, one line per sales channel (solid: first channel, "
        "dashed: second), with a different point shape for each."))
    page.tables.append(Table("channels", "By sales channel", [
        Column("sales_channel", "Sales channel"), Column("net_sales", "Net sales", "money"),
        Column("share", "Share of net sales", "pct"), Column("total_sales", "Total sales", "money", phone=False),
        Column("orders", "Orders / charges", "count", phone=False),
    ], sorted(totals.values(), key=lambda t: -t["net_sales"]),
        note="Direct Stripe: succeeded Stripe charges matched to no Shopify order."))


add_dashboard(router, "revenue", build)
