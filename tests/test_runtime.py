"""One runtime, one store: the zone, currency and "today" every consumer sees come from one rule
(``storeboard.runtime``), so the Airflow DAG, the scheduler of ``serve``, the weekly email and the
dashboards agree, also when ``store.timezone`` is not set."""

from __future__ import annotations

import importlib
import sys
import types
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from croniter import croniter
from fastapi.testclient import TestClient

from storeboard import orchestration, scheduler
from storeboard.config import Config, load_config
from storeboard.notify import email
from storeboard.runtime import Runtime, StoreContext, recorded_store

NEW_YORK = "America/New_York"
#: A Sunday evening in UTC: Monday 08:00 comes five hours later in UTC than in New York.
AFTER = datetime(2026, 11, 15, 20, 0, tzinfo=UTC)


def write_config(folder: Path, warehouse: str, extra: str = "") -> Config:
    (folder / "storeboard.yml").write_text(
        f"warehouse: {warehouse}\nemail:\n  recipients: [owner@shop.example.com]\n{extra}", encoding="utf-8")
    return load_config(folder / "storeboard.yml", environ={})


def record_shop(rt: Runtime, zone: str = NEW_YORK, currency: str = "CAD") -> None:
    """What a Shopify extract leaves in the warehouse: the shop's own zone and currency."""
    with rt.warehouse.connect() as conn:
        conn.execute("create schema if not exists raw_shopify")
        conn.execute("create table raw_shopify.shop (id varchar, iana_timezone varchar, currency_code varchar)")
        conn.execute("insert into raw_shopify.shop values ('gid://shopify/Shop/1', %(zone)s, %(currency)s)",
                     {"zone": zone, "currency": currency})


def test_the_rule_config_then_the_shop_then_utc(tmp_path, warehouse_url):
    unset = Runtime.from_config(write_config(tmp_path, warehouse_url))
    assert unset.store() == StoreContext("UTC", "USD")  # nothing loaded yet (a DuckDB file not even created)

    record_shop(unset)
    assert (unset.store().timezone, unset.store().currency) == (NEW_YORK, "CAD")

    pinned = Runtime.from_config(write_config(tmp_path, warehouse_url, "store:\n  timezone: Europe/Paris\n"))
    assert (pinned.store().timezone, pinned.store().currency) == ("Europe/Paris", "CAD")


def test_a_reader_of_the_marts_only_sees_the_zone_the_build_recorded(tmp_path):
    """The web's reader role on PostgreSQL may not read raw_shopify: ``dim_store`` holds the copy."""
    rt = Runtime.from_config(write_config(tmp_path, "duckdb:///storeboard.duckdb"))
    with rt.warehouse.connect() as conn:
        conn.execute("create schema analytics")
        conn.execute("create table analytics.dim_store as select 'Asia/Tokyo' as timezone, 'JPY' as currency_code, "
                     "current_timestamp as built_at")
        assert recorded_store(conn)["timezone"] == "Asia/Tokyo"
        assert rt.store(conn).timezone == "Asia/Tokyo" and rt.store(conn).currency == "JPY"


# --- the Airflow DAG file, parsed without Airflow -------------------------------------------------

class _Node:
    def __rshift__(self, other):
        return other

    def __rrshift__(self, other):
        return self


class _Task:
    def __init__(self, function):
        self.function = function

    def override(self, **_):
        return self

    def __call__(self, *args, **kwargs):
        return _Node()


def _airflow_sdk() -> types.ModuleType:
    """Just enough of ``airflow.sdk`` to parse the DAG file: each ``@dag`` records its arguments."""
    sdk = types.ModuleType("airflow.sdk")

    def task(function=None, **_):
        return _Task(function) if function else _Task

    def dag(**arguments):
        def decorate(function):
            def build():
                function()
                return arguments
            return build
        return decorate

    sdk.task, sdk.dag = task, dag
    sdk.Param = lambda *args, **kwargs: None
    sdk.get_current_context = dict
    return sdk


@pytest.fixture
def parse_dags(monkeypatch):
    """Parse storeboard.orchestration.airflow for a config file, as Airflow's DAG processor does."""
    sdk = _airflow_sdk()
    monkeypatch.setitem(sys.modules, "airflow", types.SimpleNamespace(sdk=sdk))
    monkeypatch.setitem(sys.modules, "airflow.sdk", sdk)
    parsed = []

    def parse(config_file: Path):
        monkeypatch.setenv("STOREBOARD_CONFIG", str(config_file))
        sys.modules.pop("storeboard.orchestration.airflow", None)
        module = importlib.import_module("storeboard.orchestration.airflow")
        parsed.append(module)
        return module

    yield parse
    sys.modules.pop("storeboard.orchestration.airflow", None)


