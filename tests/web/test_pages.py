"""Every dashboard in a real headless Chromium at desktop and phone widths, against the marts."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from urllib.parse import urljoin

import pytest

from storeboard.presentation.formatting import money, ratio, value as fmt
from tests.web.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

RANGE = "start=2026-10-22&end=2026-11-20"
PAGES = ["revenue", "marketing", "customers", "products", "inventory", "health", "sql"]


def tile(page, key: str) -> str:
    return page.locator(f'[data-metric="{key}"] .tile-value').inner_text()


def wait_for_charts(page) -> int:
    charts = page.locator(".chart[data-spec]")
    for i in range(charts.count()):
        charts.nth(i).locator("svg").first.wait_for(timeout=30_000)
        page.wait_for_selector(f"#{charts.nth(i).get_attribute('id')}[data-rendered=true]", timeout=30_000)
    return charts.count()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_draws_and_fits(open_page, name, width):
    page = open_page(f"/{name}?{RANGE}" if name != "sql" else "/sql", width)
    drawn = wait_for_charts(page)
    if name not in ("sql",):
        assert drawn > 0, "every dashboard has at least one chart"
        assert page.locator(".chart svg .mark-rect path, .chart svg .mark-line path, .chart svg .mark-symbol path").count() > 0
    nav = [a.get_attribute("href") for a in page.locator("nav a").all()]
    assert nav == ["/revenue", "/marketing", "/customers", "/products", "/inventory", "/health", "/sql"]
    assert "America/New_York" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no horizontal scroll"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    assert page.errors == []


def sums(warehouse, sql: str, start: str, end: str):
    return warehouse(sql + " where date between ? and ?", [start, end])[0]


def test_revenue_numbers_equal_the_marts_and_filters_change_them(open_page, warehouse):
    page = open_page(f"/revenue?{RANGE}")
    net, total, orders, gross, discounts = sums(
        warehouse, "select sum(net_sales), sum(total_sales), sum(orders), sum(gross_sales), sum(discounts) "
        "from analytics.rpt_revenue_daily", "2026-10-22", "2026-11-20")
    assert tile(page, "net_sales") == money(net, "USD")
    assert tile(page, "total_sales") == money(total, "USD")
    assert tile(page, "orders") == f"{orders:,}"
    assert tile(page, "average_order_value") == money((gross - discounts) / orders, "USD")
    (new,) = sums(warehouse, "select sum(new_customers) from analytics.rpt_marketing_daily", "2026-10-22", "2026-11-20")
    assert tile(page, "new_customers") == f"{new:,}"
    assert page.locator("#periods tbody tr").count() == 30
    assert "vs previous period" in page.locator('[data-metric="net_sales"]').inner_text()

    page.select_option("select[name=grain]", "week")
    page.wait_for_url("**grain=week**")
    assert tile(page, "net_sales") == money(net, "USD"), "grouping does not change the total"
    assert page.locator("#periods tbody tr").count() == 5  # Oct 19, 26, Nov 2, 9, 16 (Mondays)
    week_net = sum(Decimal(c.replace("$", "").replace(",", "").replace("−", "-"))
                   for c in page.locator('#periods td[data-key="net_sales"]').all_inner_texts())
    assert week_net == net

    page.fill("input[name=start]", "2026-11-14")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**start=2026-11-14**")
    (net_week,) = sums(warehouse, "select sum(net_sales) from analytics.rpt_revenue_daily", "2026-11-14", "2026-11-20")
    assert net_week != net and tile(page, "net_sales") == money(net_week, "USD")
    channels = page.locator("#channels tbody tr")
    assert channels.count() == 2 and "Direct Stripe" in page.locator("#channels").inner_text()
    assert page.errors == []


def test_presets_pick_store_days(open_page, warehouse):
    page = open_page("/revenue?preset=7d")
    assert "2026-11-14 – 2026-11-20" in page.locator("#range-info").inner_text()
    (net,) = sums(warehouse, "select sum(net_sales) from analytics.rpt_revenue_daily", "2026-11-14", "2026-11-20")
    assert tile(page, "net_sales") == money(net, "USD")
    page.select_option("#preset", "mtd")
    page.wait_for_url("**preset=mtd**")
    assert "2026-11-01 – 2026-11-20" in page.locator("#range-info").inner_text()


def test_marketing_numbers_equal_the_marts(open_page, warehouse, web_config):
    page = open_page(f"/marketing?{RANGE}")
    spend, net, new = sums(warehouse, "select sum(ad_spend), sum(net_sales), sum(new_customers) "
                           "from analytics.rpt_marketing_daily", "2026-10-22", "2026-11-20")
    assert tile(page, "ad_spend") == money(spend, "USD")
    assert tile(page, "blended_roas") == ratio(net / spend)
    assert tile(page, "blended_cac") == money(spend / new, "USD")
    flagged = page.locator("#campaigns tbody tr.flagged")
    assert flagged.count() >= 1, "the sandbox plants a campaign under its ROAS target"
    first = page.locator("#campaigns tbody tr").first
    assert "flagged" in (first.get_attribute("class") or ""), "campaigns under target are listed first"
    assert page.locator("#pacing tbody tr").count() > 0
    assert page.errors == []


def test_customer_ltv_shows_the_cohort_mart(open_page, warehouse):
    page = open_page("/customers?start=2026-10-01&end=2026-11-20")
    rows = warehouse("select strftime(cohort_month, '%Y-%m'), acquisition_channel, cohort_customers, ltv_net_sales, "
                     "ltv_to_cac from analytics.rpt_customer_cohorts_monthly where is_ltv_to_cac_month")
    table = page.locator("#cohorts tbody tr")
    assert table.count() == len(rows)
    shown = {tuple(table.nth(i).locator("td").all_text_contents()[:2]): table.nth(i).locator("td").all_text_contents()
             for i in range(table.count())}
    for month, channel, customers, ltv, ltv_to_cac in rows:
        cells = shown[(month, channel)]
        assert cells[2] == f"{customers:,}" and cells[4] == money(ltv, "USD") and cells[7] == ratio(ltv_to_cac)
    page.select_option("select[name=channel]", "Meta Ads")
    page.wait_for_url("**channel=Meta**")
    wait_for_charts(page)
    assert page.errors == []


def test_product_margin_flags_loss_makers_first_and_sorts(open_page, warehouse):
    page = open_page("/products?start=2026-11-01&end=2026-11-20")
    (contribution, losers) = warehouse(
        "select sum(contribution_margin), null from analytics.rpt_product_margin_monthly where month = '2026-11-01'")[0]
    assert tile(page, "contribution_margin") == money(contribution, "USD")
    flagged = warehouse(
        "select sku from analytics.rpt_product_margin_monthly where month = '2026-11-01' and is_loss_after_shipping")
    rows = page.locator("#skus tbody tr")
    first_cells = [rows.nth(i).locator("td").first.inner_text() for i in range(len(flagged))]
    assert flagged and sorted(first_cells) == sorted(s for (s,) in flagged), "loss-makers first"
    page.select_option("select[name=sort]", "net_revenue")
    page.wait_for_url("**sort=net_revenue**")
    values = [Decimal(v.replace("$", "").replace(",", "").replace("−", "-"))
              for v in page.locator('#skus tbody tr:not(.flagged) td[data-key="net_revenue"]').all_inner_texts()]
    assert values == sorted(values, reverse=True)
    assert page.errors == []


def test_inventory_lists_low_stock_with_stockout_dates(open_page, warehouse):
    page = open_page("/inventory")
    (low, value) = warehouse("select count(*) filter (where is_low_stock), sum(stock_value) "
                             "from analytics.rpt_inventory_status")[0]
    assert tile(page, "low_stock") == f"{low:,}" and low > 0
    assert tile(page, "stock_value") == money(value, "USD")
    assert page.locator("#low_stock tbody tr").count() == low
    dates = page.locator('#low_stock td[data-key="projected_stockout_date"]').all_inner_texts()
    assert dates == sorted(dates)


def test_data_health_lists_every_source(open_page, warehouse):
    page = open_page(f"/health?{RANGE}")
    sources = warehouse("select source_name from analytics.rpt_source_health")
    assert page.locator("#sources tbody tr").count() == len(sources) == 6
    assert page.locator("#health-banner").count() == 0, "a fresh build is neither stale nor failed"
    assert page.errors == []


@pytest.mark.parametrize("name", ["revenue", "marketing", "customers", "products", "inventory", "health"])
def test_csv_export_matches_the_tables(open_page, name):
    page = open_page(f"/{name}?{RANGE}")
    for section in page.locator("section.card:has(table.data)").all():
        table = section.locator("table.data")
        link = section.locator("a.csv").get_attribute("href")
        response = page.request.get(urljoin(page.url, link))
        assert response.ok and response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.text())))
        kinds = [th.get_attribute("data-kind") for th in table.locator("thead th[data-kind]").all()]
        labels = [th.text_content() for th in table.locator("thead th[data-kind]").all()]
        assert rows[0] == labels
        body = table.locator("tbody tr")
        assert body.count() == len(rows) - 1
        for i, raw in enumerate(rows[1:]):
            cells = body.nth(i).locator("td[data-key]").all_text_contents()
            expected = [fmt(_parse(v, k), k, "USD") for v, k in zip(raw, kinds)]
            assert [_settle_age(c, e) for c, e in zip(cells, expected)] == expected, f"{link} row {i}"


def _settle_age(shown: str, exported: str) -> str:
    """The page and its CSV are two requests: a relative age ("3 min ago") computed at each may
    differ by one unit across a minute boundary, and then counts as the same."""
    a, b = shown.split(" ", 1), exported.split(" ", 1)
    if len(a) == 2 and a[1] == b[-1] and a[1].endswith(" ago") and a[0].isdigit() and b[0].isdigit():
        return exported if abs(int(a[0]) - int(b[0])) <= 1 else shown
    return shown


def _parse(text: str, kind: str):
    if text == "":
        return None
    if kind in ("money", "pct", "ratio", "days", "number"):
        return Decimal(text)
    if kind == "count":
        return int(text) if text.lstrip("-").isdigit() else text
    if kind == "bool":
        return text == "True"
    if kind == "timestamp":
        return datetime.fromisoformat(text)
    return text


def test_sql_explorer_runs_a_query_and_downloads_csv(open_page, warehouse):
    page = open_page("/sql")
    assert "rpt_revenue_daily" in page.locator(".catalog").inner_text()
    page.locator(".catalog summary", has_text="rpt_revenue_daily").click()
    assert "Calendar day in the store's time zone" in page.locator(".catalog").inner_text()
    page.fill("#sql", "select date, net_sales from analytics.rpt_revenue_daily where date >= '2026-11-15' order by date")
    page.click("button:has-text('Run')")
    page.wait_for_selector("#sql-result")
    assert page.locator("#sql-result tbody tr").count() == 6
    with page.expect_download() as download:
        page.click("#sql-csv")
    text = open(download.value.path()).read()
    expected = warehouse("select date, net_sales from analytics.rpt_revenue_daily where date >= '2026-11-15' order by date")
    assert text.splitlines() == ["date,net_sales"] + [f"{d.isoformat()},{v}" for d, v in expected]
    page.fill("#sql", "drop table analytics.dim_store")
    page.click("button:has-text('Run')")
    assert "Refused" in page.locator("#sql-error").inner_text()
    assert page.errors == [] or all("400" in e for e in page.errors)
