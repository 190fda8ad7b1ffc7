"""Stripe webhook deliveries from the sandbox: events signed exactly as Stripe signs them.

``Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the endpoint
secret>``. Receivers verify it with the official libraries (``stripe.Webhook.construct_event``),
within their tolerance (300 s by default), so a delivery from here exercises the real check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from storeboard.sandbox.stripe import DEFAULT_API_VERSION
from storeboard.sandbox.stripe_data import StripeData, stripe_id

#: The signing secret of the sandbox's webhook endpoint (not a secret: a test credential).
STRIPE_WEBHOOK_SECRET = "whsec_sandbox_0123456789abcdef0123456789abcdef"


def sign(payload: bytes | str, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` (the exact bytes that are sent).

    Args:
        payload: the raw request body.
        secret: the endpoint's signing secret (``whsec_…``).
        timestamp: Unix seconds to sign at (default: now).
    """
    body = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def build_event(event_type: str, obj: dict[str, Any], created: int | None = None, livemode: bool | None = None,
                api_version: str = DEFAULT_API_VERSION, previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Stripe ``event`` object carrying ``obj`` (e.g. ``charge.refunded`` with the charge).

    Args:
        event_type: the event type, ``<object>.<verb>``.
        obj: the object as it is after the change.
        created: Unix seconds (default: now).
        livemode: default: the object's own ``livemode``.
        api_version: the endpoint's API version, which the payload shape follows.
        previous_attributes: the changed fields' earlier values, for ``*.updated``-style events.
    """
    created = int(time.time()) if created is None else created
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": stripe_id("evt", event_type, obj.get("id"), created),
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": obj.get("livemode", True) if livemode is None else livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def events_since(data: StripeData, since: int, api_version: str = DEFAULT_API_VERSION) -> list[dict[str, Any]]:
    """The sandbox's events created at or after ``since``, oldest first (the order to deliver them)."""
    start, end = data.created_bounds("events", since, None, None, None)  # render only these
    return [dict(data.at("events", i), api_version=api_version) for i in range(end - 1, start - 1, -1)]


def serialize(event: dict[str, Any]) -> bytes:
    """The body bytes of a delivery (what is signed and sent)."""
    return json.dumps(event, indent=2).encode("utf-8")


def post_event(url: str, event: dict[str, Any], secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None,
               client: httpx.Client | None = None) -> httpx.Response:
    """Deliver ``event`` to ``url`` the way Stripe does: JSON body, signed, Stripe's user agent.

    Returns:
        The receiver's response; Stripe counts any 2xx as delivered.
    """
    body = serialize(event)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": sign(body, secret, timestamp),
    }
    if client is not None:
        return client.post(url, content=body, headers=headers)
    with httpx.Client(timeout=30) as own:
        return own.post(url, content=body, headers=headers)
