"""One refresh: extract and load every selected source (dlt), then build the models (dbt).

The CLI, the scheduler and the Airflow DAG all call ``run``, so they cannot drift. A source that
fails is recorded and skipped; the others still load, and the models are rebuilt from the last
good raw data. Only committed data moves a cursor (dlt keeps state in the warehouse).
"""

from __future__ import annotations

import inspect
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storeboard.config import Config
from storeboard.errors import SourceError, StoreboardError
from storeboard.freshness import stale_after
from storeboard.runtime import Runtime, of
from storeboard.sources import source_module
from storeboard.state import schema
from storeboard.state.runlog import RunLog
from storeboard.transform import runner
from storeboard.warehouse import Warehouse

#: dlt's settings for Storeboard's pipelines. dlt reads its configuration from environment
#: variables only, so these are set (``dlt_defaults``) just before a pipeline is made, never over
#: a value the operator set, and not when this module is merely imported.
DLT_DEFAULTS = {
    # dlt reports anonymous usage over the network by default; Storeboard never calls out.
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    # dlt warns about every all-null column; staging tolerates those (select_source_columns).
    "RUNTIME__LOG_LEVEL": "ERROR",
    # Arrow tables get dlt's _dlt_load_id column too (dlt adds it to dict rows only by default),
    # so every raw row names the load that wrote it.
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    # dlt gzips its intermediate files by default; they are local and deleted after the load,
    # and compressing them was a fifth of the CPU time of extracting Stripe or Shopify.
    "DATA_WRITER__DISABLE_COMPRESSION": "true",
}

logger = logging.getLogger(__name__)

#: Sources extracted at the same time.
MAX_PARALLEL_SOURCES = 4
#: Sources whose backfill takes longest (most records, or a rate limit to wait out) start first,
#: so the quick ones fill the gaps beside them instead of delaying them.
SLOWEST_FIRST = ("shopify", "stripe", "hubspot")

#: progress(step, status, detail) is called as each step starts and ends.
Progress = Callable[[str, str, str], None]


@dataclass
class StepResult:
    step: str
    status: str  # ok, failed, skipped
    rows_loaded: int | None = None
    seconds: float = 0.0
    error: str | None = None


@dataclass
class RunReport:
    """What one refresh did."""

    run_id: str
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status == "ok" for s in self.steps)

    @property
    def errors(self) -> list[str]:
        return [s.error for s in self.steps if s.error]


def warehouse_for(config: Config | Runtime) -> Warehouse:
    """The runtime's warehouse (a bare config gets one built from it)."""
    return of(config).warehouse


def dlt_defaults() -> None:
    """Apply ``DLT_DEFAULTS`` where the environment does not set them already (idempotent).

    Called where a dlt pipeline is made: dlt takes these from the environment and offers no
    per-pipeline argument for them. Values already set (an operator's choice) are kept.
    """
    for name, value in DLT_DEFAULTS.items():
        os.environ.setdefault(name, value)


def dlt_destination(warehouse: Warehouse):
    """dlt's destination for ``warehouse`` (``storeboard.destinations``: merges delete by each key)."""
    from storeboard import destinations

    if warehouse.kind == "duckdb":
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        return destinations.duckdb(DuckDbCredentials(str(warehouse.duckdb_path.resolve()),
                                                     global_config=warehouse.duckdb_settings() or None))
    params = warehouse.pg_params()
    # A dict rather than the URL: dlt insists on a password, and trust/peer setups have none.
    return destinations.postgres(
        credentials={
            "database": params["dbname"],
            "username": params["user"],
            "password": params["password"] or "",
            "host": params["host"],
            "port": params["port"],
        }
    )


def loader_file_format(warehouse: Warehouse) -> str:
    """The files dlt loads from: Parquet into DuckDB, CSV (``COPY``) into PostgreSQL.

    Both take the sources' Arrow tables without converting them row by row; dlt's default
    (INSERT statements) was ~30x slower and several times larger in memory.
    """
    return "parquet" if warehouse.kind == "duckdb" else "csv"


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost StoreboardError behind dlt's wrappers, else the innermost exception."""
    seen = exc
    while True:
        if isinstance(seen, StoreboardError):
            return seen
        nxt = seen.__cause__ or seen.__context__ or getattr(seen, "exception", None)
        if nxt is None or nxt is seen:
            return exc if not isinstance(exc, StoreboardError) else exc
        seen = nxt