def airflow_next_fire(dag: dict, after: datetime) -> datetime:
    """Where Airflow's cron schedule fires next: the cron in the start date's time zone."""
    return croniter(dag["schedule"], after.astimezone(dag["start_date"].tzinfo)).get_next(datetime)


def test_airflow_serve_and_the_email_agree_on_the_shops_zone(tmp_path, warehouse_url, parse_dags, monkeypatch):
    config = write_config(tmp_path, warehouse_url)
    assert config.store.timezone is None
    rt = Runtime.from_config(config)
    record_shop(rt)

    # Airflow: the weekly DAG's schedule, as parsed from the DAG file.
    dags = parse_dags(tmp_path / "storeboard.yml")
    airflow_fire = airflow_next_fire(dags.weekly_report_dag, AFTER)
    assert airflow_fire.astimezone(ZoneInfo(NEW_YORK)).strftime("%a %H:%M") == "Mon 08:00"
    assert airflow_fire == orchestration.next_weekly_send(rt, AFTER)

    # serve: the weekly job of the in-process scheduler.
    jobs = scheduler.build_scheduler(rt, BackgroundScheduler())
    jobs.start(paused=True)
    try:
        weekly = jobs.get_job("weekly_report")
        assert weekly.trigger.get_next_fire_time(None, AFTER) == airflow_fire
        assert weekly.next_run_time == orchestration.next_weekly_send(rt, datetime.now(UTC))
    finally:
        jobs.shutdown(wait=False)

    # The email: not due a minute before that moment; at it, the week that ended the day before.
    built: list[email.WeeklyReport] = []

    def build_report(config, conn, week_start, store=None):
        report = email.WeeklyReport(week_start, week_start + timedelta(days=6), store.currency, store.timezone,
                                    config.alerts.dashboard_url, [], [], {})
        built.append(report)
        return report

    monkeypatch.setattr(email, "build_report", build_report)
    monkeypatch.setattr(email, "send_message", lambda config, message: None)
    early = email.send_weekly_report(rt, now=airflow_fire - timedelta(minutes=1))
    assert early.status == "skipped" and early.reason.startswith("not due")
    sent = email.send_weekly_report(rt, now=airflow_fire)
    assert sent.status == "sent", sent.reason
    (report,) = built
    store_day = airflow_fire.astimezone(ZoneInfo(NEW_YORK)).date()
    assert report.week_end == store_day - timedelta(days=1) == date(2026, 11, 15)
    assert (report.timezone, report.currency) == (NEW_YORK, "CAD")


def test_the_serve_scheduler_follows_the_zone_a_first_refresh_records(tmp_path):
    rt = Runtime.from_config(write_config(tmp_path, "duckdb:///storeboard.duckdb"))
    jobs = scheduler.build_scheduler(rt, BackgroundScheduler())
    jobs.start(paused=True)
    try:
        assert str(jobs.get_job("weekly_report").trigger.timezone) == "UTC"  # no warehouse yet
        record_shop(rt)  # what the first refresh loads
        assert scheduler.follow_store_zone(jobs, rt, "UTC") == NEW_YORK
        assert jobs.get_job("weekly_report").trigger.get_next_fire_time(None, AFTER) == \
            orchestration.next_weekly_send(rt, AFTER)
        assert str(jobs.get_job("refresh").trigger.timezone) == NEW_YORK
    finally:
        jobs.shutdown(wait=False)


def test_report_date_pins_today_on_the_dashboards_as_in_the_alerts(tmp_path):
    pinned = date(2026, 11, 20)
    config = write_config(tmp_path, "duckdb:///storeboard.duckdb",
                          f"metrics:\n  report_date: {pinned.isoformat()}\nweb:\n  login: false\n")
    rt = Runtime.from_config(config)
    record_shop(rt)

    from storeboard.notify import rules
    from storeboard.web.app import create_app

    with rt.warehouse.connect(read_only=True) as conn:
        alerts_today = rules.Context(config, rt.store(conn).currency, rt.store(conn).today()).today
    client = TestClient(create_app(rt), client=("127.0.0.1", 5000), base_url="http://localhost")
    page = client.get("/api/revenue", params={"preset": "today"}).json()

    assert alerts_today == pinned
    assert (page["start"], page["end"], page["timezone"]) == (pinned.isoformat(), pinned.isoformat(), NEW_YORK)
