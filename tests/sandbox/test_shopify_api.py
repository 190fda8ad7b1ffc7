"""The Shopify imitation against the official Admin schema and Shopify's documented behaviour."""

from __future__ import annotations

import os
import time

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
    "orders": settings.ORDERS_QUERY,
    "order_line_items": settings.ORDER_LINE_ITEMS_QUERY,
    "customers": settings.CUSTOMERS_QUERY,
    "variants": settings.VARIANTS_QUERY,
}


@pytest.fixture(scope="module")
def schema():
    found = shopify_schema()
    if found is None:
        message = "the official Shopify Admin schema (shared/specs) was not found; set STOREBOARD_SPECS_DIR"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.mark.parametrize("name", DOCUMENTS)
def test_connector_documents_validate_against_official_schema(schema, name):
    assert validate(schema, parse(DOCUMENTS[name])) == []


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
