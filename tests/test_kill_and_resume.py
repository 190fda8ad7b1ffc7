"""Kill `storeboard run` at any point, run again: no duplicates, no gaps, the marts are right."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from storeboard import pipeline
from storeboard.sandbox.faults import Fault
from storeboard.warehouse import Warehouse
from tests.conftest import make_config
from tests.test_end_to_end import assert_matches_truth


@pytest.mark.parametrize("kill_after", [1.5, 4.0, 7.0], ids=["early-extract", "mid-run", "late-run"])
def test_killed_run_resumes_without_duplicates(tmp_path, sandbox, generator, kill_after):
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    text = (tmp_path / "storeboard.yml").read_text()
    # Page slowly (no bulk backfill, small pages, slow answers) so the kill lands mid-extract.
    text = text.replace("    page_size: 250\n", "    page_size: 20\n    bulk_backfill: false\n")
    (tmp_path / "storeboard.yml").write_text(text)
    sandbox.faults.add(Fault(api="shopify", kind="slow", count=-1, delay=0.15))

    env = {k: v for k, v in os.environ.items() if k != "SHOPIFY_ACCESS_TOKEN"}
    run = subprocess.Popen([sys.executable, "-m", "storeboard", "run", "--source", "shopify"], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(kill_after)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    sandbox.faults.clear()

    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    report = pipeline.run(config, sources=["shopify"])
    assert report.ok, report.errors
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        dupes = conn.query("select id from raw_shopify.orders group by id having count(*) > 1")
        lines = conn.query("select count(*) as n, count(distinct id) as d from raw_shopify.orders__line_items")[0]
    assert dupes == [] and lines["n"] == lines["d"] == sum(len(o.lines) for o in generator.store.orders)
    assert_matches_truth(config, generator.store)


def test_killed_between_normalize_commit_and_cleanup_the_next_run_completes(tmp_path, sandbox, generator, monkeypatch):
    """dlt renames the normalized package into place, then deletes the extracted one; a kill between
    the two leaves both. The next run must not normalise the package a second time."""
    from dlt.common.storages.load_storage import LoadStorage

    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    commit = LoadStorage.commit_new_load_package

    def commit_then_die(self, *args, **kwargs):
        commit(self, *args, **kwargs)
        raise KeyboardInterrupt("killed after the normalize commit")

    pipeline.extract_load(config, "stripe")  # a first run: dlt discards a never-loaded pipeline's packages
    monkeypatch.setattr(LoadStorage, "commit_new_load_package", commit_then_die)
    with pytest.raises(BaseException):  # noqa: B017 (the planted kill is a KeyboardInterrupt, not an Exception)
        pipeline.extract_load(config, "stripe", full_refresh=True)
    monkeypatch.setattr(LoadStorage, "commit_new_load_package", commit)
    working_dir = config.state_dir / "pipelines" / "storeboard_stripe"
    assert list((working_dir / "normalize" / "extracted").iterdir()), "the test must leave the crash window's state"
    assert list((working_dir / "load" / "normalized").iterdir())

    pipeline.extract_load(config, "stripe")
    (tmp_path / "clean").mkdir()
    clean = make_config(tmp_path / "clean", "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    pipeline.extract_load(clean, "stripe")
    count = "select count(*) as n, count(distinct id) as d from raw_stripe.charges"
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        charges = conn.query(count)[0]
    with Warehouse.from_config(clean).connect(read_only=True) as conn:
        expected = conn.query(count)[0]
    assert charges["n"] == charges["d"] == expected["n"] > 0
