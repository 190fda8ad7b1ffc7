"""Objects changed since the last run, read from Stripe's events.

Stripe lists objects by ``created`` only: a charge refunded or disputed, a payment intent
canceled, a refund that fails, a customer with a new email keep their old ``created``. Instead of
re-reading weeks of every list to catch them, each run reads the events of such changes since the
previous run (``/v1/events``; Stripe keeps 30 days) and loads each changed object as its newest
event shows it. The caller falls back to re-reading ``lookback_days`` of the list when the events
cannot vouch for the gap: the first run, a key without read access to events, or a previous run
older than the events Stripe still keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from storeboard.errors import SourceAuthError, SourceError
from storeboard.sources.stripe.helpers import StripeClient

logger = logging.getLogger(__name__)

#: The events that change an object of each loaded list after its creation (new objects are read
#: from the list itself). A dispute event carries the dispute; its charge is read again by id.
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "charges": ("charge.refunded", "charge.captured", "charge.updated", "charge.expired",
                "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
                "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated"),
    "payment_intents": ("payment_intent.succeeded", "payment_intent.canceled", "payment_intent.payment_failed",
                        "payment_intent.processing", "payment_intent.requires_action",
                        "payment_intent.amount_capturable_updated", "payment_intent.partially_funded"),
    "refunds": ("refund.updated", "refund.failed", "charge.refund.updated"),
    "customers": ("customer.updated",),
}
#: Events this many seconds older than the previous run's newest are read again: an event can
#: take a moment to be listed, and reading one twice changes nothing.
OVERLAP_SECONDS = 300
_OBJECT = {"charges": "charge", "payment_intents": "payment_intent", "refunds": "refund", "customers": "customer"}


def newest_event(client: StripeClient) -> int | None:
    """``created`` of the account's newest event; None when there is none or the key may not read
    events (a restricted key without that permission)."""
    try:
        body = client.get("/v1/events", {"limit": 1})
    except SourceAuthError as exc:
        logger.info("stripe: events are not readable with this key (%s); changed objects are found by "
                    "re-reading the look-back window", exc)
        return None
    except SourceError as exc:
        logger.warning("stripe: the events list failed (%s); the next run re-reads the look-back window", exc)
        return None
    data = body.get("data") or []
    created = data[0].get("created") if data and isinstance(data[0], dict) else None
    return created if isinstance(created, int) and not isinstance(created, bool) else None


def events_cover(client: StripeClient, since: int) -> bool:
    """Whether Stripe still lists events from ``since`` on: one created at or before it is listed."""
    try:
        body = client.get("/v1/events", {"limit": 1, "created[lte]": since})
    except SourceError:  # unreadable now: re-read the look-back window this time
        return False
    return bool(body.get("data"))


def changed_objects(client: StripeClient, kind: str, since: int, skip: set[str]) -> Iterator[Any]:
    """The objects of list ``kind`` changed by events created at or after ``since``, each once, as
    its newest event shows it; disputed charges are read again by id. Ids in ``skip`` (already
    loaded by this run) are left out."""
    object_type = _OBJECT[kind]
    seen: set[str] = set(skip)
    disputed: dict[str, None] = {}
    for page in client.iter_pages("events", since, filters={"types[]": list(EVENT_TYPES[kind])}):
        for event in page:  # newest first: the first event of an object is its latest state
            data = event.get("data") if isinstance(event, dict) else None
            obj = data.get("object") if isinstance(data, dict) else None
            if not isinstance(obj, dict):
                continue
            if obj.get("object") == "dispute":
                charge_id = obj.get("charge")
                if isinstance(charge_id, str) and charge_id not in seen:
                    disputed[charge_id] = None
                continue
            object_id = obj.get("id")
            if obj.get("object") != object_type or not isinstance(object_id, str) or object_id in seen:
                continue
            seen.add(object_id)
            if object_id not in disputed:
                yield obj
    for charge_id in disputed:  # the dispute changed the charge (disputed, amounts): its state now
        yield client.get(f"/v1/charges/{charge_id}")
