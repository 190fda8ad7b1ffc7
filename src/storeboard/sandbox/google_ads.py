"""Imitation of the Google Ads API (REST) and Google's OAuth token endpoint.

Faithful where the connector can notice: ``POST /oauth2/token`` (refresh-token grant, access
tokens that expire), ``POST /{version}/customers/{id}/googleAds:searchStream`` (a JSON array of
batches) and ``:search`` (fixed 10,000-row pages with ``nextPageToken``, ``pageSize`` rejected),
GAQL parsed and validated (unknown fields, resources that cannot be selected together, a
``segments.date`` selection without a finite date range), ``login-customer-id`` required for the
client accounts under the manager, proto3 JSON (camelCase, int64 as strings, zero values
omitted, ``resourceName`` on every resource), rows with all-zero metrics left out, and errors in
the ``GoogleAdsFailure`` shape (429 ``RESOURCE_EXHAUSTED`` with a ``retryDelay``, 401
``UNAUTHENTICATED``). ``developer-token`` is accepted and ignored, as after its 2026 sunset.

Reporting as Google documents it: ``FROM ad_group`` returns nothing for Performance Max campaigns
(they have asset groups, not ad groups: "Performance Max reporting" guide), so only ``campaign``
and ``customer`` report their spend; ``metrics.conversions`` counts every primary conversion
action (here purchases and add-to-carts) and ``segments.conversion_action_category`` splits it,
but cannot be selected with non-conversion metrics such as ``metrics.cost_micros`` ("Segmentation"
guide, QueryError ``PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE``). A searchStream
error is an element of the response array (``[{"error": …}]``), also after a first batch.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storeboard.sandbox.credentials import (
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    GOOGLE_LOGIN_CUSTOMER_ID,
    GOOGLE_REFRESH_TOKEN,
)
from storeboard.sandbox.faults import DATA, STREAM, FaultPlan
from storeboard.sandbox.gaql import GaqlError, Query, parse_gaql
from storeboard.sandbox.marketing_data import GOOGLE, MarketingData, build_marketing
from storeboard.sandbox.meta import restate_marketing
from storeboard.sandbox.store import Store

SUPPORTED_VERSIONS = ("v23", "v24", "v25", "v26")
SERVED_VERSIONS = tuple(f"v{n}" for n in range(17, 30))
PAGE_SIZE = 10_000
SCOPE = "https://www.googleapis.com/auth/adwords"

# Field catalogue: GAQL path -> proto3 JSON type. Checked against the official google-ads
# package's GoogleAdsRow in the tests.
FIELDS: dict[str, str] = {
    "customer.resource_name": "string", "customer.id": "int64", "customer.descriptive_name": "string",
    "customer.currency_code": "string", "customer.time_zone": "string", "customer.manager": "bool",
    "customer.status": "enum",
    "campaign.resource_name": "string", "campaign.id": "int64", "campaign.name": "string",
    "campaign.status": "enum", "campaign.advertising_channel_type": "enum", "campaign.campaign_budget": "string",
    "campaign.start_date_time": "string", "campaign.serving_status": "enum",
    "ad_group.resource_name": "string", "ad_group.id": "int64", "ad_group.name": "string",
    "ad_group.status": "enum", "ad_group.type": "enum", "ad_group.campaign": "string",
    "campaign_budget.resource_name": "string", "campaign_budget.id": "int64", "campaign_budget.name": "string",
    "campaign_budget.amount_micros": "int64", "campaign_budget.period": "enum",
    "campaign_budget.delivery_method": "enum", "campaign_budget.status": "enum",
    "campaign_budget.explicitly_shared": "bool",
    "metrics.cost_micros": "int64", "metrics.impressions": "int64", "metrics.clicks": "int64",
    "metrics.conversions": "double", "metrics.conversions_value": "double", "metrics.ctr": "double",
    "metrics.average_cpc": "double",
    "segments.date": "string", "segments.conversion_action_category": "enum",
}
#: FROM resource -> resources whose fields it may select (itself first).
ATTRIBUTED = {
    "customer": ("customer",),
    "campaign": ("campaign", "campaign_budget", "customer"),
    "ad_group": ("ad_group", "campaign", "customer"),
    "campaign_budget": ("campaign_budget", "customer"),
}
_METRICS = ("cost_micros", "impressions", "clicks", "conversions", "conversions_value")
#: Metrics that are not conversion metrics: none of them may be selected beside a conversion
#: segment (the API answers PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE).
_NON_CONVERSION_METRICS = {"metrics.cost_micros", "metrics.impressions", "metrics.clicks", "metrics.ctr",
                           "metrics.average_cpc"}
#: Campaign types that have no ad groups: ``FROM ad_group`` leaves them out.
NO_AD_GROUPS = {"PERFORMANCE_MAX"}


def add_to_carts(clicks: int) -> int:
    """The sandbox account's second primary conversion action (category ADD_TO_CART, no value):
    counted in ``metrics.conversions`` beside purchases, as a real account's often are."""
    return clicks // 20


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class AdsError(Exception):
    """A Google Ads API error: HTTP status, gRPC status name, and GoogleAdsFailure errors."""

    def __init__(self, status: int, grpc: str, message: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status, self.grpc, self.message, self.errors = status, grpc, message, errors or []


def _query_error(error: GaqlError) -> AdsError:
    item: dict[str, Any] = {"errorCode": {"queryError": error.code}, "message": error.message}
    if error.trigger:
        item["trigger"] = {"stringValue": error.trigger}
    return AdsError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", [item])


class GoogleAdsAPI:
    """Serves the store's Google Ads customers (two clients under one manager) over REST.

    Args:
        store: the store to serve.
        faults: the shared fault plan.
        token_lifetime: seconds an access token lives (Google: 3,599).
        page_size: rows per ``:search`` page (Google: a fixed 10,000).
        stream_batch_size: rows per ``:searchStream`` batch.
    """

    name = "google_ads"
    prefixes = tuple(f"/{v}/customers/" for v in SERVED_VERSIONS) + ("/oauth2/",)

    def __init__(self, store: Store, faults: FaultPlan | None = None, token_lifetime: float = 3599,
                 page_size: int = PAGE_SIZE, stream_batch_size: int = PAGE_SIZE, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.faults = faults or FaultPlan()
        self.token_lifetime = token_lifetime
        self.page_size = page_size
        self.stream_batch_size = stream_batch_size
        self.clock = clock
        self.restatement_epoch = 0
        self._tokens: dict[str, float] = {}
        self._cache: tuple[tuple, MarketingData] | None = None
        self._request_ids = itertools.count(1)
        self._lock = threading.Lock()
        #: the last queries served (customer id, GAQL), for tests
        self.queries: deque[tuple[str, str]] = deque(maxlen=1000)

    # -- data -----------------------------------------------------------------------------------
    def data(self) -> MarketingData:
        key = (self.store.revision, len(self.store.orders), self.restatement_epoch)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, build_marketing(self.store, self.restatement_epoch).of(GOOGLE))
        return self._cache[1]

    def warm(self) -> None:
        """Rebuild the records for the store's current revision now rather than on the next request."""
        self.data()

    def restate(self) -> int:
        """Late conversions arrive: the last days' numbers move towards their final values."""
        self.restatement_epoch += 1
        return self.restatement_epoch

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now (the connector must refresh)."""
        with self._lock:
            self._tokens.clear()

    # -- HTTP -----------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        routes = [Route("/oauth2/token", self.token, methods=["POST"]),
                  Route("/_sandbox/restate", restate_marketing, methods=["POST"])]
        for version in SERVED_VERSIONS:
            routes += [
                Route(f"/{version}/customers/{{customer_id}}/googleAds:searchStream", self.search_stream, methods=["POST"]),
                Route(f"/{version}/customers/{{customer_id}}/googleAds:search", self.search, methods=["POST"]),
            ]
        return routes

    def error_response(self, status: int, reason: str) -> JSONResponse:
        """Google's bodies for transport-level faults."""
        return self.error_response_at(status, reason, "")

    def error_response_at(self, status: int, reason: str, path: str) -> JSONResponse:
        """Google's bodies for transport-level faults; on searchStream, inside the response array."""
        stream = path.endswith(":searchStream")
        if status == 401:
            return self._error(_unauthenticated("OAUTH_TOKEN_EXPIRED"), stream=stream)
        if status == 429:
            return self._error(_exhausted(), stream=stream)
        grpc = {500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}.get(status, "UNKNOWN")
        return self._error(AdsError(status, grpc, "Internal error encountered." if status == 500 else
                                    "The service is currently unavailable.", [{
                                        "errorCode": {"internalError": "INTERNAL_ERROR" if status == 500 else "TRANSIENT_ERROR"},
                                        "message": "An internal error has occurred."}]), stream=stream)

    def _request_id(self) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(str(next(self._request_ids)).encode()).digest()).decode()[:22]

    def _error_body(self, error: AdsError, version: str) -> dict[str, Any]:
        body: dict[str, Any] = {"code": error.status, "message": error.message, "status": error.grpc}
        if error.errors:
            body["details"] = [{"@type": f"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
                                "errors": error.errors, "requestId": self._request_id()}]
        return body

    def _error(self, error: AdsError, version: str = SUPPORTED_VERSIONS[-1], stream: bool = False) -> JSONResponse:
        body = {"error": self._error_body(error, version)}
        # searchStream answers a JSON array even for an error: [{"error": {...}}]
        return JSONResponse([body] if stream else body, status_code=error.status)

    async def token(self, request: Request) -> JSONResponse:
        """Google's OAuth 2.0 token endpoint, refresh-token grant only."""
        # Form bodies parsed by hand: Starlette's form parser needs python-multipart.
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "
                                 + str(form.get("grant_type"))}, status_code=400)
        if form.get("client_id") != GOOGLE_CLIENT_ID or form.get("client_secret") != GOOGLE_CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client", "error_description": "Unauthorized"}, status_code=401)
        if form.get("refresh_token") != GOOGLE_REFRESH_TOKEN:
            return JSONResponse({"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400)
        access = "ya29.sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access] = self.clock() + self.token_lifetime
        return JSONResponse({"access_token": access, "expires_in": int(self.token_lifetime), "scope": SCOPE,
                             "token_type": "Bearer"}, headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"})

    async def search_stream(self, request: Request) -> JSONResponse:
        return await self._serve(request, stream=True)

    async def search(self, request: Request) -> JSONResponse:
        return await self._serve(request, stream=False)

    async def _serve(self, request: Request, stream: bool) -> JSONResponse:
        version = request.url.path.split("/")[1]
        try:
            if version not in SUPPORTED_VERSIONS:
                raise AdsError(404, "NOT_FOUND", f"Version {version} of the Google Ads API is not available "
                               f"(sunset). Use one of {', '.join(SUPPORTED_VERSIONS)}.")
            customer_id = self._authorise(request, request.path_params["customer_id"])
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                raise AdsError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.") from None
            if not isinstance(body, dict) or not isinstance(body.get("query"), str):
                raise AdsError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", [{
                    "errorCode": {"queryError": "QUERY_ERROR"}, "message": "A query is required."}])
            if not stream and "pageSize" in body:
                raise AdsError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", [{
                    "errorCode": {"requestError": "PAGE_SIZE_NOT_SUPPORTED"},
                    "message": "Setting the page size is not supported. Search Responses will have fixed page size of '10000' rows."}])
            self.queries.append((customer_id, body["query"]))
            try:
                query = parse_gaql(body["query"])
                rows, mask = self.run(customer_id, query)
            except GaqlError as exc:
                raise _query_error(exc) from None
            request_id = self._request_id()
            path = request.url.path
            if stream:
                return JSONResponse(self._batches(rows, mask, request_id, path))
            # search carries the request id in a header; only stream batches have a requestId field.
            return JSONResponse(self._page(rows, mask, body, path), headers={"request-id": request_id})
        except AdsError as error:
            return self._error(error, version if version in SUPPORTED_VERSIONS else SUPPORTED_VERSIONS[-1], stream)

    def _authorise(self, request: Request, customer_id: str) -> str:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise AdsError(401, "UNAUTHENTICATED", "Request is missing required authentication credential. Expected "
                           "OAuth 2 access token, login cookie or other valid authentication credential.", [{
                               "errorCode": {"authenticationError": "OAUTH_TOKEN_HEADER_INVALID"},
                               "message": "Oauth token HTTP header is malformed."}])
        with self._lock:
            expiry = self._tokens.get(header[7:].strip())
        if expiry is None:
            raise _unauthenticated("OAUTH_TOKEN_INVALID")
        if expiry < self.clock():
            raise _unauthenticated("OAUTH_TOKEN_EXPIRED")
        if not customer_id.isdigit() or len(customer_id) != 10:
            raise AdsError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", [{
                "errorCode": {"requestError": "INVALID_CUSTOMER_ID"},
                "message": "Invalid customer ID '" + customer_id[:20] + "'."}])
        clients = {a.account_id for a in self.data().accounts}
        login = request.headers.get("login-customer-id", "").replace("-", "")
        if customer_id == GOOGLE_LOGIN_CUSTOMER_ID and login in ("", GOOGLE_LOGIN_CUSTOMER_ID):
            return customer_id
        if customer_id not in clients or login != GOOGLE_LOGIN_CUSTOMER_ID:
            raise AdsError(403, "PERMISSION_DENIED", "The caller does not have permission", [{
                "errorCode": {"authorizationError": "USER_PERMISSION_DENIED"},
                "message": "User doesn't have permission to access customer. Note: If you're accessing a client "
                           "customer, the manager's customer id must be set in the 'login-customer-id' header. "
                           "See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid"}])
        return customer_id

    # -- query execution --------------------------------------------------------------------------
    def run(self, customer_id: str, query: Query) -> tuple[list[dict[str, Any]], str]:
        """Execute a parsed query for one customer; returns (rendered rows, field mask)."""
        resource = query.resource
        if resource not in ATTRIBUTED:
            raise GaqlError("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE" if "." in resource or not resource.islower()
                            else "PROHIBITED_RESOURCE_TYPE_IN_FROM_CLAUSE",
                            f"Error in query: {resource} is not a resource the sandbox serves in FROM.", resource)
        fields_used = query.select + [c.field for c in query.where] + [f for f, _ in query.order_by]
        for name in fields_used:
            if name not in FIELDS:
                raise GaqlError("UNRECOGNIZED_FIELD", f"Error in query: unrecognized field '{name}'.", name)
            prefix = name.split(".")[0]
            if prefix not in ("metrics", "segments") and prefix not in ATTRIBUTED[resource]:
                raise GaqlError("PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                                f"Error in query: cannot select fields of {prefix} from {resource}.", name)
        has_metrics = any(f.startswith("metrics.") for f in query.select)
        by_date = "segments.date" in query.select
        by_category = "segments.conversion_action_category" in fields_used
        if by_category:
            clash = next((f for f in query.select + [c.field for c in query.where] if f in _NON_CONVERSION_METRICS), None)
            if clash:
                raise GaqlError("PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                                f"Error in query: segments.conversion_action_category cannot be selected with {clash}.",
                                clash)
        since, until = _date_range(query, self._today())
        if by_date and (since is None or until is None):
            raise GaqlError("EXPECTED_FILTERS_ON_DATE_RANGE", "Error in query: a finite date range filter on "
                            "segments.date is required when segments.date is selected.", "segments.date")
        if has_metrics and customer_id == GOOGLE_LOGIN_CUSTOMER_ID:
            raise GaqlError("REQUESTED_METRICS_FOR_MANAGER", "Error in query: metrics cannot be requested for a "
                            "manager account.")
        rows = self._entity_rows(customer_id, resource)
        if has_metrics or by_date:
            rows = self._with_metrics(rows, resource, since, until, by_date, by_category)
        rows = [r for r in rows if all(_matches(r, c) for c in query.where if c.field != "segments.date")]
        for name, descending in reversed(query.order_by):
            rows.sort(key=lambda r, n=name: (r.get(n) is None, r.get(n)), reverse=descending)
        if query.limit is not None:
            rows = rows[:query.limit]
        return [_render(r, query.select) for r in rows], ",".join(_mask_path(f) for f in query.select)

    def _today(self) -> date:
        accounts = self.data().accounts
        return datetime.now(ZoneInfo(accounts[0].timezone if accounts else "UTC")).date()

    def _entity_rows(self, customer_id: str, resource: str) -> list[dict[str, Any]]:
        data = self.data()
        if customer_id == GOOGLE_LOGIN_CUSTOMER_ID:
            customer = {"customer.id": int(customer_id), "customer.descriptive_name": f"{self.store.shop.name} (manager)",
                        "customer.currency_code": self.store.shop.currency, "customer.time_zone": self.store.shop.timezone,
                        "customer.manager": True, "customer.status": "ENABLED"}
            return [customer] if resource == "customer" else []
        account = next(a for a in data.accounts if a.account_id == customer_id)
        customer = {"customer.id": int(customer_id), "customer.descriptive_name": account.name,
                    "customer.currency_code": account.currency, "customer.time_zone": account.timezone,
                    "customer.manager": False, "customer.status": "ENABLED"}
        if resource == "customer":
            return [dict(customer, _key=("customer", customer_id))]
        campaigns = {c.campaign_id: c for c in data.campaigns if c.account_id == customer_id}
        out = []
        for c in campaigns.values():
            camp = {"campaign.id": int(c.campaign_id), "campaign.name": c.name, "campaign.status": c.status,
                    "campaign.advertising_channel_type": c.objective,
                    "campaign.campaign_budget": f"customers/{customer_id}/campaignBudgets/{c.budget_id}",
                    "campaign.start_date_time": c.created_at.astimezone(ZoneInfo(account.timezone)).strftime("%Y-%m-%d 00:00:00"),
                    "campaign.serving_status": "SERVING" if c.status == "ENABLED" else "NONE"}
            budget = {"campaign_budget.id": int(c.budget_id), "campaign_budget.name": f"{c.name} budget",
                      "campaign_budget.amount_micros": int((c.daily_budget or Decimal(0)) * 1_000_000),
                      "campaign_budget.period": "DAILY", "campaign_budget.delivery_method": "STANDARD",
                      "campaign_budget.status": "ENABLED", "campaign_budget.explicitly_shared": False}
            if resource == "campaign":
                out.append({**customer, **camp, **budget, "_key": ("campaign", c.campaign_id)})
            elif resource == "campaign_budget":
                out.append({**customer, **budget, "_key": ("campaign", c.campaign_id)})
        if resource == "ad_group":
            for g in data.ad_groups:
                if g.campaign_id not in campaigns or campaigns[g.campaign_id].objective in NO_AD_GROUPS:
                    continue
                c = campaigns[g.campaign_id]
                out.append({**customer, "campaign.id": int(c.campaign_id), "campaign.name": c.name,
                            "campaign.status": c.status, "campaign.advertising_channel_type": c.objective,
                            "campaign.campaign_budget": f"customers/{customer_id}/campaignBudgets/{c.budget_id}",
                            "ad_group.id": int(g.ad_group_id), "ad_group.name": g.name, "ad_group.status": g.status,
                            "ad_group.type": "SHOPPING_PRODUCT_ADS" if c.objective == "SHOPPING" else "SEARCH_STANDARD",
                            "ad_group.campaign": f"customers/{customer_id}/campaigns/{c.campaign_id}",
                            "_key": ("ad_group", g.ad_group_id)})
        return out

    def _with_metrics(self, rows: list[dict[str, Any]], resource: str, since: date | None, until: date | None,
                      by_date: bool, by_category: bool = False) -> list[dict[str, Any]]:
        sums: dict[tuple, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(_METRICS, 0))
        for m in self.data().daily:
            if (since and m.day < since) or (until and m.day > until):
                continue
            keys = [("customer", m.account_id), ("campaign", m.campaign_id), ("ad_group", m.ad_group_id)]
            carts = add_to_carts(m.clicks)
            for key in keys:
                day = m.day if by_date else None
                if by_category:  # one row per conversion action category, conversion metrics only
                    sums[(key, day, "PURCHASE")]["conversions"] += m.purchases
                    sums[(key, day, "PURCHASE")]["conversions_value"] += m.purchase_value
                    sums[(key, day, "ADD_TO_CART")]["conversions"] += carts
                    continue
                cell = sums[(key, day, None)]
                cell["cost_micros"] += int(m.spend * 1_000_000)
                cell["impressions"] += m.impressions
                cell["clicks"] += m.clicks
                cell["conversions"] += m.purchases + carts
                cell["conversions_value"] += m.purchase_value
        by_key: dict[tuple, list[tuple[date | None, str | None, dict[str, Any]]]] = defaultdict(list)
        for (key, day, category), cell in sorted(sums.items(), key=lambda kv: (kv[0][1] or date.min, kv[0][2] or "")):
            if any(cell.values()):
                by_key[key].append((day, category, cell))
        out = []
        for row in rows:
            for day, category, cell in by_key.get(row["_key"], []):
                metrics = {f"metrics.{k}": v for k, v in cell.items()}
                metrics["metrics.conversions"] = float(cell["conversions"])
                metrics["metrics.conversions_value"] = float(cell["conversions_value"])
                if category is None:
                    metrics["metrics.ctr"] = cell["clicks"] / cell["impressions"] if cell["impressions"] else 0.0
                    metrics["metrics.average_cpc"] = cell["cost_micros"] / cell["clicks"] if cell["clicks"] else 0.0
                else:
                    metrics["segments.conversion_action_category"] = category
                out.append({**row, **metrics, **({"segments.date": day.isoformat()} if by_date else {})})
        return out

    # -- responses ------------------------------------------------------------------------------
    def _data_faults(self, results: list[dict[str, Any]], path: str = "") -> list[dict[str, Any]]:
        fault = self.faults.take(self.name, DATA, path) if results else None
        if fault is None:
            return results
        if fault.kind == "malformed":
            broken = json.loads(json.dumps(results[0]))
            if "metrics" in broken:
                broken["metrics"]["costMicros"] = "12.5e"
            for part in ("adGroup", "campaign", "campaignBudget"):
                if part in broken and "id" in broken[part]:
                    broken[part]["id"] = None
                    break
            return [broken, *results[1:]]
        if fault.kind == "duplicate":
            return [results[0], *results]
        return results[::-1]

    def _batches(self, rows: list[dict[str, Any]], mask: str, request_id: str, path: str = "") -> list[dict[str, Any]]:
        size = max(1, self.stream_batch_size)
        batches = []
        for start in range(0, len(rows), size):
            batches.append({"results": self._data_faults(rows[start:start + size], path), "fieldMask": mask,
                            "requestId": request_id})
        if not batches:
            batches.append({"fieldMask": mask, "requestId": request_id})
        batches[-1]["queryResourceConsumption"] = str(100 + len(rows))
        if self.faults.take(self.name, STREAM, path):
            # The stream started (200) and then failed: what follows the first batch is an error.
            return [batches[0], {"error": self._error_body(_exhausted(), SUPPORTED_VERSIONS[-1])}]
        return batches

    def _page(self, rows: list[dict[str, Any]], mask: str, body: dict[str, Any], path: str = "") -> dict[str, Any]:
        digest = hashlib.sha256(body["query"].encode()).hexdigest()[:12]
        start = 0
        if body.get("pageToken"):
            try:
                token_digest, offset = base64.urlsafe_b64decode(body["pageToken"]).decode().split(":")
                start = int(offset)
            except (ValueError, UnicodeDecodeError):
                token_digest = ""
            if token_digest != digest:
                raise AdsError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", [{
                    "errorCode": {"requestError": "INVALID_PAGE_TOKEN"}, "message": "Page token is invalid."}])
        page = self._data_faults(rows[start:start + self.page_size], path)
        out: dict[str, Any] = {"results": page, "fieldMask": mask, "queryResourceConsumption": str(100 + len(page))}
        if not page:
            out.pop("results")
        if start + self.page_size < len(rows):
            out["nextPageToken"] = base64.urlsafe_b64encode(f"{digest}:{start + self.page_size}".encode()).decode()
        if body.get("returnTotalResultsCount"):
            out["totalResultsCount"] = str(len(rows))
        return out


