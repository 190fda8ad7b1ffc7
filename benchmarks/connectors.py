"""Connector wall time against the floor the API's rate limit allows.

Each connector loads a generated store from the sandbox with realistic limits switched on, into
DuckDB: Shopify with the cost bucket of a shop on a plan (Standard restores 100 points/s, Plus
1,000, each bucket 20 s of restore), paging without the bulk backfill, then an incremental refresh
after a share of the orders changed; Stripe 100 requests/s per key and 25/s per endpoint; HubSpot 5
searches/s and 190 other requests per ten seconds. The sandbox runs in a process of its own, as a
real API would: its CPU is not the connector's. The floor is the least time the limit allows for
the requests the connector actually made; the ratio is wall time ÷ floor. Shopify's bulk backfill
is timed on its own (it is not rate limited). Prints a ``BENCH-JSON`` line; ``storeboard bench`` runs all three and
writes the tables.

    python -m benchmarks.connectors limits --orders 20000
    python -m benchmarks.connectors shopify --plan standard --orders 3000
    python -m benchmarks.connectors bulk --orders 250000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import dlt
import httpx

from storeboard import pipeline
from storeboard.bench import CONNECTOR_ORDERS, SHOPIFY_CHANGED_SHARE
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


def cost_floor(costs: list[tuple[int, int]], size: float, rate: float) -> float:
    """Least seconds Shopify's bucket allows for queries of these (requested, actual) costs, sent
    back to back from a full bucket: a query runs only once the bucket holds its requested cost,
    which is taken up front, and the difference to the actual cost is refunded when it finishes
    ("GraphQL Admin API rate limits", shopify.dev/docs/api/usage/limits). Requests take no time
    here, so refill happens only while waiting."""
    seconds, available = 0.0, size
    for requested, actual in costs:
        if available < requested:
            seconds += (requested - available) / rate
            available = requested
        available -= actual
    return seconds


def _generator(orders: int) -> StoreGenerator:
    return StoreGenerator(GeneratorSettings(seed=42, as_of=datetime(2026, 11, 20, tzinfo=UTC), days=365, orders=orders))


def _serve(conn, orders: int, bucket_size: float, restore_rate: float) -> None:
    """The sandbox's process: serve the store; answer ``reset`` and ``counts`` over the pipe.

    ``reset`` also fills the cost bucket, so each measured run starts as a shop that has been idle
    for the bucket's 20 s, which is what the floor assumes."""
    generator = _generator(orders)
    counts: Counter = Counter()
    server = SandboxServer(generator.generate(), shopify_bucket=CostBucket(bucket_size, restore_rate),
                           generator=generator)
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
                server.shopify.costs.clear()
                server.shopify.bucket.refund(bucket_size)
                conn.send(None)
            elif command == "counts":
                conn.send({**counts, "shopify_points": server.shopify.points_spent, "shopify_costs": server.shopify.costs})
            else:
                return


def _start_sandbox(orders: int, bucket: CostBucket):
    """The sandbox in a spawned process; returns (process, pipe, url)."""
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    sandbox = context.Process(target=_serve, args=(child, orders, bucket.size, bucket.restore_rate),
                              name="bench-sandbox", daemon=True)
    sandbox.start()
    child.close()
    return sandbox, conn, conn.recv()


def _stop_sandbox(sandbox, conn) -> None:
    conn.send("stop")
    sandbox.join(10)
    if sandbox.is_alive():
        sandbox.terminate()


def _extract(config, name: str, conn) -> dict:
    """One measured ``extract_load`` of source ``name``, from a full bucket and zeroed counts."""
    conn.send("reset")
    conn.recv()
    started = time.monotonic()
    rows_loaded = pipeline.extract_load(config, name)
    wall = time.monotonic() - started
    conn.send("counts")
    counts = conn.recv()
    trace = dlt.pipeline(pipeline_name=f"storeboard_{name}", pipelines_dir=str(config.state_dir / "pipelines")).last_trace
    steps = {s.step: round((s.finished_at - s.started_at).total_seconds(), 2) for s in trace.steps if s.step != "run"}
    return {"records": rows_loaded, "wall": wall, "counts": counts, "steps": steps}


