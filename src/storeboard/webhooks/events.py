"""The webhook event log, ``storeboard_meta.webhook_events``: every verified delivery, once.

The event id is the primary key (``shopify:<X-Shopify-Webhook-Id>``, ``stripe:<evt_…>``), and a
delivery is stored with ``insert … on conflict do nothing``: a retry of the same delivery, or the
same event posted twice, finds its row and changes nothing. A Shopify body already received
(byte for byte, by SHA-256, under any topic) counts as the same event too, since Shopify's
webhook id and topic are headers the signature does not cover.

Each row says which source objects the event changed (``objects``: ``orders:<Shopify gid>``,
``charges:<ch_…>``, ``refunds:<re_…>``) and where it is in its life: ``pending`` until the apply step
has re-read those objects into the raw tables and rebuilt the revenue marts, then ``applied``;
``ignored`` for topics that change nothing Storeboard loads; ``failed`` after too many attempts
(the scheduled refresh reconciles those anyway).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storeboard.state import schema
from storeboard.state.schema import SCHEMA
from storeboard.warehouse import Connection, Warehouse

TABLE = f"{SCHEMA}.webhook_events"
#: Attempts before a pending event is given up on (status ``failed``).
MAX_ATTEMPTS = 5

# One writer at a time inside this process: DuckDB reports concurrent inserts of one key as a
# transaction conflict rather than as a conflict the insert's ON CONFLICT clause handles.
_WRITE = threading.Lock()

#: Shopify topics whose payload is an order (the order is re-read).
SHOPIFY_ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/edited",
                        "orders/fulfilled", "orders/partially_fulfilled")


@dataclass(frozen=True)
class Event:
    """One verified delivery, ready to be stored."""

    event_id: str
    platform: str
    topic: str
    objects: tuple[str, ...]
    body: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def shopify_objects(topic: str, payload: dict[str, Any]) -> tuple[str, ...]:
    """The order a Shopify delivery changed, as ``orders:<gid>``, or ``order_deletions:<gid>`` for
    ``orders/delete`` (whose body is only the id); empty for other topics."""
    if topic == "orders/delete":
        order_id = payload.get("id")
        if isinstance(order_id, bool) or not isinstance(order_id, (int, str)) or not str(order_id).isdigit():
            return ()
        return (f"order_deletions:gid://shopify/Order/{int(order_id)}",)
    if topic in SHOPIFY_ORDER_TOPICS:
        order_id = payload.get("id")
    elif topic == "refunds/create":
        order_id = payload.get("order_id")
    else:
        return ()
    if isinstance(order_id, bool) or not isinstance(order_id, (int, str)) or not str(order_id).isdigit():
        return ()
    return (f"orders:gid://shopify/Order/{int(order_id)}",)


def _stripe_id(value: Any, prefix: str) -> str | None:
    return value if isinstance(value, str) and value.startswith(prefix) and len(value) < 255 else None


def stripe_objects(event_type: str, payload: dict[str, Any]) -> tuple[str, ...]:
    """The Stripe objects an event changed: ``charges:<ch_…>`` and ``refunds:<re_…>``.

    Charge events (``charge.*``) carry the charge, dispute events (``charge.dispute.*``) a
    dispute naming its charge; refund events (``refund.*``, ``charge.refund.updated``) a refund,
    whose charge changes too (``amount_refunded``). Other events change nothing loaded here.
    """
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not (event_type.startswith(("charge.", "refund."))):
        return ()
    kind = obj.get("object")
    found: list[str] = []
    if kind == "charge" and (charge := _stripe_id(obj.get("id"), "ch_")):
        found.append(f"charges:{charge}")
    elif kind == "refund":
        if refund := _stripe_id(obj.get("id"), "re_"):
            found.append(f"refunds:{refund}")
        if charge := _stripe_id(obj.get("charge"), "ch_"):
            found.append(f"charges:{charge}")
    elif kind == "dispute" and (charge := _stripe_id(obj.get("charge"), "ch_")):
        found.append(f"charges:{charge}")
    return tuple(found)


def record(warehouse: Warehouse, event: Event, now: datetime | None = None) -> str:
    """Store ``event`` unless it is already there.

    Returns:
        ``stored`` (new and waiting to be applied), ``ignored`` (new, but nothing to apply) or
        ``duplicate`` (this event, or this exact Shopify body under any topic, was already
        received; nothing changed).

    Raises:
        WarehouseError: the warehouse cannot be reached (the sender should retry later).
    """
    status = "pending" if event.objects else "ignored"
    row = {
        "event_id": event.event_id, "platform": event.platform, "topic": event.topic,
        "objects": " ".join(event.objects), "digest": event.digest,
        "payload": event.body.decode("utf-8", "replace"), "received_at": now or datetime.now(UTC), "status": status,
    }
    with _WRITE, warehouse.connect() as conn:
        schema.ensure(conn)
        # Shopify signs the body only, not the X-Shopify-Topic header: the same body under any
        # topic is a replay (Shopify, "Verify the webhook": the HMAC is of the raw body)
        if event.platform == "shopify" and conn.query(
                f"select 1 as found from {TABLE} where platform = 'shopify' "
                "and body_sha256 = %(digest)s limit 1", {"digest": event.digest}):
            return "duplicate"
        inserted = conn.query(
            f"insert into {TABLE} (event_id, platform, topic, objects, body_sha256, payload, received_at, status, "
            "attempts) values (%(event_id)s, %(platform)s, %(topic)s, %(objects)s, %(digest)s, %(payload)s, "
            "%(received_at)s, %(status)s, 0) on conflict do nothing returning event_id", row)
    if not inserted:
        return "duplicate"
    return "stored" if status == "pending" else "ignored"


def pending(conn: Connection) -> list[dict[str, Any]]:
    """Events waiting to be applied, oldest first."""
    if not conn.table_exists(SCHEMA, "webhook_events"):
        return []
    return conn.query(f"select event_id, platform, topic, objects, attempts from {TABLE} "
                      "where status = 'pending' order by received_at, event_id")


def finish(warehouse: Warehouse, done: list[str], failed: dict[str, str], now: datetime | None = None) -> None:
    """Mark ``done`` events applied; count an attempt against each of ``failed`` (id -> error),
    giving up on those that reached ``MAX_ATTEMPTS``."""
    now = now or datetime.now(UTC)
    with _WRITE, warehouse.connect() as conn:
        for event_id in done:
            conn.execute(f"update {TABLE} set status = 'applied', applied_at = %(now)s, error = null "
                         "where event_id = %(id)s", {"now": now, "id": event_id})
        for event_id, error in failed.items():
            conn.execute(
                f"update {TABLE} set attempts = attempts + 1, error = %(error)s, status = case when attempts + 1 >= "
                f"{MAX_ATTEMPTS} then 'failed' else status end where event_id = %(id)s",
                {"error": error[:2000], "id": event_id})


def counts(warehouse: Warehouse) -> dict[str, int]:
    """Events by status (for tests and the docs' troubleshooting queries)."""
    with warehouse.connect(read_only=True) as conn:
        if not conn.table_exists(SCHEMA, "webhook_events"):
            return {}
        rows = conn.query(f"select status, count(*) as n from {TABLE} group by status")
    return {r["status"]: int(r["n"]) for r in rows}

