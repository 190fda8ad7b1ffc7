"""Stripe source: charges, payment intents, refunds, balance transactions and customers.

Loads into ``raw_stripe``, one table per resource, merged by ``id``. Amounts are integers in the
currency's minor unit (cents; whole yen for JPY), currencies lowercase ISO codes, timestamps Unix
seconds (UTC), exactly as Stripe sends them; staging converts them. Fees and net amounts are on
``balance_transactions`` (the fee lines as JSON in ``fee_details``). Each table keeps the fields
listed in ``settings.py`` and is handed to dlt as Arrow tables (``arrow_tables.py``).

Every resource is incremental on ``created`` with the cursor in dlt's resource state (it moves
only once the load is committed; a quarantined record does not hold it). Objects that change after
creation (a charge gains refunds or a dispute, an intent is canceled, a refund fails, a customer
changes email) are found through the events since the previous run (``changes.py``) and merged
over the old rows; a balance transaction changes only from pending to available, so its list is
re-read from the oldest one still pending. When the events cannot vouch for the gap since the last
run (first run, a key without access to events, a run older than Stripe keeps events), the
mutable lists are re-read ``lookback_days`` before the cursor instead.

Each list is read with ``concurrency`` requests in flight (``paging.py``), paced to Stripe's
limits (100 requests/s per live account, 25 per endpoint) so the run does not collect 429s.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from storeboard.config import StripeSettings
from storeboard.errors import SourceError
from storeboard.sources.arrow_tables import Batches
from storeboard.sources.quarantine import RecordProblem, quarantined
from storeboard.sources.stripe import changes
from storeboard.sources.stripe.helpers import StripeClient, check_record, describe_key, to_epoch
from storeboard.sources.stripe.paging import iter_pages_concurrently
from storeboard.sources.stripe.settings import RESOURCES, Resource

__all__ = ["check", "client_for", "items_for", "source"]

logger = logging.getLogger(__name__)
DAY = 86_400


def client_for(settings: StripeSettings, backoff_factor: float = 1.0) -> StripeClient:
    """A client configured from the ``sources.stripe`` block."""
    return StripeClient(
        settings.api_key.get_secret_value(),
        settings.base_url,
        settings.api_version,
        page_size=settings.page_size,
        max_attempts=settings.max_attempts,
        backoff_factor=backoff_factor,
        requests_per_second=settings.requests_per_second,
        endpoint_requests_per_second=settings.endpoint_requests_per_second,
    )


@dlt.source(name="stripe")
def source(settings: StripeSettings, backoff_factor: float = 1.0) -> Any:
    """The Stripe dlt source.

    Args:
        settings: the ``sources.stripe`` config block (key, base URL, ``Stripe-Version``, start
            date, look-back, the charge metadata key holding the Shopify order reference).
        backoff_factor: seconds multiplied into the retry back-off (tests shrink it).

    Returns:
        The ``charges``, ``payment_intents``, ``refunds``, ``balance_transactions`` and
        ``customers`` resources. ``charges`` and ``payment_intents`` rows carry
        ``order_reference``: the value of ``metadata[order_reference_key]`` (the Shopify order
        name such as ``#1042``), or null for payments made outside the shop.
    """
    client = client_for(settings, backoff_factor)
    return [_resource(client, settings, spec) for spec in RESOURCES]


def _resource(client: StripeClient, settings: StripeSettings, spec: Resource) -> Any:
    def load() -> Iterator[Any]:
        yield from _incremental(client, settings, spec)

    load.__doc__ = f"Stripe {spec.name}, merged by id, incremental on created (Unix seconds, UTC)."
    # parallelized: dlt advances each list in a thread of its own, so a list waiting for its next
    # page does not hold up the pages the other lists have ready (their readers would stall on a
    # full queue while their share of the rate limit went unused).
    return dlt.resource(load, name=spec.name, write_disposition="merge", primary_key="id", parallelized=True)


class _Cursor:
    """The ``created`` cursor of one resource run: the newest object read from the list, loaded or
    quarantined alike (a quarantined object is kept whole in ``quarantine`` and loaded by
    ``storeboard run --replay-quarantine``, so holding the cursor for it would only read it again
    forever and stop the list there)."""

    def __init__(self, stored: int | None, start: int):
        self.value = start if stored is None else stored

    def loaded(self, created: Any) -> None:
        if isinstance(created, int) and not isinstance(created, bool):
            self.value = max(self.value, created)


def _incremental(client: StripeClient, settings: StripeSettings, spec: Resource) -> Iterator[Any]:
    """Yield pages of objects created since the cursor, then the older objects changed since the
    previous run (see the module docstring for how each list finds them).

    The ``created[gte]`` window is inclusive, so objects at the cursor's second are read again
    and merged. A quarantined object is kept in ``quarantine`` and the cursor moves past it like
    past any other. Cursors are saved in the resource state, which dlt commits with the data.
    """
    state = dlt.current.resource_state()
    start = to_epoch(settings.start_date)
    stored: int | None = state.get("created_cursor")
    events_from: int | None = None
    if spec.name in changes.EVENT_TYPES:
        newest_event = changes.newest_event(client)  # before reading: later changes are the next run's
        previous = state.get("events_cursor")
        if stored is not None and previous is not None and changes.events_cover(client, previous):
            events_from = previous - changes.OVERLAP_SECONDS
    since = _list_since(spec, settings, state, stored, start, events_from is not None)
    cursor, total = _Cursor(stored, start), 0
    batches = Batches(spec.shape)
    pending: list[int] = []  # balance transactions read while still pending: their ``created``
    # the ids loaded from the list, as Arrow arrays: a few bytes each instead of a Python set
    loaded: list[Any] | None = [] if spec.name == "charges" or events_from is not None else None
    for page in iter_pages_concurrently(client, spec.name, since, settings.concurrency):
        rows, seen = [], set()
        for record in page:
            if isinstance(record, dict) and record.get("id") in seen:
                continue  # repeated within a page (the concurrent reader never repeats across pages)
            row = yield from _screen(spec, settings, record, cursor, seen)
            if row is not None:
                rows.append(row)
                if spec.name == "balance_transactions" and row.get("status") == "pending":
                    pending.append(row["created"])
        total += len(rows)
        yield from _tables(spec, batches.add(rows), loaded)
        # Nothing yet while a batch fills: dlt's round robin then reads the other lists' pages.
        yield None
    yield from _tables(spec, batches.flush(), loaded)
    older: Iterator[Any] = iter(())
    if events_from is not None:
        older = changes.changed_objects(client, spec.name, events_from, _ids(loaded))
    elif spec.name == "charges" and stored is not None:
        # A refund or dispute changes its charge, which may be older than the look-back window.
        # (Not on the first load: every charge since the start date was just read.)
        older = _charges_changed_by_refunds(client, since, loaded, settings.concurrency)
    changed = 0
    for record in older:
        row = yield from _screen(spec, settings, record, cursor, set(), moves_cursor=False)
        if row is not None:
            changed += 1
            yield from _tables(spec, batches.add([row]))
    yield from _tables(spec, batches.flush())
    state["created_cursor"] = cursor.value
    if spec.name in changes.EVENT_TYPES:
        state["events_cursor"] = newest_event  # None: the next run re-reads the look-back
    if spec.name == "balance_transactions":
        state["pending_since"] = min(pending) if pending else None
    how = "events" if events_from is not None else "look-back"
    logger.info("stripe %s: %d objects created since %d, %d older ones changed (%s); cursor now %d",
                spec.name, total, since, changed, how, cursor.value)


def _list_since(spec: Resource, settings: StripeSettings, state: Any, stored: int | None, start: int,
                events: bool) -> int:
    """Where this run reads the list from: the cursor, or before it for what may have changed."""
    if stored is None:
        return start
    if spec.name == "balance_transactions" and "pending_since" in state:
        pending_since = state["pending_since"]
        return max(start, stored if pending_since is None else min(stored, pending_since))
    if not spec.mutable or events:
        return stored
    return max(start, stored - settings.lookback_days * DAY)


def _ids(loaded: list[Any] | None) -> set[str]:
    if not loaded:
        return set()
    return set(pa.chunked_array(loaded, pa.string()).to_pylist())


def _tables(spec: Resource, batches: Iterator[Any], loaded: list[Any] | None = None) -> Iterator[Any]:
    """The Arrow tables of ``batches``, after quarantining the records whose values do not fit
    their columns. Each table's ids are added to ``loaded`` when given."""
    for table, problems in batches:
        for record, problem in problems:
            yield quarantined(spec.name, record, problem)
        if table is not None:
            if loaded is not None:
                loaded.append(table.column("id"))
            yield spec.shape.marked(table)


def items_for(settings: StripeSettings, kind: str, records: list[Any]) -> Iterator[Any]:
    """The dlt items that load ``records`` of list ``kind`` exactly as a run does (checks,
    quarantine, the order reference, the raw table's columns), without moving any cursor; the
    webhook applier loads re-read objects through this."""
    spec = next(r for r in RESOURCES if r.name == kind)
    cursor = _Cursor(None, 0)
    rows = []
    for record in records:
        row = yield from _screen(spec, settings, record, cursor, set(), moves_cursor=False)
        if row is not None:
            rows.append(row)
    batches = Batches(spec.shape)
    yield from _tables(spec, batches.add(rows))
    yield from _tables(spec, batches.flush())


def _screen(spec: Resource, settings: StripeSettings, record: Any, cursor: _Cursor, seen: set[str],
            moves_cursor: bool = True) -> Generator[Any, None, dict[str, Any] | None]:
    """Check one object: quarantine it (yielded) and return None, or return the row to load."""
    try:
        check_record(spec, record)
    except RecordProblem as problem:
        yield quarantined(spec.name, record, problem)
        if moves_cursor and isinstance(record, dict):
            cursor.loaded(record.get("created"))
        return None
    seen.add(record["id"])
    if moves_cursor:
        cursor.loaded(record["created"])
    if spec.name in ("charges", "payment_intents"):
        return dict(record, order_reference=(record.get("metadata") or {}).get(settings.order_reference_key))
    return record


def _charges_changed_by_refunds(client: StripeClient, since: int, loaded: list[Any], concurrency: int) -> Iterator[dict[str, Any]]:
    """Charges created before ``since`` that were refunded at or after it, as they are after it
    (``loaded``: the ids of the charges this run has loaded already, as Arrow arrays).

    Stripe's ``charge.refunded`` event carries the charge after that refund, so one list of events
    gives them all; a charge without a readable event (Stripe keeps events for 30 days, and a key
    may lack read access to events) is read again by id, which costs a request per charge.
    """
    refunded: dict[str, None] = {}
    for page in iter_pages_concurrently(client, "refunds", since, concurrency):
        for refund in page:
            charge = refund.get("charge") if isinstance(refund, dict) else None
            if isinstance(charge, str):
                refunded[charge] = None
    if not refunded:
        return
    candidates = pa.array(list(refunded), pa.string())
    known = pa.chunked_array(loaded, pa.string()).combine_chunks()
    stale = dict.fromkeys(pc.filter(candidates, pc.invert(pc.is_in(candidates, value_set=known))).to_pylist())
    found = _refunded_charges_from_events(client, since, stale) if stale else {}
    for charge_id in stale:
        yield found.get(charge_id) or client.get(f"/v1/charges/{charge_id}")


def _refunded_charges_from_events(client: StripeClient, since: int, wanted: dict[str, None]) -> dict[str, dict[str, Any]]:
    """The newest ``charge.refunded`` event's charge for each of ``wanted``, where there is one."""
    found: dict[str, dict[str, Any]] = {}
    try:
        for page in client.iter_pages("events", since, filters={"type": "charge.refunded"}):
            for event in page:  # newest first: the first event of a charge is its latest state
                data = event.get("data") if isinstance(event, dict) else None
                charge = data.get("object") if isinstance(data, dict) else None
                charge_id = charge.get("id") if isinstance(charge, dict) else None
                if charge_id in wanted and charge_id not in found and charge.get("object") == "charge":
                    found[charge_id] = charge
            if len(found) == len(wanted):
                break
    except SourceError as exc:
        logger.warning("stripe: refunded charges are read one by one: the events list failed (%s)", exc)
    logger.info("stripe: %d of %d refunded older charges found in events", len(found), len(wanted))
    return found


def check(settings: StripeSettings) -> str:
    """One cheap authenticated call; returns a one-line description of the account access."""
    client = client_for(settings)
    body = client.get("/v1/charges", {"limit": 1})
    latest = body["data"][0]["created"] if body.get("data") else None
    version = client.served_version or settings.api_version or "account default"
    when = f"latest charge {datetime.fromtimestamp(latest, UTC):%Y-%m-%d %H:%M} UTC" if latest else "no charges yet"
    return f"Stripe {describe_key(settings.api_key.get_secret_value())} accepted by {settings.base_url} (API version {version}; {when})"