def redact(message: str, config: Config | Runtime) -> str:
    """Remove every configured secret from a message."""
    rt = of(config)
    config, warehouse = rt.config, rt.warehouse
    secrets = [config.warehouse.get_secret_value()]
    if warehouse.kind == "postgres" and warehouse.pg_params()["password"]:
        secrets.append(warehouse.pg_params()["password"])
    if config.web.reader_password:
        secrets.append(config.web.reader_password.get_secret_value())
    for name in config.enabled_sources():
        block = getattr(config.sources, name)
        for value in block.__dict__.values():
            if hasattr(value, "get_secret_value"):
                secrets.append(value.get_secret_value())
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def extract_load(config: Config | Runtime, name: str, full_refresh: bool = False) -> int:
    """Extract source ``name`` and load it into ``raw_<name>``; returns rows loaded."""
    import dlt

    rt = of(config)
    config, warehouse = rt.config, rt.warehouse
    dlt_defaults()
    pipeline = dlt.pipeline(
        pipeline_name=f"storeboard_{name}",
        destination=dlt_destination(warehouse),
        dataset_name=f"raw_{name}",
        pipelines_dir=str(config.state_dir / "pipelines"),
    )
    _drop_unfinished_extracts(pipeline, name)
    file_format = loader_file_format(warehouse)
    refresh = "drop_sources" if full_refresh else None
    pipeline.run(build_source(config, name), refresh=refresh, loader_file_format=file_format)
    info = pipeline.last_trace.last_extract_info
    if info is None:
        # A killed run left load packages behind: dlt loaded those instead of extracting. Their
        # cursors are now committed, so extract this run's data on top of them.
        pipeline.run(build_source(config, name), refresh=refresh, loader_file_format=file_format)
        info = pipeline.last_trace.last_extract_info
    total = _records_extracted(info)
    # A long backfill committed in steps (Meta's insight windows): each step is loaded with its
    # cursor before the next is read, so a run stopped part-way resumes after the last step.
    while _more_to_read(pipeline, name):
        pipeline.run(build_source(config, name), loader_file_format=file_format)
        total += _records_extracted(pipeline.last_trace.last_extract_info)
    return total


def _records_extracted(info) -> int:
    """Records extracted per top-level table (child tables such as orders__line_items not
    counted): what users call "rows loaded". dlt's normalize counts are wrong for CSV files."""
    total = 0
    for package in ((info.metrics if info else None) or {}).values():
        for step in package:
            total += sum(m.items_count for t, m in step["table_metrics"].items()
                         if not t.startswith("_dlt") and "__" not in t)
    return total


def _more_to_read(pipeline, name: str) -> bool:
    """Whether a resource of source ``name`` stopped at a step of a longer read and asks to be run
    again (``more_to_read`` in its committed resource state)."""
    resources = pipeline.state.get("sources", {}).get(name, {}).get("resources", {})
    return any(isinstance(r, dict) and r.get("more_to_read") for r in resources.values())


def _drop_unfinished_extracts(pipeline, name: str) -> None:
    """Clean up after a run killed inside dlt's extract or normalize step.

    - A package with no schema yet was half-extracted: dlt cannot normalise it, and nothing of it
      counts yet (cursors are saved only when an extract finishes), so the next extract reads the
      same data again.
    - A package that is also under ``load/`` was normalised: dlt renames the normalised package into
      place and only then deletes the extracted one, so a kill between the two leaves both, and
      normalising it again fails. The renamed copy is complete; the extracted one is garbage.
    """
    working = Path(pipeline.working_dir)
    extracted = working / "normalize" / "extracted"
    for package in sorted(extracted.glob("*")) if extracted.is_dir() else []:
        if not package.is_dir():
            continue
        if not (package / "schema.json").exists():
            logger.warning("%s: removing load package %s, left half-extracted by a stopped run", name, package.name)
        elif any((working / "load" / stage / package.name).is_dir() for stage in ("normalized", "loaded")):
            logger.warning("%s: removing the extracted copy of load package %s, already normalised by a stopped run",
                           name, package.name)
        else:
            continue
        shutil.rmtree(package, ignore_errors=True)


