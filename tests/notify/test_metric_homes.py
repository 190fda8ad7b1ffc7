"""Issue #21, one home per metric: for one week of a built store, the marketing page (the web
query functions), the weekly email (the notify query functions) and the marts give the same
net sales, blended ROAS and blended CAC. Reuses the notify session's warehouse build."""

from __future__ import annotations

from datetime import date, timedelta

from storeboard.notify import queries as notify_queries
from storeboard.presentation import metrics
from storeboard.warehouse import Warehouse
from storeboard.web import queries as web_queries
from tests.notify.conftest import REPORT_DATE, configure

#: A whole ISO week (Monday to Sunday) before the pinned report date, with ad spend and sales.
WEEK = date(2026, 11, 9)


def test_page_email_and_marts_agree_on_a_week(warehouse_copy):
    config = configure(warehouse_copy, f"metrics:\n  report_date: {REPORT_DATE.isoformat()}\n")
    end = WEEK + timedelta(days=6)
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        page = web_queries.marketing_summary(conn, WEEK, end)
        email = notify_queries.weekly_summary(conn, WEEK)
        daily = conn.query(
            "select sum(ad_spend) as ad_spend, sum(net_sales) as net_sales, sum(new_customers) as new_customers "
            "from analytics.rpt_marketing_daily where date between %(start)s and %(end)s",
            {"start": WEEK, "end": end})[0]
    spend, net, new = daily["ad_spend"], daily["net_sales"], int(daily["new_customers"])
    assert spend > 0 and new > 0, "the week must have ad spend and new customers to compare CAC and ROAS"

    # the sums: the page's range, the email's week and the daily mart's rows
    assert page["net_sales"] == email["net_sales"]["value"] == net
    assert page["ad_spend"] == email["ad_spend"]["value"] == spend
    assert page["new_customers"] == int(email["new_customers"]["value"]) == new

    # the ratios of those sums, each from presentation.metrics as the marts' macros compute them
    assert email["blended_roas"]["value"] == metrics.mer(net, spend)  # rpt_weekly_summary: 4 places
    assert page["blended_roas"] == metrics.mer(net, spend, web_queries.ROAS_SHOWN_PLACES)
    assert page["blended_cac"] == email["blended_cac"]["value"] == metrics.cac(spend, new)
