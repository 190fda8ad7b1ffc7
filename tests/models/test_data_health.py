"""Data health: a quarantined record and a failed source show in rpt_source_health."""

from __future__ import annotations

from storeboard import pipeline
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.faults import Fault
from storeboard.sandbox.storefile import store_from_dict
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
