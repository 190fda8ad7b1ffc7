"""Helpers for the warehouse-model tests: serve a store, run the whole pipeline, read marts."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from dotenv import dotenv_values

from storeboard import pipeline
from storeboard.config import Config, load_config
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.shopify import CostBucket
from storeboard.sandbox.store import Store
from storeboard.warehouse import Warehouse
from tests.conftest import make_config


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


def normalise(value):
    """A value as comparable across warehouses: exact decimals, floats made decimal."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value.normalize() if value == value.to_integral_value() else value.normalize()
    return value
