"""Live mode: the store keeps trading, and the Shopify imitation serves the new orders."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from storeboard.sandbox.credentials import SHOPIFY_WEBHOOK_SECRET
from storeboard.sandbox.live import LiveTrading
from storeboard.sandbox.shopify import CostBucket, ShopifyAPI
from storeboard.sources.shopify import settings
from storeboard.webhooks.verify import verify_shopify
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


def test_live_mode_posts_signed_webhooks_for_what_it_places(generator):
    """Each new order arrives as a signed orders/create and each refund as refunds/create, and
    Storeboard's own verifier accepts them."""
    deliveries: list[tuple[str, dict]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            delivery = verify_shopify(body, dict(self.headers), SHOPIFY_WEBHOOK_SECRET)
            deliveries.append((delivery.topic, delivery.payload))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/shopify"
        live = LiveTrading(generator, interval=86400.0, webhook_url=url)
        before = len(generator.store.orders)
        refunds_before = sum(len(o.refunds) for o in generator.store.orders)
        added = sum(live.tick(AS_OF + timedelta(days=d + 1)) for d in range(3))
    finally:
        server.shutdown()
    new_ids = [o.order_id for o in generator.store.orders[before:]]
    assert added == len(new_ids) > 0
    assert [p["id"] for t, p in deliveries if t == "orders/create"] == new_ids
    refunds = sum(len(o.refunds) for o in generator.store.orders) - refunds_before
    assert refunds > 0
    assert len([t for t, _ in deliveries if t == "refunds/create"]) == refunds


def test_live_mode_keeps_trading_when_the_receiver_is_down(generator):
    live = LiveTrading(generator, interval=86400.0, webhook_url="http://127.0.0.1:9/webhooks/shopify")
    assert live.tick(AS_OF + timedelta(days=1)) > 0
