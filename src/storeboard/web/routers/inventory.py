"""Inventory: SKUs by days of cover, the low-stock list with projected stockout dates, and the
stock on hand valued at cost. A snapshot as of the last refresh, so it takes no date range."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter

from storeboard.presentation import charts
from storeboard.presentation.formatting import number
from storeboard.web import queries
from storeboard.web.pages import Chart, Column, Context, Page, Table, Tile, add_dashboard, missing

router = APIRouter(tags=["inventory"])

COLUMNS = [
    Column("sku", "SKU"), Column("product_title", "Product", phone=False), Column("on_hand", "On hand", "count"),
    Column("reorder_point", "Reorder point", "count", phone=False), Column("velocity", "Sold / day", "number", phone=False),
    Column("days_of_cover", "Days of cover", "days"), Column("projected_stockout_date", "Stockout", "date"),
    Column("stock_value", "Value at cost", "money", phone=False), Column("lead_time_days", "Lead time", "count", phone=False),
    Column("is_low_stock", "Low stock", "bool", phone=False),
]


def build(ctx: Context) -> Page:
    page = Page("inventory", "Inventory", uses_range=False)
    if missing(page, "rpt_inventory_status", conn=ctx.conn):
        return page
    rows = queries.inventory(ctx.conn)
    low = [r for r in rows if r["is_low_stock"]]
    low.sort(key=lambda r: (r["projected_stockout_date"] is None, r["projected_stockout_date"] or r["report_date"], r["sku"]))
    snapshot = max((r["snapshot_date"] for r in rows), default=None)
    report = rows[0]["report_date"] if rows else None
    page.range_note = (f"stock from the inventory CSV of {snapshot.isoformat()}, sales velocity over the "
                       f"{ctx.config.metrics.velocity_window_days} days to {report.isoformat()}") if rows else ""
    page.tiles = [
        Tile("skus", "SKUs in stock file", len(rows), "count"),
        Tile("low_stock", "Low on stock", len(low), "count", note="on hand ≤ reorder point"),
        Tile("stock_value", "Stock value at cost", sum((r["stock_value"] or Decimal(0) for r in rows), Decimal(0)), "money"),
        Tile("under_14_days", "Under 14 days of cover",
             sum(1 for r in rows if r["days_of_cover"] is not None and r["days_of_cover"] < 14), "count"),
    ]
    lowest = [r for r in rows if r["days_of_cover"] is not None][:20]
    for r in lowest:
        r["label"] = f"{number(r['days_of_cover'], 1)} d"
    page.charts.append(Chart(
        "cover", "Fewest days of cover", charts.horizontal_bars(
            lowest, "sku", "days_of_cover", "label", "Days of cover", flag="is_low_stock"), "lowest_cover",
        "Horizontal bar chart of the 20 SKUs with the fewest days of cover, each labelled with its days; "
        "SKUs at or below their reorder point carry a warning sign."))
    page.tables.append(Table("lowest_cover", "Fewest days of cover", COLUMNS, lowest, hidden=True))
    page.tables.append(Table("low_stock", "Low stock: reorder now", COLUMNS, low, flag="is_low_stock",
                             flag_label="low", empty="No SKU is at or below its reorder point.",
                             note="Soonest projected stockout first (today + days of cover)."))
    page.tables.append(Table("skus", "All SKUs by days of cover", COLUMNS, rows, flag="is_low_stock", flag_label="low",
                             note="SKUs that did not sell in the window have infinite cover (–) and come last."))
    return page


add_dashboard(router, "inventory", build)
