"""The Meta imitation against Meta's codegen specs (fields, enums) and documented Graph behaviour;
and the marketing truths planted in the derived data."""

from __future__ import annotations

import json

import httpx
import pytest

from storeboard.config import MetaAdsSettings
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.credentials import META_ACCESS_TOKEN, META_ACCOUNT_ID
from storeboard.sandbox.faults import Fault
from storeboard.sandbox.marketing_data import build_marketing, planted_marketing_truths
from storeboard.sandbox.meta import meta_specs
from storeboard.sandbox.specs import specs_dir
from storeboard.sources.meta_ads import settings
from tests.conftest import make_generator

ASYNC_STATUSES = {"Job Not Started", "Job Started", "Job Running", "Job Completed", "Job Failed", "Job Skipped"}


@pytest.fixture(scope="module")
def specs():
    found = meta_specs()
    assert found is not None, "Meta's codegen specs are missing from src/storeboard/sandbox/vendor_specs/meta"
    return found


@pytest.fixture(scope="module")
def server():
    with SandboxServer(make_generator().store) as server:
        yield server


def get(server, path: str, params: dict | None = None, token: str | None = META_ACCESS_TOKEN, version="v25.0"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{server.url}/{version}/{path}", params=params or {}, headers=headers)


def insights_params(**extra) -> dict:
    return {"level": "adset", "fields": ",".join(settings.INSIGHTS_FIELDS), "time_increment": "1",
            "time_range": json.dumps({"since": "2026-11-01", "until": "2026-11-20"}),
            "action_attribution_windows": json.dumps(list(settings.ATTRIBUTION_WINDOWS)), "limit": 500, **extra}


def enum(specs, name: str) -> set[str]:
    return set(specs["enums"][name])


def test_default_version_is_the_specs_version(specs):
    assert MetaAdsSettings.model_fields["api_version"].default == specs["version"] == "v25.0"


def test_connector_fields_and_params_are_in_the_specs(specs):
    assert set(settings.INSIGHTS_FIELDS) <= specs["insights"]
    assert set(settings.CAMPAIGN_FIELDS) <= specs["campaign"]
    assert set(settings.ADSET_FIELDS) <= specs["adset"]
    assert set(settings.ATTRIBUTION_WINDOWS) <= enum(specs, "adaccountinsights_action_attribution_windows_enum_param")
    assert set(settings.EFFECTIVE_STATUSES) <= enum(specs, "adaccountcampaigns_effective_status_enum_param")


def test_insights_rows_conform_to_the_specs(server, specs):
    response = get(server, f"{META_ACCOUNT_ID}/insights", insights_params())
    assert response.status_code == 200
    rows = response.json()["data"]
    assert rows and all(set(r) <= specs["insights"] for r in rows)
    stats_fields = {f["name"] for f in json.loads((specs_dir() / "meta" / "AdsActionStats.json").read_text())["fields"]}
    for row in rows:
        assert all(isinstance(row[k], str) for k in ("spend", "impressions", "clicks"))
        assert row["date_start"] == row["date_stop"]
        for item in row["actions"] + row.get("action_values", []):
            assert set(item) <= stats_fields and all(isinstance(v, str) for v in item.values())
    purchases = [a for r in rows for a in r["actions"] if a["action_type"] in settings.PURCHASE_ACTION_TYPES]
    assert purchases and all({"7d_click", "1d_view"} <= set(a) for a in purchases)


def test_campaigns_and_ad_sets_conform_to_the_specs(server, specs):
    campaigns = get(server, f"{META_ACCOUNT_ID}/campaigns", {"fields": ",".join(settings.CAMPAIGN_FIELDS)}).json()["data"]
    adsets = get(server, f"{META_ACCOUNT_ID}/adsets", {"fields": ",".join(settings.ADSET_FIELDS)}).json()["data"]
    assert campaigns and adsets
    for c in campaigns:
        assert set(c) <= specs["campaign"]
        assert c["status"] in enum(specs, "adaccountcampaigns_status_enum_param")
        assert c["effective_status"] in enum(specs, "adaccountcampaigns_effective_status_enum_param")
        assert c["objective"] in enum(specs, "adaccountcampaigns_objective_enum_param")
    for a in adsets:
        assert set(a) <= specs["adset"]
        assert a["optimization_goal"] in enum(specs, "adaccountadsets_optimization_goal_enum_param")
        assert a["effective_status"] in enum(specs, "adaccountadsets_effective_status_enum_param")
    budgets = [x["daily_budget"] for x in campaigns + adsets if "daily_budget" in x]
    assert budgets and all(b.isdigit() for b in budgets), "budgets are minor-unit integer strings"


@pytest.mark.parametrize("params, fragment", [
    ({"fields": "spend,not_a_field"}, "not_a_field is not valid for fields param"),
    ({"level": "galaxy"}, "Param level must be one of"),
    ({"action_attribution_windows": '["3d_click"]'}, "action_attribution_windows"),
    ({"time_increment": "400"}, "time_increment"),
])
def test_invalid_parameters_get_error_100(server, params, fragment):
    body = get(server, f"{META_ACCOUNT_ID}/insights", params).json()
    assert body["error"]["code"] == 100 and fragment in body["error"]["message"]
    assert set(body["error"]) >= {"message", "type", "code", "fbtrace_id"}


def test_token_and_version_errors(server):
    assert get(server, META_ACCOUNT_ID, token="EAAwrong").json()["error"]["code"] == 190
    assert get(server, META_ACCOUNT_ID, token=None).json()["error"]["code"] == 104
    query_token = httpx.get(f"{server.url}/v25.0/{META_ACCOUNT_ID}", params={"access_token": META_ACCESS_TOKEN})
    assert query_token.status_code == 200
    assert get(server, META_ACCOUNT_ID, version="v19.0").json()["error"]["code"] == 2635
    assert get(server, "act_999").json()["error"]["error_subcode"] == 33


def test_usage_headers_on_every_response(server):
    for response in (get(server, META_ACCOUNT_ID), get(server, META_ACCOUNT_ID, token="x")):
        usage = json.loads(response.headers["x-business-use-case-usage"])
        [entry] = usage["1029384756"]
        assert {"call_count", "estimated_time_to_regain_access", "type"} <= set(entry)
        assert "acc_id_util_pct" in json.loads(response.headers["x-ad-account-usage"])


def test_cursor_paging_walks_every_row_once_and_next_ends_it(server):
    all_rows = get(server, f"{META_ACCOUNT_ID}/insights", insights_params()).json()["data"]
    seen, params, pages = [], insights_params(limit=len(all_rows) // 3), 0
    while True:
        body = get(server, f"{META_ACCOUNT_ID}/insights", params).json()
        pages += 1
        seen += body["data"]
        if "next" not in body.get("paging", {}):
            break
        params["after"] = body["paging"]["cursors"]["after"]
    assert seen == all_rows
    assert pages >= 3 and body["data"] in ([], body["data"])


def test_async_report_run_state_machine(server, specs):
    params = insights_params()
    started = httpx.post(f"{server.url}/v25.0/{META_ACCOUNT_ID}/insights", data=params,
                         headers={"Authorization": f"Bearer {META_ACCESS_TOKEN}"}).json()
    run_id = started["report_run_id"]
    early = get(server, f"{run_id}/insights").json()
    assert early["error"]["code"] == 100
    statuses = []
    for _ in range(5):
        status = get(server, run_id).json()
        assert set(status) <= specs["report_run"]
        statuses.append(status["async_status"])
        if status["async_status"] == "Job Completed":
            assert status["async_percent_completion"] == 100
            break
    assert set(statuses) <= ASYNC_STATUSES and statuses[-1] == "Job Completed" and len(statuses) > 1
    rows = get(server, f"{run_id}/insights", {"limit": 500}).json()["data"]
    assert rows == get(server, f"{META_ACCOUNT_ID}/insights", insights_params()).json()["data"]


def test_throttle_is_http_400_with_a_graph_code(server):
    server.faults.add(Fault(api="meta", kind="429", count=3, retry_after=0.1))
    codes = []
    for _ in range(3):
        response = get(server, META_ACCOUNT_ID)
        assert response.status_code == 400 and response.json()["error"]["is_transient"] is True
        codes.append(response.json()["error"]["code"])
    assert set(codes) == {17, 80000, 80004}


def test_too_much_data_for_a_synchronous_call(server):
    server.api("meta").sync_row_limit = 10
    try:
        body = get(server, f"{META_ACCOUNT_ID}/insights", insights_params()).json()
    finally:
        server.api("meta").sync_row_limit = 2500
    assert body["error"]["error_subcode"] == 1487534


def test_restatement_changes_only_the_last_three_days(server):
    api = server.api("meta")
    before = {(r.ad_group_id, r.day): r for r in api.data().daily}
    epochs = httpx.post(f"{server.url}/_sandbox/restate").json()["restatement_epoch"]
    assert set(epochs) == {"meta", "google_ads"}
    after = {(r.ad_group_id, r.day): r for r in api.data().daily}
    changed = {key[1] for key, row in after.items() if before[key] != row}
    last = api.data().last_day
    assert changed and all((last - day).days < 3 for day in changed)
    assert all(after[k].spend >= before[k].spend for k in after), "late data only adds"


@pytest.mark.parametrize("seed, orders, days", [(7, 400, 45), (3, 300, 30), (11, 900, 120)])
def test_planted_marketing_truths(seed, orders, days):
    store = make_generator(orders=orders, days=days, seed=seed).store
    truths = planted_marketing_truths(store)
    assert truths["campaigns_below_roas_1"] == ["meta-brand-awareness"]
    assert truths["google_pays_back_within_90_days"] is True
    assert truths["meta_pays_back_within_history"] is False
    assert truths["google"]["net_sales_per_customer_90d"] > truths["google"]["cac"]
    assert truths["meta"]["best_net_sales_per_customer"] < truths["meta"]["cac"]


def test_derived_data_is_deterministic_and_covers_every_day():
    a, b = build_marketing(make_generator().store), build_marketing(make_generator().store)
    assert a.daily == b.daily and a.campaigns == b.campaigns
    days = {r.day for r in a.daily}
    assert len(days) == (a.last_day - a.first_day).days + 1


def test_explicit_records_are_served_as_given():
    store = make_generator().store
    store.extras["marketing"] = {
        "accounts": [{"platform": "meta", "account_id": META_ACCOUNT_ID, "name": "Given", "currency": "USD",
                      "timezone": "America/New_York"}],
        "campaigns": [{"platform": "meta", "account_id": META_ACCOUNT_ID, "campaign_id": "1", "name": "given",
                       "objective": "OUTCOME_SALES", "status": "ACTIVE", "daily_budget": "10.00",
                       "created_at": "2026-10-05T13:00:00Z"}],
        "ad_groups": [{"platform": "meta", "account_id": META_ACCOUNT_ID, "campaign_id": "1", "ad_group_id": "2",
                       "name": "given set", "status": "ACTIVE", "daily_budget": None,
                       "created_at": "2026-10-05T13:00:00Z"}],
        "daily": [{"platform": "meta", "account_id": META_ACCOUNT_ID, "campaign_id": "1", "ad_group_id": "2",
                   "day": "2026-11-01", "spend": "9.50", "impressions": 100, "clicks": 3, "purchases": 1,
                   "purchase_value": "40.00"}],
    }
    with SandboxServer(store) as server:
        rows = get(server, f"{META_ACCOUNT_ID}/insights", insights_params()).json()["data"]
    assert [(r["adset_id"], r["spend"], r["date_start"]) for r in rows] == [("2", "9.50", "2026-11-01")]


def test_deleted_and_archived_ad_sets_only_when_filtering_asks(server):
    """Meta's insights leave deleted and archived objects out below account level unless
    `filtering` on effective_status names them; the account total always includes them."""
    data = server.api("meta").data()
    removed = {g.ad_group_id for g in data.ad_groups if g.status in ("DELETED", "ARCHIVED")}
    assert removed
    time_range = json.dumps({"since": data.first_day.isoformat(), "until": data.last_day.isoformat()})

    def spend_by_adset(**extra) -> dict[str, float]:
        body = get(server, f"{META_ACCOUNT_ID}/insights", insights_params(
            level="adset", time_range=time_range, fields="adset_id,spend", time_increment="all_days", **extra)).json()
        return {r["adset_id"]: float(r["spend"]) for r in body["data"]}

    plain = spend_by_adset()
    assert not removed & set(plain)
    asked = spend_by_adset(filtering=json.dumps(list(settings.INSIGHTS_FILTERING)))
    assert removed <= set(asked)
    [account] = get(server, f"{META_ACCOUNT_ID}/insights", insights_params(
        level="account", time_range=time_range, fields="spend", time_increment="all_days")).json()["data"]
    assert round(sum(asked.values()), 2) == float(account["spend"]) > round(sum(plain.values()), 2)
