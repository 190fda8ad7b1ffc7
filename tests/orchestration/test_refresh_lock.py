"""One refresh at a time: the lock lives in the warehouse, so threads, other processes and
Airflow runs never overlap (DuckDB and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from storeboard import orchestration, pipeline
from storeboard.config import Config
from storeboard.state import lock
from storeboard.warehouse import Warehouse


@pytest.fixture
def config(tmp_path, warehouse_url) -> Config:
    return Config.model_validate({"warehouse": warehouse_url, "base_dir": tmp_path})


@pytest.fixture
def slow_pipeline(monkeypatch):
    """pipeline.run replaced by a 1-second fake that records overlapping calls."""
    state = {"running": 0, "max_running": 0, "calls": 0}
    guard = threading.Lock()

    def fake_run(config, sources=None, full_refresh=False, progress=None, trigger="cli", replay_quarantine=False):
        with guard:
            state["running"] += 1
            state["calls"] += 1
            state["max_running"] = max(state["max_running"], state["running"])
        time.sleep(1.0)
        with guard:
            state["running"] -= 1
        return pipeline.RunReport(run_id=f"fake-{trigger}")

    monkeypatch.setattr(pipeline, "run", fake_run)
    monkeypatch.setattr(orchestration, "alerts_step", lambda config, run_id=None, trigger="alerts": None)
    return state


def test_two_refreshes_at_once_run_one(config, slow_pipeline):
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(orchestration.refresh(config, trigger="scheduler")))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert slow_pipeline["max_running"] == 1
    assert sum(o.ran for o in outcomes) == slow_pipeline["calls"] >= 1
    skipped = [o for o in outcomes if not o.ran]
    assert skipped and all("another refresh is running" in o.reason for o in skipped)
    assert lock.holder(Warehouse.from_config(config), orchestration.REFRESH_LOCK) is None  # released
    assert orchestration.refresh(config).ran  # and free again


def test_a_refresh_in_another_process_blocks_this_one(config, slow_pipeline):
    code = ("import sys; from datetime import timedelta; from storeboard.config import Config; "
            "from storeboard.state import lock; from storeboard.warehouse import Warehouse; "
            "c = Config.model_validate({'warehouse': sys.argv[1], 'base_dir': sys.argv[2]}); "
            "sys.exit(0 if lock.acquire(Warehouse.from_config(c), 'refresh', 'airflow:manual__1', timedelta(hours=1)) else 1)")
    subprocess.run([sys.executable, "-c", code, config.warehouse.get_secret_value(), str(config.base_dir)], check=True)

    outcome = orchestration.refresh(config, trigger="scheduler")

    assert not outcome.ran and "airflow:manual__1" in outcome.reason and slow_pipeline["calls"] == 0
    with pytest.raises(orchestration.RefreshLockedError, match="another refresh is running"):
        orchestration.start_run(config, owner="airflow:manual__2")
    lock.release(Warehouse.from_config(config), "refresh", "airflow:manual__1")
    assert orchestration.refresh(config).ran


def test_an_abandoned_lock_expires(config):
    warehouse = Warehouse.from_config(config)
    crashed_at = datetime.now(UTC) - timedelta(hours=5)
    assert lock.acquire(warehouse, "refresh", "crashed", timedelta(hours=4), now=crashed_at)
    assert not lock.acquire(warehouse, "refresh", "other", timedelta(hours=4), now=crashed_at + timedelta(hours=1))
    assert lock.acquire(warehouse, "refresh", "next", timedelta(hours=4))
    assert lock.holder(warehouse, "refresh")["owner"] == "next"


def test_task_steps_share_one_run_and_release_the_lock(config, monkeypatch):
    def fake_extract(config, log, name, full_refresh, notify):
        log.step_started(f"extract:{name}", name)
        status = "failed" if name == "stripe" else "ok"
        log.step_finished(f"extract:{name}", status, rows_loaded=3, error="stripe: down" if status == "failed" else None)
        return pipeline.StepResult(f"extract:{name}", status, 3)

    monkeypatch.setattr(pipeline, "extract_step", fake_extract)
    run_id = orchestration.start_run(config, owner="airflow:run-1")
    assert orchestration.extract(config, run_id, "shopify")["status"] == "ok"
    orchestration.extract(config, run_id, "stripe")

    assert orchestration.finish_run(config, run_id, owner="airflow:run-1") == "failed"

    with Warehouse.from_config(config).connect(read_only=True) as conn:
        run = conn.query("select trigger, status, error from storeboard_meta.runs where run_id = %(id)s", {"id": run_id})[0]
    assert run["trigger"] == "airflow" and run["status"] == "failed" and "stripe: down" in run["error"]
    assert lock.holder(Warehouse.from_config(config), "refresh") is None
