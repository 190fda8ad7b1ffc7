"""The synthetic store: deterministic, realistic in shape, planting the truths it promises."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from datetime import UTC, datetime

import pytest

from storeboard.sandbox import GeneratorSettings, StoreGenerator, generate_store
from storeboard.sandbox.generate import NO_REFUNDS, NO_TAGS, history_days_for
from storeboard.sandbox.shopify import CostBucket, ShopifyAPI
from storeboard.sandbox.truths import planted_truths

AS_OF = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def materialize(value):
    """Rendered objects hold resolvers for nested connections: call them to get plain data."""
    if callable(value):
        return materialize(value())
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [materialize(v) for v in value]
    return value


def fingerprint(store) -> str:
    """A hash of everything the Shopify imitation serves for the store."""
    api = ShopifyAPI(store, bucket=CostBucket(1e12, 1e12))
    digest = hashlib.sha256()
    for order in store.orders:
        digest.update(json.dumps(materialize(api.render_order(order)), sort_keys=True, default=str).encode())
    for customer in store.customers:
        digest.update(json.dumps(api.render_customer(customer), sort_keys=True).encode())
    return digest.hexdigest()


def test_same_seed_gives_identical_store():
    settings = dict(seed=11, as_of=AS_OF, days=90, orders=1500)
    assert fingerprint(generate_store(GeneratorSettings(**settings))) == fingerprint(generate_store(GeneratorSettings(**settings)))
    assert (fingerprint(generate_store(GeneratorSettings(**{**settings, "seed": 12})))
            != fingerprint(generate_store(GeneratorSettings(**settings))))


def test_size_scales_linearly_with_the_setting():
    small = generate_store(GeneratorSettings(seed=3, as_of=AS_OF, days=365, orders=2000))
    large = generate_store(GeneratorSettings(seed=3, as_of=AS_OF, days=365, orders=8000))
    assert 0.9 < len(small.orders) / 2000 < 1.1
    assert 0.9 < len(large.orders) / 8000 < 1.1
    assert 3.4 < len(large.customers) / len(small.customers) < 4.6


def test_store_has_the_realistic_shape():
    store = generate_store(GeneratorSettings(seed=5, as_of=AS_OF, days=730, orders=20_000))
    orders = store.orders
    assert any(o.test for o in orders) and sum(o.test for o in orders) < 0.01 * len(orders)
    assert 0.005 < sum(1 for o in orders if o.cancelled_at) / len(orders) < 0.03
    refunded = [o for o in orders if o.refunds]
    assert 0.03 < len(refunded) / len(orders) < 0.12
    assert any((r.created_at - o.processed_at).days > 14 for o in refunded for r in o.refunds), "some refunds weeks later"
    assert any(o.discount_code for o in orders) and any(li.quantity > 1 for o in orders for li in o.lines)
    assert any(o.customer is None for o in orders), "guest checkouts"
    assert any(li.product.is_gift_card for o in orders for li in o.lines)
    by_month: dict[int, int] = {}
    for o in orders:
        by_month[o.processed_at.month] = by_month.get(o.processed_at.month, 0) + 1
    assert by_month[11] == max(by_month.values()), "November peak"
    first_year = sum(1 for o in orders if (AS_OF - o.processed_at).days > 365)
    assert len(orders) - first_year > first_year, "growth"


@pytest.fixture(scope="module")
def demo_sized_store():
    return generate_store(GeneratorSettings(seed=42, as_of=AS_OF, days=730, orders=20_000))


def test_planted_truths_hold(demo_sized_store):
    truths = planted_truths(demo_sized_store)
    assert len(truths.loss_making_skus) == 3 and set(truths.loss_making_skus) <= set(truths.top_skus[:10])
    assert len(truths.campaigns_below_roas_1) == 1
    assert len(truths.low_stock_skus) >= 3
    assert truths.payback_channel == "google" and truths.never_payback_channel == "meta"


# -- scale: streaming and compact storage ---------------------------------------------------------
def test_streamed_history_is_the_generated_store_in_time_order():
    settings = dict(seed=9, as_of=AS_OF, days=60, orders=1500)
    kept = StoreGenerator(GeneratorSettings(**settings)).generate()
    streaming = StoreGenerator(GeneratorSettings(**settings))
    streamed = []
    for order in streaming.iter_orders():
        streamed.append(order)
        assert streaming.store.orders == [], "streaming keeps no orders"
    keys = [(o.processed_at, o.order_id) for o in streamed]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    streaming.store.orders.extend(streamed)
    assert len(streamed) == len(kept.orders) and fingerprint(streaming.store) == fingerprint(kept)


def test_streaming_needs_a_fraction_of_the_memory_of_keeping_the_store():
    """Streaming holds customers and one day's orders; keeping holds every order (not timed)."""
    settings = GeneratorSettings(seed=4, as_of=AS_OF, days=180, orders=10_000)
    tracemalloc.start()
    try:
        generator = StoreGenerator(settings)
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        streamed = sum(len(o.lines) for o in generator.iter_orders())
        stream_peak = tracemalloc.get_traced_memory()[1] - baseline
        del generator
        generator = StoreGenerator(settings)
        baseline = tracemalloc.get_traced_memory()[0]
        store = generator.generate()
        kept = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert streamed == sum(len(o.lines) for o in store.orders) > 15_000
    assert stream_peak < 0.35 * kept, (stream_peak, kept)
    # What the kept store costs per order stays small: shared amounts, UTMs and empty lists.
    assert kept / len(store.orders) < 1_600, kept / len(store.orders)


def test_shared_values_stay_unshared_where_it_matters():
    generator = StoreGenerator(GeneratorSettings(seed=2, as_of=AS_OF, days=30, orders=300))
    store = generator.generate()
    untouched = [o for o in store.orders if not o.refunds and not o.cancelled_at]
    generator.refund(untouched[0], AS_OF, full=True)
    assert len(untouched[0].refunds) == 1 and all(not o.refunds for o in untouched[1:])
    assert NO_REFUNDS == () and NO_TAGS == ()


def test_history_length_follows_the_scale():
    assert history_days_for(60_000) == 730
    assert history_days_for(1_000_000) == 1095
