"""Imitation of the Stripe REST API (``/v1/...``) for the objects analytics reads.

Faithful where a client can notice: ``Authorization: Bearer <key>`` or Basic with the key as user
(Stripe's own 401 bodies, the key redacted), restricted ``rk_`` keys that may only read,
``Stripe-Version`` validated and echoed, a ``Request-Id`` on every response, the list envelope
with ``limit`` (1-100, default 10), ``starting_after``/``ending_before`` cursors, ``created[gte|gt|
lte|lt]`` filters and newest-first order, ``expand[]`` (``data.balance_transaction`` and the
other id-valued fields), Stripe's error objects and status codes, and a per-key request rate
limit answered with Stripe's 429. The objects come from ``stripe_data``.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from collections import deque
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storeboard.sandbox.credentials import STRIPE_API_KEY
from storeboard.sandbox.faults import DATA, FaultPlan
from storeboard.sandbox.responses import FastJSONResponse
from storeboard.sandbox.store import Store
from storeboard.sandbox.stripe_data import KINDS, StripeData, build_stripe_data

#: A restricted key with read access to everything the sandbox serves (and nothing else).
STRIPE_RESTRICTED_KEY = "rk_live_sandbox_51Nq0123456789abcdef"
#: The account's default API version, used when a request sends no Stripe-Version (the version of
#: the OpenAPI spec the tests validate against).
DEFAULT_API_VERSION = "2023-08-16"
ACCOUNT_ID = "acct_1NqSandbox0Storebd"
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
_BRACKETS = re.compile(r"^(\w+)\[(\w*)\]$")
_DOCS = "https://stripe.com/docs/error-codes/"
#: Filters each list accepts beyond the common ones, mapped to the object field they compare.
FILTERS: dict[str, dict[str, str]] = {
    "charges": {"customer": "customer", "payment_intent": "payment_intent", "transfer_group": "transfer_group"},
    "payment_intents": {"customer": "customer"},
    "refunds": {"charge": "charge", "payment_intent": "payment_intent"},
    "balance_transactions": {"type": "type", "source": "source", "currency": "currency", "payout": "payout"},
    "customers": {"email": "email", "test_clock": "test_clock"},
    "events": {"type": "type", "delivery_success": "delivery_success"},
    # GET /v1/disputes and /v1/payouts filters (Stripe OpenAPI spec)
    "disputes": {"charge": "charge", "payment_intent": "payment_intent"},
    "payouts": {"status": "status", "destination": "destination"},
}
#: Fields holding the id of another object, per object type: what ``expand[]`` may replace.
EXPANDABLE: dict[str, set[str]] = {
    "charge": {"balance_transaction", "customer", "payment_intent", "invoice", "review", "application"},
    "payment_intent": {"customer", "latest_charge", "payment_method", "invoice", "review"},
    "refund": {"balance_transaction", "charge", "payment_intent"},
    "balance_transaction": {"source"},
    "customer": {"default_source", "test_clock"},
    "event": set(),
    "dispute": {"charge", "payment_intent"},
    "payout": {"balance_transaction", "destination"},
}
_COMMON = {"limit", "starting_after", "ending_before", "created", "expand", "include"}


class StripeError(Exception):
    """A request the API answers with one of Stripe's error objects."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = _DOCS + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        if self.status != 401:  # Stripe logs no request for an unknown key
            error["request_log_url"] = f"https://dashboard.stripe.com/logs/{request_id}"
        return {"error": error}


class RateLimiter:
    """At most ``per_second`` requests per key in any one-second window (Stripe's live limit is
    100 per account, and 25 per endpoint and account)."""

    def __init__(self, per_second: int | None = 100, clock=time.monotonic):
        self.per_second, self.clock = per_second, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if not self.per_second:
            return True
        with self._lock:
            now = self.clock()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - 1.0:
                hits.popleft()
            if len(hits) >= self.per_second:
                return False
            hits.append(now)
            return True


def redact_key(key: str) -> str:
    """A key as Stripe prints it in errors: its prefix, asterisks, and the last four characters."""
    prefix = re.match(r"^(sk|rk|pk)_(live|test)_", key)
    head = prefix.group(0) if prefix else ""
    return head + "*" * max(len(key) - len(head) - 4, 0) + key[-4:]


