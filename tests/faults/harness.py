"""Running ``storeboard`` as a separate process, killing it at a chosen moment, and looking at
what it left behind (run log, locks, half-built relations, pending dlt load packages)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dotenv import dotenv_values

from storeboard.config import Config, load_config
from storeboard.sandbox import credentials
from storeboard.warehouse import Warehouse
from tests.conftest import make_config

#: The day the marts are computed for, pinned so that a run after midnight builds the same marts.
REPORT_DATE = "2026-11-20"
_MARKER = "\n# --- fault test settings ---\n"


def configure(folder: Path, sandbox_url: str | None = None, store=None, shopify: dict | None = None,
              extra_yaml: str = "", sources: dict[str, dict] | None = None,
              warehouse: str = "duckdb:///storeboard.duckdb") -> Config:
    """Write (given ``sandbox_url``) or reload ``folder``'s sandbox config with the report date
    pinned; ``sources`` (or ``shopify``) override keys of source blocks, ``extra_yaml`` adds
    top-level blocks."""
    if sandbox_url is not None:
        make_config(folder, warehouse, sandbox_url, store=store)
    path = folder / "storeboard.yml"
    text = path.read_text().split(_MARKER)[0]
    for name, values in {**(sources or {}), **({"shopify": shopify} if shopify else {})}.items():
        text = _override(text, name, values)
    text += _MARKER + f"metrics:\n  report_date: {REPORT_DATE}\n" + extra_yaml
    path.write_text(text)
    env = {**{k: v for k, v in dotenv_values(folder / ".env").items() if v is not None}, **os.environ}
    return load_config(path, environ=env)


def _override(text: str, source: str, values: dict) -> str:
    """``text`` with ``values`` set in the ``sources.<source>`` block."""
    head, found, tail = text.partition(f"\n  {source}:\n")
    assert found, f"no sources.{source} block"
    lines = tail.split("\n")
    end = next(i for i, line in enumerate(lines) if line and not line.startswith("    "))
    kept = [line for line in lines[:end] if line.strip().split(":")[0] not in values]
    added = [f"    {key}: {str(value).lower() if isinstance(value, bool) else value}" for key, value in values.items()]
    return head + found + "\n".join(kept + added + lines[end:])


def _env() -> dict[str, str]:
    """This environment without any sandbox credential, so the CLI reads the folder's .env."""
    names = {name for block in credentials.ENV.values() for name in block}
    return {k: v for k, v in os.environ.items() if k not in names}


def start(folder: Path, *args: str, log: str = "run") -> subprocess.Popen:
    """Start ``storeboard ARGS`` in ``folder``; its output goes to ``folder/<log>.log``."""
    output = open(folder / f"{log}.log", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen([sys.executable, "-m", "storeboard", *args], cwd=folder, env=_env(),
                               stdout=output, stderr=subprocess.STDOUT)
    process.log_path = folder / f"{log}.log"  # type: ignore[attr-defined]
    output.close()
    return process


def run(folder: Path, *args: str, log: str = "rerun", timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``storeboard ARGS`` in ``folder`` to the end; returns its exit code and output."""
    return subprocess.run([sys.executable, "-m", "storeboard", *args], cwd=folder, env=_env(),
                          capture_output=True, text=True, timeout=timeout)


def wait_until(process: subprocess.Popen, predicate: Callable[[], object], what: str, timeout: float = 300) -> object:
    """Poll ``predicate`` until it is truthy; fails if ``process`` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        if process.poll() is not None:
            raise AssertionError(f"storeboard exited ({process.returncode}) before {what}:\n"
                                 + Path(process.log_path).read_text(errors="replace")[-3000:])
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def kill(process: subprocess.Popen) -> None:
    """SIGKILL: no handler runs, nothing is cleaned up, as when the machine loses power."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


# --- what a run left behind ----------------------------------------------------------------------

def query(config: Config, sql: str) -> list[dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query(sql)


def locks(config: Config) -> list[dict]:
    """Lock rows (none when no lock was ever taken in this warehouse)."""
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        if not conn.table_exists("storeboard_meta", "locks"):
            return []
        return conn.query("select name, owner from storeboard_meta.locks order by name")


def runs(config: Config) -> list[dict]:
    return query(config, "select run_id, trigger, status, started_at from storeboard_meta.runs order by started_at")


def steps(config: Config, run_id: str) -> dict[str, dict]:
    rows = query(config, f"select step, status, error, rows_loaded from storeboard_meta.run_steps where run_id = '{run_id}'")
    return {row["step"]: row for row in rows}


def leftover_relations(config: Config) -> list[str]:
    """Relations a build creates for a moment (dbt's ``__dbt_tmp`` / ``__dbt_backup``)."""
    rows = query(config, "select table_schema || '.' || table_name as name from information_schema.tables "
                         "where table_name like '%dbt_tmp%' or table_name like '%dbt_backup%' order by 1")
    return [row["name"] for row in rows]


def pending_packages(folder: Path) -> dict[str, list[str]]:
    """dlt load packages extracted or normalized but not loaded yet, by pipeline."""
    found: dict[str, list[str]] = {}
    for stage in ("new", "normalized"):
        for package in sorted((folder / ".storeboard" / "pipelines").glob(f"*/load/{stage}/*")):
            # Load ids are start times (``1795634557.63``); dlt keeps other, temporary entries there too.
            if package.name.replace(".", "", 1).isdigit():
                found.setdefault(package.parts[-4], []).append(f"{stage}/{package.name}")
    return found


def dbt_models_started(folder: Path, layer: str = "marts") -> list[str]:
    """Models of ``layer`` whose SQL dbt has written to target/run (it does so as it runs each)."""
    return sorted(p.stem for p in (folder / ".storeboard" / "dbt" / "target" / "run").glob(f"**/models/{layer}/*.sql"))
