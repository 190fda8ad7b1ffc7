"""Shopify bulk operations: the sandbox's lifecycle and JSONL, and the connector's backfill."""

from __future__ import annotations

import json
import time

import httpx
from graphql import parse, validate

from storeboard import pipeline
from storeboard.sandbox.credentials import SHOPIFY_TOKEN
from storeboard.sandbox.specs import shopify_schema
from storeboard.sources.shopify import settings
from tests.conftest import make_config

HEADERS = {"X-Shopify-Access-Token": SHOPIFY_TOKEN}


def gql(server, query, variables=None):
    return httpx.post(f"{server.url}/admin/api/2026-04/graphql.json", json={"query": query, "variables": variables or {}},
                      headers=HEADERS).json()


def test_connector_bulk_documents_validate_against_official_schema():
    schema = shopify_schema()
    for document in (settings.bulk_orders_query("2026-01-01T00:00:00Z"), settings.BULK_RUN_MUTATION,
                     settings.BULK_POLL_QUERY, settings.ORDER_QUERY):
        assert validate(schema, parse(document)) == []


def test_bulk_lifecycle_and_jsonl(sandbox, generator):
    run = gql(sandbox, settings.BULK_RUN_MUTATION, {"query": settings.bulk_orders_query("2000-01-01T00:00:00Z")})
    payload = run["data"]["bulkOperationRunQuery"]
    assert payload["userErrors"] == [] and payload["bulkOperation"]["status"] in ("CREATED", "RUNNING", "COMPLETED")
    deadline = time.monotonic() + 30
    while True:
        node = gql(sandbox, settings.BULK_POLL_QUERY, {"id": payload["bulkOperation"]["id"]})["data"]["node"]
        if node["status"] == "COMPLETED" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert node["status"] == "COMPLETED" and int(node["rootObjectCount"]) == len(generator.store.orders)
    lines = [json.loads(line) for line in httpx.get(node["url"]).text.splitlines()]
    assert len(lines) == int(node["objectCount"])
    parents = {line["id"] for line in lines if "__parentId" not in line}
    children = [line for line in lines if "__parentId" in line]
    assert len(parents) == len(generator.store.orders)
    assert all(child["__parentId"] in parents for child in children)
    assert all("lineItems" not in line for line in lines if "__parentId" not in line), "connections split out"
    assert all("refundLineItems" not in r for line in lines for r in line.get("refunds") or []), "not in a bulk query"
    assert {c["id"].split("/")[3] for c in children} <= {"LineItem", "ShippingLine"}
    assert httpx.get(node["url"].split("?")[0]).status_code == 403, "the download URL is signed"


def _refusal(sandbox, query):
    payload = gql(sandbox, settings.BULK_RUN_MUTATION, {"query": query})["data"]["bulkOperationRunQuery"]
    assert payload["bulkOperation"] is None
    assert all(e["field"] == ["query"] and e["code"] == "INVALID" for e in payload["userErrors"])
    return [e["message"] for e in payload["userErrors"]]


def test_bulk_query_limits_are_enforced(sandbox):
    """Shopify's documented limits, with its own wording (bulk operations guide)."""
    ok = "{ orders { edges { node { id lineItems { edges { node { id variant { id } } } } } } } }"
    assert gql(sandbox, settings.BULK_RUN_MUTATION, {"query": ok})["data"]["bulkOperationRunQuery"]["userErrors"] == []
    assert _refusal(sandbox, "{ shop { name } }") == ["Bulk queries must contain at least one connection."]
    # The document the connector used to send: refund connections inside the refunds list.
    in_list = "{ orders { edges { node { id refunds { id refundLineItems { edges { node { id } } } } } } } }"
    assert _refusal(sandbox, in_list) == [
        "Queries that contain a connection field within a list field are not currently supported."]
    too_deep = ("{ customers { edges { node { id orders { edges { node { id lineItems { edges { node { id } } } } } } } } } }")
    assert _refusal(sandbox, too_deep) == ["Bulk queries cannot contain connections with a nesting depth greater than 2."]
    six = "{ orders { edges { node { id " + " ".join(
        f"c{i}: lineItems {{ edges {{ node {{ id }} }} }}" for i in range(5)) + " } } } }"
    assert _refusal(sandbox, six) == ["Bulk queries cannot contain more than 5 connections."]
    [nodes] = _refusal(sandbox, "{ orders { nodes { id lineItems { nodes { id } } } } }")
    assert "Selecting via 'nodes' is not supported" in nodes and "'orders', 'lineItems'" in nodes
    [no_id] = _refusal(sandbox, "{ orders { edges { node { name lineItems { edges { node { id } } } } } } }")
    assert no_id.startswith("The parent 'node' field for a nested connection must select the 'id' field")


