"""SIGKILL ``storeboard run`` during extract, during load and during ``dbt build``: the previous
marts stay readable, the next ``storeboard run`` completes the job, and its marts equal the
fault-free reference run's byte for byte (DuckDB).

Builds on ``tests/test_kill_and_resume.py`` (which kills one source's extract at fixed times and
checks raw rows): here each kill waits for a hook that proves which phase it lands in, every
source runs, the rerun goes through the CLI and its refresh lock, and the whole of ``analytics``
is compared.
"""

from __future__ import annotations

import shutil
import time

from storeboard.sandbox.faults import Fault
from storeboard.warehouse import Warehouse
from tests.faults import dump as marts
from tests.faults.harness import (
    configure,
    dbt_models_started,
    kill,
    leftover_relations,
    locks,
    pending_packages,
    query,
    run,
    runs,
    start,
    wait_until,
)


def _dead_refresh_lock(config, pid: int) -> None:
    rows = locks(config)
    assert [r["name"] for r in rows] == ["refresh"] and f":{pid}:" in rows[0]["owner"], rows


def _recovers(folder, config, reference) -> None:
    """The next ``storeboard run`` takes over the dead lock, completes, and rebuilds the reference."""
    result = run(folder, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert marts.differences(reference.dump, marts.dump(Warehouse.from_config(config))) == []
    assert locks(config) == [] and pending_packages(folder) == {} and leftover_relations(config) == []
    dupes = query(config, "select id from raw_shopify.orders group by id having count(*) > 1")
    assert dupes == []


def test_killed_during_extract_then_during_load_the_next_run_completes(tmp_path, sandbox, fault_generator, reference):
    # Small pages, no bulk backfill and slow answers: Shopify's extract is mid-pagination for seconds.
    config = configure(tmp_path, sandbox.url, fault_generator.store, shopify={"page_size": 20, "bulk_backfill": False})
    sandbox.faults.add(Fault(api="shopify", kind="slow", count=-1, delay=0.2))
    slow = lambda: sandbox.faults.fired.get(("shopify", "slow"), 0)  # noqa: E731
    before = slow()

    extract = start(tmp_path, "run", log="killed-extract")
    wait_until(extract, lambda: slow() - before >= 6, "six Shopify pages")
    kill(extract)
    sandbox.faults.clear()

    _dead_refresh_lock(config, extract.pid)
    assert [r["status"] for r in runs(config)] == ["running"]  # the killed run is never closed
    assert query(config, "select count(*) as n from information_schema.tables where table_schema = 'analytics'")[0]["n"] == 0
    print(f"FAULT kill-extract: pending {pending_packages(tmp_path)}; raw schemas "
          f"{[r['s'] for r in query(config, 'select distinct table_schema as s from information_schema.tables order by 1')]}")
    # Second attempt, killed while dlt loads one of its own packages (load ids are start times).
    started_at = time.time()
    load = start(tmp_path, "run", log="killed-load")

    def loading():
        return {name: packages for name, packages in pending_packages(tmp_path).items()
                if any(p.startswith("normalized/") and float(p.split("/")[1]) > started_at for p in packages)}

    being_loaded = wait_until(load, loading, "a dlt load package being loaded")
    kill(load)
    _dead_refresh_lock(config, load.pid)
    still_pending = pending_packages(tmp_path)
    assert any(set(p) & set(still_pending.get(name, [])) for name, p in being_loaded.items()), (being_loaded, still_pending)
    assert [r["status"] for r in runs(config)] == ["running", "running"]
    print(f"FAULT kill-load: being loaded {being_loaded}; still pending {still_pending}")

    _recovers(tmp_path, config, reference)
    assert [r["status"] for r in runs(config)][-1] == "ok"


def test_killed_during_dbt_build_previous_marts_stay_readable(tmp_path, sandbox, reference):
    folder = tmp_path / "wh"
    config = reference.copy_to(folder)
    shutil.rmtree(folder / ".storeboard" / "dbt" / "target" / "run", ignore_errors=True)

    build = start(folder, "run", log="killed-dbt")
    started = wait_until(build, lambda: (lambda m: m if len(m) >= 4 else None)(dbt_models_started(folder, "marts")),
                         "dbt building the marts")
    kill(build)

    _dead_refresh_lock(config, build.pid)
    # Every mart is there and holds the last good data (the sandbox has nothing new), whether the
    # killed build had swapped it in already or not: each table swap commits in one transaction.
    assert started and marts.differences(reference.dump, marts.dump(Warehouse.from_config(config))) == []
    assert [r["status"] for r in runs(config)][-1] == "running"
    print(f"FAULT kill-dbt: marts started {started}; left behind {leftover_relations(config)}")

    _recovers(folder, config, reference)
