"""The restatements and the week's drivers in a real browser, on a desktop and a phone: the data
health section, the revenue page's ▼ and tables, and the Monday email's two blocks. Screenshots go
to test-artifacts/ (docs/screenshots holds copies)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import uvicorn

from storeboard.notify import email
from storeboard.sandbox.server import free_port
from storeboard.warehouse import Warehouse
from storeboard.web.app import create_app
from tests.models.restated_store import MONDAY, refresh_with_late_changes
from tests.web.conftest import ARTIFACTS

WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(scope="module")
def restated_url(tmp_path_factory):
    """The restatement store, refreshed with its late changes, served locally (no login)."""
    refreshed = refresh_with_late_changes(tmp_path_factory.mktemp("restated-web"), "duckdb:///storeboard.duckdb")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(refreshed.config), host="127.0.0.1", port=port,
                                          log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", refreshed.config
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page_at(browser):
    contexts = []

    def opener(url: str, width: int):
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        if url:
            page.goto(url)
        return page

    yield opener
    for context in contexts:
        context.close()


@pytest.mark.parametrize("device", WIDTHS)
def test_data_health_lists_the_restatements(restated_url, page_at, device):
    url, _ = restated_url
    page = page_at(f"{url}/health", WIDTHS[device])
    section = page.locator("#section-restated")
    rows = section.locator("tbody tr")
    assert rows.count() >= 11, "W's days and week (and month, once closed) restatements"
    text = section.inner_text()
    assert "Meta Ads restated its spend for the period" in text and "1 late refund dated in the period" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[device], "no horizontal scroll"
    ARTIFACTS.mkdir(exist_ok=True)
    section.screenshot(path=str(ARTIFACTS / f"restatements-health-{device}.png"))
    assert page.errors == []


@pytest.mark.parametrize("device", WIDTHS)
def test_revenue_marks_the_restated_week_and_explains_the_change(restated_url, page_at, device):
    url, _ = restated_url
    week = f"start={MONDAY - timedelta(7)}&end={MONDAY + timedelta(6)}&grain=week"
    page = page_at(f"{url}/revenue?{week}", WIDTHS[device])
    page.wait_for_selector("#chart-trend[data-rendered=true]", timeout=30_000)
    # the ▼ over week W (a filled downward triangle among the chart's symbols)
    assert page.locator("#chart-trend svg .mark-symbol path").count() == 1
    drivers = page.locator("#section-drivers").inner_text()
    assert "$70.00" in drivers and "$50.00" in drivers and "−$20.00" in drivers
    assert "$90.00" in page.locator("#section-restated").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"restatements-revenue-{device}.png"), full_page=True)
    assert page.errors == []


@pytest.mark.parametrize("device", WIDTHS)
def test_the_email_blocks_read_on_a_phone_and_a_desktop(restated_url, page_at, device):
    _, config = restated_url
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        report = email.build_report(config, conn, MONDAY + timedelta(7))
    html, _ = email.render(report, {"sales": "", "spend_roas": ""})
    page = page_at("", WIDTHS[device])
    page.set_content(html)
    blocks = page.locator("[data-block=drivers], [data-block=restated]")
    assert blocks.count() == 2
    assert "Net sales for" in page.locator("[data-block=restated]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[device]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("[data-block=drivers]").evaluate("el => el.closest('table').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / f"restatements-email-{device}.png"), full_page=True)
