"""A source's API down for a whole run (every request answers 503): that source's step fails with
a message naming it, its raw data and cursor are kept, the other sources and the marts still
build from the last good data, and the next run recovers to the reference marts."""

from __future__ import annotations

import pytest

from storeboard import pipeline
from storeboard.demo import SANDBOX_SOURCES
from storeboard.sandbox.faults import Fault
from storeboard.sources.google_ads import settings as google_ads_settings
from storeboard.sources.meta_ads import settings as meta_ads_settings
from storeboard.state.runlog import RunLog
from storeboard.warehouse import Warehouse
from tests.faults import dump as marts
from tests.faults.harness import configure, query, steps

#: The sandbox's name for each source's API.
API = {"shopify": "shopify", "stripe": "stripe", "meta_ads": "meta", "google_ads": "google_ads", "hubspot": "hubspot"}
#: How each source's error names it, and what it says about the answer (Meta's Graph API wraps
#: a 5xx in its own error body, code 1 "unknown error"; Google fails at its token endpoint first).
LABEL = {"shopify": "shopify", "stripe": "stripe", "meta_ads": "meta", "google_ads": "google", "hubspot": "hubspot"}
ANSWER = {"shopify": "503", "stripe": "503", "meta_ads": "unknown error", "google_ads": "503", "hubspot": "503"}
#: Two tries per request instead of six, so that giving up takes a second, not half a minute.
FEW_RETRIES = {name: {"max_attempts": 2} for name in ("shopify", "stripe", "hubspot")}


@pytest.fixture
def few_retries(monkeypatch):
    # The ad platforms' retry limits are constants of their connectors, not config keys.
    for settings in (meta_ads_settings, google_ads_settings):
        monkeypatch.setattr(settings, "MAX_ATTEMPTS", 2)
        monkeypatch.setattr(settings, "BACKOFF_FACTOR", 0.2)


def _raw_state(config, source: str) -> dict[str, int]:
    """Row count of every table in ``raw_<source>``, dlt's state and load tables included."""
    tables = query(config, f"select table_name from information_schema.tables where table_schema = 'raw_{source}'")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return {t["table_name"]: conn.query(f'select count(*) as n from raw_{source}."{t["table_name"]}"')[0]["n"]
                for t in tables}


# The CSV drop (``files``) has no API to go down; a file cut off mid-row is skipped with a warning
# naming it and read again next run (tests/sources/files).
@pytest.mark.parametrize("source", [name for name in SANDBOX_SOURCES if name in API])
def test_a_source_that_is_down_fails_alone_and_keeps_its_data(tmp_path, sandbox, reference, few_retries, source):
    folder = tmp_path / "wh"
    reference.copy_to(folder)
    config = configure(folder, sources=FEW_RETRIES)
    before = _raw_state(config, source)
    sandbox.faults.add(Fault(api=API[source], kind="503", count=-1))
    log = RunLog(Warehouse.from_config(config), "test")

    result = pipeline.extract_step(config, log, source, False, lambda *_: None)

    assert result.status == "failed"
    assert LABEL[source] in result.error.lower(), result.error
    assert ANSWER[source] in result.error.lower(), result.error
    assert steps(config, log.run_id)[f"extract:{source}"]["status"] == "failed"
    assert _raw_state(config, source) == before  # nothing half-loaded, the cursor did not move
    print(f"FAULT outage {source}: {result.error}")


def test_a_run_with_shopify_down_builds_the_marts_from_the_last_good_data(tmp_path, sandbox, reference):
    folder = tmp_path / "wh"
    reference.copy_to(folder)
    config = configure(folder, sources=FEW_RETRIES)
    sandbox.faults.add(Fault(api="shopify", kind="503", count=-1))

    report = pipeline.run(config)

    status = {step.step: step.status for step in report.steps}
    assert status.pop("extract:shopify") == "failed" and set(status.values()) == {"ok"}, report.errors
    assert len(report.errors) == 1 and "503" in report.errors[0] and "shopify" in report.errors[0].lower()
    during = marts.dump(Warehouse.from_config(config))
    assert marts.differences({**reference.dump, "rpt_source_health": ""}, {**during, "rpt_source_health": ""}) == []
    health = {row["source_name"]: row for row in query(config, "select * from analytics.rpt_source_health")}
    assert health["shopify"]["health_status"] == "failed" and "503" in health["shopify"]["last_error"]
    assert {row["health_status"] for name, row in health.items() if name != "shopify"} == {"ok"}

    sandbox.faults.clear()
    assert pipeline.run(config).ok
    assert marts.differences(reference.dump, marts.dump(Warehouse.from_config(config))) == []
