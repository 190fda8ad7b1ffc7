"""How long the synthetic store takes to generate, and how much memory it needs, at a given scale.

Two modes: ``keep`` builds the whole store in memory, as ``storeboard sandbox`` does before it
serves it; ``stream`` walks the same history a day at a time (``StoreGenerator.iter_orders``)
and keeps nothing but the customers, as a consumer that writes orders out would. Prints one
Markdown table row per run; peak RSS is the process's maximum resident set, so run one scale
per process (the default) for clean numbers. CPU seconds are shown beside wall seconds because
on a shared machine the wall clock also counts other processes' turns.

    python -m benchmarks.generate --scale 1000000
    python -m benchmarks.generate --scale 1000000 --mode stream
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, datetime

from storeboard.sandbox.generate import GeneratorSettings, StoreGenerator, history_days_for

#: A fixed end of history, so runs on different days generate the same store.
AS_OF = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
HEADER = ("| mode | orders | order lines | customers | days | wall s | CPU s | peak RSS MB |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|")


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure(scale: int, mode: str = "keep", seed: int = 42, days: int | None = None) -> dict:
    """Generate ``scale`` orders (approximately) and return the counts, times and peak RSS."""
    settings = GeneratorSettings(seed=seed, as_of=AS_OF, orders=scale, days=days or history_days_for(scale))
    generator = StoreGenerator(settings)
    wall, cpu = time.monotonic(), time.process_time()
    if mode == "keep":
        store = generator.generate()
        orders, lines = len(store.orders), sum(len(o.lines) for o in store.orders)
    else:
        orders = lines = 0
        for order in generator.iter_orders():
            orders += 1
            lines += len(order.lines)
    return {
        "mode": mode, "orders": orders, "lines": lines, "customers": len(generator.store.customers),
        "days": settings.days, "seconds": time.monotonic() - wall, "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": peak_rss_mb(),
    }


def row(result: dict) -> str:
    """One Markdown table row for ``result``."""
    return (f"| {result['mode']} | {result['orders']:,} | {result['lines']:,} | {result['customers']:,} | "
            f"{result['days']} | {result['seconds']:.1f} | {result['cpu_seconds']:.1f} | {result['peak_rss_mb']:.0f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=60_000, help="approximate number of orders")
    parser.add_argument("--mode", choices=["keep", "stream"], default="keep")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=None, help="days of history (default: by scale)")
    parser.add_argument("--no-header", action="store_true", help="print the row only")
    args = parser.parse_args(argv)
    result = measure(args.scale, args.mode, args.seed, args.days)
    if not args.no_header:
        print(HEADER)
    print(row(result), flush=True)


if __name__ == "__main__":
    main()
