"""The alert rules: which conditions hold right now, read from the marts (``notify.queries``).

Each rule returns one ``Finding`` per thing in a bad state (a SKU below its reorder point, a
campaign under its ROAS target, …), keyed so that the same condition keeps the same key from
one refresh to the next. Deciding what is *new* (fire once per state change) is the outbox's job
(``notify.outbox``); rules hold no state. Thresholds and switches come from ``alerts.rules`` in
``storeboard.yml``; the metrics themselves are the marts' (docs/metrics.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from storeboard.config import Config
from storeboard.notify import queries
from storeboard.presentation import metrics, restatements
from storeboard.presentation.formatting import money
from storeboard.runtime import StoreContext, resolve_store
from storeboard.warehouse import Connection

logger = logging.getLogger(__name__)

#: Dashboard page each rule links to (relative to ``alerts.dashboard_url``).
DASHBOARD_PATHS = {
    "low_stock": "/inventory",
    "roas_below_target": "/marketing",
    "budget_pacing": "/marketing",
    "negative_margin": "/products",
    "source_health": "/health",
    "sales_drop": "/revenue",
    "restatement": "/health",
}


@dataclass
class Finding:
    """One condition that holds now.

    Attributes:
        rule: rule name (a key of ``alerts.rules``).
        key: stable identity of the condition within the rule, e.g. the SKU.
        title: one line for people, e.g. "Low stock: Tee (Blk)".
        summary: one or two sentences with the numbers.
        fields: (label, value) pairs shown side by side in Slack.
        link: dashboard path (see ``DASHBOARD_PATHS``), with a query string where useful.
        data: the raw figures (JSON-able), recorded with the alert.
    """

    rule: str
    key: str
    title: str
    summary: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    link: str = "/"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What every rule needs: the config, the store's currency and the store-local today."""

    config: Config
    currency: str
    today: date


def _num(value: Any) -> str:
    return "–" if value is None else f"{Decimal(value):,.1f}".rstrip("0").rstrip(".")


def low_stock(conn: Connection, ctx: Context) -> list[Finding] | None:
    """SKUs at or below their reorder point (``rpt_inventory_status.is_low_stock``)."""
    rows = queries.inventory_status(conn)
    if rows is None:
        return None
    findings = []
    # Soonest stockout first; SKUs without sales (no projected date) last.
    rows = sorted(rows, key=lambda r: (r["days_of_cover"] is None, r["days_of_cover"] or 0, r["sku"]))
    for row in rows:
        if not row["is_low_stock"]:
            continue
        name = row["product_title"] or row["sku"]
        stockout = row["projected_stockout_date"]
        cover = "no recent sales" if row["days_of_cover"] is None else f"{_num(row['days_of_cover'])} days"
        findings.append(Finding(
            rule="low_stock",
            key=row["sku"],
            title=f"Low stock: {name} ({row['sku']})",
            summary=(f"{row['on_hand']} on hand, at or below the reorder point of {row['reorder_point']}; "
                     f"cover {cover}" + (f", projected to run out on {stockout:%a %d %b %Y}." if stockout else ".")),
            fields=[("On hand", str(row["on_hand"])), ("Reorder point", str(row["reorder_point"])),
                    ("Days of cover", cover), ("Projected stockout", f"{stockout:%d %b %Y}" if stockout else "–")],
            link=f"{DASHBOARD_PATHS['low_stock']}?sku={row['sku']}",
            data={k: row[k] for k in ("sku", "product_title", "on_hand", "reorder_point", "days_of_cover",
                                      "projected_stockout_date")},
        ))
    return findings


