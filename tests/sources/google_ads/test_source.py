"""The Google Ads source end to end over HTTP against the sandbox, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from storeboard import pipeline
from storeboard.config import Config, GoogleAdsSettings, SourcesSettings
from storeboard.errors import SourceAuthError
from storeboard.sandbox import credentials as cred
from storeboard.sandbox.faults import Fault
from storeboard.sources.google_ads import settings as ads_settings
from storeboard.sources.google_ads.helpers import GoogleAdsClient
from storeboard.transform import runner
from storeboard.warehouse import Warehouse
from tests.conftest import AS_OF

KEY = ("date", "customer_id", "campaign_id", "ad_group_id")


@pytest.fixture(autouse=True)
def fast_client(monkeypatch):
    monkeypatch.setattr(ads_settings, "BACKOFF_FACTOR", 0.05)
    monkeypatch.setattr(ads_settings, "MAX_ATTEMPTS", 4)


def ads_settings_for(url: str, refresh_token: str = cred.GOOGLE_REFRESH_TOKEN) -> GoogleAdsSettings:
    return GoogleAdsSettings(
        developer_token=SecretStr(cred.GOOGLE_DEVELOPER_TOKEN), client_id=cred.GOOGLE_CLIENT_ID,
        client_secret=SecretStr(cred.GOOGLE_CLIENT_SECRET), refresh_token=SecretStr(refresh_token),
        login_customer_id=cred.GOOGLE_LOGIN_CUSTOMER_ID, customer_ids=list(cred.GOOGLE_CUSTOMER_IDS),
        base_url=url, token_url=f"{url}/oauth2/token", start_date="2026-09-01")


def ads_config(folder, warehouse: str, url: str, **kwargs) -> Config:
    return Config(
        warehouse=SecretStr(warehouse if not warehouse.startswith("duckdb") else "duckdb:///ads.duckdb"),
        base_dir=folder, sources=SourcesSettings(google_ads=ads_settings_for(url, **kwargs)))


def raw_metrics(config) -> list[dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query('select "date", customer_id, campaign_id, ad_group_id, cost_micros, impressions, clicks, '
                          "conversions, conversions_value from raw_google_ads.ad_group_metrics order by 1, 2, 3, 4")


def expected_metrics(sandbox) -> list[dict]:
    """The sandbox's ad-group days, as Google reports them FROM ad_group: no Performance Max
    campaign (asset groups only), conversions of the PURCHASE actions only."""
    data = sandbox.api("google_ads").data()
    pmax = {c.campaign_id for c in data.campaigns if c.objective == "PERFORMANCE_MAX"}
    assert pmax, "the sandbox account has a Performance Max campaign"
    rows = [{"date": r.day.isoformat(), "customer_id": r.account_id, "campaign_id": r.campaign_id,
             "ad_group_id": r.ad_group_id, "cost_micros": str(int(r.spend * 1_000_000)),
             "impressions": str(r.impressions), "clicks": str(r.clicks), "conversions": str(float(r.purchases)),
             "conversions_value": str(float(r.purchase_value))}
            for r in data.daily if r.campaign_id not in pmax]
    return sorted(rows, key=lambda r: tuple(r[k] for k in KEY))


def campaign_days(sandbox) -> dict[tuple, tuple]:
    """(date, customer, campaign) -> (cost micros, purchases, purchase value), from the sandbox's records."""
    out: dict[tuple, list] = {}
    for r in sandbox.api("google_ads").data().daily:
        cell = out.setdefault((r.day.isoformat(), r.account_id, r.campaign_id), [0, 0, Decimal(0)])
        cell[0] += int(r.spend * 1_000_000)
        cell[1] += r.purchases
        cell[2] += r.purchase_value
    return {k: tuple(v) for k, v in out.items()}


def assert_equals_sandbox(config, sandbox) -> None:
    actual = [{k: str(v) for k, v in r.items()} for r in raw_metrics(config)]
    expected = expected_metrics(sandbox)
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert got == want


def test_backfill_equals_sandbox_and_builds_staging(tmp_path, warehouse_url, sandbox):
    config = ads_config(tmp_path, warehouse_url, sandbox.url)
    assert pipeline.extract_load(config, "google_ads") > 0
    assert_equals_sandbox(config, sandbox)
    customers = {c for c, _ in sandbox.api("google_ads").queries}
    assert customers == set(cred.GOOGLE_CUSTOMER_IDS)

    runner.build(Warehouse.from_config(config), config.state_dir, {"store_timezone": "America/New_York"},
                 select="staging.google_ads")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        cost = conn.query("select sum(cost) as s, min(currency_code) as c, min(attribution_window) as w "
                          "from staging.stg_google_ads__ad_group_metrics")[0]
        budgets = conn.query("select campaign_budget_id, amount from staging.stg_google_ads__campaign_budgets")
        groups = conn.query("select count(*) as n from staging.stg_google_ads__ad_groups")[0]["n"]
    data = sandbox.api("google_ads").data()
    pmax = {c.campaign_id for c in data.campaigns if c.objective == "PERFORMANCE_MAX"}
    assert Decimal(cost["s"]) == sum(r.spend for r in data.daily if r.campaign_id not in pmax)
    assert (cost["c"], cost["w"]) == ("USD", "purchase_actions_own_windows")
    # Campaign level: every campaign, Performance Max included, to the micro and the purchase.
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        campaigns = conn.query('select "date", customer_id, campaign_id, cost_micros, conversions, conversions_value '
                               "from raw_google_ads.campaign_metrics")
        customers = conn.query('select customer_id, sum(cast(cost_micros as bigint)) as micros '
                               "from raw_google_ads.customer_metrics group by 1")
    got = {(str(r["date"]), r["customer_id"], r["campaign_id"]):
           (int(r["cost_micros"]), int(float(r["conversions"])), Decimal(r["conversions_value"]).quantize(Decimal("0.01")))
           for r in campaigns}
    assert got == campaign_days(sandbox)
    total = {}
    for r in data.daily:
        total[r.account_id] = total.get(r.account_id, 0) + int(r.spend * 1_000_000)
    assert {r["customer_id"]: int(r["micros"]) for r in customers} == total
    assert {b["campaign_budget_id"]: Decimal(b["amount"]) for b in budgets} == {
        c.budget_id: c.daily_budget for c in data.campaigns}
    assert groups == len([g for g in data.ad_groups if g.campaign_id not in pmax])  # asset groups are not ad groups


