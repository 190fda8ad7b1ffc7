"""A warehouse built once for the notify tests, a Slack receiver and an SMTP server on loopback."""

from __future__ import annotations

import json
import os
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dotenv import dotenv_values

from storeboard import pipeline
from storeboard.config import Config, load_config
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.shopify import CostBucket
from tests.conftest import make_config, make_generator

#: "Today" for the marts and the rules: the generated store's history ends on 20 Nov 2026.
REPORT_DATE = date(2026, 11, 20)


def configure(folder: Path, extra_yaml: str) -> Config:
    """Reload ``folder``'s storeboard.yml with ``extra_yaml`` appended (top-level blocks)."""
    path = folder / "storeboard.yml"
    text = path.read_text().split("\n# --- test settings ---\n")[0]
    path.write_text(text + "\n# --- test settings ---\n" + extra_yaml)
    env = {**{k: v for k, v in dotenv_values(folder / ".env").items() if v is not None}, **os.environ}
    return load_config(path, environ=env)


@pytest.fixture(scope="session")
def built_folder(tmp_path_factory) -> Path:
    """A sandbox store loaded and modelled into DuckDB once, with the report date pinned."""
    folder = tmp_path_factory.mktemp("notify-warehouse")
    generator = make_generator()
    with SandboxServer(generator.store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0)) as server:
        make_config(folder, "duckdb:///storeboard.duckdb", server.url, store=generator.store)
        config = configure(folder, f"metrics:\n  report_date: {REPORT_DATE.isoformat()}\n")
        report = pipeline.run(config)
    assert report.ok, report.errors
    return folder


@pytest.fixture
def warehouse_copy(built_folder, tmp_path) -> Path:
    """A private copy of the built warehouse folder (tests write alert and report state)."""
    import shutil

    target = tmp_path / "wh"
    shutil.copytree(built_folder, target, ignore=shutil.ignore_patterns(".storeboard"))
    return target


class SlackReceiver:
    """A local incoming-webhook imitation: records JSON bodies; ``fail_next`` answers 500s."""

    def __init__(self):
        self.messages: list[dict] = []
        self.failures = 0
        self.fail_next = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        receiver.failures += 1
                        status, text = 500, b"internal_error"
                    else:
                        receiver.messages.append(json.loads(body))
                        status, text = 200, b"ok"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack():
    with SlackReceiver() as receiver:
        yield receiver
