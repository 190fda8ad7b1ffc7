"""Marketing performance: spend, MER, blended CAC and new customers; channels, campaigns and ad
sets with platform ROAS, CTR and CPC; this month's spend pacing against budget."""

from __future__ import annotations

from fastapi import APIRouter

from storeboard.presentation import charts, drivers, metrics, restatements
from storeboard.web import periods, queries, restated as restated_view
from storeboard.web.pages import Chart, Column, Context, Page, Table, Tile, add_dashboard, missing

router = APIRouter(tags=["marketing"])

PLATFORMS = {"meta_ads": "Meta Ads", "google_ads": "Google Ads"}


def build(ctx: Context) -> Page:
    page = Page("marketing", "Marketing performance")
    if missing(page, "rpt_marketing_daily", "rpt_marketing_channels_daily", "rpt_marketing_campaigns_daily",
               "rpt_ad_budget_pacing_monthly", conn=ctx.conn):
        return page
    conn, rng, cur = ctx.conn, ctx.range, ctx.currency
    target = ctx.config.metrics.roas_target
    now, prev = queries.marketing_summary(conn, rng.start, rng.end), queries.marketing_summary(
        conn, rng.previous().start, rng.previous().end)
    ly = queries.marketing_summary(conn, rng.last_year().start, rng.last_year().end)

    def tile(key, label, kind, note="", up_is_good=True):
        return Tile(key, label, now[key], kind, [("vs previous period", prev[key]), ("vs last year", ly[key])], note,
                    up_is_good)

    page.tiles = [
        tile("ad_spend", "Ad spend", "money", "Meta + Google, in store currency", up_is_good=None),
        tile("blended_roas", "Blended ROAS (MER)", "ratio", "net sales of all channels ÷ ad spend"),
        tile("blended_cac", "Blended CAC", "money", "ad spend ÷ new customers", up_is_good=False),
        tile("new_customers", "New customers", "count"),
        tile("net_sales", "Net sales", "money", "all sales channels"),
    ]
    daily = queries.marketing_channels_daily(conn, rng.start, rng.end)
    page.charts.append(Chart(
        "spend", "Ad spend per day by channel",
        charts.lines_by_series(daily, "date", "spend", "channel", f"Spend ({cur})"), "spend_daily",
        "Line chart of daily ad spend, one line per paid channel with its own dash pattern and point shape."))
    page.tables.append(Table("spend_daily", "Spend per day", [
        Column("date", "Day", "date"), Column("channel", "Channel"), Column("spend", "Spend", "money")],
        list(reversed(daily)), hidden=True))
    page.tables.append(Table("drivers", "What drove ad spend and MER, week over week", [
        Column("week_start", "Week of", "date"), Column("part_label", "Part"),
        Column("spend", "Spend", "money"), Column("spend_change", "Spend change", "money"),
        Column("mer", "MER", "ratio", phone=False), Column("mer_change", "MER change", "number4", phone=False),
        Column("mer_effect", "Effect on MER", "number4"),
    ], drivers.ad_spend_weeks(conn, periods.bucket_start(rng.start, "week"), rng.end),
        note="Each week against the one before: the platforms' spend changes add up to the change in ad spend, "
             "and the parts' effects to the change in MER (net sales ÷ ad spend) exactly (docs/metrics.md, "
             "What drove the week). Empty MER: a week without ad spend."))
    page.tables.append(restated_view.table(
        restatements.read(conn, periods_from=rng.start, periods_to=rng.end, metrics=restatements.MARKETING_METRICS),
        cur, empty="No day, week or month in this range had its ad spend, platform conversion value or new "
                   "customers restated since first reported."))
    channels = queries.marketing_channels(conn, rng.start, rng.end)
    page.tables.append(Table("channels", "By acquisition channel", [
        Column("channel", "Channel"), Column("spend", "Spend", "money"), Column("new_customers", "New customers", "count"),
        Column("channel_cac", "CAC", "money"), Column("platform_conversion_value", "Platform conv. value", "money", phone=False),
        Column("platform_roas", "Platform ROAS", "ratio"),
    ], channels, note="CAC = channel spend ÷ customers whose first order the channel acquired. Platform ROAS is "
                      "what each ad platform reports; platforms claim the same orders, so it is never added up."))
    for level, title in (("campaign", "Campaigns"), ("ad_set", "Ad sets / ad groups")):
        rows = queries.ad_performance(conn, rng.start, rng.end, level)
        for r in rows:
            r["platform"] = PLATFORMS.get(r["ad_platform"], r["ad_platform"])
            r["is_below_target"] = metrics.is_below_roas_target(r["platform_roas"], r["spend"], target)
        rows.sort(key=lambda r: (not r["is_below_target"], -r["spend"]))
        columns = [Column("platform", "Platform", phone=False), Column("campaign_name", "Campaign")]
        if level == "ad_set":
            columns.append(Column("ad_set_name", "Ad set"))
        columns += [Column("spend", "Spend", "money"), Column("platform_roas", "ROAS", "ratio"),
                    Column("ctr", "CTR", "pct", phone=False), Column("cpc", "CPC", "money", phone=False),
                    Column("impressions", "Impressions", "count", phone=False),
                    Column("clicks", "Clicks", "count", phone=False),
                    Column("platform_conversion_value", "Conv. value", "money", phone=False),
                    # what the platform's purchases count (docs/metrics.md, platform purchases)
                    Column("platform_attribution_window", "Attribution", phone=False),
                    Column("is_below_target", "Below ROAS target", "bool", phone=False)]
        page.tables.append(Table(
            f"{level}s", title, columns, rows, flag="is_below_target", flag_label=f"ROAS under {target}×",
            note=f"Flagged and listed first: platform ROAS under the target of {target}× (metrics.roas_target)."))
    _pacing(page, ctx)
    return page


def _pacing(page: Page, ctx: Context) -> None:
    month = queries.latest_pacing_month(ctx.conn, ctx.range.end)
    rows = queries.budget_pacing(ctx.conn, month) if month else []
    for r in rows:
        r["platform"] = PLATFORMS.get(r["ad_platform"], r["ad_platform"])
        r["scope"] = "whole platform" if r["budget_scope"] == "platform" else (r["campaign_name"] or r["campaign_id"])
        r["days"] = f"{r['elapsed_days']} of {r['days_in_month']}"
        r["status"] = {"over": "▲ over", "under": "▼ under", "on_track": "● on track"}.get(r["pacing_status"], "–")
        r["is_off_pace"] = r["pacing_status"] in ("over", "under")
    label = month.strftime("%B %Y") if month else "this month"
    page.tables.append(Table("pacing", f"Spend pacing, {label}", [
        Column("platform", "Platform"), Column("scope", "Budget for"), Column("budget_amount", "Budget", "money"),
        Column("mtd_spend", "Spent so far", "money"), Column("days", "Days elapsed", phone=False),
        Column("projected_spend", "Projected month-end", "money"), Column("pacing", "Pacing", "pct"),
        Column("status", "Status"), Column("budget_source", "Budget from", phone=False),
    ], rows, flag="is_off_pace", flag_label="off pace",
        note="Projected = spend so far ÷ days elapsed × days in month; over above 110 %, under below 90 % of budget.",
        empty="No budgets for this month: set metrics.budgets in storeboard.yml or campaign daily budgets."))


add_dashboard(router, "marketing", build)
