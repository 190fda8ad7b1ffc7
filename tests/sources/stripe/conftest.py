"""Helpers for the Stripe connector tests: a config with only a Stripe block, a fast loader."""

from __future__ import annotations

import dlt
import pytest
from pydantic import SecretStr

from storeboard import pipeline
from storeboard.config import Config, SourcesSettings, StripeSettings
from storeboard.sandbox.credentials import STRIPE_API_KEY
from storeboard.sources import stripe as stripe_source
from storeboard.warehouse import Warehouse


def stripe_config(tmp_path, warehouse_url: str, sandbox_url: str, api_key: str = STRIPE_API_KEY, **overrides) -> Config:
    settings = StripeSettings(api_key=SecretStr(api_key), base_url=sandbox_url, max_attempts=4, **overrides)
    return Config(warehouse=SecretStr(warehouse_url), sources=SourcesSettings(stripe=settings), base_dir=tmp_path)


def load(config: Config) -> dict[str, int]:
    """One extract-load of the Stripe source with a short retry back-off; returns rows per table."""
    warehouse = Warehouse.from_config(config)
    pipe = dlt.pipeline(
        pipeline_name="storeboard_stripe",
        destination=pipeline.dlt_destination(warehouse),
        dataset_name="raw_stripe",
        pipelines_dir=str(config.state_dir / "pipelines"),
    )
    pipe.run(stripe_source.source(config.sources.stripe, backoff_factor=0.05))
    info = pipe.last_trace.last_normalize_info
    return {k: v for k, v in (info.row_counts if info else {}).items() if not k.startswith("_dlt")}


def query(config: Config, sql: str) -> list[dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query(sql)


@pytest.fixture
def stripe_api(sandbox):
    return sandbox.api("stripe")
