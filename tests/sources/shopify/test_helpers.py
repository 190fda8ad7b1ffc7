"""The Shopify client over HTTP against the sandbox: paging, cost throttling, errors."""

from __future__ import annotations

import pytest

from storeboard.errors import SourceAuthError, SourceError
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.server import SHOPIFY_TOKEN
from storeboard.sandbox.shopify import CostBucket
from storeboard.sources.shopify.helpers import ShopifyClient


def test_reads_every_order_with_nested_records(generator):
    with SandboxServer(generator.store, shopify_bucket=CostBucket(1e6, 1e6)) as server:
        client = ShopifyClient(server.url, SHOPIFY_TOKEN, "2026-04", page_size=250)
        orders = [o for page in client.iter_orders("2000-01-01T00:00:00Z") for o in page]
    store_orders = generator.store.orders
    assert len(orders) == len(store_orders)
    assert len({o["id"] for o in orders}) == len(store_orders)
    assert sum(len(o["lineItems"]) for o in orders) == sum(len(o.lines) for o in store_orders)
    assert all(line["orderId"] == o["id"] for o in orders for line in o["lineItems"])
    refunded = [o for o in orders if o["refunds"]]
    assert refunded and all(r["refundLineItems"][0]["refundId"] == r["id"] for o in refunded for r in o["refunds"] if r["refundLineItems"])


def test_page_shrinks_to_fit_the_cost_cap(generator):
    with SandboxServer(generator.store, shopify_bucket=CostBucket(1e6, 1e6)) as server:
        client = ShopifyClient(server.url, SHOPIFY_TOKEN, "2026-04", page_size=250)
        first_page = next(client.iter_orders("2000-01-01T00:00:00Z"))
    assert 1 < len(first_page) < 250


def test_waits_for_the_bucket_instead_of_failing(generator):
    """A Standard-sized bucket at a fast refill: the client paces itself and never gives up."""
    waits: list[float] = []
    import time

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with SandboxServer(generator.store, shopify_bucket=CostBucket(2000.0, 4000.0)) as server:
        client = ShopifyClient(server.url, SHOPIFY_TOKEN, "2026-04", page_size=250, sleep=sleep)
        orders = [o for page in client.iter_orders("2000-01-01T00:00:00Z") for o in page]
    assert len(orders) == len(generator.store.orders)
    assert waits, "the client waited for the bucket to refill"
    assert client.throttled_seconds == pytest.approx(sum(waits))


def test_rejected_token_raises_auth_error_naming_the_fix(sandbox):
    client = ShopifyClient(sandbox.url, "shpat_nope", "2026-04")
    with pytest.raises(SourceAuthError) as info:
        client.shop()
    assert "SHOPIFY_ACCESS_TOKEN" in str(info.value) and "shpat_nope" not in str(info.value)


def test_unreachable_shop_is_a_source_error():
    client = ShopifyClient("http://127.0.0.1:9", SHOPIFY_TOKEN, "2026-04", max_attempts=1)
    with pytest.raises(SourceError) as info:
        client.shop()
    assert "could not be reached" in str(info.value)


def test_waits_before_a_page_not_after_the_last_one():
    """Shopify takes a query's requested cost up front (shopify.dev/docs/api/usage/limits): the
    client waits until the bucket holds it before sending the next page, and the run's last page
    is followed by no wait at all (it used to wait for a next page that never came)."""
    from datetime import UTC, datetime

    from storeboard.sandbox import GeneratorSettings, StoreGenerator

    store = StoreGenerator(GeneratorSettings(seed=7, as_of=datetime(2026, 11, 20, tzinfo=UTC), days=30, orders=5)).generate()
    waits: list[float] = []
    # A bucket that holds one page's requested cost (the page is sized to just under the 1,000
    # cap) and refills slowly: after the page it is short of another one's.
    with SandboxServer(store, shopify_bucket=CostBucket(1000.0, 10.0)) as server:
        client = ShopifyClient(server.url, SHOPIFY_TOKEN, "2026-04", page_size=250, sleep=waits.append)
        pages = list(client.iter_orders("2000-01-01T00:00:00Z"))
        assert len(pages) == 1 and server.shopify.bucket.status()["currentlyAvailable"] < 990
    assert waits == []
