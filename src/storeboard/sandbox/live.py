"""Live mode: the served store keeps trading as real time passes, so a running demo moves.

Every ``interval`` seconds it places the orders the store's recent daily rate predicts for that
stretch of time (Poisson-distributed), and now and then refunds a recent order. The other
sources' records (charges, ad spend, contacts) derive from the orders, so they move too.
Given a ``webhook_url``, it also tells Storeboard at once, as Shopify would: a signed
``orders/create`` for each new order and ``refunds/create`` for each refund, so a served demo
shows new orders within a minute instead of at the next scheduled pull.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from datetime import UTC, datetime, timedelta

import httpx

from storeboard.sandbox import shopify_webhooks
from storeboard.sandbox.generate import StoreGenerator

logger = logging.getLogger(__name__)


class LiveTrading:
    """A background thread adding orders to ``generator``'s store in real time.

    Args:
        generator: the generator of the served store.
        interval: seconds between two batches.
        speed: multiplier on the store's real rate (a demo may want more movement).
        webhook_url: where to post signed Shopify webhooks for what it places (e.g. Storeboard's
            ``http://127.0.0.1:8000/webhooks/shopify``); none by default.
    """

    def __init__(self, generator: StoreGenerator, interval: float = 30.0, speed: float = 1.0,
                 webhook_url: str | None = None):
        self.generator = generator
        self.interval = interval
        self.speed = speed
        self.webhook_url = webhook_url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random(f"{generator.settings.seed}:live")

    def orders_per_second(self) -> float:
        """The store's order rate over its last 28 days."""
        orders = self.generator.store.orders
        if not orders:
            return 0.0
        last = orders[-1].processed_at
        recent = sum(1 for o in orders[-5000:] if o.processed_at > last - timedelta(days=28))
        return recent / (28 * 86400) * self.speed

    def tick(self, now: datetime | None = None) -> int:
        """Place one interval's worth of orders at ``now``; returns how many."""
        now = now or datetime.now(UTC).replace(microsecond=0)
        mean = self.orders_per_second() * self.interval
        count = _poisson(self._rng, mean)
        store = self.generator.store
        for order in self.generator.add_orders(count, now) if count else []:
            self._send("orders/create", shopify_webhooks.order_payload(order, store))
        if self._rng.random() < min(1.0, mean * 0.07):
            recent = [o for o in store.orders[-200:] if not o.refunds and not o.test and o.processed_at < now]
            if recent:
                order = self._rng.choice(recent)
                refund = self.generator.refund(order, now, full=self._rng.random() < 0.4)
                self._send("refunds/create", shopify_webhooks.refund_payload(refund, order))
        return count

    def _send(self, topic: str, payload: dict) -> None:
        """Post one webhook; a receiver that is down only costs the real-time update (the
        scheduled pull still brings the change)."""
        if not self.webhook_url:
            return
        try:
            response = shopify_webhooks.post_webhook(self.webhook_url, topic, payload, self.generator.store)
            if response.status_code >= 300:
                logger.warning("live mode: %s webhook answered %d", topic, response.status_code)
        except httpx.HTTPError as exc:
            logger.debug("live mode: %s webhook not delivered (%s)", topic, type(exc).__name__)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                added = self.tick()
                logger.debug("live mode placed %d orders", added)
            except Exception:  # the demo must keep serving even if one tick fails
                logger.exception("live mode tick failed")

    def start(self) -> LiveTrading:
        self._thread = threading.Thread(target=self._loop, name="sandbox-live", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
