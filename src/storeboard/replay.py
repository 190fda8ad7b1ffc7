"""``storeboard run --replay-quarantine``: load the quarantined records that now pass their checks.

A record that fails its checks is kept whole in ``raw_<source>.quarantine`` and the source's
cursor moves on (``sources/quarantine.py``). Once the cause is fixed (a Storeboard upgrade that
reads a new variant, or the record corrected at the vendor), the replay takes each kept record,
checks it again with the connector's own rules, and where it still fails reads the object again
from the vendor by its id; what passes is loaded through the source's own dlt pipeline and
table (merged by id) and its quarantine rows are removed. What still fails stays, with the
newest reason.

Replayed sources are those whose lists are read once (Shopify, Stripe, HubSpot). The ad platforms re-read
their look-back days and every campaign each run, and a CSV file is read again when it changes,
so a fixed record there loads by itself.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storeboard.config import Config
from storeboard.errors import SourceError
from storeboard.sources.quarantine import QUARANTINE_TABLE, RecordProblem
from storeboard.warehouse import Warehouse

if TYPE_CHECKING:
    from storeboard.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass
class Replayed:
    """What the replay of one source did."""

    loaded: int = 0
    still_quarantined: int = 0


@dataclass
class _Kept:
    row_id: str  # dlt's _dlt_id of the quarantine row
    record_id: str | None
    record: Any


def replay_quarantine(config: Config | Runtime, sources: list[str] | None = None) -> dict[str, Replayed]:
    """Replay the quarantine of each of ``sources`` (default: every enabled replayable source)."""
    from storeboard import pipeline
    from storeboard.runtime import of

    rt = of(config)
    config, warehouse = rt.config, rt.warehouse
    names = [n for n in (sources or config.enabled_sources()) if n in _REPLAYERS]
    results: dict[str, Replayed] = {}
    for name in names:
        kept = _kept(warehouse, name)
        if not kept:
            continue
        result, resources, done = Replayed(), {}, []
        for resource, records in kept.items():
            passing, failing = _REPLAYERS[name](config, resource, records)
            if passing:
                resources[resource] = _ITEMS[name](config, resource, [k.record for k in passing])
                done.extend(k.row_id for k in passing)
            result.loaded += len(passing)
            result.still_quarantined += len(failing)
        if resources:
            pipeline.load_items(rt, name, resources)
            _forget(warehouse, name, done)
        logger.info("replayed %s quarantine: %d loaded, %d still quarantined", name, result.loaded, result.still_quarantined)
        results[name] = result
    return results


def _kept(warehouse: Warehouse, name: str) -> dict[str, list[_Kept]]:
    """The quarantined records of source ``name`` by resource (the newest row of each id)."""
    with warehouse.connect() as conn:
        if not conn.table_exists(f"raw_{name}", QUARANTINE_TABLE):
            return {}
        rows = conn.query(f"select _dlt_id, resource, record_id, payload from raw_{name}.{QUARANTINE_TABLE} "
                          "order by quarantined_at")
    kept: dict[str, list[_Kept]] = defaultdict(list)
    for row in rows:
        try:
            record = json.loads(row["payload"])
        except (TypeError, ValueError):
            record = None
        kept[row["resource"]].append(_Kept(row["_dlt_id"], row["record_id"], record))
    return kept


def _forget(warehouse: Warehouse, name: str, row_ids: list[str]) -> None:
    """Remove the quarantine rows of records now loaded (every row of the same record id too)."""
    with warehouse.connect() as conn:
        for start in range(0, len(row_ids), 500):
            chunk = row_ids[start:start + 500]
            ids = ", ".join("'" + i.replace("'", "''") + "'" for i in chunk)
            conn.execute(f"delete from raw_{name}.{QUARANTINE_TABLE} where _dlt_id in ({ids})")


Split = tuple[list[_Kept], list[_Kept]]


def _split(records: list[_Kept], check: Callable[[Any], None], reread: Callable[[str], Any] | None) -> Split:
    """(passing, failing): each record as kept, or read again by id when the kept one still fails."""
    passing, failing = [], []
    for kept in records:
        try:
            check(kept.record)
            passing.append(kept)
            continue
        except RecordProblem:
            pass
        if reread is not None and kept.record_id:
            try:
                fresh = reread(kept.record_id)
                check(fresh)
                passing.append(_Kept(kept.row_id, kept.record_id, fresh))
                continue
            except (RecordProblem, SourceError) as exc:
                logger.info("quarantined %s still fails: %s", kept.record_id, exc)
        failing.append(kept)
    return passing, failing


# -- Shopify ----------------------------------------------------------------------------------
def _shopify_split(config: Config, resource: str, records: list[_Kept]) -> Split:
    from storeboard.sources import shopify
    from storeboard.sources.shopify.helpers import check_customer, check_order

    checks = {"orders": check_order, "customers": check_customer}
    if resource not in checks:
        return [], records
    client = shopify.client_for(config.sources.shopify)

    def check(record: Any) -> None:
        if not isinstance(record, dict):
            raise RecordProblem("record", "expected an object")
        checks[resource](record)

    # An order is read again whole by its id (flattened like a run reads it); a customer is only
    # checked again as kept (after an upgrade), and a customer corrected at Shopify comes back by
    # itself: the correction moves its updatedAt past the cursor.
    return _split(records, check, client.order if resource == "orders" else None)


def _shopify_items(config: Config, resource: str, records: list[Any]) -> Iterator[Any]:
    from storeboard.sources import shopify

    yield from shopify.items_for(records, resource)


# -- Stripe -----------------------------------------------------------------------------------
def _stripe_split(config: Config, resource: str, records: list[_Kept]) -> Split:
    from storeboard.sources import stripe
    from storeboard.sources.stripe.helpers import check_record
    from storeboard.sources.stripe.settings import RESOURCES

    spec = next((r for r in RESOURCES if r.name == resource), None)
    if spec is None:
        return [], records
    client = stripe.client_for(config.sources.stripe)
    return _split(records, lambda r: check_record(spec, r), lambda i: client.get(f"/v1/{resource}/{i}"))


def _stripe_items(config: Config, resource: str, records: list[Any]) -> Iterator[Any]:
    from storeboard.sources import stripe

    yield from stripe.items_for(config.sources.stripe, resource, records)


# -- HubSpot ----------------------------------------------------------------------------------
def _hubspot_split(config: Config, resource: str, records: list[_Kept]) -> Split:
    from storeboard.sources import hubspot
    from storeboard.sources.hubspot.helpers import check_record, cleared_as_null
    from storeboard.sources.hubspot.settings import MODIFIED_PROPERTY

    if resource not in MODIFIED_PROPERTY:
        return [], records
    client = hubspot.client_for(config.sources.hubspot)
    for kept in records:
        kept.record = cleared_as_null(kept.record)

    def check(record: Any) -> None:
        if not isinstance(record, dict):
            raise RecordProblem("record", "expected an object")
        check_record(resource, record)

    return _split(records, check, lambda i: cleared_as_null(client.read(resource, i)))


def _hubspot_items(config: Config, resource: str, records: list[Any]) -> Iterator[Any]:
    from storeboard.sources import hubspot

    yield from hubspot.items_for(config.sources.hubspot, resource, records)


_REPLAYERS: dict[str, Callable[[Config, str, list[_Kept]], Split]] = {
    "shopify": _shopify_split, "stripe": _stripe_split, "hubspot": _hubspot_split}
_ITEMS: dict[str, Callable[[Config, str, list[Any]], Iterator[Any]]] = {
    "shopify": _shopify_items, "stripe": _stripe_items, "hubspot": _hubspot_items}
