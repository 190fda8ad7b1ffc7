"""Client-side pacing: start at most N requests in any window (a second for Stripe, ten for
HubSpot), so a connector runs at an API's rate limit instead of bouncing off it with 429s and
back-off sleeps.

Thread-safe: several fetch threads share one pacer. Windows are slightly longer than the API's
(``margin``) because the API counts arrivals, and a request that left late arrives early
relative to the next one.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable


class Pacer:
    """At most ``limit`` request starts per key in any sliding window of ``window`` seconds.

    Args:
        limit: requests per window; None or 0 disables pacing.
        window: the API's window in seconds.
        margin: the window is ``window * (1 + margin)`` seconds long.
    """

    def __init__(self, limit: float | None, window: float = 1.0, margin: float = 0.05,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.limit = max(1, int(limit)) if limit else 0
        self.span = window * (1.0 + margin)
        self._clock, self._sleep = clock, sleep
        self._starts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str = "") -> float:
        """Block until one more request for ``key`` fits in the window, record it; returns seconds waited."""
        if not self.limit:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                starts = self._starts.setdefault(key, deque())
                while starts and starts[0] <= now - self.span:
                    starts.popleft()
                if len(starts) < self.limit:
                    starts.append(now)
                    return waited
                delay = starts[0] + self.span - now
            self._sleep(delay)
            waited += delay
