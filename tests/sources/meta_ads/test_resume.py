"""A Meta backfill stopped part-way resumes at the first 90-day window not yet loaded: each step
of windows is committed with its cursor (dlt state), so the windows loaded before the stop are
not read again."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from storeboard import pipeline
from storeboard.sandbox.faults import Fault
from storeboard.sources.meta_ads import settings as meta_settings
from storeboard.warehouse import Warehouse
from tests.sources.meta_ads.test_source import assert_equals_sandbox, fast_client, meta_config  # noqa: F401

INSIGHTS = "GET /v25.0/act_1029384756/insights"


def _loads(config) -> dict[str, tuple[str, str]]:
    """Each load id of the insights rows with the first and last day it holds."""
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        rows = conn.query("select _dlt_load_id as load, min(date_start) as first, max(date_start) as last "
                          "from raw_meta_ads.insights group by 1")
    return {r["load"]: (str(r["first"]), str(r["last"])) for r in rows}


def test_backfill_stopped_part_way_resumes_at_the_first_window_not_loaded(tmp_path, sandbox, monkeypatch):
    # Small windows and steps, so a small sandbox account makes a backfill of several steps.
    monkeypatch.setattr(meta_settings, "INSIGHTS_WINDOWS_PER_LOAD", 1)
    monkeypatch.setattr(meta_settings, "INSIGHTS_WINDOW_DAYS", 10)
    config = meta_config(tmp_path, "duckdb:///meta.duckdb", sandbox.url)
    meta = sandbox.api("meta")
    first_day = min(r.day for r in meta.data().daily)
    config.sources.meta_ads.start_date = first_day.isoformat()
    today = datetime.now(ZoneInfo(meta.data().accounts[0].timezone)).date()
    windows = (today - first_day).days // meta_settings.INSIGHTS_WINDOW_DAYS + 1
    assert windows >= 4
    # One window a step, read at ad-set and account level: a step is two insights calls. The
    # token is refused from the fifth call on: the third step fails after two were committed.
    sandbox.faults.add(Fault(api="meta", kind="expired_token", count=-1, after=4, path_contains="insights"))
    with pytest.raises(Exception, match="rejected the access token"):
        pipeline.extract_load(config, "meta_ads")
    committed = _loads(config)
    assert len(committed) == 2, committed
    resumed_from = max(last for _, last in committed.values())

    sandbox.faults.clear()
    meta.requests.clear()
    pipeline.extract_load(config, "meta_ads")

    after = _loads(config)
    for load, days in committed.items():
        assert after[load] == days, "the windows loaded before the stop were not read again"
    assert min(first for load, (first, _) in after.items() if load not in committed) > resumed_from
    # the resumed run read only the windows left: two calls each, two windows fewer than the whole
    assert meta.requests.count(INSIGHTS) == 2 * (windows - 2)
    assert_equals_sandbox(config, sandbox)
