"""Shopify's sales ledger from a hand-written store: order edits, duties, additional fees and
return fees, loaded through the sandbox's APIs and compared to the cent with the marts.

The store is in New York (UTC−4 in October 2026), in USD, so 14:00 UTC is 10:00 the same day.
Every expected number is worked out by hand in the docstrings; one build per warehouse serves
the whole file.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal as D

import psycopg
import pytest

from storeboard.sandbox.storefile import store_from_dict
from tests.models.conftest import query, run_store

METRICS_YAML = """
metrics:
  report_date: 2026-10-25
"""

STORE = {
    "shop": {"name": "Ledger Store", "timezone": "America/New_York", "currency": "USD"},
    "products": [
        {"sku": "MUG", "price": "20.00", "unit_cost": "8.00"},
        {"sku": "TEE", "price": "30.00", "unit_cost": "10.00"},
    ],
    "orders": [
        # an order edit two days later: a tee added, one of three mugs removed without a refund
        {"number": 1001, "processed_at": "2026-10-05T14:00:00Z",
         "lines": [{"sku": "MUG", "quantity": 3, "tax": "4.80"}],
         "edits": [{"at": "2026-10-07T14:00:00Z", "add": [{"sku": "TEE", "tax": "2.40"}],
                    "remove": [{"line": 0, "quantity": 1}]}]},
        # duties on a line; one mug refunded with half of the duties
        {"number": 1002, "processed_at": "2026-10-10T14:00:00Z", "shipping": "5.00",
         "lines": [{"sku": "MUG", "quantity": 2, "duties": "5.00"}],
         "refunds": [{"at": "2026-10-12T14:00:00Z", "lines": [{"sku": "MUG", "quantity": 1}], "duties": "2.50"}]},
        # an additional fee at checkout
        {"number": 1003, "processed_at": "2026-10-14T14:00:00Z",
         "lines": [{"sku": "TEE", "tax": "2.40"}],
         "additional_fees": [{"name": "Import fee", "amount": "3.00"}]},
        # a return with a restocking fee kept from the refund
        {"number": 1004, "processed_at": "2026-10-16T14:00:00Z",
         "lines": [{"sku": "TEE", "quantity": 2}],
         "refunds": [{"at": "2026-10-20T14:00:00Z", "lines": [{"sku": "TEE", "quantity": 1}], "return_fee": "4.00"}]},
        # duties and a fee on an order cancelled the same day, never paid
        {"number": 1005, "processed_at": "2026-10-22T14:00:00Z", "cancelled_at": "2026-10-22T18:00:00Z", "unpaid": True,
         "lines": [{"sku": "MUG", "duties": "2.00"}],
         "additional_fees": [{"name": "Import fee", "amount": "1.50"}]},
        # an edit adds a tee with its own duties the next day; the order is cancelled after, never paid
        {"number": 1006, "processed_at": "2026-10-23T14:00:00Z", "cancelled_at": "2026-10-25T14:00:00Z", "unpaid": True,
         "lines": [{"sku": "MUG", "duties": "2.00"}],
         "edits": [{"at": "2026-10-24T14:00:00Z", "add": [{"sku": "TEE", "duties": "1.50"}]}]},
    ],
}


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request, tmp_path_factory):
    """The store above, run through every source and dbt into each warehouse once."""
    folder = tmp_path_factory.mktemp(f"ledger-{request.param}")
    if request.param == "duckdb":
        yield run_store(folder, "duckdb:///storeboard.duckdb", store_from_dict(STORE), METRICS_YAML)
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    yield run_store(folder, f"{server.rsplit('/', 1)[0]}/{name}", store_from_dict(STORE), METRICS_YAML)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


COLUMNS = ("gross_sales", "discounts", "returns", "net_sales", "shipping", "taxes", "duties", "additional_fees",
           "return_fees", "total_sales", "orders", "units_sold")


def day(ledger, when: date) -> dict:
    rows = query(ledger, f"select {', '.join(COLUMNS)} from analytics.rpt_revenue_daily where date = '{when}'")
    assert len(rows) == 1, when
    return {k: (D(str(v)) if k not in ("orders", "units_sold") else v) for k, v in rows[0].items()}


def expect(**values) -> dict:
    row = {k: D("0") for k in COLUMNS}
    row.update({"orders": 0, "units_sold": 0})
    row.update({k: (D(v) if isinstance(v, str) else v) for k, v in values.items()})
    return row


def test_order_edit_is_dated_on_the_edit_day(ledger):
    """#1001 on 5 October: 3 mugs × 20.00 = 60.00 gross, 4.80 tax → total 64.80, 3 units.

    The edit on 7 October, as Shopify's reports date it: the tee added is a sale that day (30.00
    gross, 2.40 tax) and the mug removed is a return that day (60.00 ÷ 3 = 20.00, its tax
    4.80 ÷ 3 = 1.60), though nothing was refunded. Net 30.00 − 20.00 = 10.00; taxes
    2.40 − 1.60 = 0.80; total 10.80; units 1 − 1 = 0; no new order.
    """
    assert day(ledger, date(2026, 10, 5)) == expect(gross_sales="60", net_sales="60", taxes="4.80",
                                                    total_sales="64.80", orders=1, units_sold=3)
    assert day(ledger, date(2026, 10, 7)) == expect(gross_sales="30", returns="20", net_sales="10", taxes="0.80",
                                                    total_sales="10.80", units_sold=0)
    # Shopify keeps the ordered quantity and lowers currentQuantity
    lines = query(ledger, "select quantity, current_quantity from staging.stg_shopify__order_lines where quantity = 3")
    assert [(r["quantity"], r["current_quantity"]) for r in lines] == [(3, 2)]


def test_duties_have_their_own_column_in_total_sales(ledger):
    """#1002 on 10 October: 2 mugs = 40.00 gross, 5.00 shipping, 5.00 duties → total 50.00.

    The refund on 12 October gives back one mug (40.00 ÷ 2 = 20.00) and 2.50 of duties:
    net −20.00, duties −2.50, total −22.50, units −1.
    """
    assert day(ledger, date(2026, 10, 10)) == expect(gross_sales="40", net_sales="40", shipping="5.00", duties="5.00",
                                                     total_sales="50.00", orders=1, units_sold=2)
    assert day(ledger, date(2026, 10, 12)) == expect(returns="20", net_sales="-20", duties="-2.50",
                                                     total_sales="-22.50", units_sold=-1)


def test_additional_fees_have_their_own_column_in_total_sales(ledger):
    """#1003 on 14 October: a tee = 30.00 gross, 2.40 tax, a 3.00 import fee → total 35.40."""
    assert day(ledger, date(2026, 10, 14)) == expect(gross_sales="30", net_sales="30", taxes="2.40",
                                                     additional_fees="3.00", total_sales="35.40", orders=1, units_sold=1)


