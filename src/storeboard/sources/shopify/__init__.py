"""Shopify source: orders with their lines, discounts, refunds, shipping and transactions.

Loads into ``raw_shopify``: ``orders`` merged by ``id`` and incremental on ``updatedAt`` (the
cursor is kept in dlt's resource state in the warehouse, so it only advances once the data is
committed, and never past a quarantined record), with child tables ``orders__line_items``, ``orders__refunds``,
``orders__refunds__refund_line_items`` and friends; and ``shop`` (time zone, currency), replaced
on every run.
"""

from __future__ import annotations

from typing import Any, Iterator

import dlt

from storeboard.config import ShopifySettings
from storeboard.sources.quarantine import RecordProblem, quarantined
from storeboard.sources.shopify.helpers import ShopifyClient, check_order

__all__ = ["check", "client_for", "source"]


def client_for(settings: ShopifySettings) -> ShopifyClient:
    """A client configured from the ``sources.shopify`` block."""
    return ShopifyClient(
        settings.shop_url,
        settings.access_token.get_secret_value(),
        settings.api_version,
        page_size=settings.page_size,
    )


@dlt.source(name="shopify")
def source(settings: ShopifySettings) -> Any:
    """The Shopify dlt source.

    Args:
        settings: the ``sources.shopify`` config block (shop URL, token, API version).

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
        shop currency (``shopMoney``), timestamps ISO 8601 UTC. Malformed orders go to
        ``quarantine`` and hold the cursor back so they are read again next run."""
        state = dlt.current.resource_state()
        since = state.get("updated_at_cursor", settings.start_date)
        # The search is inclusive (>=): orders already loaded at the cursor's instant are skipped.
        seen_at_cursor = set(state.get("ids_at_cursor", []))
        newest, held_back, ids_at_newest = since, None, set(seen_at_cursor)
        for page in client.iter_orders(since):
            for order in page:
                if order.get("updatedAt") == since and order.get("id") in seen_at_cursor:
                    continue
                try:
                    check_order(order)
                except RecordProblem as problem:
                    yield quarantined("orders", order, problem)
                    stamp = order.get("updatedAt") if isinstance(order.get("updatedAt"), str) else since
                    held_back = min(held_back or stamp, stamp)
                    continue
                if order["updatedAt"] > newest:
                    newest, ids_at_newest = order["updatedAt"], set()
                if order["updatedAt"] == newest:
                    ids_at_newest.add(order["id"])
                yield order
        if held_back:
            state["updated_at_cursor"], state["ids_at_cursor"] = min(newest, held_back), []
        else:
            state["updated_at_cursor"], state["ids_at_cursor"] = newest, sorted(ids_at_newest)

    return shop, orders


def check(settings: ShopifySettings) -> str:
    """One cheap authenticated call; returns a one-line description of the shop."""
    shop = client_for(settings).shop()
    return f"{shop['name']} ({shop['myshopifyDomain']}, {shop['currencyCode']}, {shop['ianaTimezone']})"
