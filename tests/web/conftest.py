"""Web fixtures: one pipeline-built DuckDB warehouse for the whole web test session (the build
is the slow part), an app with login on, a uvicorn server and a logged-in Chromium."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from storeboard import pipeline
from storeboard.config import load_config
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.server import free_port
from storeboard.sandbox.shopify import CostBucket
from storeboard.warehouse import Warehouse
from storeboard.web.app import create_app
from storeboard.web.users import add_user
from tests.conftest import _on_ci, make_config, make_generator

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
USER, PASSWORD = "founder", "correct horse battery"


@pytest.fixture(scope="session")
def web_folder(tmp_path_factory) -> Path:
    """A config folder whose DuckDB warehouse the pipeline built from a small sandbox store."""
    folder = tmp_path_factory.mktemp("web")
    generator = make_generator()
    with SandboxServer(generator.store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0)) as server:
        config = make_config(folder, "duckdb:///storeboard.duckdb", server.url, store=generator.store)
        report = pipeline.run(config)
        assert report.ok, report.errors
    add_user(folder / "storeboard.yml", USER, PASSWORD)
    return folder


def load_web_config(folder: Path, **web):
    config = load_config(folder / "storeboard.yml", environ={**os.environ, **_dotenv(folder)})
    for key, value in web.items():
        setattr(config.web, key, value)
    return config


def _dotenv(folder: Path) -> dict[str, str]:
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(folder / ".env").items() if v is not None}


@pytest.fixture(scope="session")
def web_config(web_folder):
    return load_web_config(web_folder)


@pytest.fixture(scope="session")
def warehouse(web_config):
    """Read-only access to the marts, to compute what the pages must show."""

    def query(sql: str, params: list | None = None):
        # Through Warehouse.connect and the app's own config: in this process the served app may
        # hold the file open too (the explorer's locked instance, with the configured memory
        # limit), and DuckDB only lets connections with the same settings share it.
        with Warehouse.from_config(web_config).connect(read_only=True) as conn:
            return conn.raw.execute(sql, params or []).fetchall()

    return query


def login(client: TestClient, username: str = USER, password: str = PASSWORD):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/revenue"}, follow_redirects=False)


@pytest.fixture(scope="session")
def client(web_config) -> TestClient:
    """A TestClient logged in as the test user."""
    client = TestClient(create_app(web_config), base_url="http://localhost")
    assert login(client).status_code == 303
    return client


def csrf_of(client: TestClient) -> str:
    return client.get("/sql").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


@pytest.fixture(scope="session")
def web_url(web_config):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(web_config), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if _on_ci():
            pytest.fail("Chromium is missing on CI; .ci/run must install Debian's chromium package")
        pytest.skip("Chromium not installed: `make system-deps` (Debian's chromium) — browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def auth_state(browser, web_url, tmp_path_factory) -> str:
    """Storage state of a browser that logged in through the form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{web_url}/revenue")
    assert "/login" in page.url, "anonymous visitors are sent to the login form"
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{web_url}/revenue")
    path = tmp_path_factory.mktemp("auth") / "state.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


@pytest.fixture
def open_page(browser, web_url, auth_state):
    """open_page(path, width) → a logged-in page that collects console errors in ``page.errors``."""
    contexts = []

    def opener(path: str, width: int = 1280):
        context = browser.new_context(viewport={"width": width, "height": 900}, storage_state=auth_state)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.goto(f"{web_url}{path}")
        return page

    yield opener
    for context in contexts:
        context.close()