def _exhausted() -> AdsError:
    return AdsError(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", [{
        "errorCode": {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
        "message": "Too many requests. Retry in 1 seconds.",
        "details": {"quotaErrorDetails": {"rateScope": "ACCOUNT", "rateName": "Requests per account",
                                          "retryDelay": "1s"}}}])


def _unauthenticated(code: str) -> AdsError:
    return AdsError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.", [{
                        "errorCode": {"authenticationError": code},
                        "message": "Authentication of the request failed."}])


def _date_range(query: Query, today: date) -> tuple[date | None, date | None]:
    since = until = None
    for cond in query.where:
        if cond.field != "segments.date":
            continue
        try:
            if cond.op == "BETWEEN":
                low, high = (date.fromisoformat(str(v)) for v in cond.value)
                since, until = max(since or low, low), min(until or high, high)
            elif cond.op in (">=", ">"):
                low = date.fromisoformat(str(cond.value)) + timedelta(days=cond.op == ">")
                since = max(since or low, low)
            elif cond.op in ("<=", "<"):
                high = date.fromisoformat(str(cond.value)) - timedelta(days=cond.op == "<")
                until = min(until or high, high)
            elif cond.op == "=":
                day = date.fromisoformat(str(cond.value))
                since, until = day, day
            elif cond.op == "DURING":
                low, high = _during(cond.value, today)
                since, until = max(since or low, low), min(until or high, high)
            else:
                raise GaqlError("OPERATOR_FIELD_MISMATCH", f"Error in query: {cond.op} cannot filter segments.date.")
        except (TypeError, ValueError):
            raise GaqlError("INVALID_DATE_FORMAT", "Error in query: dates must be 'YYYY-MM-DD'.", str(cond.value)) from None
    return since, until