class StripeAPI:
    """Serves one store's Stripe account.

    Args:
        store: the store whose payments to serve.
        faults: the shared fault plan (data faults are applied to list pages).
        api_key: the secret key accepted for reads and writes.
        restricted_key: a restricted key accepted for reads only.
        rate_limit: requests per second per key before Stripe's 429 (None: unlimited).
        endpoint_rate_limit: requests per second per key to one endpoint (``GET /v1/charges``
            is one, ``GET /v1/charges/{id}`` another) before a 429 (None: unlimited).
    """

    name = "stripe"
    prefixes = ("/v1/",)

    def __init__(self, store: Store, faults: FaultPlan | None = None, api_key: str = STRIPE_API_KEY,
                 restricted_key: str = STRIPE_RESTRICTED_KEY, rate_limit: int | None = 100,
                 endpoint_rate_limit: int | None = 25):
        self.store = store
        self.faults = faults or FaultPlan()
        self.keys = {api_key: "secret", restricted_key: "restricted"}
        self.limiter = RateLimiter(rate_limit)
        self.endpoint_limiter = RateLimiter(endpoint_rate_limit)
        self._data: StripeData | None = None
        self._data_lock = threading.Lock()

    # -- data --------------------------------------------------------------------------------
    def data(self) -> StripeData:
        """The Stripe objects of the store's current revision (rebuilt when the store changes)."""
        with self._data_lock:
            if self._data is None or self._data.revision != self.store.revision:
                self._data = build_stripe_data(self.store)
            return self._data

    def warm(self) -> None:
        """Rebuild the objects for the store's current revision now rather than on the next request."""
        self.data()

    # -- HTTP --------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        routes = []
        for kind in KINDS:
            routes.append(Route(f"/v1/{kind}", self._handler(kind), methods=["GET", "POST"]))
            routes.append(Route(f"/v1/{kind}/{{object_id}}", self._handler(kind), methods=["GET", "POST", "DELETE"]))
        routes.append(Route("/v1/{rest:path}", self._unknown, methods=["GET", "POST", "DELETE"]))
        return routes

    def error_response(self, status: int, reason: str) -> JSONResponse:
        """Stripe's bodies for transport-level errors (used by the fault middleware too)."""
        request_id = _request_id()
        if status == 401:
            message = ("Expired API Key provided: " + redact_key(STRIPE_API_KEY)) if reason == "expired_token" else (
                "Invalid API Key provided: " + redact_key(reason if reason.startswith(("sk_", "rk_", "pk_")) else STRIPE_API_KEY))
            error = StripeError(401, message, code="api_key_expired" if reason == "expired_token" else None)
            headers = {"WWW-Authenticate": 'Basic realm="Stripe"'}
        elif status == 429:
            error = StripeError(429, "Request rate limit exceeded. Learn more about rate limits here "
                                "https://stripe.com/docs/rate-limits.", code="rate_limit")
            headers = {"Stripe-Rate-Limited-Reason": "global-rate", "Stripe-Should-Retry": "true"}
        else:
            error = StripeError(status, "An unknown error occurred", type_="api_error")
            headers = {"Stripe-Should-Retry": "true"}
        headers["Request-Id"] = request_id
        return JSONResponse(error.body(request_id), status_code=status, headers=headers)

    def _handler(self, kind: str):
        async def handle(request: Request) -> JSONResponse:
            return self._respond(request, kind, request.path_params.get("object_id"))

        return handle

    async def _unknown(self, request: Request) -> JSONResponse:
        return self._respond(request, None, None)

    def _respond(self, request: Request, kind: str | None, object_id: str | None) -> JSONResponse:
        request_id = _request_id()
        headers = {"Request-Id": request_id}
        try:
            key_kind, key = self._authenticate(request)
            endpoint = f"{key} {request.method} {kind}{'/{id}' if object_id is not None else ''}"
            for limiter, counted, reason in ((self.limiter, key, "global-rate"),
                                             (self.endpoint_limiter, endpoint, "endpoint-rate")):
                if not limiter.allow(counted):
                    response = self.error_response(429, "rate")
                    response.headers["Request-Id"] = request_id
                    response.headers["Stripe-Rate-Limited-Reason"] = reason
                    return response
            version = request.headers.get("stripe-version") or DEFAULT_API_VERSION
            if not _VERSION.match(version):
                raise StripeError(400, f"Invalid Stripe API version: {version}")
            headers["Stripe-Version"] = version
            if kind is None:
                raise StripeError(404, f"Unrecognized request URL ({request.method}: {request.url.path}). Please see "
                                  "https://stripe.com/docs or we can help at https://support.stripe.com/.")
            if request.method != "GET":
                if key_kind == "restricted":
                    raise StripeError(403, f"The provided key '{redact_key(key)}' does not have the required permissions "
                                      f"for this endpoint on account '{ACCOUNT_ID}'. Having the 'rak_{KINDS[kind]}_write' "
                                      "permission would allow this request to continue.")
                raise StripeError(400, "The Storeboard sandbox serves Stripe data read-only; this request cannot change it.")
            params = _parse_query(request)
            if object_id is not None:
                body = self.retrieve(kind, object_id, params)
            else:
                body = self.list(kind, params, version)
        except StripeError as exc:
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="Stripe"'
            if exc.status >= 500 or exc.status == 429:
                headers["Stripe-Should-Retry"] = "true"
            elif exc.status >= 400:
                headers["Stripe-Should-Retry"] = "false"
            return JSONResponse(exc.body(request_id), status_code=exc.status, headers=headers)
        return FastJSONResponse(body, headers=headers)

    def _authenticate(self, request: Request) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        key = ""
        if header.lower().startswith("bearer "):
            key = header[7:].strip()
        elif header.lower().startswith("basic "):
            try:
                key = base64.b64decode(header[6:].strip()).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        if not key:
            raise StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                              "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). "
                              "See https://stripe.com/docs/api#authentication for details, or we can help at "
                              "https://support.stripe.com/.")
        if key not in self.keys:
            raise StripeError(401, f"Invalid API Key provided: {redact_key(key)}")
        return self.keys[key], key

    # -- endpoints ----------------------------------------------------------------------------
    def retrieve(self, kind: str, object_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """``GET /v1/<kind>/<id>``: one object, expanded as asked."""
        _reject_unknown(params, {"expand"})
        data = self.data()
        obj = data.by_id.get(object_id)
        if obj is None or obj.get("object") != KINDS[kind]:
            raise StripeError(404, f"No such {KINDS[kind]}: '{object_id}'", code="resource_missing", param="id")
        return self._expand(obj, [p.split(".") for p in _as_list(params.get("expand"))], data)

    def list(self, kind: str, params: dict[str, Any], version: str = DEFAULT_API_VERSION) -> dict[str, Any]:
        """``GET /v1/<kind>``: one page of the newest-first list, filtered as asked."""
        _reject_unknown(params, _COMMON | set(FILTERS[kind]) | ({"types"} if kind == "events" else set()))
        data = self.data()
        limit = _integer(params.get("limit", "10"), "limit")
        if not 1 <= limit <= 100:
            raise StripeError(400, f"This value must be {'greater than or equal to 1' if limit < 1 else 'less than or equal to 100'} "
                              f"(it currently is '{limit}').", code="parameter_invalid_integer", param="limit")
        after, before = params.get("starting_after"), params.get("ending_before")
        if after and before:
            raise StripeError(400, "You may only specify one of these parameters: ending_before, starting_after.",
                              param="ending_before")
        start, end = data.created_bounds(kind, *_created(params.get("created")))
        match = self._matcher(kind, params)
        typed = self._type_filter(kind, params, data)
        objects = data.view(kind)  # renders only the objects read
        page: list[dict[str, Any]] = []
        if before:
            pos = self._cursor(data, kind, before, "ending_before")
            i = min(end, pos) - 1
            while i >= start and len(page) <= limit:
                if typed(i) and match(obj := objects[i]):
                    page.append(obj)
                i -= 1
            has_more = len(page) > limit
            page = page[:limit][::-1]
        else:
            i = max(start, self._cursor(data, kind, after, "starting_after") + 1) if after else start
            while i < end and len(page) <= limit:
                if typed(i) and match(obj := objects[i]):
                    page.append(obj)
                i += 1
            has_more = len(page) > limit
            page = page[:limit]
        paths = [p.split(".")[1:] for p in _as_list(params.get("expand"))]
        for p in _as_list(params.get("expand")):
            if not p.startswith("data."):
                raise StripeError(400, f"This property cannot be expanded ({p}).", param="expand")
        rendered = [self._expand(obj, paths, data) for obj in page]
        if kind == "events":
            rendered = [dict(e, api_version=version) for e in rendered]
        rendered = self._data_faults(rendered, f"/v1/{kind}")
        return {"object": "list", "data": rendered, "has_more": has_more, "url": f"/v1/{kind}"}

    def _cursor(self, data: StripeData, kind: str, object_id: str, param: str) -> int:
        pos = data.position(kind, object_id)
        if pos is None:
            raise StripeError(400, f"No such {KINDS[kind]}: '{object_id}'", code="resource_missing", param=param)
        return pos

    @staticmethod
    def _type_filter(kind: str, params: dict[str, Any], data: StripeData):
        """index -> whether the event there can match ``type``/``types[]``, decided before rendering
        it (every index passes for other lists); ``_matcher`` still checks the rendered event."""
        patterns = _as_list(params.get("types")) + _as_list(params.get("type"))
        if kind != "events" or not patterns:
            return lambda index: True
        exact = {p for p in patterns if not p.endswith("*")}
        prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))

        def typed(index: int) -> bool:
            event_type = data.event_type(index)
            return event_type in exact or (bool(prefixes) and event_type.startswith(prefixes))

        return typed

    @staticmethod
    def _matcher(kind: str, params: dict[str, Any]):
        wanted = [(FILTERS[kind][k], v) for k, v in params.items() if k in FILTERS[kind] and k != "delivery_success"]
        types = _as_list(params.get("types"))
        if len(types) > 20:
            raise StripeError(400, "You may pass at most 20 types.", param="types")

        def event_type_matches(pattern: str, value: str) -> bool:
            return value == pattern or (pattern.endswith("*") and value.startswith(pattern[:-1]))

        def match(obj: dict[str, Any]) -> bool:
            for fld, value in wanted:
                if kind == "events" and fld == "type":
                    if not event_type_matches(value, obj["type"]):
                        return False
                elif obj.get(fld) != value:
                    return False
            return not types or any(event_type_matches(t, obj["type"]) for t in types)

        return match

    def _expand(self, obj: dict[str, Any], paths: list[list[str]], data: StripeData, depth: int = 0) -> dict[str, Any]:
        if not paths:
            return obj
        if depth >= 4:
            raise StripeError(400, "You cannot expand more than 4 levels of a property.", param="expand")
        result = dict(obj)
        for field in {p[0] for p in paths if p}:
            if field not in EXPANDABLE.get(obj.get("object", ""), set()):
                raise StripeError(400, f"This property cannot be expanded ({field}).", param="expand")
            value = result.get(field)
            target = data.by_id.get(value) if isinstance(value, str) else value
            if target is None:
                continue
            rest = [p[1:] for p in paths if p and p[0] == field and len(p) > 1]
            result[field] = self._expand(target, rest, data, depth + 1)
        return result

    def _data_faults(self, objects: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
        fault = self.faults.take(self.name, DATA, path) if objects else None
        if fault is None:
            return objects
        if fault.kind == "malformed":
            broken = dict(objects[0], amount=f"{objects[0].get('amount')}.00") if "amount" in objects[0] else dict(objects[0], id=None)
            return [broken, *objects[1:]]
        if fault.kind == "duplicate":
            return [objects[0], *objects]
        return objects[::-1]  # out_of_order


def _request_id() -> str:
    return "req_" + secrets.token_urlsafe(10).replace("-", "a").replace("_", "b")[:14]


def _parse_query(request: Request) -> dict[str, Any]:
    """Stripe's bracket notation: ``created[gte]=1`` -> {"created": {"gte": "1"}}, ``expand[]``/``expand[0]`` -> list."""
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        bracket = _BRACKETS.match(key)
        if not bracket:
            params[key] = value
            continue
        name, inner = bracket.groups()
        if inner == "" or inner.isdigit():
            existing = params.setdefault(name, [])
            if not isinstance(existing, list):
                raise StripeError(400, f"Invalid array: {name}", param=name)
            existing.append(value)
        else:
            existing = params.setdefault(name, {})
            if not isinstance(existing, dict):
                raise StripeError(400, f"Invalid hash: {name}", param=name)
            existing[inner] = value
    return params


def _reject_unknown(params: dict[str, Any], allowed: set[str]) -> None:
    for key in params:
        if key not in allowed:
            raise StripeError(400, f"Received unknown parameter: {key}", code="parameter_unknown", param=key)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _integer(value: Any, param: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise StripeError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param) from None


def _created(value: Any) -> tuple[int | None, int | None, int | None, int | None]:
    """(gte, gt, lte, lt) from ``created=<ts>`` or ``created[op]=<ts>``."""
    if value is None:
        return None, None, None, None
    if isinstance(value, str):
        exact = _integer(value, "created")
        return exact, None, exact, None
    if not isinstance(value, dict):
        raise StripeError(400, "Invalid created: must be an integer or a hash", param="created")
    unknown = set(value) - {"gte", "gt", "lte", "lt"}
    if unknown:
        key = sorted(unknown)[0]
        raise StripeError(400, f"Received unknown parameter: created[{key}]", code="parameter_unknown", param=f"created[{key}]")
    bounds = {op: _integer(v, f"created[{op}]") for op, v in value.items()}
    return bounds.get("gte"), bounds.get("gt"), bounds.get("lte"), bounds.get("lt")
