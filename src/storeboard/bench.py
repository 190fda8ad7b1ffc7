"""Reproducible benchmarks: ``storeboard bench`` and ``make bench``.

For each scale (number of generated orders) and warehouse the suite, from an empty folder:

1. starts ``storeboard sandbox`` in a separate process (so rendering the APIs never shares the
   pipeline's GIL), with a fixed seed and end of history, live trading off;
2. runs the backfill (``storeboard run``) as a subprocess, measuring its wall time and peak RSS
   (the kernel's high-water mark from ``wait4``; dlt and dbt run inside that one process), and
   reads the step timings from the run log and dlt's extract / normalize / load split from the
   trace dlt keeps in each pipeline folder;
3. measures the warehouse on disk, changes 1 % of the orders through ``/_sandbox/advance`` (half
   new orders, half refunds and cancellations spread over the whole history; the call answers once
   the sandbox serves the change, so its own re-indexing is not timed) and times the incremental
   ``storeboard run``;
4. rebuilds the same marts with ``dbt build --full-refresh`` (the baseline the incremental models
   must beat) and times every dashboard page and API (median and p95 over ``--requests``);

then, once, times ``storeboard demo --no-serve`` (at the demo scale) and the connectors against
their rate-limit floor (``benchmarks/connectors.py``, from a checkout). Results are merged into
``<out>.json`` by scale and warehouse, and the tables in ``<out>`` are rewritten from it between
the generated-section markers (:mod:`storeboard.bench_report`); prose outside them stays.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storeboard.errors import ConfigError

#: Named scales; any other is a number of orders like ``300``, ``250k`` or ``1M``.
NAMED_SCALES = {"demo": 60_000}
#: Every generated store: same seed, history ending at the same minute. Its length is the
#: sandbox's default for the scale: two years, three above 100k orders (the 1M case asks for
#: three years of ad-set-level spend).
SEED, AS_OF = 42, "2026-11-20T15:00:00+00:00"
#: Share of the orders changed before the incremental refresh.
CHANGED_SHARE = 0.01
#: The connectors' store: large enough that Stripe's and HubSpot's limits bind for several seconds,
#: so the ratio measures throughput rather than a pipeline's fixed second of setup (at 5,000 orders
#: Stripe's floor was 2.7 s).
CONNECTOR_ORDERS = 20_000
#: Shopify's paged backfill per plan: orders in the store, sized so each floor is a few minutes (an
#: order costs about 60 points by Shopify's cost rules, and a Standard shop restores a tenth of
#: Plus's points a second).
SHOPIFY_PLAN_ORDERS = {"standard": 600, "plus": 4_000}
#: Share of the orders changed before the Shopify incremental refresh: enough that the refresh
#: spends more than the bucket holds, so the limit binds and the ratio means something.
SHOPIFY_CHANGED_SHARE = 0.2
#: Orders in the store of the Shopify bulk backfill benchmark.
SHOPIFY_BULK_ORDERS = 250_000
REPO_ROOT = Path(__file__).resolve().parents[2]

Log = Callable[[str], None]


def parse_scale(text: str) -> tuple[str, int]:
    """``demo`` → ("demo", 60000); ``250k`` → ("250k", 250000); ``1M`` → ("1M", 1000000)."""
    key = text.strip()
    if key.lower() in NAMED_SCALES:
        return key.lower(), NAMED_SCALES[key.lower()]
    factor = {"k": 1_000, "m": 1_000_000}.get(key[-1:].lower(), 1)
    number = key[:-1] if factor > 1 else key
    try:
        orders = int(float(number) * factor)
    except ValueError:
        raise ConfigError(f"--scale must be demo or a number of orders like 300, 250k or 1M, not {text!r}") from None
    if orders < 50:
        raise ConfigError(f"--scale {text}: at least 50 orders, so 1 % of them is a change")
    return key, orders


# -- processes ---------------------------------------------------------------------------------

@dataclass
class Measured:
    """One finished subprocess: wall time, peak resident memory, exit code, the end of its output."""

    seconds: float
    peak_rss: int
    returncode: int
    tail: str


def run_measured(args: list[str], cwd: Path, log_file: Path, timeout: float = 6 * 3600) -> Measured:
    """Run ``args`` to completion; the peak RSS is the kernel's high-water mark of that process
    (and the largest of any child it waited for), read from ``wait4`` so no sample is missed."""
    started = time.monotonic()
    with open(log_file, "ab") as out:
        out.write(f"\n$ {' '.join(args)}\n".encode())
        out.flush()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=_child_env())
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # stopped (Ctrl-C, SIGTERM): the measured command goes too
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    tail = log_file.read_text(encoding="utf-8", errors="replace")[-3000:]
    return Measured(seconds, usage.ru_maxrss * 1024, proc.returncode, tail)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # The run must not pick up a developer's own warehouse password or log level.
    env.pop("STOREBOARD_LOG_LEVEL", None)
    return env


def storeboard(*args: str) -> list[str]:
    return [sys.executable, "-m", "storeboard", *args]


class SandboxProcess:
    """``storeboard sandbox`` in its own process, serving a generated store on a free port.

    It writes ``storeboard.yml``, ``.env`` and the CSV drop into ``folder`` before it listens.
    """

    def __init__(self, folder: Path, orders: int, log_file: Path):
        from storeboard.sandbox.server import free_port

        self.folder, self.orders, self.log_file = folder, orders, log_file
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.ready_seconds = 0.0
        self.peak_rss = 0

    def start(self, timeout: float = 3 * 3600) -> SandboxProcess:
        args = storeboard("sandbox", "--port", str(self.port), "--orders", str(self.orders),
                          "--seed", str(SEED), "--as-of", AS_OF, "--no-live")
        started = time.monotonic()
        out = open(self.log_file, "ab")
        self.proc = subprocess.Popen(args, cwd=self.folder, stdout=out, stderr=subprocess.STDOUT, env=_child_env())
        out.close()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the sandbox exited with {self.proc.returncode}; see {self.log_file}")
            if time.monotonic() - started > timeout:
                self.stop()
                raise RuntimeError(f"the sandbox did not answer within {timeout:.0f}s; see {self.log_file}")
            try:
                self.call("GET", "/_sandbox/health")
                break
            except OSError:
                time.sleep(0.25)
        self.ready_seconds = time.monotonic() - started
        return self

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        """Stop with Ctrl+C's signal (the command's own shutdown path) and keep its peak RSS."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        timer = threading.Timer(30, self.proc.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(self.proc.pid, 0)
        finally:
            timer.cancel()
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.peak_rss = usage.ru_maxrss * 1024


