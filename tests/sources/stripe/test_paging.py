"""The concurrent list reader against the sandbox: the same objects as one cursor, several
requests in flight, errors raised, threads stopped."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from storeboard.errors import SourceAuthError
from storeboard.sandbox.credentials import STRIPE_API_KEY
from storeboard.sandbox.faults import Fault
from storeboard.sources.pacing import Pacer, wait_for_all
from storeboard.sources.stripe.helpers import StripeClient
from storeboard.sources.stripe.paging import iter_pages_concurrently


def _ids(pages) -> list[str]:
    return [o["id"] for page in pages for o in page]


@pytest.mark.parametrize("kind", ["charges", "balance_transactions", "customers", "refunds"])
def test_reads_the_same_objects_as_one_cursor(sandbox, stripe_api, kind):
    client = StripeClient(STRIPE_API_KEY, sandbox.url, page_size=20)
    expected = [o["id"] for o in stripe_api.data().lists[kind]]
    got = _ids(iter_pages_concurrently(client, kind, 0, concurrency=4))
    # each exactly once, also those created at a second where a range was cut
    assert sorted(got) == sorted(expected)


def test_starts_at_the_cursor(sandbox, stripe_api):
    charges = stripe_api.data().lists["charges"]
    pivot = charges[len(charges) // 2]["created"]
    client = StripeClient(STRIPE_API_KEY, sandbox.url, page_size=10)
    got = set(_ids(iter_pages_concurrently(client, "charges", pivot, concurrency=3)))
    assert got == {c["id"] for c in charges if c["created"] >= pivot}


class _InFlight(StripeClient):
    """Counts list requests under way at the same time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = self.most = self.calls = 0
        self._count = threading.Lock()

    def list_page(self, *args, **kwargs):
        with self._count:
            self.now, self.calls = self.now + 1, self.calls + 1
            self.most = max(self.most, self.now)
        try:
            return super().list_page(*args, **kwargs)
        finally:
            with self._count:
                self.now -= 1


def test_requests_overlap_and_few_are_wasted(sandbox):
    client = _InFlight(STRIPE_API_KEY, sandbox.url, page_size=20)
    sandbox.faults.add(Fault(api="stripe", kind="slow", count=-1, delay=0.05))  # a remote API's latency
    pages = list(iter_pages_concurrently(client, "balance_transactions", 0, concurrency=4))
    assert client.most == 4
    assert client.calls <= len(pages) + 3  # a range that turns out empty costs one request


def test_an_error_stops_the_read_and_is_raised(sandbox):
    client = StripeClient(STRIPE_API_KEY, sandbox.url, page_size=10, max_attempts=1)
    before = threading.active_count()
    sandbox.faults.add(Fault(api="stripe", kind="expired_token", count=-1, path_contains="/v1/charges"))
    pages = iter_pages_concurrently(client, "charges", 0, concurrency=4)
    with pytest.raises(SourceAuthError):
        list(pages)
    sandbox.faults.clear()
    _threads_end(before)


def test_closing_early_stops_the_threads(sandbox):
    client = StripeClient(STRIPE_API_KEY, sandbox.url, page_size=10)
    before = threading.active_count()
    pages = iter_pages_concurrently(client, "balance_transactions", 0, concurrency=4)
    next(pages)
    pages.close()
    _threads_end(before)


def _threads_end(count: int) -> None:
    deadline = time.monotonic() + 5
    while threading.active_count() > count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= count


def test_pacer_keeps_to_the_limit_per_key():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(3, margin=0.0, clock=lambda: now[0], sleep=sleep)
    assert [pacer.wait("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.wait("b") == 0.0  # another key has its own window
    assert pacer.wait("a") == pytest.approx(1.0) and slept == [pytest.approx(1.0)]
    assert Pacer(None).wait() == 0.0
    # HubSpot's budget: per ten seconds
    ten = Pacer(2, window=10.0, margin=0.0, clock=lambda: now[0], sleep=sleep)
    assert [ten.wait(), ten.wait(), ten.wait()] == [0.0, 0.0, pytest.approx(10.0)]


def test_two_limits_take_their_slots_at_the_moment_the_request_leaves():
    """A request that waits for the account's slot must not hold an endpoint slot stamped earlier:
    the endpoint would then see more requests in one window than its limit."""
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    account = Pacer(2, margin=0.0, clock=lambda: now[0], sleep=sleep)
    endpoint = Pacer(2, margin=0.0, clock=lambda: now[0], sleep=sleep)
    sent = []
    for key in ("other", "other", "charges", "charges", "charges"):
        wait_for_all((endpoint, key), (account, ""))
        sent.append((key, now[0]))
    # the account is full until 1.0, so the first charges request leaves at 1.0, the second too,
    # and the third waits a full window after them rather than after the moment the first asked
    assert sent == [("other", 0.0), ("other", 0.0), ("charges", 1.0), ("charges", 1.0), ("charges", 2.0)]
    charges = [t for key, t in sent if key == "charges"]
    assert all(sum(1 for u in charges if t <= u < t + 1.0) <= 2 for t in charges)


def test_rate_limited_requests_are_retried_after_a_short_back_off(sandbox, caplog):
    """Stripe's own 429 (no Retry-After) is retried through the pacer after a short back-off."""
    # an unpaced client: the sandbox's limiter (25 per endpoint per second) answers with 429s
    client = StripeClient(STRIPE_API_KEY, sandbox.url, requests_per_second=1000, endpoint_requests_per_second=None,
                          backoff_factor=0.5)
    caplog.set_level(logging.DEBUG, logger="storeboard.sources.stripe.helpers")
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: client.get("/v1/customers", {"limit": 1}), range(40)))
    assert all(body["object"] == "list" for body in bodies)
    retried = [r.getMessage() for r in caplog.records if r.getMessage().startswith("stripe 429")]
    assert retried and all("endpoint-rate" in m for m in retried)
    # "retry N in Ds": the first back-off is a fraction of a second (0.5 s × 0.5, jittered ±50 %),
    # each further one twice the last; how many a request needs depends on the machine's speed
    delays = [(int(m.split(" retry ", 1)[1].split(" ", 1)[0]), float(m.rsplit(" ", 1)[1].rstrip("s"))) for m in retried]
    assert any(attempt == 1 for attempt, _ in delays)
    assert all(0.125 * 2 ** (attempt - 1) - 0.005 <= delay <= 0.375 * 2 ** (attempt - 1) + 0.005 for attempt, delay in delays)


def test_client_paces_to_the_endpoint_limit(sandbox):
    client = StripeClient(STRIPE_API_KEY, sandbox.url, endpoint_requests_per_second=5)
    started = time.monotonic()
    for _ in range(11):
        client.get("/v1/customers", {"limit": 1})
    assert time.monotonic() - started >= 2.0  # 11 requests at 5 per second span two full windows
