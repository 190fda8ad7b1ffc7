"""The Stripe imitation against the official library, the official OpenAPI spec and Stripe's docs."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import stripe

from storeboard.sandbox import SandboxServer
from storeboard.sandbox.credentials import STRIPE_API_KEY
from storeboard.sandbox.faults import Fault
from storeboard.sandbox.specs import stripe_openapi
from storeboard.sandbox.stripe import DEFAULT_API_VERSION, STRIPE_RESTRICTED_KEY, RateLimiter
from storeboard.sandbox.stripe_data import build_stripe_data, minor_units, payment_fee, stripe_fee
from storeboard.sandbox.stripe_webhooks import STRIPE_WEBHOOK_SECRET, build_event, post_event, serialize, sign
from tests.conftest import AS_OF, make_generator

KINDS = {
    "charges": "charge",
    "payment_intents": "payment_intent",
    "refunds": "refund",
    "balance_transactions": "balance_transaction",
    "customers": "customer",
    "events": "event",
    "disputes": "dispute",
}


@pytest.fixture(scope="session")
def stripe_spec():
    """The official Stripe OpenAPI document (loaded once per session: it is 4 MB of YAML)."""
    return stripe_openapi()


def _json_schema(node):
    """OpenAPI 3.0 -> JSON Schema: ``nullable: true`` becomes ``anyOf [..., null]`` (openapi-schema-
    validator ignores ``nullable`` beside ``anyOf``, which Stripe's spec uses for every expandable field)."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="session")
def stripe_components(stripe_spec):
    return _json_schema(stripe_spec["components"])


def _assert_valid(components, schema, body):
    from jsonschema import Draft4Validator

    validator = Draft4Validator({**_json_schema(schema), "components": components})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]


def _assert_known_fields(spec, name, obj):
    """Every field the sandbox sends is one the spec defines (the schemas allow extras)."""
    unknown = set(obj) - set(spec["components"]["schemas"][name]["properties"])
    assert not unknown, f"{name} has fields the spec does not define: {sorted(unknown)}"


@pytest.fixture(scope="module")
def server():
    """The sandbox with Stripe's rate limits off: these tests send raw requests at their own pace
    (one fast machine can pass 25 a second to one endpoint); the rate-limit tests below put a
    limiter back deliberately. The connectors' tests keep Stripe's real limits."""
    generator = make_generator()
    with SandboxServer(generator.store, generator=generator) as server:
        api = server.api("stripe")
        api.limiter, api.endpoint_limiter = RateLimiter(None), RateLimiter(None)
        yield server


def _get(server, path, params=None, key=STRIPE_API_KEY, headers=None):
    return httpx.get(f"{server.url}{path}", params=params, headers={"Authorization": f"Bearer {key}", **(headers or {})})


# -- the official library ------------------------------------------------------------------------


@pytest.fixture
def client(server):
    return stripe.StripeClient(STRIPE_API_KEY, base_addresses={"api": server.url}, max_network_retries=0)


@pytest.mark.parametrize("kind", ["charges", "balance_transactions"])
def test_official_library_auto_pages_every_record_once(server, client, kind):
    expected = [o["id"] for o in server.api("stripe").data().lists[kind]]
    listing = getattr(client.v1, kind).list(params={"limit": 40})
    seen = [obj.id for obj in listing.auto_paging_iter()]
    assert len(expected) > 300
    assert Counter(seen) == Counter(expected) and len(seen) == len(set(seen))
    assert seen == expected, "newest first, as Stripe lists"


def test_official_library_pages_backwards_with_ending_before(server, client):
    expected = [o["id"] for o in server.api("stripe").data().lists["charges"]]
    pivot = expected[57]
    seen = [c.id for c in client.v1.charges.list(params={"limit": 10, "ending_before": pivot}).auto_paging_iter()]
    assert sorted(seen) == sorted(expected[:57])


