"""Restatements of closed periods (issue 22), hand-computed on a small store refreshed twice.

The store (UTC, USD) sells in week W, the ISO week two weeks before today, so W is closed:

- #1001 on W Tuesday: 2 mugs at 20.00 (cost 8.00 each), Shopify Payments fee 1.46, customer Ana;
- #1002 on W Wednesday: a lamp at 50.00 (cost 20.00), fee 1.75, customer Bo;
- Meta spends 100.00 on W Wednesday and claims 150.00 of purchases. No shipping rate card and no
  shipping-cost CSV yet, so shipping costs are 0.
- the week before W: a guest's order #1000 of one mug (20.00) and 50.00 of Meta spend; nothing
  about it changes, so nothing of it is restated.

First refresh (the baseline): W Tuesday net sales 40.00, contribution margin 40 − 16 − 1.46 =
22.54; W Wednesday net sales 50.00, contribution margin 50 − 20 − 1.75 = 28.25; week W net sales
90.00, contribution margin 50.79, ad spend (Meta) 100.00, shipping cost 0.00.

Then, before the second refresh, three late changes arrive:

1. a refund of one of #1001's mugs dated W Thursday (20.00, no tax) reaches Shopify's API only now:
   W Thursday's returns 0.00 → 20.00 and net sales 0.00 → −20.00 (both restated from 0: the day
   was already closed at the first refresh), week W's returns 0.00 → 20.00 and net sales
   90.00 → 70.00, all "1 late refund dated in the period". Contribution margin of W Thursday:
   −20 + 8 (the mug's cost comes back) = −12.00, and its COGS 0.00 → −8.00 (week W 36.00 → 28.00).
2. Meta restates W Wednesday's spend from 100.00 to 90.00 ("Meta Ads restated its spend").
3. the shipping-cost CSV for the month arrives with a 7.50 label for #1002: W Wednesday's
   shipping cost 0.00 → 7.50 and contribution margin 28.25 → 20.75; week W's shipping cost
   0.00 → 7.50; "shipping-cost CSV: labels for 1 order arrived".

Week W's contribution margin therefore moves 50.79 → 50.79 − 12.00 − 7.50 = 31.29, for both
causes. Nothing else is restated: orders, new customers and the order days' COGS stay.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal as D

import psycopg
import pytest

from tests.models.conftest import query
from tests.models.restated_store import (
    MONDAY,
    THURSDAY,
    TODAY,
    WEDNESDAY,
    Refreshed,
    history,
    refresh_with_late_changes,
)


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def refreshed(request, tmp_path_factory) -> Refreshed:
    """The store refreshed with the late changes in between, on each warehouse."""
    folder = tmp_path_factory.mktemp(f"restated-{request.param}")
    if request.param == "duckdb":
        return refresh_with_late_changes(folder, "duckdb:///storeboard.duckdb")
    server = request.getfixturevalue("postgres_server")
    name = f"restated_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    return refresh_with_late_changes(folder, f"{server.rsplit('/', 1)[0]}/{name}")


def restatements(config, grains=("day", "week")) -> dict[tuple, tuple]:
    rows = query(config, "select grain, period_start, metric, ad_platform, old_value, new_value, change, cause_source, "
                         "cause from analytics.rpt_restatements")
    return {(r["grain"], r["period_start"], r["metric"], r["ad_platform"]):
            (D(r["old_value"]).normalize(), D(r["new_value"]).normalize(), D(r["change"]).normalize(), r["cause_source"],
             r["cause"])
            for r in rows if r["grain"] in grains}


def test_each_late_change_is_one_restatement_with_its_cause(refreshed):
    refund, meta, csv = "1 late refund dated in the period", "Meta Ads restated its spend for the period", \
        "shipping-cost CSV: labels for 1 order arrived"
    assert restatements(refreshed.config) == {
        ("day", THURSDAY, "returns", ""): (D("0"), D("20"), D("20"), "shopify", refund),
        ("day", THURSDAY, "net_sales", ""): (D("0"), D("-20"), D("-20"), "shopify", refund),
        ("day", THURSDAY, "contribution_margin", ""): (D("0"), D("-12"), D("-12"), "shopify", refund),
        ("day", THURSDAY, "cogs", ""): (D("0"), D("-8"), D("-8"), "shopify", refund),
        ("day", WEDNESDAY, "ad_spend", "meta_ads"): (D("100"), D("90"), D("-10"), "meta_ads", meta),
        ("day", WEDNESDAY, "shipping_cost", ""): (D("0"), D("7.5"), D("7.5"), "files", csv),
        ("day", WEDNESDAY, "contribution_margin", ""): (D("28.25"), D("20.75"), D("-7.5"), "shopify", csv),
        ("week", MONDAY, "returns", ""): (D("0"), D("20"), D("20"), "shopify", refund),
        ("week", MONDAY, "net_sales", ""): (D("90"), D("70"), D("-20"), "shopify", refund),
        ("week", MONDAY, "contribution_margin", ""): (D("50.79"), D("31.29"), D("-19.5"), "shopify", f"{refund}; {csv}"),
        ("week", MONDAY, "ad_spend", "meta_ads"): (D("100"), D("90"), D("-10"), "meta_ads", meta),
        ("week", MONDAY, "shipping_cost", ""): (D("0"), D("7.5"), D("7.5"), "files", csv),
        ("week", MONDAY, "cogs", ""): (D("36"), D("28"), D("-8"), "shopify", refund),
    }


def test_months_agree_with_their_days(refreshed):
    """A closed month's restatement is the sum of its days' (W may straddle two months)."""
    days = restatements(refreshed.config, grains=("day",))
    months = restatements(refreshed.config, grains=("month",))
    if (TODAY.replace(day=1) - timedelta(1)) < WEDNESDAY:  # W's month is not closed yet
        assert all(key[1] < TODAY.replace(day=1) for key in months)
    for (_grain, start, metric, platform), (_old, _new, change, _, _) in months.items():
        in_month = [v for k, v in days.items() if k[2] == metric and k[3] == platform
                    and (k[1].year, k[1].month) == (start.year, start.month)]
        assert change == sum((v[2] for v in in_month), D("0")).normalize(), (start, metric)


def test_a_refresh_without_changes_records_nothing(refreshed):
    """The third refresh re-reads Meta's look-back and the same raw data: no new history row."""
    assert history(refreshed.config) == refreshed.history_after_second


