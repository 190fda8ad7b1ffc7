"""The refresh as the scheduler, the CLI and Airflow run it: one at a time, then the alerts.

``refresh`` is the whole thing in one call (``storeboard run``, the scheduler in ``storeboard
serve``). Airflow runs the same steps as separate tasks: ``start_run`` (takes the refresh lock
and opens the run log), ``extract`` per source, ``transform``, ``alerts``, ``finish_run``
(closes the run log and gives the lock back). Every step is a function of ``storeboard.pipeline``
or ``storeboard.notify``, so the three ways of running can never drift.

The refresh lock lives in the warehouse (``state.lock``): whichever of them starts a
refresh while another is running skips it and says so.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from storeboard import pipeline
from storeboard.config import Config
from storeboard.errors import StoreboardError
from storeboard.runtime import Runtime, of
from storeboard.state import lock
from storeboard.state.lock import REFRESH_LOCK
from storeboard.state.runlog import RunLog
from storeboard.state.schema import SCHEMA
from storeboard.warehouse import Warehouse

if TYPE_CHECKING:
    from storeboard.notify.outbox import AlertsResult

logger = logging.getLogger(__name__)

ALERTS_STEP = "alerts"


class RefreshLockedError(StoreboardError):
    """Another refresh (scheduler, CLI or Airflow) holds the warehouse's refresh lock."""


@dataclass
class RefreshOutcome:
    """What ``refresh`` did: ``ran`` is False when another refresh held the lock."""

    ran: bool
    report: pipeline.RunReport | None = None
    alerts: AlertsResult | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.ran and self.report is not None and self.report.ok


def _ttl(config: Config) -> timedelta:
    return timedelta(minutes=config.schedule.lock_timeout_minutes)


# --- when: the schedules of the scheduler in ``serve`` and of the Airflow DAGs -----------------------

@dataclass(frozen=True)
class Schedules:
    """When the refresh and the weekly email run: five-field crons in the store's ``timezone``."""

    timezone: str
    refresh_cron: str
    weekly_cron: str


def weekly_cron(config: Config) -> str:
    """``email.send_day`` at ``email.send_time`` as a five-field cron (store time)."""
    hour, minute = (int(part) for part in config.email.send_time.split(":"))
    return f"{minute} {hour} * * {config.email.send_day[:3]}"


def schedules(runtime: Config | Runtime) -> Schedules:
    """The schedules in the store's zone, resolved now by the one rule (``storeboard.runtime``).

    Both the scheduler of ``storeboard serve`` and the Airflow DAGs take their zone from here,
    so they fire at the same instants as each other and as the weekly email expects."""
    rt = of(runtime)
    return Schedules(rt.store().timezone, rt.config.schedule.refresh_cron, weekly_cron(rt.config))


def next_weekly_send(runtime: Config | Runtime, after: datetime) -> datetime:
    """The first weekly-email time strictly after ``after`` (aware, store-local): where the
    weekly cron of ``schedules`` fires next, as Airflow's cron schedule computes it."""
    from croniter import croniter

    plan = schedules(runtime)
    return croniter(plan.weekly_cron, after.astimezone(ZoneInfo(plan.timezone))).get_next(datetime)


def attach_run_log(warehouse: Warehouse, run_id: str) -> RunLog:
    """A ``RunLog`` that adds steps to an existing run (Airflow tasks, alerts after a refresh)."""
    log = RunLog.__new__(RunLog)  # RunLog() would open a new run
    log.warehouse = warehouse
    log.run_id = run_id
    return log


def alerts_step(config: Config | Runtime, run_id: str | None = None, trigger: str = "alerts") -> AlertsResult:
    """Evaluate the alert rules and deliver the outbox, recorded as step ``alerts`` of run
    ``run_id`` (or of a new run with ``trigger``). Failures are recorded, never raised."""
    from storeboard.notify import outbox

    rt = of(config)
    warehouse = rt.warehouse
    log = attach_run_log(warehouse, run_id) if run_id else RunLog(warehouse, trigger)
    log.step_started(ALERTS_STEP)
    try:
        result = outbox.process(rt)
    except Exception as exc:  # a broken rule must not break the scheduler
        result = outbox.AlertsResult(error=str(exc) if isinstance(exc, StoreboardError) else f"{type(exc).__name__}: {exc}")
        logger.exception("alerts failed")
    status = "ok" if result.ok else "failed"
    log.step_finished(ALERTS_STEP, status, rows_loaded=len(result.fired), error=result.error)
    if not run_id:
        log.finish(status, result.error)
    return result