def test_return_fee_counts_on_the_refund_day(ledger):
    """#1004 on 16 October: 2 tees = 60.00. The return on 20 October: one tee back (30.00), of
    which the shop kept a 4.00 restocking fee (26.00 went back to the customer): returns 30.00,
    return fees 4.00, total −30.00 + 4.00 = −26.00, units −1."""
    assert day(ledger, date(2026, 10, 16)) == expect(gross_sales="60", net_sales="60", total_sales="60",
                                                     orders=1, units_sold=2)
    assert day(ledger, date(2026, 10, 20)) == expect(returns="30", net_sales="-30", return_fees="4.00",
                                                     total_sales="-26.00", units_sold=-1)
    refunded = query(ledger, "select shopify_total_refunded from analytics.fct_refunds where returns = 30")
    assert [D(str(r["shopify_total_refunded"])) for r in refunded] == [D("26.00")]


def test_cancellation_reverses_duties_and_fees(ledger):
    """#1005, cancelled the day it was placed (22 October): the mug (20.00), its 2.00 duties and
    the 1.50 fee are sold and reversed the same day: everything nets to 0.00; one order."""
    assert day(ledger, date(2026, 10, 22)) == expect(gross_sales="20", returns="20", orders=1)


def test_duties_of_a_line_an_edit_added_count_on_the_edit_day(ledger):
    """#1006 on 23 October: a mug (20.00) with 2.00 duties → total 22.00. Shopify's
    originalTotalDutiesSet is the duties at creation only; the edit on 24 October adds a tee
    (30.00) whose 1.50 duties are a DUTY sale of the edit's agreement → total 31.50 that day.
    The cancellation on 25 October reverses both lines (returns 50.00) and all 3.50 of duties:
    −53.50, so the order nets to zero."""
    assert day(ledger, date(2026, 10, 23)) == expect(gross_sales="20", net_sales="20", duties="2.00",
                                                     total_sales="22.00", orders=1, units_sold=1)
    assert day(ledger, date(2026, 10, 24)) == expect(gross_sales="30", net_sales="30", duties="1.50",
                                                     total_sales="31.50", units_sold=1)
    assert day(ledger, date(2026, 10, 25)) == expect(returns="50", net_sales="-50", duties="-3.50",
                                                     total_sales="-53.50", units_sold=-2)
    [raw] = query(ledger, "select original_duties, current_duties from staging.stg_shopify__orders "
                          "where order_name = '#1006'")
    assert (D(str(raw["original_duties"])), D(str(raw["current_duties"]))) == (D("2.00"), D("3.50"))


def test_monday_email_total_sales(ledger):
    """The weekly summary (Monday email) reads total sales from the same days:
    week of 5 October: 64.80 + 10.80 + 50.00 = 125.60;
    week of 12 October: −22.50 + 35.40 + 60.00 = 72.90;
    week of 19 October: −26.00 + 0.00 + 22.00 + 31.50 − 53.50 = −26.00."""
    rows = query(ledger, "select week_start, value from analytics.rpt_weekly_summary where metric = 'total_sales' "
                         "order by week_start")
    assert {r["week_start"]: D(str(r["value"])) for r in rows} == {
        date(2026, 10, 5): D("125.60"), date(2026, 10, 12): D("72.90"), date(2026, 10, 19): D("-26.00")}


def test_order_facts_carry_the_same_columns(ledger):
    """fct_orders sums the same events per order: #1001 64.80 + 10.80 = 75.60; #1002 50.00 − 22.50
    = 27.50 (duties 2.50); #1003 35.40 (fee 3.00); #1004 60.00 − 26.00 = 34.00 (return fee 4.00);
    #1005 0.00; #1006 22.00 + 31.50 − 53.50 = 0.00 (duties 2.00 + 1.50 − 3.50)."""
    rows = query(ledger, "select order_name, duties, additional_fees, return_fees, total_sales from analytics.fct_orders")
    assert {r["order_name"]: tuple(D(str(r[k])) for k in ("duties", "additional_fees", "return_fees", "total_sales"))
            for r in rows} == {
        "#1001": (D("0"), D("0"), D("0"), D("75.60")),
        "#1002": (D("2.50"), D("0"), D("0"), D("27.50")),
        "#1003": (D("0"), D("3.00"), D("0"), D("35.40")),
        "#1004": (D("0"), D("0"), D("4.00"), D("34.00")),
        "#1005": (D("0"), D("0"), D("0"), D("0")),
        "#1006": (D("0"), D("0"), D("0"), D("0")),
    }
