"""Customer LTV: the cohort heat-map (cohort month × months since first order, cumulative net
sales per customer), LTV curves per acquisition channel, repeat rate, LTV : CAC and payback.

The range picks cohorts by the month of their first order. Across channels or cohorts, LTV is
Σ cumulative net sales ÷ Σ cohort customers (a ratio of sums, never a mean of ratios).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException

from storeboard.presentation import charts, metrics
from storeboard.presentation.formatting import money
from storeboard.web import periods, queries
from storeboard.web.pages import Chart, Column, Context, Page, Table, add_dashboard, missing

router = APIRouter(tags=["customers"])
ALL = "all"


def _sum_by(rows, key_fn) -> dict:
    sums: dict = defaultdict(lambda: {"customers": 0, "net": Decimal(0), "margin": Decimal(0), "repeat": 0})
    for r in rows:
        s = sums[key_fn(r)]
        s["customers"] += int(r["cohort_customers"])
        s["net"] += Decimal(r["cumulative_net_sales"])
        s["margin"] += Decimal(r["cumulative_contribution_margin"])
        s["repeat"] += int(r["repeat_customers"])
    return sums


def build(ctx: Context) -> Page:
    page = Page("customers", "Customer LTV")
    if missing(page, "rpt_customer_cohorts_monthly", "rpt_marketing_channels_daily", conn=ctx.conn):
        return page
    first, last = periods.month_start(ctx.range.start), periods.month_start(ctx.range.end)
    page.range_note = f"cohorts of {first.strftime('%b %Y')} – {last.strftime('%b %Y')} (month of first order)"
    rows = queries.cohorts(ctx.conn, first, last)
    channel_names = sorted({r["acquisition_channel"] for r in rows})
    channel = ctx.params.get("channel") or ALL
    if channel != ALL and channel not in channel_names:
        raise HTTPException(status_code=422, detail="channel must be one of the acquisition channels listed")
    page.controls.append({"name": "channel", "label": "Heat-map channel", "value": channel,
                          "options": [(ALL, "All channels")] + [(c, c) for c in channel_names]})
    _heatmap(page, ctx, [r for r in rows if channel == ALL or r["acquisition_channel"] == channel])
    _curves(page, ctx, rows)
    _channel_summary(page, ctx, rows, first, last)
    _cohort_table(page, ctx, rows)
    return page


def _heatmap(page: Page, ctx: Context, rows) -> None:
    cells = []
    for (cohort, k), s in sorted(_sum_by(rows, lambda r: (r["cohort_month"], r["months_since_first_order"])).items()):
        ltv = metrics.divide(s["net"], s["customers"])
        cells.append({"cohort_month": cohort.strftime("%Y-%m"), "months_since_first_order": k,
                      "customers": s["customers"], "ltv_net_sales": ltv,
                      "label": money(ltv, ctx.currency) if ltv is not None else "",
                      "repeat_rate": metrics.divide(s["repeat"], s["customers"], metrics.FRACTION_PLACES)})
    page.charts.append(Chart(
        "cohorts", "Cumulative net sales per customer by cohort", charts.heatmap(
            cells, "months_since_first_order", "cohort_month", "ltv_net_sales", "label", "Months since first order",
            "Cohort", f"LTV ({ctx.currency})"),
        "heatmap", "Heat-map: one row per cohort month, one column per month since first order; "
        "each cell shows the cumulative net sales per customer as text."))
    page.tables.append(Table("heatmap", "Cohort heat-map data", [
        Column("cohort_month", "Cohort"), Column("months_since_first_order", "Month", "count"),
        Column("customers", "Customers", "count"), Column("ltv_net_sales", "LTV (net sales)", "money"),
        Column("repeat_rate", "Repeat rate", "pct")], cells, hidden=True))


def chained_curve(rows) -> dict[int, dict[str, Any]]:
    """One channel's LTV curve over several cohorts, chained so the cohort mix cannot bend it down.

    Month 0 is Σ cumulative net sales ÷ Σ customers of every cohort. Each later month k adds the
    growth from k − 1 to k of the cohorts that have reached k: Σ (cum[k] − cum[k − 1]) ÷ Σ customers
    of those cohorts. Both are ratios of sums of the mart's columns.
    """
    by_cohort: dict = defaultdict(dict)
    for r in rows:
        by_cohort[r["cohort_month"]][int(r["months_since_first_order"])] = r
    curve: dict[int, dict[str, Any]] = {}
    net = margin = Decimal(0)
    for k in range(max((max(c) for c in by_cohort.values()), default=-1) + 1):
        reached = [c for c in by_cohort.values() if k in c and (k == 0 or k - 1 in c)]
        customers = sum(int(c[k]["cohort_customers"]) for c in reached)
        if not customers:
            break
        grow_net = sum(Decimal(c[k]["cumulative_net_sales"]) - (Decimal(c[k - 1]["cumulative_net_sales"]) if k else 0)
                       for c in reached)
        grow_margin = sum(Decimal(c[k]["cumulative_contribution_margin"])
                          - (Decimal(c[k - 1]["cumulative_contribution_margin"]) if k else 0) for c in reached)
        net += grow_net / customers
        margin += grow_margin / customers
        curve[k] = {"customers": customers, "ltv_net_sales": net.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"),
                    "ltv_contribution_margin": margin.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")}
    return curve


def _curves(page: Page, ctx: Context, rows) -> None:
    points = []
    for channel in sorted({r["acquisition_channel"] for r in rows}):
        curve = chained_curve([r for r in rows if r["acquisition_channel"] == channel])
        for k, point in curve.items():
            points.append({"acquisition_channel": channel, "months_since_first_order": k, **point})
    page.charts.append(Chart(
        "curves", "LTV curves by acquisition channel", charts.lines_by_series(
            points, "months_since_first_order", "ltv_net_sales", "acquisition_channel",
            f"Cumulative net sales per customer ({ctx.currency})", x_type="ordinal", x_title="Months since first order"),
        "curves", "Line chart of cumulative net sales per customer by months since first order, one line per "
        "acquisition channel with its own dash pattern and point shape."))
    page.tables.append(Table("curves", "LTV curve data", [
        Column("acquisition_channel", "Channel"), Column("months_since_first_order", "Month", "count"),
        Column("customers", "Customers", "count"), Column("ltv_net_sales", "LTV (net sales)", "money"),
        Column("ltv_contribution_margin", "LTV (contribution)", "money")], points, hidden=True))


def _channel_summary(page: Page, ctx: Context, rows, first, last) -> None:
    """Per channel: customers, LTV and repeat rate at each cohort's LTV:CAC month (12, or the latest
    available), CAC over the cohorts' months, LTV : CAC and the first month contribution covers CAC."""
    month_end = periods.add_months(last, 1) - timedelta(days=1)
    acquisition = queries.channel_acquisition(ctx.conn, first, month_end)
    at_mark = _sum_by([r for r in rows if r["is_ltv_to_cac_month"]], lambda r: r["acquisition_channel"])
    curve = {channel: {k: p["ltv_contribution_margin"] for k, p in chained_curve(
        [r for r in rows if r["acquisition_channel"] == channel]).items()} for channel in at_mark}
    summary = []
    for channel, s in sorted(at_mark.items(), key=lambda kv: -kv[1]["customers"]):
        spend = acquisition.get(channel, {})
        cac = metrics.cac(spend.get("spend"), spend.get("new_customers"))
        ltv = metrics.divide(s["net"], s["customers"])
        marks = sorted({int(r["months_since_first_order"]) for r in rows
                        if r["is_ltv_to_cac_month"] and r["acquisition_channel"] == channel})
        payback = next((k for k, v in sorted(curve[channel].items()) if cac and v is not None and v >= cac), None)
        summary.append({
            "acquisition_channel": channel, "customers": s["customers"], "ltv_net_sales": ltv,
            "ltv_month": "12" if marks == [12] else f"{marks[0]}–{marks[-1]}" if len(marks) > 1 else str(marks[0]),
            "repeat_rate": metrics.divide(s["repeat"], s["customers"], metrics.FRACTION_PLACES), "channel_cac": cac,
            "ltv_to_cac": metrics.divide(ltv, cac) if cac else None,
            "payback_month": payback if payback is not None else ("not yet" if cac else None),
        })
    page.tables.append(Table("channels", "By acquisition channel", [
        Column("acquisition_channel", "Channel"), Column("customers", "Customers", "count"),
        Column("ltv_net_sales", "LTV", "money"), Column("ltv_month", "LTV at month", phone=False),
        Column("repeat_rate", "Repeat rate", "pct"), Column("channel_cac", "CAC", "money"),
        Column("ltv_to_cac", "LTV : CAC", "ratio"), Column("payback_month", "Payback month", phone=False),
    ], summary, note="LTV and repeat rate at month 12 after the first order, or the latest month each cohort has "
                     "reached (column 'LTV at month'). CAC: channel spend ÷ new customers over the cohorts' months. "
                     "Payback: first month whose cumulative contribution margin per customer (the curve) covers CAC. "
                     "Curves chain each month's growth over the cohorts that reached it, so a young cohort cannot "
                     "bend a curve down."))


