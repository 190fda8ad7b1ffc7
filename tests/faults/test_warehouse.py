"""The warehouse goes away under a run: PostgreSQL connections terminated mid-build
(``pg_terminate_backend``), and a DuckDB file that another process holds open."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psycopg
import pytest

from storeboard import pipeline
from storeboard.warehouse import Warehouse
from tests.faults import dump as marts
from tests.faults.harness import configure, leftover_relations, locks, run


def test_a_duckdb_file_held_by_another_process_is_a_clear_error(tmp_path, sandbox, reference):
    folder = tmp_path / "wh"
    config = reference.copy_to(folder)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
                               "time.sleep(600)", str(folder / "storeboard.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        result = run(folder, "run")
    finally:
        holder.kill()
        holder.wait()

    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 3, output  # skipped, not failed: nothing was touched
    assert "storeboard.duckdb" in output and f"PID {holder.pid}" in output, output
    assert marts.differences(reference.dump, marts.dump(Warehouse.from_config(config))) == []
    assert locks(config) == []
    print(f"FAULT duckdb-locked: {output[-400:]}")


def _dbt_swapping(admin_url: str, database: str) -> bool:
    """True while dbt is building a table next to a mart (``…__dbt_tmp``)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("select query from pg_stat_activity where datname = %s and state = 'active' "
                            "and query ilike %s", (database, "%analytics%__dbt_tmp%")).fetchall()
    return bool(rows)


def _terminate_all(admin_url: str, database: str) -> int:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s "
                            "and pid <> pg_backend_pid()", (database,)).fetchall()
    return len(rows)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.serial  # it times a kill against a build: run alone, after the parallel part (make test)
def test_postgres_connections_dropped_during_dbt_build(tmp_path, sandbox, fault_generator, postgres_url,
                                                       postgres_server):
    config = configure(tmp_path, sandbox.url, fault_generator.store, warehouse=postgres_url)
    warehouse = Warehouse.from_config(config)
    database = warehouse.pg_params()["dbname"]
    assert pipeline.run(config).ok
    reference = marts.dump(warehouse)  # this database's own fault-free run

    reports: list = []
    refresh = threading.Thread(target=lambda: reports.append(pipeline.run(config)))
    refresh.start()
    deadline = time.monotonic() + 600
    while not _dbt_swapping(postgres_server, database):
        assert refresh.is_alive() and time.monotonic() < deadline, "dbt never built a mart"
        time.sleep(0.05)
    # Terminate at once: dumping the marts first let dbt finish the small build before the kill.
    killed = _terminate_all(postgres_server, database)
    # Readable while the killed build is rolled back (its swap never committed).
    during = marts.dump(warehouse)
    refresh.join(timeout=600)

    report = reports[0]
    failed = {step.step: step.error for step in report.steps if step.status != "ok"}
    assert list(failed) == ["transform"] and killed >= 1, failed
    assert "terminat" in failed["transform"] and (warehouse.pg_params()["password"] or "\0") not in failed["transform"]
    assert marts.differences(reference, during) == []
    assert marts.differences(reference, marts.dump(warehouse)) == []  # the interrupted swap rolled back
    print(f"FAULT pg-terminate: {killed} backends; left behind {leftover_relations(config)}; {failed['transform'][:300]}")

    assert pipeline.run(config).ok
    assert marts.differences(reference, marts.dump(warehouse)) == [] and leftover_relations(config) == []