# -- reading what a run did --------------------------------------------------------------------

def load_bench_config(folder: Path):
    from storeboard.config import load_config

    return load_config(folder / "storeboard.yml")


def last_run_steps(config) -> dict[str, Any]:
    """The newest run in the run log: its status and each step's seconds and rows."""
    from storeboard.state.schema import SCHEMA
    from storeboard.warehouse import Warehouse

    with Warehouse.from_config(config).connect(read_only=True) as conn:
        runs = conn.query(f"select run_id, status from {SCHEMA}.runs order by started_at desc limit 1")
        if not runs:
            return {"status": "missing", "steps": {}}
        rows = conn.query(f"select step, status, rows_loaded, started_at, finished_at from {SCHEMA}.run_steps "
                          "where run_id = %(id)s", {"id": runs[0]["run_id"]})
    steps = {}
    for row in rows:
        seconds = (row["finished_at"] - row["started_at"]).total_seconds() if row["finished_at"] else None
        steps[row["step"]] = {"status": row["status"], "rows": row["rows_loaded"], "seconds": seconds,
                              "started": row["started_at"].timestamp(),
                              "finished": row["finished_at"].timestamp() if row["finished_at"] else None}
    return {"status": runs[0]["status"], "steps": steps}


def dlt_phases(config) -> dict[str, dict[str, float]]:
    """Seconds in dlt's extract, normalize and load steps of each source's last run, from the
    trace dlt saves in the pipeline's folder after every step."""
    from dlt.pipeline.trace import load_trace

    phases: dict[str, dict[str, float]] = {}
    for name in config.enabled_sources():
        trace = load_trace(str(config.state_dir / "pipelines" / f"storeboard_{name}"))
        if trace is None:
            continue
        phases[name] = {}
        for step in trace.steps:
            if step.step in ("extract", "normalize", "load") and step.finished_at:
                seconds = (step.finished_at - step.started_at).total_seconds()
                phases[name][step.step] = phases[name].get(step.step, 0.0) + seconds
    return phases


