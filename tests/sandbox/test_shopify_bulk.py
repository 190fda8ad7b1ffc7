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
    assert httpx.get(node["url"].split("?")[0]).status_code == 403, "the download URL is signed"


def test_bulk_query_limits_are_enforced(sandbox):
    too_deep = "{ orders { edges { node { id lineItems { edges { node { id variant { id } } } } } } } }"
    ok = gql(sandbox, settings.BULK_RUN_MUTATION, {"query": too_deep})["data"]["bulkOperationRunQuery"]
    assert ok["userErrors"] == []
    no_connection = gql(sandbox, settings.BULK_RUN_MUTATION, {"query": "{ shop { name } }"})["data"]["bulkOperationRunQuery"]
    assert no_connection["bulkOperation"] is None and no_connection["userErrors"][0]["field"] == ["query"]


def test_first_load_uses_bulk_and_later_loads_page(tmp_path, sandbox, generator):
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    assert pipeline.run(config, sources=["shopify"]).ok
    assert len(sandbox.shopify.bulk.operations) == 1
    generator.add_orders(3, max(o.updated_at for o in generator.store.orders))
    assert pipeline.run(config, sources=["shopify"]).ok
    assert len(sandbox.shopify.bulk.operations) == 1, "incremental runs page instead"
