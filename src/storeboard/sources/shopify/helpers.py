"""Shopify Admin GraphQL client: auth, cost-based throttling, paging, and error translation.

Transport faults (429, 5xx, timeouts, dropped connections) are retried with back-off by dlt's
requests helper. Cost throttling arrives as HTTP 200 with ``THROTTLED``: the client reads
``extensions.cost.throttleStatus`` after every call and waits for the bucket to refill before it
would run dry, instead of hitting the throttle.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from dlt.sources.helpers import requests

from storeboard.errors import SourceAuthError, SourceError
from storeboard.sources.json_body import loads
from storeboard.sources.quarantine import RecordProblem, require_decimal, require_str, require_timestamp
from storeboard.sources.shopify import settings
from storeboard.sources.shopify.auth import ClientCredentials, StaticToken

logger = logging.getLogger(__name__)


class CostExceeded(Exception):
    """The query's requested cost is above the single-query cap."""

    def __init__(self, cost: int):
        super().__init__(cost)
        self.cost = cost


class ShopifyClient:
    """Talks to one shop's Admin GraphQL endpoint.

    Args:
        shop_url: ``https://<shop>.myshopify.com`` (or a sandbox address).
        access_token: a legacy Admin API token, or a ``ClientCredentials`` that exchanges the app's
            client ID and secret for expiring tokens (renewed when due and once on a 401); never logged.
        api_version: ``YYYY-MM``.
        page_size: most orders per page; shrunk to fit the query-cost cap.
        sleep: the function used to wait for the cost bucket (tests record the waits).
        max_attempts: tries per request on 429/5xx/connection errors, with exponential back-off.
    """

    def __init__(self, shop_url: str, access_token: str | StaticToken | ClientCredentials, api_version: str,
                 page_size: int = 250, sleep=time.sleep, max_attempts: int = 6):
        self.shop_url = shop_url.rstrip("/")
        self.endpoint = self.shop_url + settings.GRAPHQL_PATH.format(version=api_version)
        self.api_version = api_version
        self.page_size = page_size
        self._auth = StaticToken(access_token) if isinstance(access_token, str) else access_token
        self._sleep = sleep
        self._session = requests.Client(
            request_timeout=60, raise_for_status=False, request_max_attempts=max_attempts, request_max_retry_delay=60
        ).session
        self.throttled_seconds = 0.0
        #: per paged document, the largest ``first`` whose requested cost fitted the cap
        self._fitted: dict[str, int] = {}
        #: the cost bucket as the last response reported it: (available, maximum, restore rate, when)
        self._bucket: tuple[float, float, float, float] | None = None
        #: per document and page size, the cost Shopify last requested for it (its pages cost the same)
        self._requested: dict[tuple[str, Any], float] = {}

    def _post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        token = self._auth.token()
        response = self._send(query, variables, token)
        if response.status_code == 401:
            # An exchanged token can be refused before its time (revoked, clock skew): renew once.
            renewed = self._auth.renew(token)
            if renewed is not None:
                logger.info("shopify refused the access token; renewed it and retrying")
                response = self._send(query, variables, renewed)
        if response.status_code in (401, 403):
            raise SourceAuthError("shopify", self._auth.rejected_message(self.shop_url, response.status_code))
        if response.status_code == 404:
            raise SourceError(
                "shopify", f"Shopify returned 404 for {self.endpoint}: check sources.shopify.shop_url and api_version"
            )
        if response.status_code >= 400:
            raise SourceError(
                "shopify", f"Shopify returned HTTP {response.status_code} for {self.shop_url} after retries: "
                "the shop may be down or rate-limiting; the next run resumes where this one stopped",
            )
        try:
            return loads(response.content)
        except ValueError:
            raise SourceError("shopify", f"Shopify sent a response that is not JSON from {self.endpoint}") from None

    def _send(self, query: str, variables: dict[str, Any], token: str) -> Any:
        try:
            return self._session.post(
                self.endpoint,
                json={"query": query, "variables": variables},
                headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
            )
        except requests.RequestException as exc:
            raise SourceError("shopify", f"Shopify at {self.shop_url} could not be reached: {type(exc).__name__}") from None

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one query, waiting out cost throttling; returns ``data``.

        Raises:
            SourceAuthError: the token was rejected.
            SourceError: the API reported an error, or the bucket did not refill in time.
            CostExceeded: the query asks for more than the single-query cap.
        """
        waited = 0.0
        while True:
            key = (query, (variables or {}).get("first"))
            self._pace(key)
            body = self._post(query, variables or {})
            cost = (body.get("extensions") or {}).get("cost") or {}
            self._note_cost(key, cost)
            errors = body.get("errors")
            if isinstance(errors, list) and errors:
                code = ((errors[0].get("extensions") or {}).get("code")) or ""
                if code == "THROTTLED":
                    wait = self._throttle_wait(cost)
                    if waited + wait > settings.MAX_THROTTLE_WAIT_SECONDS:
                        raise SourceError("shopify", f"Shopify kept throttling {self.shop_url} for {waited:.0f}s: try again later")
                    logger.debug("shopify throttled; waiting %.2fs", wait)
                    self._wait(wait)
                    waited += wait
                    continue
                if code == "MAX_COST_EXCEEDED":
                    raise CostExceeded(int((errors[0].get("extensions") or {}).get("cost") or cost.get("requestedQueryCost") or 0))
                if code == "ACCESS_DENIED":
                    raise SourceAuthError(
                        "shopify", f"Shopify denied access for {self.shop_url}: {errors[0].get('message')} "
                        f"(the token needs {', '.join(settings.SCOPES)} and {settings.READ_ALL_ORDERS}; "
                        "`storeboard doctor` names what is missing)",
                    )
                raise SourceError("shopify", f"Shopify query failed for {self.shop_url}: {errors[0].get('message')}")
            if isinstance(errors, str):
                raise SourceError("shopify", f"Shopify query failed for {self.shop_url}: {errors}")
            return body.get("data") or {}

    def _wait(self, seconds: float) -> None:
        self.throttled_seconds += seconds
        self._sleep(seconds)

    @staticmethod
    def _throttle_wait(cost: dict[str, Any]) -> float:
        status = cost.get("throttleStatus") or {}
        needed = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or 50.0)
        return max(needed / rate, 0.05)

    def _note_cost(self, key: tuple[str, Any], cost: dict[str, Any]) -> None:
        """Remember the bucket a response reports and what the document was charged up front (a
        refused document's cost is over the cap and never sent again at that page size)."""
        status = cost.get("throttleStatus") or {}
        if status.get("restoreRate"):
            self._bucket = (float(status.get("currentlyAvailable") or 0), float(status.get("maximumAvailable") or 0),
                            float(status["restoreRate"]), time.monotonic())
        if cost.get("requestedQueryCost"):
            self._requested[key] = float(cost["requestedQueryCost"])

    def _pace(self, key: tuple[str, Any]) -> None:
        """Before sending, wait until the bucket holds what this document was charged last time.

        Shopify takes a query's requested cost before running it and throttles it when the bucket
        holds less (shopify.dev/docs/api/usage/limits); waiting here, rather than after a call for
        a next one that may never come, keeps a run's last page from waiting for nothing."""
        if self._bucket is None or key not in self._requested:
            return
        available, maximum, rate, at = self._bucket
        now = time.monotonic()
        available = min(maximum or float("inf"), available + (now - at) * rate)
        needed = self._requested[key] - available
        if needed > 0:
            self._wait(needed / rate)
            # The bucket holds the requested cost now, whether or not time passed while waiting.
            self._bucket = (self._requested[key], maximum, rate, time.monotonic())

    def shop(self) -> dict[str, Any]:
        """The shop's name, domain, IANA time zone and currency."""
        return self.execute(settings.SHOP_QUERY)["shop"]

    def iter_orders(self, updated_since: str) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of orders updated at or after ``updated_since`` (ISO UTC), oldest first.

        Each order is flattened for loading: connections become lists, and every nested record
        carries its parent's id (``orderId``, ``refundId``, ``lineItemId``).
        """
        search = f"updated_at:>='{updated_since}'"
        for page in self.iter_nodes(settings.ORDERS_QUERY, "orders", {"query": search}):
            yield [self.flatten(order) if isinstance(order.get("lineItems"), dict) else order for order in page]

    def bulk_orders(self, updated_since: str, batch: int = 500) -> Iterator[list[dict[str, Any]]]:
        """Yield batches of orders updated at or after ``updated_since`` through a bulk operation.

        For backfills: one query for the whole history, no per-page cost, one JSONL download
        (streamed). Children (line items, shipping lines) are reattached to their order by
        ``__parentId``; Shopify does not promise children follow their parent, so orders wait in
        a bounded window, and the few whose children arrive after it are re-read one by one.
        """
        query = settings.bulk_orders_query(updated_since)
        operation_id = self._running_backfill(query) or self._start_bulk(query)
        waited = 0.0
        while True:
            node = self.execute(settings.BULK_POLL_QUERY, {"id": operation_id})["node"]
            if node["status"] == "COMPLETED":
                break
            if node["status"] in ("FAILED", "CANCELED", "CANCELING", "EXPIRED"):
                raise SourceError("shopify", f"Shopify bulk backfill {node['status'].lower()} ({node.get('errorCode') or 'no code'}) "
                                  f"for {self.shop_url}; the next run starts it again")
            if waited > settings.BULK_MAX_WAIT_SECONDS:
                raise SourceError("shopify", f"Shopify bulk backfill for {self.shop_url} did not finish in {waited:.0f}s")
            self._sleep(settings.BULK_POLL_SECONDS)
            waited += settings.BULK_POLL_SECONDS
        if not node.get("url"):
            return  # an empty result has no file
        logger.info("shopify bulk backfill ready: %s objects", node.get("objectCount"))
        yield from self._reassemble(self._jsonl(node["url"]), batch)

    def _bulk_operations(self) -> list[dict[str, Any]]:
        """The app's bulk query operations on this shop, newest first: ``bulkOperations`` where
        several run at once (API 2026-01 on), else the one ``currentBulkOperation``."""
        if self.api_version >= settings.BULK_CONCURRENT_FROM:
            return self.execute(settings.BULK_OPERATIONS_QUERY)["bulkOperations"]["nodes"]
        current = self.execute(settings.CURRENT_BULK_QUERY).get("currentBulkOperation")
        return [current] if current else []

    def _running_backfill(self, query: str) -> str | None:
        """The id of a still running backfill of this very document (a run stopped while it ran):
        this run polls it instead of starting the export again."""
        for operation in self._bulk_operations():
            if operation["status"] in ("CREATED", "RUNNING") and operation["query"].strip() == query.strip():
                logger.info("shopify bulk backfill %s from a stopped run is still running; resuming it", operation["id"])
                return operation["id"]
        return None

    def _start_bulk(self, query: str) -> str:
        """Start the bulk query; when the app's bulk slots are all taken (``LIMIT_REACHED``, or
        ``OPERATION_IN_PROGRESS`` before 2026-01), cancel the app's stale order backfills (a
        stopped run's, for another start date) with ``bulkOperationCancel``, else wait for a slot."""
        waited = 0.0
        while True:
            payload = self.execute(settings.BULK_RUN_MUTATION, {"query": query})["bulkOperationRunQuery"]
            errors = payload["userErrors"]
            if not errors:
                return payload["bulkOperation"]["id"]
            if errors[0].get("code") not in ("LIMIT_REACHED", "OPERATION_IN_PROGRESS"):
                raise SourceError("shopify", f"Shopify refused the bulk backfill for {self.shop_url}: {errors[0]['message']}")
            stale = [o for o in self._bulk_operations()
                     if o["status"] in ("CREATED", "RUNNING") and _backfill_shape(o["query"]) == _backfill_shape(query)]
            for operation in stale:
                logger.warning("cancelling shopify bulk backfill %s left running by a stopped run", operation["id"])
                self.execute(settings.BULK_CANCEL_MUTATION, {"id": operation["id"]})
            if not stale and waited >= settings.BULK_SLOT_WAIT_SECONDS:
                raise SourceError("shopify", f"Shopify kept every bulk query slot of this app busy for {waited:.0f}s "
                                  f"({errors[0]['message']}); the next run tries again")
            # a cancel takes effect after a short delay; another operation frees its slot when done
            self._sleep(settings.BULK_POLL_SECONDS)
            waited += settings.BULK_POLL_SECONDS

    def _jsonl(self, url: str) -> Iterator[dict[str, Any]]:
        # The URL is signed: no access token goes with it.
        try:
            response = self._session.get(url, stream=True)
        except requests.RequestException as exc:
            raise SourceError("shopify", f"the Shopify bulk result could not be downloaded: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise SourceError("shopify", f"the Shopify bulk result download returned HTTP {response.status_code}")
        # Large reads: the default 512-byte chunks cost more than decoding the lines.
        for line in response.iter_lines(chunk_size=1 << 16):
            if line:
                yield loads(line)

    def _reassemble(self, records: Iterator[dict[str, Any]], batch: int) -> Iterator[list[dict[str, Any]]]:
        """Orders rebuilt from bulk JSONL lines, in the shape a paged read returns.

        Every connection node is its own line whose ``__parentId`` names its parent (shopify.dev,
        "Perform bulk operations with the GraphQL Admin API"); lists stay inline. Children are
        filed under their order by the kind in their gid; a parent that is not an order (a line
        of a deeper connection) is followed up to its order. Kinds the document did not ask for
        are ignored with a warning rather than failing the load.
        """
        pending: OrderedDict[str, dict[str, Any]] = OrderedDict()
        owner: dict[str, str] = {}  # child id -> its order's id, for grandchildren
        waiting: dict[str, list[dict[str, Any]]] = {}  # children that came before their parent
        emitted: set[str] = set()
        late: set[str] = set()
        unknown: set[str] = set()
        out: list[dict[str, Any]] = []

        def attach(order: dict[str, Any], child: dict[str, Any]) -> None:
            kind = str(child.get("id") or "").rsplit("/", 2)[-2] if "/" in str(child.get("id")) else ""
            key = _BULK_CHILDREN.get(kind)
            if key is None:
                unknown.add(kind or "?")
                return
            order[key]["nodes"].append(child)
            owner[child["id"]] = order["id"]

        def emit(order: dict[str, Any]) -> None:
            emitted.add(order["id"])
            out.append(self.flatten(order))

        for record in records:
            parent = record.pop("__parentId", None)
            if parent is None:
                for key in _BULK_CHILDREN.values():
                    record[key] = {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
                for child in waiting.pop(record.get("id"), []):
                    attach(record, child)
                pending[record.get("id")] = record
                if len(pending) > settings.BULK_REASSEMBLY_WINDOW:
                    emit(pending.popitem(last=False)[1])
            else:
                parent = owner.get(parent, parent)
                if parent in pending:
                    attach(pending[parent], record)
                elif parent in emitted:
                    late.add(parent)
                else:
                    waiting.setdefault(parent, []).append(record)
            if len(out) >= batch:
                yield out
                out = []
        for order in pending.values():
            emit(order)
        if out:
            yield out
        if unknown:
            logger.warning("shopify bulk result had lines of kinds the backfill does not read: %s", ", ".join(sorted(unknown)))
        if waiting:
            # Children whose order's own line never came (or came without its id): the order is
            # read again whole by the id they name, so nothing of it is lost.
            logger.warning("shopify bulk result had children of %d orders without a readable line; re-reading them",
                           len(waiting))
        # Rare: children that arrived after their order left the window. Re-read those orders
        # whole; the merge by id keeps one row each.
        for order_id in sorted(late | {i for i in waiting if str(i).startswith("gid://shopify/Order/")}):
            order = self.order(order_id)
            if order:
                yield [order]

    def order(self, order_id: str) -> dict[str, Any] | None:
        """One order read whole and flattened (webhook re-reads, bulk stragglers), or None if it
        no longer exists."""
        try:
            order = self.execute(settings.ORDER_QUERY, {"id": order_id}).get("order")
        except CostExceeded as exc:
            raise SourceError("shopify", f"reading order {order_id} costs {exc.cost} points, above Shopify's cap") from None
        return self.flatten(order) if order else None

    def iter_customers(self, updated_since: str) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of customers updated at or after ``updated_since``, oldest first."""
        yield from self.iter_nodes(settings.CUSTOMERS_QUERY, "customers", {"query": f"updated_at:>='{updated_since}'"})

    def iter_variants(self) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of every product variant with its product and inventory item (cost, weight)."""
        yield from self.iter_nodes(settings.VARIANTS_QUERY, "productVariants")

    def iter_nodes(self, query: str, root: str, variables: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of nodes of the connection ``root`` (customers, productVariants …)."""
        after = None
        while True:
            data = self._fitting(query, {**(variables or {}), "after": after}, self.page_size, root)
            connection = data[root]
            yield connection["nodes"]
            if not connection["pageInfo"]["hasNextPage"]:
                return
            after = connection["pageInfo"]["endCursor"]

    def _fitting(self, query: str, variables: dict[str, Any], first: int, what: str) -> dict[str, Any]:
        """Run a paged ``query`` with the largest ``first`` (up to ``first``) whose requested cost
        Shopify accepts. The cost is linear in ``first``, so the size that fits follows from the
        cost Shopify reports; it is remembered per document, so a run pays this once."""
        first = min(first, self._fitted.get(query, first))
        while True:
            try:
                data = self.execute(query, {**variables, "first": first})
            except CostExceeded as exc:
                if first == 1:
                    raise SourceError("shopify", f"a single {what} record costs {exc.cost} points, more than "
                                      f"Shopify allows per query ({settings.MAX_QUERY_COST})") from None
                first = max(1, min(first - 1, first * settings.MAX_QUERY_COST // max(exc.cost, 1)))
                self._fitted[query] = first
                continue
            return data

    def _rest_of(self, query: str, parent_id: str, root: str, field: str, after: str | None, first: int) -> list[dict[str, Any]]:
        """The remaining nodes of ``field`` on ``root(id: parent_id)`` after cursor ``after``."""
        nodes: list[dict[str, Any]] = []
        while True:
            data = self._fitting(query, {"id": parent_id, "after": after}, first, field)
            parent = data.get(root)
            if parent is None:  # deleted meanwhile: what was read stands
                return nodes
            connection = parent[field]
            nodes += connection["nodes"]
            if not connection["pageInfo"]["hasNextPage"]:
                return nodes
            after = connection["pageInfo"]["endCursor"]

    def _all(self, record: dict[str, Any], field: str, query: str, root: str, first: int) -> list[dict[str, Any]]:
        """Every node of the connection ``record[field]``, paging on where the first page stopped."""
        connection = record.get(field) or {}
        nodes = list(connection.get("nodes") or [])
        info = connection.get("pageInfo") or {}
        if info.get("hasNextPage"):
            nodes += self._rest_of(query, record["id"], root, field, info.get("endCursor"), first)
        return nodes

    def _refund_details(self, order_id: str) -> dict[str, dict[str, Any]]:
        """Each refund of the order with its line items and shipping lines, by refund id."""
        order = self.execute(settings.ORDER_REFUND_DETAILS_QUERY, {"id": order_id}).get("order") or {}
        details = {}
        for refund in order.get("refunds") or []:
            details[refund["id"]] = {
                "refundLineItems": self._all(refund, "refundLineItems", settings.REFUND_LINE_ITEMS_QUERY, "refund",
                                             settings.REFUND_LINES_PER_REFUND),
                "refundShippingLines": self._all(refund, "refundShippingLines", settings.REFUND_SHIPPING_LINES_QUERY,
                                                 "refund", settings.REFUND_SHIPPING_LINES_PER_REFUND),
                "duties": refund.get("duties") or [],
            }
        return details

    def flatten(self, order: dict[str, Any]) -> dict[str, Any]:
        """An order as read, with connections as lists and every nested record carrying its
        parent's id (``orderId``, ``refundId``); long connections are paged in full and the
        refunds' line items and shipping lines read (queries that each fit the cost cap)."""
        order = dict(order)
        order_id = order["id"]
        lines = self._all(order, "lineItems", settings.ORDER_LINE_ITEMS_QUERY, "order", settings.LINE_ITEMS_PER_PAGE)
        for line in lines:
            line["orderId"] = order_id
            for allocation in line.get("discountAllocations") or []:
                allocation["lineItemId"] = line["id"]
        order["lineItems"] = lines
        shipping = self._all(order, "shippingLines", settings.ORDER_SHIPPING_LINES_QUERY, "order", settings.LINE_ITEMS_PER_PAGE)
        order["shippingLines"] = [dict(s, orderId=order_id) for s in shipping]
        refunds = order.get("refunds") or []
        details = self._refund_details(order_id) if refunds and isinstance(order_id, str) else {}
        order["refunds"] = []
        for refund in refunds:
            refund = dict(refund, orderId=order_id)
            found = details.get(refund["id"], {})
            for key in ("refundLineItems", "refundShippingLines"):
                refund[key] = [dict(r, refundId=refund["id"], orderId=order_id) for r in found.get(key, [])]
            refund["duties"] = found.get("duties", [])
            order["refunds"].append(refund)
        order["transactions"] = [dict(t, orderId=order_id) for t in order.get("transactions") or []]
        order["agreementSales"] = (
            self._agreement_sales(order_id, order.get("processedAt")) if (order.get("edited") or refunds) and isinstance(order_id, str)
            else []
        )
        return order

    def _agreement_sales(self, order_id: str, processed_at: Any) -> list[dict[str, Any]]:
        """The sales of the order's agreements after its placement (edits, refunds, returns), each
        with its agreement's id, reason and time (``settings.ORDER_AGREEMENTS_QUERY``)."""
        search = f"happened_at:>'{processed_at}'" if isinstance(processed_at, str) else None
        rows: list[dict[str, Any]] = []
        after = previous = None
        while True:
            order = self.execute(settings.ORDER_AGREEMENTS_QUERY, {"id": order_id, "query": search, "after": after}).get("order")
            if order is None:  # deleted meanwhile: what was read stands
                return rows
            connection = order["agreements"]
            for edge in connection["edges"]:
                agreement = edge["node"]
                sales = list(agreement["sales"]["nodes"])
                info = agreement["sales"]["pageInfo"]
                if info.get("hasNextPage"):
                    sales += self._more_sales(order_id, search, previous, info.get("endCursor"))
                for sale in sales:
                    rows.append(dict(sale, orderId=order_id, agreementId=agreement["id"], reason=agreement["reason"],
                                     happenedAt=agreement["happenedAt"], refundId=(agreement.get("refund") or {}).get("id")))
                previous = edge["cursor"]
            if not connection["pageInfo"]["hasNextPage"]:
                return rows
            after = connection["pageInfo"]["endCursor"]

    def _more_sales(self, order_id: str, search: str | None, agreement_after: str | None, after: str | None) -> list[dict[str, Any]]:
        """The sales of one long agreement after cursor ``after``."""
        sales: list[dict[str, Any]] = []
        while True:
            data = self._fitting(settings.AGREEMENT_SALES_QUERY, {"id": order_id, "query": search,
                                                                  "agreementAfter": agreement_after, "after": after},
                                 settings.SALES_PER_PAGE, "sale")
            nodes = ((data.get("order") or {}).get("agreements") or {}).get("nodes") or []
            if not nodes:
                return sales
            connection = nodes[0]["sales"]
            sales += connection["nodes"]
            if not connection["pageInfo"]["hasNextPage"]:
                return sales
            after = connection["pageInfo"]["endCursor"]


def _backfill_shape(query: str) -> str:
    """A bulk orders document without its start instant: two backfills of the same shape differ
    only in where they start."""
    return re.sub(r"updated_at:>='[^']*'", "", query).strip()


#: Bulk JSONL children by the kind in their gid: the order connection each belongs to.
_BULK_CHILDREN = {"LineItem": "lineItems", "ShippingLine": "shippingLines"}


def check_order(order: dict[str, Any]) -> None:
    """Raise ``RecordProblem`` naming the field when an order cannot be loaded as it is."""
    require_str(order, "id", "gid://shopify/Order/")
    require_timestamp(order, "updatedAt")
    require_timestamp(order, "processedAt")
    for field in ("totalPriceSet", "subtotalPriceSet", "totalDiscountsSet"):
        require_decimal(_at(order, field, "shopMoney", "amount"), f"{field}.shopMoney.amount")
    lines = _objects(order, "lineItems", "")
    for i, line in enumerate(lines):
        require_str(line, "id", "gid://shopify/LineItem/")
        if not isinstance(line.get("quantity"), int):
            raise RecordProblem(f"lineItems[{i}].quantity", f"expected an integer, got {line.get('quantity')!r:.40}")
        require_decimal(_at(line, "originalUnitPriceSet", "shopMoney", "amount"),
                        f"lineItems[{i}].originalUnitPriceSet.shopMoney.amount")
        _objects(line, "taxLines", f"lineItems[{i}].")
    _objects(order, "shippingLines", "")
    for i, refund in enumerate(_objects(order, "refunds", "")):
        _objects(refund, "refundLineItems", f"refunds[{i}].")
        _objects(refund, "refundShippingLines", f"refunds[{i}].")
    for i, transaction in enumerate(_objects(order, "transactions", "")):
        _objects(transaction, "fees", f"transactions[{i}].")


def _objects(record: dict[str, Any], field: str, prefix: str) -> list[dict[str, Any]]:
    """``record[field]``: a list of objects (or missing, an empty list); else a ``RecordProblem``."""
    value = record.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordProblem(f"{prefix}{field}", f"expected a list, got {value!r:.40}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise RecordProblem(f"{prefix}{field}[{i}]", f"expected an object, got {item!r:.40}")
    return value


def _at(value: Any, *keys: str) -> Any:
    """``value[k1][k2]…``, or None where a level is missing or not an object."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def check_customer(customer: dict[str, Any]) -> None:
    """Raise ``RecordProblem`` naming the field when a customer cannot be loaded as it is."""
    require_str(customer, "id", "gid://shopify/Customer/")
    require_timestamp(customer, "updatedAt")
