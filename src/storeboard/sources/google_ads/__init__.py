"""Google Ads source: campaigns, ad groups, campaign budgets and daily metrics for every
configured customer (several client accounts under one manager are fine).

Loads into ``raw_google_ads`` through GAQL over ``searchStream``:

* ``campaigns``, ``ad_groups`` and ``campaign_budgets``, merged by id, each with the customer id
  and its currency code; budgets are ``amount_micros`` (int64 strings, 1,000,000 per unit).
* ``campaign_metrics``, ``ad_group_metrics`` and ``customer_metrics``: one row per campaign, ad
  group or customer and account day (the customer's time zone) with ``cost_micros``, impressions,
  clicks (int64 strings) and, for campaigns and ad groups, ``conversions`` / ``conversions_value``
  of the conversion actions of category PURCHASE only (decimal strings). Performance Max
  campaigns have no ad groups and appear in ``campaign_metrics`` only (Google's "Performance Max
  reporting" guide); ``customer_metrics`` is the account total the spend reconciliation checks.
  Google restates recent days, so every run re-reads the last ``lookback_days`` and replaces
  those days: rows are merged on their keys, and every row of a re-read (day, customer) is
  deleted first. The cursor (last day read per customer) lives in dlt's resource state; a
  quarantined row is kept whole in ``quarantine`` and does not hold it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dlt

from storeboard.config import GoogleAdsSettings
from storeboard.sources import lookback
from storeboard.sources.google_ads import settings as ads_settings
from storeboard.sources.google_ads.helpers import GoogleAdsClient, check_entity, check_metrics
from storeboard.sources.quarantine import RecordProblem, quarantined as _shared_quarantined

__all__ = ["check", "client_for", "source"]


def quarantined(resource: str, record: Any, problem: RecordProblem) -> Any:
    """The shared quarantine row, minus this source's day-replacing merge key (the quarantine
    table is append-only and has no ``date`` column)."""
    item = _shared_quarantined(resource, record, problem)
    item.meta.hints["merge_key"] = ()
    return item


def client_for(settings: GoogleAdsSettings) -> GoogleAdsClient:
    """A client configured from the ``sources.google_ads`` block."""
    return GoogleAdsClient(
        settings.base_url, settings.token_url, settings.developer_token.get_secret_value(), settings.client_id,
        settings.client_secret.get_secret_value(), settings.refresh_token.get_secret_value(),
        settings.login_customer_id, settings.api_version,
    )


@dlt.source(name="google_ads")
def source(settings: GoogleAdsSettings) -> Any:
    """The Google Ads dlt source.

    Args:
        settings: the ``sources.google_ads`` block (OAuth client, refresh token, manager and
            customer ids, API version, start date, look-back days).

    Returns:
        The ``campaigns``, ``ad_groups``, ``campaign_budgets``, ``ad_group_metrics``,
        ``campaign_metrics`` and ``customer_metrics`` resources.
    """
    client = client_for(settings)
    customer_ids = [c.replace("-", "") for c in settings.customer_ids]

    def entities(query: str, resource: str, id_fields: tuple[str, ...]) -> Iterator[Any]:
        for customer_id in customer_ids:
            for batch in client.rows(customer_id, query):
                for record in batch:
                    try:
                        yield check_entity(record, id_fields)
                    except RecordProblem as problem:
                        yield quarantined(resource, record, problem)

    @dlt.resource(name="campaigns", write_disposition="merge", primary_key="campaign_id")
    def campaigns() -> Iterator[Any]:
        """Campaigns of every status with channel type, start and budget id."""
        yield from entities(ads_settings.CAMPAIGNS_QUERY, "campaigns", ("customer_id", "campaign_id"))

    @dlt.resource(name="ad_groups", write_disposition="merge", primary_key="ad_group_id")
    def ad_groups() -> Iterator[Any]:
        """Ad groups of every status with their campaign id and type."""
        yield from entities(ads_settings.AD_GROUPS_QUERY, "ad_groups", ("customer_id", "campaign_id", "ad_group_id"))

    @dlt.resource(name="campaign_budgets", write_disposition="merge", primary_key="campaign_budget_id")
    def campaign_budgets() -> Iterator[Any]:
        """Campaign budgets: ``amount_micros`` per ``period`` (int64 string, customer currency)."""
        yield from entities(ads_settings.CAMPAIGN_BUDGETS_QUERY, "campaign_budgets",
                            ("customer_id", "campaign_budget_id"))

    def daily(resource: str) -> Iterator[Any]:
        """Daily metrics of one grain from the stored cursor minus ``lookback_days`` to today
        (customer time zone), in chunks of ``METRICS_CHUNK_DAYS``."""
        metrics_query, purchases_query, id_fields = ads_settings.GRAINS[resource]
        state = dlt.current.resource_state()
        loaded = state.setdefault("loaded_through", {})
        for customer_id in customer_ids:
            info = client.customer(customer_id)
            today = datetime.now(ZoneInfo(info.get("customer_time_zone") or "UTC")).date()
            since = lookback.first_day(settings.start_date, settings.lookback_days, loaded.get(customer_id))
            chunk_start = since
            while chunk_start <= today:
                chunk_end = min(today, chunk_start + timedelta(days=ads_settings.METRICS_CHUNK_DAYS - 1))
                window = {"since": chunk_start.isoformat(), "until": chunk_end.isoformat()}
                purchases = _purchases(client, customer_id, purchases_query, window, id_fields)
                for record in _chunk(client, customer_id, metrics_query.format(**window), purchases, id_fields, info):
                    try:
                        yield check_metrics(record, id_fields)
                    except RecordProblem as problem:
                        yield quarantined(resource, record, problem)
                chunk_start = chunk_end + timedelta(days=1)
            if since <= today:
                # a quarantined row does not hold the cursor: it is kept whole in quarantine
                loaded[customer_id] = today.isoformat()

    @dlt.resource(name="ad_group_metrics", write_disposition="merge",
                  primary_key=("date", "customer_id", "campaign_id", "ad_group_id"),
                  merge_key=("date", "customer_id"))
    def ad_group_metrics() -> Iterator[Any]:
        """Daily ad-group metrics: cost, impressions, clicks, purchases (no Performance Max)."""
        yield from daily("ad_group_metrics")

    @dlt.resource(name="campaign_metrics", write_disposition="merge",
                  primary_key=("date", "customer_id", "campaign_id"), merge_key=("date", "customer_id"))
    def campaign_metrics() -> Iterator[Any]:
        """Daily campaign metrics of every campaign type (Performance Max included), with its
        ``advertising_channel_type``."""
        yield from daily("campaign_metrics")

    @dlt.resource(name="customer_metrics", write_disposition="merge",
                  primary_key=("date", "customer_id"), merge_key=("date", "customer_id"))
    def customer_metrics() -> Iterator[Any]:
        """Daily customer totals (cost, impressions, clicks): what the spend reconciliation
        compares the campaigns with."""
        yield from daily("customer_metrics")

    return campaigns, ad_groups, campaign_budgets, ad_group_metrics, campaign_metrics, customer_metrics


def _key(record: dict[str, Any], id_fields: tuple[str, ...]) -> tuple:
    return (str(record.get("date")), *(str(record.get(f)) for f in id_fields))


def _purchases(client: GoogleAdsClient, customer_id: str, query: str | None, window: dict[str, str],
               id_fields: tuple[str, ...]) -> dict[tuple, dict[str, Any]]:
    """The PURCHASE-category conversion rows of one chunk, by (date, ids)."""
    found: dict[tuple, dict[str, Any]] = {}
    if query is None:
        return found
    for batch in client.rows(customer_id, query.format(**window)):
        for record in batch:
            found[_key(record, id_fields)] = record
    return found


def _chunk(client: GoogleAdsClient, customer_id: str, query: str, purchases: dict[tuple, dict[str, Any]],
           id_fields: tuple[str, ...], info: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The metrics rows of one chunk with their purchases; purchases on a day without cost or
    delivery (a late conversion: Google leaves all-zero metric rows out) become rows of their own."""
    for batch in client.rows(customer_id, query):
        for record in batch:
            bought = purchases.pop(_key(record, id_fields), {})
            record["conversions"] = bought.get("conversions", 0)
            record["conversions_value"] = bought.get("conversions_value", 0)
            yield record
    for bought in purchases.values():
        yield {**{k: v for k, v in bought.items() if k != "conversion_action_category"},
               "customer_currency_code": info.get("customer_currency_code")}


def check(settings: GoogleAdsSettings) -> str:
    """Refresh the OAuth token and read each customer; returns a one-line description."""
    client = client_for(settings)
    parts = []
    for customer_id in settings.customer_ids:
        info = client.customer(customer_id)
        parts.append(f"{info.get('customer_id')} ({info.get('customer_descriptive_name')}, "
                     f"{info.get('customer_currency_code')}, {info.get('customer_time_zone')})")
    via = f" via manager {settings.login_customer_id}" if settings.login_customer_id else ""
    return "Google Ads customers " + "; ".join(parts) + via
