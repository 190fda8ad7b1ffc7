"""Incremental order facts: a second run that only rebuilds changed orders gives the same marts as
a full refresh of the models."""

from __future__ import annotations

from datetime import timedelta

from storeboard.pipeline import dbt_vars, warehouse_for
from storeboard.transform import runner
from tests.conftest import AS_OF, make_generator
from tests.models.conftest import mart_snapshot, query, run_store

METRICS = "\nmetrics:\n  report_date: 2026-11-20\n"


def test_incremental_run_equals_full_refresh(tmp_path):
    generator = make_generator(orders=80, days=30)
    store = generator.store
    config = run_store(tmp_path, "duckdb:///storeboard.duckdb", store, METRICS)
    before = {r["order_id"] for r in query(config, "select order_id from analytics.fct_orders")}

    later = AS_OF + timedelta(hours=3)
    generator.add_orders(3, later)
    old = next(o for o in store.orders if not o.refunds and not o.cancelled_at and not o.test
               and o.processed_at < AS_OF - timedelta(days=15))
    generator.refund(old, later + timedelta(minutes=10), full=False)
    run_store(tmp_path, "duckdb:///storeboard.duckdb", store, METRICS)
    incremental = mart_snapshot(config)
    after = {r["order_id"] for r in query(config, "select order_id from analytics.fct_orders")}
    assert len(after - before) == 3

    warehouse = warehouse_for(config)
    runner.build(warehouse, config.state_dir, dbt_vars(config, warehouse), full_refresh=True)
    full = mart_snapshot(config)

    assert sorted(incremental) == sorted(full)
    for table in full:
        assert incremental[table] == full[table], table
    [refunded] = query(config, f"select returns from analytics.fct_orders where order_name = '{old.name}'")
    assert refunded["returns"] > 0
