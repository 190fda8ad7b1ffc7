"""The Shopify imitation against the official Admin schema and Shopify's documented behaviour."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from graphql import graphql_sync, parse, validate

from storeboard.sandbox import SandboxServer
from storeboard.sandbox.graphql import requested_cost
from storeboard.sandbox.server import SHOPIFY_TOKEN
from storeboard.sandbox.shopify import SUPPORTED_VERSIONS, CostBucket, ShopifyAPI
from storeboard.sandbox.specs import SHOPIFY_SCHEMA_VERSION, shopify_schema
from storeboard.sources.shopify import settings

DOCUMENTS = {
    "shop": settings.SHOP_QUERY,
    "scopes": settings.SCOPES_QUERY,
    "orders": settings.ORDERS_QUERY,
    "order": settings.ORDER_QUERY,
    "order_line_items": settings.ORDER_LINE_ITEMS_QUERY,
    "order_shipping_lines": settings.ORDER_SHIPPING_LINES_QUERY,
    "order_refund_details": settings.ORDER_REFUND_DETAILS_QUERY,
    "refund_line_items": settings.REFUND_LINE_ITEMS_QUERY,
    "refund_shipping_lines": settings.REFUND_SHIPPING_LINES_QUERY,
    "customers": settings.CUSTOMERS_QUERY,
    "variants": settings.VARIANTS_QUERY,
    "bulk_run": settings.BULK_RUN_MUTATION,
    "bulk_poll": settings.BULK_POLL_QUERY,
    "bulk_orders": settings.bulk_orders_query("2000-01-01T00:00:00Z"),
    "order_agreements": settings.ORDER_AGREEMENTS_QUERY,
    "agreement_sales": settings.AGREEMENT_SALES_QUERY,
}
#: The ``first`` each paged document starts from in the client (before sizing down to the cap).
STARTING_FIRST = {
    "orders": 250, "customers": 250, "variants": 250,
    "order_line_items": settings.LINE_ITEMS_PER_PAGE, "order_shipping_lines": settings.LINE_ITEMS_PER_PAGE,
    "refund_line_items": settings.REFUND_LINES_PER_REFUND,
    "refund_shipping_lines": settings.REFUND_SHIPPING_LINES_PER_REFUND,
    "agreement_sales": settings.SALES_PER_PAGE,
}


@pytest.fixture(scope="module")
def schema():
    return shopify_schema()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_connector_documents_validate_against_official_schema(schema, name):
    assert validate(schema, parse(DOCUMENTS[name])) == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_connector_documents_cost_under_the_cap(schema, name):
    """By Shopify's documented formula, every document the project sends requests under 1,000
    points at the page size the client settles on (sized down the way it does on MAX_COST_EXCEEDED)."""
    document = parse(DOCUMENTS[name])
    first = STARTING_FIRST.get(name)
    cost = requested_cost(document, {"first": first})
    while cost > settings.MAX_QUERY_COST:
        first = max(1, min(first - 1, first * settings.MAX_QUERY_COST // cost))
        cost = requested_cost(document, {"first": first})
    assert cost <= settings.MAX_QUERY_COST
    if name == "orders":
        assert first == 8, "an orders page holds 8 orders (116 points each)"
    elif first is not None:
        assert first == STARTING_FIRST[name] or first >= 60, f"{name} pages stay large ({first})"


def test_costs_follow_the_documented_formula():
    """Hand-computed: object 1, connection 2 + first x node, scalars 0, mutation 10."""
    assert requested_cost(parse("{ shop { id name } }")) == 1
    assert requested_cost(parse("{ orders(first: 10) { nodes { id } } }")) == 2 + 10 * 1
    money = "totalPriceSet { shopMoney { amount } }"  # two objects
    assert requested_cost(parse(f"{{ orders(first: 10) {{ nodes {{ id {money} }} }} }}")) == 2 + 10 * 3
    nested = "{ orders(first: 5) { edges { node { lineItems(first: 4) { nodes { variant { id } } } } } } }"
    assert requested_cost(parse(nested)) == 2 + 5 * (1 + 2 + 4 * 2)
    assert requested_cost(parse(settings.BULK_RUN_MUTATION), {"query": "{}"}) == 10
    # The documents the connector used to send: what the issue measured.
    assert requested_cost(parse(settings.follow_up_query("order", "lineItems", settings.LINE_ITEM_FIELDS)),
                          {"first": 100}) == 1 + 2 + 100 * 15


def test_connector_default_api_version_is_the_validated_schema():
    from storeboard.config import ShopifySettings

    assert ShopifySettings.model_fields["api_version"].default == SHOPIFY_SCHEMA_VERSION


def _schema_resolver(source, info, **args):
    value = source.get(info.field_name) if isinstance(source, dict) else None
    return value(**args) if callable(value) else value


@pytest.mark.parametrize(("name", "variables"), [
    ("customers", {"first": 20, "query": "updated_at:>='2026-11-01T00:00:00Z'"}),
    ("variants", {"first": 20}),
    ("shop", {}),
])
def test_other_responses_conform_to_official_schema(schema, generator, name, variables):
    api = ShopifyAPI(generator.store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9))
    fast = api.run(DOCUMENTS[name], variables)
    assert "errors" not in fast, fast
    reference = graphql_sync(schema, DOCUMENTS[name], root_value=api.root(), variable_values=variables,
                             field_resolver=_schema_resolver)
    assert reference.errors is None, reference.errors[:3]
    assert reference.data == fast["data"]


def test_every_response_the_connector_reads_conforms_to_official_schema(schema, generator):
    """graphql-core, executing each document against the official schema over the sandbox's
    data, raises on any non-null field served null (e.g. ``LineItem.isGiftCard`` inside a refund
    line) and must give exactly the sandbox's fast answer."""
    api = ShopifyAPI(generator.store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9))
    order = next(o for o in generator.store.orders if any(r.lines for r in o.refunds) and len(o.lines) > 1)
    refund = next(r for r in order.refunds if r.lines)
    order_id, refund_id = f"gid://shopify/Order/{order.order_id}", f"gid://shopify/Refund/{refund.refund_id}"
    cases = {
        "order": {"id": order_id},
        "order_line_items": {"id": order_id, "first": 1, "after": None},
        "order_shipping_lines": {"id": order_id, "first": 1, "after": None},
        "order_refund_details": {"id": order_id},
        "refund_line_items": {"id": refund_id, "first": 1, "after": None},
        "refund_shipping_lines": {"id": refund_id, "first": 1, "after": None},
        "scopes": {},
    }
    for name, variables in cases.items():
        fast = api.run(DOCUMENTS[name], variables)
        assert "errors" not in fast, (name, fast)
        reference = graphql_sync(schema, DOCUMENTS[name], root_value=api.root(), variable_values=variables,
                                 field_resolver=_schema_resolver)
        assert reference.errors is None, (name, reference.errors[:3])
        assert reference.data == fast["data"], name
    details = api.run(DOCUMENTS["order_refund_details"], {"id": order_id})["data"]["order"]["refunds"]
    assert sum(len(r["refundLineItems"]["nodes"]) for r in details) == sum(len(r.lines) for r in order.refunds)
    gift_query = ("query($id: ID!) { order(id: $id) { refunds { refundLineItems(first: 5) { nodes { "
                  "lineItem { name isGiftCard } } } } } }")
    reference = graphql_sync(schema, gift_query, root_value=api.root(), variable_values={"id": order_id},
                             field_resolver=_schema_resolver)
    assert reference.errors is None
    assert all(isinstance(n["lineItem"]["isGiftCard"], bool) and n["lineItem"]["name"]
               for r in reference.data["order"]["refunds"] for n in r["refundLineItems"]["nodes"])


