"""Google Ads REST client: OAuth refresh flow, searchStream, GoogleAdsFailure errors, quota waits.

Transport faults (429, 5xx, timeouts, dropped connections) are retried with back-off by dlt's
requests helper. A 429 that outlasts those retries is waited out from the failure's
``quotaErrorDetails.retryDelay``. An access token the API rejects (expired early, revoked) is
refreshed once before the client gives up.

searchStream answers a JSON array, errors included: a failed request is ``[{"error": …}]`` and a
stream that fails after it started (HTTP 200) ends with an ``{"error": …}`` element after its
first batches (Google Ads API, "Streaming"). The whole array is read before any batch is handed
on, so an error anywhere is read for its code and retry delay and the query is run again from
the start; it is never taken for the end of the data.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from dlt.sources.helpers import requests

from storeboard.errors import SourceAuthError, SourceError
from storeboard.sources.google_ads import settings
from storeboard.sources.quarantine import RecordProblem

logger = logging.getLogger(__name__)

SOURCE = "google_ads"
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


class GoogleAdsClient:
    """Runs GAQL for customers reached through one OAuth client (and optionally a manager account).

    Args:
        base_url: ``https://googleads.googleapis.com`` (or a sandbox address).
        token_url: the OAuth token endpoint.
        developer_token: sent as ``developer-token`` (optional since Google's 2026 sunset); never logged.
        client_id, client_secret, refresh_token: the OAuth client and the user's refresh token.
        login_customer_id: the manager account id (digits), or None for direct access.
        api_version: ``vNN``.
        max_attempts: tries per request on 429/5xx/connection errors.
        sleep: how the client waits (tests record the waits).
    """

    def __init__(self, base_url: str, token_url: str, developer_token: str | None, client_id: str, client_secret: str,
                 refresh_token: str, login_customer_id: str | None, api_version: str, max_attempts: int | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url
        self.api_version = api_version
        self.login_customer_id = (login_customer_id or "").replace("-", "") or None
        self._developer_token = developer_token
        self._client = (client_id, client_secret, refresh_token)
        self._access: tuple[str, float] | None = None
        self._sleep = sleep
        self.max_attempts = max_attempts or settings.MAX_ATTEMPTS
        self._session = requests.Client(
            request_timeout=300, raise_for_status=False, request_max_attempts=self.max_attempts,
            request_backoff_factor=settings.BACKOFF_FACTOR, request_max_retry_delay=60,
        ).session
        self.quota_wait_seconds = 0.0

    # -- OAuth ------------------------------------------------------------------------------------
    def access_token(self, force: bool = False) -> str:
        """A live access token, refreshed through the refresh-token grant when due."""
        if not force and self._access and self._access[1] > time.monotonic():
            return self._access[0]
        client_id, client_secret, refresh_token = self._client
        try:
            response = self._session.post(self.token_url, data={
                "grant_type": "refresh_token", "client_id": client_id, "client_secret": client_secret,
                "refresh_token": refresh_token,
            })
            body = response.json()
        except requests.RequestException as exc:
            raise SourceError(SOURCE, f"Google's token endpoint could not be reached: {type(exc).__name__}") from None
        except ValueError:
            raise SourceError(SOURCE, f"Google's token endpoint sent a response that is not JSON (HTTP {response.status_code})") from None
        if response.status_code == 200 and body.get("access_token"):
            lifetime = float(body.get("expires_in") or 3600)
            self._access = (body["access_token"], time.monotonic() + max(lifetime - settings.TOKEN_REFRESH_MARGIN_SECONDS, lifetime / 2))
            return self._access[0]
        error = body.get("error") if isinstance(body, dict) else None
        if error == "invalid_client":
            raise SourceAuthError(SOURCE, "Google rejected the OAuth client: check sources.google_ads.client_id and "
                                          "GOOGLE_ADS_CLIENT_SECRET, then run `storeboard doctor`")
        if error in ("invalid_grant", "unauthorized_client") or response.status_code in (400, 401):
            raise SourceAuthError(SOURCE, "Google rejected the refresh token (" + str(error) + "): check "
                                          "GOOGLE_ADS_REFRESH_TOKEN, then run `storeboard doctor`")
        raise SourceError(SOURCE, f"Google's token endpoint returned HTTP {response.status_code}")

    # -- GAQL -------------------------------------------------------------------------------------
    def _headers(self, token: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if self._developer_token:
            headers["developer-token"] = self._developer_token
        if self.login_customer_id:
            headers["login-customer-id"] = self.login_customer_id
        return headers

    def search_stream(self, customer_id: str, query: str) -> Iterator[list[dict[str, Any]]]:
        """Yield the ``results`` of each searchStream batch for one customer.

        Raises:
            SourceAuthError: the credentials were rejected or the customer is not accessible.
            SourceError: the query failed, or the API could not be reached.
        """
        customer_id = customer_id.replace("-", "")
        url = self.base_url + settings.SEARCH_STREAM_PATH.format(version=self.api_version, customer_id=customer_id)
        refreshed, waited, attempt = False, 0.0, 0
        while True:
            attempt += 1
            try:
                response = self._session.post(url, json={"query": " ".join(query.split())},
                                              headers=self._headers(self.access_token()))
                body = response.json()
            except requests.RequestException as exc:
                raise SourceError(SOURCE, f"Google Ads at {self.base_url} could not be reached: {type(exc).__name__}") from None
            except ValueError:
                raise SourceError(SOURCE, f"Google Ads sent a response that is not JSON for customer {customer_id} "
                                          f"(HTTP {response.status_code})") from None
            status_code, in_stream = response.status_code, False
            if isinstance(body, list) and not _stream_error(body):
                if status_code == 200:
                    for batch in body:
                        yield (batch.get("results") or []) if isinstance(batch, dict) else []
                    return
            elif status_code == 200:
                # started, then failed: the gRPC status of the error element decides what to do
                status_code = _HTTP_OF_GRPC.get(str((_stream_error(body) or {}).get("status")), 500)
                in_stream = True
            status, code, message, retry_delay = _failure(body)
            if status_code == 401 and not refreshed:
                refreshed = True
                self.access_token(force=True)
                continue
            if status_code == 401:
                raise SourceAuthError(SOURCE, f"Google Ads rejected the access token ({code or status}): check "
                                              "GOOGLE_ADS_REFRESH_TOKEN, then run `storeboard doctor`")
            if status_code == 403:
                raise SourceAuthError(SOURCE, f"Google Ads denied access to customer {customer_id} ({code or status}): "
                                              "check sources.google_ads.customer_ids and login_customer_id, then run "
                                              "`storeboard doctor`")
            if (status_code == 429 or in_stream and status_code in _RETRIED) and attempt < self.max_attempts:
                wait = retry_delay or min(settings.BACKOFF_FACTOR * 2 ** (attempt - 1), 60.0)
                if waited + wait > settings.MAX_QUOTA_WAIT_SECONDS:
                    break
                logger.info("google_ads %s (%s); waiting %.1fs", status, code, wait)
                self.quota_wait_seconds += wait
                self._sleep(wait)
                waited += wait
                continue
            raise SourceError(SOURCE, f"Google Ads returned HTTP {status_code} {status} ({code}) for customer "
                                      f"{customer_id}: {message[:200]}")
        raise SourceError(SOURCE, f"Google Ads kept refusing requests for customer {customer_id} (quota): try again later")

    def rows(self, customer_id: str, query: str) -> Iterator[list[dict[str, Any]]]:
        """Like ``search_stream`` but each row flattened to snake_case columns (``ad_group_id`` …)."""
        for results in self.search_stream(customer_id, query):
            yield [flatten_row(r) for r in results]

    def customer(self, customer_id: str) -> dict[str, Any]:
        """The customer's id, name, currency code and IANA time zone."""
        for batch in self.rows(customer_id, settings.CUSTOMER_QUERY):
            if batch:
                return batch[0]
        raise SourceError(SOURCE, f"Google Ads returned no customer row for {customer_id}")


#: gRPC status of an error inside a stream -> the HTTP status Google maps it to
_HTTP_OF_GRPC = {"RESOURCE_EXHAUSTED": 429, "UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403, "INVALID_ARGUMENT": 400,
                 "INTERNAL": 500, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504}
#: Statuses of an error inside a 200 stream whose whole query is run again after a wait (a
#: stream cannot be resumed); before a stream starts, 5xx are retried by the HTTP layer.
_RETRIED = {429, 500, 503, 504}


def _stream_error(body: list[Any]) -> dict[str, Any] | None:
    """The ``error`` of the first error element of a searchStream array, if there is one."""
    return next((item["error"] for item in body if isinstance(item, dict) and isinstance(item.get("error"), dict)), None)


def _failure(body: Any) -> tuple[str, str | None, str, float | None]:
    """(gRPC status, first error code, message, retry delay in seconds) of an error body: an
    object ``{"error": …}`` or a searchStream array holding one."""
    if isinstance(body, list):
        body = {"error": _stream_error(body)}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "UNKNOWN", None, str(body)[:200], None
    code, message, delay = None, str(error.get("message", "")), None
    for detail in error.get("details") or []:
        for item in detail.get("errors") or []:
            code = code or next((f"{k}.{v}" for k, v in (item.get("errorCode") or {}).items()), None)
            message = item.get("message") or message
            text = ((item.get("details") or {}).get("quotaErrorDetails") or {}).get("retryDelay")
            if text and delay is None:
                try:
                    delay = float(str(text).rstrip("s"))
                except ValueError:
                    delay = None
    return str(error.get("status", "")), code, message, delay


def flatten_row(row: dict[str, Any]) -> dict[str, Any]:
    """A GoogleAdsRow as one flat record: ``adGroup.id`` → ``ad_group_id``, ``metrics.costMicros``
    → ``cost_micros``, ``segments.date`` → ``date``; int64 kept as strings, resource names kept."""
    out: dict[str, Any] = {}
    for resource, values in row.items():
        if not isinstance(values, dict):
            out[snake(resource)] = values
            continue
        prefix = "" if resource in ("metrics", "segments") else snake(resource) + "_"
        for name, value in values.items():
            out[prefix + snake(name)] = value
    return out


def _digits(record: dict[str, Any], field: str, required: bool = True) -> None:
    value = record.get(field)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not (str(value).isascii() and str(value).isdigit()):
        raise RecordProblem(field, f"expected an int64 as a string, got {value!r:.60}")


def check_metrics(record: dict[str, Any], id_fields: tuple[str, ...] = ("campaign_id", "ad_group_id")) -> dict[str, Any]:
    """Validate a flattened daily metrics row (customer, campaign or ad-group grain: ``id_fields``
    besides the customer) and fill omitted (zero) metrics; ``conversions`` and
    ``conversions_value`` are the purchase conversion actions' (see ``settings``).

    Raises:
        RecordProblem: an id is missing or a number does not parse.
    """
    for field in ("customer_id", *id_fields):
        _digits(record, field)
    try:
        date.fromisoformat(str(record.get("date")))
    except ValueError:
        raise RecordProblem("date", f"expected YYYY-MM-DD, got {record.get('date')!r:.40}") from None
    for field in ("cost_micros", "impressions", "clicks"):
        record[field] = str(record.get(field, "0"))
        _digits(record, field)
    for field in ("conversions", "conversions_value"):
        value = record.get(field, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise RecordProblem(field, f"expected a number, got {value!r:.60}")
        try:
            number = float(value)
            if not math.isfinite(number):  # NaN and infinities cannot be summed into a mart
                raise ValueError(value)
            record[field] = repr(number) if not isinstance(value, str) else str(number)
        except (ValueError, OverflowError):
            raise RecordProblem(field, f"expected a number, got {value!r:.60}") from None
    record["customer_id"] = str(record["customer_id"])
    record["attribution_window"] = settings.ATTRIBUTION_WINDOW_NAME
    return record


def check_entity(record: dict[str, Any], id_fields: tuple[str, ...]) -> dict[str, Any]:
    """Validate a flattened campaign / ad group / budget row (ids present and numeric)."""
    for field in id_fields:
        _digits(record, field)
    if "amount_micros" in record or "campaign_budget_amount_micros" in record:
        _digits(record, "campaign_budget_amount_micros", required=False)
    record["attribution_window"] = settings.ATTRIBUTION_WINDOW_NAME
    return record
