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

The zone is the store's, by the one rule of ``storeboard.runtime`` (``orchestration.schedules``,
which the Airflow DAGs use too). With ``store.timezone`` unset it comes from the warehouse, which
a first refresh may only just have filled: after every refresh the zone is resolved again and the
refresh and weekly jobs move to it if it changed (``follow_store_zone``).

Nothing here is a home-made queue: the state (locks, outbox, sent reports) is in the warehouse,
so a restart, a second process or an Airflow deployment pick up where this one stopped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storeboard.config import Config
from storeboard.errors import StoreboardError
from storeboard.runtime import Runtime, of

logger = logging.getLogger(__name__)

#: Minutes between outbox deliveries and weekly-report retries.
OUTBOX_MINUTES = 5
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def refresh_job(config: Config | Runtime) -> None:
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


def weekly_report_job(config: Config | Runtime, now: datetime | None = None) -> None:
    """Send the weekly report if it is due and not sent yet; never raises."""
    from storeboard.notify import email

    try:
        result = email.send_weekly_report(config, now=now, trigger="scheduler")
    except Exception:
        logger.exception("weekly report job failed")
        return
    if result.status != "skipped":
        logger.info("weekly report %s: %s", result.report_key, result.status)


def outbox_job(config: Config | Runtime, now: datetime | None = None) -> None:
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
    """``email.send_day`` at ``email.send_time`` in ``timezone``: the same cron as the Airflow DAG's."""
    from storeboard.orchestration import weekly_cron

    return CronTrigger.from_crontab(weekly_cron(config), timezone=ZoneInfo(timezone))


def refresh_trigger(config: Config, timezone: str) -> CronTrigger:
    """``schedule.refresh_cron`` (five fields) in ``timezone``."""
    try:
        return CronTrigger.from_crontab(config.schedule.refresh_cron, timezone=ZoneInfo(timezone))
    except ValueError as exc:
        raise StoreboardError(f"storeboard.yml: schedule.refresh_cron {config.schedule.refresh_cron!r} is not a "
                              f"five-field cron expression ({exc})") from None


def add_jobs(scheduler: BaseScheduler, config: Config | Runtime, timezone: str) -> BaseScheduler:
    """Add the refresh, weekly-report and outbox jobs to ``scheduler`` (each gets the runtime)."""
    rt = of(config)
    config = rt.config
    scheduler.add_job(refresh_job, refresh_trigger(config, timezone), args=[rt], id="refresh",
                      name="refresh + alerts", replace_existing=True, **JOB_DEFAULTS)
    if config.email.enabled and config.email.recipients:
        scheduler.add_job(weekly_report_job, weekly_trigger(config, timezone), args=[rt], id="weekly_report",
                          name="weekly report", replace_existing=True, **JOB_DEFAULTS)
    scheduler.add_job(outbox_job, IntervalTrigger(minutes=OUTBOX_MINUTES, timezone=ZoneInfo(timezone)), args=[rt],
                      id="outbox", name="alert outbox + report retries", replace_existing=True, **JOB_DEFAULTS)
    return scheduler


def follow_store_zone(scheduler: BaseScheduler, runtime: Runtime, timezone: str) -> str:
    """Move the refresh and weekly jobs to the store's zone when it is no longer ``timezone``
    (a refresh recorded the shop's zone); returns the zone the jobs now run in."""
    from storeboard import orchestration

    current = orchestration.schedules(runtime).timezone
    if current != timezone:
        logger.info("store time zone is now %s (was %s): rescheduling", current, timezone)
        scheduler.reschedule_job("refresh", trigger=refresh_trigger(runtime.config, current))
        if scheduler.get_job("weekly_report") is not None:
            scheduler.reschedule_job("weekly_report", trigger=weekly_trigger(runtime.config, current))
    return current


def build_scheduler(runtime: Config | Runtime, scheduler: BaseScheduler | None = None) -> BaseScheduler:
    """``scheduler`` (default a new background one) with the jobs in the store's zone, not started."""
    from storeboard import orchestration

    rt = of(runtime)
    timezone = orchestration.schedules(rt).timezone
    scheduler = scheduler or BackgroundScheduler(timezone=ZoneInfo(timezone))
    add_jobs(scheduler, rt, timezone)
    zone = [timezone]

    def after_refresh(event) -> None:
        if event.job_id != "refresh":
            return
        try:
            zone[0] = follow_store_zone(scheduler, rt, zone[0])
        except Exception:  # the jobs keep their zone; the next refresh tries again
            logger.exception("could not resolve the store's time zone after the refresh")

    scheduler.add_listener(after_refresh, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return scheduler


def start_scheduler(config: Config | Runtime) -> BaseScheduler | None:
    """Start the background scheduler for ``storeboard serve``; None when ``schedule.enabled`` is false.

    The caller stops it with ``scheduler.shutdown(wait=False)``.
    """
    rt = of(config)
    if not rt.config.schedule.enabled:
        return None
    scheduler = build_scheduler(rt)
    scheduler.start()
    for job in scheduler.get_jobs():
        logger.info("scheduled %s: next at %s", job.name, job.next_run_time)
    return scheduler