def test_official_library_expands_and_raises_stripe_errors(server, client):
    charge = client.v1.charges.list(params={"limit": 1, "expand": ["data.balance_transaction"]}).data[0]
    assert charge.balance_transaction.object == "balance_transaction"
    assert charge.balance_transaction.source == charge.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.retrieve("ch_missing")
    assert info.value.http_status == 404 and info.value.code == "resource_missing"
    bad = stripe.StripeClient("sk_live_not_a_real_key_1234", base_addresses={"api": server.url})
    with pytest.raises(stripe.AuthenticationError) as info:
        bad.v1.charges.list()
    assert info.value.http_status == 401 and "sk_live_" in str(info.value) and "1234" in str(info.value)
    assert "not_a_real" not in str(info.value), "the key is redacted like Stripe does"


# -- the official OpenAPI spec -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_list_and_object_validate_against_official_spec(server, stripe_spec, stripe_components, kind):
    params = {"limit": 5}
    if kind == "charges":
        params["expand[]"] = "data.balance_transaction"
    listing = _get(server, f"/v1/{kind}", params)
    assert listing.status_code == 200
    body = listing.json()
    assert body["data"], kind
    list_schema = stripe_spec["paths"][f"/v1/{kind}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    _assert_valid(stripe_components, list_schema, body)
    one = _get(server, f"/v1/{kind}/{body['data'][0]['id']}")
    assert one.status_code == 200
    item_path = stripe_spec["paths"][f"/v1/{kind}/{{{_id_param(stripe_spec, kind)}}}"]
    item_schema = item_path["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    _assert_valid(stripe_components, item_schema, one.json())
    _assert_known_fields(stripe_spec, KINDS[kind], one.json())


def test_refunded_charge_and_refund_objects_validate(server, stripe_spec, stripe_components):
    data = server.api("stripe").data()
    refund = data.lists["refunds"][0]
    for obj in (refund, data.by_id[refund["charge"]], data.by_id[refund["balance_transaction"]]):
        _assert_valid(stripe_components, {"$ref": f"#/components/schemas/{obj['object']}"}, obj)
        _assert_known_fields(stripe_spec, obj["object"], obj)
    with pytest.raises(AssertionError):  # the check is not vacuous
        _assert_valid(stripe_components, {"$ref": "#/components/schemas/refund"}, dict(refund, amount="5.00"))


@pytest.mark.parametrize("case", ["wrong_key", "missing", "bad_param"])
def test_errors_validate_against_official_spec(server, stripe_components, case):
    if case == "wrong_key":
        response = _get(server, "/v1/charges", key="sk_live_wrong_0000")
    elif case == "missing":
        response = _get(server, "/v1/refunds/re_missing")
    else:
        response = _get(server, "/v1/charges", {"limit": 101})
    assert response.status_code in (400, 401, 404)
    _assert_valid(stripe_components, {"$ref": "#/components/schemas/error"}, response.json())
    assert response.headers["Request-Id"].startswith("req_")


def _id_param(spec, kind):
    return next(p.split("{")[1].rstrip("}") for p in spec["paths"] if p.startswith(f"/v1/{kind}/{{") and p.count("/") == 3)


# -- webhooks ------------------------------------------------------------------------------------


def test_signature_verifies_with_the_official_library(server):
    charge = server.api("stripe").data().lists["charges"][0]
    event = build_event("charge.succeeded", charge)
    body = serialize(event)
    header = sign(body)
    verified = stripe.Webhook.construct_event(body, header, STRIPE_WEBHOOK_SECRET)
    assert verified.id == event["id"] and verified.data.object.id == charge["id"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, "whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sign(body, timestamp=int(time.time()) - 3600), STRIPE_WEBHOOK_SECRET)


def test_post_event_delivers_a_verifiable_request():
    received = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append((request.headers["user-agent"],
                         stripe.Webhook.construct_event(request.content, request.headers["stripe-signature"], STRIPE_WEBHOOK_SECRET)))
        return httpx.Response(200, text="ok")

    with httpx.Client(transport=httpx.MockTransport(receiver)) as receiving:
        event = build_event("refund.created", {"id": "re_1", "object": "refund", "amount": 500, "livemode": True})
        response = post_event("https://shop.example/hooks/stripe", event, client=receiving)
    assert response.status_code == 200
    agent, verified = received[0]
    assert verified.type == "refund.created" and agent.startswith("Stripe/1.0")


# -- auth, versions, headers ---------------------------------------------------------------------


def test_bearer_and_basic_auth_are_equivalent(server):
    bearer = _get(server, "/v1/customers", {"limit": 3})
    basic = httpx.get(f"{server.url}/v1/customers", params={"limit": 3}, auth=(STRIPE_API_KEY, ""))
    assert bearer.status_code == basic.status_code == 200
    assert bearer.json() == basic.json()


def test_missing_and_wrong_keys_get_stripes_401(server):
    missing = httpx.get(f"{server.url}/v1/charges")
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in missing.json()["error"]["message"]
    wrong = _get(server, "/v1/charges", key="sk_live_abcdefghij9876")
    assert wrong.status_code == 401
    assert wrong.json() == {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_live_**********9876"}}


def test_restricted_key_reads_but_cannot_write(server):
    assert _get(server, "/v1/charges", key=STRIPE_RESTRICTED_KEY).status_code == 200
    write = httpx.post(f"{server.url}/v1/refunds", data={"charge": "ch_x"}, headers={"Authorization": f"Bearer {STRIPE_RESTRICTED_KEY}"})
    assert write.status_code == 403
    assert "does not have the required permissions" in write.json()["error"]["message"]
    assert STRIPE_RESTRICTED_KEY not in write.text


def test_stripe_version_is_validated_and_echoed(server):
    assert _get(server, "/v1/charges").headers["Stripe-Version"] == DEFAULT_API_VERSION
    pinned = _get(server, "/v1/events", {"limit": 2}, headers={"Stripe-Version": "2026-09-30.endive"})
    assert pinned.headers["Stripe-Version"] == "2026-09-30.endive"
    assert {e["api_version"] for e in pinned.json()["data"]} == {"2026-09-30.endive"}
    bad = _get(server, "/v1/charges", headers={"Stripe-Version": "latest"})
    assert bad.status_code == 400 and "Invalid Stripe API version" in bad.json()["error"]["message"]


def test_unknown_url_and_parameter(server):
    assert _get(server, "/v1/nothing_here").status_code == 404
    unknown = _get(server, "/v1/charges", {"colour": "red"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "parameter_unknown"


# -- listing ---------------------------------------------------------------------------------------


def test_limit_bounds_and_default(server):
    assert len(_get(server, "/v1/charges").json()["data"]) == 10
    assert len(_get(server, "/v1/charges", {"limit": 100}).json()["data"]) == 100
    for bad in (0, 101, "ten"):
        response = _get(server, "/v1/charges", {"limit": bad})
        assert response.status_code == 400 and response.json()["error"]["param"] == "limit"


def test_cursors_are_mutually_exclusive(server):
    ids = [c["id"] for c in _get(server, "/v1/charges", {"limit": 3}).json()["data"]]
    response = _get(server, "/v1/charges", {"starting_after": ids[0], "ending_before": ids[2]})
    assert response.status_code == 400


def test_created_filters_and_newest_first(server):
    charges = server.api("stripe").data().lists["charges"]
    pivot = charges[len(charges) // 2]["created"]
    for op, check in (("gte", lambda c: c >= pivot), ("gt", lambda c: c > pivot),
                      ("lte", lambda c: c <= pivot), ("lt", lambda c: c < pivot)):
        got, after = [], None
        while True:
            params = {f"created[{op}]": pivot, "limit": 100, **({"starting_after": after} if after else {})}
            body = _get(server, "/v1/charges", params).json()
            got += body["data"]
            if not body["has_more"]:
                break
            after = body["data"][-1]["id"]
        assert [c["id"] for c in got] == [c["id"] for c in charges if check(c["created"])], op
        assert [c["created"] for c in got] == sorted((c["created"] for c in got), reverse=True)


def test_filters_by_related_ids(server):
    data = server.api("stripe").data()
    refund = data.lists["refunds"][0]
    body = _get(server, "/v1/refunds", {"charge": refund["charge"]}).json()
    assert body["data"] and all(r["charge"] == refund["charge"] for r in body["data"])
    body = _get(server, "/v1/balance_transactions", {"type": "refund", "limit": 100}).json()
    assert len(body["data"]) == len(data.lists["refunds"])
    body = _get(server, "/v1/events", {"type": "charge.*", "limit": 100}).json()
    assert body["data"] and all(e["type"].startswith("charge.") for e in body["data"])


def test_expand_rejects_unknown_paths(server):
    response = _get(server, "/v1/charges", {"expand[]": "data.amount"})
    assert response.status_code == 400 and "cannot be expanded" in response.json()["error"]["message"]


def test_rate_limit_is_stripes_429(server):
    api = server.api("stripe")
    saved = api.limiter
    api.limiter = RateLimiter(2)
    try:
        statuses = [_get(server, "/v1/customers", {"limit": 1}) for _ in range(4)]
    finally:
        api.limiter = saved
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert limited[0].json()["error"]["code"] == "rate_limit"
    assert limited[0].headers["Stripe-Rate-Limited-Reason"] == "global-rate"


def test_endpoint_rate_limit_counts_each_endpoint_apart(server):
    api = server.api("stripe")
    saved = api.endpoint_limiter
    api.endpoint_limiter = RateLimiter(2)
    try:
        lists = [_get(server, "/v1/refunds", {"limit": 1}).status_code for _ in range(3)]
        other = _get(server, "/v1/balance_transactions", {"limit": 1}).status_code
        limited = _get(server, "/v1/refunds", {"limit": 1})
    finally:
        api.endpoint_limiter = saved
    assert lists == [200, 200, 429] and other == 200
    assert limited.headers["Stripe-Rate-Limited-Reason"] == "endpoint-rate"


def test_fault_middleware_uses_stripes_bodies(server):
    server.faults.add(Fault(api="stripe", kind="429", retry_after=1))
    server.faults.add(Fault(api="stripe", kind="500"))
    throttled = _get(server, "/v1/charges")
    failed = _get(server, "/v1/charges")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert throttled.json()["error"]["code"] == "rate_limit"
    assert failed.status_code == 500 and failed.json()["error"]["type"] == "api_error"
    assert _get(server, "/v1/charges").status_code == 200


# -- the data ------------------------------------------------------------------------------------


def test_data_is_a_deterministic_function_of_the_store():
    first = build_stripe_data(make_generator().store)
    second = build_stripe_data(make_generator().store)
    assert json.dumps(first.lists, sort_keys=True) == json.dumps(second.lists, sort_keys=True)


def test_one_charge_per_stripe_order_with_fee_and_refunds():
    store = make_generator().store
    data = build_stripe_data(store)
    by_order = {c["metadata"]["order_id"]: c for c in data.lists["charges"] if "order_id" in c["metadata"]}
    card_orders = [o for o in store.orders if o.transactions[0].gateway == "stripe" and o.total_price > 0]
    assert set(by_order) == {o.name for o in card_orders}
    for order in card_orders:
        charge = by_order[order.name]
        sale = order.transactions[0]
        assert charge["amount"] == minor_units(sale.amount, "usd")
        txn = data.by_id[charge["balance_transaction"]]
        if charge["id"].startswith("py_"):  # a bank debit: its own fee and balance transaction type
            method = charge["payment_method_details"]["type"]
            assert method == "us_bank_account" and txn["type"] == "payment"
            assert txn["fee"] == payment_fee(charge["amount"], method) == min(500, round(charge["amount"] * 0.008))
        else:
            assert txn["fee"] == stripe_fee(charge["amount"]) == int(sale.fee * 100)
        assert txn["net"] == charge["amount"] - txn["fee"]
        assert charge["livemode"] is (not order.test)
        refunds = [r for r in data.lists["refunds"] if r["charge"] == charge["id"]]
        assert sorted(r["amount"] for r in refunds) == sorted(minor_units(r.total, "usd") for r in order.refunds if r.total > 0)
        assert charge["amount_refunded"] == sum(r["amount"] for r in refunds)
        for refund, source in zip(sorted(refunds, key=lambda r: r["created"]), sorted(order.refunds, key=lambda r: r.created_at)):
            assert refund["created"] == int(source.created_at.timestamp())
            assert data.by_id[refund["balance_transaction"]]["amount"] == -refund["amount"]
        if order.customer and not order.test:
            customer = data.by_id[charge["customer"]]
            assert (customer["email"] or "").lower() == (order.customer.email or "")


def test_direct_and_test_charges_and_customers():
    store = make_generator(orders=1500, days=90).store
    data = build_stripe_data(store)
    charges = data.lists["charges"]
    direct = [c for c in charges if "order_id" not in c["metadata"] and c["livemode"]]
    assert 0.015 < len(direct) / len(charges) < 0.05
    assert max(c["amount"] for c in direct) > 90_000, "some wholesale charges are large"
    assert sum(1 for c in charges if not c["livemode"] and "order_id" not in c["metadata"]) == 2
    shopify_emails = {c.email for c in store.customers if c.email}
    emails = [c["email"] for c in data.lists["customers"] if c["email"] and c["metadata"].get("shopify_customer_id")]
    assert all(e.lower() in shopify_emails for e in emails)
    assert any(e not in shopify_emails for e in emails), "some emails differ in letter case"


def test_new_orders_and_refunds_appear_after_the_store_grows():
    generator = make_generator()
    before = build_stripe_data(generator.store)
    new = generator.add_orders(6, AS_OF + timedelta(hours=1))
    old = next(o for o in generator.store.orders if not o.refunds and o.transactions[0].gateway == "stripe" and not o.test)
    generator.refund(old, AS_OF + timedelta(hours=2), full=True)
    after = build_stripe_data(generator.store)
    new_card = [o for o in new if o.transactions[0].gateway == "stripe"]
    added = {c["id"] for c in after.lists["charges"]} - {c["id"] for c in before.lists["charges"]}
    assert len(added) >= len(new_card)
    assert len(after.lists["refunds"]) == len(before.lists["refunds"]) + 1
    unchanged = {c["id"]: c for c in before.lists["charges"]}
    changed = [c for c in after.lists["charges"] if c["id"] in unchanged and c != unchanged[c["id"]]]
    assert [c["metadata"]["order_id"] for c in changed] == [old.name]


def test_explicit_extras_are_served_instead(server):
    store = make_generator(orders=50).store
    store.extras["stripe"] = {"charges": [{"id": "ch_only", "object": "charge", "amount": 1234, "created": 1700000000,
                                           "currency": "usd", "livemode": True, "metadata": {"order_id": "#1"}}]}
    with SandboxServer(store) as own:
        body = _get(own, "/v1/charges").json()
    assert [c["id"] for c in body["data"]] == ["ch_only"]
    assert Decimal(body["data"][0]["amount"]) == 1234


def test_the_sandbox_enforces_stripes_live_limits_by_default():
    # Stripe's "Rate limits" page: 100 read requests per second per account in live mode, and 25
    # per second to one endpoint; the fixture above turns them off only for its raw-request tests.
    with SandboxServer(make_generator(orders=5, days=2).store) as fresh:
        api = fresh.api("stripe")
        assert (api.limiter.per_second, api.endpoint_limiter.per_second) == (100, 25)
