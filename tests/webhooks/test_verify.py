"""Signature checks and event parsing: genuine deliveries pass, everything else is a clean 4xx.

Signed bodies come from the sandbox's own senders (``storeboard.sandbox.*_webhooks``), which
sign exactly as Shopify and Stripe do; the property tests throw arbitrary bytes and headers at
the verifiers and the receivers and require a ``Rejected`` (or a 4xx answer), never a crash.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st

from storeboard.config import Config
from storeboard.sandbox.credentials import SHOPIFY_WEBHOOK_SECRET
from storeboard.sandbox.shopify_webhooks import delivery, order_payload, refund_payload
from storeboard.sandbox.stripe_webhooks import STRIPE_WEBHOOK_SECRET, build_event, serialize, sign
from storeboard.web.app import create_app
from storeboard.webhooks import events, verify

NOW = 1_800_000_000


def _shopify(generator, topic="orders/create"):
    order = next(o for o in generator.store.orders if o.refunds)
    payload = order_payload(order, generator.store) if topic.startswith("orders/") else refund_payload(order.refunds[0], order)
    return order, *delivery(topic, payload, generator.store, webhook_id="wh-1")


def test_a_genuine_shopify_delivery_verifies_and_names_its_order(generator):
    order, body, headers = _shopify(generator)
    got = verify.verify_shopify(body, headers, SHOPIFY_WEBHOOK_SECRET)
    assert (got.webhook_id, got.topic, got.payload["id"]) == ("wh-1", "orders/create", order.order_id)
    assert events.shopify_objects(got.topic, got.payload) == (f"orders:gid://shopify/Order/{order.order_id}",)
    _, body, headers = _shopify(generator, "refunds/create")
    refund = verify.verify_shopify(body, headers, SHOPIFY_WEBHOOK_SECRET)
    assert events.shopify_objects(refund.topic, refund.payload) == (f"orders:gid://shopify/Order/{order.order_id}",)
    assert events.shopify_objects("products/update", refund.payload) == ()


@pytest.mark.parametrize("change", ["body", "secret", "missing", "not-base64"])
def test_a_changed_shopify_delivery_is_401(generator, change):
    _, body, headers = _shopify(generator)
    secret = SHOPIFY_WEBHOOK_SECRET
    if change == "body":
        body = body.replace(b'"total_price":"', b'"total_price":"1')
    elif change == "secret":
        secret = "shpss_someone_else"
    elif change == "missing":
        headers.pop("X-Shopify-Hmac-Sha256")
    else:
        headers["X-Shopify-Hmac-Sha256"] = "***"
    with pytest.raises(verify.BadSignature) as caught:
        verify.verify_shopify(body, headers, secret)
    assert caught.value.status == 401 and secret not in str(caught.value)


def test_a_genuine_stripe_event_verifies_within_the_tolerance_and_a_replay_does_not():
    event = build_event("charge.refunded", {"id": "ch_1", "object": "charge", "amount": 500}, created=NOW)
    body = serialize(event)
    got = verify.verify_stripe(body, {"Stripe-Signature": sign(body, timestamp=NOW - 299)}, STRIPE_WEBHOOK_SECRET, now=NOW)
    assert (got.event_id, got.event_type, got.signed_at) == (event["id"], "charge.refunded", NOW - 299)
    assert events.stripe_objects(got.event_type, got.payload) == ("charges:ch_1",)
    with pytest.raises(verify.Stale) as caught:
        verify.verify_stripe(body, {"Stripe-Signature": sign(body, timestamp=NOW - 301)}, STRIPE_WEBHOOK_SECRET, now=NOW)
    assert caught.value.status == 400
    # A rolled secret: Stripe sends one v1 per active secret; any match is enough.
    rolled = sign(body, "whsec_old", NOW) + ",v1=" + sign(body, timestamp=NOW).split("v1=")[1]
    assert verify.verify_stripe(body, {"Stripe-Signature": rolled}, STRIPE_WEBHOOK_SECRET, now=NOW).event_id == event["id"]
    with pytest.raises(verify.BadSignature):
        verify.verify_stripe(body + b" ", {"Stripe-Signature": sign(body, timestamp=NOW)}, STRIPE_WEBHOOK_SECRET, now=NOW)


def test_stripe_refund_and_dispute_events_name_the_charge_too():
    refund = {"id": "re_1", "object": "refund", "charge": "ch_9"}
    assert events.stripe_objects("refund.created", {"data": {"object": refund}}) == ("refunds:re_1", "charges:ch_9")
    assert events.stripe_objects("charge.refund.updated", {"data": {"object": refund}}) == ("refunds:re_1", "charges:ch_9")
    dispute = {"id": "dp_1", "object": "dispute", "charge": "ch_9"}
    assert events.stripe_objects("charge.dispute.created", {"data": {"object": dispute}}) == ("charges:ch_9",)
    assert events.stripe_objects("customer.created", {"data": {"object": {"id": "cus_1", "object": "customer"}}}) == ()


HEADER_NAMES = st.sampled_from(["X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Webhook-Id", "Stripe-Signature",
                                "Content-Type"])
HEADERS = st.dictionaries(HEADER_NAMES, st.text(max_size=300), max_size=5)
SIGNATURES = st.one_of(
    st.text(max_size=200),
    st.builds(lambda t, v: f"t={t},v1={v}", st.integers(-10**13, 10**13), st.text(max_size=80)),
    st.builds(lambda t: f"t={t}", st.text(max_size=30)),
)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=2000), headers=HEADERS)
def test_arbitrary_shopify_input_is_rejected_cleanly(body, headers):
    with pytest.raises(verify.Rejected) as caught:
        verify.verify_shopify(body, headers, SHOPIFY_WEBHOOK_SECRET)
    assert 400 <= caught.value.status < 500


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=2000), signature=SIGNATURES)
def test_arbitrary_stripe_input_is_rejected_cleanly(body, signature):
    with pytest.raises(verify.Rejected) as caught:
        verify.verify_stripe(body, {"Stripe-Signature": signature}, STRIPE_WEBHOOK_SECRET, now=NOW)
    assert 400 <= caught.value.status < 500


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(payload=JSON, topic=st.text(max_size=30))
def test_correctly_signed_but_strange_bodies_never_crash_the_parsers(payload, topic):
    """Signed with the real secret, so only the parsing after the signature is exercised."""
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Hmac-Sha256": verify.shopify_signature(body, SHOPIFY_WEBHOOK_SECRET),
               "X-Shopify-Topic": topic or "orders/create", "X-Shopify-Webhook-Id": "wh"}
    try:
        got = verify.verify_shopify(body, headers, SHOPIFY_WEBHOOK_SECRET)
    except verify.Rejected as exc:
        assert exc.status == 400
    else:
        assert all(o.startswith("orders:gid://shopify/Order/") for o in events.shopify_objects(got.topic, got.payload))
    try:
        got = verify.verify_stripe(body, {"Stripe-Signature": sign(body, timestamp=NOW)}, STRIPE_WEBHOOK_SECRET, now=NOW)
    except verify.Rejected as exc:
        assert exc.status == 400
    else:
        assert all(o.startswith(("charges:ch_", "refunds:re_")) for o in events.stripe_objects(got.event_type, got.payload))


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    """The real app with webhooks on, over a scratch DuckDB file (no applier: lifespan not started)."""
    folder = tmp_path_factory.mktemp("receiver")
    config = Config.model_validate({
        "warehouse": "duckdb:///scratch.duckdb", "base_dir": folder,
        "webhooks": {"enabled": True, "shopify_secret": SHOPIFY_WEBHOOK_SECRET, "stripe_secret": STRIPE_WEBHOOK_SECRET,
                     "max_body_bytes": 4096},
    })
    return TestClient(create_app(config))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=6000), headers=HEADERS, signature=SIGNATURES)
def test_the_receivers_answer_arbitrary_requests_with_a_4xx(receiver, body, headers, signature):
    safe = {k: v for k, v in headers.items() if v.isascii() and v.isprintable()}
    for path, extra in (("/webhooks/shopify", {}), ("/webhooks/stripe", {"Stripe-Signature": signature})):
        extra = {k: v for k, v in extra.items() if v.isascii() and v.isprintable()}
        response = receiver.post(path, content=body, headers={**safe, **extra})
        assert response.status_code in (400, 401, 413), (path, response.status_code, response.text)
        assert SHOPIFY_WEBHOOK_SECRET not in response.text and STRIPE_WEBHOOK_SECRET not in response.text


def test_bodies_over_the_limit_are_413_and_webhooks_off_is_404(receiver, tmp_path):
    big = b"{" + b" " * 5000 + b"}"
    assert receiver.post("/webhooks/shopify", content=big).status_code == 413
    body = serialize(build_event("charge.succeeded", {"id": "ch_1", "object": "charge"}))
    first = receiver.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
    assert first.status_code == 200 and first.json()["status"] == "stored"
    again = receiver.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    off = TestClient(create_app(Config.model_validate({"base_dir": tmp_path})))
    assert off.post("/webhooks/shopify", content=b"{}").status_code == 404
    assert off.post("/webhooks/stripe", content=b"{}").status_code == 404


def test_stored_events_count_once(tmp_path):
    from storeboard.warehouse import Warehouse

    warehouse = Warehouse(f"duckdb:///{tmp_path / 'events.duckdb'}")
    body = json.dumps({"id": 1}).encode()
    event = events.Event("shopify:a", "shopify", "orders/create", ("orders:gid://shopify/Order/1",), body)
    assert events.record(warehouse, event) == "stored"
    assert events.record(warehouse, event) == "duplicate"
    # The same body and topic under another (unsigned) webhook id header: the same event.
    assert events.record(warehouse, events.Event("shopify:b", "shopify", "orders/create", event.objects, body)) == "duplicate"
    # The same body under a new topic: the topic header is not signed either, so it is a replay
    # (issue 23: it stored a new ignored row)
    assert events.record(warehouse, events.Event("shopify:c", "shopify", "products/update", (), body)) == "duplicate"
    other = json.dumps({"id": 2}).encode()
    assert events.record(warehouse, events.Event("shopify:d", "shopify", "products/update", (), other)) == "ignored"
    assert events.counts(warehouse) == {"pending": 1, "ignored": 1}
    events.finish(warehouse, [], {"shopify:a": "down"})
    for _ in range(events.MAX_ATTEMPTS - 1):
        events.finish(warehouse, [], {"shopify:a": "down"})
    assert events.counts(warehouse) == {"failed": 1, "ignored": 1}


@pytest.mark.parametrize("form", ["client_credentials", "access_token"])
def test_shopify_deliveries_are_verified_with_the_secret_of_the_configured_form(tmp_path, generator, form):
    """A Dev Dashboard app's webhooks are signed with its client secret; a legacy app's with its
    own API secret key (``webhooks.shopify_secret``). Each receiver accepts its app's signature only."""
    client_secret, legacy_secret = "shpss_client_secret_0123456789", "shpss_legacy_app_secret_9876543210"
    shopify = {"shop_url": "https://northwind-goods.myshopify.com"}
    if form == "client_credentials":
        shopify |= {"client_id": "0f1e2d3c", "client_secret": client_secret}
        webhooks, signing, other = {"enabled": True}, client_secret, legacy_secret
    else:
        shopify |= {"access_token": "shpat_legacy"}
        webhooks, signing, other = {"enabled": True, "shopify_secret": legacy_secret}, legacy_secret, client_secret
    config = Config.model_validate({"warehouse": "duckdb:///scratch.duckdb", "base_dir": tmp_path,
                                    "sources": {"shopify": shopify}, "webhooks": webhooks})
    receiver = TestClient(create_app(config))
    order = next(o for o in generator.store.orders if o.refunds)
    payload = order_payload(order, generator.store)

    body, headers = delivery("orders/create", payload, generator.store, secret=other, webhook_id="wh-other")
    refused = receiver.post("/webhooks/shopify", content=body, headers=headers)
    assert refused.status_code == 401 and "does not match" in refused.json()["detail"]
    body, headers = delivery("orders/create", payload, generator.store, secret=signing, webhook_id="wh-signed")
    accepted = receiver.post("/webhooks/shopify", content=body, headers=headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "stored", accepted.text
    assert client_secret not in refused.text + accepted.text and legacy_secret not in refused.text + accepted.text
