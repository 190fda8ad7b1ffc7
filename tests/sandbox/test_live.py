"""Live mode: the store keeps trading, and the Shopify imitation serves the new orders."""

from __future__ import annotations

from datetime import timedelta

from storeboard.sandbox.live import LiveTrading
from storeboard.sandbox.shopify import CostBucket, ShopifyAPI
from storeboard.sources.shopify import settings
from tests.conftest import AS_OF


def test_live_ticks_add_orders_at_the_store_rate(generator):
    live = LiveTrading(generator, interval=3600.0)
    before = len(generator.store.orders)
    rate = live.orders_per_second() * 3600
    added = sum(live.tick(AS_OF + timedelta(hours=h + 1)) for h in range(24))
    assert added == len(generator.store.orders) - before
    assert 0.4 * rate * 24 < added < 2.0 * rate * 24


def test_new_orders_are_served(generator):
    api = ShopifyAPI(generator.store, bucket=CostBucket(1e9, 1e9))
    live = LiveTrading(generator, interval=86400.0)
    now = AS_OF + timedelta(days=1)
    assert live.tick(now) > 0
    body = api.run(settings.ORDERS_QUERY, {"first": 5, "query": f"updated_at:>='{now:%Y-%m-%dT%H:%M:%SZ}'"})
    assert body["data"]["orders"]["nodes"]
