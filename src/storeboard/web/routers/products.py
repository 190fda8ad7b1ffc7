"""Product margin per SKU: units, net revenue, COGS, gross margin %, shipping, fees and
contribution margin, sortable, with SKUs that lose money once shipped listed first.

The mart is monthly, so the range selects whole months (those it touches)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException

from storeboard.presentation import charts, metrics
from storeboard.presentation.formatting import money
from storeboard.web import periods, queries
from storeboard.web.pages import Chart, Column, Context, Page, Table, Tile, add_dashboard, missing

router = APIRouter(tags=["products"])

COLUMNS = [
    Column("sku", "SKU"), Column("product_title", "Product", phone=False), Column("net_units", "Units", "count"),
    Column("net_revenue", "Net revenue", "money"), Column("cogs", "COGS", "money", phone=False),
    Column("gross_margin", "Gross margin", "money", phone=False), Column("gross_margin_pct", "Margin %", "pct"),
    Column("shipping_revenue", "Shipping charged", "money", phone=False),
    Column("shipping_cost", "Shipping cost", "money", phone=False), Column("payment_fees", "Fees", "money", phone=False),
    Column("chargebacks", "Chargebacks", "money", phone=False),
    Column("contribution_margin", "Contribution", "money"),
    Column("is_loss_after_shipping", "Loses money after shipping", "bool", phone=False),
]
SORTABLE = {c.key: c.label for c in COLUMNS if c.key != "is_loss_after_shipping"}


def build(ctx: Context) -> Page:
    page = Page("products", "Product margin")
    sort = ctx.params.get("sort") or "contribution_margin"
    direction = ctx.params.get("dir") or ("asc" if sort in ("sku", "product_title") else "desc")
    if sort not in SORTABLE or direction not in ("asc", "desc"):
        raise HTTPException(status_code=422, detail=f"sort must be one of {', '.join(SORTABLE)} and dir asc or desc")
    page.controls += [
        {"name": "sort", "label": "Sort by", "value": sort, "options": list(SORTABLE.items())},
        {"name": "dir", "label": "Order", "value": direction, "options": [("desc", "High → low"), ("asc", "Low → high")]},
    ]
    if missing(page, "rpt_product_margin_monthly", conn=ctx.conn):
        return page
    first, last = periods.month_start(ctx.range.start), periods.month_start(ctx.range.end)
    last_day = periods.add_months(last, 1) - timedelta(days=1)
    page.range_note = f"whole months {first.isoformat()} – {last_day.isoformat()}"
    rows = queries.product_margin(ctx.conn, first, last)
    present = [r for r in rows if r.get(sort) is not None]
    present.sort(key=lambda r: r[sort], reverse=direction == "desc")
    ordered = present + [r for r in rows if r.get(sort) is None]
    ordered = [r for r in ordered if r["is_loss_after_shipping"]] + [r for r in ordered if not r["is_loss_after_shipping"]]
    totals = {k: sum((r[k] for r in rows), 0) for k in ("net_revenue", "cogs", "gross_margin", "contribution_margin")}
    losers = [r for r in rows if r["is_loss_after_shipping"]]
    page.tiles = [
        Tile("net_revenue", "Net revenue", totals["net_revenue"], "money"),
        Tile("gross_margin_pct", "Gross margin %", metrics.margin_pct(totals["gross_margin"], totals["net_revenue"]), "pct",
             note="(net revenue − COGS) ÷ net revenue"),
        Tile("contribution_margin", "Contribution margin", totals["contribution_margin"], "money",
             note="after shipping and payment fees"),
        Tile("loss_skus", "SKUs losing money after shipping", len(losers), "count"),
    ]
    missing_cost = sum(r["lines_missing_cost"] for r in rows)
    if missing_cost:
        page.notices.append(f"{missing_cost:,} order lines have no unit cost (inventory CSV or Shopify): their "
                            "COGS counts as 0, so margins are overstated.")
    top = sorted(rows, key=lambda r: -r["net_revenue"])[:15]
    for r in top:
        r["label"] = money(r["contribution_margin"], ctx.currency)
    page.charts.append(Chart(
        "contribution", "Contribution margin of the 15 best-selling SKUs", charts.horizontal_bars(
            top, "sku", "contribution_margin", "label", f"Contribution margin ({ctx.currency})",
            flag="is_loss_after_shipping"), "top_skus",
        "Horizontal bar chart of contribution margin for the 15 SKUs with most net revenue; each bar's label "
        "gives the amount, and SKUs that lose money after shipping are marked with a warning sign."))
    page.tables.append(Table("top_skus", "Best-selling SKUs", COLUMNS, top, hidden=True))
    page.tables.append(Table(
        "skus", "By SKU", COLUMNS, ordered, flag="is_loss_after_shipping", flag_label="loses money after shipping",
        note="Flagged and listed first: positive gross margin but negative contribution margin once shipping cost "
             "and payment fees are counted."))
    return page


add_dashboard(router, "products", build)
