"""Applying stored webhook events: re-read what changed, merge it into the raw tables, rebuild
the revenue marts. Runs inside ``storeboard serve``, in one background thread, debounced.

A webhook says *which* order, charge or refund changed; the apply step reads that object again
through the connector's own client and query (``ORDER_QUERY`` and the client's flattening for
Shopify, ``GET /v1/charges/<id>`` and the connector's record screening for Stripe) and loads it
through a dlt pipeline run of the same pipeline, dataset and table, merged by id. So a row
written here is exactly the row the scheduled pull writes for the same object (one mapping),
and the pull overwrites it without duplicates. Re-reading instead of loading the body also
means an out-of-order or replayed delivery can never roll a record back: whatever arrives, the
current state is what is loaded. Shopify's REST bodies lack fields the connector loads
(attribution, transactions, unit costs), and ``refunds/create`` does not carry its order at all.

Then ``dbt build --select <webhooks.dbt_select>`` rebuilds the revenue marts. All of it happens
under the warehouse's refresh lock, like a scheduled refresh: never two writers. A batch that
fails (source unreachable, dbt error) stays pending and is retried; after ``MAX_ATTEMPTS`` the
scheduled refresh, which remains the source of truth, reconciles it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from storeboard import pipeline
from storeboard.config import Config
from storeboard.errors import SourceError, StoreboardError, WarehouseError
from storeboard.runtime import Runtime, of
from storeboard.state import lock
from storeboard.state.lock import REFRESH_LOCK
from storeboard.transform import runner
from storeboard.webhooks import events

logger = logging.getLogger(__name__)

#: Seconds between retries while events are pending (lock held elsewhere, source down).
RETRY_SECONDS = 30.0


@dataclass
class ApplyResult:
    """What one apply round did."""

    applied: int = 0
    failed: int = 0
    left: int = 0
    locked: bool = False
    loaded: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None


@dataclass
class _Batch:
    """Objects to re-read, and which events are waiting on each."""

    objects: dict[str, list[str]] = field(default_factory=dict)

    def add(self, event_id: str, objects: str) -> None:
        for obj in objects.split():
            self.objects.setdefault(obj, []).append(event_id)

    def of(self, prefix: str) -> list[str]:
        return [o.removeprefix(prefix) for o in self.objects if o.startswith(prefix)]


def _shopify_rows(config: Config, order_gids: list[str], problems: dict[str, str]) -> Iterator[Any]:
    """The connector's own records for ``order_gids``, read again now (quarantine rules included)."""
    from storeboard.sources import shopify

    client = shopify.client_for(config.sources.shopify)
    orders = []
    for gid in order_gids:
        try:
            # The connector's own read and flattening (one record shape, every query under the cap).
            order = client.order(gid)
        except SourceError as exc:
            problems[f"orders:{gid}"] = str(exc)  # keyed like the batch, so its events stay pending
            continue
        if order is None:
            logger.info("webhook order %s is no longer at Shopify; nothing to load", gid)
            continue
        orders.append(order)
    yield from shopify.items_for(orders)