def test_sandbox_responses_conform_to_official_schema(schema, generator):
    """graphql-core executing against the real schema gives exactly the sandbox's fast answer."""
    api = ShopifyAPI(generator.store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9))
    variables = {"first": 8, "after": None, "query": "updated_at:>='2026-10-01T00:00:00Z'"}
    fast = api.run(settings.ORDERS_QUERY, variables)
    assert "errors" not in fast
    reference = graphql_sync(schema, settings.ORDERS_QUERY, root_value=api.root(), variable_values=variables,
                             field_resolver=_schema_resolver)
    assert reference.errors is None, reference.errors[:3]
    assert reference.data == fast["data"]
    assert any(o["refunds"] for o in fast["data"]["orders"]["nodes"]) or len(fast["data"]["orders"]["nodes"]) == 8


@pytest.fixture
def server(generator):
    with SandboxServer(generator.store, shopify_bucket=CostBucket(2000.0, 100.0)) as server:
        yield server


def _post(server, query, variables=None, token=SHOPIFY_TOKEN, version=SHOPIFY_SCHEMA_VERSION):
    return httpx.post(f"{server.url}/admin/api/{version}/graphql.json",
                      json={"query": query, "variables": variables or {}},
                      headers={"X-Shopify-Access-Token": token} if token else {})


