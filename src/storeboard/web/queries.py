"""Every query the web layer runs, against marts in ``analytics`` only.

Range figures are sums of the marts' additive columns; ratios (AOV, MER, CAC, ROAS, margin %)
are ratios of those sums, as docs/metrics.md defines them, never averages of daily ratios.
Filter values are always bound parameters; nothing a request sends is pasted into SQL.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

from storeboard.presentation import metrics
from storeboard.warehouse import Connection

SCHEMA = "analytics"
MART = "analytics.rpt_revenue_daily"


def mart_exists(conn: Connection, name: str) -> bool:
    return conn.table_exists(SCHEMA, name)


def revenue_bounds(conn: Connection) -> tuple[date, date] | None:
    """First and last day in the revenue mart, or None when it is empty or not built."""
    if not mart_exists(conn, "rpt_revenue_daily"):
        return None
    row = conn.query(f"select min(date) as first_day, max(date) as last_day from {MART}")[0]
    if row["first_day"] is None:
        return None
    return row["first_day"], row["last_day"]


# The pages show ROAS to 2 places, rounded once from the exact ratio of the range's sums (the
# marts keep 4). Rounding the 4-place value again could move the shown cent, so the pages ask
# metrics.roas for 2 places directly, as they always have.
ROAS_SHOWN_PLACES = 2


# --- revenue -------------------------------------------------------------------------------

REVENUE_COLUMNS = ("gross_sales", "discounts", "returns", "net_sales", "shipping", "taxes", "total_sales", "orders",
                   "units_sold", "duties", "additional_fees", "return_fees")


def revenue_daily(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """One row per day in [start, end] from ``rpt_revenue_daily``."""
    return conn.query(
        f"select date, {', '.join(REVENUE_COLUMNS)}, average_order_value "
        f"from {MART} where date between %(start)s and %(end)s order by date",
        {"start": start, "end": end},
    )


def revenue_summary(conn: Connection, start: date, end: date) -> dict[str, Any]:
    """Sums of the additive revenue columns over [start, end], and AOV = (gross − discounts) ÷ orders."""
    sums = ", ".join(f"coalesce(sum({c}), 0) as {c}" for c in REVENUE_COLUMNS)
    row = conn.query(f"select {sums} from {MART} where date between %(start)s and %(end)s",
                     {"start": start, "end": end})[0]
    row["orders"] = int(row["orders"])
    row["units_sold"] = int(row["units_sold"])
    row["average_order_value"] = metrics.aov(Decimal(row["gross_sales"]) - Decimal(row["discounts"]), row["orders"])
    return row


def revenue_by_channel(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """One row per day and sales channel from ``rpt_revenue_by_channel_daily``."""
    return conn.query(
        "select date, sales_channel, gross_sales, discounts, returns, net_sales, total_sales, orders "
        "from analytics.rpt_revenue_by_channel_daily where date between %(start)s and %(end)s "
        "order by date, sales_channel",
        {"start": start, "end": end},
    )


def channel_net_sales(conn: Connection, start: date, end: date) -> Decimal:
    """Σ net sales of every sales channel (``rpt_revenue_by_channel_daily``) over [start, end]."""
    row = conn.query("select coalesce(sum(net_sales), 0) as net_sales from analytics.rpt_revenue_by_channel_daily "
                     "where date between %(start)s and %(end)s", {"start": start, "end": end})[0]
    return row["net_sales"]


def order_mix(conn: Connection, start: date, end: date) -> dict[str, int]:
    """Orders in [start, end] by whether they were the customer's first order, a repeat order, or a
    guest checkout (``rpt_revenue_daily``, which counts them per day from the order facts)."""
    row = conn.query(
        "select coalesce(sum(new_customer_orders), 0) as new_customer_orders, "
        "coalesce(sum(returning_customer_orders), 0) as returning_customer_orders, "
        "coalesce(sum(guest_orders), 0) as guest_orders "
        f"from {MART} where date between %(start)s and %(end)s",
        {"start": start, "end": end},
    )[0]
    return {k: int(v or 0) for k, v in row.items()}


# --- marketing -----------------------------------------------------------------------------

def marketing_summary(conn: Connection, start: date, end: date) -> dict[str, Any]:
    """Σ ad spend, net sales (all channels) and new customers; MER and blended CAC of the sums."""
    row = conn.query(
        "select coalesce(sum(ad_spend), 0) as ad_spend, coalesce(sum(net_sales), 0) as net_sales, "
        "coalesce(sum(new_customers), 0) as new_customers "
        "from analytics.rpt_marketing_daily where date between %(start)s and %(end)s",
        {"start": start, "end": end},
    )[0]
    row["new_customers"] = int(row["new_customers"])
    row["blended_roas"] = metrics.mer(row["net_sales"], row["ad_spend"], ROAS_SHOWN_PLACES)
    row["blended_cac"] = metrics.cac(row["ad_spend"], row["new_customers"])
    return row


def marketing_channels(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """One row per acquisition channel: Σ spend, Σ platform conversion value, Σ new customers."""
    rows = conn.query(
        "select channel, max(ad_platform) as ad_platform, bool_or(is_paid) as is_paid, "
        "coalesce(sum(spend), 0) as spend, coalesce(sum(platform_conversion_value), 0) as platform_conversion_value, "
        "coalesce(sum(new_customers), 0) as new_customers "
        "from analytics.rpt_marketing_channels_daily where date between %(start)s and %(end)s "
        "group by channel order by sum(spend) desc, sum(new_customers) desc, channel",
        {"start": start, "end": end},
    )
    for r in rows:
        r["new_customers"] = int(r["new_customers"])
        r["channel_cac"] = metrics.cac(r["spend"], r["new_customers"]) if r["is_paid"] else None
        r["platform_roas"] = (metrics.roas(r["platform_conversion_value"], r["spend"], ROAS_SHOWN_PLACES)
                              if r["is_paid"] else None)
    return rows


def marketing_channels_daily(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """Spend per day and paid channel."""
    return conn.query(
        "select date, channel, spend from analytics.rpt_marketing_channels_daily "
        "where is_paid and date between %(start)s and %(end)s order by date, channel",
        {"start": start, "end": end},
    )


def ad_performance(conn: Connection, start: date, end: date, level: str) -> list[dict[str, Any]]:
    """Campaigns (``level='campaign'``) or ad sets over [start, end] with Σ spend, impressions,
    clicks, conversions and conversion value from ``rpt_marketing_campaigns_daily``."""
    keys = "ad_platform, channel, campaign_id, campaign_name"
    if level == "ad_set":
        keys += ", ad_set_id, ad_set_name"
    rows = conn.query(
        f"select {keys}, coalesce(sum(spend), 0) as spend, coalesce(sum(impressions), 0) as impressions, "
        "coalesce(sum(clicks), 0) as clicks, coalesce(sum(platform_conversions), 0) as platform_conversions, "
        "coalesce(sum(platform_conversion_value), 0) as platform_conversion_value, "
        # a campaign whose ad sets count purchases under different settings says so
        "case when min(platform_attribution_window) = max(platform_attribution_window) "
        "then min(platform_attribution_window) else 'per ad set' end as platform_attribution_window "
        "from analytics.rpt_marketing_campaigns_daily where date between %(start)s and %(end)s "
        f"group by {keys} order by sum(spend) desc",
        {"start": start, "end": end},
    )
    for r in rows:
        r["impressions"], r["clicks"] = int(r["impressions"]), int(r["clicks"])
        r["platform_roas"] = metrics.roas(r["platform_conversion_value"], r["spend"], ROAS_SHOWN_PLACES)
        r["ctr"] = metrics.ctr(r["clicks"], r["impressions"])
        r["cpc"] = metrics.cpc(r["spend"], r["clicks"])
    return rows


def budget_pacing(conn: Connection, month: date) -> list[dict[str, Any]]:
    """Rows of ``rpt_ad_budget_pacing_monthly`` for one month."""
    return conn.query(
        "select ad_platform, budget_scope, campaign_id, campaign_name, budget_source, budget_amount, mtd_spend, "
        "days_in_month, elapsed_days, projected_spend, pacing, pacing_status "
        "from analytics.rpt_ad_budget_pacing_monthly where month = %(month)s "
        "order by ad_platform, budget_scope desc, campaign_name",
        {"month": month},
    )


def latest_pacing_month(conn: Connection, on_or_before: date) -> date | None:
    row = conn.query("select max(month) as month from analytics.rpt_ad_budget_pacing_monthly "
                     "where month <= %(day)s", {"day": on_or_before})
    return row[0]["month"] if row else None


# --- customers -----------------------------------------------------------------------------

def cohorts(conn: Connection, first_month: date, last_month: date) -> list[dict[str, Any]]:
    """Rows of ``rpt_customer_cohorts_monthly`` for cohorts starting in [first_month, last_month]."""
    return conn.query(
        "select cohort_month, acquisition_channel, months_since_first_order, cohort_customers, "
        "cumulative_net_sales, cumulative_contribution_margin, ltv_net_sales, ltv_contribution_margin, "
        "repeat_customers, repeat_rate, channel_cac, ltv_to_cac, is_ltv_to_cac_month "
        "from analytics.rpt_customer_cohorts_monthly "
        "where cohort_month between %(first)s and %(last)s "
        "order by cohort_month, acquisition_channel, months_since_first_order",
        {"first": first_month, "last": last_month},
    )


def channel_acquisition(conn: Connection, start: date, end: date) -> dict[str, dict[str, Any]]:
    """Σ spend and Σ new customers per acquisition channel over [start, end]."""
    rows = conn.query(
        "select channel, coalesce(sum(spend), 0) as spend, coalesce(sum(new_customers), 0) as new_customers "
        "from analytics.rpt_marketing_channels_daily where date between %(start)s and %(end)s group by channel",
        {"start": start, "end": end},
    )
    return {r["channel"]: r for r in rows}


# --- products and inventory ----------------------------------------------------------------

MARGIN_SUMS = ("units_sold", "units_returned", "net_units", "net_revenue", "cogs", "gross_margin", "shipping_revenue",
               "shipping_cost", "payment_fees", "chargebacks", "contribution_margin", "lines_missing_cost")


def product_margin(conn: Connection, first_month: date, last_month: date) -> list[dict[str, Any]]:
    """One row per SKU: sums of ``rpt_product_margin_monthly`` over the months in range, margin %
    of the sums, and the loss flag (positive gross margin, negative contribution margin)."""
    sums = ", ".join(f"coalesce(sum({c}), 0) as {c}" for c in MARGIN_SUMS)
    rows = conn.query(
        f"select sku, min(product_title) as product_title, {sums} from analytics.rpt_product_margin_monthly "
        "where month between %(first)s and %(last)s group by sku",
        {"first": first_month, "last": last_month},
    )
    for r in rows:
        for c in ("units_sold", "units_returned", "net_units", "lines_missing_cost"):
            r[c] = int(r[c])
        r["gross_margin_pct"] = metrics.margin_pct(r["gross_margin"], r["net_revenue"])
        r["is_loss_after_shipping"] = r["gross_margin"] > 0 and r["contribution_margin"] < 0
    return rows


def inventory(conn: Connection) -> list[dict[str, Any]]:
    """Every SKU of ``rpt_inventory_status``, fewest days of cover first (no sales last)."""
    return conn.query(
        "select sku, product_title, snapshot_date, on_hand, unit_cost, stock_value, velocity, days_of_cover, "
        "lead_time_days, reorder_point, reorder_point_source, is_low_stock, projected_stockout_date, report_date "
        "from analytics.rpt_inventory_status order by days_of_cover asc nulls last, sku"
    )


# --- data health ---------------------------------------------------------------------------

def source_health(conn: Connection) -> list[dict[str, Any]]:
    """One row per source from ``rpt_source_health``; empty before the first build."""
    if not mart_exists(conn, "rpt_source_health"):
        return []
    return conn.query(
        "select source_name, last_attempt_at, last_status, last_error, last_success_at, rows_loaded_last_success, "
        "minutes_since_success, quarantined_records, quarantined_last_run, last_quarantined_at, health_status "
        "from analytics.rpt_source_health order by source_name"
    )


def reconciliation_days(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """Days in [start, end] of ``rpt_payment_reconciliation_daily`` with a gap above 1 %."""
    return conn.query(
        "select date, shopify_stripe_sales, matched_charges, difference, difference_pct, unmatched_charges, "
        "missing_charge_count, amount_mismatch_count, unmatched_charge_count "
        "from analytics.rpt_payment_reconciliation_daily "
        "where is_warning and date between %(start)s and %(end)s order by date desc",
        {"start": start, "end": end},
    )


def ad_spend_reconciliation(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """Every ad account day in [start, end] of ``rpt_ad_spend_reconciliation_daily``, gaps first."""
    return conn.query(
        "select date, ad_platform, account_id, account_currency_code, modelled_spend, account_total_spend, "
        "difference, is_warning from analytics.rpt_ad_spend_reconciliation_daily "
        "where date between %(start)s and %(end)s order by is_warning desc, date desc, ad_platform, account_id",
        {"start": start, "end": end},
    )


def reconciliation_issues(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    return conn.query(
        "select date, cause, order_id, charge_id, shopify_amount, stripe_amount, difference "
        "from analytics.rpt_payment_reconciliation_issues where date between %(start)s and %(end)s "
        "order by date desc, cause, issue_id",
        {"start": start, "end": end},
    )


# --- SQL explorer --------------------------------------------------------------------------

def mart_columns(conn: Connection) -> list[dict[str, Any]]:
    """Every column of every table in ``analytics``, in table and column order."""
    return conn.query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = %(schema)s order by table_name, ordinal_position",
        {"schema": SCHEMA},
    )


def other_schemas(conn: Connection) -> set[str]:
    """Schemas the explorer must not read: everything but the marts."""
    rows = conn.query("select distinct table_schema from information_schema.tables")
    return {r["table_schema"].lower() for r in rows} - {SCHEMA}


class QueryTimeout(Exception):
    """The explorer query ran past its timeout and was stopped."""


#: rows fetched and measured at a time, so the byte cap and the deadline are checked as they go
_CHUNK = 200


def run_explorer_query(conn: Connection, sql: str, row_limit: int, timeout_seconds: float,
                       byte_limit: int = 5_000_000) -> dict[str, Any]:
    """Run one statement already passed by ``sqlguard.check_query``, read-only and bounded.

    DuckDB: only on the locked-down read-only instance (``Connection.locked``: external access
    off, configuration locked), never on a writer's; the query is interrupted at the timeout,
    or when a refresh wants the file (``WarehouseBusy``). PostgreSQL: a READ ONLY transaction
    with ``statement_timeout``, rolled back afterwards. On both, the timeout covers fetching and
    measuring the rows too, and at most ``row_limit`` rows and about ``byte_limit`` bytes of
    values (as text) come back, a single large value cut by the engine (``VALUE_CHARS``).

    Returns:
        ``{"columns": [...], "rows": [[...]], "truncated": bool, "truncated_by": "rows" | "bytes" | None}``.

    Raises:
        QueryTimeout: the query ran longer than ``timeout_seconds``.
        WarehouseBusy: a refresh interrupted it (DuckDB).
        Exception: the engine's own error for a query it rejects.
    """
    wrapped = f"select * from (\n{sql}\n) as explorer_result limit {int(row_limit) + 1}"
    deadline = time.monotonic() + timeout_seconds
    if conn.kind == "duckdb":
        return _run_duckdb(conn, wrapped, row_limit, byte_limit, timeout_seconds, deadline)
    return _run_postgres(conn.raw, wrapped, row_limit, byte_limit, timeout_seconds, deadline)


def _stopped(timeout_seconds: float) -> QueryTimeout:
    return QueryTimeout(f"the query ran longer than {timeout_seconds:g} s and was stopped")


def _collect(fetch, columns: list[str], row_limit: int, byte_limit: int, timeout_seconds: float,
             deadline: float) -> dict[str, Any]:
    """Fetch chunks until the row or byte cap, measuring each value as the text it is sent as."""
    rows: list[list[Any]] = []
    size = 0
    truncated_by = None
    while True:
        if time.monotonic() > deadline:
            raise _stopped(timeout_seconds)
        chunk = fetch(_CHUNK)
        if not chunk:
            break
        for row in chunk:
            if len(rows) == row_limit:
                truncated_by = "rows"
                break
            size += sum(len(str(v)) + 1 for v in row)
            if size > byte_limit:
                truncated_by = "bytes"
                break
            rows.append(list(row))
        if truncated_by:
            break
    if time.monotonic() > deadline:
        raise _stopped(timeout_seconds)
    return {"columns": columns, "rows": rows, "truncated": truncated_by is not None, "truncated_by": truncated_by}


def _run_duckdb(conn: Connection, sql: str, row_limit: int, byte_limit: int, timeout_seconds: float,
                deadline: float) -> dict[str, Any]:
    import threading

    import duckdb

    from storeboard.warehouse import WarehouseBusy

    if not conn.locked:
        # Never on a writer's instance: external access is on there (issue 23, High 1).
        raise WarehouseBusy("the warehouse is refreshing: try again in a moment")
    raw = conn.raw
    timed_out = threading.Event()
    timer = threading.Timer(timeout_seconds, lambda: (timed_out.set(), raw.interrupt()))
    timer.start()
    try:
        cur = raw.execute(_capped_values(raw, sql, byte_limit))
        columns = [d[0] for d in cur.description]
        return _collect(cur.fetchmany, columns, row_limit, byte_limit, timeout_seconds, deadline)
    except duckdb.Error as exc:
        if timed_out.is_set():
            raise _stopped(timeout_seconds) from None
        if isinstance(exc, duckdb.InterruptException):  # a refresh asked for the file
            raise WarehouseBusy("a refresh started: try again in a moment") from None
        raise
    finally:
        timer.cancel()


#: characters of one text, blob or nested value the explorer shows; a chunk of rows stays small
VALUE_CHARS = 100_000
#: DuckDB types whose single value can be as large as memory: cut to text in the query
_UNBOUNDED_TYPES = {"varchar", "blob", "bit", "list", "array", "struct", "map", "union", "json"}


def _capped_values(raw, sql: str, byte_limit: int) -> str:
    """``sql`` with every text, blob or nested value cut by DuckDB to ``VALUE_CHARS`` characters
    (or ``byte_limit``, when smaller).

    A single value can be huge (``select range(0, 20000000)`` is one row): converting it to
    Python cannot be interrupted, so DuckDB cuts it first. Binding the relation reads the result
    types without running the query.
    """
    relation = raw.sql(sql)
    names, types = relation.columns, relation.types
    if not any(t.id in _UNBOUNDED_TYPES for t in types):
        return sql
    columns = []
    for position, (name, sql_type) in enumerate(zip(names, types), start=1):
        quoted = '"' + name.replace('"', '""') + '"'
        if sql_type.id in _UNBOUNDED_TYPES:
            columns.append(f"left(cast(#{position} as varchar), {min(int(byte_limit), VALUE_CHARS)}) as {quoted}")
        else:
            columns.append(f"#{position} as {quoted}")
    return f"select {', '.join(columns)} from (\n{sql}\n) as explorer_values"


#: PostgreSQL type categories (``pg_type.typcategory``) whose single value can be large: strings,
#: user-defined types (json, jsonb, xml, bytea …), arrays, composites, bit strings, unknown
_PG_UNBOUNDED_CATEGORIES = {"S", "U", "A", "C", "V", "X", "P"}


def _capped_values_postgres(raw, sql: str, byte_limit: int) -> str:
    """``sql`` with every text-like, array or composite value cut by PostgreSQL to
    ``VALUE_CHARS`` characters (or ``byte_limit``, when smaller), as ``_capped_values`` does on
    DuckDB: one ``repeat('x', 500000000)`` is a single row of half a gigabyte. Describing the
    query (``limit 0``) reads the result types without producing rows."""
    with raw.cursor() as cur:
        cur.execute(f"select * from (\n{sql}\n) as explorer_describe limit 0")
        described = list(cur.description)
        cur.execute("select oid, typcategory from pg_catalog.pg_type where oid = any(%s)",
                    [[d.type_code for d in described]])
        categories = {oid: category for oid, category in cur.fetchall()}
    if not any(categories.get(d.type_code, "X") in _PG_UNBOUNDED_CATEGORIES for d in described):
        return sql
    aliases = [f"c{position}" for position in range(1, len(described) + 1)]
    columns = []
    for alias, column in zip(aliases, described):
        quoted = '"' + column.name.replace('"', '""') + '"'
        if categories.get(column.type_code, "X") in _PG_UNBOUNDED_CATEGORIES:
            columns.append(f"left({alias}::text, {min(int(byte_limit), VALUE_CHARS)}) as {quoted}")
        else:
            columns.append(f"{alias} as {quoted}")
    return f"select {', '.join(columns)} from (\n{sql}\n) as explorer_values({', '.join(aliases)})"


def _run_postgres(raw, sql: str, row_limit: int, byte_limit: int, timeout_seconds: float,
                  deadline: float) -> dict[str, Any]:
    import psycopg

    with raw.transaction(force_rollback=True):
        raw.execute("set transaction read only")
        raw.execute(f"set local statement_timeout = {int(timeout_seconds * 1000)}")
        raw.execute("set local search_path = analytics")
        try:
            # A server-side cursor: rows stream in chunks instead of all arriving at once.
            capped = _capped_values_postgres(raw, sql, byte_limit)
            with raw.cursor(name="storeboard_explorer") as cur:
                cur.execute(capped)
                columns = [d.name for d in cur.description]
                return _collect(cur.fetchmany, columns, row_limit, byte_limit, timeout_seconds, deadline)
        except psycopg.errors.QueryCanceled:
            raise _stopped(timeout_seconds) from None
