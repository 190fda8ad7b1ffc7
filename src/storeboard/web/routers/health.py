"""Data health: last successful refresh per source, freshness, rows loaded, failures with their
error, quarantined records, the closed periods restated by the range's refreshes, the Shopify ↔
Stripe reconciliation gaps and the ad spend reconciliation (modelled spend vs each ad account's
own total) in the range."""

from __future__ import annotations

from fastapi import APIRouter

from storeboard.freshness import stale_after
from storeboard.presentation import charts, restatements
from storeboard.web import health, queries, restated as restated_view
from storeboard.web.pages import Chart, Column, Context, Page, Table, Tile, add_dashboard, missing

router = APIRouter(tags=["health"])
#: restatements listed on the page (the whole log is analytics.rpt_restatements)
RESTATEMENTS_SHOWN = 50
STATUS = {"ok": "✓ ok", "warning": "! warning", "stale": "⚠ stale", "failed": "✗ failed"}


def build(ctx: Context) -> Page:
    page = Page("health", "Data health")
    if missing(page, "rpt_source_health", conn=ctx.conn):
        return page
    limit = stale_after(ctx.config)
    rows = health.assess(queries.source_health(ctx.conn), ctx.config)
    for r in rows:
        r["status_text"] = STATUS.get(r["status"], r["status"])
        r["freshness"] = health.age_text(r["age"])
        r["is_bad"] = r["status"] in ("failed", "stale")
    rows.sort(key=lambda r: (not r["is_bad"], r["status"] != "warning", r["source_name"]))
    page.tiles = [
        Tile("sources_ok", "Sources healthy", sum(1 for r in rows if r["status"] == "ok"), "count",
             note=f"of {len(rows)} sources"),
        Tile("sources_failed", "Failed", sum(1 for r in rows if r["status"] == "failed"), "count"),
        Tile("sources_stale", "Stale", sum(1 for r in rows if r["status"] == "stale"), "count",
             note=f"no success for over {health.age_text(limit).removesuffix(' ago')}"),
        Tile("quarantined", "Quarantined records", sum(int(r["quarantined_records"]) for r in rows), "count"),
    ]
    for r in rows:
        r["hours_since_success"] = round(r["age"].total_seconds() / 3600, 1) if r["age"] is not None else None
    charted = [r for r in rows if r["hours_since_success"] is not None]
    page.charts.append(Chart(
        "freshness", "Hours since each source's last successful load", charts.horizontal_bars(
            charted, "source_name", "hours_since_success", "freshness", "Hours since last success", flag="is_bad"),
        "freshness", "Horizontal bar chart of hours since each source last loaded successfully, each labelled with "
        "the age; failed or stale sources carry a warning sign."))
    page.tables.append(Table("freshness", "Freshness", [
        Column("source_name", "Source"), Column("hours_since_success", "Hours since success", "number"),
        Column("status_text", "Status")], charted, hidden=True))
    page.tables.append(Table("sources", "Sources", [
        Column("source_name", "Source"), Column("status_text", "Status"), Column("freshness", "Last success"),
        Column("last_success_at", "Last success at", "timestamp", phone=False),
        Column("rows_loaded_last_success", "Rows loaded", "count", phone=False),
        Column("last_attempt_at", "Last attempt", "timestamp", phone=False), Column("last_error", "Last error"),
        Column("quarantined_records", "Quarantined", "count", phone=False),
        Column("quarantined_last_run", "Quarantined last run", "count", phone=False),
    ], rows, flag="is_bad", flag_label="needs attention",
        note=f"Stale: last success older than {health.age_text(limit).removesuffix(' ago')} (metrics.stale_after_hours, "
             "by default twice the refresh interval)."))
    # the refreshes' own record, newest first, whatever range the page shows
    seen = restatements.read(ctx.conn, limit=RESTATEMENTS_SHOWN)
    table = restated_view.table(seen, ctx.currency, empty="No closed day, week or month has been restated yet.")
    table.note = (f"The {RESTATEMENTS_SHOWN} most recent, newest first. " if len(seen) == RESTATEMENTS_SHOWN else "") \
        + table.note
    page.tables.append(table)
    if queries.mart_exists(ctx.conn, "rpt_payment_reconciliation_daily"):
        days = queries.reconciliation_days(ctx.conn, ctx.range.start, ctx.range.end)
        page.tiles.append(Tile("reconciliation_gaps", "Days with payment gaps", len(days), "count",
                               note="Shopify vs Stripe differs by more than 1 %"))
        page.tables.append(Table("reconciliation", "Payment reconciliation gaps", [
            Column("date", "Day", "date"), Column("shopify_stripe_sales", "Shopify via Stripe", "money"),
            Column("matched_charges", "Stripe charges", "money"), Column("difference", "Gap", "money"),
            Column("difference_pct", "Gap %", "pct"), Column("missing_charge_count", "Missing charges", "count", phone=False),
            Column("amount_mismatch_count", "Amount mismatches", "count", phone=False),
        ], days, empty="Shopify and Stripe agree within 1 % on every day of the range."))
        issues = queries.reconciliation_issues(ctx.conn, ctx.range.start, ctx.range.end)
        page.tables.append(Table("issues", "Payments that do not reconcile", [
            Column("date", "Day", "date"), Column("cause", "Cause"), Column("order_id", "Order", phone=False),
            Column("charge_id", "Charge", phone=False), Column("shopify_amount", "Shopify", "money"),
            Column("stripe_amount", "Stripe", "money"), Column("difference", "Difference", "money", phone=False),
        ], issues, empty="No unmatched payments in this range.",
            note="unmatched_charge: a Stripe charge with no Shopify order (direct Stripe revenue is one); "
                 "missing_charge: a Shopify order paid through Stripe without a charge; amount_mismatch: amounts differ."))
    if queries.mart_exists(ctx.conn, "rpt_ad_spend_reconciliation_daily"):
        spend = queries.ad_spend_reconciliation(ctx.conn, ctx.range.start, ctx.range.end)
        page.tiles.append(Tile("spend_gaps", "Ad account days with spend gaps", sum(1 for r in spend if r["is_warning"]),
                               "count", note="modelled spend vs the platform's account total"))
        page.tables.append(Table("spend_reconciliation", "Ad spend reconciliation", [
            Column("date", "Day", "date"), Column("ad_platform", "Platform"), Column("account_id", "Account"),
            Column("account_currency_code", "Currency", phone=False),
            Column("modelled_spend", "Modelled spend", "number"),
            Column("account_total_spend", "Account total", "number"), Column("difference", "Gap", "number"),
        ], spend, flag="is_warning", flag_label="spend gap", empty="No ad spend in this range.",
            note="Per ad account and day, in the account's currency: the spend of every campaign and ad set "
                 "(Google Performance Max and Meta's deleted ad sets included) against the total Google reports "
                 "at customer level and Meta at account level."))
    return page


add_dashboard(router, "health", build)
