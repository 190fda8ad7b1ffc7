"""Stripe REST client: auth, ``Stripe-Version``, cursor paging over list endpoints, error translation.

Server errors, timeouts and dropped connections are retried with exponential back-off by dlt's
requests helper. A 429 is retried here, through the pacer again, after a short jittered back-off
(or ``Retry-After`` when a proxy sends one; Stripe itself documents none): the pacer keeps the
client under the limits, so a 429 means a few requests arrived closer together than they left,
and sleeping a whole second or more would leave the endpoint's share of the limit unused.
Pages are streamed one at a time, newest first, as Stripe returns them.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dlt.sources.helpers import requests

from storeboard.errors import SourceAuthError, SourceError
from storeboard.sources.json_body import loads
from storeboard.sources.pacing import Pacer, wait_for_all
from storeboard.sources.quarantine import RecordProblem, require_str
from storeboard.sources.stripe import settings
from storeboard.sources.stripe.settings import Resource

logger = logging.getLogger(__name__)
#: seconds before the first retry of a 429 (times the back-off factor); doubles each time
RATE_RETRY_SECONDS = 0.5


def to_epoch(timestamp: str) -> int:
    """ISO 8601 (``2024-01-01T00:00:00Z``) or a date, as Unix seconds (UTC when no offset)."""
    parsed = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def describe_key(api_key: str) -> str:
    """``live restricted key`` and the like: what a key is, without any of its secret part."""
    mode = "live" if "_live_" in api_key else "test" if "_test_" in api_key else "unknown-mode"
    kind = {"sk": "secret", "rk": "restricted"}.get(api_key[:2], "unrecognised")
    return f"{mode} {kind} key"


class StripeClient:
    """Reads one Stripe account's list endpoints.

    Args:
        api_key: secret (``sk_…``) or restricted (``rk_…``) key; never logged.
        base_url: ``https://api.stripe.com`` or a sandbox address.
        api_version: sent as ``Stripe-Version``; None uses the account's default version.
        page_size: objects per page, 1-100.
        max_attempts: tries per request on 429/5xx/connection errors.
        backoff_factor: seconds multiplied into the exponential back-off between tries.
        requests_per_second: the account's global limit; None: Stripe's for the key's mode
            (100 live, 25 test).
        endpoint_requests_per_second: the limit per endpoint (``GET /v1/charges`` is one,
            ``GET /v1/charges/{id}`` another); Stripe's default is 25.
    """

    def __init__(self, api_key: str, base_url: str = "https://api.stripe.com", api_version: str | None = None,
                 page_size: int = settings.MAX_PAGE_SIZE, max_attempts: int = 6, backoff_factor: float = 1.0,
                 requests_per_second: float | None = None, endpoint_requests_per_second: float | None = 25):
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.page_size = max(1, min(page_size, settings.MAX_PAGE_SIZE))
        self._key = api_key
        self._http = requests.Client(
            request_timeout=60, raise_for_status=False, request_max_attempts=max_attempts,
            request_backoff_factor=backoff_factor, request_max_retry_delay=60,
            status_codes=tuple(range(500, 600)),  # 429s: see get()
        )
        self._max_attempts, self._backoff_factor = max_attempts, backoff_factor
        self._pace = Pacer(requests_per_second or (25 if "_test_" in api_key else 100))
        self._pace_endpoint = Pacer(endpoint_requests_per_second)
        #: the API version Stripe answered with (its ``Stripe-Version`` response header)
        self.served_version: str | None = None

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One authenticated GET; returns the decoded JSON body.

        Raises:
            SourceAuthError: the key was rejected (401) or may not read this endpoint (403).
            SourceError: anything else went wrong after the retries.
        """
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/json"}
        if self.api_version:
            headers["Stripe-Version"] = self.api_version
        for attempt in range(1, self._max_attempts + 1):
            wait_for_all((self._pace_endpoint, _endpoint(path)), (self._pace, ""))
            logger.debug("stripe GET %s %s", path, params)
            try:
                response = self._http.session.get(self.base_url + path, params=params, headers=headers)
            except requests.RequestException as exc:
                raise SourceError("stripe", f"Stripe at {self.base_url} could not be reached for {path}: "
                                            f"{type(exc).__name__}; the next run resumes where this one stopped") from None
            if response.status_code != 429 or attempt == self._max_attempts:
                break
            delay = _retry_after(response)
            if delay is None:
                delay = RATE_RETRY_SECONDS * self._backoff_factor * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            logger.debug("stripe 429 (%s) for %s; retry %d in %.2fs", response.headers.get("Stripe-Rate-Limited-Reason"),
                         path, attempt, delay)
            time.sleep(delay)
        self.served_version = response.headers.get("Stripe-Version", self.served_version)
        if response.status_code == 401:
            raise SourceAuthError("stripe", f"Stripe returned 401 for {self.base_url}: check {settings.API_KEY_ENV} "
                                            "(a secret key or a restricted key with read access), then run `storeboard doctor`")
        if response.status_code == 403:
            raise SourceAuthError("stripe", f"Stripe returned 403 for {path}: the key in {settings.API_KEY_ENV} may not "
                                            "read this resource; give the restricted key read access, then run `storeboard doctor`")
        if response.status_code >= 400:
            raise SourceError("stripe", self._error_text(response, path))
        try:
            return loads(response.content)
        except ValueError:
            raise SourceError("stripe", f"Stripe sent a response that is not JSON for {path} at {self.base_url}") from None

    def _error_text(self, response: Any, path: str) -> str:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        message = str(error.get("message") or "").split("\n")[0][:200]
        request_id = response.headers.get("Request-Id")
        where = f"{path} at {self.base_url}" + (f" (request {request_id})" if request_id else "")
        if response.status_code == 404:
            return f"Stripe returned 404 for {where}: check sources.stripe.base_url"
        if response.status_code == 400:
            return f"Stripe rejected {where}: {message or 'bad request'}; check sources.stripe.api_version"
        return (f"Stripe returned HTTP {response.status_code} for {where} after retries: {message or 'no details'}; "
                "the next run resumes where this one stopped")

    def list_page(self, kind: str, created_gte: int | None = None, created_lte: int | None = None,
                  starting_after: str | None = None, filters: dict[str, str] | None = None) -> tuple[list[Any], bool]:
        """One page of ``/v1/<kind>``, newest first, within the ``created`` bounds (Unix seconds,
        inclusive), after the ``starting_after`` object and matching ``filters`` (``{"type":
        "charge.refunded"}``); returns the objects and ``has_more``."""
        params: dict[str, Any] = {"limit": self.page_size, **(filters or {})}
        if created_gte is not None:
            params["created[gte]"] = created_gte
        if created_lte is not None:
            params["created[lte]"] = created_lte
        if starting_after is not None:
            params["starting_after"] = starting_after
        path = settings.LIST_PATH.format(kind=kind)
        body = self.get(path, params)
        data = body.get("data")
        if body.get("object") != "list" or not isinstance(data, list):
            raise SourceError("stripe", f"Stripe sent something other than a list for {path} at {self.base_url}")
        return data, bool(body.get("has_more"))

    def iter_pages(self, kind: str, created_gte: int | None = None,
                   filters: dict[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of ``/v1/<kind>`` created at or after ``created_gte`` (Unix seconds), newest first.

        Follows ``starting_after`` = the last object of each page while ``has_more`` is true.
        """
        starting_after = None
        while True:
            data, has_more = self.list_page(kind, created_gte, starting_after=starting_after, filters=filters)
            yield data
            last_id = next((o.get("id") for o in reversed(data) if isinstance(o, dict) and isinstance(o.get("id"), str)), None)
            if not has_more or last_id is None:
                return
            starting_after = last_id


def _retry_after(response: Any) -> float | None:
    """Seconds from a numeric ``Retry-After`` header, capped at a minute; None without one."""
    try:
        return min(max(float(response.headers.get("Retry-After", "")), 0.0), 60.0)
    except ValueError:
        return None


def _endpoint(path: str) -> str:
    """The endpoint Stripe's per-endpoint limit counts: ``/v1/charges`` or ``/v1/charges/{id}``."""
    parts = path.split("/")
    return "/".join(parts[:3]) + ("/{id}" if len(parts) > 3 else "")


def check_record(resource: Resource, record: Any) -> None:
    """Raise ``RecordProblem`` naming the field when a Stripe object cannot be loaded as it is."""
    if not isinstance(record, dict):
        raise RecordProblem("record", f"expected an object, got {type(record).__name__}")
    # Meaning, not spelling: any non-empty string id (``ch_…``, ``py_…``, ``pyr_…``), and the
    # ``object`` type of the list when the object names one (Stripe's OpenAPI spec: every object
    # has ``object``, an enum of one value such as ``charge``).
    require_str(record, "id")
    kind = record.get("object")
    if kind is not None and kind != resource.object_type:
        raise RecordProblem("object", f"expected {resource.object_type!r}, got {kind!r:.60}")
    for field in resource.integer_fields:
        value = record.get(field)
        if value is None and field not in ("created", "amount"):
            continue
        # A value past int64 would fail the whole load, not just this record.
        if not isinstance(value, int) or isinstance(value, bool) or not -(2**63) <= value < 2**63:
            raise RecordProblem(field, f"expected an integer (minor units or Unix seconds), got {value!r:.60}")
    if "amount" in resource.integer_fields and not isinstance(record.get("currency"), str):
        raise RecordProblem("currency", f"expected a currency code, got {record.get('currency')!r:.20}")
