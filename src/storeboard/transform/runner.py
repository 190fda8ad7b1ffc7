"""Building the dbt project with ``dbtRunner``, with a profile generated from the config.

The profile file holds no password: it reads ``STOREBOARD_WAREHOUSE_PASSWORD`` with dbt's
``env_var()``, set only for the length of one ``dbtRunner`` invocation (``_password_for_dbt``).
Every other dbt option is a command-line argument of that invocation, never an environment
variable of this process. dbt's target and log folders live under the config's state folder, so
the installed package stays read-only and partial parsing survives between runs.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from storeboard.errors import TransformError
from storeboard.warehouse import Warehouse

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).parent / "dbt"
_PASSWORD_ENV = "STOREBOARD_WAREHOUSE_PASSWORD"
#: one invocation at a time may set the password variable (see ``_password_for_dbt``)
_PASSWORD_LOCK = threading.Lock()


def write_profile(warehouse: Warehouse, folder: Path) -> Path:
    """Write ``profiles.yml`` for ``warehouse`` into ``folder`` and return the folder."""
    if warehouse.kind == "duckdb":
        output: dict[str, Any] = {"type": "duckdb", "path": str(warehouse.duckdb_path.resolve()), "threads": 1}
        if warehouse.duckdb_settings():
            # set on each of dbt's connections: they are the DuckDB instance's, shared in-process
            output["settings"] = warehouse.duckdb_settings()
    else:
        params = warehouse.pg_params()
        output = {
            "type": "postgres",
            "host": params["host"],
            "port": params["port"],
            "user": params["user"],
            "password": "{{ env_var('" + _PASSWORD_ENV + "', '') }}",
            "dbname": params["dbname"],
            "schema": "analytics",
            "threads": 2,
        }
    folder.mkdir(parents=True, exist_ok=True)
    profile = {"storeboard": {"target": warehouse.kind, "outputs": {warehouse.kind: output}}}
    (folder / "profiles.yml").write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return folder


@contextmanager
def _password_for_dbt(warehouse: Warehouse) -> Iterator[None]:
    """Put the PostgreSQL password where the profile's ``env_var()`` finds it, for one invocation.

    dbt's programmatic runner takes command-line arguments only: it renders the profile from a
    copy of ``os.environ`` taken when the invocation starts, and has no argument for an
    environment of its own. Passing the password as a ``--vars`` value would write it into dbt's
    artifacts (``run_results.json`` records the arguments), and writing it into ``profiles.yml``
    would put it on disk, so the variable is set here and the previous value (or its absence) is
    restored as soon as the invocation ends. The lock keeps two builds in this process from
    restoring each other's value; builds are also serialised by the warehouse's refresh lock.
    """
    if warehouse.kind != "postgres":
        yield
        return
    with _PASSWORD_LOCK:
        before = os.environ.get(_PASSWORD_ENV)
        os.environ[_PASSWORD_ENV] = warehouse.pg_params()["password"] or ""
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(_PASSWORD_ENV, None)
            else:
                os.environ[_PASSWORD_ENV] = before


def build(warehouse: Warehouse, state_dir: Path, variables: dict[str, Any], select: str | None = None,
          full_refresh: bool = False, indirect_selection: str | None = None) -> dict[str, int]:
    """Run ``dbt build`` (models and their tests) against ``warehouse``.

    Args:
        warehouse: where the raw tables are and the models go.
        state_dir: folder for the profile, dbt's target (partial parse) and logs.
        variables: dbt vars, e.g. ``{"store_timezone": "America/New_York"}``.
        select: optional dbt selector.
        full_refresh: rebuild incremental models from scratch.
        indirect_selection: dbt's ``--indirect-selection`` for the tests of ``select``
            (``cautious``: only tests whose every parent is selected); default dbt's own.

    Returns:
        Counts of nodes by status (``success``, ``pass``, ...).

    Raises:
        TransformError: a model failed to build or a test failed, with the failing nodes named.
    """
    with warehouse.writing():  # dbt-duckdb opens the file itself, read-write
        return _build(warehouse, state_dir, variables, select, full_refresh, indirect_selection)


def _build(warehouse: Warehouse, state_dir: Path, variables: dict[str, Any], select: str | None,
           full_refresh: bool, indirect_selection: str | None = None) -> dict[str, int]:
    from dbt.cli.main import dbtRunner

    dbt_dir = state_dir / "dbt"
    profiles = write_profile(warehouse, dbt_dir)
    args = [
        "build",
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(profiles),
        "--target", warehouse.kind,
        "--target-path", str(dbt_dir / "target"),
        "--log-path", str(dbt_dir / "logs"),
        "--vars", json.dumps(variables),
        "--quiet",
        # No usage report to dbt Labs (Storeboard never calls out), and no require-dbt-version
        # check: the project is built only by the dbt installed with it.
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
    ]
    if select:
        args += ["--select", select]
    if indirect_selection:
        args += ["--indirect-selection", indirect_selection]
    if full_refresh:
        args.append("--full-refresh")
    try:
        with _password_for_dbt(warehouse):
            result = dbtRunner().invoke(args)
    finally:
        if warehouse.kind == "duckdb":
            _release_duckdb()
    counts: dict[str, int] = {}
    failures = []
    for node in getattr(result.result, "results", None) or []:
        status = str(node.status)
        counts[status] = counts.get(status, 0) + 1
        if status in ("error", "fail"):
            lines = [line.strip() for line in (node.message or status).strip().splitlines() if line.strip()]
            failures.append(f"{node.node.name}: {' '.join(lines[:3])}")
    if not result.success:
        if failures:
            raise TransformError("dbt build failed: " + "; ".join(failures[:5]))
        detail = str(result.exception) if result.exception else "see the dbt log in " + str(dbt_dir / "logs")
        raise TransformError(f"dbt build failed: {detail}")
    logger.info("dbt build: %s", ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return counts


def _release_duckdb() -> None:
    """Close dbt-duckdb's process-wide connection.

    dbt-duckdb keeps one DuckDB handle open for the life of the process; DuckDB then refuses any
    other connection to the same file with different settings (the web's read-only one, the run
    log's), so it is closed as soon as the build ends.
    """
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
    gc.collect()
