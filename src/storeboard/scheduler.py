"""The scheduler inside ``storeboard serve`` (APScheduler 3, in-process, store time zone).

Jobs:

- ``refresh``: on ``schedule.refresh_cron`` (default every 4 hours): one refresh under the
  warehouse's refresh lock, then the alerts (``orchestration.refresh``). A refresh still running
  when the next is due is not doubled (one instance; the lock also keeps out other processes
  and Airflow).
- ``weekly_report``: ``email.send_day`` at ``email.send_time`` (default Monday 08:00) in the
  store's zone, daylight-saving changes included.
- ``outbox``: every few minutes, posts alerts a Slack outage held back and retries a weekly
  report that failed (or that a restart on Monday morning missed). Both are idempotent: a report
  already sent is never sent again.

Nothing here is a home-made queue: the state (locks, outbox, sent reports) is in the warehouse,
so a restart, a second process or an Airflow deployment pick up where this one stopped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storeboard.config import Config
from storeboard.errors import StoreboardError

logger = logging.getLogger(__name__)

#: Minutes between outbox deliveries and weekly-report retries.
OUTBOX_MINUTES = 5
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def refresh_job(config: Config) -> None:
    """Refresh, then alerts; never raises (the scheduler keeps going)."""
    from storeboard import orchestration

    try:
        outcome = orchestration.refresh(config, trigger="scheduler")
    except Exception:
        logger.exception("scheduled refresh failed")
        return
    if not outcome.ran:
        logger.info("scheduled refresh skipped: %s", outcome.reason)
    elif not outcome.ok:
        logger.warning("scheduled refresh finished with errors: %s", "; ".join(outcome.report.errors))


def weekly_report_job(config: Config, now: datetime | None = None) -> None:
    """Send the weekly report if it is due and not sent yet; never raises."""
    from storeboard.notify import email

    try:
        result = email.send_weekly_report(config, now=now, trigger="scheduler")
    except Exception:
        logger.exception("weekly report job failed")
        return
    if result.status != "skipped":
        logger.info("weekly report %s: %s", result.report_key, result.status)


def outbox_job(config: Config, now: datetime | None = None) -> None:
    """Deliver queued alerts and catch up or retry the weekly report; never raises."""
    from storeboard.notify import outbox

    try:
        result = outbox.process(config, evaluate=False)
        if result.error:
            logger.warning("alerts still pending (%d): %s", result.pending, result.error)
    except Exception:
        logger.exception("alert delivery failed")
    weekly_report_job(config, now)


def weekly_trigger(config: Config, timezone: str) -> CronTrigger:
    """``email.send_day`` at ``email.send_time`` in ``timezone``."""
    hour, minute = (int(part) for part in config.email.send_time.split(":"))
    return CronTrigger(day_of_week=config.email.send_day[:3], hour=hour, minute=minute, timezone=ZoneInfo(timezone))


def refresh_trigger(config: Config, timezone: str) -> CronTrigger:
    """``schedule.refresh_cron`` (five fields) in ``timezone``."""
    try:
        return CronTrigger.from_crontab(config.schedule.refresh_cron, timezone=ZoneInfo(timezone))
    except ValueError as exc:
        raise StoreboardError(f"storeboard.yml: schedule.refresh_cron {config.schedule.refresh_cron!r} is not a "
                              f"five-field cron expression ({exc})") from None


def add_jobs(scheduler: BaseScheduler, config: Config, timezone: str) -> BaseScheduler:
    """Add the refresh, weekly-report and outbox jobs to ``scheduler``."""
    scheduler.add_job(refresh_job, refresh_trigger(config, timezone), args=[config], id="refresh",
                      name="refresh + alerts", replace_existing=True, **JOB_DEFAULTS)
    if config.email.enabled and config.email.recipients:
        scheduler.add_job(weekly_report_job, weekly_trigger(config, timezone), args=[config], id="weekly_report",
                          name="weekly report", replace_existing=True, **JOB_DEFAULTS)
    scheduler.add_job(outbox_job, IntervalTrigger(minutes=OUTBOX_MINUTES, timezone=ZoneInfo(timezone)), args=[config],
                      id="outbox", name="alert outbox + report retries", replace_existing=True, **JOB_DEFAULTS)
    return scheduler


def start_scheduler(config: Config) -> BackgroundScheduler | None:
    """Start the background scheduler for ``storeboard serve``; None when ``schedule.enabled`` is false.

    The caller stops it with ``scheduler.shutdown(wait=False)``.
    """
    if not config.schedule.enabled:
        return None
    from storeboard.notify.email import store_timezone

    timezone = store_timezone(config)
    scheduler = add_jobs(BackgroundScheduler(timezone=ZoneInfo(timezone)), config, timezone)
    scheduler.start()
    for job in scheduler.get_jobs():
        logger.info("scheduled %s: next at %s", job.name, job.next_run_time)
    return scheduler