#: storeboard_meta table → (config.metrics attribute, columns); the tables' DDL is in state.schema
CONFIG_TABLES = {
    "config_fx_rates": ("fx_rates", ("currency", "valid_from", "rate")),
    "config_budgets": ("budgets", ("channel", "campaign_id", "month", "amount")),
    "config_shipping_rates": ("shipping_rates", ("max_weight_grams", "cost")),
}


def write_config_tables(config: Config, warehouse: Warehouse) -> None:
    """Copy the config's metric tables (FX rates, budgets, shipping rate card) into
    ``storeboard_meta`` so the models read them like any other source; replaced every run."""
    with warehouse.connect() as conn:
        schema.ensure(conn)
        for table, (attribute, names) in CONFIG_TABLES.items():
            conn.execute(f"delete from storeboard_meta.{table}")
            for item in getattr(config.metrics, attribute):
                conn.execute(
                    f"insert into storeboard_meta.{table} ({', '.join(names)}) values ({', '.join(f'%({n})s' for n in names)})",
                    {n: getattr(item, n) for n in names},
                )


def dbt_vars(config: Config | Runtime, warehouse: Warehouse | None = None) -> dict[str, object]:
    """Every dbt var the models read: the store's zone and currency and the metric choices.

    ``warehouse`` is accepted for callers of the old signature; the runtime's is used."""
    rt = of(config)
    config = rt.config
    m = config.metrics
    return {
        **store_settings(rt),
        "refund_dating": m.refund_dating,
        "valid_orders": m.valid_orders,
        "tax_inclusive_prices": m.tax_inclusive_prices,
        "duties_in_total_sales": m.duties_in_total_sales,
        "meta_attribution_window": m.meta_attribution_window,
        "default_lead_time_days": m.default_lead_time_days,
        "safety_stock_units": m.safety_stock_units,
        "velocity_window_days": m.velocity_window_days,
        "stale_after_minutes": int(stale_after(config).total_seconds() // 60),
        "report_date": m.report_date.isoformat() if m.report_date else None,
        "restatement_threshold_pct": str(m.restatement_threshold_pct),
        "stripe_order_reference_key": config.sources.stripe.order_reference_key if config.sources.stripe else "order_id",
    }


def _with_base_dir(function, config: Config, settings):
    """Call a source's ``source``/``check`` with the config folder when it reads local files."""
    if "base_dir" in inspect.signature(function).parameters:
        return function(settings, base_dir=config.base_dir)
    return function(settings)


def build_source(config: Config, name: str):
    """The dlt source for ``name`` built from its config block."""
    return _with_base_dir(source_module(name).source, config, getattr(config.sources, name))


def check_source(config: Config, name: str) -> str:
    """One cheap authenticated call to source ``name`` (for ``storeboard doctor``)."""
    return _with_base_dir(source_module(name).check, config, getattr(config.sources, name))


def store_settings(config: Config | Runtime) -> dict[str, str]:
    """dbt vars for the store's time zone and currency, by the one rule (``storeboard.runtime``);
    the build records them in ``analytics.dim_store``."""
    store = of(config).store()
    return {"store_timezone": store.timezone, "store_currency": store.currency}


def extract_step(config: Config | Runtime, log: RunLog, name: str, full_refresh: bool, notify: Progress) -> StepResult:
    """Extract and load one source, recording the step; a failure is recorded, never raised."""
    step = f"extract:{name}"
    log.step_started(step, name)
    notify(step, "started", "")
    started = time.monotonic()
    try:
        rows = extract_load(config, name, full_refresh)
    except Exception as exc:  # one source failing must not stop the others
        cause = _root_cause(exc)
        text = str(cause) if isinstance(cause, StoreboardError) else f"{name}: {type(cause).__name__}: {cause}"
        message = redact(text, config)
        logger.error("%s failed: %s", step, message)
        log.step_finished(step, "failed", error=message)
        notify(step, "failed", message)
        return StepResult(step, "failed", seconds=time.monotonic() - started, error=message)
    log.step_finished(step, "ok", rows_loaded=rows)
    notify(step, "ok", f"{rows:,} rows")
    logger.info("%s loaded %d rows in %.1fs", step, rows, time.monotonic() - started)
    return StepResult(step, "ok", rows, time.monotonic() - started)


def run(
    config: Config | Runtime,
    sources: list[str] | None = None,
    full_refresh: bool = False,
    progress: Progress | None = None,
    trigger: str = "cli",
    replay_quarantine: bool = False,
) -> RunReport:
    """Refresh: extract+load each source, then ``dbt build``.

    Args:
        config: the entry point's runtime (or a validated config, which gets one of its own).
        sources: names to extract (default: every enabled source).
        full_refresh: drop the sources' raw tables and state and reload from scratch.
        progress: callback for each step's start and end.
        trigger: what started the run (``cli``, ``scheduler``, ``airflow``, ``demo``).
        replay_quarantine: after extracting, load the quarantined records of the selected
            sources that now pass their checks (``storeboard.replay``).

    Returns:
        The report; ``report.ok`` is false when any step failed (its error is recorded).
    """
    # dlt and dbt open the DuckDB file themselves: the whole refresh is one writer in this
    # process, so the SQL explorer's locked-down instance is closed for it (issue 23).
    rt = of(config)
    with rt.warehouse.writing():
        return _refresh(rt, sources, full_refresh, progress, trigger, replay_quarantine)


def _refresh(rt: Runtime, sources: list[str] | None, full_refresh: bool, progress: Progress | None,
             trigger: str, replay_quarantine: bool) -> RunReport:
    notify = progress or (lambda step, status, detail: None)
    config = rt.config
    log = RunLog(rt.warehouse, trigger)
    report = RunReport(log.run_id)
    names = sources or config.enabled_sources()
    _import_before_threads(names)
    # Sources are independent: extract them concurrently (network-bound), each into its own schema.
    started = sorted(names, key=lambda n: SLOWEST_FIRST.index(n) if n in SLOWEST_FIRST else len(SLOWEST_FIRST))
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_SOURCES, len(names))),
                            thread_name_prefix="extract") as pool:
        futures = {name: pool.submit(extract_step, rt, log, name, full_refresh, notify) for name in started}
        report.steps.extend(futures[name].result() for name in names)
    if replay_quarantine:
        report.steps.append(replay_step(rt, log, names, notify))

    report.steps.append(transform_step(rt, log, full_refresh, notify))
    log.finish("ok" if report.ok else "failed", "; ".join(report.errors) or None)
    return report


