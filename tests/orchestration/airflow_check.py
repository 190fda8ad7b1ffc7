"""Run by scripts/airflow-check inside the Airflow virtual environment (not collected by pytest):
both DAGs of ``storeboard.orchestration.airflow`` end to end with ``dag.test()``, against the
sandbox over HTTP, a local Slack receiver and an SMTP server on loopback.

Usage: airflow_check.py FOLDER   (the store's config, drop folder and DuckDB file go there)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

from storeboard.demo import write_sandbox_config
from storeboard.sandbox import GeneratorSettings, SandboxServer, StoreGenerator
from storeboard.sandbox.server import free_port
from storeboard.sandbox.shopify import CostBucket

AS_OF = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(envelope.content)
        return "250 OK"


def slack_receiver(messages: list) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            messages.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def postgres_database() -> str | None:
    base = os.environ.get("STOREBOARD_TEST_POSTGRES_URL")
    if not base:
        return None
    import psycopg

    name = f"airflow_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    return f"{base.rsplit('/', 1)[0]}/{name}"


def main(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    store = StoreGenerator(GeneratorSettings(seed=7, as_of=AS_OF, days=45, orders=400)).generate()
    slack_messages: list = []
    slack = slack_receiver(slack_messages)
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    warehouse = postgres_database() or "duckdb:///storeboard.duckdb"
    with SandboxServer(store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0)) as sandbox:
        write_sandbox_config(folder, sandbox.url, overwrite_demo=True, store=store)
        config_file = folder / "storeboard.yml"
        text = config_file.read_text().replace("warehouse: duckdb:///storeboard.duckdb", f"warehouse: {warehouse}")
        config_file.write_text(text + f"""
metrics:
  report_date: 2026-11-20
alerts:
  slack_webhook_url: http://127.0.0.1:{slack.server_port}/services/T0/B0/check
  dashboard_url: https://board.example.com
email:
  smtp_host: 127.0.0.1
  smtp_port: {smtp_port}
  security: none
  from_address: storeboard@shop.example.com
  recipients: [owner@shop.example.com]
""")
        os.environ["STOREBOARD_CONFIG"] = str(config_file)

        started = time.monotonic()
        from storeboard.orchestration import airflow as dags

        refresh = dags.refresh_dag
        tasks = sorted(refresh.task_ids)
        print(f"airflow-check: DAGs imported in {time.monotonic() - started:.1f}s; storeboard_refresh tasks: {tasks}")
        assert {f"extract_{name}" for name in dags.CONFIG.enabled_sources()} <= set(tasks)
        assert refresh.get_task("transform").upstream_task_ids == {"start"} | {f"extract_{n}" for n in dags.CONFIG.enabled_sources()}

        started = time.monotonic()
        run = refresh.test()
        print(f"airflow-check: storeboard_refresh {run.state} in {time.monotonic() - started:.1f}s")
        assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state

        from storeboard.config import load_config
        from storeboard.warehouse import Warehouse

        config = load_config(config_file)
        with Warehouse.from_config(config).connect(read_only=True) as conn:
            runs = conn.query("select run_id, trigger, status from storeboard_meta.runs")
            steps = conn.query("select step, status from storeboard_meta.run_steps order by step")
            locks = conn.query("select * from storeboard_meta.locks")
            marts = conn.query("select count(*) as n from analytics.rpt_revenue_daily")[0]["n"]
        assert [(r["trigger"], r["status"]) for r in runs] == [("airflow", "ok")], runs
        assert {s["step"] for s in steps} == {f"extract:{n}" for n in config.enabled_sources()} | {"transform", "alerts"}
        assert all(s["status"] == "ok" for s in steps), steps
        assert locks == [] and marts > 0
        assert slack_messages, "alerts reached the Slack receiver"
        print(f"airflow-check: run log {len(steps)} steps ok, {marts} revenue days, {len(slack_messages)} alerts posted")

        started = time.monotonic()
        weekly = dags.weekly_report_dag.test(run_conf={"week_start": "2026-11-09"})
        again = dags.weekly_report_dag.test(run_conf={"week_start": "2026-11-09"})
        print(f"airflow-check: storeboard_weekly_report {weekly.state}, rerun {again.state} "
              f"in {time.monotonic() - started:.1f}s; {len(inbox.messages)} email(s) received")
        assert str(weekly.state).endswith("success") and str(again.state).endswith("success")
        assert len(inbox.messages) == 1, "sent once, the rerun is a no-op"
    smtp.stop()
    slack.shutdown()
    print("airflow-check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
