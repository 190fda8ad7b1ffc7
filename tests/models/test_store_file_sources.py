"""A store file that speaks for Stripe and the ad platforms, and carries its own settings.

Loaded through the sandbox APIs by the whole pipeline, once per warehouse (DuckDB and
PostgreSQL), and compared to the cent with numbers worked out by hand here. Shop in New York
(EDT, UTC−4, in October 2026), USD; no shipping charged, no tax; shipping labels from the CSV drop
(#1001 3.00, #1002 6.00, #1003 2.50).

- #1001, 5 Oct: 2 mugs (20.00, cost 8.00), paid by ACH Direct Debit: a ``py_`` charge of 40.00,
  fee 0.8 % = 0.32; one mug refunded on 12 Oct (a ``pyr_`` refund of 20.00, restocked).
  Contribution margin 40 − 20 − 8 − 3.00 − 0.32 = 8.68.
- #1002, 6 Oct: 1 lamp (50.00, cost 20.00), card: fee 2.9 % + 0.30 = 1.75. Disputed on 20 Oct
  and lost on 15 Nov: Stripe withdrew 50.00 + the 15.00 dispute fee = chargeback 65.00.
  Contribution margin 50 − 20 − 6.00 − 1.75 − 65 = −42.75.
- #1003, 7 Oct: 1 mug, card: fee 0.58 + 0.30 = 0.88. Disputed on 21 Oct, won on 10 Nov: 35.00
  withdrawn, 20.00 returned, the 15.00 fee kept: chargeback 15.00.
  Contribution margin 20 − 8 − 2.50 − 0.88 − 15 = −6.38.
- Ads: Meta (EUR at 1.08): a live ad set spent 100.00 on 5 Oct and a DELETED one 25.00 the same
  day, 125.00 EUR = 135.00 USD; Google: a Search ad group 50.00 on 6 Oct and a Performance Max
  campaign (no ad group) 30.00 on 6 Oct: 80.00.
- Settings: the report date, the EUR rate and a Google budget live in the store file.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date
from decimal import Decimal as D

import pytest

from storeboard.sandbox.storefile import StoreFileError, store_from_dict
from tests.models.conftest import query, run_store
from tests.models.scenario import GOOGLE_ACCOUNT, HUBSPOT, MARKETING, META_ACCOUNT


def _marketing() -> dict:
    records = copy.deepcopy(MARKETING)
    records["campaigns"].append(
        {"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "campaign_id": "2202", "name": "google-pmax",
         "objective": "PERFORMANCE_MAX", "status": "ENABLED", "daily_budget": "40.00", "budget_id": "2902",
         "created_at": "2026-10-01T13:00:00Z"})
    records["ad_groups"].append(
        {"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "1201", "ad_group_id": "1302",
         "name": "Lapsed buyers", "status": "DELETED", "daily_budget": None, "created_at": "2026-10-01T13:00:00Z"})
    records["daily"] += [
        {"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "campaign_id": "2202", "day": "2026-10-06",
         "spend": "30.00", "impressions": 900, "clicks": 30, "purchases": 1, "purchase_value": "50.00"},
        {"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "1201", "ad_group_id": "1302",
         "day": "2026-10-05", "spend": "25.00", "impressions": 1000, "clicks": 20, "purchases": 0,
         "purchase_value": "0.00"},
    ]
    return records


STORE = {
    "shop": {"name": "Disputes Store", "timezone": "America/New_York", "currency": "USD"},
    "products": [
        {"sku": "MUG", "price": "20.00", "unit_cost": "8.00", "weight_grams": 400},
        {"sku": "LAMP", "price": "50.00", "unit_cost": "20.00", "weight_grams": 1400},
    ],
    "customers": [{"id": 1, "email": "ana@example.com", "first_name": "Ana", "created_at": "2026-10-01T00:00:00Z"}],
    "orders": [
        {"number": 1001, "processed_at": "2026-10-05T14:00:00Z", "customer": 1, "lines": [{"sku": "MUG", "quantity": 2}],
         "refunds": [{"at": "2026-10-12T15:00:00Z", "lines": [{"sku": "MUG", "quantity": 1}]}]},
        {"number": 1002, "processed_at": "2026-10-06T14:00:00Z", "customer": 1, "lines": [{"sku": "LAMP"}]},
        {"number": 1003, "processed_at": "2026-10-07T14:00:00Z", "lines": [{"sku": "MUG"}]},
    ],
    "settings": {"metrics": {
        "report_date": "2026-11-20",
        "fx_rates": [{"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.08"}],
        "budgets": [{"channel": "google_ads", "month": "2026-10", "amount": "1000.00"}],
    }},
    "extras": {
        "stripe_orders": {
            1001: {"method": "us_bank_account"},
            1002: {"dispute": {"opened_at": "2026-10-20T15:00:00Z", "status": "lost",
                               "closed_at": "2026-11-15T15:00:00Z", "reason": "fraudulent"}},
            1003: {"dispute": {"opened_at": "2026-10-21T15:00:00Z", "status": "won",
                               "closed_at": "2026-11-10T15:00:00Z", "reason": "product_not_received"}},
        },
        "marketing": _marketing(),
        "hubspot": HUBSPOT,
        "files": {"shipping_costs_2026-10.csv": [
            {"order_id": "#1001", "carrier": "USPS", "label_cost": "3.00"},
            {"order_id": "#1002", "carrier": "UPS", "label_cost": "6.00"},
            {"order_id": "#1003", "carrier": "USPS", "label_cost": "2.50"},
        ]},
    },
}


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request, tmp_path_factory):
    """The store file built once per warehouse by the whole pipeline."""
    folder = tmp_path_factory.mktemp(f"store-file-{request.param}")
    if request.param == "duckdb":
        yield run_store(folder, "duckdb:///storeboard.duckdb", store_from_dict(STORE))
        return
    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"store_file_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    try:
        yield run_store(folder, f"{server.rsplit('/', 1)[0]}/{name}", store_from_dict(STORE))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


def test_settings_from_the_store_file_reach_the_config(built):
    """No metrics block was appended by the test: all of it came from the store file."""
    assert built.metrics.report_date == date(2026, 11, 20)
    assert [(r.currency, r.rate) for r in built.metrics.fx_rates] == [("EUR", D("1.08"))]
    assert [(b.channel, b.month, b.amount) for b in built.metrics.budgets] == [("google_ads", "2026-10", D("1000.00"))]


def test_bank_debit_charge_and_refund_keep_their_ids_and_fee(built):
    rows = query(built, "select charge_id from staging.stg_stripe__charges order by charge_id")
    py = [r["charge_id"] for r in rows if r["charge_id"].startswith("py_")]
    assert len(py) == 1
    refunds = query(built, "select refund_id, amount from staging.stg_stripe__refunds")
    assert [(r["refund_id"][:4], r["amount"]) for r in refunds] == [("pyr_", D("20.00"))]


def test_orders_show_fees_and_chargebacks_apart(built):
    got = {r["order_name"]: (r["payment_fees"], r["chargebacks"], r["contribution_margin"])
           for r in query(built, "select order_name, payment_fees, chargebacks, contribution_margin "
                                 "from analytics.fct_orders")}
    assert got == {
        "#1001": (D("0.32"), D("0"), D("8.68")),
        "#1002": (D("1.75"), D("65.00"), D("-42.75")),
        "#1003": (D("0.88"), D("15.00"), D("-6.38")),
    }


def test_product_margin_has_a_chargebacks_line(built):
    got = {r["sku"]: (r["payment_fees"], r["chargebacks"], r["contribution_margin"])
           for r in query(built, "select sku, payment_fees, chargebacks, contribution_margin "
                                 "from analytics.rpt_product_margin_monthly where month = '2026-10-01'")}
    # MUG: net 40 − cogs 16 − labels 3.00 + 2.50 − fees 0.32 + 0.88 − chargeback 15 = 2.30
    assert got == {"MUG": (D("1.20"), D("15.00"), D("2.30")), "LAMP": (D("1.75"), D("65.00"), D("-42.75"))}


def test_weekly_summary_shows_chargebacks(built):
    got = {r["metric"]: r["value"] for r in query(
        built, "select metric, value from analytics.rpt_weekly_summary where week_start = '2026-10-05'")}
    # all three orders are in the week of 5 October: chargebacks 65.00 + 15.00. Margin: sales
    # 40 + 50 + 20 − cogs 16 + 20 + 8 = 66, − labels 11.50 − fees 2.95 − chargebacks 80 = −28.45
    # (#1001's refund falls in the next week)
    assert (got["chargebacks"], got["contribution_margin"]) == (D("80.00"), D("-28.45"))


def test_reconciliation_shows_chargebacks_on_the_day_stripe_moved_the_money(built):
    got = {r["date"]: r["chargebacks"] for r in query(
        built, "select date, chargebacks from analytics.rpt_payment_reconciliation_daily where chargebacks <> 0")}
    # 20 Oct: 50 + 15 withdrawn; 21 Oct: 20 + 15 withdrawn; 10 Nov: 20 returned
    assert got == {date(2026, 10, 20): D("65.00"), date(2026, 10, 21): D("35.00"), date(2026, 11, 10): D("-20.00")}


def test_pmax_and_deleted_ad_set_spend_is_loaded(built):
    got = {(r["ad_platform"], r["date"]): r["spend"] for r in query(
        built, "select ad_platform, date, sum(spend) as spend from analytics.fct_ad_performance_daily "
               "group by ad_platform, date")}
    assert got == {("meta_ads", date(2026, 10, 5)): D("135.00"), ("google_ads", date(2026, 10, 6)): D("80.00")}


@pytest.mark.parametrize("change, message", [
    ({"settings": {"metrics": {"fx_rates": [{"currency": "eur", "valid_from": "2026-01-01", "rate": "1"}]}}},
     "settings.metrics.fx_rates.0.currency"),
    ({"settings": {"budget": []}}, "settings: expected a mapping with metrics"),
    ({"extras": {"stripe_orders": {1002: {"dispute": {"opened_at": "2026-10-20T15:00:00Z", "status": "lost"}}}}},
     "extras.stripe_orders.1002.dispute: a lost dispute needs closed_at"),
    ({"extras": {"stripe_orders": {1001: {"method": "paypal"}}}}, "extras.stripe_orders.1001.method"),
    ({"extras": {"marketing": {**MARKETING, "daily": [{**MARKETING["daily"][0], "ad_group_id": None}]}}},
     "extras.marketing.daily[0]: ad_group_id is needed"),
])
def test_a_bad_entry_is_named_when_the_store_file_loads(change, message):
    with pytest.raises(StoreFileError, match=message.replace("[", r"\[").replace("]", r"\]")) as info:
        store_from_dict({**STORE, **change}, "s.yml")
    assert str(info.value).startswith("s.yml: ")
