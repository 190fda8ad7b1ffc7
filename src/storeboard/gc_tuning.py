"""Fewer passes of Python's cyclic garbage collector during data-heavy work.

Loading a store allocates millions of short-lived dicts and lists (decoded API records, rendered
sandbox objects). With CPython's default thresholds (a collection every 700 allocations) the
collector ran thousands of times in one refresh, each pass walking ever more long-lived objects:
11.9 s of a 39 s Shopify load at 60,000 orders. Reference counting frees those records anyway;
with higher thresholds the collector still runs, now and then, for the rare cycles.
"""

from __future__ import annotations

import gc

#: (allocations between young collections, young collections per middle one, middle per old one)
THRESHOLDS = (100_000, 50, 100)


def collect_less() -> None:
    """Raise this process's collector thresholds to ``THRESHOLDS`` (idempotent)."""
    gc.set_threshold(*THRESHOLDS)
