"""Hand-computed scenario: the store in scenario.py, every expected mart row written out by hand.

The numbers below were worked out on paper from the store file (see the docstring of
scenario.py), not computed by code. New York is UTC−4 until 1 November 2026, then UTC−5.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from storeboard.presentation import metrics
from tests.models.conftest import query

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def rows(config, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in query(config, sql)]


def by_key(config, sql: str) -> dict:
    return {r[0]: r[1:] for r in rows(config, sql)}


def test_revenue_daily(scenario):
    got = by_key(scenario, """
        select date, gross_sales, discounts, returns, net_sales, shipping, taxes, total_sales, orders,
               average_order_value, units_sold
        from analytics.rpt_revenue_daily""")
    #        gross      disc      returns   net         shipping   taxes       total        orders aov        units
    expected = {
        # #1001: 2 mugs, 3.20 tax, 5.00 shipping
        date(2026, 10, 5): (D("40"), D("0"), D("0"), D("40"), D("5.00"), D("3.20"), D("48.20"), 1, D("40.00"), 2),
        # #1002: 10 % off across two lines (3.00 + 6.00)
        date(2026, 10, 6): (D("90"), D("9"), D("0"), D("81"), D("0"), D("0"), D("81"), 1, D("81.00"), 4),
        # #1003 sold and cancelled the same day (nets to zero, shipping too); #1004 is a test order
        date(2026, 10, 7): (D("50"), D("0"), D("50"), D("0"), D("0"), D("0"), D("0"), 1, D("50.00"), 0),
        # one of #1002's three mugs refunded: (60 − 6) ÷ 3
        date(2026, 10, 8): (D("0"), D("0"), D("18"), D("-18"), D("0"), D("0"), D("-18"), 0, None, -1),
        # #1005 at 23:30 New York time, 10 October in UTC
        date(2026, 10, 9): (D("50"), D("0"), D("0"), D("50"), D("0"), D("0"), D("50"), 1, D("50.00"), 1),
        # #1007: the gift card is not a sale, the tee and the shipping are
        date(2026, 10, 12): (D("30"), D("0"), D("0"), D("30"), D("4.00"), D("0"), D("34.00"), 1, D("30.00"), 1),
        date(2026, 10, 14): (D("30"), D("0"), D("0"), D("30"), D("0"), D("0"), D("30"), 1, D("30.00"), 2),
        date(2026, 10, 15): (D("6"), D("0"), D("0"), D("6"), D("0"), D("0"), D("6"), 1, D("6.00"), 1),
        date(2026, 10, 21): (D("100"), D("0"), D("0"), D("100"), D("0"), D("0"), D("100"), 1, D("100.00"), 2),
        date(2026, 11, 3): (D("50"), D("0"), D("0"), D("50"), D("6.00"), D("0"), D("56.00"), 1, D("50.00"), 2),
        # #1001's refund a month later: one mug and its 1.60 tax, on the refund's own day
        date(2026, 11, 10): (D("0"), D("0"), D("20"), D("-20"), D("0"), D("-1.60"), D("-21.60"), 0, None, -1),
    }
    first, last = date(2026, 10, 5), date(2026, 11, 10)
    assert sorted(got) == [first + timedelta(n) for n in range((last - first).days + 1)]
    zero = (D("0"), D("0"), D("0"), D("0"), D("0"), D("0"), D("0"), 0, None, 0)
    for day, row in got.items():
        assert row == expected.get(day, zero), day


def test_orders(scenario):
    got = by_key(scenario, """
        select order_name, gross_sales, discounts, returns, net_sales, shipping, taxes, total_sales, cogs,
               shipping_cost, payment_fees, contribution_margin, is_cancelled, has_missing_cost
        from analytics.fct_orders""")
    assert got == {
        # COGS 2 × 8 − 1 restocked × 8; rate card 800 g → 4.00; Stripe fee 1.70
        "#1001": (D("40"), D("0"), D("20"), D("20"), D("5"), D("1.60"), D("26.60"), D("8"), D("4"), D("1.70"),
                  D("11.30"), False, False),
        # 1400 g → 7.00; Shopify Payments fee 2.50
        "#1002": (D("90"), D("9"), D("18"), D("63"), D("0"), D("0"), D("63"), D("26"), D("7"), D("2.50"),
                  D("27.50"), False, False),
        # cancelled, never shipped, never paid: nothing left
        "#1003": (D("50"), D("0"), D("50"), D("0"), D("0"), D("0"), D("0"), D("0"), D("0"), D("0"), D("0"),
                  True, False),
        # lamp cost 18.00 from the 1 October snapshot; Stripe fee 1.75
        "#1005": (D("50"), D("0"), D("0"), D("50"), D("0"), D("0"), D("50"), D("18"), D("7"), D("1.75"),
                  D("23.25"), False, False),
        # lamp cost 22.00 from the 20 October snapshot; label 9.10 from the shipping CSV
        "#1006": (D("100"), D("0"), D("0"), D("100"), D("0"), D("0"), D("100"), D("44"), D("9.10"), D("3.20"),
                  D("43.70"), False, False),
        "#1007": (D("30"), D("0"), D("0"), D("30"), D("4"), D("0"), D("34"), D("10"), D("4"), D("1.90"),
                  D("18.10"), False, False),
        "#1008": (D("30"), D("0"), D("0"), D("30"), D("0"), D("0"), D("30"), D("0"), D("4"), D("1.17"),
                  D("24.83"), False, True),
        "#1009": (D("50"), D("0"), D("0"), D("50"), D("6"), D("0"), D("56"), D("18"), D("4"), D("1.75"),
                  D("32.25"), False, False),
        "#1010": (D("6"), D("0"), D("0"), D("6"), D("0"), D("0"), D("6"), D("2"), D("7"), D("0.47"),
                  D("-3.47"), False, False),
    }


def test_order_lines_allocations_and_costs(scenario):
    got = rows(scenario, """
        select o.order_name, l.sku, l.unit_cost, l.unit_cost_source, l.cogs, l.shipping_revenue, l.shipping_cost,
               l.payment_fees, l.is_missing_cost
        from analytics.fct_order_lines as l
        inner join analytics.fct_orders as o on l.order_id = o.order_id
        where o.order_name in ('#1002', '#1003', '#1006', '#1007', '#1008', '#1009')
        order by o.order_name, l.order_line_id""")
    assert got == [
        # 7.00 shipping cost by weight 200 : 1200; fees 2.50 by revenue 27 : 54
        ("#1002", "TEE", D("10"), "shopify_line", D("10"), D("0"), D("1.00"), D("0.83"), False),
        ("#1002", "MUG", D("8"), "shopify_line", D("16"), D("0"), D("6.00"), D("1.67"), False),
        ("#1003", "LAMP", D("18"), "inventory_csv", D("0"), D("0"), D("0"), D("0"), False),
        ("#1006", "LAMP", D("22"), "inventory_csv", D("44"), D("0"), D("9.10"), D("3.20"), False),
        # the gift card weighs nothing for shipping but carries its share of the fee (25 : 30)
        ("#1007", "GIFT", None, "gift_card", D("0"), D("0"), D("0"), D("0.86"), False),
        ("#1007", "TEE", D("10"), "shopify_line", D("10"), D("4.00"), D("4.00"), D("1.04"), False),
        ("#1008", "NOCOST", None, "missing", D("0"), D("0"), D("4.00"), D("1.17"), True),
        # 6.00 shipping and 4.00 cost by weight 200 : 400; fees 1.75 by revenue 30 : 20
        ("#1009", "TEE", D("10"), "shopify_line", D("10"), D("2.00"), D("1.33"), D("1.05"), False),
        ("#1009", "MUG", D("8"), "shopify_line", D("8"), D("4.00"), D("2.67"), D("0.70"), False),
    ]


def test_refunds(scenario):
    got = rows(scenario, """
        select o.order_name, r.refund_date, r.order_date, r.returns, r.shipping_refunded, r.taxes_refunded,
               r.units_refunded, r.shopify_total_refunded, r.is_later_month
        from analytics.fct_refunds as r inner join analytics.fct_orders as o on r.order_id = o.order_id
        order by r.refund_date""")
    assert got == [
        ("#1002", date(2026, 10, 8), date(2026, 10, 6), D("18"), D("0"), D("0"), 1, D("18.00"), False),
        ("#1001", date(2026, 11, 10), date(2026, 10, 5), D("20"), D("0"), D("1.60"), 1, D("21.60"), True),
    ]


def test_product_margin(scenario):
    got = by_key(scenario, """
        select product_month_id, units_sold, units_returned, gross_sales, discounts, returns, net_revenue, cogs,
               gross_margin, gross_margin_pct, shipping_revenue, shipping_cost, payment_fees, contribution_margin,
               is_loss_after_shipping, lines_missing_cost
        from analytics.rpt_product_margin_monthly""")
    assert got == {
        # sells at a loss once shipped: 4.00 gross margin, 7.00 to ship
        "BRICK:2026-10-01": (1, 0, D("6"), D("0"), D("0"), D("6"), D("2"), D("4"), D("0.6667"), D("0"), D("7"),
                             D("0.47"), D("-3.47"), True, 0),
        # #1003 (cancelled) + #1005 + #1006; COGS 18 − 18 + 18 + 2 × 22
        "LAMP:2026-10-01": (4, 1, D("200"), D("0"), D("50"), D("150"), D("62"), D("88"), D("0.5867"), D("0"),
                            D("16.10"), D("4.95"), D("66.95"), False, 0),
        # #1001 + #1002 and #1002's refund; shipping: #1001's 5.00; cost 4.00 + 6.00; fees 1.70 + 1.67
        "MUG:2026-10-01": (5, 1, D("100"), D("6"), D("18"), D("76"), D("32"), D("44"), D("0.5789"), D("5"),
                           D("10"), D("3.37"), D("35.63"), False, 0),
        "NOCOST:2026-10-01": (2, 0, D("30"), D("0"), D("0"), D("30"), D("0"), D("30"), D("1"), D("0"), D("4"),
                              D("1.17"), D("24.83"), False, 1),
        "TEE:2026-10-01": (2, 0, D("60"), D("3"), D("0"), D("57"), D("20"), D("37"), D("0.6491"), D("4"), D("5"),
                           D("1.87"), D("34.13"), False, 0),
        # #1009's mug, and #1001's mug refunded in November (its restocked cost comes back too)
        "MUG:2026-11-01": (1, 1, D("20"), D("0"), D("20"), D("0"), D("0"), D("0"), None, D("4"), D("2.67"),
                           D("0.70"), D("0.63"), False, 0),
        "TEE:2026-11-01": (1, 0, D("30"), D("0"), D("0"), D("30"), D("10"), D("20"), D("0.6667"), D("2"), D("1.33"),
                           D("1.05"), D("19.62"), False, 0),
    }


def test_unified_customers(scenario):
    got = rows(scenario, """
        select email_normalized, phone_e164, shopify_customer_id is not null, stripe_customer_id, hubspot_contact_id,
               first_order_date, cohort_month, order_count, acquisition_channel, acquisition_channel_source
        from analytics.dim_customers order by email_normalized""")
    assert got == [
        # Shopify ana@… and Stripe Ana@…; first order's UTM facebook/paid
        ("ana@example.com", None, True, "cus_ana", None, date(2026, 10, 5), OCT, 3, "Meta Ads", "utm"),
        ("ap@bizco.example", None, False, "cus_biz", None, None, None, 0, "Direct / unknown", "none"),
        # Shopify Bo@Example.com and HubSpot bo@example.com: no UTM, so HubSpot's PAID_SEARCH
        ("bo@example.com", None, True, None, "51", date(2026, 10, 6), OCT, 2, "Google Ads", "hubspot"),
        # HubSpot contact 53 has only a phone, written 212-555-0100: joined by E.164
        ("cy@example.com", "+12125550100", True, None, "53", date(2026, 10, 7), OCT, 3, "Direct / unknown", "none"),
        ("dee@example.com", None, False, None, "52", None, None, 0, "Organic search", "hubspot"),
    ]
    # the guest checkout (#1007) is not a customer
    [guest] = rows(scenario, "select customer_id from analytics.fct_orders where order_name = '#1007'")
    assert guest == (None,)


def test_cohorts(scenario):
    got = by_key(scenario, """
        select cohort_month_id, cohort_customers, cumulative_net_sales, cumulative_contribution_margin,
               ltv_net_sales, repeat_customers, repeat_rate, channel_cac, ltv_to_cac, is_ltv_to_cac_month
        from analytics.rpt_customer_cohorts_monthly""")
    assert got == {
        # cy: #1003 nets to 0, #1006 100, #1010 6; margin 0 + (56 − 12.30) + (4 − 7.47)
        "2026-10-01:Direct / unknown:0": (1, D("106"), D("40.23"), D("106"), 1, D("1"), None, None, False),
        "2026-10-01:Direct / unknown:1": (1, D("106"), D("40.23"), D("106"), 1, D("1"), None, None, True),
        # bo: 81 − 18 + 30; Google spent 50.00 on 6 October for one new customer
        "2026-10-01:Google Ads:0": (1, D("93"), D("52.33"), D("93"), 1, D("1"), D("50"), D("1.86"), False),
        "2026-10-01:Google Ads:1": (1, D("93"), D("52.33"), D("93"), 1, D("1"), D("50"), D("1.86"), True),
        # ana: 40 + 50 in October; November +50 − 20 (the refund reduces the month it happens in);
        # Meta spent 100 EUR = 108.00
        "2026-10-01:Meta Ads:0": (1, D("90"), D("46.55"), D("90"), 1, D("1"), D("108"), D("0.83"), False),
        "2026-10-01:Meta Ads:1": (1, D("120"), D("66.80"), D("120"), 1, D("1"), D("108"), D("1.11"), True),
    }


def test_payments_and_direct_stripe_revenue(scenario):
    got = by_key(scenario, """
        select charge_id, match_method, is_direct_revenue, charge_date, currency_code, amount, amount_shop,
               refunded_amount_shop, fee_shop
        from analytics.fct_payments""")
    assert got == {
        "ch_order1001": ("order_reference", False, date(2026, 10, 5), "USD", D("48.20"), D("48.20"), D("21.60"),
                         D("1.70")),
        "ch_order1005": ("order_reference", False, date(2026, 10, 9), "USD", D("49.90"), D("49.90"), D("0"),
                         D("1.75")),
        "ch_invoice7": ("unmatched", True, date(2026, 10, 16), "USD", D("120"), D("120"), D("0"), D("3.78")),
        # 5000 yen (a zero-decimal currency: 5000 in Stripe's minor units) × 0.0067
        "ch_tokyo1": ("unmatched", True, date(2026, 11, 5), "JPY", D("5000"), D("33.50"), D("0"), D("1.27")),
    }
    direct = by_key(scenario, """
        select date, gross_sales, returns, net_sales, orders from analytics.rpt_revenue_by_channel_daily
        where sales_channel = 'Direct Stripe' and (orders <> 0 or returns <> 0)""")
    assert direct == {date(2026, 10, 16): (D("120"), D("0"), D("120"), 1),
                      date(2026, 11, 5): (D("33.50"), D("0"), D("33.50"), 1)}
    [shopify_total] = rows(scenario, """
        select sum(net_sales) from analytics.rpt_revenue_by_channel_daily where sales_channel = 'Shopify'""")
    assert shopify_total == (D("349"),)


def test_payment_reconciliation(scenario):
    got = by_key(scenario, """
        select date, shopify_stripe_sales, matched_charges, difference, difference_pct, unmatched_charges,
               amount_mismatch_count, is_warning
        from analytics.rpt_payment_reconciliation_daily""")
    assert got == {
        date(2026, 10, 5): (D("48.20"), D("48.20"), D("0"), D("0"), D("0"), 0, False),
        # #1005 was charged 49.90 for 50.00: 0.2 %, under the 1 % warning
        date(2026, 10, 9): (D("50"), D("49.90"), D("0.10"), D("0.002"), D("0"), 1, False),
        date(2026, 10, 16): (D("0"), D("0"), D("0"), None, D("120"), 0, False),
        date(2026, 11, 5): (D("0"), D("0"), D("0"), None, D("33.50"), 0, False),
    }
    causes = sorted(rows(scenario, "select cause, charge_id from analytics.rpt_payment_reconciliation_issues"))
    assert causes == [("amount_mismatch", "ch_order1005"), ("unmatched_charge", "ch_invoice7"),
                      ("unmatched_charge", "ch_tokyo1")]


def test_ad_performance_in_shop_currency(scenario):
    got = by_key(scenario, """
        select ad_performance_id, account_currency_code, spend_account_currency, spend, platform_conversion_value
        from analytics.fct_ad_performance_daily""")
    assert got == {
        # the Meta account bills in EUR: 100.00 × 1.08
        "meta_ads:1029384756:1301:2026-10-05": ("EUR", D("100"), D("108"), D("216")),
        "google_ads:4445556667:2301:2026-10-06": ("USD", D("50"), D("50"), D("40")),
    }
    roas = by_key(scenario, """
        select ad_platform, platform_roas, spend from analytics.rpt_marketing_campaigns_daily""")
    assert {k: v[0] for k, v in roas.items()} == {"meta_ads": D("2"), "google_ads": D("0.8")}
    # the flag's one home (the mart has none): under the default target of 2.0, 2 is not below it
    flags = {k: metrics.is_below_roas_target(r, spend, D("2.0")) for k, (r, spend) in roas.items()}
    assert flags == {"meta_ads": False, "google_ads": True}


def test_marketing_channels_and_blended(scenario):
    got = by_key(scenario, """
        select channel_day_id, spend, new_customers, channel_cac from analytics.rpt_marketing_channels_daily
        where spend <> 0 or new_customers <> 0""")
    assert got == {
        "2026-10-05:Meta Ads": (D("108"), 1, D("108")),
        "2026-10-06:Google Ads": (D("50"), 1, D("50")),
        "2026-10-07:Direct / unknown": (D("0"), 1, None),
    }
    blended = by_key(scenario, """
        select date, ad_spend, net_sales, new_customers, blended_roas, blended_cac from analytics.rpt_marketing_daily
        where ad_spend <> 0""")
    assert blended == {
        date(2026, 10, 5): (D("108"), D("40"), 1, D("0.3704"), D("108")),
        date(2026, 10, 6): (D("50"), D("81"), 1, D("1.62"), D("50")),
    }
    # a new customer on a day without ad spend: no spend means no CAC, not 0.00 (issue 22)
    no_spend = by_key(scenario, """
        select date, ad_spend, new_customers, blended_cac from analytics.rpt_marketing_daily
        where date = '2026-10-07'""")
    assert no_spend == {date(2026, 10, 7): (D("0"), 1, None)}


def test_budget_pacing(scenario):
    got = by_key(scenario, """
        select budget_pacing_id, budget_source, budget_amount, mtd_spend, elapsed_days, projected_spend, pacing,
               pacing_status
        from analytics.rpt_ad_budget_pacing_monthly""")
    assert got == {
        # the config's Google budget for October
        "2026-10-01:google_ads:*": ("config", D("1000"), D("50"), 31, D("50"), D("0.05"), "under"),
        # Google campaign budget 20.00 a day × 31 days
        "2026-10-01:google_ads:2201": ("campaign_daily_budget", D("620"), D("50"), 31, D("50"), D("0.0806"), "under"),
        # Meta campaign budget 40.00 EUR a day × 31 days × 1.08
        "2026-10-01:meta_ads:1201": ("campaign_daily_budget", D("1339.20"), D("108"), 31, D("108"), D("0.0806"),
                                     "under"),
    }


def test_inventory_status(scenario):
    got = by_key(scenario, """
        select sku, snapshot_date, on_hand, unit_cost, window_net_units, velocity, days_of_cover, reorder_point,
               reorder_point_source, is_low_stock, projected_stockout_date
        from analytics.rpt_inventory_status""")
    assert got == {
        # no lamp sold in the 28 days to 20 November: infinite cover; the CSV's reorder point 4 > 3
        "LAMP": (date(2026, 10, 20), 3, D("22"), 0, D("0"), None, 4, "inventory_csv", True, None),
        # one tee (#1009) in the window: 1/28 a day, 2 on hand = 56 days; ⌈1/28 × 14⌉ = 1
        "TEE": (date(2026, 10, 20), 2, D("10"), 1, D("0.0357"), D("56"), 1, "velocity", False, date(2027, 1, 15)),
    }


def test_source_health(scenario):
    got = by_key(scenario, "select source_name, last_status, health_status, quarantined_records "
                           "from analytics.rpt_source_health")
    assert got == {name: ("ok", "ok", 0) for name in
                   ("shopify", "stripe", "meta_ads", "google_ads", "hubspot", "files")}


def test_dbt_docs_generate(scenario):
    """`dbt docs generate` works with the profile Storeboard generates."""
    from dbt.cli.main import dbtRunner

    from storeboard.transform import runner
    from storeboard.warehouse import Warehouse

    warehouse = Warehouse.from_config(scenario)
    profiles = runner.write_profile(warehouse, scenario.state_dir / "dbt")
    target = scenario.state_dir / "dbt" / "docs-target"
    result = dbtRunner().invoke([
        "docs", "generate", "--project-dir", str(runner.PROJECT_DIR), "--profiles-dir", str(profiles),
        "--target", warehouse.kind, "--target-path", str(target), "--log-path", str(scenario.state_dir / "dbt" / "logs"),
        "--quiet",
    ])
    runner._release_duckdb()
    assert result.success, result.exception
    assert (target / "catalog.json").is_file() and (target / "manifest.json").is_file()


def test_weekly_summary(scenario):
    got = by_key(scenario, """
        select metric, value, previous_value, change, change_pct from analytics.rpt_weekly_summary
        where week_start = '2026-10-12'""")
    assert got == {
        # week of 5–11 October: 48.20 + 81 + 0 − 18 + 50; week of 12–18 October: 34 + 30 + 6 + the 120.00
        # direct Stripe invoice
        "total_sales": (D("190"), D("161.20"), D("28.80"), D("0.1787")),
        "net_sales": (D("186"), D("153"), D("33"), D("0.2157")),
        "orders": (D("3"), D("4"), D("-1"), D("-0.25")),
        # (30 + 30 + 6) ÷ 3 against (40 + 81 + 50 + 50) ÷ 4
        "average_order_value": (D("22"), D("55.25"), D("-33.25"), D("-0.6018")),
        "new_customers": (D("0"), D("3"), D("-3"), D("-1")),
        "ad_spend": (D("0"), D("158"), D("-158"), D("-1")),
        "blended_roas": (None, D("0.9684"), None, None),
        "blended_cac": (None, D("52.67"), None, None),
        # #1007 18.10 + #1008 24.83 + #1010 −3.47, against 23.30 + 37.50 − 10 + 0 + 23.25
        "contribution_margin": (D("39.46"), D("74.05"), D("-34.59"), D("-0.4671")),
        # no disputes in this store (test_store_file_sources.py has them)
        "chargebacks": (D("0"), D("0"), D("0"), None),
    }


def test_weekly_summary_has_every_week_to_the_report_date(scenario):
    """From the first week with sales (5 October, #1001) to the report date's (16 November; report
    date 20 November): seven weeks, quiet ones included. The week of 26 October sells nothing
    (#1006 on 21 October was the week before); the week of 9 November has only #1001's refund;
    the week of 16 November nothing at all, yet it has its row: 0 orders against 0."""
    weeks = query(scenario, "select week_start, value, previous_value from analytics.rpt_weekly_summary "
                            "where metric = 'orders' order by week_start")
    assert [r["week_start"] for r in weeks] == [date(2026, 10, 5) + timedelta(weeks=n) for n in range(7)]
    orders = {r["week_start"]: (D(r["value"]), D(r["previous_value"])) for r in weeks[1:]}
    assert orders[date(2026, 10, 26)] == (D("0"), D("1"))
    assert orders[date(2026, 11, 16)] == (D("0"), D("0"))


def test_what_drove_the_week(scenario):
    """Week of 12 October against 5–11 October (net sales 186 against 153, as in the weekly
    summary). Order value 30 (#1007) + 30 (#1008) + 6 (#1010) = 66 against 40 + 81 + 50 (#1003,
    sold and cancelled on its day) + 50 = 221; 3 orders against 4, so the orders part is last
    week's AOV 55.25 × −1 = −55.25 and the order-value part −155 + 55.25 = −99.75; returns 0
    against 68 (#1003's reversal 50, #1002's mug 18): +68; the direct Stripe invoice: +120.
    −55.25 − 99.75 + 68 + 120 = 33. By customer: new 0 against 171 (#1001, #1002, #1003 were
    first orders), returning 36 (#1008, #1010) against 50 (#1005), guests 30 (#1007) against 0:
    −171 − 14 + 30 + 68 + 120 = 33. Shopify 66 against 153: −87, + 120 = 33."""
    got = by_key(scenario, """
        select week_start, net_sales, previous_net_sales, change, orders_effect, average_order_value_effect,
               returns_effect, other_channels_effect, new_customers_effect, returning_customers_effect,
               guests_effect, shopify_effect
        from analytics.rpt_net_sales_change_weekly where week_start = '2026-10-12'""")
    assert got == {date(2026, 10, 12): (D("186"), D("153"), D("33"), D("-55.25"), D("-99.75"), D("68"), D("120"),
                                        D("-171"), D("-14"), D("30"), D("-87"))}
    # ad spend 158 (Meta 100 EUR × 1.08, Google 50) the week before, none this week: no MER to compare
    spend = by_key(scenario, """
        select week_part_id, spend, previous_spend, spend_change, mer, previous_mer, mer_change, mer_effect
        from analytics.rpt_ad_spend_change_weekly where week_start in ('2026-10-05', '2026-10-12')""")
    assert spend == {
        "2026-10-05:google_ads": (D("50"), D("0"), D("50"), D("0.9684"), None, None, None),
        "2026-10-05:meta_ads": (D("108"), D("0"), D("108"), D("0.9684"), None, None, None),
        "2026-10-05:net_sales": (D("0"), D("0"), D("0"), D("0.9684"), None, None, None),
        "2026-10-12:google_ads": (D("0"), D("50"), D("-50"), None, D("0.9684"), None, None),
        "2026-10-12:meta_ads": (D("0"), D("108"), D("-108"), None, D("0.9684"), None, None),
        "2026-10-12:net_sales": (D("0"), D("0"), D("0"), None, D("0.9684"), None, None),
    }