def test_wrong_or_missing_token_gets_shopify_401(server):
    for token in ("shpat_wrong", None):
        response = _post(server, settings.SHOP_QUERY, token=token)
        assert response.status_code == 401
        assert response.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_version_header_and_fall_forward(server):
    assert _post(server, settings.SHOP_QUERY).headers["X-Shopify-API-Version"] == SHOPIFY_SCHEMA_VERSION
    retired = _post(server, settings.SHOP_QUERY, version="2023-01")
    assert retired.status_code == 200
    assert retired.headers["X-Shopify-API-Version"] == SUPPORTED_VERSIONS[0]


def test_every_response_carries_cost_extension(server):
    body = _post(server, settings.SHOP_QUERY).json()
    cost = body["extensions"]["cost"]
    assert set(cost) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0


def test_query_above_single_query_cap_is_rejected(server):
    body = _post(server, settings.ORDERS_QUERY, {"first": 250}).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert "data" not in body


def test_throttled_when_bucket_is_short(generator):
    with SandboxServer(generator.store, shopify_bucket=CostBucket(50.0, 0.001)) as server:
        body = _post(server, settings.ORDERS_QUERY, {"first": 1}).json()
        assert requested_cost(parse(settings.ORDERS_QUERY), {"first": 1}) > 50
        assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert body["extensions"]["cost"]["actualQueryCost"] is None