def roas_below_target(conn: Connection, ctx: Context) -> list[Finding] | None:
    """Campaigns whose platform ROAS over the last N full days is under target, with at least
    ``min_spend`` spent in those days."""
    rule = ctx.config.alerts.rules.roas_below_target
    target = rule.target or ctx.config.metrics.roas_target
    end = ctx.today - timedelta(days=1)
    start = end - timedelta(days=rule.days - 1)
    rows = queries.campaign_roas(conn, start, end)
    if rows is None:
        return None
    findings = []
    for row in rows:
        # the page's flag (metrics.is_below_roas_target), over the rule's days and above its spend floor
        if row["spend"] < rule.min_spend or not metrics.is_below_roas_target(row["roas"], row["spend"], target):
            continue
        name = row["campaign_name"] or row["campaign_id"]
        platform = row["ad_platform"].replace("_", " ").title()
        findings.append(Finding(
            rule="roas_below_target",
            key=f"{row['ad_platform']}:{row['campaign_id']}",
            title=f"ROAS below target: {name} ({platform})",
            summary=(f"Platform ROAS {row['roas']} over the last {rule.days} days (target {target}) on "
                     f"{money(row['spend'], ctx.currency)} spend, {start:%d %b}–{end:%d %b}."),
            fields=[("ROAS", f"{row['roas']}"), ("Target", f"{target}"),
                    ("Spend", money(row["spend"], ctx.currency)),
                    ("Conversion value", money(row["conversion_value"], ctx.currency))],
            link=f"{DASHBOARD_PATHS['roas_below_target']}?start={start}&end={end}",
            data={**row, "target": target, "start": start, "end": end},
        ))
    return findings


def budget_pacing(conn: Connection, ctx: Context) -> list[Finding] | None:
    """Budgets (per platform or campaign) projected to end the month above ``over`` or below
    ``under`` × budget."""
    rule = ctx.config.alerts.rules.budget_pacing
    month = ctx.today.replace(day=1)
    rows = queries.budget_pacing(conn, month)
    if rows is None:
        return None
    findings = []
    for row in rows:
        pacing = Decimal(row["pacing"])
        direction = "over" if pacing > rule.over else "under" if pacing < rule.under else None
        if direction is None:
            continue
        platform = row["ad_platform"].replace("_", " ").title()
        scope = platform if row["budget_scope"] == "platform" else f"{row['campaign_name'] or row['campaign_id']} ({platform})"
        findings.append(Finding(
            rule="budget_pacing",
            key=f"{month:%Y-%m}:{row['ad_platform']}:{row['campaign_id'] or '*'}:{direction}",
            title=f"Pacing {direction} budget: {scope}",
            summary=(f"Projected month-end spend {money(row['projected_spend'], ctx.currency)} is "
                     f"{pacing:.0%} of the {money(row['budget_amount'], ctx.currency)} budget for {month:%B %Y} "
                     f"({money(row['mtd_spend'], ctx.currency)} spent in {row['elapsed_days']} days)."),
            fields=[("Pacing", f"{pacing:.0%}"), ("Budget", money(row["budget_amount"], ctx.currency)),
                    ("Month to date", money(row["mtd_spend"], ctx.currency)),
                    ("Projected", money(row["projected_spend"], ctx.currency))],
            link=f"{DASHBOARD_PATHS['budget_pacing']}?month={month:%Y-%m}",
            data={**row, "direction": direction},
        ))
    return findings


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def negative_margin(conn: Connection, ctx: Context) -> list[Finding] | None:
    """SKUs whose contribution margin over the configured months is below zero."""
    rule = ctx.config.alerts.rules.negative_margin
    first = _months_back(ctx.today, rule.months - 1)
    rows = queries.sku_margins(conn, first, ctx.today.replace(day=1))
    if rows is None:
        return None
    findings = []
    period = f"{first:%b %Y}" if rule.months == 1 else f"{first:%b %Y}–{ctx.today:%b %Y}"
    for row in sorted(rows, key=lambda r: (r["contribution_margin"] or 0, r["sku"])):
        if row["contribution_margin"] is None or row["contribution_margin"] >= 0:
            continue
        name = row["product_title"] or row["sku"]
        after_shipping = row["gross_margin"] is not None and row["gross_margin"] > 0
        findings.append(Finding(
            rule="negative_margin",
            key=row["sku"],
            title=f"Negative contribution margin: {name} ({row['sku']})",
            summary=(f"Contribution margin {money(row['contribution_margin'], ctx.currency)} in {period} on "
                     f"{money(row['net_revenue'], ctx.currency)} net revenue"
                     + (" — it sells at a loss once shipping is counted." if after_shipping else ".")),
            fields=[("Contribution margin", money(row["contribution_margin"], ctx.currency)),
                    ("Gross margin", money(row["gross_margin"], ctx.currency)),
                    ("Shipping cost", money(row["shipping_cost"], ctx.currency)),
                    ("Net revenue", money(row["net_revenue"], ctx.currency))],
            link=f"{DASHBOARD_PATHS['negative_margin']}?sku={row['sku']}",
            data={**row, "first_month": first, "is_loss_after_shipping": after_shipping},
        ))
    return findings