def test_restated_and_new_days_are_replaced_without_duplicates(tmp_path, warehouse_url, sandbox, generator):
    config = ads_config(tmp_path, warehouse_url, sandbox.url)
    pipeline.extract_load(config, "google_ads")
    first = raw_metrics(config)
    pipeline.extract_load(config, "google_ads")
    assert raw_metrics(config) == first, "a second run changes nothing"
    last_day = sandbox.api("google_ads").data().last_day
    generator.add_orders(6, AS_OF + timedelta(days=1))
    sandbox.api("google_ads").restate()

    pipeline.extract_load(config, "google_ads")

    assert_equals_sandbox(config, sandbox)
    after = raw_metrics(config)
    assert max(str(r["date"]) for r in after) > str(last_day)
    changed = [r for r in after if str(r["date"]) == str(last_day) and r not in first]
    assert changed, "the restated last day was replaced"
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        dupes = conn.query('select "date", ad_group_id, count(*) as n from raw_google_ads.ad_group_metrics '
                           "group by 1, 2 having count(*) > 1")
    assert dupes == []


def test_faults_end_with_the_same_data_as_a_fault_free_run(tmp_path, warehouse_url, sandbox):
    config = ads_config(tmp_path, warehouse_url, sandbox.url)
    for kind in ("429", "500", "drop", "expired_token"):
        sandbox.faults.add(Fault(api="google_ads", kind=kind, retry_after=0.05, path_contains="googleAds"))
    sandbox.faults.add(Fault(api="google_ads", kind="malformed", path_contains=cred.GOOGLE_CUSTOMER_IDS[1]))
    pipeline.extract_load(config, "google_ads")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        quarantine = conn.query("select resource from raw_google_ads.quarantine")
    assert len(quarantine) == 1
    assert sandbox.faults.pending() == []

    pipeline.extract_load(config, "google_ads")

    assert_equals_sandbox(config, sandbox)


def test_rejected_refresh_token_is_one_clear_line(tmp_path, sandbox):
    config = ads_config(tmp_path, "duckdb", sandbox.url, refresh_token="1//revoked-refresh-token")
    with pytest.raises(Exception) as info:
        pipeline.extract_load(config, "google_ads")
    cause = pipeline._root_cause(info.value)
    assert isinstance(cause, SourceAuthError)
    message = str(cause)
    assert "\n" not in message and "GOOGLE_ADS_REFRESH_TOKEN" in message and "storeboard doctor" in message
    assert "revoked-refresh-token" not in message


def test_expired_access_token_is_refreshed(sandbox):
    s = ads_settings_for(sandbox.url)
    client = GoogleAdsClient(s.base_url, s.token_url, None, s.client_id, cred.GOOGLE_CLIENT_SECRET,
                             cred.GOOGLE_REFRESH_TOKEN, s.login_customer_id, s.api_version)
    assert client.customer(cred.GOOGLE_CUSTOMER_IDS[0])["customer_currency_code"] == "USD"
    sandbox.api("google_ads").expire_tokens()
    assert client.customer(cred.GOOGLE_CUSTOMER_IDS[1])["customer_id"] == cred.GOOGLE_CUSTOMER_IDS[1]


def test_missing_manager_id_is_an_auth_error_naming_the_setting(sandbox):
    s = ads_settings_for(sandbox.url)
    client = GoogleAdsClient(s.base_url, s.token_url, None, s.client_id, cred.GOOGLE_CLIENT_SECRET,
                             cred.GOOGLE_REFRESH_TOKEN, None, s.api_version)
    with pytest.raises(SourceAuthError) as info:
        client.customer(cred.GOOGLE_CUSTOMER_IDS[0])
    assert "login_customer_id" in str(info.value)


def test_check_describes_every_customer(sandbox):
    from storeboard.sources.google_ads import check

    line = check(ads_settings_for(sandbox.url))
    assert all(c in line for c in cred.GOOGLE_CUSTOMER_IDS) and "USD" in line and cred.GOOGLE_LOGIN_CUSTOMER_ID in line
