"""Shopify source: orders with their lines, discounts, refunds, shipping and transactions.

Loads into ``raw_shopify``: ``orders`` merged by ``id`` and incremental on ``updatedAt`` (the
cursor is kept in dlt's resource state in the warehouse, so it only advances once the data is
committed; a malformed record is kept whole in ``raw_shopify.quarantine`` and the cursor moves
past it, ``storeboard run --replay-quarantine`` loading it once it passes), with child tables ``orders__line_items``, ``orders__refunds``,
``orders__refunds__refund_line_items`` and friends merged by ``order_id`` (``tables.py``);
``customers`` (same rules); and, replaced on every run, ``product_variants`` (SKU, price, unit
cost, weight) and ``shop`` (time zone, currency). Orders and customers reach dlt as Arrow tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dlt

from storeboard.config import ShopifySettings
from storeboard.errors import SourceAuthError
from storeboard.sources.arrow_tables import BATCH_ROWS
from storeboard.sources.quarantine import RecordProblem, quarantined, require_timestamp
from storeboard.sources.shopify.auth import provider_for
from storeboard.sources.shopify.helpers import ShopifyClient, check_customer, check_order
from storeboard.sources.shopify.scopes import granted_scopes, history_reaches_back, scope_problems
from storeboard.sources.shopify.settings import READ_ALL_ORDERS
from storeboard.sources.shopify.tables import CUSTOMERS, order_items

__all__ = ["check", "client_for", "items_for", "source"]

#: Orders converted at a time (each brings about five child rows).
ORDER_BATCH = BATCH_ROWS // 5

#: A batch converter: records -> (dlt items, records that do not fit with why).
Convert = Callable[[list[dict[str, Any]]], tuple[list[Any], list[tuple[dict[str, Any], RecordProblem]]]]


def client_for(settings: ShopifySettings) -> ShopifyClient:
    """A client configured from the ``sources.shopify`` block: a legacy token, or the app's client
    credentials exchanged for tokens kept in memory (one provider per app for the process)."""
    return ShopifyClient(
        settings.shop_url,
        provider_for(settings),
        settings.api_version,
        page_size=settings.page_size,
        max_attempts=settings.max_attempts,
    )


@dlt.source(name="shopify")
def source(settings: ShopifySettings) -> Any:
    """The Shopify dlt source.

    Args:
        settings: the ``sources.shopify`` config block (shop URL, credentials, API version).

    Returns:
        The ``shop`` and ``orders`` resources.
    """
    client = client_for(settings)

    @dlt.resource(name="shop", write_disposition="replace", primary_key="id")
    def shop() -> Iterator[dict[str, Any]]:
        """The shop: id, name, domain, IANA time zone and currency code. Replaced every run."""
        yield client.shop()

    @dlt.resource(name="orders", write_disposition="merge", primary_key="id")
    def orders() -> Iterator[Any]:
        """Orders updated since the stored cursor, oldest first; money as decimal strings in
        shop currency (``shopMoney``), timestamps UTC. Malformed orders go to ``quarantine``
        whole; the cursor moves past them (``storeboard.replay`` loads them after a fix)."""
        # The first load reads the whole history through one bulk operation into new tables;
        # later runs page, and may replace an order's child rows with none (tombstones).
        first = "updated_at_cursor" not in dlt.current.resource_state()
        if first and history_reaches_back(settings.start_date):
            # Without read_all_orders the first load would be 60 days long and nothing would say so.
            if READ_ALL_ORDERS not in granted_scopes(client):
                check_scopes(client, settings.start_date)
        backfill = settings.bulk_backfill and first
        yield from _incremental("orders", settings.start_date, client.bulk_orders if backfill else client.iter_orders,
                                check_order, lambda batch: order_items(batch, tombstones=not first), ORDER_BATCH)

    @dlt.resource(name="customers", write_disposition="merge", primary_key="id")
    def customers() -> Iterator[Any]:
        """Customers updated since the stored cursor: names, default email and phone, order count
        and amount spent (shop currency). Same cursor and quarantine rules as orders."""
        yield from _incremental("customers", settings.start_date, client.iter_customers, check_customer,
                                _one_table(CUSTOMERS), BATCH_ROWS)

    @dlt.resource(name="product_variants", write_disposition="replace", primary_key="id")
    def product_variants() -> Iterator[list[dict[str, Any]]]:
        """Every variant with SKU, price, product, and inventory item (unit cost in shop currency,
        weight). Replaced on every run: catalogues are small, and removed variants disappear."""
        yield from client.iter_variants()

    return shop, orders, customers, product_variants


def check(settings: ShopifySettings) -> str:
    """Two cheap authenticated calls; returns a one-line description of the shop, or raises
    naming every access scope the token lacks and what it breaks."""
    client = client_for(settings)
    shop = client.shop()
    check_scopes(client, settings.start_date)
    return f"{shop['name']} ({shop['myshopifyDomain']}, {shop['currencyCode']}, {shop['ianaTimezone']})"


def check_scopes(client: ShopifyClient, start_date: str) -> None:
    """Raise ``SourceAuthError`` listing the missing scopes (``scopes.scope_problems``)."""
    problems = scope_problems(granted_scopes(client), start_date)
    if problems:
        raise SourceAuthError("shopify", "; ".join(problems) + " (Shopify admin: the app's API access scopes)")


def items_for(records: list[dict[str, Any]], resource: str = "orders") -> Iterator[Any]:
    """The dlt items that load ``records`` of ``resource`` (``orders``, flattened by the client, or
    ``customers``) exactly as a run does: checks, quarantine, the raw tables' columns, an order's
    child rows replaced. The webhook applier and the quarantine replay load through this; no
    cursor moves."""
    check, convert = ((check_order, lambda batch: order_items(batch, tombstones=True)) if resource == "orders"
                      else (check_customer, _one_table(CUSTOMERS)))
    checked = []
    for record in records:
        try:
            check(record)
        except RecordProblem as problem:
            yield quarantined(resource, record, problem)
            continue
        checked.append(record)
    items, problems = convert(checked)
    for record, problem in problems:
        yield quarantined(resource, record, problem)
    yield from items


def _one_table(shape: Any) -> Convert:
    def convert(records: list[dict[str, Any]]) -> tuple[list[Any], list[tuple[dict[str, Any], RecordProblem]]]:
        table, problems = shape.table_of(records)
        return ([shape.marked(table)] if table.num_rows else []), [(records[i], p) for i, p in problems]
    return convert


def _incremental(resource: str, start: str, fetch: Callable[[str], Iterator[list[dict[str, Any]]]],
                 check: Callable[[dict[str, Any]], None], convert: Convert, batch_size: int) -> Iterator[Any]:
    """Yield the tables of records updated since the cursor kept in the resource's dlt state.

    The search is inclusive (``updated_at:>=``), so records already loaded at the cursor's
    instant are skipped. The cursor is written with the load (it moves only once the data is
    committed). A record that fails its checks is kept whole in ``quarantine`` and the cursor
    moves past it like past any record read: holding it would read the record again every run
    and, oldest first, everything after it (``sources/quarantine.py``). Records are converted
    ``batch_size`` at a time.
    """
    state = dlt.current.resource_state()
    since = state.get("updated_at_cursor", start)
    seen_at_cursor = set(state.get("ids_at_cursor", []))
    newest, ids_at_newest = since, set(seen_at_cursor)
    batch: list[dict[str, Any]] = []

    def read(record: dict[str, Any]) -> None:
        """Move the cursor to the record (loaded or quarantined alike)."""
        nonlocal newest, ids_at_newest
        stamp, record_id = record.get("updatedAt"), record.get("id")
        try:
            require_timestamp(record, "updatedAt")
        except RecordProblem:
            return  # no instant to move to; the records around it move the cursor
        if stamp > newest:
            newest, ids_at_newest = stamp, set()
        if stamp == newest and isinstance(record_id, str):
            ids_at_newest.add(record_id)

    def flush() -> Iterator[Any]:
        items, problems = convert(batch)
        for record, problem in problems:
            yield quarantined(resource, record, problem)
        yield from items
        batch.clear()

    for page in fetch(since):
        for record in page:
            if record.get("updatedAt") == since and record.get("id") in seen_at_cursor:
                continue
            read(record)
            try:
                check(record)
            except RecordProblem as problem:
                yield quarantined(resource, record, problem)
                continue
            batch.append(record)
        if len(batch) >= batch_size:
            yield from flush()
        # Nothing yet while a batch fills: dlt's round robin then reads the other resources' pages.
        yield None
    if batch:
        yield from flush()
    state["updated_at_cursor"], state["ids_at_cursor"] = newest, sorted(ids_at_newest)