def source_health(conn: Connection, ctx: Context) -> list[Finding] | None:
    """Sources whose last extract failed, or whose last success is too old (``rpt_source_health``)."""
    rows = queries.source_health(conn)
    if rows is None:
        return None
    findings = []
    for row in rows:
        status = row["health_status"]
        if status not in ("failed", "stale"):
            continue
        since = row["last_success_at"]
        last_ok = f"last success {since:%d %b %H:%M} UTC" if since else "never loaded successfully"
        detail = f": {row['last_error']}" if status == "failed" and row["last_error"] else ""
        findings.append(Finding(
            rule="source_health",
            key=f"{row['source_name']}:{status}",
            title=f"Data source {status}: {row['source_name']}",
            summary=f"{row['source_name']} {'failed on its last run' if status == 'failed' else 'is stale'} "
                    f"({last_ok}){detail}"[:600],
            fields=[("Status", status), ("Last success", f"{since:%Y-%m-%d %H:%M} UTC" if since else "never")],
            link=DASHBOARD_PATHS["source_health"],
            data=row,
        ))
    return findings


def sales_drop(conn: Connection, ctx: Context) -> list[Finding] | None:
    """Yesterday's net sales far below the average of the same weekday in the previous weeks.

    The rule needs yesterday and every comparison day in ``rpt_revenue_daily``: a young store is
    not judged, and data that stopped arriving is the ``source_health`` rule's business.
    """
    rule = ctx.config.alerts.rules.sales_drop
    yesterday = ctx.today - timedelta(days=1)
    norm_days = [yesterday - timedelta(weeks=k) for k in range(1, rule.weeks + 1)]
    sales = queries.net_sales_on(conn, [yesterday, *norm_days])
    if sales is None:
        return None
    if not all(day in sales for day in [yesterday, *norm_days]):
        return []
    norm = sum(sales[day] for day in norm_days) / len(norm_days)
    actual = sales[yesterday]
    if norm <= 0 or actual >= norm * (1 - rule.drop):
        return []
    shortfall = (norm - actual) / norm
    return [Finding(
        rule="sales_drop",
        key=yesterday.isoformat(),
        title=f"Net sales {shortfall:.0%} below normal on {yesterday:%A %d %b}",
        summary=(f"Net sales were {money(actual, ctx.currency)} against an average of {money(norm, ctx.currency)} "
                 f"on the previous {rule.weeks} {yesterday:%A}s."),
        fields=[("Yesterday", money(actual, ctx.currency)), (f"{yesterday:%A} average", money(norm, ctx.currency)),
                ("Shortfall", f"{shortfall:.0%}")],
        link=f"{DASHBOARD_PATHS['sales_drop']}?start={norm_days[-1]}&end={yesterday}",
        data={"date": yesterday, "net_sales": actual, "norm": norm.quantize(Decimal("0.01")), "weeks": rule.weeks},
    )]


