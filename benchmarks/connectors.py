"""Connector wall time against the floor the API's rate limit allows.

Each connector loads a generated store from the sandbox with realistic limits switched on
(Shopify: a cost bucket of 2,000 points refilled at ``--restore-rate`` points/s, paging without
the bulk backfill; Stripe: 100 requests/s per key; HubSpot: 5 searches/s and 190 other requests
per ten seconds), into DuckDB. The floor
is the least time the limit allows for the requests the connector actually made; the ratio is
wall time ÷ floor (target ≤ 1.3). Prints a Markdown table.

    python -m benchmarks.connectors --orders 5000
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from storeboard import pipeline
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
        await self.app(scope, receive, send)


def window_floor(requests: int, limit: int, window: float) -> float:
    """Least seconds ``requests`` calls take when at most ``limit`` fit in any ``window`` seconds."""
    return (max(requests - 1, 0) // limit) * window


def measure(orders: int, restore_rate: float) -> list[dict]:
    generator = StoreGenerator(GeneratorSettings(seed=42, as_of=datetime(2026, 11, 20, tzinfo=UTC), days=365, orders=orders))
    store = generator.generate()
    rows = []
    counts: Counter = Counter()
    server = SandboxServer(store, shopify_bucket=CostBucket(2000.0, restore_rate), generator=generator)
    server.app.add_middleware(CountingMiddleware, counts=counts)
    with server:
        floors = {
            "shopify": lambda: max(0.0, server.shopify.points_spent - 2000.0) / restore_rate,
            "stripe": lambda: counts["v1"] / 100.0,
            # Search (5/s) and the other CRM calls (190 per rolling ten seconds) are separate
            # budgets: the backfill lists, increments search.
            "hubspot": lambda: max(counts["hubspot_search"] / 5.0, window_floor(counts["crm"], 190, 10.0)),
        }
        for name, floor_of in floors.items():
            folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
            config = make_config(folder, "duckdb:///bench.duckdb", server.url, store=store)
            if name == "shopify":
                config.sources.shopify.bulk_backfill = False  # the paged path is the rate-limited one
            counts.clear()
            server.shopify.points_spent = 0
            started = time.monotonic()
            rows_loaded = pipeline.extract_load(config, name)
            wall = time.monotonic() - started
            rows.append({"connector": name, "records": rows_loaded, "wall": wall, "floor": floor_of()})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--restore-rate", type=float, default=500.0)
    args = parser.parse_args()
    rows = measure(args.orders, args.restore_rate)
    print(f"Connector wall time vs rate-limit floor — {args.orders:,} orders, DuckDB, "
          f"{platform.machine()} {platform.python_version()}, Shopify restore {args.restore_rate:.0f} points/s\n")
    print("| connector | records | wall time (s) | rate-limit floor (s) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['wall'] / r['floor']:.2f}" if r["floor"] >= 1 else "n/a (floor < 1 s)"
        print(f"| {r['connector']} | {r['records']:,} | {r['wall']:.1f} | {r['floor']:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
