"""Imitation of the HubSpot CRM API: objects (v3 and ``2026-03`` paths), search, associations (v4).

Faithful where the connector can notice: ``Authorization: Bearer`` with HubSpot's 401 body, list
paging (``limit`` ≤ 100, ``after``, ``properties``, ``archived``, ``associations``), search
(``filterGroups`` OR-ed, filters AND-ed, one sort, ``limit`` ≤ 200, ``total``, and the 10,000-result
cap: paging past it is a 400), v4 association batch reads with per-input paging, string-typed
property values, ``X-HubSpot-RateLimit-*`` headers on non-search responses, a rolling
ten-second limit and a per-second search limit answered with 429 ``errorType: RATE_LIMIT``, and
HubSpot's error body (``status``, ``message``, ``correlationId``, ``category``).
"""

from __future__ import annotations

import bisect
import json
import threading
import time
import uuid
from collections import deque
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from storeboard.sandbox.credentials import HUBSPOT_TOKEN
from storeboard.sandbox.faults import DATA, FaultPlan
from storeboard.sandbox.hubspot_data import (
    ASSOCIATION_TYPES,
    DEFAULT_PROPERTIES,
    MODIFIED_PROPERTY,
    OBJECT_TYPES,
    hubspot_records,
    parse_time,
)
from storeboard.sandbox.responses import FastJSONResponse
from storeboard.sandbox.store import Store

LIST_MAX, SEARCH_MAX, BATCH_MAX = 100, 200, 1000
SEARCH_RESULT_CAP = 10_000
_AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                 "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
_OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
              "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR"):
        super().__init__(message)
        self.status, self.message, self.category = status, message, category


