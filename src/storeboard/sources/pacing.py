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
from collections.abc import Callable


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

    def wait(self, key: str = "") -> float:
        """Block until one more request for ``key`` fits in the window, record it; returns seconds waited."""
        return wait_for_all((self, key))

    def _delay(self, key: str, now: float) -> float:
        """Seconds until one more start for ``key`` fits (0: now). Call with ``_LOCK`` held."""
        if not self.limit:
            return 0.0
        starts = self._starts.setdefault(key, deque())
        while starts and starts[0] <= now - self.span:
            starts.popleft()
        return 0.0 if len(starts) < self.limit else starts[0] + self.span - now


# One lock for every pacer: a request under two limits (Stripe's account and endpoint) takes its
# slot in both at the same instant, and checking a few deques is far quicker than any request.
_LOCK = threading.Lock()


def wait_for_all(*slots: tuple[Pacer, str]) -> float:
    """Block until each ``(pacer, key)`` has room, then record one start in all of them at once;
    returns seconds waited.

    Taking the slots one after the other would let a request hold its endpoint slot while it
    waits for the account's: it then leaves later than its endpoint slot says, and the API sees
    more requests to that endpoint in one window than the pacer allowed.
    """
    if not slots:
        return 0.0
    clock, sleep = slots[0][0]._clock, slots[0][0]._sleep
    waited = 0.0
    while True:
        with _LOCK:
            now = clock()
            delay = max(pacer._delay(key, now) for pacer, key in slots)
            if delay <= 0:
                for pacer, key in slots:
                    if pacer.limit:
                        pacer._starts[key].append(now)
                return waited
        sleep(delay)
        waited += delay
