"""HubSpot CRM client: auth, rate-limit pacing, list and search paging, association reads.

Transport faults (429, 5xx, timeouts, dropped connections) are retried with exponential back-off
by dlt's requests helper, honouring ``Retry-After``. The client also paces itself: search calls
are spaced to stay under HubSpot's 5 per second, the other calls to the account's ten-second
budget (``X-HubSpot-RateLimit-Max``, learnt from the first answer), and when
``X-HubSpot-RateLimit-Remaining`` runs out all the same (another app spending the budget) it waits
for the ten-second window instead of collecting 429s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from dlt.sources.helpers import requests

from storeboard.errors import SourceAuthError, SourceError
from storeboard.sources.hubspot import settings
from storeboard.sources.json_body import loads
from storeboard.sources.pacing import Pacer
from storeboard.sources.quarantine import RecordProblem, require_decimal, require_timestamp

logger = logging.getLogger(__name__)


class HubSpotClient:
    """Reads one HubSpot account's CRM objects.

    Args:
        base_url: ``https://api.hubapi.com`` (or a sandbox address).
        access_token: private-app token; never logged.
        page_size: most records per search page (≤ 200; list pages use at most 100).
        max_attempts: tries per request on 429/5xx/connection errors, with exponential back-off.
        search_interval: least seconds between two search calls.
        search_cap: results one search query may page through before the window moves.
        sleep: the function used to wait (tests record the waits).
    """

    def __init__(self, base_url: str, access_token: str, page_size: int = 200, max_attempts: int = 6,
                 search_interval: float = settings.SEARCH_MIN_INTERVAL_SECONDS,
                 search_cap: int = settings.SEARCH_RESULT_CAP, sleep=time.sleep):
        self.base_url = base_url.rstrip("/")
        self.page_size = max(1, min(page_size, settings.SEARCH_PAGE_MAX))
        self.search_interval = search_interval
        self.search_cap = search_cap
        self._token = access_token
        self._sleep = sleep
        self._last_search = 0.0
        # the three objects are read side by side (dlt runs each resource in its own thread)
        self._search_lock = threading.Lock()
        self._session = requests.Client(
            request_timeout=60, raise_for_status=False, request_max_attempts=max_attempts, request_max_retry_delay=30
        ).session
        #: how many times the search window moved past the result cap (for tests and logs)
        self.window_moves = 0
        # The ten-second budget of the other calls: HubSpot's smallest until an answer names the
        # account's, less a margin so this client never spends the last call of a window itself.
        self._budget = Pacer(settings.TEN_SECOND_LIMIT - settings.BUDGET_MARGIN, window=10.0)

    # -- transport ------------------------------------------------------------------------------
    def _request(self, method: str, path: str, search: bool = False, **kwargs: Any) -> requests.Response:
        url = self.base_url + path
        if not search:
            self._budget.wait()
        try:
            response = self._session.request(
                method, url, headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"}, **kwargs
            )
        except requests.RequestException as exc:
            raise SourceError("hubspot", f"HubSpot at {self.base_url} could not be reached: {type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise SourceAuthError(
                "hubspot",
                f"HubSpot returned {response.status_code} for {self.base_url}: check HUBSPOT_ACCESS_TOKEN (a private-app "
                "token with crm.objects.contacts.read, companies.read and deals.read), then run `storeboard doctor`",
            )
        if response.status_code >= 400 and response.status_code != 404:
            detail = _error_detail(response)
            raise SourceError(
                "hubspot", f"HubSpot returned HTTP {response.status_code} for {method} {path}{detail}"
                + (" after retries: the next run resumes where this one stopped" if response.status_code >= 429 else ""),
            )
        self._pace(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._request(method, path, **kwargs)
        if response.status_code == 404:
            raise SourceError("hubspot", f"HubSpot returned 404 for {path}: check sources.hubspot.base_url")
        try:
            body = loads(response.content)
        except ValueError:
            raise SourceError("hubspot", f"HubSpot sent a response that is not JSON for {path}") from None
        if not isinstance(body, dict):
            raise SourceError("hubspot", f"HubSpot sent an unexpected response for {path}")
        return body

    def _pace(self, response: requests.Response) -> None:
        """Keep to the budget the answer names; wait out the ten-second window when it is spent."""
        budget = response.headers.get("X-HubSpot-RateLimit-Max")
        if budget is not None and budget.isdigit():
            self._budget.limit = max(1, int(budget) - settings.BUDGET_MARGIN)
        remaining = response.headers.get("X-HubSpot-RateLimit-Remaining")
        if remaining is not None and remaining.isdigit() and int(remaining) <= 1:
            interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
            wait = int(interval) / 1000 if interval.isdigit() else 10.0
            logger.debug("hubspot rate-limit budget spent; waiting %.1fs", wait)
            self._sleep(wait)

    # -- reads ----------------------------------------------------------------------------------
    def iter_list(self, object_type: str, archived: bool = False) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of every ``object_type`` record (``archived=True``: only archived ones), by id."""
        path = settings.OBJECTS_PATH.format(version=settings.API_VERSION, object_type=object_type)
        params: dict[str, Any] = {
            "limit": min(self.page_size, settings.LIST_PAGE_MAX),
            "properties": ",".join(settings.PROPERTIES[object_type]),
            "archived": "true" if archived else "false",
        }
        while True:
            body = self._json("GET", path, params=params)
            yield list(body.get("results") or [])
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            params["after"] = after

    def read(self, object_type: str, object_id: str) -> dict[str, Any]:
        """One record by id with the properties the connector loads (CRM API ``GET
        /crm/v3/objects/{objectType}/{objectId}``)."""
        path = settings.OBJECTS_PATH.format(version=settings.API_VERSION, object_type=object_type)
        return self._json("GET", f"{path}/{object_id}", params={"properties": ",".join(settings.PROPERTIES[object_type])})

    def search_modified_since(self, object_type: str, since: str) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of unarchived records modified at or after ``since`` (ISO UTC), oldest first.

        Paging stops short of the search result cap: the query then restarts from the last
        modified date seen (``GTE``), skipping the records already yielded at that instant.
        """
        prop = settings.MODIFIED_PROPERTY[object_type]
        path = settings.SEARCH_PATH.format(version=settings.API_VERSION, object_type=object_type)
        lower, after = since, 0
        last_stamp, ids_at_last = None, set()
        skip_stamp, skip_ids = None, set()
        while True:
            if after + self.page_size > self.search_cap:
                if last_stamp is None or last_stamp == lower:
                    raise SourceError("hubspot", f"more than {self.search_cap:,} HubSpot {object_type} share the "
                                                 f"modified date {lower}: the search window cannot move past them")
                lower, after = last_stamp, 0
                skip_stamp, skip_ids = last_stamp, set(ids_at_last)
                self.window_moves += 1
                logger.debug("hubspot %s search window moved to %s", object_type, lower)
            body = self._search(path, {
                "filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": lower}]}],
                "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
                "properties": settings.PROPERTIES[object_type],
                "limit": self.page_size,
                "after": str(after),
            })
            page = []
            for record in body.get("results") or []:
                stamp = _stamp(record, prop)
                if stamp is not None and stamp == skip_stamp and record.get("id") in skip_ids:
                    continue  # already yielded before the window moved
                if stamp is not None:
                    if stamp != last_stamp:
                        last_stamp, ids_at_last = stamp, set()
                    ids_at_last.add(record.get("id"))
                page.append(record)
            yield page
            nxt = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not nxt:
                return
            after = int(nxt)

    def _search(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        # Calls start at least search_interval apart, whichever thread makes them.
        with self._search_lock:
            wait = self._last_search + self.search_interval - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            self._last_search = time.monotonic()
        return self._json("POST", path, json=body, search=True)

    def newest_modified(self, object_type: str) -> str | None:
        """The latest last-modified date of any unarchived ``object_type`` record (one search call)."""
        prop = settings.MODIFIED_PROPERTY[object_type]
        path = settings.SEARCH_PATH.format(version=settings.API_VERSION, object_type=object_type)
        body = self._search(path, {"sorts": [{"propertyName": prop, "direction": "DESCENDING"}],
                                   "properties": [prop], "limit": 1})
        results = body.get("results") or []
        return _stamp(results[0], prop) if results else None

    def total(self, object_type: str) -> int:
        """How many unarchived ``object_type`` records the account has (one search call)."""
        path = settings.SEARCH_PATH.format(version=settings.API_VERSION, object_type=object_type)
        return int(self._search(path, {"limit": 1, "properties": ["hs_object_id"]}).get("total") or 0)

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
        """``from_type`` id -> associated ``to_type`` ids (v4 batch read, following per-input paging)."""
        path = settings.ASSOCIATIONS_PATH.format(version=settings.API_VERSION, from_type=from_type, to_type=to_type)
        found: dict[str, list[str]] = {i: [] for i in ids}
        pending = [{"id": i} for i in ids]
        while pending:
            batch, pending = pending[:settings.ASSOCIATION_BATCH_MAX], pending[settings.ASSOCIATION_BATCH_MAX:]
            body = self._json("POST", path, json={"inputs": batch})
            for result in body.get("results") or []:
                from_id = str((result.get("from") or {}).get("id"))
                for target in result.get("to") or []:
                    found.setdefault(from_id, []).append(str(target.get("toObjectId")))
                after = ((result.get("paging") or {}).get("next") or {}).get("after")
                if after:
                    pending.append({"id": from_id, "after": after})
        return found


def _stamp(record: dict[str, Any], prop: str) -> str | None:
    value = (record.get("properties") or {}).get(prop) if isinstance(record, dict) else None
    try:
        require_timestamp({"v": value}, "v")
    except RecordProblem:
        return None
    return value if isinstance(value, str) else None


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get(k)) for k in ("category", "errorType") if body.get(k)]
    message = str(body.get("message") or "")[:200]
    correlation = body.get("correlationId")
    return (f" ({', '.join(parts)}): {message}" if parts or message else "") + (
        f" [correlationId {correlation}]" if correlation else "")


def cleared_as_null(record: Any) -> Any:
    """``record`` with every property a user cleared (``""``) as null.

    HubSpot's CRM properties guide: "to clear a property value, set it to an empty string", and
    the object APIs then return ``""`` for it (``SimplePublicObject.properties`` is a map of
    nullable strings in the official ``hubspot-api-client`` models). An emptied deal ``amount``
    or ``closedate`` means "no value", the same as a property never set.
    """
    if not isinstance(record, dict) or not isinstance(record.get("properties"), dict):
        return record
    properties = record["properties"]
    if "" not in properties.values():
        return record
    return dict(record, properties={k: (None if v == "" else v) for k, v in properties.items()})


def check_record(object_type: str, record: dict[str, Any]) -> None:
    """Raise ``RecordProblem`` naming the field when a record cannot be loaded as it is."""
    value = record.get("id")
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        raise RecordProblem("id", f"expected a numeric string, got {value!r:.60}")
    require_timestamp(record, "createdAt")
    require_timestamp(record, "updatedAt")
    properties = record.get("properties")
    if not isinstance(properties, dict):
        raise RecordProblem("properties", f"expected an object, got {properties!r:.60}")
    modified = settings.MODIFIED_PROPERTY[object_type]
    if properties.get(modified) is None:  # the cursor is built from it
        raise RecordProblem(f"properties.{modified}", "missing: expected an ISO 8601 timestamp")
    for prop in ("createdate", modified, "closedate"):
        if properties.get(prop) is not None:
            try:
                require_timestamp(properties, prop)
            except RecordProblem as problem:
                raise RecordProblem(f"properties.{prop}", problem.reason) from None
    if object_type == "deals":
        require_decimal(properties.get("amount"), "properties.amount", nullable=True)
    email = properties.get("email")
    if email is not None and not isinstance(email, str):
        raise RecordProblem("properties.email", f"expected a string, got {email!r:.60}")
