"""A Stripe fee that settles after its day closed restates that day's contribution margin
(issue 22), hand-computed on a one-order store refreshed twice.

The store (UTC, USD) sells in week W, the ISO week two weeks before today, so W is closed:
order #1001 on W Tuesday, one lamp at 50.00 (cost 20.00), paid through Stripe by bank debit
(a ``py_`` charge). A bank debit takes days to clear: at the first refresh the charge is still
``pending`` and Stripe has booked no balance transaction for it (``Charge.balance_transaction``
is nullable in Stripe's OpenAPI spec), so its fee is not known yet: W Tuesday's contribution
margin is 50 − 20 = 30.00, and week W's the same.

Then the debit clears: the charge is ``succeeded``, and its ``payment`` balance transaction is
created on W Friday with a fee of 0.40 (0.8 % of 50.00, Stripe's US bank account rate). The fee
belongs to the order, so W Tuesday's contribution margin is restated 30.00 → 29.60, and week
W's too, both "payment fees settled or changed", from Stripe. Net sales, orders and COGS do not
move: nothing else is restated.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D

import psycopg
import pytest

from storeboard import pipeline
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.shopify import CostBucket
from storeboard.sandbox.storefile import store_from_dict
from tests.models.conftest import configure, query
from tests.models.restated_store import GOOGLE_ACCOUNTS, META_ACCOUNT

TODAY = date.today()
MONDAY = TODAY - timedelta(days=TODAY.weekday() + 14)
TUESDAY, FRIDAY = MONDAY + timedelta(1), MONDAY + timedelta(4)
CHARGE = "py_1001debit"


def epoch(day: date, hour: int) -> int:
    return int(datetime.combine(day, time(hour), tzinfo=UTC).timestamp())


def pending_charge() -> dict:
    return {
        "id": CHARGE, "object": "charge", "amount": 5000, "amount_captured": 5000, "amount_refunded": 0,
        "balance_transaction": None, "captured": True, "created": epoch(TUESDAY, 10), "currency": "usd",
        "customer": None, "disputed": False, "livemode": True, "paid": False, "refunded": False,
        "status": "pending", "payment_intent": None, "description": None, "receipt_email": None,
        "payment_method_details": {"type": "us_bank_account"}, "metadata": {"order_id": "#1001"},
    }


def settled_debit() -> dict:
    return {
        "id": "txn_1001debit", "object": "balance_transaction", "amount": 5000, "fee": 40, "net": 4960,
        "currency": "usd", "type": "payment", "reporting_category": "charge", "source": CHARGE,
        "status": "pending", "created": epoch(FRIDAY, 9), "available_on": epoch(FRIDAY + timedelta(2), 0),
        "fee_details": [{"amount": 40, "currency": "usd", "description": "Stripe processing fees",
                         "type": "stripe_fee", "application": None}],
    }


def store_dict() -> dict:
    return {
        "shop": {"name": "Debit Store", "timezone": "UTC", "currency": "USD"},
        "products": [{"sku": "LAMP", "price": "50.00", "unit_cost": "20.00", "weight_grams": 1400}],
        "orders": [{"number": 1001, "processed_at": datetime.combine(TUESDAY, time(10), tzinfo=UTC).isoformat(),
                    "gateway": "stripe", "lines": [{"sku": "LAMP"}]}],
        "extras": {
            "stripe": {"charges": [pending_charge()], "refunds": [], "balance_transactions": [], "customers": []},
            "hubspot": {"contacts": [], "companies": [], "deals": []},
            # the ad accounts the sandbox config lists, with no spend
            "marketing": {"accounts": [{"platform": "meta", "account_id": META_ACCOUNT, "name": "Shop - Meta",
                                        "currency": "USD", "timezone": "UTC"},
                                       *({"platform": "google_ads", "account_id": account, "name": "Shop - Google",
                                          "currency": "USD", "timezone": "UTC"} for account in GOOGLE_ACCOUNTS)],
                          "campaigns": [], "ad_groups": [], "daily": []},
            # an inventory snapshot and no shipping-cost CSV: shipping costs are 0
            "files": {f"inventory_{(MONDAY - timedelta(30)).isoformat()}.csv": [
                {"sku": "LAMP", "on_hand": 10, "unit_cost": "", "reorder_point": 2, "lead_time_days": 10}]},
        },
    }


def the_debit_clears(store) -> None:
    stripe = store.extras["stripe"]
    stripe["charges"] = [{**pending_charge(), "status": "succeeded", "paid": True,
                          "balance_transaction": "txn_1001debit"}]
    stripe["balance_transactions"] = [settled_debit()]
    store.revision += 1


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def config(request, tmp_path_factory):
    """The store refreshed before and after the debit clears, on each warehouse."""
    folder = tmp_path_factory.mktemp(f"stripe-fee-{request.param}")
    warehouse = "duckdb:///storeboard.duckdb"
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        name = f"stripe_fee_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"create database {name}")
        warehouse = f"{server.rsplit('/', 1)[0]}/{name}"
    store = store_from_dict(store_dict())
    with SandboxServer(store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0)) as server:
        config = configure(folder, warehouse, server.url, store, f"\nmetrics:\n  report_date: {TODAY.isoformat()}\n")
        first = pipeline.run(config)
        assert first.ok, first.errors
        [before] = query(config, "select payment_fees, contribution_margin from analytics.fct_orders "
                                 "where order_name = '#1001'")
        assert (D(before["payment_fees"] or 0), D(before["contribution_margin"])) == (D("0"), D("30"))
        the_debit_clears(store)
        second = pipeline.run(config)
        assert second.ok, second.errors
    return config


def test_the_settled_fee_restates_the_order_day_and_week(config):
    rows = query(config, "select grain, period_start, metric, old_value, new_value, change, cause_source, cause "
                         "from analytics.rpt_restatements where grain in ('day', 'week')")
    got = {(r["grain"], r["period_start"], r["metric"]): (D(r["old_value"]).normalize(), D(r["new_value"]).normalize(),
                                                          D(r["change"]).normalize(), r["cause_source"], r["cause"])
           for r in rows}
    cause = "payment fees settled or changed"
    assert got == {
        ("day", TUESDAY, "contribution_margin"): (D("30"), D("29.6"), D("-0.4"), "stripe", cause),
        ("week", MONDAY, "contribution_margin"): (D("30"), D("29.6"), D("-0.4"), "stripe", cause),
    }
    [order] = query(config, "select payment_fees, contribution_margin from analytics.fct_orders "
                            "where order_name = '#1001'")
    assert (D(order["payment_fees"]), D(order["contribution_margin"])) == (D("0.40"), D("29.60"))