def test_cursor_pagination_returns_every_order_once(server, generator):
    seen, after = [], None
    while True:
        body = _post(server, settings.ORDERS_QUERY, {"first": 5, "after": after}).json()
        if "data" not in body:  # a Standard bucket runs dry after a few pages: wait as told
            cost = body["extensions"]["cost"]
            assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
            status = cost["throttleStatus"]
            time.sleep((cost["requestedQueryCost"] - status["currentlyAvailable"]) / status["restoreRate"] + 0.05)
            continue
        connection = body["data"]["orders"]
        seen += [node["id"] for node in connection["nodes"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        if len(seen) > 60:
            break
    assert len(seen) == len(set(seen))
    assert len(seen) >= 60


def test_updated_at_search_filters(server, generator):
    cutoff = "2026-11-15T00:00:00Z"
    body = _post(server, settings.ORDERS_QUERY, {"first": 8, "query": f"updated_at:>='{cutoff}'"}).json()
    nodes = body["data"]["orders"]["nodes"]
    assert nodes and all(n["updatedAt"] >= cutoff for n in nodes)
    assert [n["updatedAt"] for n in nodes] == sorted(n["updatedAt"] for n in nodes)


def test_invalid_document_is_rejected_like_shopify(server, schema):
    body = _post(server, "{ orders(first: 1) { nodes { noSuchField } } }").json()
    assert "noSuchField" in body["errors"][0]["message"]
    assert "data" not in body


def test_buckets_per_plan_restore_at_the_documented_rates():
    rates = {plan: CostBucket.for_plan(plan).status()["restoreRate"] for plan in ("standard", "advanced", "plus", "enterprise")}
    assert rates == {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}
    assert CostBucket.for_plan("standard").status()["maximumAvailable"] == 2000.0


def test_foreign_currency_order_shows_both_currencies(schema, generator):
    from datetime import timedelta
    from decimal import Decimal

    from tests.conftest import AS_OF

    order = generator.add_foreign_order(AS_OF - timedelta(days=1), "EUR", Decimal("0.92"))
    api = ShopifyAPI(generator.store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9))
    query = ("query($id: ID!) { order(id: $id) { currencyCode presentmentCurrencyCode "
             "totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } } }")
    data = api.run(query, {"id": f"gid://shopify/Order/{order.order_id}"})["data"]["order"]
    assert (data["currencyCode"], data["presentmentCurrencyCode"]) == ("USD", "EUR")
    total = data["totalPriceSet"]
    assert total["shopMoney"] == {"amount": f"{order.total_price:.2f}", "currencyCode": "USD"}
    assert total["presentmentMoney"] == {"amount": f"{order.total_price * Decimal('0.92'):.2f}", "currencyCode": "EUR"}


#: A store-file order with every ledger feature: duties, an additional fee, an edit that adds a
#: line and removes a unit, and a refund that gives duties back and keeps a return fee.
LEDGER_STORE = {
    "products": [{"sku": "MUG", "price": "20.00"}, {"sku": "TEE", "price": "30.00"}],
    "orders": [{"processed_at": "2026-10-05T14:00:00Z", "shipping": "5.00",
                "additional_fees": [{"name": "Import fee", "amount": "2.50"}],
                "lines": [{"sku": "MUG", "quantity": 3, "tax": "4.80", "duties": "6.00"}],
                "edits": [{"at": "2026-10-07T10:00:00Z", "add": [{"sku": "TEE", "tax": "2.40"}],
                           "remove": [{"line": 0, "quantity": 1}]}],
                "refunds": [{"at": "2026-10-09T10:00:00Z", "lines": [{"sku": "MUG", "quantity": 1}], "duties": "2.00",
                             "return_fee": "3.00"}]}],
}


def test_ledger_responses_conform_to_official_schema(schema):
    """Duties, additional fees, edits and return fees, read with the connector's documents, are
    exactly what graphql-core serves over the official schema; the generator's edits appear in
    the ledger as a store file's do."""
    from storeboard.sandbox.shopify import iso
    from storeboard.sandbox.storefile import store_from_dict
    from tests.conftest import make_generator

    store = store_from_dict(LEDGER_STORE)
    api = ShopifyAPI(store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9))
    order_id = f"gid://shopify/Order/{store.orders[0].order_id}"
    search = "happened_at:>'2026-10-05T14:00:00Z'"
    cases = {
        "order": {"id": order_id},
        "order_refund_details": {"id": order_id},
        "order_agreements": {"id": order_id, "query": search, "after": None},
        "agreement_sales": {"id": order_id, "query": search, "agreementAfter": None, "first": 1, "after": None},
    }
    for name, variables in cases.items():
        fast = api.run(DOCUMENTS[name], variables)
        assert "errors" not in fast, (name, fast)
        reference = graphql_sync(schema, DOCUMENTS[name], root_value=api.root(), variable_values=variables,
                                 field_resolver=_schema_resolver)
        assert reference.errors is None, (name, reference.errors[:3])
        assert reference.data == fast["data"], name
    order = api.run(DOCUMENTS["order"], {"id": order_id})["data"]["order"]
    # 40 + 30 of lines (one mug removed) + 5.60 tax + 5.00 shipping + 6.00 duties + 2.50 fee
    assert order["totalPriceSet"]["shopMoney"]["amount"] == "89.10"
    assert order["edited"] is True
    duties = (order["originalTotalDutiesSet"]["shopMoney"]["amount"], order["currentTotalDutiesSet"]["shopMoney"]["amount"])
    assert duties == ("6.00", "4.00")
    assert [li["currentQuantity"] for li in order["lineItems"]["nodes"]] == [1, 1]
    ledger = api.run(DOCUMENTS["order_agreements"], cases["order_agreements"])["data"]["order"]["agreements"]["edges"]
    got = [(a["node"]["reason"], s["actionType"], s["lineType"], s["quantity"], s["totalAmount"]["shopMoney"]["amount"])
           for a in ledger for s in a["node"]["sales"]["nodes"]]
    assert got == [("ORDER_EDIT", "ORDER", "PRODUCT", 1, "32.40"), ("ORDER_EDIT", "RETURN", "PRODUCT", -1, "-21.60"),
                   ("REFUND", "RETURN", "PRODUCT", -1, "-21.60"), ("REFUND", "ORDER", "FEE", None, "3.00")]

    generator = make_generator(orders=20, days=10)
    edited = next(o for o in generator.store.orders if not o.refunds and o.transactions)
    line = generator.edit(edited, edited.processed_at + timedelta(days=2))
    api = ShopifyAPI(generator.store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9))
    variables = {"id": f"gid://shopify/Order/{edited.order_id}", "query": f"happened_at:>'{iso(edited.processed_at)}'",
                 "after": None}
    ledger = api.run(DOCUMENTS["order_agreements"], variables)["data"]["order"]["agreements"]["edges"]
    assert [(a["node"]["reason"], [s["lineItem"]["id"] for s in a["node"]["sales"]["nodes"]]) for a in ledger] == [
        ("ORDER_EDIT", [f"gid://shopify/LineItem/{line.line_item_id}"])]