def measure(orders: int, only: list[str] | None = None) -> list[dict]:
    """Stripe and HubSpot against their request limits (Shopify: ``measure_shopify``)."""
    store = _generator(orders).generate()  # the same store, for the CSV drop and the config
    sandbox, conn, url = _start_sandbox(orders, CostBucket.for_plan("plus"))
    floors = {
        # 100 requests/s for the account and 25/s for any one endpoint.
        "stripe": lambda c: max([c.get("v1", 0) / 100.0] + [n / 25.0 for k, n in c.items() if k.startswith("stripe ")]),
        # Search (5/s) and the other CRM calls (190 per rolling ten seconds) are separate
        # budgets: the backfill lists, increments search.
        "hubspot": lambda c: max(c.get("hubspot_search", 0) / 5.0, window_floor(c.get("crm", 0), 190, 10.0)),
    }
    rows = []
    try:
        for name, floor_of in floors.items():
            if only and name not in only:
                continue
            folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
            run = _extract(make_config(folder, "duckdb:///bench.duckdb", url, store=store), name, conn)
            counts = run.pop("counts")
            rows.append({"connector": name, **run, "floor": floor_of(counts),
                         "requests": {k: v for k, v in counts.items() if v}})
    finally:
        _stop_sandbox(sandbox, conn)
    return rows


def measure_shopify(orders: int, plan: str, changed_share: float = SHOPIFY_CHANGED_SHARE) -> list[dict]:
    """Shopify's paged backfill, then an incremental refresh after ``changed_share`` of the orders
    changed, against the cost bucket of a shop on ``plan``.

    Floor: ``cost_floor`` of the queries the connector made."""
    bucket = CostBucket.for_plan(plan)
    sandbox, conn, url = _start_sandbox(orders, bucket)
    rows = []
    try:
        config = make_config(Path(tempfile.mkdtemp(prefix=f"bench-shopify-{plan}-")), "duckdb:///bench.duckdb", url)
        config.sources.shopify.bulk_backfill = False  # the paged path is the one the cost limit binds
        runs = [("backfill", None)]
        total = max(2, round(orders * changed_share))
        cancels = (total - total // 2) // 3
        runs.append(("incremental", {"orders": total // 2, "refunds": total - total // 2 - cancels, "cancels": cancels,
                                      "seed": 42}))
        for kind, change in runs:
            if change is not None:
                httpx.post(f"{url}/_sandbox/advance", json=change, timeout=600).raise_for_status()
            run = _extract(config, "shopify", conn)
            counts = run.pop("counts")
            rows.append({"plan": plan, "orders": orders, "run": kind, **run, "points": counts.get("shopify_points", 0),
                         "queries": len(counts.get("shopify_costs", [])), "changed": change, "bucket": bucket.size,
                         "restore_rate": bucket.restore_rate,
                         "floor": cost_floor(counts.get("shopify_costs", []), bucket.size, bucket.restore_rate)})
    finally:
        _stop_sandbox(sandbox, conn)
    return rows


def measure_bulk(orders: int, plan: str = "plus") -> dict:
    """Shopify's first load through the bulk backfill (``bulkOperationRunQuery``, then the JSONL
    download) from a store of ``orders``: wall time and this process's peak memory.

    Only orders come in bulk; customers and variants are paged at ``plan``'s restore rate, so on
    a Standard shop a large store's customers take most of the time (about 3 points each)."""
    sandbox, conn, url = _start_sandbox(orders, CostBucket.for_plan(plan))
    try:
        config = make_config(Path(tempfile.mkdtemp(prefix="bench-shopify-bulk-")), "duckdb:///bench.duckdb", url)
        config.sources.shopify.bulk_backfill = True
        run = _extract(config, "shopify", conn)
        counts = run.pop("counts")
    finally:
        _stop_sandbox(sandbox, conn)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {"orders": orders, "plan": plan, **run, "points": counts.get("shopify_points", 0),
            "queries": len(counts.get("shopify_costs", [])), "peak_rss": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description="Connectors against their rate limits; prints JSON.")
    parser.add_argument("what", choices=["limits", "shopify", "bulk"],
                        help="limits: Stripe and HubSpot; shopify: paged backfill and increment on --plan; "
                             "bulk: Shopify's bulk backfill")
    parser.add_argument("--orders", type=int, default=CONNECTOR_ORDERS)
    parser.add_argument("--plan", default="standard", choices=["standard", "advanced", "plus", "enterprise"])
    parser.add_argument("--changed-share", type=float, default=SHOPIFY_CHANGED_SHARE)
    parser.add_argument("--only", nargs="*", help="limits: the connectors to measure (default: both)")
    args = parser.parse_args()
    if args.what == "limits":
        result = measure(args.orders, args.only)
    elif args.what == "shopify":
        result = measure_shopify(args.orders, args.plan, args.changed_share)
    else:
        result = measure_bulk(args.orders)
    # One marked line: dlt and the sandbox may print their own lines around it.
    print("BENCH-JSON " + json.dumps(result, default=str))


if __name__ == "__main__":
    main()