def _delete_shopify_orders(rt: Runtime, order_gids: list[str], problems: dict[str, str]) -> int:
    """Act on ``orders/delete``: each order is read again, and only one Shopify no longer has is
    removed from ``raw_shopify.orders`` and its child tables (every ``orders__*`` table keyed by
    ``order_id``); the order-keyed marts drop it on the rebuild. An order Shopify still returns
    (a stale or replayed delivery) is loaded as it is instead. Returns the orders removed.

    Shopify's Admin GraphQL API keeps no trace of a deleted order (its ``deletionEvents`` cover
    products and collections only), so this webhook is how a deletion reaches Storeboard; a
    ``--full-refresh`` also drops orders deleted while no webhook was received."""
    from storeboard.sources import shopify

    config = rt.config
    client = shopify.client_for(config.sources.shopify)
    gone, still_there = [], []
    for gid in order_gids:
        try:
            order = client.order(gid)
        except SourceError as exc:
            problems[f"order_deletions:{gid}"] = str(exc)
            continue
        (still_there if order is not None else gone).append(order if order is not None else gid)
    if still_there:
        pipeline.load_items(rt, "shopify", {"orders": shopify.items_for(still_there)})
    if not gone:
        return 0
    with rt.warehouse.connect() as conn:
        if not conn.table_exists("raw_shopify", "orders"):
            return 0
        children = [r["table_name"] for r in conn.query(
            "select table_name from information_schema.tables where table_schema = 'raw_shopify'")
            if r["table_name"].startswith("orders__")]
        params = {f"o{i}": gid for i, gid in enumerate(gone)}
        ids = ", ".join(f"%({k})s" for k in params)
        for table in children:
            conn.execute(f"delete from raw_shopify.{table} where order_id in ({ids})", params)
        conn.execute(f"delete from raw_shopify.orders where id in ({ids})", params)
    logger.info("webhooks: removed %d order(s) Shopify deleted", len(gone))
    return len(gone)


def _stripe_rows(config: Config, kind: str, ids: list[str], problems: dict[str, str]) -> Iterator[Any]:
    """The connector's own rows for Stripe ``kind`` objects ``ids``, read again now."""
    from storeboard.sources import stripe

    client = stripe.client_for(config.sources.stripe)
    records = []
    for object_id in ids:
        try:
            records.append(client.get(f"/v1/{kind}/{object_id}"))
        except SourceError as exc:
            problems[f"{kind}:{object_id}"] = str(exc)
    # The connector's screening: checks, quarantine, the order reference, the raw table's columns.
    yield from stripe.items_for(config.sources.stripe, kind, records)


def _apply(rt: Runtime, batch: _Batch) -> tuple[dict[str, int], dict[str, str]]:
    """Re-read and load every object of ``batch``; returns rows loaded per source and the objects
    that could not be read (object -> error)."""
    config = rt.config
    problems: dict[str, str] = {}
    loaded: dict[str, int] = {}
    deletions = batch.of("order_deletions:")
    if deletions:
        if config.sources.shopify is None or not config.sources.shopify.enabled:
            problems.update({f"order_deletions:{o}": "sources.shopify is not configured" for o in deletions})
        else:
            loaded["shopify_deleted"] = _delete_shopify_orders(rt, deletions, problems)
    orders = batch.of("orders:")
    if orders:
        if config.sources.shopify is None or not config.sources.shopify.enabled:
            problems.update({o: "sources.shopify is not configured" for o in orders})
        else:
            loaded["shopify"] = pipeline.load_items(rt, "shopify", {"orders": _shopify_rows(config, orders, problems)})
    charges, refunds = batch.of("charges:"), batch.of("refunds:")
    if charges or refunds:
        if config.sources.stripe is None or not config.sources.stripe.enabled:
            problems.update({o: "sources.stripe is not configured" for o in batch.objects if o.startswith(("charges:", "refunds:"))})
        else:
            loaded["stripe"] = pipeline.load_items(rt, "stripe", {
                "charges": _stripe_rows(config, "charges", charges, problems),
                "refunds": _stripe_rows(config, "refunds", refunds, problems),
            })
    return loaded, problems


#: Only the dbt tests whose every parent is rebuilt (``--indirect-selection cautious``): dbt's
#: default also runs tests that compare a rebuilt mart with one left for the next refresh
#: (revenue by day against revenue by SKU), which would fail until then.
INDIRECT_SELECTION = "cautious"


