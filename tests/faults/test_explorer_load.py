"""The SQL explorer under load while the serving process refreshes and applies a webhook round
(issue 23): 5 queries a second from another process; the refresh and the round succeed, and
every explorer answer is a result or "refreshing, try again" (never an error, never blocking
the writers)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from storeboard.sandbox.server import free_port
from storeboard.sandbox.shopify_webhooks import order_payload, post_webhook
from storeboard.warehouse import Warehouse
from tests.faults.harness import _env
from tests.faults.test_load import _wait_for

#: It times a server under load: run alone, after the parallel part of the suite (make test).
pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]
QUERY = "select count(*) as orders, sum(net_sales) as net_sales from analytics.rpt_revenue_daily"


class ExplorerLoad:
    """POSTs ``QUERY`` to /api/sql ``per_second`` times a second until stopped, each request on
    its own worker, so a slow answer does not lower the rate."""

    def __init__(self, url: str, per_second: float = 5.0):
        self.url, self.interval = url, 1 / per_second
        self.answers: list[tuple[int, dict]] = []
        self.started = self.stopped = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client, ThreadPoolExecutor(max_workers=32) as pool:
            page = client.get("/sql")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

            def ask() -> None:
                response = client.post("/api/sql", data={"sql": QUERY, "csrf_token": token})
                try:
                    body = response.json()
                except ValueError:  # a 500's plain text: counted, and fails the test below
                    body = {"text": response.text[:200]}
                self.answers.append((response.status_code, body))

            self.started = next_at = time.monotonic()
            while not self._stop.is_set():
                pool.submit(ask)
                next_at += self.interval
                time.sleep(max(0.0, next_at - time.monotonic()))
            self.stopped = time.monotonic()

    @property
    def rate(self) -> float:
        return len(self.answers) / (self.stopped - self.started)

    def __enter__(self) -> ExplorerLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=120)


def test_the_explorer_answers_or_says_refreshing_during_a_refresh_and_a_webhook_round(
        tmp_path, sandbox, reference, fault_generator):
    folder = tmp_path / "wh"
    config = reference.copy_to(folder)
    assert config.webhooks.enabled and not config.web.users  # a local demo: no login, loopback only
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (folder / "serve.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "tests.faults.serve_refreshing", str(folder / "storeboard.yml"),
                                   str(port)], cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    try:
        _wait_for(server, folder, "extract:shopify", "started")
        with ExplorerLoad(url) as load:
            _wait_for(server, folder, "transform", "started")
            order = fault_generator.store.orders[0]  # an existing order: the round re-reads it unchanged
            webhook = post_webhook(f"{url}/webhooks/shopify", "orders/updated",
                                   order_payload(order, fault_generator.store), fault_generator.store)
            assert webhook.status_code == 200 and webhook.json()["status"] == "stored", webhook.text
            finished = _wait_for(server, folder, "refresh", "ok")
            deadline = time.monotonic() + 240
            while b"webhooks: applied 1 event(s), 0 failed" not in (folder / "serve.log").read_bytes():
                assert time.monotonic() < deadline, (folder / "serve.log").read_text()[-3000:]
                assert server.poll() is None, (folder / "serve.log").read_text()[-3000:]
                time.sleep(0.2)
            time.sleep(2)  # a few answers after the round
    finally:
        server.terminate()
        server.wait(timeout=30)
    seconds = time.monotonic() - started
    assert finished["detail"] == ""
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        statuses = conn.query("select status, count(*) as n from storeboard_meta.webhook_events group by 1")
    assert statuses == [{"status": "applied", "n": 1}]
    answered = [body for status, body in load.answers if status == 200 and "rows" in body]
    refreshing = [body for status, body in load.answers if status == 503 and body.get("refreshing")
                  or status == 200 and body.get("refreshing")]
    print(f"FAULT explorer load: {len(load.answers)} queries at {load.rate:.1f}/s ({seconds:.0f} s in all), "
          f"{len(answered)} answered, {len(refreshing)} 'refreshing'")
    assert len(answered) + len(refreshing) == len(load.answers), [a for a in load.answers if a[0] != 200][:5]
    assert load.rate >= 4.5 and answered, "5 queries a second, and answers between the writers"
    assert {tuple(body["rows"][0]) for body in answered[-3:]} == {tuple(answered[-1]["rows"][0])}