class RollingLimit:
    """At most ``limit`` requests in any ``window`` seconds."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, int]:
        """(allowed, remaining after this request)."""
        with self._lock:
            now = time.monotonic()
            while self._hits and now - self._hits[0] >= self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return False, 0
            self._hits.append(now)
            return True, self.limit - len(self._hits)


class HubSpotAPI:
    """Serves one store's HubSpot CRM.

    Args:
        store: the store whose contacts, companies and deals are served (see ``hubspot_data``).
        faults: the sandbox's fault plan (data faults apply to list and search pages).
        access_token: the only private-app token accepted.
        ten_second_limit: requests per rolling ten seconds (Professional: 190).
        daily_limit: requests per day reported in the daily headers.
        search_per_second: search requests per second (HubSpot: 5).
        search_cap: most results one search query can page through (HubSpot: 10,000).
    """

    name = "hubspot"
    prefixes = ("/crm/",)

    def __init__(self, store: Store, faults: FaultPlan | None = None, access_token: str = HUBSPOT_TOKEN,
                 ten_second_limit: int = 190, daily_limit: int = 650_000, search_per_second: int = 5,
                 search_cap: int = SEARCH_RESULT_CAP):
        self.store = store
        self.faults = faults or FaultPlan()
        self.access_token = access_token
        self.limit = RollingLimit(ten_second_limit, 10.0)
        self.search_limit = RollingLimit(search_per_second, 1.0)
        self.daily_limit = daily_limit
        self.daily_used = 0
        self.search_cap = search_cap
        self._search_cache: dict[tuple, list[dict[str, Any]]] = {}
        self._list_cache: dict[tuple, tuple[list[int], list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        #: every request as (method, path, query string or body), for tests
        self.requests: list[tuple[str, str, Any]] = []

    # -- HTTP ---------------------------------------------------------------------------------
    def warm(self) -> None:
        """Rebuild the records for the store's current revision now rather than on the next request."""
        hubspot_records(self.store)

    def routes(self) -> list[Route]:
        routes = []
        for base in ("/crm/v3/objects", "/crm/objects/2026-03"):
            routes += [
                Route(base + "/{object_type}", self.list_objects, methods=["GET"]),
                Route(base + "/{object_type}/search", self.search, methods=["POST"]),
                Route(base + "/{object_type}/{object_id}", self.get_object, methods=["GET"]),
            ]
        for base in ("/crm/v4/objects", "/crm/objects/2026-03"):
            routes.append(Route(base + "/{object_type}/{object_id}/associations/{to_type}", self.record_associations,
                                methods=["GET"]))
        for base in ("/crm/v4/associations", "/crm/associations/2026-03"):
            routes.append(Route(base + "/{object_type}/{to_type}/batch/read", self.batch_associations, methods=["POST"]))
        return routes

    def error_response(self, status: int, reason: str) -> JSONResponse:
        """HubSpot's bodies for transport-level errors (401, 429, 5xx)."""
        if status == 401:
            return _error(401, _AUTH_MESSAGE, "INVALID_AUTHENTICATION")
        if status == 429:
            return JSONResponse({
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": "TEN_SECONDLY_ROLLING",
                "requestId": str(uuid.uuid4()),
            }, status_code=429)
        return _error(status, "internal error", "INTERNAL_ERROR" if status == 500 else "SERVICE_UNAVAILABLE")

    def _guard(self, request: Request, search: bool = False) -> tuple[Response | None, dict[str, str]]:
        """Auth and rate limits; returns (error response or None, headers for the answer)."""
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.access_token}":
            return _error(401, _AUTH_MESSAGE, "INVALID_AUTHENTICATION"), {}
        if search:
            allowed, _ = self.search_limit.take()
            if not allowed:
                return JSONResponse({
                    "status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT",
                    "correlationId": str(uuid.uuid4()), "policyName": "SECONDLY", "requestId": str(uuid.uuid4()),
                }, status_code=429), {}
            return None, {}  # search responses carry no rate-limit headers
        allowed, remaining = self.limit.take()
        if not allowed:
            return self.error_response(429, "limit"), {}
        self.daily_used += 1
        return None, {
            "X-HubSpot-RateLimit-Max": str(self.limit.limit),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_limit - self.daily_used)),
        }

    async def list_objects(self, request: Request) -> Response:
        self.requests.append(("GET", request.url.path, str(request.query_params)))
        denied, headers = self._guard(request)
        if denied:
            return denied
        try:
            object_type = _object_type(request)
            params = request.query_params
            limit = _int_param(params.get("limit", "10"), "limit")
            if not 1 <= limit <= LIST_MAX:
                raise ApiError(400, f"limit must be between 1 and {LIST_MAX}, got {limit}")
            after = _int_param(params.get("after", "0"), "after")
            archived = params.get("archived", "false").lower() == "true"
            properties = _csv_param(params.getlist("properties"))
            associations = _csv_param(params.getlist("associations"))
            ids, records = self._listed(object_type, archived)
            start = bisect.bisect_left(ids, after)
            page = records[start:start + limit]
            body: dict[str, Any] = {
                "results": self._data_faults([self.render(object_type, o, properties, associations) for o in page],
                                             f"{request.url.path}?{request.url.query}"),
            }
            if len(records) > start + limit:
                nxt = str(ids[start + limit])
                body["paging"] = {"next": {"after": nxt, "link": f"{request.url.path}?after={nxt}"}}
            return FastJSONResponse(body, headers=headers)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.category, headers)

    async def get_object(self, request: Request) -> Response:
        self.requests.append(("GET", request.url.path, str(request.query_params)))
        denied, headers = self._guard(request)
        if denied:
            return denied
        try:
            object_type = _object_type(request)
            params = request.query_params
            archived = params.get("archived", "false").lower() == "true"
            record = hubspot_records(self.store).by_id(object_type).get(request.path_params["object_id"])
            if record is None or bool(record["archived"]) != archived:
                raise ApiError(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
            body = self.render(object_type, record, _csv_param(params.getlist("properties")),
                               _csv_param(params.getlist("associations")))
            return FastJSONResponse(body, headers=headers)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.category, headers)

    async def search(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        self.requests.append(("POST", request.url.path, body))
        denied, headers = self._guard(request, search=True)
        if denied:
            return denied
        try:
            if not isinstance(body, dict):
                raise ApiError(400, "Invalid input JSON on line 1: expected an object")
            object_type = _object_type(request)
            limit = _int_param(body.get("limit", 10), "limit")
            if not 1 <= limit <= SEARCH_MAX:
                raise ApiError(400, f"limit must be between 1 and {SEARCH_MAX}, got {limit}")
            after = _int_param(body.get("after") or 0, "after")
            if after + limit > self.search_cap:
                raise ApiError(400, f"There was a problem with the request. Searches are limited to "
                                    f"{self.search_cap:,} total results: narrow the filters to page further.")
            groups = body.get("filterGroups") or []
            _validate_groups(groups)
            records = self._matching(object_type, groups, body.get("sorts") or [])
            page = records[after:after + limit]
            properties = [str(p) for p in body.get("properties") or []]
            answer: dict[str, Any] = {
                "total": len(records),
                "results": self._data_faults([self.render(object_type, o, properties, [], search=True) for o in page],
                                             request.url.path),
            }
            if after + limit < len(records):
                nxt = str(after + limit)
                answer["paging"] = {"next": {"after": nxt, "link": f"?after={nxt}"}}
            return FastJSONResponse(answer, headers=headers)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.category, headers)

    def _listed(self, object_type: str, archived: bool) -> tuple[list[int], list[dict[str, Any]]]:
        """The (un)archived records in id order, with their ids as integers to bisect (cached: a
        backfill lists tens of thousands of records a page at a time)."""
        data = hubspot_records(self.store)
        key = (data.stamp, object_type, archived)
        with self._lock:
            if key in self._list_cache:
                return self._list_cache[key]
        records = [o for o in data.objects[object_type] if bool(o["archived"]) == archived]
        listed = ([int(o["id"]) for o in records], records)
        with self._lock:
            if len(self._list_cache) > 16:
                self._list_cache.clear()
            self._list_cache[key] = listed
        return listed

    def _matching(self, object_type: str, groups: list[Any], sorts: list[Any]) -> list[dict[str, Any]]:
        """Unarchived records matching ``groups`` in ``sorts`` order (cached: pages repeat the query)."""
        data = hubspot_records(self.store)
        key = (data.stamp, object_type, json.dumps(groups, sort_keys=True), json.dumps(sorts, sort_keys=True))
        with self._lock:
            if key in self._search_cache:
                return self._search_cache[key]
        records = [o for o in data.objects[object_type]
                   if not o["archived"] and (not groups or any(_matches_group(o, g) for g in groups))]
        records = _sorted(records, sorts)
        with self._lock:
            if len(self._search_cache) > 16:
                self._search_cache.clear()
            self._search_cache[key] = records
        return records

    async def batch_associations(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        self.requests.append(("POST", request.url.path, body))
        denied, headers = self._guard(request)
        if denied:
            return denied
        try:
            from_type, to_type = _object_type(request), _object_type(request, "to_type")
            inputs = (body or {}).get("inputs") if isinstance(body, dict) else None
            if not isinstance(inputs, list) or not inputs or len(inputs) > BATCH_MAX:
                raise ApiError(400, f"inputs must be a list of 1 to {BATCH_MAX} objects like {{\"id\": \"51\"}}")
            data = hubspot_records(self.store)
            known = data.by_id(from_type)
            type_id, _ = ASSOCIATION_TYPES.get((from_type, to_type), (0, ""))
            results, errors = [], []
            for item in inputs:
                object_id = str((item or {}).get("id"))
                if object_id not in known:
                    errors.append({"status": "error", "category": "OBJECT_NOT_FOUND", "message": f"No {from_type[:-1]} with id {object_id}",
                                   "context": {"fromObjectId": [object_id]}, "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND"})
                    continue
                to_ids = data.associated(from_type, to_type, object_id)
                start = _int_param(item.get("after") or 0, "after")
                page = to_ids[start:start + 500]
                result: dict[str, Any] = {
                    "from": {"id": object_id},
                    "to": [{"toObjectId": int(t), "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]} for t in page],
                }
                if start + 500 < len(to_ids):
                    result["paging"] = {"next": {"after": str(start + 500)}}
                results.append(result)
            now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
            if errors:
                answer.update(numErrors=len(errors), errors=errors)
            return FastJSONResponse(answer, status_code=207 if errors else 200, headers=headers)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.category, headers)

    async def record_associations(self, request: Request) -> Response:
        self.requests.append(("GET", request.url.path, str(request.query_params)))
        denied, headers = self._guard(request)
        if denied:
            return denied
        try:
            from_type, to_type = _object_type(request), _object_type(request, "to_type")
            object_id = request.path_params["object_id"]
            if object_id not in hubspot_records(self.store).by_id(from_type):
                raise ApiError(404, "Object not found.", "OBJECT_NOT_FOUND")
            type_id, _ = ASSOCIATION_TYPES.get((from_type, to_type), (0, ""))
            to_ids = hubspot_records(self.store).associated(from_type, to_type, object_id)
            return JSONResponse({"results": [
                {"toObjectId": int(t), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]}
                for t in to_ids]}, headers=headers)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.category, headers)

    # -- rendering ----------------------------------------------------------------------------
    def render(self, object_type: str, record: dict[str, Any], properties: list[str], associations: list[str],
               search: bool = False) -> dict[str, Any]:
        """A record as HubSpot returns it: the requested properties (or the default set) as strings."""
        wanted = list(properties) if properties else list(DEFAULT_PROPERTIES[object_type])
        if properties:  # HubSpot always adds these three
            wanted += [p for p in ("createdate", "hs_object_id", MODIFIED_PROPERTY[object_type]) if p not in wanted]
        props = {p: record["properties"].get(p) for p in wanted if p in record["properties"] or p in DEFAULT_PROPERTIES[object_type]}
        out: dict[str, Any] = {
            "id": record["id"],
            "properties": props,
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
            "archived": bool(record["archived"]),
        }
        if record.get("archived"):
            out["archivedAt"] = record.get("archivedAt") or record["updatedAt"]
        if associations and not search:
            data = hubspot_records(self.store)
            block = {}
            for to_type in associations:
                to_ids = data.associated(object_type, to_type, record["id"])
                if to_ids:
                    label = ASSOCIATION_TYPES.get((object_type, to_type), (0, f"{object_type[:-1]}_to_{to_type[:-1]}"))[1]
                    block[to_type] = {"results": [{"id": t, "type": label} for t in to_ids]}
            if block:
                out["associations"] = block
        return out

    def _data_faults(self, results: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
        """``results`` as a data fault for ``where`` (the path, and a list's query) changes them."""
        fault = self.faults.take(self.name, DATA, where) if results else None
        if fault is None:
            return results
        if fault.kind == "malformed":
            broken = dict(results[0], id=None, properties=dict(results[0]["properties"], createdate="yesterday-ish"))
            return [broken, *results[1:]]
        if fault.kind == "duplicate":
            return [results[0], *results]
        return results[::-1]  # out_of_order


def _error(status: int, message: str, category: str, headers: dict[str, str] | None = None) -> JSONResponse:
    correlation = str(uuid.uuid4())
    body = {"status": "error", "message": message, "correlationId": correlation, "category": category}
    if category == "VALIDATION_ERROR":
        body.update(errors=[], context={}, links={})
    return JSONResponse(body, status_code=status, headers={**(headers or {}), "X-HubSpot-Correlation-Id": correlation})


def _object_type(request: Request, key: str = "object_type") -> str:
    value = request.path_params[key]
    aliases = {"contact": "contacts", "company": "companies", "deal": "deals", "0-1": "contacts", "0-2": "companies",
               "0-3": "deals"}
    value = aliases.get(value, value)
    if value not in OBJECT_TYPES:
        raise ApiError(400, f"Unable to infer object type from: {request.path_params[key]}")
    return value


def _int_param(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, got {value!r}") from None


def _csv_param(values: list[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def _validate_groups(groups: Any) -> None:
    if not isinstance(groups, list) or len(groups) > 5:
        raise ApiError(400, "filterGroups must be a list of at most 5 groups")
    total = 0
    for group in groups:
        filters = (group or {}).get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or len(filters) > 10:
            raise ApiError(400, "each filter group needs a list of at most 10 filters")
        total += len(filters)
        for f in filters:
            if not isinstance(f, dict) or not f.get("propertyName") or f.get("operator") not in _OPERATORS:
                raise ApiError(400, f"Invalid filter {json.dumps(f)[:200]}: propertyName and a known operator are required")
    if total > 25:
        raise ApiError(400, "at most 25 filters in total")


def _value(record: dict[str, Any], prop: str) -> Any:
    return record["id"] if prop == "hs_object_id" else record["properties"].get(prop)


def _comparable(prop: str, value: Any) -> Any:
    if value is None:
        return None
    text = str(value)
    if prop.endswith("date") or prop in ("createdate", "closedate"):
        try:
            return parse_time(text)
        except ValueError:
            raise ApiError(400, f"{text!r} is not a valid date for {prop}") from None
    try:
        return float(text)
    except ValueError:
        return text.lower()


def _matches_group(record: dict[str, Any], group: dict[str, Any]) -> bool:
    return all(_matches(record, f) for f in group["filters"])


def _matches(record: dict[str, Any], f: dict[str, Any]) -> bool:
    prop, op = f["propertyName"], f["operator"]
    actual = _value(record, prop)
    if op == "HAS_PROPERTY":
        return actual not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return actual in (None, "")
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(f.get("value", "")).lower().strip("*")
        found = actual is not None and token in str(actual).lower()
        return found if op == "CONTAINS_TOKEN" else not found
    if op in ("IN", "NOT_IN"):
        values = {_comparable(prop, v) for v in f.get("values") or []}
        found = actual is not None and _comparable(prop, actual) in values
        return found if op == "IN" else not found
    if actual is None:
        return op == "NEQ"
    a, v = _comparable(prop, actual), _comparable(prop, f.get("value"))
    try:
        if op == "BETWEEN":
            return v <= a <= _comparable(prop, f.get("highValue"))
        return {"EQ": a == v, "NEQ": a != v, "LT": a < v, "LTE": a <= v, "GT": a > v, "GTE": a >= v}[op]
    except TypeError:
        return False


def _sorted(records: list[dict[str, Any]], sorts: list[Any]) -> list[dict[str, Any]]:
    if not sorts:
        return records  # by id
    sort = sorts[0]
    if isinstance(sort, str):  # the official client sends "prop" or "-prop"
        prop, descending = sort.lstrip("-"), sort.startswith("-")
    else:
        prop, descending = sort.get("propertyName"), str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"

    def key(record: dict[str, Any]) -> tuple:
        value = _comparable(prop, _value(record, prop))
        return (value is None, value if value is not None else 0, int(record["id"]))

    return sorted(records, key=key, reverse=descending)