def apply_pending(config: Config | Runtime, owner: str | None = None) -> ApplyResult:
    """Apply every pending event: one re-read, one load per source, one targeted dbt build.

    Args:
        config: the runtime of ``serve`` (or a validated config): ``sources`` for the clients,
            ``webhooks.dbt_select``.
        owner: lock owner name (default: a new ``webhooks@host:pid:…``).

    Returns:
        What happened; ``locked`` when a refresh held the lock (nothing was done, retry later).
    """
    started = time.monotonic()
    rt = of(config)
    config, warehouse = rt.config, rt.warehouse
    try:
        with warehouse.connect(read_only=True) as conn:
            waiting = events.pending(conn)
    except WarehouseError:  # not built yet: no event can have been stored
        return ApplyResult()
    if not waiting:
        return ApplyResult()
    ttl = timedelta(minutes=config.schedule.lock_timeout_minutes)
    with lock.held(warehouse, REFRESH_LOCK, ttl, owner or lock.new_owner("webhooks")) as got:
        if not got:
            return ApplyResult(left=len(waiting), locked=True)
        with warehouse.connect() as conn:
            waiting = events.pending(conn)  # events that arrived while the lock was being taken
        batch = _Batch()
        for event in waiting:
            batch.add(event["event_id"], event["objects"])
        failed: dict[str, str] = {}
        try:
            with warehouse.writing():  # dlt opens the DuckDB file itself, read-write
                loaded, problems = _apply(rt, batch)
            for obj, error in problems.items():
                for event_id in batch.objects.get(obj, []):
                    failed[event_id] = pipeline.redact(error, config)
            if loaded:
                runner.build(warehouse, config.state_dir, pipeline.dbt_vars(rt), select=config.webhooks.dbt_select,
                             indirect_selection=INDIRECT_SELECTION)
        except Exception as exc:  # the receiver keeps serving; the events stay pending
            text = str(exc) if isinstance(exc, StoreboardError) else f"{type(exc).__name__}: {exc}"
            error = pipeline.redact(text, config)
            logger.error("applying %d webhook event(s) failed: %s", len(waiting), error)
            failed = {e["event_id"]: error for e in waiting}
            events.finish(warehouse, [], failed)
            return ApplyResult(failed=len(failed), left=len(failed), seconds=time.monotonic() - started, error=error)
        done = [e["event_id"] for e in waiting if e["event_id"] not in failed]
        events.finish(warehouse, done, failed)
    result = ApplyResult(applied=len(done), failed=len(failed), left=len(failed), loaded=loaded,
                         seconds=time.monotonic() - started)
    logger.info("webhooks: applied %d event(s), %d failed, loaded %s in %.1fs", result.applied, result.failed,
                loaded, result.seconds)
    return result


class Applier:
    """The background thread of ``storeboard serve`` that applies stored events.

    ``notify()`` (called after an event is stored) wakes it; it then waits ``debounce`` seconds so
    that a burst of deliveries is applied in one round, and applies everything pending. While
    events stay pending (lock held by a refresh, a source down) it retries every
    ``retry_seconds``. On start it applies events a previous process left pending.

    Args:
        config: the validated config.
        apply: the apply function (tests may count rounds).
        retry_seconds: seconds between retries while events are pending.
    """

    def __init__(self, config: Config | Runtime, apply: Callable[[Runtime], ApplyResult] = apply_pending,
                 retry_seconds: float = RETRY_SECONDS):
        self.runtime = of(config)
        self.config = config = self.runtime.config
        self.debounce = config.webhooks.debounce_seconds
        self.retry_seconds = retry_seconds
        self._apply = apply
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds: list[ApplyResult] = []

    def notify(self) -> None:
        """An event was stored: apply it soon."""
        self._wake.set()

    def start(self) -> Applier:
        self._wake.set()  # events left pending by an earlier process
        self._thread = threading.Thread(target=self._loop, name="webhook-apply", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        retry = False
        while not self._stop.is_set():
            self._wake.wait(timeout=self.retry_seconds if retry else None)
            if self._stop.wait(self.debounce):
                return
            self._wake.clear()
            try:
                result = self._apply(self.runtime)
            except Exception:  # never let the thread die: the next notify or retry tries again
                logger.exception("applying webhook events failed")
                retry = True
                continue
            self.rounds.append(result)
            retry = result.left > 0
