"""The same store builds the same marts on DuckDB and on PostgreSQL, row by row, money exact."""

from __future__ import annotations

import pytest

from storeboard.sandbox.storefile import store_from_dict
from tests.conftest import make_generator
from tests.models.conftest import mart_snapshot, run_store
from tests.models.scenario import METRICS_YAML, STORE

pytestmark = pytest.mark.postgres


#: Bookkeeping hashed differently per warehouse by design (a 64-bit hash on DuckDB, md5 on
#: PostgreSQL); each warehouse only compares it with its own.
WAREHOUSE_SPECIFIC = {"input_fingerprint"}


def assert_same_marts(duck: dict, pg: dict) -> None:
    duck, pg = ({t: sorted((tuple(c for c in row if c[0] not in WAREHOUSE_SPECIFIC) for row in rows), key=repr)
                 for t, rows in m.items()} for m in (duck, pg))
    assert sorted(duck) == sorted(pg), "the same mart tables"
    assert all(duck[t] for t in ("fct_orders", "fct_order_lines", "rpt_revenue_daily", "dim_customers"))
    for table in duck:
        assert len(duck[table]) == len(pg[table]), f"{table}: row counts differ"
        for d_row, p_row in zip(duck[table], pg[table]):
            assert d_row == p_row, f"{table}: {d_row} != {p_row}"


def test_scenario_marts_agree(scenario, tmp_path, postgres_url):
    pg = run_store(tmp_path, postgres_url, store_from_dict(STORE), METRICS_YAML)
    assert_same_marts(mart_snapshot(scenario), mart_snapshot(pg))


def test_generated_store_marts_agree(tmp_path, postgres_url):
    """A generated store: rounding in allocations, FX-free money, many days and SKUs."""
    store = make_generator(orders=120, days=40).store
    metrics = "\nmetrics:\n  report_date: 2026-11-20\n  shipping_rates:\n    - {max_weight_grams: 2000, cost: \"5.10\"}\n"
    duck = run_store(tmp_path / "duck", "duckdb:///storeboard.duckdb", store, metrics)
    pg = run_store(tmp_path / "pg", postgres_url, store, metrics)
    assert_same_marts(mart_snapshot(duck), mart_snapshot(pg))
