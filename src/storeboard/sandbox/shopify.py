"""Imitation of the Shopify Admin GraphQL API (``POST /admin/api/<version>/graphql.json``).

Faithful where the connector can notice: the ``X-Shopify-Access-Token`` check and Shopify's 401
body (tokens from the client credentials grant, which expire, or a legacy static token:
``shopify_auth.py``), ``X-Shopify-API-Version`` with fall-forward for retired versions, Relay
cursor pagination (``first``/``after``, ``pageInfo``, ``edges``/``nodes``), the ``query:`` search
syntax for date filters, gid ids, decimal-string money in ``MoneyBag``s, and the calculated-cost leaky bucket
(``extensions.cost``, HTTP 200 ``THROTTLED``, ``MAX_COST_EXCEEDED`` above 1,000 points).
"""

from __future__ import annotations

import base64
import bisect
import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from storeboard.sandbox.credentials import SHOPIFY_TOKEN
from storeboard.sandbox.faults import DATA, FaultPlan
from storeboard.sandbox.graphql import QueryError, actual_cost, execute, prepare, requested_cost, required_scopes
from storeboard.sandbox.responses import FastJSONResponse
from storeboard.sandbox.shopify_auth import INVALID_TOKEN, ShopifyAuth
from storeboard.sandbox.shopify_bulk import BulkOperations
from storeboard.sandbox.shopify_subscriptions import WebhookSubscriptions
from storeboard.sandbox.store import (
    Customer,
    DiscountApplication,
    LineItem,
    Order,
    Product,
    Refund,
    Store,
    TaxLine,
    Transaction,
)

#: What the sandbox's token is granted unless a test says otherwise: everything Storeboard reads.
ALL_SCOPES = ("read_orders", "read_all_orders", "read_customers", "read_products", "read_inventory")
#: Without ``read_all_orders`` an app sees only the orders of the last 60 days ("Access scopes",
#: shopify.dev/docs/api/usage/access-scopes; the Order object's reference), with no error.
RECENT_ORDERS = timedelta(days=60)
SUPPORTED_VERSIONS = ["2025-10", "2026-01", "2026-04", "2026-07", "2026-10"]
MAX_QUERY_COST = 1000
_TERM = re.compile(r"(\w+):(>=|<=|>|<)?('[^']*'|\"[^\"]*\"|\S+)")


def iso(dt: datetime | None) -> str | None:
    """Shopify's DateTime: ISO 8601, UTC, seconds, ``Z``."""
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def gid(kind: str, num: int) -> str:
    return f"gid://shopify/{kind}/{num}"


#: Restore rate (points/s) per plan ("GraphQL Admin API rate limits", shopify.dev/docs/apps/build/
#: apis/graphql-admin/rate-limits). The page gives no bucket sizes; a Standard shop reports
#: ``maximumAvailable`` 2,000 (20 s of restore), and the sandbox sizes every plan's bucket so.
PLAN_RESTORE_RATES = {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}
BUCKET_SECONDS = 20.0


class CostBucket:
    """Shopify's leaky bucket of query-cost points, refilled at ``restore_rate`` per second."""

    @classmethod
    def for_plan(cls, plan: str) -> CostBucket:
        """The bucket of a shop on ``plan`` (standard, advanced, plus, enterprise)."""
        rate = PLAN_RESTORE_RATES[plan]
        return cls(rate * BUCKET_SECONDS, rate)

    def __init__(self, size: float = 2000.0, restore_rate: float = 100.0, clock: Callable[[], float] = time.monotonic):
        self.size, self.restore_rate, self.clock = size, restore_rate, clock
        self.available, self._at = size, clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.available = min(self.size, self.available + (now - self._at) * self.restore_rate)
        self._at = now

    def take(self, cost: int) -> bool:
        with self._lock:
            self._refill()
            if cost > self.available:
                return False
            self.available -= cost
            return True

    def refund(self, points: int) -> None:
        with self._lock:
            self.available = min(self.size, self.available + points)

    def status(self) -> dict[str, float]:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": float(self.size),
                "currentlyAvailable": int(self.available),
                "restoreRate": float(self.restore_rate),
            }


