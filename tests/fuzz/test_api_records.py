"""Property and fuzz tests of the record checks every API connector runs before loading.

A record from an API is outside input. For any JSON a vendor could send, each connector's check
either raises ``RecordProblem`` (the record is quarantined, ``sources/quarantine.py``) or accepts
it, and then everything the load and the staging casts rely on holds: ids are strings of the
expected shape, cursor timestamps are ISO 8601 strings with an offset (they are compared as
strings), amounts and counts cast in the warehouse (DuckDB is the judge). Nothing else escapes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings, strategies as st

from storeboard.sources.arrow_tables import nested_items
from storeboard.sources.google_ads.helpers import check_entity, check_metrics, flatten_row
from storeboard.sources.hubspot import settings as hubspot_settings
from storeboard.sources.hubspot.helpers import _stamp, check_record as check_hubspot
from storeboard.sources.hubspot.tables import DEAL_ASSOCIATIONS, SHAPES as HUBSPOT_SHAPES
from storeboard.sources.meta_ads.helpers import check_object, flatten_insight
from storeboard.sources.quarantine import QUARANTINE_TABLE, RecordProblem, quarantined
from storeboard.sources.shopify.helpers import check_customer, check_order
from storeboard.sources.shopify.tables import order_items
from storeboard.sources.stripe.helpers import check_record as check_stripe
from storeboard.sources.stripe.settings import RESOURCES
from tests.fuzz.conftest import decimal_fits

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
INT64 = 2**63

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["", "NaN", "Infinity", "-Infinity", "1e999999", "1_000", "²", "١٢", " 12", "12 ", "0x1F",
                     "20240101", "99991231", "2024-01-01", "2024-01-01T00:00:00", "2024-02-30T00:00:00Z",
                     "2024-01-01T00:00:00+05:00", "gid://shopify/Order/", "12.50", "-3"]),
)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def maybe(valid) -> st.SearchStrategy:
    """Mostly the valid value, sometimes anything a vendor could send instead."""
    return st.one_of(valid, valid, json_value)


def record(fields: dict) -> st.SearchStrategy:
    """A record whose fields are each valid or corrupted, and sometimes missing."""
    return st.fixed_dictionaries({}, optional={k: maybe(v) for k, v in fields.items()}) | st.fixed_dictionaries(
        {k: maybe(v) for k, v in fields.items()})


def assert_cursor_stamp(value) -> None:
    """A cursor value: compared as a string with other cursor values, so it must be one shape."""
    assert isinstance(value, str) and RFC3339.fullmatch(value), value
    assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def assert_money(value, casts) -> None:
    amount = Decimal(str(value))
    assert decimal_fits(amount), value
    assert casts(value, "decimal(18, 4)") is not None


def assert_count(value, casts) -> None:
    assert isinstance(value, (str, int)) and not isinstance(value, bool), value
    assert casts(value, "bigint") == int(value) and 0 <= int(value) < INT64


def assert_loads_or_names_a_field(items, problems) -> None:
    """A checked record becomes one row of its table, or is set aside naming a field: never an exception."""
    if problems:
        [(_, problem)] = problems
        assert problem.field and problem.reason
        return
    assert items and getattr(items[0], "data", items[0]).num_rows == 1


def assert_quarantine_row(resource: str, rec, problem: RecordProblem) -> None:
    row = quarantined(resource, rec, problem)
    data = row.data if hasattr(row, "data") else row
    assert data["field"] == problem.field and data["reason"] == problem.reason
    assert data["record_id"] is None or isinstance(data["record_id"], str)
    assert len(data["payload"]) <= 20_000
    assert QUARANTINE_TABLE == "quarantine"


money = st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False).map(str)
stamp = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda d: d.replace(microsecond=0).isoformat() + "Z")


# -- Shopify ----------------------------------------------------------------------------------
line_item = record({"id": st.just("gid://shopify/LineItem/1"), "quantity": st.integers(0, 50),
                    "originalUnitPriceSet": st.fixed_dictionaries({"shopMoney": st.fixed_dictionaries({"amount": money})})})
order = record({
    "id": st.integers(1, 10**6).map(lambda n: f"gid://shopify/Order/{n}"), "updatedAt": stamp, "processedAt": stamp,
    **{f: st.fixed_dictionaries({"shopMoney": st.fixed_dictionaries({"amount": money})})
       for f in ("totalPriceSet", "subtotalPriceSet", "totalDiscountsSet")},
    "lineItems": st.lists(line_item, max_size=2),
})


ORDER_BASE = {"id": "gid://shopify/Order/1", "updatedAt": "2000-01-01T00:00:00Z", "processedAt": "2000-01-01T00:00:00Z",
              "totalPriceSet": {"shopMoney": {"amount": "0.00"}}, "subtotalPriceSet": {"shopMoney": {"amount": "0.00"}}}


@FUZZ
@given(rec=order)
@example(rec={"id": "gid://shopify/Order/1", "updatedAt": 20240101, "processedAt": "2024-01-01T00:00:00Z",
              "totalPriceSet": {"shopMoney": {"amount": "1"}}, "subtotalPriceSet": {"shopMoney": {"amount": "1"}},
              "totalDiscountsSet": {"shopMoney": {"amount": "0"}}})
@example(rec={"id": "gid://shopify/Order/1", "updatedAt": "99991231", "processedAt": "2024-01-01T00:00:00Z",
              "totalPriceSet": {"shopMoney": {"amount": "1"}}, "subtotalPriceSet": {"shopMoney": {"amount": "1"}},
              "totalDiscountsSet": {"shopMoney": {"amount": "0"}}})
@example(rec={"id": "gid://shopify/Order/1", "updatedAt": "2024-01-01T00:00:00Z", "processedAt": "2024-01-01T00:00:00Z",
              "totalPriceSet": {"shopMoney": {"amount": "NaN"}}, "subtotalPriceSet": {"shopMoney": {"amount": "1"}},
              "totalDiscountsSet": {"shopMoney": {"amount": "0"}}})
# a line, a money set or the lines that are not objects/lists (found by CI's fuzzing)
@example(rec={**ORDER_BASE, "totalDiscountsSet": {"shopMoney": {"amount": "0.00"}}, "lineItems": [None]})
@example(rec={**ORDER_BASE, "totalDiscountsSet": True, "lineItems": []})
@example(rec={**ORDER_BASE, "totalDiscountsSet": {"shopMoney": {"amount": "0.00"}}, "lineItems": True})
def test_shopify_order_is_loadable_or_quarantined(rec, casts):
    try:
        check_order(rec)
    except RecordProblem as problem:
        assert_quarantine_row("orders", rec, problem)
        return
    assert rec["id"].startswith("gid://shopify/Order/")
    assert_cursor_stamp(rec["updatedAt"])
    assert_cursor_stamp(rec["processedAt"])
    for field in ("totalPriceSet", "subtotalPriceSet", "totalDiscountsSet"):
        assert_money(rec[field]["shopMoney"]["amount"], casts)
    for line in rec.get("lineItems") or []:
        assert isinstance(line["quantity"], int) and abs(line["quantity"]) < INT64
        assert_money(line["originalUnitPriceSet"]["shopMoney"]["amount"], casts)
        line["orderId"] = rec["id"]  # as the client's flattening does
    assert_loads_or_names_a_field(*order_items([rec], tombstones=True))


@FUZZ
@given(rec=record({"id": st.just("gid://shopify/Customer/7"), "updatedAt": stamp}))
def test_shopify_customer_is_loadable_or_quarantined(rec):
    try:
        check_customer(rec)
    except RecordProblem as problem:
        assert_quarantine_row("customers", rec, problem)
        return
    assert_cursor_stamp(rec["updatedAt"])


# -- Stripe -----------------------------------------------------------------------------------
@FUZZ
@given(data=st.data(), resource=st.sampled_from(RESOURCES))
@example(data=None, resource=RESOURCES[0])
def test_stripe_object_is_loadable_or_quarantined(data, resource):
    valid = {"id": st.sampled_from(["ch_abc", "py_abc", "pyr_abc", "txn_abc"]), "object": st.just(resource.object_type),
             "currency": st.just("usd"),
             **{f: st.integers(0, 10**9) for f in resource.integer_fields}}
    rec = data.draw(st.one_of(record(valid), json_value)) if data else {
        "id": "ch_1", "created": 1, "amount": 10**20, "currency": "usd"}
    try:
        check_stripe(resource, rec)
    except RecordProblem as problem:
        assert_quarantine_row(resource.name, rec, problem)
        return
    assert isinstance(rec["id"], str) and rec["id"]
    assert rec.get("object") in (None, resource.object_type)
    for field in resource.integer_fields:
        value = rec.get(field)
        if value is not None:
            assert isinstance(value, int) and not isinstance(value, bool) and -INT64 <= value < INT64, (field, value)
    table, problems = resource.shape.table_of([rec])
    assert_loads_or_names_a_field([table] if table.num_rows else [], problems)


# -- HubSpot ----------------------------------------------------------------------------------
@FUZZ
@given(data=st.data(), object_type=st.sampled_from(["contacts", "companies", "deals"]))
@example(data=None, object_type="contacts")
def test_hubspot_record_is_loadable_or_quarantined(data, object_type, casts):
    modified = hubspot_settings.MODIFIED_PROPERTY[object_type]
    props = {"createdate": stamp, modified: stamp, "closedate": stamp, "amount": money, "email": st.just("a@b.c")}
    valid = {"id": st.integers(1, 10**9).map(str), "createdAt": stamp, "updatedAt": stamp, "properties": record(props)}
    # The explicit example: no modified date at all, which the cursor is built from.
    rec = data.draw(record(valid)) if data else {"id": "1", "createdAt": "2024-01-01T00:00:00Z",
                                                 "updatedAt": "2024-01-01T00:00:00Z", "properties": {}}
    try:
        check_hubspot(object_type, rec)
    except RecordProblem as problem:
        assert_quarantine_row(object_type, rec, problem)
        return
    assert rec["id"].isascii() and rec["id"].isdigit() and int(rec["id"]) < INT64
    assert_cursor_stamp(rec["updatedAt"])
    # The incremental loader compares this with the cursor: it must be a cursor stamp too.
    assert_cursor_stamp(_stamp(rec, modified))
    if object_type == "deals" and rec["properties"].get("amount") is not None:
        assert_money(rec["properties"]["amount"], casts)
    children = DEAL_ASSOCIATIONS if object_type == "deals" else ()
    assert_loads_or_names_a_field(*nested_items(HUBSPOT_SHAPES[object_type], children, [rec], tombstones=True))


# -- Meta Ads ---------------------------------------------------------------------------------
count_text = st.integers(0, 10**9).map(str)
actions = st.lists(st.fixed_dictionaries({"action_type": st.sampled_from(["purchase", "offsite_conversion.fb_pixel_purchase",
                                                                         "link_click"]),
                                          "value": count_text, "7d_click": count_text, "1d_view": count_text}),
                   max_size=2)


@FUZZ
@given(row=record({"account_id": st.just("1029384756"), "campaign_id": st.just("23851"), "adset_id": st.just("23852"),
                   "date_start": st.dates().map(str), "spend": money, "impressions": count_text, "clicks": count_text,
                   "actions": actions, "action_values": actions}))
@example(row={"account_id": "1", "campaign_id": "2", "adset_id": "3", "date_start": "2024-01-01", "impressions": "²"})
@example(row={"account_id": "1", "campaign_id": "2", "adset_id": "3", "date_start": "2024-01-01", "spend": "NaN"})
@example(row={"account_id": "1", "campaign_id": "2", "adset_id": "3", "date_start": "2024-01-01",
              "action_values": [{"action_type": "purchase", "value": "Infinity"}]})
def test_meta_insight_is_loadable_or_quarantined(row, casts):
    try:
        flat = flatten_insight(row)
    except RecordProblem as problem:
        assert_quarantine_row("insights", row, problem)
        return
    for key, value in flat.items():
        if key in ("impressions", "clicks") or key.startswith("purchases"):
            assert_count(value, casts)
        elif key in ("spend",) or key.startswith("purchase_value"):
            assert_money(value, casts)


@FUZZ
@given(obj=record({"id": st.just("23851"), "name": st.text(max_size=5), "daily_budget": count_text,
                   "lifetime_budget": count_text, "campaign_id": st.just("1")}),
       kind=st.sampled_from(["campaigns", "adsets"]))
@example(obj={"id": "1", "name": "x", "daily_budget": "١٢"}, kind="campaigns")
def test_meta_object_is_loadable_or_quarantined(obj, kind, casts):
    try:
        check_object(obj, kind)
    except RecordProblem as problem:
        assert_quarantine_row(kind, obj, problem)
        return
    for field in ("daily_budget", "lifetime_budget"):
        if obj.get(field) is not None:
            assert_count(obj[field], casts)


# -- Google Ads -------------------------------------------------------------------------------
digits = st.integers(1, 10**12).map(str)


@FUZZ
@given(row=st.fixed_dictionaries({}, optional={
    "customer": maybe(st.fixed_dictionaries({"id": digits})),
    "campaign": maybe(st.fixed_dictionaries({"id": digits})),
    "adGroup": maybe(st.fixed_dictionaries({"id": digits})),
    "segments": maybe(st.fixed_dictionaries({"date": st.dates().map(str)})),
    "metrics": maybe(st.fixed_dictionaries({}, optional={"costMicros": maybe(digits), "impressions": maybe(digits),
                                                         "clicks": maybe(digits),
                                                         "conversions": maybe(st.floats(0, 1e6)),
                                                         "conversionsValue": maybe(st.floats(0, 1e6))})),
}))
@example(row={"customer": {"id": "1"}, "campaign": {"id": "2"}, "adGroup": {"id": "3"}, "segments": {"date": "2024-01-01"},
              "metrics": {"conversions": "NaN"}})
@example(row={"customer": {"id": "1"}, "campaign": {"id": "2"}, "adGroup": {"id": "3"}, "segments": {"date": "2024-01-01"},
              "metrics": {"costMicros": "١٢"}})
def test_google_ads_metrics_row_is_loadable_or_quarantined(row, casts):
    try:
        flat = check_metrics(flatten_row(row))
    except RecordProblem as problem:
        assert_quarantine_row("ad_group_metrics", row, problem)
        return
    for field in ("customer_id", "campaign_id", "ad_group_id", "cost_micros", "impressions", "clicks"):
        assert_count(flat[field], casts)
    for field in ("conversions", "conversions_value"):
        assert isinstance(flat[field], str) and Decimal(flat[field]).is_finite(), flat[field]
        assert casts(flat[field], "double") is not None


@FUZZ
@given(row=st.fixed_dictionaries({}, optional={"customer": maybe(st.fixed_dictionaries({"id": digits})),
                                               "campaign": maybe(st.fixed_dictionaries({"id": digits}))}))
def test_google_ads_entity_is_loadable_or_quarantined(row, casts):
    try:
        flat = check_entity(flatten_row(row), ("customer_id", "campaign_id"))
    except RecordProblem as problem:
        assert_quarantine_row("campaigns", row, problem)
        return
    assert_count(flat["customer_id"], casts)
    assert_count(flat["campaign_id"], casts)


# -- the quarantine row itself ----------------------------------------------------------------
@FUZZ
@given(rec=json_value, field=st.text(max_size=20), reason=st.text(max_size=80))
def test_any_record_can_be_quarantined(rec, field, reason):
    problem = RecordProblem(field, reason)
    row = quarantined("orders", rec, problem)
    data = row.data if hasattr(row, "data") else row
    assert data["resource"] == "orders" and data["reason"] == reason
    payload = data["payload"]
    if len(payload) < 20_000:
        assert json.loads(payload) is not None or rec is None
