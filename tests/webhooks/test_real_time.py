"""Acceptance: signed webhooks move the revenue numbers within 60 s; bad ones change nothing.

One served app per warehouse, after a first full refresh: the sandbox store takes a new order
and a refund, the sandbox posts the signed Shopify deliveries (and a Stripe event), and the
revenue API is polled until it shows them. Tampered, replayed and repeated deliveries are then
posted and must change nothing. Finally a normal scheduled-style refresh runs: the rows the
webhooks wrote are overwritten by the API pull without duplicates, and the marts equal the
independent calculation, exactly as after a webhook-free run.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from storeboard import pipeline
from storeboard.sandbox.shopify_webhooks import delivery, order_payload, post_webhook, refund_payload
from storeboard.sandbox.stripe_webhooks import build_event, post_event, serialize, sign
from storeboard.warehouse import Warehouse
from storeboard.webhooks import events
from tests import truth
from tests.conftest import AS_OF, make_config
from tests.test_end_to_end import assert_matches_truth
from tests.webhooks.conftest import ServedApp

#: The acceptance bound: a webhook's order shows in the revenue API within this many seconds.
WITHIN_SECONDS = 60


def _new_stripe_order(generator):
    """A new live order paid through Stripe, placed after the end of the store's history."""
    at = AS_OF + timedelta(minutes=30)
    while True:
        (order,) = generator.add_orders(1, at)
        if not order.test and order.transactions[0].gateway == "stripe":
            return order
        at += timedelta(minutes=1)


def _revenue(served: ServedApp, day) -> dict:
    response = served.get("/api/revenue", start=day.isoformat(), end=day.isoformat())
    assert response.status_code == 200, response.text
    return response.json()["tiles"]


def _expected(store, day) -> dict:
    row = truth.revenue_daily(store)[day]
    return {"orders": row["orders"], "net_sales": row["net_sales"]}


def _shown(tiles) -> dict:
    return {"orders": tiles["orders"], "net_sales": Decimal(str(tiles["net_sales"]))}


