"""Shopify source: orders with their lines, discounts, refunds, shipping and transactions.

Loads into ``raw_shopify``: ``orders`` merged by ``id`` and incremental on ``updatedAt`` (the
cursor is kept in dlt's state in the warehouse, so it only advances once the data is
committed), with child tables ``orders__line_items``, ``orders__refunds``,
``orders__refunds__refund_line_items`` and friends; and ``shop`` (time zone, currency), replaced
on every run.
"""

from __future__ import annotations

from typing import Any, Iterator

import dlt

from storeboard.config import ShopifySettings
from storeboard.sources.shopify.helpers import ShopifyClient

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
    def orders(
        updated_at=dlt.sources.incremental("updatedAt", initial_value=settings.start_date),
    ) -> Iterator[list[dict[str, Any]]]:
        """Orders updated since the stored cursor, oldest first; money as decimal strings in
        shop currency (``shopMoney``), timestamps ISO 8601 UTC."""
        yield from client.iter_orders(updated_at.last_value)

    return shop, orders


def check(settings: ShopifySettings) -> str:
    """One cheap authenticated call; returns a one-line description of the shop."""
    shop = client_for(settings).shop()
    return f"{shop['name']} ({shop['myshopifyDomain']}, {shop['currencyCode']}, {shop['ianaTimezone']})"
