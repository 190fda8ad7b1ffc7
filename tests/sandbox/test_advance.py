"""``POST /_sandbox/advance``: the store changes, and every API serves the change as soon as the
call answers (the benchmark times the refresh after it, not the sandbox rebuilding its indexes)."""

from __future__ import annotations

import httpx

from storeboard.sandbox import SandboxServer, hubspot_data
from storeboard.sandbox.credentials import STRIPE_API_KEY
from tests.conftest import make_generator


def test_advance_answers_once_the_apis_serve_the_new_state():
    generator = make_generator(orders=300, days=30)
    with SandboxServer(generator.store, generator=generator) as server:
        stripe = server.api("stripe")
        charges_before = len(stripe.data().lists["charges"])
        server.shopify._sorted("orders", "UPDATED_AT")  # served once, so cached by revision

        answer = httpx.post(f"{server.url}/_sandbox/advance", json={"orders": 20, "refunds": 5, "cancels": 2, "seed": 3},
                            timeout=60).json()

        assert len(answer["orders_added"]) == 20 and len(answer["orders_changed"]) == 7
        revision = generator.store.revision
        # rebuilt by the call itself, not left for the next request
        assert stripe._data is not None and stripe._data.revision == revision
        assert server.shopify._index["orders:UPDATED_AT"][0] == revision
        # never served before the call, but read by the next incremental run
        assert server.shopify._index["customers:UPDATED_AT"][0] == revision
        assert server.shopify._index["customer_stats"][0] == revision
        for name in ("meta", "google_ads"):
            assert server.api(name)._cache[0][0] == revision
        assert hubspot_data._CACHE[id(generator.store)][0][0] == revision
        listed = httpx.get(f"{server.url}/v1/charges", params={"limit": 100},
                           headers={"Authorization": f"Bearer {STRIPE_API_KEY}"}).json()
        assert len(stripe.data().lists["charges"]) > charges_before
        assert listed["data"][0]["id"] == stripe.data().lists["charges"][0]["id"]
