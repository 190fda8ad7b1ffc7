"""The Meta Ads source end to end over HTTP against the sandbox, on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from storeboard import pipeline
from storeboard.config import Config, MetaAdsSettings, SourcesSettings
from storeboard.errors import SourceAuthError
from storeboard.sandbox.credentials import META_ACCESS_TOKEN, META_ACCOUNT_ID
from storeboard.sandbox.faults import Fault
from storeboard.sources.meta_ads import settings as meta_settings
from storeboard.transform import runner
from storeboard.warehouse import Warehouse
from tests.conftest import AS_OF

KEY = ("date_start", "account_id", "campaign_id", "adset_id")


@pytest.fixture(autouse=True)
def fast_client(monkeypatch):
    monkeypatch.setattr(meta_settings, "ASYNC_POLL_SECONDS", 0.01)
    monkeypatch.setattr(meta_settings, "BACKOFF_FACTOR", 0.05)
    monkeypatch.setattr(meta_settings, "MAX_ATTEMPTS", 4)


def meta_config(folder, warehouse: str, url: str, token: str = META_ACCESS_TOKEN) -> Config:
    return Config(
        warehouse=SecretStr(warehouse if not warehouse.startswith("duckdb") else "duckdb:///meta.duckdb"),
        base_dir=folder,
        sources=SourcesSettings(meta_ads=MetaAdsSettings(
            access_token=SecretStr(token), account_ids=[META_ACCOUNT_ID], base_url=url)),
    )


def raw_insights(config) -> list[dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query("select date_start, account_id, campaign_id, adset_id, spend, impressions, clicks, "
                          "purchases, purchase_value from raw_meta_ads.insights order by 1, 2, 3, 4")


def own_attribution(r, setting: str) -> tuple[int, Decimal]:
    """(purchases, value) of one sandbox day under an ad set's own attribution setting."""
    if setting == "7d_click":
        return r.purchases_click, r.purchase_value_click
    if setting == "1d_click":
        return round(r.purchases_click * 0.85), (r.purchase_value_click * Decimal("0.85")).quantize(Decimal("0.01"))
    return r.purchases, r.purchase_value


def expected_insights(sandbox) -> list[dict]:
    """Every ad set's days, deleted and archived ones included, each under its own attribution."""
    data = sandbox.api("meta").data()
    assert {g.status for g in data.ad_groups} >= {"DELETED", "ARCHIVED"}
    assert len({g.attribution for g in data.ad_groups}) == 3
    setting = {g.ad_group_id: g.attribution for g in data.ad_groups}
    rows = []
    for r in data.daily:
        purchases, value = own_attribution(r, setting[r.ad_group_id])
        rows.append({"date_start": r.day.isoformat(), "account_id": r.account_id.removeprefix("act_"),
                     "campaign_id": r.campaign_id, "adset_id": r.ad_group_id, "spend": f"{r.spend:.2f}",
                     "impressions": str(r.impressions), "clicks": str(r.clicks), "purchases": str(purchases),
                     "purchase_value": f"{value:.2f}" if r.purchases else "0"})
    return sorted(rows, key=lambda r: tuple(r[k] for k in KEY))


def normalised(rows: list[dict]) -> list[dict]:
    return [{k: str(v) for k, v in r.items()} for r in rows]


def assert_equals_sandbox(config, sandbox) -> None:
    actual, expected = normalised(raw_insights(config)), expected_insights(sandbox)
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert got == want


def test_backfill_equals_sandbox_and_builds_staging(tmp_path, warehouse_url, sandbox):
    config = meta_config(tmp_path, warehouse_url, sandbox.url)
    assert pipeline.extract_load(config, "meta_ads") > 0
    # The backfill is read in windows of INSIGHTS_WINDOW_DAYS, each synchronously.
    requests = list(sandbox.api("meta").requests)
    assert "POST /v25.0/act_1029384756/insights" not in requests
    assert requests.count("GET /v25.0/act_1029384756/insights") >= 1
    assert_equals_sandbox(config, sandbox)

    runner.build(Warehouse.from_config(config), config.state_dir, {"store_timezone": "America/New_York"},
                 select="staging.meta_ads")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        spend = conn.query("select sum(spend) as s, count(distinct attribution_window) as w, "
                           "min(account_currency) as c from staging.stg_meta_ads__insights")[0]
        budgets = conn.query("select campaign_name, daily_budget from staging.stg_meta_ads__campaigns "
                             "where daily_budget is not null")
    data = sandbox.api("meta").data()
    assert Decimal(spend["s"]) == sum(r.spend for r in data.daily)
    assert (spend["w"], spend["c"]) == (3, "USD")  # each ad set's own attribution setting
    by_name = {c.name: c.daily_budget for c in data.campaigns}
    assert budgets and all(Decimal(b["daily_budget"]) == by_name[b["campaign_name"]] for b in budgets)

    # metrics.meta_attribution_window: one window for every ad set instead of each one's own
    own = [own_attribution(r, {g.ad_group_id: g.attribution for g in data.ad_groups}[r.ad_group_id])
           for r in data.daily]
    expected = {
        "ad_set": (sum(p for p, _ in own), sum((v for _, v in own), Decimal(0)), 3),
        "7d_click": (sum(r.purchases_click for r in data.daily),
                     sum((r.purchase_value_click for r in data.daily), Decimal(0)), 1),
        "7d_click_1d_view": (sum(r.purchases for r in data.daily),
                             sum((r.purchase_value for r in data.daily), Decimal(0)), 1),
    }
    for window, (purchases, value, windows) in expected.items():
        runner.build(Warehouse.from_config(config), config.state_dir,
                     {"store_timezone": "America/New_York", "meta_attribution_window": window},
                     select="stg_meta_ads__insights")
        with Warehouse.from_config(config).connect(read_only=True) as conn:
            got = conn.query("select sum(purchases) as p, sum(purchase_value) as v, "
                             "count(distinct attribution_window) as w from staging.stg_meta_ads__insights")[0]
        assert (int(got["p"]), Decimal(got["v"]), got["w"]) == (purchases, value, windows), window