def test_duties_of_a_line_an_edit_added_belong_to_the_edit(schema):
    """``originalTotalDutiesSet`` is the duties "calculated when an order was created, before any
    modifications" (Admin schema, ``Order``): a line an edit added brings its duties as a
    ``DutySale`` of the edit's agreement and into ``currentTotalDutiesSet`` only."""
    from storeboard.sandbox.storefile import store_from_dict

    store = store_from_dict({
        "products": [{"sku": "MUG", "price": "20.00"}, {"sku": "TEE", "price": "30.00"}],
        "orders": [{"processed_at": "2026-10-05T14:00:00Z", "lines": [{"sku": "MUG", "duties": "2.00"}],
                    "edits": [{"at": "2026-10-07T10:00:00Z", "add": [{"sku": "TEE", "duties": "1.50"}]}]}],
    })
    api = ShopifyAPI(store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9))
    order_id = f"gid://shopify/Order/{store.orders[0].order_id}"
    variables = {"id": order_id, "query": "happened_at:>'2026-10-05T14:00:00Z'", "after": None}
    for name, values in (("order", {"id": order_id}), ("order_agreements", variables)):
        fast = api.run(DOCUMENTS[name], values)
        reference = graphql_sync(schema, DOCUMENTS[name], root_value=api.root(), variable_values=values,
                                 field_resolver=_schema_resolver)
        assert reference.errors is None and reference.data == fast["data"], name
    order = api.run(DOCUMENTS["order"], {"id": order_id})["data"]["order"]
    assert (order["originalTotalDutiesSet"]["shopMoney"]["amount"], order["currentTotalDutiesSet"]["shopMoney"]["amount"],
            order["totalPriceSet"]["shopMoney"]["amount"]) == ("2.00", "3.50", "53.50")
    ledger = api.run(DOCUMENTS["order_agreements"], variables)["data"]["order"]["agreements"]["edges"]
    assert [(a["node"]["reason"], s["actionType"], s["lineType"], s["totalAmount"]["shopMoney"]["amount"])
            for a in ledger for s in a["node"]["sales"]["nodes"]] == [
        ("ORDER_EDIT", "ORDER", "PRODUCT", "30.00"), ("ORDER_EDIT", "ORDER", "DUTY", "1.50")]
