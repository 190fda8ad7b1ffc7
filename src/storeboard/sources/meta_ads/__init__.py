"""Meta Ads source: campaigns, ad sets and daily ad-set insights for each configured ad account.

Loads into ``raw_meta_ads``:

* ``campaigns`` and ``ad_sets``, merged by ``id`` (every status, so paused and deleted objects
  keep their names); budgets are strings in the currency's minor unit (``"2000"`` = 20.00 USD).
* ``insights``: one row per ad set and account day (the ad account's time zone) with spend
  (decimal string, account currency, major units), impressions, clicks, and the purchases and
  purchase value Meta claims (each window also in its own column). Meta restates recent days (late conversions), so every run
  re-reads the last ``lookback_days`` and replaces those days: rows are merged on
  date + account + campaign + ad set, and every row of a re-read (day, account) is deleted first.
  Ad-set insights ask, through ``filtering`` on ``adset.effective_status``, for deleted and
  archived ad sets too (Meta leaves them out otherwise), and count purchases under each ad
  set's own attribution setting (``use_unified_attribution_setting``), named per row.
* ``account_insights``: the account's daily total (spend, impressions, clicks), which includes
  deleted objects: what the spend reconciliation compares the ad sets with.

The cursor (last day read per account) lives in dlt's resource state; a quarantined row is
kept whole in ``quarantine`` and does not hold it. A backfill is read in windows of
``INSIGHTS_WINDOW_DAYS`` and committed every ``INSIGHTS_WINDOWS_PER_LOAD`` windows: the resource
state keeps the first day of the next window (``backfill_next``) and says ``more_to_read``, and
``pipeline.extract_load`` runs the source again until it is done. A run stopped part-way resumes
at the first window not yet loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dlt

from storeboard.config import MetaAdsSettings
from storeboard.sources import lookback
from storeboard.sources.meta_ads import settings as meta_settings
from storeboard.sources.meta_ads.helpers import (
    MetaClient,
    attribution_setting,
    check_object,
    flatten_account_insight,
    flatten_insight,
)
from storeboard.sources.quarantine import RecordProblem, quarantined as _shared_quarantined

__all__ = ["check", "client_for", "source"]


def quarantined(resource: str, record: Any, problem: RecordProblem) -> Any:
    """The shared quarantine row, minus this source's day-replacing merge key (the quarantine
    table is append-only and has no ``date`` column)."""
    item = _shared_quarantined(resource, record, problem)
    item.meta.hints["merge_key"] = ()
    return item


def client_for(settings: MetaAdsSettings) -> MetaClient:
    """A client configured from the ``sources.meta_ads`` block."""
    return MetaClient(settings.base_url, settings.access_token.get_secret_value(), settings.api_version)


def _account_path(account_id: str) -> str:
    return account_id if account_id.startswith("act_") else f"act_{account_id}"


@dlt.source(name="meta_ads")
def source(settings: MetaAdsSettings) -> Any:
    """The Meta Ads dlt source.

    Args:
        settings: the ``sources.meta_ads`` block (token, ad account ids, API version, start date,
            look-back days).

    Returns:
        The ``campaigns``, ``ad_sets``, ``insights`` and ``account_insights`` (daily account
        totals, for the spend reconciliation) resources.
    """
    client = client_for(settings)
    accounts: dict[str, dict[str, Any]] = {}

    def account(account_id: str) -> dict[str, Any]:
        if account_id not in accounts:
            accounts[account_id] = client.account(account_id)
        return accounts[account_id]

    def objects(edge: str, resource: str) -> Iterator[Any]:
        for account_id in map(_account_path, settings.account_ids):
            currency = account(account_id).get("currency")
            for page in client.objects(account_id, edge):
                for obj in page:
                    try:
                        check_object(obj, edge)
                    except RecordProblem as problem:
                        yield quarantined(resource, obj, problem)
                        continue
                    setting = attribution_setting(obj.get("attribution_spec")) if edge == "adsets" \
                        else meta_settings.ATTRIBUTION_WINDOW_NAME
                    # the spec is kept as its label (a list would become a child table)
                    kept = {k: v for k, v in obj.items() if k != "attribution_spec"}
                    yield dict(kept, account_currency=currency, attribution_window=setting)

    @dlt.resource(name="campaigns", write_disposition="merge", primary_key="id")
    def campaigns() -> Iterator[Any]:
        """Campaigns of every status; ``daily_budget``/``lifetime_budget`` in minor units (strings),
        timestamps ISO 8601 with offset."""
        yield from objects("campaigns", "campaigns")

    @dlt.resource(name="ad_sets", write_disposition="merge", primary_key="id")
    def ad_sets() -> Iterator[Any]:
        """Ad sets of every status with their campaign id; budgets in minor units (strings)."""
        yield from objects("adsets", "ad_sets")

    def read_insights(table: str, level: str, flatten_for: Callable[[str], Callable[[dict], Any]]) -> Iterator[Any]:
        """Daily insights at ``level`` from the stored cursor minus ``lookback_days`` to today (account
        time zone), window by window; each row flattened by ``flatten_for(account_id)``."""
        state = dlt.current.resource_state()
        loaded = state.setdefault("loaded_through", {})
        # account -> first day of the next window of a backfill not finished yet (no look-back:
        # the windows before it are committed, and were read just now)
        unfinished = state.setdefault("backfill_next", {})
        state.pop("more_to_read", None)
        windows = 0
        for account_id in map(_account_path, settings.account_ids):
            info = account(account_id)
            today = datetime.now(ZoneInfo(info.get("timezone_name") or "UTC")).date()
            if account_id in unfinished:
                since = datetime.fromisoformat(unfinished[account_id]).date()
            else:
                # Insights reach back about 37 months; older start dates are clamped.
                since = max(lookback.first_day(settings.start_date, settings.lookback_days, loaded.get(account_id)),
                            today - timedelta(days=36 * 30))
            if since > today:
                continue
            flatten = flatten_for(account_id)
            start = since
            while start <= today:  # window by window, so no single request spans years
                if windows == meta_settings.INSIGHTS_WINDOWS_PER_LOAD:
                    # commit what was read; extract_load runs the source again for the rest
                    unfinished[account_id], state["more_to_read"] = start.isoformat(), True
                    return
                end = min(today, start + timedelta(days=meta_settings.INSIGHTS_WINDOW_DAYS - 1))
                for page in client.insights(account_id, start, end, level=level):
                    for row in page:
                        try:
                            yield flatten(row)
                        except RecordProblem as problem:
                            yield quarantined(table, row, problem)
                windows += 1
                start = end + timedelta(days=1)
            # a quarantined row does not hold the cursor: it is kept whole in quarantine
            unfinished.pop(account_id, None)
            loaded[account_id] = today.isoformat()

    @dlt.resource(name="insights", write_disposition="merge",
                  primary_key=("date_start", "account_id", "campaign_id", "adset_id"),
                  merge_key=("date_start", "account_id"))
    def insights() -> Iterator[Any]:
        """Daily ad-set insights, each with its ad set's own attribution setting."""

        def flatten_for(account_id: str) -> Callable[[dict], Any]:
            settings_of = _attribution_settings(client, account_id)
            return lambda row: flatten_insight(
                row, settings_of.get(str(row.get("adset_id")), meta_settings.ATTRIBUTION_WINDOW_NAME))

        yield from read_insights("insights", "adset", flatten_for)

    @dlt.resource(name="account_insights", write_disposition="merge", primary_key=("date_start", "account_id"),
                  merge_key=("date_start", "account_id"))
    def account_insights() -> Iterator[Any]:
        """Daily account totals (spend, impressions, clicks), deleted and archived objects
        included, for the spend reconciliation; same cursor rule as ``insights``."""
        yield from read_insights("account_insights", "account", lambda account_id: flatten_account_insight)

    return campaigns, ad_sets, insights, account_insights


def _attribution_settings(client: MetaClient, account_id: str) -> dict[str, str]:
    """Each ad set's attribution setting (every status: deleted ones still have insights)."""
    found = {}
    for page in client.objects(account_id, "adsets"):
        for obj in page:
            if isinstance(obj, dict) and obj.get("id"):
                found[str(obj["id"])] = attribution_setting(obj.get("attribution_spec"))
    return found


def check(settings: MetaAdsSettings) -> str:
    """One cheap authenticated call per ad account; returns a one-line description."""
    client = client_for(settings)
    parts = []
    for account_id in map(_account_path, settings.account_ids):
        info = client.account(account_id)
        parts.append(f"{account_id} ({info.get('name')}, {info.get('currency')}, {info.get('timezone_name')})")
    return "Meta ad accounts " + "; ".join(parts)
