"""A generated store's planted truths appear in the marts the dashboards read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storeboard import pipeline
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.shopify import CostBucket
from storeboard.sandbox.truths import planted_truths
from storeboard.warehouse import Warehouse
from tests.conftest import make_config, make_generator


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    generator = make_generator(orders=1500, days=365)
    folder = tmp_path_factory.mktemp("planted")
    with SandboxServer(generator.store, shopify_bucket=CostBucket(1e9, 1e9)) as server:
        config = make_config(folder, "duckdb:///storeboard.duckdb", server.url, store=generator.store)
        report = pipeline.run(config)
    assert report.ok, report.errors
    return config, planted_truths(generator.store)


def rows(config, sql):
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query(sql)


def test_loss_making_best_sellers_are_flagged(built):
    config, truths = built
    margins = {r["sku"]: r for r in rows(config, """
        select sku, sum(gross_margin) as gross_margin, sum(contribution_margin) as contribution_margin
        from analytics.rpt_product_margin_monthly group by sku""")}
    for sku in truths.loss_making_skus:
        assert margins[sku]["gross_margin"] > 0 > margins[sku]["contribution_margin"], sku


def test_campaign_below_roas_1(built):
    config, truths = built
    below = rows(config, """
        select campaign_name, sum(platform_conversion_value) / sum(spend) as roas
        from analytics.rpt_marketing_campaigns_daily group by campaign_name
        having sum(spend) > 0 and sum(platform_conversion_value) < sum(spend)""")
    assert [r["campaign_name"] for r in below] == truths.campaigns_below_roas_1


def test_low_stock_skus(built):
    config, truths = built
    low = {r["sku"] for r in rows(config, "select sku from analytics.rpt_inventory_status where is_low_stock")}
    assert set(truths.low_stock_skus) <= low


def test_payback_channels(built):
    config, truths = built
    channels = {r["channel"]: r for r in rows(config, """
        select channel, sum(spend) as spend, sum(new_customers) as new_customers
        from analytics.rpt_marketing_channels_daily where is_paid group by channel""")}
    ltv = {(r["acquisition_channel"], r["months_since_first_order"]): r for r in rows(config, """
        select acquisition_channel, months_since_first_order,
               sum(cumulative_net_sales) as net_sales, sum(cohort_customers) as customers
        from analytics.rpt_customer_cohorts_monthly group by 1, 2""")}

    def cac(channel):
        return Decimal(channels[channel]["spend"]) / channels[channel]["new_customers"]

    def ltv_at(channel, month):
        row = ltv[(channel, month)]
        return Decimal(row["net_sales"]) / row["customers"]

    google = next(c for c in channels if "google" in c.lower())
    meta = next(c for c in channels if "meta" in c.lower())
    assert truths.payback_channel == "google" and truths.never_payback_channel == "meta"
    assert ltv_at(google, 3) > cac(google), "Google customers pay back within about 90 days"
    months = [k for (c, k) in ltv if c == meta]
    assert all(ltv_at(meta, k) < cac(meta) for k in months), "Meta customers never pay back"


def test_ad_spend_reconciles_with_every_account_total(built):
    """The generated accounts have a Performance Max campaign and deleted and archived Meta ad
    sets: the modelled spend still equals each account's own daily total, to the cent."""
    config, _ = built
    summary = rows(config, """
        select ad_platform, count(distinct account_id) as accounts, count(*) as days,
               sum(case when is_warning then 1 else 0 end) as gaps, sum(modelled_spend) as modelled,
               sum(account_total_spend) as total
        from analytics.rpt_ad_spend_reconciliation_daily group by ad_platform order by ad_platform""")
    assert [(r["ad_platform"], r["accounts"], r["gaps"]) for r in summary] == [("google_ads", 2, 0), ("meta_ads", 1, 0)]
    assert all(r["days"] > 300 and r["modelled"] == r["total"] > 0 for r in summary)
    [pmax] = rows(config, "select sum(spend) as spend from analytics.fct_ad_performance_daily "
                          "where campaign_name = 'google-pmax'")
    assert pmax["spend"] > 0
