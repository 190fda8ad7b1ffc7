"""Google Ads source: campaigns, ad groups, campaign budgets and daily ad-group metrics for every
configured customer (several client accounts under one manager are fine).

Loads into ``raw_google_ads`` through GAQL over ``searchStream``:

* ``campaigns``, ``ad_groups`` and ``campaign_budgets``, merged by id, each with the customer id
  and its currency code; budgets are ``amount_micros`` (int64 strings, 1,000,000 per unit).
* ``ad_group_metrics``: one row per ad group and account day (the customer's time zone) with
  ``cost_micros``, impressions, clicks (int64 strings) and conversions / conversions value
  (Google's 30-day-click purchase conversions, decimal strings). Google restates recent days, so
  every run re-reads the last ``lookback_days`` and replaces those days: rows are merged on
  date + customer + campaign + ad group, and every row of a re-read (day, customer) is deleted
  first. The cursor (last day read per customer) lives in dlt's resource state; a quarantined
  row is kept whole in ``quarantine`` and does not hold it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import dlt

from storeboard.config import GoogleAdsSettings
from storeboard.sources.google_ads import settings as ads_settings
from storeboard.sources.google_ads.helpers import GoogleAdsClient, check_entity, check_metrics
from storeboard.sources import lookback
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
        The ``campaigns``, ``ad_groups``, ``campaign_budgets`` and ``ad_group_metrics`` resources.
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

    @dlt.resource(name="ad_group_metrics", write_disposition="merge",
                  primary_key=("date", "customer_id", "campaign_id", "ad_group_id"),
                  merge_key=("date", "customer_id"))
    def ad_group_metrics() -> Iterator[Any]:
        """Daily ad-group metrics from the stored cursor minus ``lookback_days`` to today (customer time zone)."""
        state = dlt.current.resource_state()
        loaded = state.setdefault("loaded_through", {})
        for customer_id in customer_ids:
            info = client.customer(customer_id)
            today = datetime.now(ZoneInfo(info.get("customer_time_zone") or "UTC")).date()
            since = lookback.first_day(settings.start_date, settings.lookback_days, loaded.get(customer_id))
            chunk_start = since
            while chunk_start <= today:
                chunk_end = min(today, chunk_start + timedelta(days=ads_settings.METRICS_CHUNK_DAYS - 1))
                query = ads_settings.AD_GROUP_METRICS_QUERY.format(since=chunk_start.isoformat(), until=chunk_end.isoformat())
                for batch in client.rows(customer_id, query):
                    for record in batch:
                        try:
                            yield check_metrics(record)
                        except RecordProblem as problem:
                            yield quarantined("ad_group_metrics", record, problem)
                chunk_start = chunk_end + timedelta(days=1)
            if since <= today:
                # a quarantined row does not hold the cursor: it is kept whole in quarantine
                loaded[customer_id] = today.isoformat()

    return campaigns, ad_groups, campaign_budgets, ad_group_metrics


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
