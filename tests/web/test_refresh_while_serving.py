"""On DuckDB the dashboards keep answering while a refresh writes in the same process, and the SQL
explorer says it is refreshing instead of running on the writer's instance."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from storeboard import pipeline
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.shopify import CostBucket
from storeboard.warehouse import Warehouse
from storeboard.web.app import create_app
from tests.conftest import make_config, make_generator


def test_pages_answer_during_an_in_process_refresh(tmp_path):
    generator = make_generator(orders=200, days=30)
    with SandboxServer(generator.store, shopify_bucket=CostBucket(1e9, 1e9)) as server:
        config = make_config(tmp_path, "duckdb:///storeboard.duckdb", server.url, store=generator.store)
        assert pipeline.run(config, sources=["shopify"]).ok
        # a local visitor: no login needed
        client = TestClient(create_app(config), client=("127.0.0.1", 50000), base_url="http://localhost")
        statuses: list[int] = []
        with Warehouse.from_config(config).connect() as writer:  # a refresh holding a write connection
            writer.execute("create table if not exists storeboard_meta.busy (a int)")
            statuses.append(client.get("/revenue").status_code)
            statuses.append(client.get("/api/revenue").status_code)
            token = client.get("/sql").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            explorer = client.post("/api/sql", data={"sql": "select count(*) as n from analytics.rpt_revenue_daily"},
                                   headers={"x-csrf-token": token})
            # never on the writer's instance (external access is on there): it says to come back
            assert explorer.status_code == 503 and explorer.json()["refreshing"] is True, explorer.text
            done = threading.Event()
            result: list = []

            def refresh():
                result.append(pipeline.run(config, sources=["shopify"]))
                done.set()

            thread = threading.Thread(target=refresh)
            thread.start()
            while not done.is_set():
                statuses.append(client.get("/api/revenue").status_code)
            thread.join()
        assert result[0].ok, result[0].errors
        assert set(statuses) == {200}, statuses
        after = client.post("/api/sql", data={"sql": "select count(*) as n from analytics.rpt_revenue_daily"},
                            headers={"x-csrf-token": token})
        assert after.status_code == 200 and after.json()["rows"][0][0] > 0


def test_the_explorer_never_blocks_a_writer_and_cannot_read_files(tmp_path):
    import duckdb
    import pytest

    from storeboard.warehouse import WarehouseBusy
    from storeboard.web import queries

    (tmp_path / ".env").write_text("SHOPIFY_ACCESS_TOKEN=shpat_canary\n")
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with warehouse.connect() as conn:
        conn.execute("create schema analytics")
        conn.execute("create table analytics.fct_orders as select range as order_id from range(3000)")
    outcome: list = []

    def explore():
        with warehouse.connect(read_only=True, explorer=True) as conn:
            # the second wall: even a statement the guard would refuse reads no file
            with pytest.raises(duckdb.PermissionException):
                conn.raw.execute(f"select * from read_text('{tmp_path / '.env'}')").fetchall()
            started.set()
            try:
                outcome.append(queries.run_explorer_query(
                    conn, "select count(*) from analytics.fct_orders a, analytics.fct_orders b, "
                          "analytics.fct_orders c", 10, 60))
            except WarehouseBusy as exc:
                outcome.append(exc)

    started = threading.Event()
    thread = threading.Thread(target=explore)
    thread.start()
    assert started.wait(10)
    time.sleep(0.3)  # the long query is running
    began = time.monotonic()
    with warehouse.connect() as writer:  # a refresh's write: interrupts the explorer, does not wait for it
        writer.execute("create table analytics.more as select 1 as a")
    assert time.monotonic() - began < 5
    thread.join(10)
    assert isinstance(outcome[0], WarehouseBusy) and "try again" in str(outcome[0])
    with warehouse.connect(read_only=True, explorer=True) as conn:
        assert queries.run_explorer_query(conn, "select count(*) as n from analytics.more", 10, 5)["rows"] == [[1]]


def test_many_explorer_queries_and_writers_take_turns_without_errors(tmp_path):
    """Explorer connections opening and closing while writers come: no writer fails and the
    explorer only ever answers or says it is refreshing (a writer once met a connection closed
    a moment before and failed on interrupting it, leaving the explorer refreshing for good)."""
    from storeboard.warehouse import WarehouseBusy
    from storeboard.web import queries

    warehouse = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with warehouse.connect() as conn:
        conn.execute("create schema analytics")
        conn.execute("create table analytics.t as select range as n from range(1000)")
    stop = threading.Event()
    outcomes: list = []

    def explore():
        while not stop.is_set():
            try:
                with warehouse.connect(read_only=True, explorer=True, wait_seconds=0.2) as conn:
                    outcomes.append(queries.run_explorer_query(conn, "select sum(n) as s from analytics.t", 10, 5)
                                    ["rows"][0][0])
            except WarehouseBusy:
                outcomes.append("refreshing")

    threads = [threading.Thread(target=explore) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for i in range(40):
            with warehouse.connect() as writer:
                writer.execute(f"insert into analytics.t values ({1000 + i})")
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert set(outcomes) - {"refreshing"} <= {sum(range(1000)) + sum(1000 + k for k in range(i)) for i in range(41)}
    with warehouse.connect(read_only=True, explorer=True) as conn:  # nothing is left announced as writing
        assert queries.run_explorer_query(conn, "select count(*) from analytics.t", 10, 5)["rows"] == [[1040]]
