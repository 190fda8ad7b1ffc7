"""Ad data over two runs: a restated day replaces the earlier figures, and a currency without an
FX rate fails the build instead of being counted at 1.0."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from storeboard import pipeline
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.storefile import store_from_dict
from tests.models.conftest import configure, query
from tests.models.scenario import MARKETING, META_ACCOUNT

#: Connectors re-read the last 28 days from today, so the restated day is a recent one.
DAY = datetime.now(ZoneInfo("America/New_York")).date() - timedelta(days=3)
METRICS = """
metrics:
  fx_rates:
    - {currency: EUR, valid_from: 2026-01-01, rate: "1.08"}
"""


def store_with_meta_day(spend: str, value: str, currency: str = "EUR"):
    marketing = copy.deepcopy(MARKETING)
    marketing["accounts"][0]["currency"] = currency
    marketing["daily"] = [dict(marketing["daily"][0], day=DAY.isoformat(), spend=spend, purchase_value=value)]
    return store_from_dict({
        "products": [{"sku": "MUG", "price": "20.00", "unit_cost": "8.00"}],
        "orders": [{"processed_at": "2026-10-05T14:00:00Z", "lines": [{"sku": "MUG"}]}],
        "extras": {"marketing": marketing},
    })


def run_meta(folder, store, metrics=METRICS):
    with SandboxServer(store) as server:
        config = configure(folder, "duckdb:///storeboard.duckdb", server.url, store, metrics)
        return config, pipeline.run(config, sources=["shopify", "meta_ads"])


def test_restated_ad_day_replaces_the_first_figures(tmp_path):
    config, report = run_meta(tmp_path, store_with_meta_day("100.00", "200.00"))
    assert report.ok, report.errors
    first = query(config, "select date, spend, platform_conversion_value from analytics.fct_ad_performance_daily")
    assert [tuple(r.values()) for r in first] == [(DAY, D("108"), D("216"))]

    # Meta credits invalid clicks and reports a late conversion for the same day
    config, report = run_meta(tmp_path, store_with_meta_day("80.00", "260.00"))
    assert report.ok, report.errors
    second = query(config, "select ad_performance_id, date, spend, platform_conversion_value "
                           "from analytics.fct_ad_performance_daily")
    assert [tuple(r.values()) for r in second] == [
        (f"meta_ads:{META_ACCOUNT.removeprefix('act_')}:1301:{DAY.isoformat()}", DAY, D("86.40"), D("280.80"))]


def test_ad_spend_without_fx_rate_fails_the_build(tmp_path):
    config, report = run_meta(tmp_path, store_with_meta_day("100.00", "200.00", currency="GBP"))
    assert not report.ok
    [error] = report.errors
    assert "assert_fx_rate_for_every_foreign_amount" in error or "not_null_fct_ad_performance_daily_spend" in error