def test_connector_bulk_document_passes_the_limits(sandbox):
    payload = gql(sandbox, settings.BULK_RUN_MUTATION, {"query": settings.bulk_orders_query("2000-01-01T00:00:00Z")})
    assert payload["data"]["bulkOperationRunQuery"]["userErrors"] == []


def test_at_most_five_bulk_queries_run_at_once(sandbox):
    from storeboard.sandbox.shopify_bulk import BulkOperation

    bulk = sandbox.shopify.bulk
    for n in range(5):
        bulk.operations[f"gid://shopify/BulkOperation/{n}"] = BulkOperation(
            f"gid://shopify/BulkOperation/{n}", "{}", __import__("datetime").datetime.now(), status="RUNNING")
    payload = gql(sandbox, settings.BULK_RUN_MUTATION, {"query": settings.bulk_orders_query("2000-01-01T00:00:00Z")})
    [error] = payload["data"]["bulkOperationRunQuery"]["userErrors"]
    assert error["code"] == "LIMIT_REACHED"


def test_every_connection_node_is_its_own_line():
    """A nested connection's nodes hang under their own parent node; lists stay inline."""
    from storeboard.sandbox.shopify_bulk import _lines

    customer = {"id": "C1", "tags": ["a"], "orders": {"edges": [
        {"node": {"id": "O1", "refunds": [{"id": "R1"}], "lineItems": {"edges": [{"node": {"id": "L1"}}]}}}]}}
    assert list(_lines(customer, None)) == [
        {"id": "C1", "tags": ["a"]},
        {"id": "O1", "refunds": [{"id": "R1"}], "__parentId": "C1"},
        {"id": "L1", "__parentId": "O1"},
    ]


def test_reassembly_files_every_line_shape(sandbox):
    """Children before, after and far from their order, and a kind the backfill did not ask
    for: every order comes out whole, nothing raises."""
    from storeboard.sources.shopify.helpers import ShopifyClient

    client = ShopifyClient(sandbox.url, SHOPIFY_TOKEN, "2026-04")
    order = {"id": "gid://shopify/Order/1", "refunds": [], "transactions": []}
    lines = [
        {"id": "gid://shopify/LineItem/11", "__parentId": "gid://shopify/Order/1"},  # before its parent
        order,
        {"id": "gid://shopify/ShippingLine/12", "__parentId": "gid://shopify/Order/1"},
        {"id": "gid://shopify/FulfillmentOrder/13", "__parentId": "gid://shopify/Order/1"},  # not read
        {"id": "gid://shopify/LineItem/14", "__parentId": "gid://shopify/Order/1"},
    ]
    [[out]] = list(client._reassemble(iter(lines), 10))
    assert [line["id"] for line in out["lineItems"]] == ["gid://shopify/LineItem/11", "gid://shopify/LineItem/14"]
    assert [s["id"] for s in out["shippingLines"]] == ["gid://shopify/ShippingLine/12"]
    assert all(line["orderId"] == "gid://shopify/Order/1" for line in out["lineItems"])


def test_first_load_uses_bulk_and_later_loads_page(tmp_path, sandbox, generator):
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    assert pipeline.run(config, sources=["shopify"]).ok
    assert len(sandbox.shopify.bulk.operations) == 1
    generator.add_orders(3, max(o.updated_at for o in generator.store.orders))
    assert pipeline.run(config, sources=["shopify"]).ok
    assert len(sandbox.shopify.bulk.operations) == 1, "incremental runs page instead"
