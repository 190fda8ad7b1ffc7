"""The Revenue page in a real headless Chromium, against a pipeline-built DuckDB warehouse."""

from __future__ import annotations

import os
import shutil
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from storeboard import pipeline
from storeboard.sandbox.server import free_port
from storeboard.web.app import create_app
from storeboard.web.formatting import money
from tests.conftest import make_config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def built_config(tmp_path, sandbox):
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url)
    assert pipeline.run(config).ok
    return config


@pytest.fixture
def web_url(built_config):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(built_config), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing on CI; .ci/run must install Debian's chromium package")
        pytest.skip("Chromium not installed (apt-get install chromium) — browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def test_revenue_api_and_page_agree(built_config):
    client = TestClient(create_app(built_config))
    api = client.get("/api/revenue", params={"start": "2026-11-01", "end": "2026-11-20"}).json()
    page = client.get("/revenue", params={"start": "2026-11-01", "end": "2026-11-20"}).text
    assert money(Decimal(api["summary"]["net_sales"]), "USD") in page
    assert api["timezone"] == "America/New_York" and api["currency"] == "USD"
    assert len(api["daily"]) == 20


def test_bad_dates_are_rejected_with_a_reason(built_config):
    client = TestClient(create_app(built_config))
    response = client.get("/api/revenue", params={"start": "yesterday"})
    assert response.status_code == 422
    assert "start must be a date" in response.text
    assert client.get("/api/revenue", params={"start": "2026-11-10", "end": "2026-11-01"}).status_code == 422


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_revenue_page_draws_chart_without_errors(browser, web_url, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{web_url}/revenue?start=2026-10-22&end=2026-11-20")
    page.wait_for_selector("#chart[data-rendered=true]", timeout=30_000)

    assert page.locator("#chart svg .mark-rect path, #chart svg .mark-rect").count() > 0, "bars are drawn"
    api = page.request.get(f"{web_url}/api/revenue?start=2026-10-22&end=2026-11-20").json()
    tile = page.locator('[data-metric="net_sales"] .tile-value').inner_text()
    assert tile == money(Decimal(api["summary"]["net_sales"]), "USD")
    assert page.locator("#daily tbody tr").count() == 30
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no horizontal scroll"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"revenue-{width}.png"), full_page=True)
    assert errors == []