def _cohort_table(page: Page, ctx: Context, rows) -> None:
    marks = [r for r in rows if r["is_ltv_to_cac_month"]]
    table = [{
        "cohort_month": r["cohort_month"].strftime("%Y-%m"), "acquisition_channel": r["acquisition_channel"],
        "cohort_customers": r["cohort_customers"], "months_since_first_order": r["months_since_first_order"],
        "ltv_net_sales": r["ltv_net_sales"], "repeat_rate": r["repeat_rate"], "channel_cac": r["channel_cac"],
        "ltv_to_cac": r["ltv_to_cac"],
    } for r in sorted(marks, key=lambda r: (r["cohort_month"], r["acquisition_channel"]), reverse=True)]
    page.tables.append(Table("cohorts", "Cohorts", [
        Column("cohort_month", "Cohort"), Column("acquisition_channel", "Channel"),
        Column("cohort_customers", "Customers", "count"), Column("months_since_first_order", "At month", "count", phone=False),
        Column("ltv_net_sales", "LTV", "money"), Column("repeat_rate", "Repeat rate", "pct", phone=False),
        Column("channel_cac", "CAC", "money", phone=False), Column("ltv_to_cac", "LTV : CAC", "ratio"),
    ], table, note="One row per cohort and channel, as rpt_customer_cohorts_monthly reports it at month 12 or the "
                   "latest month reached."))


add_dashboard(router, "customers", build, default_preset="365d")
