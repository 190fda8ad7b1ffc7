"""Connector wall time against the floor the API's rate limit allows.

Each connector loads a generated store from the sandbox with realistic limits switched on
(Shopify: a cost bucket of 2,000 points refilled at ``--restore-rate`` points/s, paging without
the bulk backfill; Stripe: 100 requests/s per key and 25/s per endpoint; HubSpot: 5 searches/s and 190 other requests
per ten seconds), into DuckDB. The sandbox runs in a process of its own, as a real API would: its
CPU is not the connector's. The floor is the least time the limit allows for the requests the
connector actually made; the ratio is wall time ÷ floor (target ≤ 1.3). Prints a Markdown table.

    python -m benchmarks.connectors --orders 20000 --restore-rate 1000
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import dlt

from storeboard import pipeline
from storeboard.bench import CONNECTOR_ORDERS, SHOPIFY_RESTORE_RATE
from storeboard.sandbox import GeneratorSettings, SandboxServer, StoreGenerator
from storeboard.sandbox.shopify import CostBucket
from tests.conftest import make_config


class CountingMiddleware:
    """Counts requests per path prefix."""

    def __init__(self, app, counts: Counter):
        self.app, self.counts = app, counts

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            key = "hubspot_search" if path.endswith("/search") else path.split("/")[1]
            self.counts[key] += 1
            if key == "v1":  # Stripe also limits each endpoint: a list, or one object by id
                parts = path.split("/")
                self.counts["stripe " + "/".join(parts[:3]) + ("/{id}" if len(parts) > 3 else "")] += 1
        await self.app(scope, receive, send)


def window_floor(requests: int, limit: int, window: float) -> float:
    """Least seconds ``requests`` calls take when at most ``limit`` fit in any ``window`` seconds."""
    return (max(requests - 1, 0) // limit) * window


def _generator(orders: int) -> StoreGenerator:
    return StoreGenerator(GeneratorSettings(seed=42, as_of=datetime(2026, 11, 20, tzinfo=UTC), days=365, orders=orders))


def _serve(conn, orders: int, restore_rate: float) -> None:
    """The sandbox's process: serve the store; answer ``reset`` and ``counts`` over the pipe."""
    generator = _generator(orders)
    counts: Counter = Counter()
    server = SandboxServer(generator.generate(), shopify_bucket=CostBucket(2000.0, restore_rate), generator=generator)
    server.app.add_middleware(CountingMiddleware, counts=counts)
    with server:
        conn.send(server.url)
        while True:
            try:
                command = conn.recv()
            except EOFError:
                return
            if command == "reset":
                counts.clear()
                server.shopify.points_spent = 0
                conn.send(None)
            elif command == "counts":
                conn.send({**counts, "shopify_points": server.shopify.points_spent})
            else:
                return


def measure(orders: int, restore_rate: float, only: list[str] | None = None) -> list[dict]:
    store = _generator(orders).generate()  # the same store, for the CSV drop and the config
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    sandbox = context.Process(target=_serve, args=(child, orders, restore_rate), name="bench-sandbox", daemon=True)
    sandbox.start()
    child.close()
    floors = {
        "shopify": lambda c: max(0.0, c.get("shopify_points", 0) - 2000.0) / restore_rate,
        # 100 requests/s for the account and 25/s for any one endpoint.
        "stripe": lambda c: max([c.get("v1", 0) / 100.0] + [n / 25.0 for k, n in c.items() if k.startswith("stripe ")]),
        # Search (5/s) and the other CRM calls (190 per rolling ten seconds) are separate
        # budgets: the backfill lists, increments search.
        "hubspot": lambda c: max(c.get("hubspot_search", 0) / 5.0, window_floor(c.get("crm", 0), 190, 10.0)),
    }
    rows = []
    try:
        url = conn.recv()
        for name, floor_of in floors.items():
            if only and name not in only:
                continue
            folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
            config = make_config(folder, "duckdb:///bench.duckdb", url, store=store)
            if name == "shopify":
                config.sources.shopify.bulk_backfill = False  # the paged path is the rate-limited one
            conn.send("reset")
            conn.recv()
            started = time.monotonic()
            rows_loaded = pipeline.extract_load(config, name)
            wall = time.monotonic() - started
            conn.send("counts")
            counts = conn.recv()
            trace = dlt.pipeline(pipeline_name=f"storeboard_{name}", pipelines_dir=str(config.state_dir / "pipelines")).last_trace
            steps = {s.step: round((s.finished_at - s.started_at).total_seconds(), 2) for s in trace.steps if s.step != "run"}
            rows.append({"connector": name, "records": rows_loaded, "wall": wall, "floor": floor_of(counts),
                         "requests": {k: v for k, v in counts.items() if v}, "steps": steps})
    finally:
        conn.send("stop")
        sandbox.join(10)
        if sandbox.is_alive():
            sandbox.terminate()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=CONNECTOR_ORDERS)
    parser.add_argument("--restore-rate", type=float, default=SHOPIFY_RESTORE_RATE)
    parser.add_argument("--only", nargs="*", help="connectors to measure (default: all)")
    args = parser.parse_args()
    rows = measure(args.orders, args.restore_rate, args.only)
    print(f"Connector wall time vs rate-limit floor — {args.orders:,} orders, DuckDB, "
          f"{platform.machine()} {platform.python_version()}, Shopify restore {args.restore_rate:.0f} points/s\n")
    print("| connector | records | wall time (s) | rate-limit floor (s) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['wall'] / r['floor']:.2f}" if r["floor"] >= 1 else "n/a (floor < 1 s)"
        print(f"| {r['connector']} | {r['records']:,} | {r['wall']:.1f} | {r['floor']:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