def _import_before_threads(names: list[str]) -> None:
    """Import the sources and dlt's Arrow helpers in this thread: two extract threads importing
    pyarrow for the first time at once can get a partly initialised module (dlt's writers
    import it lazily)."""
    import dlt.common.libs.pyarrow  # noqa: F401

    for name in names:
        source_module(name)


def load_items(config: Config | Runtime, name: str, resources: dict[str, Iterable[Any]]) -> int:
    """Run source ``name``'s own dlt pipeline (same name, dataset and state) over ``resources``
    (table -> the connector's own items for it), merged by id, outside a refresh's extraction:
    the webhook applier and the quarantine replay load through it. Returns the records loaded
    into the top-level tables."""
    import dlt

    rt = of(config)
    config, warehouse = rt.config, rt.warehouse
    rows = {table: list(items) for table, items in resources.items()}
    if not any(rows.values()):
        return 0
    file_format = loader_file_format(warehouse)
    dlt_defaults()

    @dlt.source(name=name)
    def changes() -> Any:
        return [dlt.resource(items, name=table, write_disposition="merge", primary_key="id")
                for table, items in rows.items() if items]

    dlt_pipeline = dlt.pipeline(
        pipeline_name=f"storeboard_{name}",
        destination=dlt_destination(warehouse),
        dataset_name=f"raw_{name}",
        pipelines_dir=str(config.state_dir / "pipelines"),
    )
    dlt_pipeline.run(changes(), loader_file_format=file_format)
    return sum(_rows_of(table, items) for table, items in rows.items())