class ShopifyAPI:
    """Serves one store's Shopify Admin GraphQL API.

    Args:
        store: the store to serve.
        access_token: the legacy app's static token; the Dev Dashboard app's tokens come from
            ``auth`` (the client credentials grant).
        bucket: the cost bucket (default: a Standard plan, 2,000 points, 100/s).
    """

    name = "shopify"
    prefixes = ("/admin/",)

    def __init__(self, store: Store, access_token: str = SHOPIFY_TOKEN, bucket: CostBucket | None = None,
                 faults: FaultPlan | None = None, scopes: tuple[str, ...] = ALL_SCOPES,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.auth = ShopifyAuth(legacy_token=access_token)
        #: the access scopes the token was granted; tests take some away
        self.scopes = tuple(scopes)
        self.clock = clock
        self.bucket = bucket or CostBucket()
        self.faults = faults or FaultPlan()
        self.bulk = BulkOperations(self)
        self.webhook_subscriptions = WebhookSubscriptions()
        #: cost points debited so far, and each served query's (requested, actual) cost: benchmarks
        #: compare wall time with what the bucket allows for those queries
        self.points_spent = 0
        self.costs: list[tuple[int, int]] = []
        #: this server's address, for bulk download URLs (set from each request)
        self.base_url = "http://127.0.0.1"
        #: the API version of the request being served (bulk concurrency depends on it)
        self.version = SUPPORTED_VERSIONS[-1]
        self._index: dict[str, tuple[int, list[tuple[Any, int]], list[Order]]] = {}

    @property
    def access_token(self) -> str:
        """The legacy app's static token."""
        return self.auth.legacy_token

    @access_token.setter
    def access_token(self, token: str) -> None:
        self.auth.legacy_token = token

    # -- HTTP ---------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/admin/oauth/access_token", self.auth.access_token, methods=["POST"]),
            Route("/_sandbox/shopify/auth", self.auth.control, methods=["POST"]),
            Route("/admin/api/{version}/graphql.json", self.graphql, methods=["POST"]),
            Route("/_sandbox/bulk/{number}.jsonl", self.bulk_download),
        ]

    async def bulk_download(self, request: Request) -> Response:
        """A bulk result, like Shopify's signed storage URL: no token, a signature in the query."""
        path = self.bulk.download_path(request.path_params["number"], request.query_params.get("sig", ""))
        if path is None:
            return Response("<Error><Code>AccessDenied</Code></Error>", status_code=403, media_type="application/xml")
        return FileResponse(path, media_type="application/jsonl")  # streamed from disk: a 1M-order export is GBs

    def error_response(self, status: int, reason: str) -> JSONResponse:
        """Shopify's bodies for transport-level errors."""
        if status == 401:
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401)
        if status == 429:
            return JSONResponse({"errors": "Exceeded 2 calls per second for api client. "
                                           "Reduce request rates to resume uninterrupted service."}, status_code=429)
        return JSONResponse({"errors": "Internal Server Error"}, status_code=status)

    async def graphql(self, request: Request) -> JSONResponse:
        version = request.path_params["version"]
        if not re.fullmatch(r"\d{4}-\d{2}|unstable", version):
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        served = version if version in SUPPORTED_VERSIONS or version == "unstable" else SUPPORTED_VERSIONS[0]
        headers = {"X-Shopify-API-Version": served}
        self.base_url = str(request.base_url).rstrip("/")
        self.version = served if served != "unstable" else SUPPORTED_VERSIONS[-1]
        if not self.auth.accepts(request.headers.get("x-shopify-access-token")):
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401, headers=headers)
        try:
            body = json.loads(await request.body())
            query = body["query"]
            variables = body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errors": [{"message": "Invalid JSON body: expected {\"query\": ...}"}]}, status_code=400, headers=headers)
        return FastJSONResponse(self.run(query, variables, body.get("operationName")), headers=headers)

    def run(self, query: str, variables: dict[str, Any], operation_name: str | None = None) -> dict[str, Any]:
        """Execute one GraphQL request and return the response body."""
        try:
            document = prepare(query)
            cost = requested_cost(document, variables)
        except QueryError as exc:
            return {"errors": exc.errors}
        denied = self._access_denied(query)
        if denied:
            return denied
        if cost > MAX_QUERY_COST:
            return {
                "errors": [{
                    "message": f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).",
                    "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": MAX_QUERY_COST},
                }],
                "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": None, "throttleStatus": self.bucket.status()}},
            }
        if not self.bucket.take(cost):
            return {
                "errors": [{
                    "message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
                }],
                "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": None, "throttleStatus": self.bucket.status()}},
            }
        try:
            data = execute(document, self.root(), variables, operation_name)
        except QueryError as exc:
            self.bucket.refund(cost)
            return {"errors": exc.errors}
        actual = min(cost, actual_cost(document, data, variables))
        self.bucket.refund(cost - actual)
        self.points_spent += actual
        self.costs.append((cost, actual))
        return {
            "data": data,
            "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": actual, "throttleStatus": self.bucket.status()}},
        }

    def _access_denied(self, query: str) -> dict[str, Any] | None:
        """Shopify's ACCESS_DENIED answer for the first field the token's scopes do not cover."""
        for field, needs in required_scopes(query):
            if not set(needs) & set(self.scopes):
                required = " or ".join(f"`{s}` access scope" for s in needs) + "."
                return {"errors": [{
                    "message": f"Access denied for {field} field. Required access: {required}",
                    "path": [field],
                    "extensions": {"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
                                   "requiredAccess": required},
                }], "data": None}
        return None

    def visible(self, order: Order) -> bool:
        """Whether this token may see ``order``: without read_all_orders, only the last 60 days."""
        return "read_all_orders" in self.scopes or order.created_at >= self.clock() - RECENT_ORDERS

    # -- resolvers ----------------------------------------------------------------------------
    def root(self) -> dict[str, Any]:
        shop = self.store.shop
        return {
            "shop": {
                "id": gid("Shop", 1),
                "name": shop.name,
                "myshopifyDomain": shop.domain,
                "ianaTimezone": shop.timezone,
                "currencyCode": shop.currency,
                "__typename": "Shop",
            },
            "orders": self._orders,
            "order": lambda id: self._order_by_gid(id),
            "refund": lambda id: self._refund_by_gid(id),
            "customers": self._customers,
            "productVariants": self._variants,
            "bulkOperationRunQuery": self.bulk.run_query,
            "currentAppInstallation": {
                "__typename": "AppInstallation",
                "id": gid("AppInstallation", 1),
                "accessScopes": [{"__typename": "AccessScope", "handle": h, "description": h} for h in self.scopes],
            },
            "bulkOperation": lambda id: self.bulk.get(id),
            "currentBulkOperation": self.bulk.current,
            "bulkOperations": self.bulk.list,
            "bulkOperationCancel": self.bulk.cancel,
            "node": lambda id: self.bulk.get(id) or self._order_by_gid(id),
            "webhookSubscriptionCreate": self.webhook_subscriptions.create,
        }

    def _by_id(self) -> tuple[dict[int, Order], dict[int, tuple[Refund, Order]]]:
        """Orders and refunds by number, cached until the store changes (follow-up reads look
        up one at a time, and a backfill makes thousands of them)."""
        cached = self._index.get("by_id")
        if cached and cached[0] == self.store.revision:
            return cached[1], cached[2]
        orders = {o.order_id: o for o in self.store.orders}
        refunds = {r.refund_id: (r, o) for o in self.store.orders for r in o.refunds}
        self._index["by_id"] = (self.store.revision, orders, refunds)
        return orders, refunds

    @staticmethod
    def _number(gid_: str, kind: str) -> int | None:
        prefix = f"gid://shopify/{kind}/"
        if not isinstance(gid_, str) or not gid_.startswith(prefix) or not gid_[len(prefix):].isdigit():
            return None
        return int(gid_[len(prefix):])

    def _order_by_gid(self, order_gid: str) -> dict[str, Any] | None:
        order = self._by_id()[0].get(self._number(order_gid, "Order"))
        return self.render_order(order) if order and self.visible(order) else None

    def _refund_by_gid(self, refund_gid: str) -> dict[str, Any] | None:
        found = self._by_id()[1].get(self._number(refund_gid, "Refund"))
        return self._render_refund(*found) if found and self.visible(found[1]) else None

    def warm(self) -> None:
        """Rebuild, for the store's current revision, the sort orders and statistics served so far
        and those an incremental run reads (orders and customers by update time, customer stats)."""
        for cache_key in dict.fromkeys([*self._index, *_WARM_KEYS]):
            if cache_key == "customer_stats":
                self._customer_stats()
            elif cache_key == "by_id":
                self._by_id()
            else:
                kind, sort_key = cache_key.split(":", 1)
                self._sorted(kind, sort_key)

    def _sorted(self, kind: str, sort_key: str) -> tuple[list[tuple[Any, int]], list[Any]]:
        """Records of ``kind`` sorted by ``sort_key`` then id, cached until the store changes."""
        cache_key = f"{kind}:{sort_key}"
        cached = self._index.get(cache_key)
        if cached and cached[0] == self.store.revision:
            return cached[1], cached[2]
        records, id_attr = {
            "orders": (self.store.orders, "order_id"),
            "customers": (self.store.customers, "customer_id"),
            "variants": (self.store.products, "variant_id"),
        }[kind]
        attr = _SORT_ATTRS.get(sort_key)
        if attr and not hasattr(records[0] if records else None, attr):
            attr = None
        keyed = sorted(((getattr(r, attr) if attr else getattr(r, id_attr), getattr(r, id_attr)), r) for r in records)
        keys, ordered = [k for k, _ in keyed], [r for _, r in keyed]
        self._index[cache_key] = (self.store.revision, keys, ordered)
        return keys, ordered

    def _page(self, kind: str, render: Callable[[Any], dict[str, Any]], first: int | None, after: str | None,
              query: str | None, sort_key: str, reverse: bool) -> dict[str, Any]:
        """One Relay page of ``kind`` with Shopify's search filter, cursor and sort semantics."""
        if first is None:
            raise QueryError([{"message": "you must provide one of first or last", "extensions": {"code": "BAD_REQUEST"}}])
        if first > 250:
            raise QueryError([{"message": "The first argument must be at most 250", "extensions": {"code": "BAD_REQUEST"}}])
        keys, records = self._sorted(kind, sort_key)
        field_of_sort = _SORT_ATTRS.get(sort_key)
        if field_of_sort and records and not hasattr(records[0], field_of_sort):
            field_of_sort = None
        if reverse:
            keys, records = keys[::-1], records[::-1]
        predicates = _parse_search(query or "")
        start = 0
        if after:
            try:
                value, last_id = json.loads(base64.b64decode(after))
                key = (datetime.fromisoformat(value) if isinstance(value, str) else value, last_id)
            except (ValueError, TypeError):
                raise QueryError([{"message": "Invalid cursor for current pagination sort.",
                                   "extensions": {"code": "BAD_REQUEST"}}]) from None
            start = bisect.bisect_right(keys, key) if not reverse else next((i for i, k in enumerate(keys) if k < key), len(keys))
        if not reverse:
            for fld, op, value in predicates:
                if fld == field_of_sort and op in (">=", ">"):
                    start = max(start, bisect.bisect_left(keys, (value, -1)))
        page: list[Any] = []
        i = start
        while i < len(records) and len(page) <= first:
            if all(_matches(records[i], p) for p in predicates) and (kind != "orders" or self.visible(records[i])):
                page.append(records[i])
            i += 1
        has_next = len(page) > first
        page = page[:first]
        nodes = [render(r) for r in page]
        cursors = [_cursor(_sort_value(r, field_of_sort, _ID_ATTRS[kind]), getattr(r, _ID_ATTRS[kind])) for r in page]
        if kind == "orders":
            nodes, cursors = self._data_faults(nodes, cursors)
        return {
            "nodes": nodes,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes)],
            "pageInfo": {
                "hasNextPage": has_next,
                "hasPreviousPage": bool(after),
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            },
        }

    def _orders(self, first: int | None = None, after: str | None = None, query: str | None = None,
                sortKey: str = "ID", reverse: bool = False, **_: Any) -> dict[str, Any]:
        return self._page("orders", self.render_order, first, after, query, sortKey, reverse)

    def _customers(self, first: int | None = None, after: str | None = None, query: str | None = None,
                   sortKey: str = "ID", reverse: bool = False, **_: Any) -> dict[str, Any]:
        return self._page("customers", self.render_customer, first, after, query, sortKey, reverse)

    def _variants(self, first: int | None = None, after: str | None = None, query: str | None = None,
                  sortKey: str = "ID", reverse: bool = False, **_: Any) -> dict[str, Any]:
        return self._page("variants", self.render_variant, first, after, query, sortKey, reverse)

    def _data_faults(self, nodes: list[dict], cursors: list[str]) -> tuple[list[dict], list[str]]:
        fault = self.faults.take(self.name, DATA) if nodes else None
        if fault is None:
            return nodes, cursors
        if fault.kind == "malformed":
            # A value the schema allows but the order cannot be loaded with (``Decimal`` is a
            # string scalar); the id stays: ``Order.id`` is ``ID!`` in the Admin schema.
            broken = dict(nodes[0], totalPriceSet={"shopMoney": {"amount": "not-a-number", "currencyCode": "USD"}})
            return [broken, *nodes[1:]], cursors
        if fault.kind == "duplicate":
            return [nodes[0], *nodes], [cursors[0], *cursors]
        return nodes[::-1], cursors[::-1]  # out_of_order

    # -- rendering ----------------------------------------------------------------------------
    def money_bag(self, amount: Decimal, order: Order | None = None) -> dict[str, Any]:
        """A ``MoneyBag``: the amount in shop currency and in the currency the customer saw (the
        order's presentment currency, at the order's rate, when it differs)."""
        cur = self.store.shop.currency
        shop = {"amount": _amount(amount, cur), "currencyCode": cur}
        if order is None or order.presentment_currency is None:
            return {"shopMoney": shop, "presentmentMoney": dict(shop)}
        presented = amount * order.presentment_rate
        return {"shopMoney": shop, "presentmentMoney": {"amount": _amount(presented, order.presentment_currency),
                                                       "currencyCode": order.presentment_currency}}

    def render_order(self, order: Order) -> dict[str, Any]:
        """The GraphQL ``Order`` object."""
        cur = self.store.shop.currency

        def mb(amount: Decimal) -> dict[str, Any]:
            return self.money_bag(amount, order)

        refunded = order.total_refunded
        lines = [self._render_line(li, order) for li in order.lines]
        shipping_line = {
            "id": gid("ShippingLine", order.order_id),
            "title": "Free shipping" if order.shipping == 0 else "Standard",
            "code": "standard",
            "source": "shopify",
            "custom": False,
            "isRemoved": False,
            "originalPriceSet": mb(order.shipping),
            "discountedPriceSet": mb(order.shipping),
            "currentDiscountedPriceSet": mb(order.shipping),
            "taxLines": [],
            "discountAllocations": [],
        }
        shipping_line["taxLines"] = [self._render_tax_line(t, order) for t in order.shipping_tax_lines]
        visit = None
        if order.utm or order.landing_page:
            visit = {
                "id": gid("CustomerVisit", order.order_id),
                "occurredAt": iso(order.created_at),
                "source": (order.utm or {}).get("source", "direct"),
                "sourceType": None,
                "referrerUrl": None,
                "landingPage": order.landing_page,
                "utmParameters": (
                    {"source": order.utm.get("source"), "medium": order.utm.get("medium"),
                     "campaign": order.utm.get("campaign"), "content": None, "term": None}
                    if order.utm else None
                ),
                "__typename": "CustomerVisit",
            }
        node = {
            "__typename": "Order",
            "id": gid("Order", order.order_id),
            "legacyResourceId": str(order.order_id),
            "name": order.name,
            "createdAt": iso(order.created_at),
            "updatedAt": iso(order.updated_at),
            "processedAt": iso(order.processed_at),
            "cancelledAt": iso(order.cancelled_at),
            "cancelReason": order.cancel_reason,
            "closedAt": None,
            "test": order.test,
            "currencyCode": cur,
            "presentmentCurrencyCode": order.presentment_currency or cur,
            "sourceName": order.source_name,
            "tags": list(order.tags),
            "taxesIncluded": order.taxes_included,
            "discountCode": order.discount_code,
            "discountCodes": [order.discount_code] if order.discount_code else [],
            "displayFinancialStatus": _financial_status(order),
            "subtotalPriceSet": mb(order.subtotal),
            "totalPriceSet": mb(order.total_price),
            "currentTotalPriceSet": mb(order.total_price - refunded),
            "totalDiscountsSet": mb(order.total_discounts),
            "totalShippingPriceSet": mb(order.shipping),
            "totalTaxSet": mb(order.total_tax),
            "totalRefundedSet": mb(refunded),
            "customer": (
                {"id": gid("Customer", order.customer.customer_id), "__typename": "Customer"} if order.customer else None
            ),
            "customerJourneySummary": (
                {"ready": True, "customerOrderIndex": None, "daysToConversion": 0, "firstVisit": visit, "lastVisit": visit,
                 "__typename": "CustomerJourneySummary"}
                if visit else None
            ),
            "lineItems": _connection(lines),
            "shippingLines": _connection([shipping_line]),
            "refunds": _plain_list([self._render_refund(r, order) for r in order.refunds]),
            "transactions": _plain_list([self._render_transaction(t, order) for t in order.transactions]),
            "edited": bool(order.edits),
            # null when the order has none (both are nullable MoneyBags in the Admin schema). The
            # original total is the duties at creation, before edits; the current one has the
            # duties of lines an edit added, less what refunds gave back (Admin schema, Order)
            "originalTotalDutiesSet": mb(order.original_duties) if order.original_duties else None,
            "currentTotalDutiesSet": (
                mb(order.total_duties - sum((r.duties for r in order.refunds), Decimal("0.00"))) if order.total_duties else None
            ),
            "additionalFees": [
                {"__typename": "AdditionalFee", "id": gid("AdditionalFee", f.fee_id), "name": f.name, "price": mb(f.amount),
                 "taxLines": []}
                for f in order.additional_fees
            ],
            "originalTotalAdditionalFeesSet": mb(order.total_additional_fees) if order.additional_fees else None,
            "currentTotalAdditionalFeesSet": mb(order.total_additional_fees) if order.additional_fees else None,
            # built only when a query asks for it: most order reads do not
            "agreements": _agreements(lambda: self._render_agreements(order)),
        }
        node["email"] = order.email
        node["discountApplications"] = _connection([self._render_discount_application(d, i)
                                                    for i, d in enumerate(order.discount_applications)])
        return node

    def _render_discount_application(self, d: DiscountApplication, index: int) -> dict[str, Any]:
        """A ``DiscountApplication`` (its three kinds; "DiscountApplication" interface, Admin schema):
        across the order's lines (ACROSS, ALL, LINE_ITEM), valued as a percentage or a fixed amount."""
        value = ({"__typename": "PricingPercentageValue", "percentage": float(d.percentage * 100)}
                 if d.percentage is not None else
                 {"__typename": "MoneyV2", "amount": f"{d.amount:.2f}", "currencyCode": self.store.shop.currency})
        node = {"__typename": d.kind, "index": index, "allocationMethod": "ACROSS", "targetSelection": "ALL",
                "targetType": "LINE_ITEM", "value": value}
        if d.kind == "DiscountCodeApplication":
            node["code"] = d.name
        else:
            node["title"] = d.name
        if d.kind == "ManualDiscountApplication":
            node["description"] = None
        return node

    def _render_tax_line(self, t: TaxLine, order: Order) -> dict[str, Any]:
        """A ``TaxLine``: its title, ``rate`` as a fraction and ``ratePercentage`` (Admin schema)."""
        return {"__typename": "TaxLine", "title": t.title, "rate": float(t.rate), "ratePercentage": float(t.rate * 100),
                "priceSet": self.money_bag(t.amount, order), "source": None, "channelLiable": None}
    def _render_agreements(self, order: Order) -> list[tuple[datetime, dict[str, Any]]]:
        """Shopify's sales ledger of the order (``Order.agreements``, shopify.dev "SalesAgreement"):
        an ``OrderAgreement`` when it is placed, an ``OrderEditAgreement`` per edit and a
        ``RefundAgreement`` per refund, each with its sales (``ProductSale``, ``DutySale``,
        ``AdditionalFeeSale``, ``ShippingLineSale``, ``FeeSale``). Returned and removed units are
        ``RETURN`` sales with negative quantities and amounts."""
        lines = {li.line_item_id: li for li in order.lines}
        numbers = iter(range(1, 1_000_000))

        def mb(amount: Decimal) -> dict[str, Any]:
            return self.money_bag(amount, order)

        def sale(kind: str, action: str, line_type: str, quantity: int | None, amount: Decimal,
                 tax: Decimal = Decimal("0.00"), **extra: Any) -> dict[str, Any]:
            return {"__typename": kind, "id": gid("Sale", order.order_id * 1000 + next(numbers)), "actionType": action,
                    "lineType": line_type,
                    "quantity": quantity, "taxes": [], "totalAmount": mb(amount + tax), "totalTaxAmount": mb(tax),
                    "totalDiscountAmountAfterTaxes": mb(Decimal("0.00")), "totalDiscountAmountBeforeTaxes": mb(Decimal("0.00")),
                    **extra}

        def product_sale(action: str, li: LineItem, quantity: int, value: Decimal, tax: Decimal) -> dict[str, Any]:
            # ``value`` is what the units cost net of discounts: tax-inclusive prices hold their tax
            sign = -1 if action == "RETURN" else 1
            before_tax = value - tax if order.taxes_included else value
            return sale("ProductSale", action, "PRODUCT", sign * quantity, sign * before_tax, sign * tax,
                        lineItem=self._render_line(li, order))

        def agreement(kind: str, number: int, at: datetime, reason: str, sales: list[dict[str, Any]], **extra: Any):
            return at, {"__typename": kind, "id": gid("SalesAgreement", number), "happenedAt": iso(at), "reason": reason,
                        "app": None, "user": None, "sales": _connection(sales), **extra}

        placed = [li for li in order.lines if li.added_at is None]
        sales = [product_sale("ORDER", li, li.quantity, li.gross - li.discount, li.tax) for li in placed]
        sales += [sale("DutySale", "ORDER", "DUTY", None, li.duties, duty=self._duty(li, order))
                  for li in placed if li.duties]
        sales += [sale("AdditionalFeeSale", "ORDER", "ADDITIONAL_FEE", None, f.amount,
                       additionalFee={"__typename": "SaleAdditionalFee", "id": gid("SaleAdditionalFee", f.fee_id),
                                      "name": f.name, "price": mb(f.amount), "taxLines": []})
                  for f in order.additional_fees]
        if order.shipping:
            sales.append(sale("ShippingLineSale", "ORDER", "SHIPPING", None, order.shipping, shippingLine=None))
        ledger = [agreement("OrderAgreement", order.order_id, order.processed_at, "ORDER", sales,
                            order={"__typename": "Order", "id": gid("Order", order.order_id)})]
        for edit in order.edits:
            sales = [product_sale("ORDER", lines[line_id], lines[line_id].quantity,
                                  lines[line_id].gross - lines[line_id].discount, lines[line_id].tax)
                     for line_id in edit.added]
            sales += [sale("DutySale", "ORDER", "DUTY", None, lines[line_id].duties, duty=self._duty(lines[line_id], order))
                      for line_id in edit.added if lines[line_id].duties]
            sales += [product_sale("RETURN", lines[line_id], quantity, value, tax)
                      for line_id, quantity, value, tax in edit.removed]
            ledger.append(agreement("OrderEditAgreement", edit.edit_id, edit.at, "ORDER_EDIT", sales))
        for refund in order.refunds:
            sales = [product_sale("RETURN", lines[rl.line_item_id], rl.quantity, rl.subtotal, rl.tax) for rl in refund.lines]
            if refund.return_fee:
                # A return fee is charged to the customer: an ORDER sale of line type FEE whose fee is
                # the return's RestockingFee or ReturnShippingFee (shopify.dev "FeeSale", "Fee").
                fee: dict[str, Any] = {"id": gid(_FEE_KINDS[refund.return_fee_kind], refund.refund_id),
                                       "__typename": _FEE_KINDS[refund.return_fee_kind], "amountSet": mb(refund.return_fee)}
                if refund.return_fee_kind == "restocking":
                    fee["percentage"] = 0.0
                sales.append(sale("FeeSale", "ORDER", "FEE", None, refund.return_fee, fee=fee))
            ledger.append(agreement("RefundAgreement", refund.refund_id, refund.created_at, "REFUND", sales,
                                    refund={"__typename": "Refund", "id": gid("Refund", refund.refund_id)}))
        return sorted(ledger, key=lambda a: a[0])

    def _duty(self, li: LineItem, order: Order) -> dict[str, Any]:
        return {"__typename": "Duty", "id": gid("Duty", li.line_item_id), "price": self.money_bag(li.duties, order),
                "taxLines": [], "countryCodeOfOrigin": None, "harmonizedSystemCode": None}

    def _customer_stats(self) -> dict[int, tuple[int, Decimal]]:
        cached = self._index.get("customer_stats")
        if cached and cached[0] == self.store.revision:
            return cached[1]
        stats: dict[int, tuple[int, Decimal]] = {}
        for order in self.store.orders:
            if order.customer and not order.test:
                count, spent = stats.get(order.customer.customer_id, (0, Decimal("0.00")))
                stats[order.customer.customer_id] = (count + 1, spent + order.total_price - order.total_refunded)
        self._index["customer_stats"] = (self.store.revision, stats, [])
        return stats

    def render_customer(self, customer: Customer) -> dict[str, Any]:
        """The GraphQL ``Customer`` object."""
        count, spent = self._customer_stats().get(customer.customer_id, (0, Decimal("0.00")))
        cur = self.store.shop.currency
        return {
            "__typename": "Customer",
            "id": gid("Customer", customer.customer_id),
            "legacyResourceId": str(customer.customer_id),
            "createdAt": iso(customer.created_at),
            "updatedAt": iso(customer.updated_at),
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "displayName": f"{customer.first_name} {customer.last_name}",
            "defaultEmailAddress": (
                {"emailAddress": customer.email, "marketingState": "SUBSCRIBED" if customer.customer_id % 3 else "NOT_SUBSCRIBED",
                 "validFormat": True}
                if customer.email else None
            ),
            "defaultPhoneNumber": (
                {"phoneNumber": customer.phone, "marketingState": "NOT_SUBSCRIBED"} if customer.phone else None
            ),
            "numberOfOrders": str(count),
            "amountSpent": {"amount": f"{spent:.2f}", "currencyCode": cur},
            "tags": [],
            "state": "ENABLED",
            "verifiedEmail": customer.email is not None,
            "taxExempt": False,
            "locale": "en",
        }

    def render_variant(self, product: Product) -> dict[str, Any]:
        """The GraphQL ``ProductVariant`` object, with its product and inventory item."""
        cur = self.store.shop.currency
        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", product.variant_id),
            "legacyResourceId": str(product.variant_id),
            "sku": product.sku,
            "title": "Default Title",
            "displayName": product.title,
            "price": f"{product.price:.2f}",
            "compareAtPrice": None,
            "taxable": not product.is_gift_card,
            "createdAt": iso(CATALOGUE_CREATED_AT),
            "updatedAt": iso(CATALOGUE_CREATED_AT),
            "inventoryQuantity": None,
            "product": {
                "__typename": "Product",
                "id": gid("Product", product.product_id),
                "title": product.title,
                "handle": product.sku.lower(),
                "productType": product.category,
                "vendor": "Northwind",
                "isGiftCard": product.is_gift_card,
                "status": "ACTIVE",
            },
            "inventoryItem": {
                "__typename": "InventoryItem",
                "id": gid("InventoryItem", product.inventory_item_id),
                "sku": product.sku,
                "tracked": not product.is_gift_card,
                "requiresShipping": not product.is_gift_card,
                "unitCost": {"amount": f"{product.unit_cost:.2f}", "currencyCode": cur} if product.unit_cost is not None else None,
                "measurement": {
                    "id": gid("InventoryItemMeasurement", product.inventory_item_id),
                    "weight": {"unit": "GRAMS", "value": float(product.weight_grams)},
                },
            },
        }

    def _render_line(self, li: LineItem, order: Order) -> dict[str, Any]:
        def mb(amount: Decimal) -> dict[str, Any]:
            return self.money_bag(amount, order)

        p = li.product
        refunded = sum(rl.quantity for r in order.refunds for rl in r.lines if rl.line_item_id == li.line_item_id)
        discounted_unit = (li.gross - li.discount) / li.quantity
        return {
            "__typename": "LineItem",
            "id": gid("LineItem", li.line_item_id),
            "sku": p.sku,
            "name": p.title,
            "title": p.title,
            "variantTitle": None,
            "vendor": "Northwind",
            "quantity": li.quantity,
            "currentQuantity": li.quantity - refunded - order.removed_quantity(li.line_item_id),
            "refundableQuantity": li.quantity - refunded - order.removed_quantity(li.line_item_id),
            "isGiftCard": p.is_gift_card,
            "requiresShipping": not p.is_gift_card,
            "taxable": not p.is_gift_card,
            "originalUnitPriceSet": mb(li.unit_price),
            "originalTotalSet": mb(li.gross),
            "discountedUnitPriceSet": mb(discounted_unit),
            "discountedUnitPriceAfterAllDiscountsSet": mb(discounted_unit),
            "totalDiscountSet": mb(li.discount),
            "discountAllocations": (
                [{"allocatedAmountSet": mb(li.discount), "__typename": "DiscountAllocation"}] if li.discount else []
            ),
            "taxLines": [{"title": "Sales tax", "rate": 0.08, "ratePercentage": 8.0, "priceSet": mb(li.tax)}] if li.tax else [],
            "variant": {
                "__typename": "ProductVariant",
                "id": gid("ProductVariant", p.variant_id),
                "sku": p.sku,
                "inventoryItem": {
                    "__typename": "InventoryItem",
                    "id": gid("InventoryItem", p.inventory_item_id),
                    "unitCost": (
                        {"amount": f"{p.unit_cost:.2f}", "currencyCode": self.store.shop.currency} if p.unit_cost is not None else None
                    ),
                },
            },
            "product": {"__typename": "Product", "id": gid("Product", p.product_id)},
            "duties": [self._duty(li, order)] if li.duties else [],
        } | self._named_taxes_and_discounts(li, order)

    def _named_taxes_and_discounts(self, li: LineItem, order: Order) -> dict[str, Any]:
        """A line's tax lines as a store file names them, and its discount allocation tied to the
        order's discount application (``DiscountAllocation.discountApplication`` is non-null)."""
        fields: dict[str, Any] = {}
        if li.tax_lines:
            fields["taxLines"] = [self._render_tax_line(t, order) for t in li.tax_lines]
        if li.discount and order.discount_applications:
            fields["discountAllocations"] = [{
                "__typename": "DiscountAllocation", "allocatedAmountSet": self.money_bag(li.discount, order),
                "discountApplication": self._render_discount_application(order.discount_applications[0], 0)}]
        return fields

    def _render_refund(self, refund: Refund, order: Order) -> dict[str, Any]:
        def mb(amount: Decimal) -> dict[str, Any]:
            return self.money_bag(amount, order)

        lines_by_id = {li.line_item_id: li for li in order.lines}
        refund_lines = [
            {
                "__typename": "RefundLineItem",
                "id": gid("RefundLineItem", rl.refund_line_id),
                "quantity": rl.quantity,
                # The whole LineItem: its non-null fields (name, isGiftCard …) are never null.
                "lineItem": self._render_line(lines_by_id[rl.line_item_id], order),
                "priceSet": mb(lines_by_id[rl.line_item_id].unit_price),
                "subtotalSet": mb(rl.subtotal),
                "totalTaxSet": mb(rl.tax),
                "restockType": "RETURN" if rl.restock else "NO_RESTOCK",
                "restocked": rl.restock,
            }
            for rl in refund.lines
        ]
        shipping = (
            [{"__typename": "RefundShippingLine", "id": gid("RefundShippingLine", refund.refund_id),
              "subtotalAmountSet": mb(refund.shipping), "taxAmountSet": mb(refund.shipping_tax)}]
            if refund.shipping or refund.shipping_tax else []
        )
        txns = [self._render_transaction(t, order) for t in order.transactions
                if t.kind == "REFUND" and t.processed_at == refund.created_at]
        return {
            "__typename": "Refund",
            "id": gid("Refund", refund.refund_id),
            "legacyResourceId": str(refund.refund_id),
            "createdAt": iso(refund.created_at),
            "processedAt": iso(refund.created_at),
            "updatedAt": iso(refund.created_at),
            "note": refund.note,
            "totalRefundedSet": mb(refund.total),
            "refundLineItems": _connection(refund_lines),
            "refundShippingLines": _connection(shipping),
            "transactions": _connection(txns),
            "duties": (
                [{"__typename": "RefundDuty", "amountSet": mb(refund.duties), "originalDuty": None}] if refund.duties else []
            ),
        }

    def _render_transaction(self, t: Transaction, order: Order | None = None) -> dict[str, Any]:
        cur = self.store.shop.currency
        return {
            "__typename": "OrderTransaction",
            "id": gid("OrderTransaction", t.transaction_id),
            "kind": t.kind,
            "status": t.status,
            "gateway": t.gateway,
            "test": False,
            "createdAt": iso(t.processed_at),
            "processedAt": iso(t.processed_at),
            "amountSet": self.money_bag(t.amount, order),
            "fees": (
                [{"__typename": "TransactionFee", "id": gid("TransactionFee", t.transaction_id), "type": "payment_fee",
                  "rate": "0.029", "rateName": "Card", "flatFeeName": "Per transaction",
                  "amount": {"amount": f"{t.fee:.2f}", "currencyCode": cur},
                  "flatFee": {"amount": "0.30", "currencyCode": cur},
                  "taxAmount": {"amount": "0.00", "currencyCode": cur}}]
                if t.fee and t.gateway == "shopify_payments" else []
            ),
        }


ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"}