def _during(constant: str, today: date) -> tuple[date, date]:
    if constant == "TODAY":
        return today, today
    if constant == "YESTERDAY":
        return today - timedelta(days=1), today - timedelta(days=1)
    if constant.startswith("LAST_") and constant.endswith("_DAYS"):
        days = int(constant[5:-5])
        return today - timedelta(days=days), today - timedelta(days=1)
    if constant == "THIS_MONTH":
        return today.replace(day=1), today
    if constant == "LAST_MONTH":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def _matches(row: dict[str, Any], cond) -> bool:
    actual = row.get(cond.field)
    value = cond.value
    if isinstance(actual, int) and not isinstance(actual, bool):
        value = [int(v) for v in value] if isinstance(value, list) else int(value)
    if cond.op == "=":
        return actual == value
    if cond.op == "!=":
        return actual != value
    if cond.op == "IN":
        return actual in value
    if cond.op == "NOT IN":
        return actual not in value
    if cond.op == "LIKE":
        import fnmatch

        return fnmatch.fnmatchcase(str(actual), str(value).replace("%", "*").replace("_", "?"))
    if actual is None:
        return False
    return {">": actual > value, ">=": actual >= value, "<": actual < value, "<=": actual <= value}[cond.op]


def _mask_path(path: str) -> str:
    return ".".join(camel(part) for part in path.split("."))


_RESOURCE_NAMES = {
    "customer": lambda r: f"customers/{r['customer.id']}",
    "campaign": lambda r: f"customers/{r['customer.id']}/campaigns/{r['campaign.id']}",
    "ad_group": lambda r: f"customers/{r['customer.id']}/adGroups/{r['ad_group.id']}",
    "campaign_budget": lambda r: f"customers/{r['customer.id']}/campaignBudgets/{r['campaign_budget.id']}",
}


def _render(row: dict[str, Any], select: list[str]) -> dict[str, Any]:
    """One GoogleAdsRow in proto3 JSON: camelCase, int64 as strings, default values omitted."""
    out: dict[str, Any] = {}
    for path in select:
        resource, name = path.split(".", 1)
        part = out.setdefault(camel(resource), {})
        if resource in _RESOURCE_NAMES:
            part["resourceName"] = _RESOURCE_NAMES[resource](row)
        if name == "resource_name":
            continue
        value = row.get(path)
        kind = FIELDS[path]
        if value in (None, 0, 0.0, "", False):
            continue  # proto3 JSON leaves default values out
        if kind == "int64":
            value = str(int(value))
        elif kind == "double":
            value = float(value)
        part[camel(name)] = value
    return out