def refresh(config: Config | Runtime, trigger: str = "scheduler", sources: list[str] | None = None,
            full_refresh: bool = False, progress: pipeline.Progress | None = None,
            with_alerts: bool = True, replay_quarantine: bool = False) -> RefreshOutcome:
    """One refresh (``pipeline.run``) and then the alerts, under the warehouse's refresh lock.

    Args:
        config: the entry point's runtime (or a validated config).
        trigger: recorded in the run log (``scheduler``, ``cli`` …).
        sources, full_refresh, progress, replay_quarantine: as for ``pipeline.run``.
        with_alerts: evaluate and deliver alerts after the refresh.

    Returns:
        The outcome; ``ran`` is False (and nothing happened) when another refresh was running.
    """
    rt = of(config)
    warehouse = rt.warehouse
    owner = lock.new_owner(trigger)
    with lock.held(warehouse, REFRESH_LOCK, _ttl(rt.config), owner) as got:
        if not got:
            current = _holder_text(warehouse)
            logger.warning("refresh skipped: another refresh is running%s", current)
            return RefreshOutcome(False, reason=f"another refresh is running{current}")
        report = pipeline.run(rt, sources=sources, full_refresh=full_refresh, progress=progress, trigger=trigger,
                              replay_quarantine=replay_quarantine)
        alerts = alerts_step(rt, report.run_id) if with_alerts else None
    return RefreshOutcome(True, report, alerts)


def _holder_text(warehouse: Warehouse) -> str:
    try:
        row = lock.holder(warehouse, REFRESH_LOCK)
    except StoreboardError as exc:
        # DuckDB: another process has the file open for writing; its error names that process.
        return f" ({exc})"
    return f" ({row['owner']}, since {row['acquired_at']:%Y-%m-%d %H:%M} UTC)" if row else ""


# --- the same refresh as separate tasks (Airflow) ---------------------------------------------------

def start_run(config: Config | Runtime, owner: str, trigger: str = "airflow") -> str:
    """Take the refresh lock for ``owner`` and open a run in the run log; returns its run id.

    Raises:
        RefreshLockedError: another refresh is running.
    """
    rt = of(config)
    warehouse = rt.warehouse
    if not lock.acquire(warehouse, REFRESH_LOCK, owner, _ttl(rt.config)):
        raise RefreshLockedError(f"another refresh is running{_holder_text(warehouse)}; this run is skipped")
    return RunLog(warehouse, trigger).run_id


def extract(config: Config | Runtime, run_id: str, name: str) -> dict[str, Any]:
    """Extract and load source ``name`` as a step of run ``run_id`` (failures recorded, not raised)."""
    rt = of(config)
    log = attach_run_log(rt.warehouse, run_id)
    return asdict(pipeline.extract_step(rt, log, name, False, lambda *_: None))


def transform(config: Config | Runtime, run_id: str) -> dict[str, Any]:
    """``dbt build`` as a step of run ``run_id`` (failures recorded, not raised)."""
    rt = of(config)
    log = attach_run_log(rt.warehouse, run_id)
    return asdict(pipeline.transform_step(rt, log, False, lambda *_: None))


def alerts(config: Config | Runtime, run_id: str) -> dict[str, Any]:
    """The alerts as a step of run ``run_id``."""
    result = alerts_step(config, run_id)
    return {"fired": result.fired, "recovered": result.recovered, "delivered": result.delivered,
            "pending": result.pending, "error": result.error, "skipped": result.skipped}


def finish_run(config: Config | Runtime, run_id: str, owner: str) -> str:
    """Close run ``run_id`` (failed if any step failed) and release the refresh lock; returns the status."""
    warehouse = of(config).warehouse
    try:
        with warehouse.connect() as conn:
            steps = conn.query(f"select step, status, error from {SCHEMA}.run_steps where run_id = %(id)s",
                               {"id": run_id})
        errors = [f"{s['step']}: {s['error']}" if s["error"] else s["step"] for s in steps if s["status"] != "ok"]
        status = "failed" if errors or not steps else "ok"
        attach_run_log(warehouse, run_id).finish(status, "; ".join(errors) or None)
    finally:
        lock.release(warehouse, REFRESH_LOCK, owner)
    return status