def test_second_run_rereads_only_the_lookback_and_changes_nothing(tmp_path, warehouse_url, sandbox):
    config = meta_config(tmp_path, warehouse_url, sandbox.url)
    pipeline.extract_load(config, "meta_ads")
    first = raw_insights(config)
    sandbox.api("meta").requests.clear()
    pipeline.extract_load(config, "meta_ads")
    assert raw_insights(config) == first
    assert "GET /v25.0/act_1029384756/insights" in sandbox.api("meta").requests, "a synchronous look-back read"


def test_restated_and_new_days_are_replaced_without_duplicates(tmp_path, warehouse_url, sandbox, generator):
    config = meta_config(tmp_path, warehouse_url, sandbox.url)
    pipeline.extract_load(config, "meta_ads")
    before = {tuple(r[k] for k in KEY): r for r in normalised(raw_insights(config))}
    last_day = sandbox.api("meta").data().last_day
    generator.add_orders(6, AS_OF + timedelta(days=1))
    generator.add_orders(4, AS_OF + timedelta(days=2))
    sandbox.api("meta").restate()

    pipeline.extract_load(config, "meta_ads")

    assert_equals_sandbox(config, sandbox)
    after = {tuple(r[k] for k in KEY): r for r in normalised(raw_insights(config))}
    changed = {k[0] for k in before if before[k] != after.get(k)}
    assert str(last_day) in changed, "the restated last day was replaced"
    assert max(after)[0] > str(last_day), "new days were added"
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        dupes = conn.query("select date_start, adset_id, count(*) as n from raw_meta_ads.insights "
                           "group by 1, 2 having count(*) > 1")
    assert dupes == []


def test_faults_end_with_the_same_data_as_a_fault_free_run(tmp_path, warehouse_url, sandbox):
    config = meta_config(tmp_path, warehouse_url, sandbox.url)
    for kind in ("429", "500", "drop", "429"):
        sandbox.faults.add(Fault(api="meta", kind=kind, retry_after=0.05, path_contains="insights"))
    sandbox.faults.add(Fault(api="meta", kind="malformed", path_contains="insights"))
    pipeline.extract_load(config, "meta_ads")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        quarantine = conn.query("select resource, field from raw_meta_ads.quarantine")
    assert quarantine == [{"resource": "insights", "field": "adset_id"}]
    assert sandbox.faults.pending() == []

    pipeline.extract_load(config, "meta_ads")

    # The broken row is kept whole in quarantine and did not hold the cursor: its day is older
    # than the look-back, so the second run did not read it again. Everything else is loaded.
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        [kept] = conn.query("select payload from raw_meta_ads.quarantine")
    row = json.loads(kept["payload"])
    assert row.get("adset_id") is None
    expected = [r for r in expected_insights(sandbox)
                if (r["date_start"], r["campaign_id"], r["impressions"], r["clicks"])
                != (row["date_start"], row["campaign_id"], row["impressions"], row["clicks"])]
    assert len(expected) == len(expected_insights(sandbox)) - 1
    assert normalised(raw_insights(config)) == expected


def test_rejected_token_is_one_clear_line(tmp_path, sandbox):
    config = meta_config(tmp_path, "duckdb", sandbox.url, token="EAAexpired-token-123")
    with pytest.raises(Exception) as info:
        pipeline.extract_load(config, "meta_ads")
    cause = pipeline._root_cause(info.value)
    assert isinstance(cause, SourceAuthError)
    message = str(cause)
    assert "\n" not in message and "META_ACCESS_TOKEN" in message and "storeboard doctor" in message
    assert "EAAexpired-token-123" not in message


def test_check_describes_the_account(tmp_path, sandbox):
    from storeboard.sources.meta_ads import check

    line = check(meta_config(tmp_path, "duckdb", sandbox.url).sources.meta_ads)
    assert "act_1029384756" in line and "USD" in line and "America/New_York" in line
