"""Meta Marketing API client: auth, Graph errors, throttling, cursor paging, async report runs.

Transport faults (429, 5xx, timeouts, dropped connections) are retried with back-off by dlt's
requests helper. Meta throttles with HTTP 400 and a Graph error code (4, 17, 613, 80000-series)
instead: the client reads ``estimated_time_to_regain_access`` (minutes) from the
``X-Business-Use-Case-Usage`` header, or ``Retry-After``, waits and tries again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from dlt.sources.helpers import requests

from storeboard.errors import SourceAuthError, SourceError
from storeboard.sources.meta_ads import settings
from storeboard.sources.quarantine import RecordProblem, require_decimal, require_str

logger = logging.getLogger(__name__)

SOURCE = "meta_ads"


class GraphAPIError(SourceError):
    """An error the Graph API reported (code and subcode kept for callers that can recover)."""

    def __init__(self, message: str, code: int | None, subcode: int | None):
        super().__init__(SOURCE, message)
        self.code, self.subcode = code, subcode


class MetaClient:
    """Talks to the Graph API for a set of ad accounts.

    Args:
        base_url: ``https://graph.facebook.com`` (or a sandbox address).
        access_token: system-user or long-lived token with ``ads_read``; never logged.
        api_version: ``vNN.0``.
        max_attempts: tries per request on 429/5xx/connection errors and Graph throttling.
        sleep: how the client waits (tests record the waits).
    """

    def __init__(self, base_url: str, access_token: str, api_version: str, max_attempts: int | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._token = access_token
        self._sleep = sleep
        self.max_attempts = max_attempts or settings.MAX_ATTEMPTS
        self._session = requests.Client(
            request_timeout=120, raise_for_status=False, request_max_attempts=self.max_attempts,
            request_backoff_factor=settings.BACKOFF_FACTOR, request_max_retry_delay=60,
        ).session
        self.throttled_seconds = 0.0

    # -- transport ------------------------------------------------------------------------------
    def request(self, method: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One Graph call, waiting out throttling; returns the JSON body.

        Raises:
            SourceAuthError: the token was rejected or lacks permission.
            GraphAPIError: the API reported another error.
            SourceError: the API could not be reached or sent something that is not JSON.
        """
        url = self.base_url + settings.GRAPH_PATH.format(version=self.api_version, path=path)
        waited, attempt = 0.0, 0
        while True:
            attempt += 1
            try:
                kwargs = {"data": params} if method == "POST" else {"params": params}
                response = self._session.request(method, url, headers={"Authorization": f"Bearer {self._token}"}, **kwargs)
                body = response.json()
            except requests.RequestException as exc:
                raise SourceError(SOURCE, f"Meta at {self.base_url} could not be reached: {type(exc).__name__}") from None
            except ValueError:
                raise SourceError(SOURCE, f"Meta sent a response that is not JSON for /{path} (HTTP {response.status_code})") from None
            error = body.get("error") if isinstance(body, dict) else None
            if not error:
                if response.status_code >= 400:
                    raise SourceError(SOURCE, f"Meta returned HTTP {response.status_code} for /{path}")
                return body
            code, subcode = error.get("code"), error.get("error_subcode")
            if code in settings.AUTH_CODES or response.status_code == 401:
                raise SourceAuthError(
                    SOURCE, f"Meta rejected the access token (error {code}) for /{path.split('/')[0]}: check "
                    "META_ACCESS_TOKEN (a system-user token with ads_read on the ad account), then run `storeboard doctor`")
            retryable = code in settings.THROTTLE_CODES or code in settings.TRANSIENT_CODES or error.get("is_transient")
            if retryable and subcode != settings.TOO_MUCH_DATA_SUBCODE and attempt < self.max_attempts:
                wait = self._throttle_wait(response, attempt)
                if waited + wait > settings.MAX_THROTTLE_WAIT_SECONDS:
                    raise SourceError(SOURCE, f"Meta kept throttling {path.split('/')[0]} for {waited:.0f}s: try again later")
                logger.info("meta_ads throttled (error %s); waiting %.1fs", code, wait)
                self.throttled_seconds += wait
                self._sleep(wait)
                waited += wait
                continue
            raise GraphAPIError(f"Meta returned error {code}/{subcode} for /{path}: {str(error.get('message'))[:200]}",
                                code, subcode)

    @staticmethod
    def _throttle_wait(response: Any, attempt: int) -> float:
        wait = 0.0
        try:
            usage = json.loads(response.headers.get("x-business-use-case-usage") or "{}")
            minutes = max((u.get("estimated_time_to_regain_access") or 0) for items in usage.values() for u in items)
            wait = float(minutes) * 60
        except (ValueError, TypeError, AttributeError):
            pass
        try:
            wait = max(wait, float(response.headers.get("retry-after") or 0))
        except ValueError:
            pass
        return wait or min(settings.BACKOFF_FACTOR * 2 ** (attempt - 1), 60.0)

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Yield each page's ``data``, following ``paging.cursors.after`` until ``paging.next`` is absent."""
        params = dict(params)
        while True:
            body = self.request("GET", path, params)
            yield body.get("data") or []
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            params["after"] = after

    # -- endpoints ------------------------------------------------------------------------------
    def account(self, account_id: str) -> dict[str, Any]:
        """The ad account's id, name, currency (ISO 4217) and IANA time zone."""
        return self.request("GET", account_id, {"fields": "id,account_id,name,currency,timezone_name"})

    def objects(self, account_id: str, edge: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``campaigns`` or ``adsets`` of every status; budgets in the currency's minor unit."""
        fields = settings.CAMPAIGN_FIELDS if edge == "campaigns" else settings.ADSET_FIELDS
        yield from self.pages(f"{account_id}/{edge}", {
            "fields": ",".join(fields), "limit": settings.OBJECT_PAGE_LIMIT,
            "effective_status": json.dumps(list(settings.EFFECTIVE_STATUSES)),
        })

    def insights(self, account_id: str, since: date, until: date, level: str = "adset") -> Iterator[list[dict[str, Any]]]:
        """Pages of daily ad-set (or ``level="account"``: account total) insights for
        ``since``..``until`` (account days, inclusive).

        Long ranges, and ranges Meta finds too large for one call, go through an async report run.
        """
        fields = settings.INSIGHTS_FIELDS if level == "adset" else settings.ACCOUNT_INSIGHTS_FIELDS
        params = {
            "level": level, "fields": ",".join(fields), "time_increment": "1",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "action_attribution_windows": json.dumps(list(settings.ATTRIBUTION_WINDOWS)),
            # each action's `value` under the ad set's own attribution setting, as Ads Manager shows it
            "use_unified_attribution_setting": "true",
            "filtering": json.dumps(list(settings.INSIGHTS_FILTERING)),
            "limit": settings.INSIGHTS_PAGE_LIMIT,
        }
        if (until - since).days + 1 > settings.ASYNC_THRESHOLD_DAYS:
            yield from self._report_run(account_id, params)
            return
        try:
            yield from self.pages(f"{account_id}/insights", params)
        except GraphAPIError as exc:
            if exc.subcode != settings.TOO_MUCH_DATA_SUBCODE:
                raise
            logger.info("meta_ads: %s..%s is too much for one call; using an async report run", since, until)
            yield from self._report_run(account_id, params)

    def _report_run(self, account_id: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        started = self.request("POST", f"{account_id}/insights", {k: v for k, v in params.items() if k != "limit"})
        run_id = str(started["report_run_id"])
        waited = 0.0
        while True:
            status = self.request("GET", run_id, {"fields": "id,async_status,async_percent_completion"})
            state = status.get("async_status")
            if state == "Job Completed" and int(status.get("async_percent_completion") or 0) >= 100:
                break
            if state in ("Job Failed", "Job Skipped"):
                raise SourceError(SOURCE, f"Meta report run {run_id} for {account_id} ended with '{state}': run again later")
            if waited > settings.MAX_ASYNC_WAIT_SECONDS:
                raise SourceError(SOURCE, f"Meta report run {run_id} for {account_id} did not finish in {waited:.0f}s")
            self._sleep(settings.ASYNC_POLL_SECONDS)
            waited += settings.ASYNC_POLL_SECONDS
        yield from self.pages(f"{run_id}/insights", {"limit": settings.INSIGHTS_PAGE_LIMIT})


# -- records ------------------------------------------------------------------------------------
def _action_value(items: Any, field: str) -> tuple[str | None, dict[str, Any]]:
    """The first purchase action type present in ``items`` and its entry."""
    if items is None:
        return None, {}
    if not isinstance(items, list):
        raise RecordProblem(field, f"expected a list, got {items!r:.60}")
    by_type = {i.get("action_type"): i for i in items if isinstance(i, dict)}
    for action_type in settings.PURCHASE_ACTION_TYPES:
        if action_type in by_type:
            return action_type, by_type[action_type]
    return None, {}


def _count(value: Any, field: str) -> str:
    text = "0" if value is None else str(value)
    # str.isdigit() also accepts '²' and other scripts' digits, which the warehouse cannot cast.
    if not (text.isascii() and text.isdigit()):
        raise RecordProblem(field, f"expected a whole number as a string, got {value!r:.60}")
    return text


def _amount(value: Any, field: str) -> str:
    text = "0" if value is None else str(value)
    require_decimal(value if value is not None else text, field)
    return text


def attribution_setting(spec: Any) -> str:
    """An ad set's ``attribution_spec`` (``[{"event_type": "CLICK_THROUGH", "window_days": 7},
    …]``) as a label such as ``7d_click_1d_view``; Meta's default when it has none."""
    if not isinstance(spec, list) or not spec:
        return settings.ATTRIBUTION_WINDOW_NAME
    parts = []
    for kind, suffix in (("CLICK_THROUGH", "click"), ("ENGAGED_VIDEO_VIEW", "ev"), ("VIEW_THROUGH", "view")):
        days = [s.get("window_days") for s in spec if isinstance(s, dict) and s.get("event_type") == kind]
        if days and isinstance(days[0], int):
            parts.append(f"{days[0]}d_{suffix}")
    return "_".join(parts) or settings.ATTRIBUTION_WINDOW_NAME


def flatten_insight(row: dict[str, Any], setting: str = settings.ATTRIBUTION_WINDOW_NAME) -> dict[str, Any]:
    """One insights row as loaded: ids, the day, numbers kept as strings (exact), purchases under
    the ad set's own attribution ``setting`` (the actions' ``value`` with
    ``use_unified_attribution_setting``) and each window separately.

    Raises:
        RecordProblem: the row is missing an id or carries a number that does not parse.
    """
    for field in ("account_id", "campaign_id", "adset_id", "date_start"):
        require_str(row, field)
    try:
        date.fromisoformat(row["date_start"])
    except ValueError:
        raise RecordProblem("date_start", f"expected YYYY-MM-DD, got {row['date_start']!r:.40}") from None
    require_decimal(row.get("spend", "0"), "spend")
    action_type, purchases = _action_value(row.get("actions"), "actions")
    _, values = _action_value(row.get("action_values"), "action_values")
    record = {
        "date_start": row["date_start"],
        "date_stop": row.get("date_stop", row["date_start"]),
        "account_id": row["account_id"],
        "account_currency": row.get("account_currency"),
        "campaign_id": row["campaign_id"],
        "campaign_name": row.get("campaign_name"),
        "adset_id": row["adset_id"],
        "adset_name": row.get("adset_name"),
        "spend": _amount(row.get("spend"), "spend"),
        "impressions": _count(row.get("impressions"), "impressions"),
        "clicks": _count(row.get("clicks"), "clicks"),
        "purchase_action_type": action_type,
        "purchases": _count(purchases.get("value"), "actions.value"),
        "purchase_value": _amount(values.get("value"), "action_values.value"),
        "attribution_window": setting,
    }
    for window in settings.ATTRIBUTION_WINDOWS:
        record[f"purchases_{window}"] = _count(purchases.get(window), f"actions.{window}")
        record[f"purchase_value_{window}"] = _amount(values.get(window), f"action_values.{window}")
    return record


def flatten_account_insight(row: dict[str, Any]) -> dict[str, Any]:
    """One account-level insights row (the day's total, deleted objects included) as loaded.

    Raises:
        RecordProblem: the row is missing its account or day, or its spend does not parse.
    """
    for field in ("account_id", "date_start"):
        require_str(row, field)
    try:
        date.fromisoformat(row["date_start"])
    except ValueError:
        raise RecordProblem("date_start", f"expected YYYY-MM-DD, got {row['date_start']!r:.40}") from None
    return {"date_start": row["date_start"], "account_id": row["account_id"],
            "account_currency": row.get("account_currency"), "spend": _amount(row.get("spend"), "spend"),
            "impressions": _count(row.get("impressions"), "impressions"), "clicks": _count(row.get("clicks"), "clicks")}


def check_object(obj: dict[str, Any], kind: str) -> None:
    """Raise ``RecordProblem`` when a campaign or ad set cannot be loaded as it is."""
    require_str(obj, "id")
    if not isinstance(obj.get("name"), str):
        raise RecordProblem("name", f"expected a string, got {obj.get('name')!r:.60}")
    for field in ("daily_budget", "lifetime_budget"):
        if obj.get(field) is not None:
            _count(obj[field], field)
    if kind == "adsets":
        require_str(obj, "campaign_id")