def restatement(conn: Connection, ctx: Context) -> list[Finding] | None:
    """Closed weeks' and months' headline figures restated in the last ``days`` days by at least
    ``min_change_pct`` percent of the value reported before (any change of a figure reported as 0),
    largest first; each restatement fires once (docs/metrics.md, Restatements)."""
    rule = ctx.config.alerts.rules.restatement
    if not conn.table_exists("analytics", "rpt_restatements"):
        return None
    since = datetime.combine(ctx.today - timedelta(days=rule.days), datetime.min.time())
    large = [r for r in restatements.read(conn, restated_after=since, grains=("week", "month"), limit=10_000)
             if r["old_value"] == 0 or abs(r["change"]) * 100 >= abs(r["old_value"]) * rule.min_change_pct]
    # restated from 0 first (an infinite relative change), then by relative change
    large.sort(key=lambda r: (r["old_value"] != 0, -abs(r["change"]) / (abs(r["old_value"]) or 1)))
    return [Finding(
        rule="restatement",
        key=r["restatement_id"],
        title=f"{r['metric_label']} for {r['period']} restated: "
              f"{restatements.amount(r['metric'], r['change'], ctx.currency, signed=True)}",
        summary=restatements.sentence(r, ctx.currency) + ".",
        fields=[("Was", restatements.amount(r["metric"], r["old_value"], ctx.currency)),
                ("Now", restatements.amount(r["metric"], r["new_value"], ctx.currency)), ("Why", r["cause"][:300])],
        link=DASHBOARD_PATHS["restatement"],
        data={"grain": r["grain"], "period_start": r["period_start"], "metric": r["metric"],
              "ad_platform": r["ad_platform"], "old_value": r["old_value"], "new_value": r["new_value"]},
    ) for r in large]


#: worst cases a digest names (Slack shows at most 10 fields)
DIGEST_EXAMPLES = 5
_RULE_NOUNS = {
    "low_stock": "SKUs at or below their reorder point",
    "roas_below_target": "campaigns below their ROAS target",
    "budget_pacing": "budgets pacing off target",
    "negative_margin": "SKUs with a negative contribution margin",
    "source_health": "data sources failed or stale",
    "sales_drop": "days of net sales below normal",
    "restatement": "restated figures of earlier weeks and months",
}


def digest(rule: str, findings: list[Finding], key: str) -> Finding:
    """One finding standing for many new ones of ``rule``: the count and the first
    ``DIGEST_EXAMPLES`` (each rule lists its worst cases first)."""
    worst = findings[:DIGEST_EXAMPLES]
    noun = _RULE_NOUNS.get(rule, f"{rule} alerts")
    return Finding(
        rule=rule,
        key=key,
        title=f"{len(findings):,} new {noun}",
        summary=(f"{len(findings):,} new {noun} in this refresh: one message instead of {len(findings):,}. "
                 f"The worst {len(worst)}:\n" + "\n".join(f"• {f.title}" for f in worst)),
        fields=[(f.title[:150], f.summary[:300]) for f in worst],
        link=DASHBOARD_PATHS.get(rule, "/"),
        data={"count": len(findings), "keys": [f.key for f in findings[:100]],
              "worst": [{"key": f.key, "title": f.title} for f in worst]},
    )


RULES: dict[str, Callable[[Connection, Context], list[Finding] | None]] = {
    "low_stock": low_stock,
    "roas_below_target": roas_below_target,
    "budget_pacing": budget_pacing,
    "negative_margin": negative_margin,
    "source_health": source_health,
    "sales_drop": sales_drop,
    "restatement": restatement,
}


def evaluate(conn: Connection, config: Config, now: datetime | None = None,
             store: StoreContext | None = None) -> dict[str, list[Finding]]:
    """Run every enabled rule.

    Args:
        conn: a connection to the warehouse (read access to ``analytics`` is enough).
        config: thresholds and switches in ``alerts.rules``.
        now: the current time (default: now); today is taken in the store's time zone.
        store: the caller's resolved store (default: resolved through ``conn``, same rule).

    Returns:
        Rule name → its findings, for the rules that could be evaluated. A disabled rule, or one
        whose mart is missing, is absent, so its earlier alerts are neither repeated nor cleared.
    """
    store = store or resolve_store(config, conn)
    ctx = Context(config, store.currency, store.today(now))
    results: dict[str, list[Finding]] = {}
    for name, rule in RULES.items():
        if not getattr(config.alerts.rules, name).enabled:
            continue
        findings = rule(conn, ctx)
        if findings is None:
            logger.warning("alert rule %s skipped: its mart is not built yet", name)
            continue
        results[name] = findings
    return results
