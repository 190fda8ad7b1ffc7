"""Helpers for the warehouse-model tests: serve a store, run the whole pipeline, read marts."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from dotenv import dotenv_values

from storeboard import pipeline
from storeboard.config import Config, load_config
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.shopify import CostBucket
from storeboard.sandbox.store import Store
from storeboard.sandbox.storefile import store_from_dict
from storeboard.warehouse import Warehouse
from tests.conftest import make_config
from tests.models.scenario import METRICS_YAML, STORE


def configure(folder: Path, warehouse: str, sandbox_url: str, store: Store, metrics_yaml: str = "") -> Config:
    """The sandbox config for ``store`` (CSV drop included) plus a ``metrics:`` block."""
    make_config(folder, warehouse, sandbox_url, store=store)
    path = folder / "storeboard.yml"
    path.write_text(path.read_text() + metrics_yaml)
    env = {**{k: v for k, v in dotenv_values(folder / ".env").items() if v is not None}, **os.environ}
    return load_config(path, environ=env)


def run_store(folder: Path, warehouse: str, store: Store, metrics_yaml: str = "") -> Config:
    """Serve ``store``, run every source and ``dbt build`` into ``warehouse``; returns the config."""
    with SandboxServer(store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0)) as server:
        config = configure(folder, warehouse, server.url, store, metrics_yaml)
        report = pipeline.run(config)
    assert report.ok, report.errors
    return config


def query(config: Config, sql: str) -> list[dict]:
    """Rows of ``sql`` against the config's warehouse, read-only."""
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query(sql)


def mart_tables(config: Config) -> list[str]:
    """Names of the tables in ``analytics``."""
    rows = query(config, "select table_name from information_schema.tables where table_schema = 'analytics' "
                         "order by table_name")
    return [r["table_name"] for r in rows]


@pytest.fixture(scope="session")
def scenario(tmp_path_factory) -> Config:
    """The hand-written scenario store (scenario.py) loaded once into DuckDB by the whole pipeline."""
    folder = tmp_path_factory.mktemp("scenario")
    return run_store(folder, "duckdb:///storeboard.duckdb", store_from_dict(STORE), METRICS_YAML)


#: Columns that describe when a run happened, not the data: they differ between two builds.
RUN_TIME_COLUMNS = {"built_at", "last_attempt_at", "last_success_at", "minutes_since_success", "last_quarantined_at",
                    # the restatement log's: when each refresh recorded a figure
                    "recorded_at", "reported_at", "restated_from_at", "restated_at", "restatement_id"}


def normalise(value):
    """A value as comparable across warehouses: every number an exact, normalised decimal."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        value = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def mart_snapshot(config: Config) -> dict[str, list[tuple]]:
    """Every row of every ``analytics`` table (run-time columns left out), sorted, values normalised."""
    snapshot = {}
    for table in mart_tables(config):
        table_rows = query(config, f"select * from analytics.{table}")
        snapshot[table] = sorted(
            (tuple((k, normalise(v)) for k, v in sorted(row.items()) if k not in RUN_TIME_COLUMNS) for row in table_rows),
            key=repr,
        )
    return snapshot