def _raw_order(config, order_id: int) -> list[dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        rows = conn.query("select * from raw_shopify.orders where id = %(id)s", {"id": f"gid://shopify/Order/{order_id}"})
    return [{k: v for k, v in r.items() if not k.startswith("_dlt")} for r in rows]


def _raw_duplicates(config) -> int:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query("select count(*) - count(distinct id) as n from raw_shopify.orders")[0]["n"] + \
            conn.query("select count(*) - count(distinct id) as n from raw_stripe.charges")[0]["n"]


@pytest.fixture
def served(tmp_path, warehouse_url, sandbox, generator):
    config = make_config(tmp_path, warehouse_url, sandbox.url, store=generator.store)
    assert config.webhooks.enabled and config.shopify_webhook_secret is not None
    report = pipeline.run(config)
    assert report.ok, report.errors
    with ServedApp(config) as app:
        yield config, app


def test_webhooks_move_revenue_and_the_pull_reconciles(served, sandbox, generator):
    config, app = served
    store = generator.store
    shopify_url, stripe_url = f"{app.url}/webhooks/shopify", f"{app.url}/webhooks/stripe"

    # A new order and a refund of an earlier one happen at the store; Shopify tells us both.
    order = _new_stripe_order(generator)
    day = truth.local_day(order.processed_at, store.shop.timezone)
    refunded = next(o for o in reversed(store.orders[:-5]) if not o.refunds and not o.test
                    and truth.local_day(o.processed_at, store.shop.timezone) == day)
    before = _shown(_revenue(app, day))
    refund = generator.refund(refunded, AS_OF + timedelta(minutes=31), full=False)
    expected = _expected(store, day)
    assert expected["orders"] == before["orders"] + 1 and expected["net_sales"] != before["net_sales"]

    charge = next(c for c in sandbox.api("stripe").data().lists["charges"] if c["metadata"].get("order_id") == order.name)
    event = build_event("charge.succeeded", charge)

    started = time.monotonic()
    first = post_webhook(shopify_url, "orders/create", order_payload(order, store), store, webhook_id="wh-order-1")
    assert first.status_code == 200 and first.json()["status"] == "stored", first.text
    second = post_webhook(shopify_url, "refunds/create", refund_payload(refund, refunded), store, webhook_id="wh-refund-1")
    assert second.json()["status"] == "stored"
    assert post_event(stripe_url, event).json()["status"] == "stored"

    while _shown(_revenue(app, day)) != expected:
        assert time.monotonic() - started < WITHIN_SECONDS, f"revenue still {_shown(_revenue(app, day))}, want {expected}"
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    print(f"webhook -> revenue API: {elapsed:.1f}s")
    # The three deliveries arrived within the debounce window: one round applied them together.
    warehouse = Warehouse.from_config(config)
    while len([r for r in app.applier.rounds if r.applied]) < 1:
        assert time.monotonic() - started < WITHIN_SECONDS + 30
        time.sleep(0.2)
    assert [r.applied for r in app.applier.rounds if r.applied] == [3]
    assert events.counts(warehouse) == {"applied": 3}
    with warehouse.connect(read_only=True) as conn:
        assert conn.query("select count(*) as n from raw_stripe.charges where id = %(id)s", {"id": charge["id"]})[0]["n"] == 1
    webhook_row = _raw_order(config, order.order_id)
    assert len(webhook_row) == 1

    # Tampered, replayed and repeated deliveries: rejected or recognised, nothing changes.
    tiles = _revenue(app, day)
    body = serialize(build_event("charge.refunded", dict(charge, amount_refunded=charge["amount"], refunded=True)))
    tampered = body.replace(b'"refunded": true', b'"refunded": false')
    assert httpx.post(stripe_url, content=tampered, headers={"Stripe-Signature": sign(body)}).status_code == 401
    # A real update carries a new updated_at: the same body under another topic is a replay.
    updated = dict(order_payload(order, store), updated_at="2026-11-20T15:30:00-05:00")
    signed = post_webhook(shopify_url, "orders/updated", updated, store, webhook_id="wh-x")
    assert signed.json()["status"] == "stored"
    same_body_new_topic = post_webhook(shopify_url, "orders/updated", order_payload(order, store), store,
                                       webhook_id="wh-x2")
    assert same_body_new_topic.json()["status"] == "duplicate"
    raw, headers = delivery("orders/updated", order_payload(order, store), store, webhook_id="wh-forged")
    forged_body = raw.replace(b'"total_price":"', b'"total_price":"9')
    assert forged_body != raw
    assert httpx.post(shopify_url, content=forged_body, headers=headers).status_code == 401
    assert httpx.post(shopify_url, content=raw, headers={**headers, "X-Shopify-Hmac-Sha256": ""}).status_code == 401
    old = int(time.time()) - 3600
    replay = httpx.post(stripe_url, content=serialize(event), headers={"Stripe-Signature": sign(serialize(event), timestamp=old)})
    assert replay.status_code == 400 and "tolerance" in replay.json()["detail"]
    again = post_event(stripe_url, event)  # Stripe's retry of a delivered event: fresh signature, same id
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    repeat = post_webhook(shopify_url, "orders/create", order_payload(order, store), store, webhook_id="wh-order-1")
    assert repeat.status_code == 200 and repeat.json()["status"] == "duplicate"
    same_body = post_webhook(shopify_url, "orders/create", order_payload(order, store), store, webhook_id="wh-order-1b")
    assert same_body.json()["status"] == "duplicate"
    deadline = time.monotonic() + WITHIN_SECONDS
    while len([r for r in app.applier.rounds if r.applied]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert events.counts(warehouse) == {"applied": 4}  # the genuine orders/updated only
    assert _revenue(app, day) == tiles
    assert _shown(_revenue(app, day)) == expected

    # The scheduled pull stays the source of truth: same rows, no duplicates, marts as if no webhook.
    report = pipeline.run(config, sources=["shopify", "stripe"])
    assert report.ok, report.errors
    assert _raw_order(config, order.order_id) == webhook_row
    assert _raw_duplicates(config) == 0
    assert_matches_truth(config, store)
    assert _shown(_revenue(app, day)) == expected
