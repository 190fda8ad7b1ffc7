"""Incremental order facts: a second run that only rebuilds changed orders gives the same marts as
a full refresh of the models."""

from __future__ import annotations

from datetime import timedelta

from storeboard.pipeline import dbt_vars, warehouse_for
from storeboard.transform import runner
from tests.conftest import AS_OF, make_generator
from tests.models.conftest import mart_snapshot, query, run_store

METRICS = "\nmetrics:\n  report_date: 2026-11-20\n"


def test_incremental_run_equals_full_refresh(tmp_path, warehouse_url):
    generator = make_generator(orders=80, days=30)
    store = generator.store
    config = run_store(tmp_path, warehouse_url, store, METRICS)
    before = {r["order_id"] for r in query(config, "select order_id from analytics.fct_orders")}

    later = AS_OF + timedelta(hours=3)
    generator.add_orders(3, later)
    old = next(o for o in store.orders if not o.refunds and not o.cancelled_at and not o.test
               and o.processed_at < AS_OF - timedelta(days=15))
    generator.refund(old, later + timedelta(minutes=10), full=False)
    run_store(tmp_path, warehouse_url, store, METRICS)
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


def test_a_customer_who_changes_email_keeps_their_old_orders(tmp_path):
    """A new email gives the customer another unified id: the incremental run must carry it onto
    orders too old to be rebuilt for their own sake, or they point at a customer that is gone."""
    generator = make_generator(orders=80, days=30)
    store = generator.store
    config = run_store(tmp_path, "duckdb:///storeboard.duckdb", store, METRICS)

    old_orders = {}
    for order in store.orders:
        if order.customer is not None and not order.test:
            old_orders.setdefault(order.customer.customer_id, []).append(order)
    customer = next(orders[0].customer for orders in old_orders.values()
                    if orders[0].customer.email and all(o.processed_at < AS_OF - timedelta(days=15) for o in orders))
    customer.email = "new." + customer.email
    customer.updated_at = AS_OF + timedelta(hours=3)
    store.revision += 1
    run_store(tmp_path, "duckdb:///storeboard.duckdb", store, METRICS)
    incremental = mart_snapshot(config)

    orphans = query(config, "select order_id from analytics.fct_orders where customer_id is not null "
                            "and customer_id not in (select customer_id from analytics.dim_customers)")
    assert orphans == []
    warehouse = warehouse_for(config)
    runner.build(warehouse, config.state_dir, dbt_vars(config, warehouse), full_refresh=True)
    full = mart_snapshot(config)
    for table in full:
        assert incremental[table] == full[table], table
