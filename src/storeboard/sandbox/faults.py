"""Faults on demand: the sandbox misbehaves the way real APIs do, over a real socket.

Transport faults are applied to any API by the middleware in ``server.py``:
``429`` (with Retry-After), ``500``/``502``/``503``, ``slow`` (delay, then the normal answer),
``drop`` (the connection closes mid-body) and ``expired_token`` (the API's own 401). Data faults
are applied by each API imitation where it builds a list: ``malformed`` (a record loses its id
or gets a field of the wrong type), ``duplicate`` (a record appears twice) and ``out_of_order``;
``stream_error`` ends a Google Ads searchStream with an error after its first batch.

Set them with ``POST /_sandbox/faults`` (``{"api": "stripe", "kind": "429", "count": 2}``), clear
them with ``DELETE /_sandbox/faults``, or call ``FaultPlan.add`` in tests.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

TRANSPORT = {"429", "500", "502", "503", "slow", "drop", "expired_token"}
DATA = {"malformed", "duplicate", "out_of_order"}
#: A Google Ads searchStream that answers 200, sends a first batch, then ends with an error
#: element instead of the remaining batches (Google Ads API: "Streaming" — errors arrive as an
#: element of the response array).
STREAM = {"stream_error"}
KINDS = TRANSPORT | DATA | STREAM


@dataclass
class Fault:
    """One fault.

    Args:
        api: ``shopify``, ``stripe``, ``meta``, ``google_ads``, ``hubspot`` or ``*`` for all.
        kind: one of ``KINDS``.
        count: requests (or lists) it affects before it is used up; -1 for until cleared.
        retry_after: seconds sent in Retry-After with a 429.
        delay: seconds a ``slow`` response waits.
        path_contains: only requests whose path contains this text.
        after: matching requests (or lists) let through untouched before it fires: a fault in
            the middle of a long read.
    """

    api: str
    kind: str
    count: int = 1
    retry_after: float = 1.0
    delay: float = 2.0
    path_contains: str | None = None
    after: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(KINDS)}")


class FaultPlan:
    """The faults waiting to happen; thread-safe, each use decrements its count."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        #: how many times each (api, kind) fired, for tests
        self.fired: dict[tuple[str, str], int] = {}

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def take(self, api: str, kinds: set[str], path: str = "") -> Fault | None:
        """The first matching fault, used once; None when nothing applies."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.api in (api, "*") and (not fault.path_contains or fault.path_contains in path):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    if fault.count > 0:
                        fault.count -= 1
                        if fault.count == 0:
                            self._faults.remove(fault)
                    self.fired[(api, fault.kind)] = self.fired.get((api, fault.kind), 0) + 1
                    return fault
        return None