def test_the_monday_email_lists_the_changes_to_earlier_weeks(refreshed):
    """The report of the week after W, never sent before: W's restated headline figures, each in
    one sentence with its cause, newest first (then by metric); no day or month lines."""
    from storeboard.notify import email
    from storeboard.warehouse import Warehouse

    label = f"{MONDAY.day}–{(MONDAY + timedelta(6)).day} {MONDAY + timedelta(6):%b %Y}" \
        if MONDAY.month == (MONDAY + timedelta(6)).month else None
    with Warehouse.from_config(refreshed.config).connect(read_only=True) as conn:
        report = email.build_report(refreshed.config, conn, MONDAY + timedelta(7))
    week = label or report.restated[0].split(" for ", 1)[1].split(" restated", 1)[0]
    assert report.restated == [
        f"Ad spend (Meta Ads) for {week} restated from $100.00 to $90.00 (−$10.00: Meta Ads restated its spend "
        "for the period)",
        f"Contribution margin for {week} restated from $50.79 to $31.29 (−$19.50: 1 late refund dated in the period; "
        "shipping-cost CSV: labels for 1 order arrived)",
        f"Net sales for {week} restated from $90.00 to $70.00 (−$20.00: 1 late refund dated in the period)",
    ]
    assert report.drivers[0].startswith("Net sales −$70.00 against the week before ($0.00 from $70.00)")
    html, text = email.render(report, {"sales": "cid:sales", "spend_roas": "cid:spend_roas"})
    assert "CHANGES TO EARLIER WEEKS" in text and report.restated[2] in text
    assert "WHAT DROVE THE WEEK" in text and report.drivers[0] in text and 'data-block="drivers"' in html
    assert 'data-block="restated"' in html and "Changes to earlier weeks" in html
    # the week W report itself has no earlier week restated
    with Warehouse.from_config(refreshed.config).connect(read_only=True) as conn:
        assert email.build_report(refreshed.config, conn, MONDAY).restated == []


def test_pages_show_the_restatements(refreshed):
    """Revenue (week view of W): the ▼ on W's bar and the table; marketing: Meta's restated
    spend; data health: the whole log, newest first."""
    from fastapi.testclient import TestClient

    from storeboard.web.app import create_app

    client = TestClient(create_app(refreshed.config), client=("127.0.0.1", 50000), base_url="http://localhost")
    week = f"start={MONDAY}&end={MONDAY + timedelta(6)}"
    revenue = client.get(f"/revenue?{week}&grain=week")
    assert revenue.status_code == 200
    restated = revenue.text.split('id="restated"', 1)[1].split("</table>", 1)[0]
    assert "Net sales" in restated and "$90.00" in restated and "$70.00" in restated and "1 late refund" in restated
    assert "Net sales for" in revenue.text.split('id="restated"', 1)[0], "the chart's ▼ carries the sentence"
    marketing = client.get(f"/marketing?{week}")
    assert "Ad spend (Meta Ads)" in marketing.text and "Meta Ads restated its spend" in marketing.text
    health = client.get("/health").text.split('id="restated"', 1)[1].split("</table>", 1)[0]
    assert health.count("<tr") - 1 == query(refreshed.config, "select count(*) as n from analytics.rpt_restatements")[0]["n"]