def _amount(value: Decimal, currency: str) -> str:
    """Shopify's decimal string, with the currency's minor units."""
    return f"{value:.0f}" if currency in ZERO_DECIMAL else f"{value:.2f}"


def _financial_status(order: Order) -> str:
    refunded = order.total_refunded
    if refunded == 0:
        return "PAID"
    return "REFUNDED" if refunded >= order.total_price else "PARTIALLY_REFUNDED"


def _connection(nodes: list[dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A nested Relay connection resolver over an in-memory list (cursor = position)."""

    def resolve(first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
        start = int(base64.b64decode(after)) + 1 if after else 0
        size = first if first is not None else len(nodes)
        page = nodes[start:start + size]
        cursors = [base64.b64encode(str(start + i).encode()).decode() for i in range(len(page))]
        return {
            "nodes": page,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, page)],
            "pageInfo": {"hasNextPage": start + size < len(nodes), "hasPreviousPage": start > 0,
                         "startCursor": cursors[0] if cursors else None, "endCursor": cursors[-1] if cursors else None},
        }

    return resolve


#: Return fee kinds of a store file and the Admin API type of each (both implement ``Fee``).
_FEE_KINDS = {"restocking": "RestockingFee", "return_shipping": "ReturnShippingFee"}


def _agreements(ledger: Callable[[], list[tuple[datetime, dict[str, Any]]]]) -> Callable[..., dict[str, Any]]:
    """``Order.agreements``: a connection with the ``happened_at`` filter its ``query`` argument
    documents (Admin schema, ``Order.agreements``)."""

    def resolve(query: str | None = None, **args: Any) -> dict[str, Any]:
        kept = [a for at, a in ledger()
                if all(_matches(_Happened(at), (f, op, v)) for f, op, v in _parse_search(query or "") if f == "happened_at")]
        return _connection(kept)(**args)

    return resolve


class _Happened:
    def __init__(self, at: datetime):
        self.happened_at = at


def _plain_list(items: list[dict[str, Any]]) -> Callable[..., list[dict[str, Any]]]:
    def resolve(first: int | None = None, **_: Any) -> list[dict[str, Any]]:
        return items if first is None else items[:first]

    return resolve


#: Caches an incremental run needs: orders and customers paged by update time (a backfill reads
#: orders in bulk, so their sort may never have been served) and the customers' order statistics.
_WARM_KEYS = ("orders:UPDATED_AT", "customers:UPDATED_AT", "customer_stats")

_SORT_ATTRS = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at", "PROCESSED_AT": "processed_at"}
_ID_ATTRS = {"orders": "order_id", "customers": "customer_id", "variants": "variant_id"}
#: The sandbox catalogue has no edit history; every variant dates from the shop's opening.
CATALOGUE_CREATED_AT = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)


def _sort_value(record: Any, field: str | None, id_attr: str) -> Any:
    return getattr(record, field).isoformat() if field else getattr(record, id_attr)


def _cursor(value: Any, order_id: int) -> str:
    return base64.b64encode(json.dumps([value, order_id]).encode()).decode()


def _parse_search(query: str) -> list[tuple[str, str, Any]]:
    """Parse the subset of Shopify search syntax the connector uses: ``field:op'value'`` AND terms."""
    predicates = []
    for fld, op, raw in _TERM.findall(query):
        value: Any = raw.strip("'\"")
        if fld in ("updated_at", "created_at", "processed_at", "happened_at"):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif value in ("true", "false"):
            value = value == "true"
        predicates.append((fld, op or "=", value))
    return predicates


def _matches(record: Any, predicate: tuple[str, str, Any]) -> bool:
    fld, op, value = predicate
    if fld in ("updated_at", "created_at", "processed_at", "happened_at") and hasattr(record, fld):
        actual = getattr(record, fld)
    elif fld == "test" and hasattr(record, "test"):
        actual = record.test
    else:
        return True  # filters the sandbox does not model match everything, as unknown terms do on Shopify
    return {"=": actual == value, ">=": actual >= value, "<=": actual <= value, ">": actual > value, "<": actual < value}[op]
