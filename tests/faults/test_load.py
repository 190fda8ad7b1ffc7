"""The dashboards under load while a refresh runs in the serving process: the load test
(``benchmarks/load.py``) runs as a second process on loopback, starting when the refresh starts
building the models, and every response must be a complete 2xx (no timed assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storeboard.sandbox.server import free_port
from tests.faults.harness import _env

#: It times a server under load: run alone, after the parallel part of the suite (make test).
pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]


def _events(folder: Path) -> list[dict]:
    path = folder / "refresh-events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _wait_for(server: subprocess.Popen, folder: Path, step: str, status: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in _events(folder) if e["step"] == step and e["status"] == status]
        if found:
            return found[0]
        assert server.poll() is None, (folder / "serve.log").read_text()[-3000:]
        time.sleep(0.05)
    raise AssertionError(f"no {step} {status} within {timeout} s: {_events(folder)}")


def test_dashboards_answer_completely_under_load_while_a_refresh_builds(tmp_path, sandbox, reference):
    folder = tmp_path / "wh"
    reference.copy_to(folder)
    port = free_port()
    with (folder / "serve.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "tests.faults.serve_refreshing", str(folder / "storeboard.yml"),
                                   str(port)], cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(server, folder, "transform", "started")
        load = subprocess.run(
            [sys.executable, "-m", "benchmarks.load", "--url", f"http://127.0.0.1:{port}", "--requests", "240",
             "--concurrency", "4", "--duration-limit", "20", "--json", str(tmp_path / "load.json")],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
        during_build = not any(e["step"] == "transform" and e["status"] != "started" for e in _events(folder))
        finished = _wait_for(server, folder, "refresh", "ok")
    finally:
        server.terminate()
        server.wait(timeout=30)

    result = json.loads((tmp_path / "load.json").read_text())
    print(f"FAULT load during refresh (build still running at the end: {during_build}):\n{load.stdout}")
    assert load.returncode == 0, load.stdout + load.stderr
    assert result["requests"] >= 12 and result["server_errors"] == 0 and result["errors"] == 0
    assert all(route["requests"] >= 1 and route["statuses"].keys() == {"200"} for route in result["routes"].values())
    assert finished["detail"] == ""