def warehouse_bytes(config) -> int:
    """Size on disk: the DuckDB file and its WAL, or ``pg_database_size``."""
    from storeboard.warehouse import Warehouse

    warehouse = Warehouse.from_config(config)
    if warehouse.kind == "duckdb":
        path = warehouse.duckdb_path
        wal = path.with_name(path.name + ".wal")
        return sum(p.stat().st_size for p in (path, wal) if p.exists())
    with warehouse.connect(read_only=True) as conn:
        return int(conn.query("select pg_database_size(current_database()) as size")[0]["size"])


def summarize_run(measured: Measured, config) -> dict[str, Any]:
    """Wall time, peak RSS and the split into extract (all sources, concurrent), dbt and alerts."""
    run = last_run_steps(config)
    steps = run["steps"]
    extracts = [s for k, s in steps.items() if k.startswith("extract:")]
    extract_wall = (max(s["finished"] or s["started"] for s in extracts) - min(s["started"] for s in extracts)
                    if extracts else 0.0)
    phases = dlt_phases(config)
    totals = {p: sum(v.get(p, 0.0) for v in phases.values()) for p in ("extract", "normalize", "load")}
    return {
        "ok": measured.returncode == 0 and run["status"] == "ok",
        "returncode": measured.returncode,
        "seconds": measured.seconds,
        "peak_rss": measured.peak_rss,
        "extract_phase": extract_wall,
        "dbt": (steps.get("transform") or {}).get("seconds"),
        "dlt": totals,
        "sources": {k.split(":", 1)[1]: {**s, **{"dlt": phases.get(k.split(":", 1)[1], {})}}
                    for k, s in steps.items() if k.startswith("extract:")},
        "rows": sum(s["rows"] or 0 for s in extracts),
        "error": None if measured.returncode == 0 else measured.tail[-1500:],
    }


# -- the steps ---------------------------------------------------------------------------------

def change_orders(sandbox: SandboxProcess, orders: int) -> dict[str, int]:
    """Change 1 % of the orders: half new, the rest refunded (two thirds) or cancelled."""
    total = max(2, round(orders * CHANGED_SHARE))
    new = total // 2
    cancels = (total - new) // 3
    refunds = total - new - cancels
    answer = sandbox.call("POST", "/_sandbox/advance", {"orders": new, "refunds": refunds, "cancels": cancels,
                                                         "seed": SEED})
    return {"new": len(answer["orders_added"]), "refunded": min(refunds, len(answer["orders_changed"])),
            "cancelled": max(0, len(answer["orders_changed"]) - refunds), "orders": answer["orders"]}


