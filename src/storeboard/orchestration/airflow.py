"""Airflow DAGs for Storeboard (Airflow 3, ``airflow.sdk``): the same steps as ``storeboard run``.

- ``storeboard_refresh``: ``start`` (takes the warehouse's refresh lock, opens the run log) →
  one ``extract_<source>`` task per enabled source, in parallel → ``transform`` (dbt build) →
  ``alerts`` → ``finish`` (closes the run log, releases the lock; runs whatever happened). On
  ``schedule.refresh_cron`` in the store's time zone.
- ``storeboard_weekly_report``: ``email.send_day`` at ``email.send_time`` (store time zone):
  sends the weekly summary once (a rerun of the same week is a no-op; params ``week_start`` and
  ``force`` for a manual run).

Every task calls ``storeboard.orchestration`` / ``storeboard.notify``, exactly what the CLI and
the in-process scheduler call. The config is ``$STOREBOARD_CONFIG`` (default ``storeboard.yml``
in the working directory).

Airflow fixes a DAG's schedule when it parses this file, before any task runs, so the schedules
(``orchestration.schedules``: the store's zone by the rule of ``storeboard.runtime``) are worked
out at each parse, and Airflow parses DAG files again every few minutes. With ``store.timezone``
unset the zone comes from the warehouse: UTC while it holds no shop yet, the shop's zone from the
first parse after a refresh loaded it. Every task builds its own ``Runtime`` when it runs, so it
resolves the store again instead of trusting the parse: the weekly task sends only when a send
moment in the store's zone is due. See docs/deploy.md.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from storeboard import orchestration
from storeboard.config import Config, load_config
from storeboard.runtime import Runtime

CONFIG_ENV = "STOREBOARD_CONFIG"


def _config() -> Config:
    return load_config(os.environ.get(CONFIG_ENV, "storeboard.yml"))


def _runtime() -> Runtime:
    """One task's runtime, built when the task runs (never the one of the parse)."""
    return Runtime.from_config(_config())


def _owner() -> str:
    context = get_current_context()
    return f"airflow:{context['dag'].dag_id}:{context['run_id']}"


#: Worked out at each parse of this file (see the module's docstring).
CONFIG = _config()
SCHEDULES = orchestration.schedules(Runtime.from_config(CONFIG))
START = pendulum.datetime(2026, 1, 1, tz=SCHEDULES.timezone)


@task
def start() -> str:
    """Take the refresh lock and open a run; fails (skipping the run) when another refresh runs."""
    return orchestration.start_run(_runtime(), _owner(), trigger="airflow")


@task
def extract(log_run: str, name: str) -> dict:
    """Extract and load one source (a failure is recorded in the run log, not raised, so the
    other sources and the models still refresh)."""
    return orchestration.extract(_runtime(), log_run, name)


@task
def transform(log_run: str) -> dict:
    """dbt build from whatever raw data loaded: an extract task records a failed source and
    succeeds, like ``storeboard run``; ``finish`` then fails the DAG run so it shows."""
    result = orchestration.transform(_runtime(), log_run)
    if result["status"] != "ok":
        raise RuntimeError(f"dbt build failed: {result['error']}")
    return result


@task
def alerts(log_run: str) -> dict:
    """Evaluate the alert rules and deliver the Slack outbox."""
    return orchestration.alerts(_runtime(), log_run)


@task(trigger_rule="all_done")
def finish(log_run: str | None) -> str:
    """Close the run log (failed if any step failed) and release the refresh lock."""
    from storeboard import orchestration
    from storeboard.state import lock

    rt = _runtime()
    if log_run is None:  # start failed: nothing to close, and the lock is not ours
        lock.release(rt.warehouse, orchestration.REFRESH_LOCK, _owner())
        return "skipped"
    status = orchestration.finish_run(rt, log_run, _owner())
    if status != "ok":
        raise RuntimeError(f"refresh {log_run} finished with failed steps: see storeboard_meta.run_steps")
    return status


@dag(
    dag_id="storeboard_refresh",
    schedule=SCHEDULES.refresh_cron,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["storeboard"],
    doc_md=__doc__,
)
def storeboard_refresh():
    # ``log_run``: Storeboard's run-log id (Airflow reserves ``run_id`` for its own).
    log_run = start()
    loads = [extract.override(task_id=f"extract_{name}")(log_run, name) for name in CONFIG.enabled_sources()]
    built = transform(log_run)
    sent = alerts(log_run)
    done = finish(log_run)
    loads >> built >> sent >> done


@task
def send_weekly_report(week_start: str | None = None, force: bool = False) -> dict:
    """Send the weekly summary once (recorded in storeboard_meta.reports_sent)."""
    from datetime import date

    from storeboard.notify import email

    context = get_current_context()
    params = context["params"]
    week = params.get("week_start") or week_start
    result = email.send_weekly_report(
        _runtime(),
        week_start=date.fromisoformat(week) if week else None,
        force=bool(params.get("force") or force),
        trigger="airflow",
    )
    if result.status == "failed":
        raise RuntimeError(f"weekly report not sent: {result.reason}")
    return {"status": result.status, "report_key": result.report_key, "reason": result.reason}


@dag(
    dag_id="storeboard_weekly_report",
    schedule=SCHEDULES.weekly_cron,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["storeboard"],
    params={"week_start": Param(None, type=["null", "string"], description="Monday YYYY-MM-DD; default: last week"),
            "force": Param(False, type="boolean", description="send even if already sent")},
)
def storeboard_weekly_report():
    send_weekly_report()


refresh_dag = storeboard_refresh()
weekly_report_dag = storeboard_weekly_report()

__all__ = ["refresh_dag", "weekly_report_dag"]
