"""The scheduler on a controllable clock: APScheduler's own triggers and job loop run against a
fake "now", so weeks pass in milliseconds. The Monday report goes out at 08:00 store time on both
sides of a daylight-saving change, exactly once per week, also after a restart that missed it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import apscheduler.triggers.interval
import pytest
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

from storeboard import scheduler
from storeboard.config import Config
from storeboard.notify import email

NEW_YORK = "America/New_York"
REAL_WEEKLY_JOB = scheduler.weekly_report_job


class Clock:
    def __init__(self, start: datetime):
        self.now = start


class ManualScheduler(BaseScheduler):
    """A scheduler whose loop the test drives: ``run_until`` advances the clock wakeup by wakeup."""

    def __init__(self, clock: Clock, **options):
        super().__init__(executors={"default": DebugExecutor()}, **options)
        self.clock = clock

    def wakeup(self):
        pass

    def shutdown(self, wait=True):
        super().shutdown(wait)

    def run_until(self, end: datetime) -> None:
        while True:
            wait = self._process_jobs()
            if wait is None:
                return
            step = max(timedelta(seconds=wait), timedelta(seconds=1))
            if self.clock.now + step > end:
                self.clock.now = end
                return
            self.clock.now += step


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now.astimezone(tz) if tz else clock.now.replace(tzinfo=None)

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", FakeDatetime)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", FakeDatetime)
    monkeypatch.setattr(apscheduler.triggers.interval, "datetime", FakeDatetime)
    return clock


def make_config(tmp_path, **email_settings) -> Config:
    return Config.model_validate({
        "warehouse": "duckdb:///sched.duckdb",
        "base_dir": tmp_path,
        "store": {"timezone": NEW_YORK},
        "email": {"recipients": ["owner@shop.example.com"], **email_settings},
    })


def start(clock: Clock, config: Config, monkeypatch, calls: list, catch_up: bool = False) -> ManualScheduler:
    """A scheduler with the real triggers; the refresh is recorded, the weekly report is real.

    With ``catch_up`` the outbox job runs the real report catch-up too (alert delivery needs no
    clock and is tested against a Slack receiver); otherwise it is only recorded.
    """
    monkeypatch.setattr(scheduler, "refresh_job", lambda config: calls.append(("refresh", clock.now)))
    monkeypatch.setattr(scheduler, "weekly_report_job", lambda config, now=None: REAL_WEEKLY_JOB(config, clock.now))
    monkeypatch.setattr(scheduler, "outbox_job", (lambda config, now=None: REAL_WEEKLY_JOB(config, clock.now)) if catch_up
                        else (lambda config, now=None: calls.append(("outbox", clock.now))))
    sched = ManualScheduler(clock, timezone=ZoneInfo(NEW_YORK))
    scheduler.add_jobs(sched, config, NEW_YORK)
    sched.start()
    return sched


@pytest.fixture
def outbox_of_sent(monkeypatch, clock):
    """The weekly report really runs (due logic, reports_sent table, run log); only the marts and
    SMTP are replaced, by an empty report and a list of sent messages."""
    sent: list[tuple[datetime, str]] = []

    def build_report(config, conn, week_start, store=None):
        return email.WeeklyReport(week_start, week_start + timedelta(days=6), "USD", NEW_YORK,
                                  config.alerts.dashboard_url, [], [], {})

    monkeypatch.setattr(email, "build_report", build_report)
    monkeypatch.setattr(email, "send_message", lambda config, message: sent.append((clock.now, message["Subject"])))
    return sent


def local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(NEW_YORK))


def test_monday_report_at_eight_across_the_autumn_clock_change(clock, tmp_path, monkeypatch, outbox_of_sent):
    calls: list = []
    sched = start(clock, make_config(tmp_path), monkeypatch, calls)

    sched.run_until(datetime(2026, 11, 17, 0, 0, tzinfo=UTC))

    # 1 Nov 2026: New York leaves daylight time, so 08:00 moves from 12:00 to 13:00 UTC.
    assert [at for at, _ in outbox_of_sent] == [
        datetime(2026, 10, 26, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 13, 0, tzinfo=UTC),
        datetime(2026, 11, 9, 13, 0, tzinfo=UTC),
        datetime(2026, 11, 16, 13, 0, tzinfo=UTC),
    ]
    assert all(local(at).strftime("%a %H:%M") == "Mon 08:00" for at, _ in outbox_of_sent)
    assert [subject for _, subject in outbox_of_sent][1] == "Weekly summary 26 Oct – 01 Nov 2026"
    # The refresh ran every 4 hours of store time, 6 times a day, also on the 25-hour day.
    refreshes = [at for name, at in calls if name == "refresh"]
    assert {local(at).hour for at in refreshes} == {0, 4, 8, 12, 16, 20}
    assert sum(1 for at in refreshes if local(at).date() == date(2026, 11, 1)) == 6
    outbox = [at for name, at in calls if name == "outbox"]
    assert outbox[1] - outbox[0] == timedelta(minutes=scheduler.OUTBOX_MINUTES)


def test_monday_report_at_eight_across_the_spring_clock_change(clock, tmp_path, monkeypatch, outbox_of_sent):
    clock.now = datetime(2027, 3, 6, 12, 0, tzinfo=UTC)
    sched = start(clock, make_config(tmp_path), monkeypatch, [])

    sched.run_until(datetime(2027, 3, 16, 0, 0, tzinfo=UTC))

    # 14 Mar 2027: daylight time starts, 08:00 moves from 13:00 to 12:00 UTC.
    assert [at for at, _ in outbox_of_sent] == [datetime(2027, 3, 8, 13, 0, tzinfo=UTC),
                                                datetime(2027, 3, 15, 12, 0, tzinfo=UTC)]


def test_configured_day_and_time(clock, tmp_path, monkeypatch, outbox_of_sent):
    sched = start(clock, make_config(tmp_path, send_day="tuesday", send_time="07:30"), monkeypatch, [])
    sched.run_until(datetime(2026, 11, 4, 0, 0, tzinfo=UTC))
    assert [local(at).strftime("%a %d %H:%M") for at, _ in outbox_of_sent] == ["Tue 27 07:30", "Tue 03 07:30"]


def test_a_restart_on_monday_sends_the_missed_report_once(clock, tmp_path, monkeypatch, outbox_of_sent):
    config = make_config(tmp_path)
    # Down over Monday 08:00; the server comes back at 09:30 and runs for an hour, then restarts.
    clock.now = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
    first = start(clock, config, monkeypatch, [], catch_up=True)
    first.run_until(datetime(2026, 11, 2, 15, 30, tzinfo=UTC))
    first.shutdown(wait=False)
    second = start(clock, config, monkeypatch, [], catch_up=True)
    second.run_until(datetime(2026, 11, 2, 17, 0, tzinfo=UTC))

    assert [at for at, _ in outbox_of_sent] == [datetime(2026, 11, 2, 14, 35, tzinfo=UTC)]  # first outbox tick
    from storeboard.warehouse import Warehouse

    with Warehouse.from_config(config).connect(read_only=True) as conn:
        rows = conn.query("select report_key, status, attempts from storeboard_meta.reports_sent")
    assert rows == [{"report_key": "weekly:2026-10-26", "status": "sent", "attempts": 1}]


def test_a_report_missed_by_more_than_a_day_is_not_sent_late(clock, tmp_path, monkeypatch, outbox_of_sent):
    clock.now = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)  # Wednesday
    start(clock, make_config(tmp_path), monkeypatch, [], catch_up=True).run_until(datetime(2026, 11, 4, 18, 0, tzinfo=UTC))
    assert outbox_of_sent == []


def test_refresh_cron_is_validated(tmp_path):
    config = Config.model_validate({"base_dir": tmp_path, "schedule": {"refresh_cron": "every four hours"}})
    with pytest.raises(Exception, match="schedule.refresh_cron"):
        scheduler.refresh_trigger(config, NEW_YORK)
