"""The scenario store (scenario.py) with what real accounts send that the plain scenario lacks:
#1001 paid by a ``py_`` charge with a ``pyr_`` refund (a non-card payment method), #1005's charge
disputed and lost, a HubSpot deal whose amount a user cleared (``""``), a Google Performance Max
campaign (no ad groups) and a deleted Meta ad set. Each expected value is worked out by hand
below from the records, to the cent."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal as D

import pytest

from storeboard.sandbox.storefile import store_from_dict
from tests.models.conftest import query, run_store
from tests.models.scenario import GOOGLE_ACCOUNT, META_ACCOUNT, METRICS_YAML, STORE, epoch

DISPUTED_AT = "2026-10-20T16:00:00Z"  # 20 October in New York


def _variant_store() -> dict:
    store = copy.deepcopy(STORE)
    stripe = store["extras"]["stripe"]
    # #1001 paid through a payment method whose charges are py_… and refunds pyr_…
    charge = next(c for c in stripe["charges"] if c["id"] == "ch_order1001")
    charge.update(id="py_order1001", balance_transaction="txn_py_order1001",
                  payment_method_details={"type": "sepa_debit"})
    refund = next(r for r in stripe["refunds"] if r["id"] == "re_order1001")
    refund.update(id="pyr_order1001", charge="py_order1001")
    for txn in stripe["balance_transactions"]:
        if txn["source"] == "ch_order1001":
            txn.update(id="txn_py_order1001", source="py_order1001")
        if txn["source"] == "re_order1001":
            txn["source"] = "pyr_order1001"
    # #1005's charge disputed and lost: Stripe withdraws the 49.90 and a 15.00 dispute fee
    next(c for c in stripe["charges"] if c["id"] == "ch_order1005")["disputed"] = True
    withdrawal = {"id": "txn_dp_1005", "object": "balance_transaction", "amount": -4990, "fee": 1500,
                  "net": -6490, "currency": "usd", "type": "adjustment", "reporting_category": "dispute",
                  "source": "dp_1005", "status": "available", "created": epoch(DISPUTED_AT),
                  "available_on": epoch(DISPUTED_AT), "description": "Chargeback withdrawal for ch_order1005",
                  "fee_details": [{"amount": 1500, "currency": "usd", "type": "stripe_fee", "description": "Dispute fee"}]}
    stripe["balance_transactions"].append(withdrawal)
    stripe["disputes"] = [{"id": "dp_1005", "object": "dispute", "amount": 4990, "currency": "usd",
                           "charge": "ch_order1005", "payment_intent": None, "reason": "fraudulent",
                           "status": "lost", "created": epoch(DISPUTED_AT), "livemode": True,
                           "is_charge_refundable": False, "metadata": {}, "balance_transactions": [withdrawal]}]
    stripe["payouts"] = [{"id": "po_1", "object": "payout", "amount": 10000, "currency": "usd",
                          "arrival_date": epoch("2026-10-23T00:00:00Z"), "created": epoch("2026-10-21T00:00:00Z"),
                          "status": "paid", "type": "bank_account", "method": "standard", "automatic": True,
                          "balance_transaction": "txn_po_1", "livemode": True, "metadata": {}}]
    # a deal whose amount and close date a user cleared
    store["extras"]["hubspot"]["deals"] = [{
        "id": "71", "createdAt": "2026-10-02T10:00:00.000Z", "updatedAt": "2026-10-03T10:00:00.000Z",
        "archived": False,
        "properties": {"dealname": "Wholesale mugs", "amount": "", "closedate": "", "dealstage": "qualifiedtobuy",
                       "pipeline": "default", "deal_currency_code": "USD", "createdate": "2026-10-02T10:00:00.000Z",
                       "hs_lastmodifieddate": "2026-10-03T10:00:00.000Z"}}]
    marketing = store["extras"]["marketing"]
    # Google: a Performance Max campaign (its "ad group" is an asset group, never reported FROM ad_group)
    marketing["campaigns"].append({"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "campaign_id": "2202",
                                   "name": "google-pmax", "objective": "PERFORMANCE_MAX", "status": "ENABLED",
                                   "daily_budget": "30.00", "budget_id": "2902", "created_at": "2026-10-01T13:00:00Z"})
    marketing["ad_groups"].append({"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "campaign_id": "2202",
                                   "ad_group_id": "2302", "name": "Asset group", "status": "ENABLED",
                                   "daily_budget": None, "created_at": "2026-10-01T13:00:00Z"})
    marketing["daily"].append({"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "campaign_id": "2202",
                               "ad_group_id": "2302", "day": "2026-10-07", "spend": "30.00", "impressions": 900,
                               "clicks": 30, "purchases": 2, "purchase_value": "90.00"})
    # Meta: an ad set deleted after spending 40.00 EUR
    marketing["ad_groups"].append({"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "1201",
                                   "ad_group_id": "1302", "name": "Old audience", "status": "DELETED",
                                   "daily_budget": None, "created_at": "2026-10-01T13:00:00Z"})
    marketing["daily"].append({"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "1201",
                               "ad_group_id": "1302", "day": "2026-10-06", "spend": "40.00", "impressions": 2000,
                               "clicks": 50, "purchases": 1, "purchase_value": "60.00"})
    return store


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    return run_store(folder, "duckdb:///storeboard.duckdb", store_from_dict(_variant_store()), METRICS_YAML)


def test_nothing_is_quarantined(variants):
    for source in ("stripe", "hubspot", "meta_ads", "google_ads"):
        found = query(variants, "select count(*) as n from information_schema.tables "
                                f"where table_schema = 'raw_{source}' and table_name = 'quarantine'")[0]["n"]
        if found:
            assert query(variants, f"select resource, field from raw_{source}.quarantine") == [], source


def test_py_charge_and_pyr_refund_load_as_a_charge_and_its_refund(variants):
    [payment] = query(variants, "select charge_id, match_method, amount_shop, refunded_amount_shop, fee_shop "
                                "from analytics.fct_payments where charge_id = 'py_order1001'")
    assert payment == {"charge_id": "py_order1001", "match_method": "order_reference", "amount_shop": D("48.20"),
                       "refunded_amount_shop": D("21.60"), "fee_shop": D("1.70")}


def test_lost_dispute_is_a_chargeback_in_margin_and_reconciliation(variants):
    orders = {r["order_name"]: r for r in query(variants, "select order_name, payment_fees, chargebacks, "
                                                          "contribution_margin from analytics.fct_orders")}
    # #1001 exactly as in the plain scenario (test_scenarios.py): the py_ charge changes nothing
    assert (orders["#1001"]["payment_fees"], orders["#1001"]["chargebacks"],
            orders["#1001"]["contribution_margin"]) == (D("1.70"), D("0"), D("11.30"))
    # #1005: fee 1.75; chargeback 49.90 + dispute fee 15.00 = 64.90 on its own line;
    # margin 23.25 − 64.90 = −41.65
    assert (orders["#1005"]["payment_fees"], orders["#1005"]["chargebacks"],
            orders["#1005"]["contribution_margin"]) == (D("1.75"), D("64.90"), D("-41.65"))
    lines = query(variants, "select sum(l.payment_fees) as fees, sum(l.chargebacks) as chargebacks, "
                            "sum(l.contribution_margin) as margin "
                            "from analytics.fct_order_lines as l inner join analytics.fct_orders as o "
                            "on l.order_id = o.order_id where o.order_name = '#1005'")[0]
    assert (lines["fees"], lines["chargebacks"], lines["margin"]) == (D("1.75"), D("64.90"), D("-41.65"))
    day = query(variants, "select chargebacks from analytics.rpt_payment_reconciliation_daily "
                          "where date = '2026-10-20'")
    assert day == [{"chargebacks": D("64.90")}]
    [disputes] = query(variants, "select count(*) as n, sum(amount) as amount from staging.stg_stripe__disputes "
                                 "where is_lost")
    assert (disputes["n"], disputes["amount"]) == (1, D("49.90"))
    assert query(variants, "select amount from staging.stg_stripe__payouts") == [{"amount": D("100.00")}]


def test_a_cleared_deal_amount_is_null(variants):
    assert query(variants, "select deal_id, amount, closed_at from staging.stg_hubspot__deals") == [
        {"deal_id": "71", "amount": None, "closed_at": None}]


def test_performance_max_and_deleted_ad_set_spend_are_complete(variants):
    spend = {(r["ad_platform"], r["ad_set_id"]): (r["spend"], r["platform_conversions"], r["platform_conversion_value"])
             for r in query(variants, "select ad_platform, ad_set_id, sum(spend) as spend, "
                                      "sum(platform_conversions) as platform_conversions, "
                                      "sum(platform_conversion_value) as platform_conversion_value "
                                      "from analytics.fct_ad_performance_daily group by 1, 2")}
    assert spend == {
        ("google_ads", "2301"): (D("50.00"), D("1"), D("40.00")),
        # Performance Max: the whole campaign, from campaign-level metrics
        ("google_ads", "campaign-2202"): (D("30.00"), D("2"), D("90.00")),
        # EUR at 1.08
        ("meta_ads", "1301"): (D("108.00"), D("2"), D("216.00")),
        ("meta_ads", "1302"): (D("43.20"), D("1"), D("64.80")),
    }


def test_spend_reconciliation_shows_no_gap(variants):
    got = {(r["ad_platform"], r["account_id"], r["date"]): (r["modelled_spend"], r["account_total_spend"],
                                                            r["difference"], r["is_warning"])
           for r in query(variants, "select * from analytics.rpt_ad_spend_reconciliation_daily")}
    meta = META_ACCOUNT.removeprefix("act_")
    assert got == {
        ("google_ads", GOOGLE_ACCOUNT, date(2026, 10, 6)): (D("50.00"), D("50.00"), D("0"), False),
        ("google_ads", GOOGLE_ACCOUNT, date(2026, 10, 7)): (D("30.00"), D("30.00"), D("0"), False),
        ("meta_ads", meta, date(2026, 10, 5)): (D("100.00"), D("100.00"), D("0"), False),
        ("meta_ads", meta, date(2026, 10, 6)): (D("40.00"), D("40.00"), D("0"), False),
    }


@pytest.mark.postgres
def test_variant_marts_agree_on_postgres(variants, tmp_path, postgres_url):
    from tests.models.conftest import mart_snapshot
    from tests.models.test_warehouses_agree import assert_same_marts

    pg = run_store(tmp_path, postgres_url, store_from_dict(_variant_store()), METRICS_YAML)
    assert_same_marts(mart_snapshot(variants), mart_snapshot(pg))
