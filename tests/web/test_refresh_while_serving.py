"""On DuckDB the dashboards keep answering while a refresh writes in the same process."""

from __future__ import annotations

import threading

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
        client = TestClient(create_app(config), client=("127.0.0.1", 50000))  # a local visitor: no login needed
        statuses: list[int] = []
        with Warehouse.from_config(config).connect() as writer:  # a refresh holding a write connection
            writer.execute("create table if not exists storeboard_meta.busy (a int)")
            statuses.append(client.get("/revenue").status_code)
            statuses.append(client.get("/api/revenue").status_code)
            token = client.get("/sql").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            explorer = client.post("/api/sql", data={"sql": "select count(*) as n from analytics.rpt_revenue_daily"},
                                   headers={"x-csrf-token": token})
            statuses.append(explorer.status_code)
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
