"""How many bulk queries a shop runs at once, as Shopify documents it per API version, and how the
backfill copes with a stopped run's operation still running (resumes it, or cancels a stale one)."""

from __future__ import annotations

import threading
import time

import httpx
from graphql import parse, validate

from storeboard import pipeline
from storeboard.sandbox.credentials import SHOPIFY_TOKEN
from storeboard.sandbox.shopify_bulk import IN_PROGRESS, LIMIT_REACHED
from storeboard.sandbox.specs import shopify_schema
from storeboard.sources.shopify import settings
from storeboard.warehouse import Warehouse
from tests.conftest import make_config

HEADERS = {"X-Shopify-Access-Token": SHOPIFY_TOKEN}
ORDERS = settings.bulk_orders_query("2000-01-01T00:00:00Z")


def gql(server, query, variables=None, version="2026-04"):
    return httpx.post(f"{server.url}/admin/api/{version}/graphql.json", json={"query": query, "variables": variables or {}},
                      headers=HEADERS).json()


def start(server, query=ORDERS, version="2026-04"):
    return gql(server, settings.BULK_RUN_MUTATION, {"query": query}, version)["data"]["bulkOperationRunQuery"]


def status(server, operation_id):
    return gql(server, settings.BULK_POLL_QUERY, {"id": operation_id})["data"]["node"]["status"]


def wait_for(server, operation_id, wanted, seconds=10.0):
    deadline = time.monotonic() + seconds
    while status(server, operation_id) != wanted:
        assert time.monotonic() < deadline, f"{operation_id} never became {wanted}"
        time.sleep(0.05)


def test_connector_documents_validate_against_official_schema():
    schema = shopify_schema()
    for document in (settings.BULK_OPERATIONS_QUERY, settings.CURRENT_BULK_QUERY, settings.BULK_CANCEL_MUTATION):
        assert validate(schema, parse(document)) == []


def test_one_bulk_query_at_a_time_before_2026_01(sandbox):
    sandbox.shopify.bulk.hold.set()
    try:
        first = start(sandbox, version="2025-10")
        assert first["userErrors"] == []
        second = start(sandbox, version="2025-10")
        assert second["bulkOperation"] is None
        assert second["userErrors"] == [{"field": ["query"], "code": "OPERATION_IN_PROGRESS",
                                         "message": IN_PROGRESS.format(first["bulkOperation"]["id"])}]
    finally:
        sandbox.shopify.bulk.hold.clear()
        sandbox.shopify.bulk.release()


def test_five_at_once_from_2026_01_and_a_cancel_frees_a_slot(sandbox):
    bulk = sandbox.shopify.bulk
    bulk.hold.set()
    try:
        ids = [start(sandbox)["bulkOperation"]["id"] for _ in range(5)]
        sixth = start(sandbox)
        assert sixth["bulkOperation"] is None
        assert sixth["userErrors"] == [{"field": ["query"], "code": "LIMIT_REACHED", "message": LIMIT_REACHED}]
        listed = gql(sandbox, settings.BULK_OPERATIONS_QUERY)["data"]["bulkOperations"]["nodes"]
        assert [o["id"] for o in listed] == ids[::-1], "newest first"
        assert {o["status"] for o in listed} == {"RUNNING"}

        cancel = gql(sandbox, settings.BULK_CANCEL_MUTATION, {"id": ids[0]})["data"]["bulkOperationCancel"]
        assert cancel["userErrors"] == [] and cancel["bulkOperation"]["status"] == "CANCELING"
        wait_for(sandbox, ids[0], "CANCELED")
        assert start(sandbox)["userErrors"] == [], "the canceled operation's slot is free"
        assert start(sandbox)["userErrors"][0]["code"] == "LIMIT_REACHED"
        again = gql(sandbox, settings.BULK_CANCEL_MUTATION, {"id": ids[0]})["data"]["bulkOperationCancel"]
        assert again["userErrors"], "only a running operation can be canceled"
    finally:
        bulk.hold.clear()
        bulk.release()


def _orders_loaded(config) -> int:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query("select count(*) as n from raw_shopify.orders")[0]["n"]


def test_backfill_resumes_a_stopped_runs_operation(tmp_path, sandbox, generator):
    """A run stopped while its bulk export ran: the next run polls that operation instead of
    starting the export again."""
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    bulk = sandbox.shopify.bulk
    bulk.hold.set()
    left = start(sandbox, settings.bulk_orders_query(config.sources.shopify.start_date))["bulkOperation"]["id"]
    bulk.hold.clear()
    threading.Timer(1.5, bulk.release).start()  # the export finishes while the new run polls it
    pipeline.extract_load(config, "shopify")
    assert list(bulk.operations) == [left], "no second export"
    assert _orders_loaded(config) == len(generator.store.orders)


def test_backfill_cancels_stale_backfills_holding_every_slot(tmp_path, sandbox, generator):
    """Five order backfills for another start date (stopped runs) hold every slot: the run cancels
    them with bulkOperationCancel and runs its own."""
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    bulk = sandbox.shopify.bulk
    bulk.hold.set()
    stale = [start(sandbox, settings.bulk_orders_query(f"2020-01-0{n + 1}T00:00:00Z"))["bulkOperation"]["id"]
             for n in range(5)]
    bulk.hold.clear()
    pipeline.extract_load(config, "shopify")
    assert [bulk.operations[i].status for i in stale] == ["CANCELED"] * 5
    [own] = [o for i, o in bulk.operations.items() if i not in stale]
    assert own.status == "COMPLETED" and "2020-01-0" not in own.query
    assert _orders_loaded(config) == len(generator.store.orders)