def bench_one(scale: str, orders: int, warehouse: str, folder: Path, postgres: PostgresServer | None,
              requests: int, log: Log) -> dict[str, Any]:
    """The whole sequence for one scale and warehouse; returns its results."""
    folder.mkdir(parents=True, exist_ok=True)
    log_file = folder / "bench.log"
    result: dict[str, Any] = {"scale": scale, "orders_asked": orders, "warehouse": warehouse,
                              "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    sandbox = SandboxProcess(folder, orders, folder / "sandbox.log")
    log(f"[{scale}/{warehouse}] generating {orders:,} orders in a sandbox process")
    sandbox.start()
    try:
        health = sandbox.call("GET", "/_sandbox/health")
        result["orders"] = health["orders"]
        result["sandbox_ready_seconds"] = sandbox.ready_seconds
        if warehouse == "postgres":
            assert postgres is not None
            url = postgres.new_database(f"bench_{scale}".lower().replace(".", "_"))
            path = folder / "storeboard.yml"
            path.write_text(path.read_text(encoding="utf-8").replace(
                "warehouse: duckdb:///storeboard.duckdb", f"warehouse: {url}"), encoding="utf-8")
        config = load_bench_config(folder)

        log(f"[{scale}/{warehouse}] backfill of {result['orders']:,} orders")
        backfill = summarize_run(run_measured(storeboard("run", "-c", "storeboard.yml"), folder, log_file), config)
        result["backfill"] = backfill
        if not backfill["ok"]:
            raise RuntimeError(f"the backfill failed; see {log_file}")
        result["warehouse_bytes"] = warehouse_bytes(config)

        changes = change_orders(sandbox, result["orders"])
        result["changes"] = changes
        log(f"[{scale}/{warehouse}] incremental refresh after {changes['new']} new, {changes['refunded']} refunded, "
            f"{changes['cancelled']} cancelled orders")
        incremental = summarize_run(run_measured(storeboard("run", "-c", "storeboard.yml"), folder, log_file), config)
        result["incremental"] = incremental
        if not incremental["ok"]:
            raise RuntimeError(f"the incremental refresh failed; see {log_file}")

        log(f"[{scale}/{warehouse}] baseline: dbt build --full-refresh on the same data")
        baseline = run_measured([sys.executable, "-m", "storeboard.bench", "_transform", str(folder), "--full-refresh"],
                                folder, log_file)
        result["full_refresh_dbt"] = {"seconds": last_run_steps(config)["steps"].get("transform", {}).get("seconds"),
                                      "process_seconds": baseline.seconds, "peak_rss": baseline.peak_rss,
                                      "ok": baseline.returncode == 0}
        result["warehouse_bytes_after"] = warehouse_bytes(config)

        log(f"[{scale}/{warehouse}] dashboard pages, {requests} requests each")
        pages_out = folder / "pages.json"
        measured = run_measured([sys.executable, "-m", "storeboard.bench", "_pages", str(folder), str(requests),
                                 str(pages_out)], folder, log_file)
        if measured.returncode != 0:
            raise RuntimeError(f"measuring the pages failed; see {log_file}")
        result["pages"] = json.loads(pages_out.read_text())
    finally:
        sandbox.stop()
        result["sandbox_peak_rss"] = sandbox.peak_rss
        if warehouse == "postgres" and postgres is not None:
            postgres.drop_databases()
    return result


def bench_demo_command(orders: int, work: Path, log: Log) -> dict[str, Any]:
    """``storeboard demo --no-serve`` from an empty folder, as a user runs it."""
    folder = work / f"demo-command-{orders}"
    folder.mkdir(parents=True, exist_ok=True)
    log(f"[demo command] storeboard demo --no-serve --orders {orders:,}")
    measured = run_measured(storeboard("demo", "--no-serve", "--orders", str(orders), "--seed", str(SEED),
                                       "--as-of", AS_OF), folder, folder / "demo.log")
    return {"orders_asked": orders, "seconds": measured.seconds, "peak_rss": measured.peak_rss,
            "ok": measured.returncode == 0, "error": None if measured.returncode == 0 else measured.tail[-1500:],
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}


def _connector_child(args: list[str], log: Log) -> tuple[Any, str | None]:
    """``python -m benchmarks.connectors ARGS`` in its own process (it needs a checkout: it reuses
    the tests' config helper); returns (its JSON, None) or (None, the error)."""
    log(f"[connectors] {' '.join(args)}")
    out = subprocess.run([sys.executable, "-m", "benchmarks.connectors", *args], cwd=REPO_ROOT, capture_output=True,
                         text=True, env=_child_env(), check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH-JSON ")), None)
    if out.returncode != 0 or line is None:
        return None, (out.stderr or out.stdout)[-1500:]
    return json.loads(line[len("BENCH-JSON "):]), None


def bench_connectors(orders: int, log: Log) -> dict[str, Any] | None:
    """The connectors against their rate limits: Stripe and HubSpot on ``orders``; Shopify's paged
    backfill and increment on a Standard and a Plus shop; Shopify's bulk backfill at
    ``SHOPIFY_BULK_ORDERS``. None when the suite runs from an installed package."""
    if not (REPO_ROOT / "benchmarks" / "connectors.py").is_file():
        return None
    now = lambda: datetime.now(UTC).isoformat(timespec="seconds")  # noqa: E731
    rows, error = _connector_child(["limits", "--orders", str(orders)], log)
    result: dict[str, Any] = {"orders": orders, "rows": rows or [], "measured_at": now()}
    if error:
        result["error"] = error
    plans = []
    for plan, plan_orders in SHOPIFY_PLAN_ORDERS.items():
        measured, error = _connector_child(["shopify", "--plan", plan, "--orders", str(plan_orders),
                                            "--changed-share", str(SHOPIFY_CHANGED_SHARE)], log)
        plans += measured or [{"plan": plan, "orders": plan_orders, "error": error}]
    bulk, error = _connector_child(["bulk", "--orders", str(SHOPIFY_BULK_ORDERS)], log)
    result["shopify"] = {"plans": plans, "bulk": bulk or {"orders": SHOPIFY_BULK_ORDERS, "error": error},
                         "measured_at": now()}
    return result


class PostgresServer:
    """A PostgreSQL server for the Postgres runs: ``STOREBOARD_BENCH_POSTGRES_URL`` (or the tests'
    ``STOREBOARD_TEST_POSTGRES_URL``), else a throwaway cluster from the checkout's
    ``tests/pg_cluster.py``; each run gets a fresh database, dropped afterwards."""

    def __init__(self):
        self.url = os.environ.get("STOREBOARD_BENCH_POSTGRES_URL") or os.environ.get("STOREBOARD_TEST_POSTGRES_URL")
        self._cluster = None
        self._folder: Path | None = None
        self._databases: list[str] = []

    def start(self) -> PostgresServer:
        if self.url:
            return self
        helper = REPO_ROOT / "tests" / "pg_cluster.py"
        if not helper.is_file():
            raise ConfigError("Postgres benchmarks need STOREBOARD_BENCH_POSTGRES_URL (a server where the user may "
                              "create databases) or a checkout with tests/pg_cluster.py")
        spec = importlib.util.spec_from_file_location("storeboard_bench_pg_cluster", helper)
        self._cluster = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self._cluster)
        if not self._cluster.available():
            raise ConfigError("Postgres benchmarks need PostgreSQL's initdb and pg_ctl on PATH, "
                              "or STOREBOARD_BENCH_POSTGRES_URL")
        self._folder = Path(tempfile.mkdtemp(prefix="storeboard-bench-pg-"))
        self.url = self._cluster.start(self._folder)
        return self

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self.url) as conn:
            return str(conn.execute("show server_version").fetchone()[0]).split()[0]

    def new_database(self, prefix: str) -> str:
        import psycopg

        name = f"{prefix}_{os.getpid()}_{len(self._databases)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
        self._databases.append(name)
        return f"{self.url.rsplit('/', 1)[0]}/{name}"

    def drop_databases(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            for name in self._databases:
                conn.execute(f"drop database if exists {name} with (force)")
        self._databases.clear()

    def stop(self) -> None:
        if self._cluster is not None and self._folder is not None:
            self._cluster.stop(self._folder)


# -- the suite ---------------------------------------------------------------------------------

def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def run_suite(scales: list[str], warehouses: list[str], out: Path, work: Path | None = None,
              connectors: bool = True, demo_command: bool = True, requests: int = 20,
              connector_orders: int = CONNECTOR_ORDERS,
              log: Log = print) -> dict[str, Any]:
    """Run the benchmarks and rewrite the generated section of ``out`` (results kept in
    ``out.with_suffix('.json')``, merged with earlier runs by scale and warehouse).

    Args:
        scales: ``demo``, or numbers of orders like ``300``, ``250k``, ``1M``.
        warehouses: ``duckdb`` and/or ``postgres``.
        out: the Markdown file whose generated section is rewritten.
        work: folder for the stores, warehouses and logs (default: a new temporary folder).
        connectors: also run the connectors against their rate-limit floors.
        demo_command: also time ``storeboard demo --no-serve`` at scales up to the demo's.
        requests: timed requests per dashboard page.

    Returns:
        The merged results.
    """
    from storeboard import bench_report

    if threading.current_thread() is threading.main_thread():
        # `kill` (SIGTERM) unwinds like Ctrl-C, so the sandbox and PostgreSQL children are stopped.
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    parsed = [parse_scale(s) for s in scales]
    for warehouse in warehouses:
        if warehouse not in ("duckdb", "postgres"):
            raise ConfigError(f"--warehouse must be duckdb, postgres or both, not {warehouse!r}")
    work = work or Path(tempfile.mkdtemp(prefix="storeboard-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log(f"Working folder: {work}")
    results = bench_report.load_results(out)
    environment = bench_report.environment()
    postgres = PostgresServer().start() if "postgres" in warehouses else None
    try:
        if postgres is not None:
            environment["postgres"] = postgres.version()
        for scale, orders in parsed:
            for warehouse in warehouses:
                key = f"{scale}/{warehouse}"
                # The machine is shared: each measurement keeps the load average at its start.
                started_env = {**environment, "load_average": bench_report.environment()["load_average"]}
                try:
                    entry = bench_one(scale, orders, warehouse, work / key.replace("/", "-"), postgres, requests, log)
                except Exception as exc:  # one failed run is reported in the table, the others still run
                    log(f"[{key}] failed: {exc}")
                    entry = {"scale": scale, "orders_asked": orders, "warehouse": warehouse, "failed": str(exc),
                             "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
                entry["environment"] = started_env
                results["runs"][key] = entry
                bench_report.write(out, results)
            if demo_command and orders <= NAMED_SCALES["demo"]:
                started_env = {**environment, "load_average": bench_report.environment()["load_average"]}
                results["demo_command"][scale] = {**bench_demo_command(orders, work, log), "environment": started_env}
                bench_report.write(out, results)
    finally:
        if postgres is not None:
            postgres.stop()
    if connectors:
        started_env = {**environment, "load_average": bench_report.environment()["load_average"]}
        measured = bench_connectors(connector_orders, log)
        if measured is not None:
            results["connectors"] = {**measured, "environment": started_env}
    bench_report.write(out, results)
    log(f"Wrote {out}")
    return results


# -- in-process helpers run as subprocesses by the suite ----------------------------------------

def _transform(folder: Path, full_refresh: bool) -> int:
    """Copy the config tables and run dbt, logged as a run like ``storeboard run``'s transform."""
    from storeboard import pipeline
    from storeboard.state.runlog import RunLog

    config = load_bench_config(folder)
    log = RunLog(pipeline.warehouse_for(config), "bench")
    step = pipeline.transform_step(config, log, full_refresh, lambda *_: None)
    log.finish(step.status, step.error)
    return 0 if step.status == "ok" else 1


#: Each dashboard page and its API, a long range, a CSV export, the SQL explorer.
def page_paths(csv_table: str | None) -> list[str]:
    names = ["revenue", "marketing", "customers", "products", "inventory", "health"]
    paths = [f"/{n}" for n in names] + ["/revenue?preset=365d&grain=month", "/sql"]
    paths += [f"/api/{n}" for n in names]
    if csv_table:
        paths.append(f"/revenue/{csv_table}.csv")
    paths.append("POST /api/sql")
    return paths


EXPLORER_SQL = ("select date_trunc('month', order_date) as month, count(*) as orders "
                "from analytics.fct_orders group by 1 order by 1")


def _pages(folder: Path, requests: int, out: Path) -> int:
    """Server time of each page through the ASGI app in this process (no network in between)."""
    from fastapi.testclient import TestClient

    from storeboard.web.app import create_app

    config = load_bench_config(folder)
    timings: dict[str, dict[str, Any]] = {}
    # A loopback client address: the demo config has no users, so only this machine is served.
    with TestClient(create_app(config), base_url="http://localhost", client=("127.0.0.1", 50000)) as client:
        tables = client.get("/api/revenue").json().get("tables", {})
        form = client.get("/sql").text
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0] if "csrf_token" in form else ""
        for path in page_paths(next(iter(tables), None)):
            if path.startswith("POST "):
                def send(p=path[5:]):
                    return client.post(p, data={"sql": EXPLORER_SQL, "csrf_token": token})
            else:
                def send(p=path):
                    return client.get(p, headers={"accept": "text/html"})
            first = send()  # warm-up: caches, first query plans
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                response = send()
                samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            timings[path] = {"status": first.status_code, "requests": len(samples),
                             "median_ms": statistics.median(samples),
                             "p95_ms": samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))],
                             "last_status": response.status_code}
    out.write_text(json.dumps(timings, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storeboard.bench")
    sub = parser.add_subparsers(dest="command", required=True)
    transform = sub.add_parser("_transform")
    transform.add_argument("folder", type=Path)
    transform.add_argument("--full-refresh", action="store_true")
    pages = sub.add_parser("_pages")
    pages.add_argument("folder", type=Path)
    pages.add_argument("requests", type=int)
    pages.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "_transform":
        return _transform(args.folder, args.full_refresh)
    return _pages(args.folder, args.requests, args.out)


if __name__ == "__main__":
    sys.exit(main())
