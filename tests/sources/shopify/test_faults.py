"""Sandbox faults over a real socket: every run ends with the same data as a fault-free run."""

from __future__ import annotations

import json

import pytest

from storeboard import pipeline
from storeboard.sandbox.faults import Fault
from storeboard.warehouse import Warehouse
from tests.conftest import make_config
from tests.test_end_to_end import assert_matches_truth

#: These tests are about the Shopify connector: the other sources stay out of the run.
SHOPIFY = ["shopify"]


def order_ids(config) -> list[tuple[str, object]]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return [(r["id"], r["updated_at"]) for r in conn.query("select id, updated_at from raw_shopify.orders order by id")]


@pytest.fixture
def duckdb_config(tmp_path, sandbox):
    """Transport faults do not depend on the warehouse: DuckDB only, to keep the suite quick."""
    return make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url)


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "drop", "slow"])
def test_transport_faults_are_retried_and_lose_nothing(duckdb_config, sandbox, generator, kind):
    config = duckdb_config
    sandbox.faults.add(Fault(api="shopify", kind=kind, count=2, retry_after=1, delay=0.5))
    report = pipeline.run(config, sources=SHOPIFY)
    assert report.ok, report.errors
    assert sandbox.faults.fired[("shopify", kind)] == 2
    assert_matches_truth(config, generator.store)


@pytest.mark.parametrize("kind", ["duplicate", "out_of_order"])
def test_duplicated_and_reordered_records_load_once(config, sandbox, generator, kind):
    sandbox.faults.add(Fault(api="shopify", kind=kind, count=3))
    assert pipeline.run(config, sources=SHOPIFY).ok
    ids = [i for i, _ in order_ids(config)]
    assert len(ids) == len(set(ids)) == len(generator.store.orders)
    assert_matches_truth(config, generator.store)


def test_malformed_order_is_quarantined_whole_and_replayed_once_intact(config, sandbox, generator):
    """A malformed order is kept whole in quarantine and the cursor moves past it (the next run
    does not read it again); ``--replay-quarantine`` reads it again by id and loads it once
    Shopify sends it intact. (The fault used to drop the order's id, which the Admin schema
    forbids, ``Order.id: ID!``, and which left nothing to read it again by.)"""
    sandbox.faults.add(Fault(api="shopify", kind="malformed", count=1))
    first = pipeline.run(config, sources=SHOPIFY)
    assert first.ok, first.errors
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        [row] = conn.query("select resource, record_id, field, reason, payload from raw_shopify.quarantine")
    assert (row["resource"], row["field"]) == ("orders", "totalPriceSet.shopMoney.amount")
    kept = json.loads(row["payload"])
    assert kept["id"] == row["record_id"] and kept["totalPriceSet"]["shopMoney"]["amount"] == "not-a-number"
    assert kept["lineItems"] and all(line["orderId"] == kept["id"] for line in kept["lineItems"]), "kept whole"
    assert row["record_id"] not in {i for i, _ in order_ids(config)}
    assert len(order_ids(config)) == len(generator.store.orders) - 1

    # The cursor moved on: a plain run does not read the order again, so it stays in quarantine.
    second = pipeline.run(config, sources=SHOPIFY)
    assert second.ok, second.errors
    assert len(order_ids(config)) == len(generator.store.orders) - 1

    third = pipeline.run(config, sources=SHOPIFY, replay_quarantine=True)  # Shopify now sends it intact

    assert third.ok, third.errors
    assert [s.rows_loaded for s in third.steps if s.step == "replay_quarantine"] == [1]
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        assert conn.query("select count(*) as n from raw_shopify.quarantine")[0]["n"] == 0
    assert len(order_ids(config)) == len(generator.store.orders)
    assert_matches_truth(config, generator.store)


def test_expired_legacy_token_fails_only_that_run_and_next_run_recovers(tmp_path, warehouse_url, sandbox, generator):
    """A legacy app's static token cannot be renewed: the run fails, clearly, and the next recovers."""
    config = make_config(tmp_path, warehouse_url, sandbox.url, store=generator.store, shopify_form="access_token")
    sandbox.faults.add(Fault(api="shopify", kind="expired_token", count=1))
    failed = pipeline.run(config, sources=SHOPIFY)
    assert not failed.ok and "Shopify returned 401" in failed.errors[0]
    assert pipeline.run(config, sources=SHOPIFY).ok
    assert_matches_truth(config, generator.store)


def test_outage_longer_than_retries_fails_the_source_clearly(duckdb_config, sandbox):
    config = duckdb_config
    sandbox.faults.add(Fault(api="shopify", kind="503", count=-1))
    config.sources.shopify.max_attempts = 2
    report = pipeline.run(config, sources=SHOPIFY)
    assert not report.ok
    [error] = report.errors
    assert error.startswith("Shopify returned HTTP 503") and "\n" not in error
