"""The Stripe source over HTTP against the sandbox, into DuckDB and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from storeboard import pipeline, replay
from storeboard.errors import SourceAuthError
from storeboard.sandbox.faults import Fault
from tests.conftest import AS_OF
from tests.sources.stripe.conftest import load, query, stripe_config

#: Columns compared row by row with the sandbox's charges (raw name -> field in the Stripe object).
CHARGE_COLUMNS = {
    "id": "id", "amount": "amount", "amount_captured": "amount_captured", "amount_refunded": "amount_refunded",
    "currency": "currency", "created": "created", "customer": "customer", "payment_intent": "payment_intent",
    "balance_transaction": "balance_transaction", "status": "status", "refunded": "refunded", "livemode": "livemode",
    "description": "description", "receipt_email": "receipt_email",
}


def _norm(value):
    return None if value is None else value if isinstance(value, (bool, str)) else int(value)


def assert_raw_equals_sandbox(config, api) -> None:
    """raw_stripe equals what the sandbox serves: charges row by row, the rest by id and amounts."""
    data = api.data()
    rows = query(config, f"select {', '.join(CHARGE_COLUMNS)}, metadata ->> 'order_id' as metadata_order_id, "
                         "order_reference from raw_stripe.charges")
    raw = {r["id"]: r for r in rows}
    assert len(rows) == len(raw), "no duplicate charges"
    expected = {c["id"]: c for c in data.lists["charges"]}
    assert set(raw) == set(expected)
    for charge_id, charge in expected.items():
        row = raw[charge_id]
        for column, field in CHARGE_COLUMNS.items():
            assert _norm(row[column]) == _norm(charge[field]), (charge_id, column)
        assert row["metadata_order_id"] == row["order_reference"] == charge["metadata"].get("order_id")
    for table, fields in (("refunds", ("amount", "charge", "created")),
                          ("balance_transactions", ("amount", "fee", "net", "source", "status")),
                          ("payment_intents", ("amount", "latest_charge", "status")),
                          ("customers", ("email", "created"))):
        got = {r["id"]: tuple(_norm(r[f]) for f in fields)
               for r in query(config, f"select id, {', '.join(fields)} from raw_stripe.{table}")}
        want = {o["id"]: tuple(_norm(o[f]) for f in fields) for o in data.lists[table]}
        assert got == want, table
        assert query(config, f"select count(*) as n from raw_stripe.{table}")[0]["n"] == len(want), f"{table} duplicated"


def test_backfill_then_incremental(tmp_path, warehouse_url, sandbox, generator, stripe_api):
    config = stripe_config(tmp_path, warehouse_url, sandbox.url, lookback_days=7, api_version="2026-09-30.endive")
    counts = load(config)
    assert counts["charges"] == len(stripe_api.data().lists["charges"])
    assert_raw_equals_sandbox(config, stripe_api)

    later = AS_OF + timedelta(hours=2)
    new_orders = generator.add_orders(8, later)
    old = next(o for o in generator.store.orders if not o.refunds and not o.test and not o.cancelled_at
               and o.transactions[0].gateway == "stripe" and o.processed_at < AS_OF - timedelta(days=20))
    generator.refund(old, later + timedelta(minutes=5), full=True)
    recent = next(o for o in reversed(generator.store.orders) if not o.refunds and not o.test and o not in new_orders
                  and o.transactions[0].gateway == "stripe" and o.processed_at > AS_OF - timedelta(days=3))
    generator.refund(recent, later + timedelta(minutes=6), full=False)

    refunds_before = query(config, "select count(*) as n from raw_stripe.refunds")[0]["n"]
    second = load(config)
    assert second["charges"] < counts["charges"], "the second run reads the look-back window, not everything"
    assert query(config, "select count(*) as n from raw_stripe.refunds")[0]["n"] == refunds_before + 2
    assert_raw_equals_sandbox(config, stripe_api)
    refunded = query(config, f"select amount_refunded, refunded from raw_stripe.charges where order_reference = '{old.name}'")
    assert refunded[0]["refunded"] is True, "a refund of a charge older than the look-back updates the charge"
    new_card = [o for o in new_orders if o.transactions[0].gateway == "stripe"]
    names = {r["order_reference"] for r in query(config, "select order_reference from raw_stripe.charges")}
    assert {o.name for o in new_card} <= names


def test_later_runs_find_changed_objects_through_events(tmp_path, sandbox, generator, stripe_api):
    """With a usable event history a run reads each list from its cursor, the older objects that
    changed from their events, and balance transactions from the oldest still pending: even with
    a 30-day look-back configured, nothing else is read again."""
    config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, lookback_days=30)
    load(config)
    pending = query(config, "select count(*) as n from raw_stripe.balance_transactions where status = 'pending'")[0]["n"]
    assert pending > 0

    before = stripe_api.data().reference
    later = AS_OF + timedelta(days=10)  # the sandbox's clock moves on: pending balances become available
    new_orders = generator.add_orders(6, later)
    old = _refund_an_old_charge(generator)
    second = load(config)

    new_charges = sum(1 for o in new_orders if o.transactions[0].gateway == "stripe")
    # Ten days on, disputes of older charges open or close: their events bring those charges too.
    disputed = {e["data"]["object"]["charge"] for e in stripe_api.data().lists["events"]
                if e["type"].startswith("charge.dispute.") and e["created"] > before}
    # + the refunded one (+ one at the cursor)
    assert new_charges <= second["charges"] <= new_charges + 2 + len(disputed), second
    assert second.get("customers", 0) <= len(new_orders) + 1
    assert second["balance_transactions"] < len(stripe_api.data().lists["balance_transactions"]) // 2
    assert_raw_equals_sandbox(config, stripe_api)  # statuses included: the pending ones were read again
    [charge] = query(config, f"select refunded from raw_stripe.charges where order_reference = '{old.name}'")
    assert charge["refunded"] is True


def test_second_run_reads_only_the_look_back(tmp_path, sandbox, stripe_api):
    config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, lookback_days=0)
    load(config)
    again = load(config)
    assert again.get("customers", 0) <= 2 and again.get("charges", 0) <= 2, again
    assert_raw_equals_sandbox(config, stripe_api)


@pytest.mark.parametrize("kind", ["429", "500", "drop"])
def test_transport_faults_end_with_the_same_data(tmp_path, sandbox, stripe_api, kind):
    sandbox.faults.add(Fault(api="stripe", kind=kind, count=2, retry_after=1, path_contains="/v1/charges"))
    config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url)
    load(config)
    assert sandbox.faults.fired[("stripe", kind)] == 2
    assert_raw_equals_sandbox(config, stripe_api)


def test_malformed_record_is_quarantined_then_loaded(tmp_path, sandbox, stripe_api):
    sandbox.faults.add(Fault(api="stripe", kind="malformed", path_contains="/v1/charges"))
    config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url)
    load(config)
    [row] = query(config, "select resource, record_id, field, payload from raw_stripe.quarantine")
    assert row["resource"] == "charges" and row["field"] == "amount"
    assert json.loads(row["payload"])["id"] == row["record_id"]  # kept whole
    assert query(config, f"select count(*) as n from raw_stripe.charges where id = '{row['record_id']}'")[0]["n"] == 0
    # The cursor moved past it: the charges after it are loaded, and it is not read again.
    newest = max(c["created"] for c in stripe_api.data().lists["charges"] if c["id"] != row["record_id"])
    assert query(config, "select max(created) as m from raw_stripe.charges")[0]["m"] == newest
    # The replay reads it again by id (the vendor sends it intact now), loads it, and empties quarantine.
    assert replay.replay_quarantine(config, ["stripe"])["stripe"] == replay.Replayed(loaded=1, still_quarantined=0)
    assert query(config, "select count(*) as n from raw_stripe.quarantine")[0]["n"] == 0
    assert_raw_equals_sandbox(config, stripe_api)


@pytest.mark.parametrize("kind", ["duplicate", "out_of_order"])
def test_duplicate_and_reordered_pages_change_nothing(tmp_path, sandbox, stripe_api, kind):
    sandbox.faults.add(Fault(api="stripe", kind=kind, count=3))
    config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, page_size=50)
    load(config)
    assert_raw_equals_sandbox(config, stripe_api)


def test_wrong_key_is_one_line_auth_error(tmp_path, sandbox):
    config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, api_key="sk_live_revoked_key_9999")
    with pytest.raises(Exception) as info:
        pipeline.extract_load(config, "stripe")
    error = pipeline._root_cause(info.value)
    assert isinstance(error, SourceAuthError) and error.source == "stripe"
    message = str(error)
    assert "\n" not in message
    assert "Stripe returned 401" in message and "STRIPE_API_KEY" in message and "storeboard doctor" in message
    assert "revoked" not in message and "9999" not in message


def _refund_an_old_charge(generator):
    later = AS_OF + timedelta(hours=2)
    old = next(o for o in generator.store.orders if not o.refunds and not o.test and not o.cancelled_at
               and o.transactions[0].gateway == "stripe" and o.processed_at < AS_OF - timedelta(days=20))
    generator.refund(old, later + timedelta(minutes=5), full=True)
    return old


@pytest.mark.parametrize("failing", ["/v1/charges/ch_", "/v1/events"], ids=["from-events", "by-id-when-events-fail"])
def test_refunded_old_charges_are_brought_up_to_date(tmp_path, sandbox, generator, stripe_api, failing):
    """From ``charge.refunded`` events in one list (reading a charge by id would fail the run), or,
    when the events list fails, by reading each charge by id."""
    config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, lookback_days=7)
    load(config)
    old = _refund_an_old_charge(generator)
    sandbox.faults.add(Fault(api="stripe", kind="500", count=-1, path_contains=failing))
    load(config)
    sandbox.faults.clear()
    [charge] = query(config, f"select amount_refunded, refunded from raw_stripe.charges where order_reference = '{old.name}'")
    assert charge["refunded"] is True
    assert_raw_equals_sandbox(config, stripe_api)
