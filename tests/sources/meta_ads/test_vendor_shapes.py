"""Meta Marketing API responses shaped by Meta's codegen specs (``vendor_specs/meta``), served by a
small local Graph imitation instead of the sandbox, and loaded by the connector.

The specs type every insights number as a string and ``actions``/``action_values`` as
``list<AdsActionStats>``, whose attribution windows are keys of their own (``7d_click``,
``1d_view``) beside ``value``; an ad set's ``attribution_spec`` is ``list<AttributionSpec>``
(``event_type`` string, ``window_days`` int) and its times are Graph datetimes with the account's
offset. The server answers only the fields asked for, as Graph does, and every object it serves
is first checked against the spec's field names, types and enums.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from storeboard import pipeline
from storeboard.config import Config, MetaAdsSettings, SourcesSettings
from storeboard.sandbox.specs import specs_dir
from storeboard.sources.meta_ads.helpers import attribution_setting, flatten_insight
from storeboard.warehouse import Warehouse
from tests.sources.meta_ads.test_source import fast_client  # noqa: F401 (autouse)
from tests.sources.vendor_server import VendorServer

VERSION = (specs_dir() / "meta" / "version.txt").read_text().strip()
ACCOUNT = "act_230958114733201"
TIMEZONE = "Europe/Berlin"
CAMPAIGN = "120210000000000101"
ACTIVE, DELETED, NO_SPEC = "120210000000000201", "120210000000000202", "120210000000000203"
#: Graph's datetime: the account's offset, without a colon.
GRAPH_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}")


def _spec(node: str) -> dict[str, str]:
    return {f["name"]: f["type"] for f in json.loads((specs_dir() / "meta" / f"{node}.json").read_text())["fields"]}


ENUMS = {e["name"]: set(e["values"]) for e in json.loads((specs_dir() / "meta" / "enum_types.json").read_text())}
NODES = {"insights": _spec("AdsInsights"), "campaigns": _spec("Campaign"), "adsets": _spec("AdSet"),
         "account": _spec("AdAccount")}
ACTION_STATS = _spec("AdsActionStats")
#: AttributionSpec (Meta's codegen spec, not kept here: two fields).
ATTRIBUTION_SPEC = {"event_type": "string", "window_days": "int"}


def _conforms(obj: dict, node: str) -> None:
    """Every field of ``obj`` is in the node's spec, with the spec's type."""
    spec = NODES[node]
    for name, value in obj.items():
        kind = spec.get(name)
        assert kind is not None, f"{node} has no field {name}"
        if kind == "string":
            assert isinstance(value, str), (node, name, value)
        elif kind == "datetime":
            assert GRAPH_DATETIME.fullmatch(value), (node, name, value)
        elif kind == "list<AdsActionStats>":
            for item in value:
                assert set(item) <= set(ACTION_STATS) and all(isinstance(v, str) for v in item.values()), item
        elif kind == "list<AttributionSpec>":
            for item in value:
                assert set(item) == set(ATTRIBUTION_SPEC) and isinstance(item["window_days"], int), item
        elif kind in ENUMS:
            assert value in ENUMS[kind], (node, name, value)
        else:
            raise AssertionError(f"{node}.{name}: no check for spec type {kind}")


def _days() -> list[date]:
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    return [today - timedelta(days=3), today - timedelta(days=2)]


def _stats(action_type: str, value: str, **windows: str) -> dict:
    """One AdsActionStats entry: the windows asked for are keys named like ``7d_click``; a window
    with nothing attributed is left out, as Meta does."""
    return {"action_type": action_type, "value": value, **{k.lstrip("_"): v for k, v in windows.items()}}


def _insight(day: date, adset: str, name: str, spend: str, impressions: str, clicks: str,
             actions: list | None = None, values: list | None = None) -> dict:
    row = {"account_id": ACCOUNT.removeprefix("act_"), "account_currency": "EUR", "campaign_id": CAMPAIGN,
           "campaign_name": "Winter sale | Advantage+", "adset_id": adset, "adset_name": name,
           "date_start": day.isoformat(), "date_stop": day.isoformat(), "spend": spend,
           "impressions": impressions, "clicks": clicks}
    if actions is not None:  # a row without any action has no actions key at all
        row["actions"], row["action_values"] = actions, values
    return row


def _account() -> dict:
    return {"id": ACCOUNT, "account_id": ACCOUNT.removeprefix("act_"), "name": "Storeboard Test Shop EU",
            "currency": "EUR", "timezone_name": TIMEZONE}


def _campaigns() -> list[dict]:
    return [{"id": CAMPAIGN, "account_id": ACCOUNT.removeprefix("act_"), "name": "Winter sale | Advantage+",
             "objective": "OUTCOME_SALES", "status": "ACTIVE", "effective_status": "ACTIVE", "daily_budget": "5000",
             "created_time": "2026-10-01T09:30:00+0200", "start_time": "2026-10-01T10:00:00+0200",
             "updated_time": "2026-11-02T18:04:11+0100"}]


def _adsets() -> list[dict]:
    common = {"account_id": ACCOUNT.removeprefix("act_"), "campaign_id": CAMPAIGN, "optimization_goal": "OFFSITE_CONVERSIONS",
              "created_time": "2026-10-01T09:31:00+0200", "start_time": "2026-10-01T10:00:00+0200"}
    return [
        {**common, "id": ACTIVE, "name": "Lookalike 1% DE", "status": "ACTIVE", "effective_status": "ACTIVE",
         "daily_budget": "2500", "updated_time": "2026-11-02T18:04:11+0100",
         "attribution_spec": [{"event_type": "CLICK_THROUGH", "window_days": 7},
                              {"event_type": "VIEW_THROUGH", "window_days": 1}]},
        # deleted after spending: its insights still count, under its own one-day click setting
        {**common, "id": DELETED, "name": "Retargeting 30d", "status": "DELETED", "effective_status": "DELETED",
         "lifetime_budget": "40000", "updated_time": "2026-11-19T08:12:45+0100",
         "attribution_spec": [{"event_type": "CLICK_THROUGH", "window_days": 1}]},
        # no attribution_spec (Meta leaves it out for the default setting)
        {**common, "id": NO_SPEC, "name": "Broad DE", "status": "PAUSED", "effective_status": "CAMPAIGN_PAUSED",
         "daily_budget": "1500", "updated_time": "2026-11-10T12:00:00+0100"},
    ]


def _insights() -> list[dict]:
    first, second = _days()
    return [
        _insight(first, ACTIVE, "Lookalike 1% DE", "41.37", "5120", "88",
                 actions=[_stats("link_click", "88", _1d_click="80", _7d_click="88"),
                          _stats("offsite_conversion.fb_pixel_purchase", "3", _1d_click="2", _7d_click="3"),
                          _stats("omni_purchase", "4", _1d_click="2", _7d_click="3", _1d_view="1"),
                          _stats("purchase", "4", _1d_click="2", _7d_click="3", _1d_view="1")],
                 values=[_stats("offsite_conversion.fb_pixel_purchase", "149.7", _1d_click="99.8", _7d_click="149.7"),
                         _stats("omni_purchase", "199.6", _1d_click="99.8", _7d_click="149.7", _1d_view="49.9")]),
        _insight(first, DELETED, "Retargeting 30d", "12.05", "1630", "21",
                 actions=[_stats("omni_purchase", "1", _1d_click="1", _7d_click="2")],
                 values=[_stats("omni_purchase", "64.5", _1d_click="64.5", _7d_click="129")]),
        _insight(second, ACTIVE, "Lookalike 1% DE", "39.9", "4870", "75",
                 actions=[_stats("link_click", "75", _1d_click="75", _7d_click="75")],
                 values=[]),
        _insight(second, NO_SPEC, "Broad DE", "3.1", "402", "2"),
    ]


def _account_insights() -> list[dict]:
    by_day: dict[str, list[dict]] = {}
    for row in _insights():
        by_day.setdefault(row["date_start"], []).append(row)
    return [{"account_id": ACCOUNT.removeprefix("act_"), "account_currency": "EUR", "date_start": day, "date_stop": day,
             "spend": str(sum(Decimal(r["spend"]) for r in rows)),
             "impressions": str(sum(int(r["impressions"]) for r in rows)),
             "clicks": str(sum(int(r["clicks"]) for r in rows))} for day, rows in by_day.items()]


def test_the_served_objects_follow_the_specs():
    _conforms(_account(), "account")
    for campaign in _campaigns():
        _conforms(campaign, "campaigns")
    for adset in _adsets():
        _conforms(adset, "adsets")
    for row in _insights() + _account_insights():
        _conforms(row, "insights")
    with pytest.raises(AssertionError):  # the check is not vacuous
        _conforms(dict(_insights()[0], spend=41.37), "insights")


def test_flatten_insight_reads_the_spec_shaped_rows():
    active, deleted, only_clicks, no_actions = _insights()
    record = flatten_insight(active, "7d_click_1d_view")
    # omni_purchase first, never added to purchase / the pixel's own count
    assert (record["purchase_action_type"], record["purchases"], record["purchase_value"]) == ("omni_purchase", "4", "199.6")
    assert (record["purchases_1d_click"], record["purchases_7d_click"], record["purchases_1d_view"]) == ("2", "3", "1")
    assert (record["purchase_value_7d_click"], record["purchase_value_1d_view"]) == ("149.7", "49.9")
    assert (record["account_id"], record["spend"], record["impressions"], record["clicks"]) == (
        "230958114733201", "41.37", "5120", "88")
    record = flatten_insight(deleted, attribution_setting(_adsets()[1]["attribution_spec"]))
    assert (record["attribution_window"], record["purchases"], record["purchase_value"]) == ("1d_click", "1", "64.5")
    assert (record["purchases_1d_view"], record["purchase_value_1d_view"]) == ("0", "0"), "a window Meta left out"
    for row in (only_clicks, no_actions):
        record = flatten_insight(row)
        assert (record["purchase_action_type"], record["purchases"], record["purchase_value"]) == (None, "0", "0")


class Graph:
    """Answers the connector's Graph reads: the account node, its campaigns and adsets edges, and
    insights at ad-set or account level for a ``time_range``, in pages of two with cursors."""

    def __init__(self):
        self.fields_asked: dict[str, set[str]] = {}
        self.pages_after_the_first: list[str] = []

    def __call__(self, method, path, params, body):
        one = {k: v[-1] for k, v in params.items()}
        parts = path.strip("/").split("/")
        if method != "GET" or parts[0] != VERSION or parts[1] != ACCOUNT:
            return 400, {"error": {"message": f"Unsupported {method} request {path}", "type": "GraphMethodException",
                                   "code": 100, "error_subcode": 33}}
        fields = one["fields"].split(",") if "fields" in one else []
        edge = parts[2] if len(parts) > 2 else "account"
        self.fields_asked.setdefault(edge, set()).update(fields)
        if edge == "account":
            return 200, {k: v for k, v in _account().items() if k in fields or k == "id"}
        if edge in ("campaigns", "adsets"):
            objects = _campaigns() if edge == "campaigns" else _adsets()
            wanted = set(json.loads(one["effective_status"]))
            objects = [o for o in objects if o["effective_status"] in wanted]
        else:
            window = json.loads(one["time_range"])
            rows = _insights() if one["level"] == "adset" else _account_insights()
            objects = [r for r in rows if window["since"] <= r["date_start"] <= window["until"]]
        # only the fields asked for (and a node's id), as Graph answers
        objects = [{k: v for k, v in o.items() if k in fields or (k == "id" and edge != "insights")} for o in objects]
        start = int(one.get("after", "0"))
        if start:
            self.pages_after_the_first.append(edge)
        page = {"data": objects[start:start + 2]}
        if objects:
            page["paging"] = {"cursors": {"before": str(start), "after": str(start + 2)}}
            if start + 2 < len(objects):
                page["paging"]["next"] = f"https://graph.facebook.com/{VERSION}/{ACCOUNT}/{edge}?after={start + 2}"
        return 200, page


@pytest.fixture
def loaded(tmp_path):
    graph = Graph()
    with VendorServer(graph) as server:
        config = Config(warehouse=SecretStr("duckdb:///meta.duckdb"), base_dir=tmp_path, sources=SourcesSettings(
            meta_ads=MetaAdsSettings(access_token=SecretStr("EAAvendorshapes"), account_ids=[ACCOUNT],
                                     base_url=server.url, api_version=VERSION,
                                     start_date=_days()[0].isoformat(), lookback_days=0)))
        pipeline.extract_load(config, "meta_ads")
        yield config, graph


def _query(config, sql: str) -> list[dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query(sql)


def test_every_field_the_connector_asks_for_is_in_the_spec(loaded):
    _, graph = loaded
    assert set(graph.fields_asked) == {"account", "campaigns", "adsets", "insights"}
    for edge, fields in graph.fields_asked.items():
        assert fields <= set(NODES[edge]), (edge, fields - set(NODES[edge]))
    assert "insights" in graph.pages_after_the_first and "adsets" in graph.pages_after_the_first, "cursor paging"


def test_the_loaded_rows_keep_the_spec_shaped_values(loaded):
    config, _ = loaded
    assert _query(config, "select count(*) as n from information_schema.tables "
                          "where table_schema = 'raw_meta_ads' and table_name = 'quarantine'")[0]["n"] == 0
    first, second = (d.isoformat() for d in _days())
    rows = {(str(r["date_start"]), r["adset_id"]): r for r in _query(
        config, "select * from raw_meta_ads.insights")}
    assert set(rows) == {(first, ACTIVE), (first, DELETED), (second, ACTIVE), (second, NO_SPEC)}
    active = rows[(first, ACTIVE)]
    assert (active["account_id"], active["account_currency"], active["campaign_id"], active["spend"]) == (
        "230958114733201", "EUR", CAMPAIGN, "41.37")
    assert (active["purchase_action_type"], active["purchases"], active["purchase_value"]) == ("omni_purchase", "4", "199.6")
    assert (active["attribution_window"], active["purchases_7d_click"], active["purchase_value_1d_view"]) == (
        "7d_click_1d_view", "3", "49.9")
    deleted = rows[(first, DELETED)]
    assert (deleted["attribution_window"], deleted["purchases"], deleted["purchase_value"], deleted["spend"]) == (
        "1d_click", "1", "64.5", "12.05")
    assert (rows[(second, NO_SPEC)]["attribution_window"], rows[(second, NO_SPEC)]["purchases"]) == ("7d_click_1d_view", "0")
    totals = {str(r["date_start"]): r for r in _query(config, "select * from raw_meta_ads.account_insights")}
    assert (totals[first]["spend"], totals[first]["impressions"], totals[second]["spend"]) == ("53.42", "6750", "43.0")


def test_the_deleted_ad_set_loads_with_its_setting_and_times(loaded):
    config, _ = loaded
    sets = {r["id"]: r for r in _query(config, "select * from raw_meta_ads.ad_sets")}
    assert set(sets) == {ACTIVE, DELETED, NO_SPEC}
    deleted = sets[DELETED]
    assert (deleted["status"], deleted["effective_status"], deleted["attribution_window"]) == ("DELETED", "DELETED", "1d_click")
    assert (deleted["lifetime_budget"], deleted["daily_budget"], deleted["account_currency"]) == ("40000", None, "EUR")
    assert "attribution_spec" not in deleted, "kept as its label, not as a child table"
    assert sets[NO_SPEC]["attribution_window"] == "7d_click_1d_view"
    # Graph datetimes carry the account's offset (+0100 in winter): the instant is kept
    updated = deleted["updated_time"]
    updated = datetime.fromisoformat(updated) if isinstance(updated, str) else updated
    assert updated == datetime.fromisoformat("2026-11-19T07:12:45+00:00")
    [campaign] = _query(config, "select * from raw_meta_ads.campaigns")
    assert (campaign["id"], campaign["objective"], campaign["daily_budget"], campaign["effective_status"]) == (
        CAMPAIGN, "OUTCOME_SALES", "5000", "ACTIVE")
