"""Read one Stripe list with several requests in flight.

Stripe pages a list newest first with a ``starting_after`` cursor, so one cursor means one
request at a time: at a few hundred milliseconds per page that is far below the 25 requests/s
Stripe allows per endpoint. Here the ``created`` range is split while it is read:

1. The first page of the whole range ends at some ``created`` T; everything not yet read lies
   in ``[since, T]``.
2. While fewer than ``concurrency`` requests are under way, a remaining range is cut in two
   parts that are read independently (the newer one about four pages long at the density just
   seen); otherwise it is continued with ``starting_after``.

A part that turns out empty costs one request. The part ending at a cut's second skips the objects
of that second the page before it already returned, so every object is yielded once without the
caller remembering millions of ids. Pages arrive in no particular order; memory is bounded by a
small queue.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from storeboard.sources.stripe.helpers import StripeClient


@dataclass(frozen=True)
class _Range:
    """Objects created in ``[low, high]`` (``high`` None: no upper bound), after ``starting_after``,
    except ``read_at_high``: the ids created at ``high`` that an earlier page already returned."""

    low: int
    high: int | None = None
    starting_after: str | None = None
    read_at_high: frozenset[str] = frozenset()


_DONE = object()
#: pages' worth of ``created`` range split off next to the one just read
NEAR_PAGES = 4
#: pages each reader thread may have waiting for the consumer (about 100 kB each): enough that
#: a consumer busy with another list's batch does not stall the readers' share of the limit
PAGES_AHEAD = 8


def iter_pages_concurrently(client: StripeClient, kind: str, created_gte: int, concurrency: int) -> Iterator[list[dict[str, Any]]]:
    """Yield every page of ``/v1/<kind>`` created at or after ``created_gte``, ``concurrency`` requests at a time.

    Raises whatever the client raises (the first error stops the other requests).
    """
    if concurrency <= 1:
        yield from client.iter_pages(kind, created_gte)
        return
    reader = _ConcurrentReader(client, kind, concurrency)
    try:
        yield from reader.run(created_gte)
    finally:
        reader.stop.set()


class _ConcurrentReader:
    def __init__(self, client: StripeClient, kind: str, concurrency: int):
        self.client, self.kind, self.concurrency = client, kind, concurrency
        self.ranges: queue.Queue[_Range] = queue.Queue()
        self.pages: queue.Queue[Any] = queue.Queue(maxsize=PAGES_AHEAD * concurrency)
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._open = 0  # ranges queued or being read

    def run(self, created_gte: int) -> Iterator[list[dict[str, Any]]]:
        self._add(_Range(created_gte))
        for number in range(self.concurrency):
            threading.Thread(target=self._work, name=f"stripe-{self.kind}-{number}", daemon=True).start()
        while True:
            item = self.pages.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _add(self, part: _Range) -> None:
        with self._lock:
            self._open += 1
        self.ranges.put(part)

    def _finish(self) -> None:
        with self._lock:
            self._open -= 1
            done = self._open == 0
        if done:
            self._put(_DONE)
            self.stop.set()

    def _put(self, item: Any) -> None:
        while not self.stop.is_set():
            try:
                self.pages.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _work(self) -> None:
        while not self.stop.is_set():
            try:
                part = self.ranges.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                for follow_up in self._read(part):
                    self._add(follow_up)
            except BaseException as exc:  # handed to the consumer, which raises it
                self._put(exc)
                self.stop.set()
                return
            self._finish()

    def _read(self, part: _Range) -> list[_Range]:
        """Read one page of ``part``; return the ranges still to read."""
        data, has_more = self.client.list_page(self.kind, part.low, part.high, part.starting_after)
        fresh = [o for o in data if not (isinstance(o, dict) and o.get("id") in part.read_at_high)] \
            if part.read_at_high else data
        if fresh:
            self._put(fresh)
        if not has_more or not data:
            return []
        objects = [o for o in reversed(data) if isinstance(o, dict)]
        last_id = next((o["id"] for o in objects if isinstance(o.get("id"), str)), None)
        # Newest first: nothing left to read is newer than the oldest readable ``created`` here.
        stamps = [o["created"] for o in objects if isinstance(o.get("created"), int) and not isinstance(o.get("created"), bool)]
        with self._lock:
            idle = self._open < self.concurrency
        if idle and stamps and stamps[0] > part.low:
            oldest, span = stamps[0], max(stamps) - stamps[0]
            # About NEAR_PAGES more pages at this page's density, then the rest: the start date is
            # often years before the first object, and a range cut in the middle of that emptiness
            # would cost an empty request for each halving.
            cut = oldest - (span + 1) * NEAR_PAGES
            if cut <= part.low:
                cut = (part.low + oldest) // 2
            # [cut + 1, oldest] starts again at ``oldest``: skip what this page read of that second
            read = frozenset(o["id"] for o in objects if o.get("created") == oldest and isinstance(o.get("id"), str))
            if oldest == part.high:
                read |= part.read_at_high
            return [_Range(part.low, cut), _Range(cut + 1, oldest, read_at_high=read)]
        if isinstance(last_id, str):
            return [_Range(part.low, part.high, last_id, part.read_at_high)]
        return []  # an unreadable last object: stop here, as the sequential reader does