def _rows_of(table: str, items: list[Any]) -> int:
    """Rows of ``items`` that go to ``table`` itself: not quarantined records, not child-table rows."""
    count = 0
    for item in items:
        meta = getattr(item, "meta", None)
        hints = getattr(meta, "hints", None) or {}
        data = getattr(item, "data", item)
        if hints.get("table_name", table) == table and hasattr(data, "num_rows"):
            count += data.num_rows
    return count


def replay_step(config: Config | Runtime, log: RunLog, names: list[str], notify: Progress) -> StepResult:
    """Replay the quarantine of ``names``, recording the step; a failure is recorded, never raised."""
    from storeboard import replay

    step = "replay_quarantine"
    log.step_started(step)
    notify(step, "started", "")
    started = time.monotonic()
    try:
        results = replay.replay_quarantine(config, names)
    except Exception as exc:  # noqa: BLE001 - recorded like a failed source
        message = redact(str(_root_cause(exc)), config)
        log.step_finished(step, "failed", error=message)
        notify(step, "failed", message)
        return StepResult(step, "failed", seconds=time.monotonic() - started, error=message)
    loaded = sum(r.loaded for r in results.values())
    detail = ", ".join(f"{n}: {r.loaded} loaded, {r.still_quarantined} still quarantined" for n, r in results.items()) \
        or "nothing quarantined"
    log.step_finished(step, "ok", rows_loaded=loaded)
    notify(step, "ok", detail)
    return StepResult(step, "ok", rows_loaded=loaded, seconds=time.monotonic() - started)


def grant_web_reader(config: Config, warehouse: Warehouse) -> None:
    """PostgreSQL: (re)create the dashboards' SELECT-only role (``web.reader_role``, a login
    role when ``web.reader_password`` is set) and grant it the marts just built. A user without
    CREATEROLE gets a warning, not a failed run."""
    if warehouse.kind != "postgres":
        return
    import psycopg

    password = config.web.reader_password.get_secret_value() if config.web.reader_password else None
    try:
        warehouse.grant_reader(config.web.reader_role, password)
    except psycopg.Error as exc:
        logger.warning("could not create the web's reader role %s: %s (the warehouse user needs CREATEROLE; "
                       "see docs/security.md)", config.web.reader_role, redact(str(exc), config))


def transform_step(config: Config | Runtime, log: RunLog, full_refresh: bool, notify: Progress) -> StepResult:
    """Copy the config tables and run ``dbt build``, recording the step; a failure is recorded,
    never raised (the scheduler and Airflow call this too)."""
    step = "transform"
    rt = of(config)
    config, warehouse = rt.config, rt.warehouse
    log.step_started(step)
    notify(step, "started", "")
    started = time.monotonic()
    try:
        write_config_tables(config, warehouse)
        counts = runner.build(warehouse, config.state_dir, dbt_vars(rt), full_refresh=full_refresh)
        grant_web_reader(config, warehouse)
    except StoreboardError as exc:
        message = redact(str(exc), rt)
        log.step_finished(step, "failed", error=message)
        notify(step, "failed", message)
        return StepResult(step, "failed", seconds=time.monotonic() - started, error=message)
    detail = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    log.step_finished(step, "ok")
    notify(step, "ok", detail)
    return StepResult(step, "ok", seconds=time.monotonic() - started)


__all__ = ["RunReport", "SourceError", "StepResult", "extract_load", "extract_step", "load_items", "loader_file_format", "run",
           "store_settings", "transform_step", "warehouse_for"]
