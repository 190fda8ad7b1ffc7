"""Data health: a quarantined record and a failed source show in rpt_source_health."""

from __future__ import annotations

from storeboard import pipeline
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.faults import Fault
from storeboard.sandbox.storefile import store_from_dict
from storeboard.state.runlog import RunLog
from storeboard.warehouse import Warehouse
from tests.models.conftest import configure, query

STORE = {
    "products": [{"sku": "MUG", "price": "20.00", "unit_cost": "8.00"}],
    "orders": [{"processed_at": f"2026-10-0{day}T14:00:00Z", "lines": [{"sku": "MUG"}]} for day in range(1, 4)],
}


def test_quarantine_and_failure_show_in_source_health(tmp_path):
    store = store_from_dict(STORE)
    with SandboxServer(store) as server:
        config = configure(tmp_path, "duckdb:///storeboard.duckdb", server.url, store)
        server.faults.add(Fault(api="shopify", kind="malformed", count=1))
        server.faults.add(Fault(api="stripe", kind="expired_token", count=-1))
        pipeline.run(config, sources=["shopify", "stripe"])
    health = {r["source_name"]: r for r in query(config, "select * from analytics.rpt_source_health")}
    assert health["shopify"]["quarantined_records"] == 1
    assert health["shopify"]["quarantined_last_run"] == 1
    assert health["shopify"]["health_status"] == "warning"
    assert health["stripe"]["last_status"] == "failed"
    assert health["stripe"]["health_status"] == "failed"
    assert "STRIPE_API_KEY" in health["stripe"]["last_error"]


def test_stale_after_hours_comes_from_the_config(tmp_path):
    """A source whose last success is two hours old is ok by default (24 h) and stale at 1 h."""
    store = store_from_dict(STORE)
    with SandboxServer(store) as server:
        config = configure(tmp_path, "duckdb:///storeboard.duckdb", server.url, store)
        assert pipeline.run(config, sources=["shopify"]).ok
    warehouse = Warehouse.from_config(config)
    with warehouse.connect() as conn:
        conn.execute("update storeboard_meta.run_steps set started_at = started_at - interval '2 hours', "
                     "finished_at = finished_at - interval '2 hours'")

    def shopify_status(cfg) -> str:
        step = pipeline.transform_step(cfg, RunLog(warehouse, "test"), False, lambda *_: None)
        assert step.status == "ok", step.error
        rows = query(cfg, "select health_status from analytics.rpt_source_health where source_name = 'shopify'")
        return rows[0]["health_status"]

    assert shopify_status(config) == "ok"
    strict = configure(tmp_path, "duckdb:///storeboard.duckdb", server.url, store, "\nmetrics:\n  stale_after_hours: 1\n")
    assert strict.metrics.stale_after_hours == 1
    assert shopify_status(strict) == "stale"