def test_what_drove_week_w_adds_up(refreshed):
    """Week W against the week before, as it stands after the late changes. Net sales 70 (order
    value 90, returns 20) against 20 (the guest's mug): +50. Orders 2 against 1 at last week's AOV
    20.00: +20; order value 90 − 20 − 20 = +50; returns −20; no other channel. By customer: new
    +90 (Ana's and Bo's first orders), returning 0, guests −20. MER 70 ÷ 90 = 0.7778 against
    20 ÷ 50 = 0.4000: +0.3778, of which Meta's spend (+40.00): −20 × 40 ÷ (50 × 90) = −0.1778,
    and net sales the rest, +0.5556."""
    got = query(refreshed.config, f"""
        select change, orders_effect, average_order_value_effect, returns_effect, other_channels_effect,
               new_customers_effect, returning_customers_effect, guests_effect, shopify_effect
        from analytics.rpt_net_sales_change_weekly where week_start = '{MONDAY}'""")
    assert [tuple(D(v).normalize() for v in row.values()) for row in got] == [
        (D("50"), D("20"), D("50"), D("-20"), D("0"), D("90"), D("0"), D("-20"), D("50"))]
    parts = {r["part"]: (D(r["spend_change"]).normalize(), D(r["mer"]), D(r["previous_mer"]), D(r["mer_change"]),
                         D(r["mer_effect"]))
             for r in query(refreshed.config, f"select * from analytics.rpt_ad_spend_change_weekly "
                                              f"where week_start = '{MONDAY}'")}
    assert parts == {"meta_ads": (D("40"), D("0.7778"), D("0.4"), D("0.3778"), D("-0.1778")),
                     "net_sales": (D("0"), D("0.7778"), D("0.4"), D("0.3778"), D("0.5556"))}
    from storeboard.presentation import drivers
    from storeboard.warehouse import Warehouse

    with Warehouse.from_config(refreshed.config).connect(read_only=True) as conn:
        [week] = drivers.net_sales_weeks(conn, MONDAY, MONDAY)
        spend = drivers.ad_spend_sentence(drivers.ad_spend_weeks(conn, MONDAY, MONDAY), "USD")
    assert drivers.net_sales_sentences(week, "USD") == [
        "Net sales +$50.00 against the week before ($70.00 from $20.00): orders +$20.00 (2 orders against 1), "
        "average order value +$50.00, returns −$20.00, other channels $0.00.",
        "By customer: new customers +$90.00, returning customers $0.00, guests −$20.00, with the same returns and "
        "other channels."]
    assert spend == ("Ad spend +$40.00 (Meta Ads +$40.00). MER 0.78 from 0.40 (+0.3778): Meta Ads spend −0.1778, "
                     "net sales +0.5556.")


def test_the_restatement_alert_names_the_large_ones(refreshed):
    """alerts.rules.restatement (off by default) with min_change_pct 15: week W's net sales
    (−22 %), contribution margin (−38 %), COGS (−22 %) and the figures restated from 0 (returns,
    shipping cost) fire; Meta's −10 % does not. Largest relative change first."""
    from storeboard.notify import rules
    from storeboard.warehouse import Warehouse

    config = refreshed.config.model_copy(deep=True)
    assert config.alerts.rules.restatement.enabled is False
    config.alerts.rules.restatement.enabled = True
    config.alerts.rules.restatement.min_change_pct = D("15")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        findings = rules.restatement(conn, rules.Context(config, "USD", TODAY))
    weekly = [f for f in findings if f.data["grain"] == "week"]
    assert [f.data["metric"] for f in weekly] == ["returns", "shipping_cost", "contribution_margin", "cogs", "net_sales"]
    net = weekly[-1]
    assert net.title.startswith("Net sales for ") and net.title.endswith("restated: −$20.00")
    assert net.fields == [("Was", "$90.00"), ("Now", "$70.00"), ("Why", "1 late refund dated in the period")]
    assert net.link == "/health" and len({f.key for f in findings}) == len(findings)
