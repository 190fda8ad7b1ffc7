"""Checking that a webhook delivery really comes from Shopify or Stripe, and reading what it says.

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the exact bytes
received, keyed with the app's client secret (a Dev Dashboard app's ``client_secret``, or a legacy
custom app's API secret key: ``Config.shopify_webhook_secret``). Stripe signs ``"<t>.<raw body>"``: the
``Stripe-Signature`` header carries ``t=<unix seconds>`` and one or more ``v1=<hex digest>``
(several while a secret is being rolled), and a signature whose ``t`` is further than the
tolerance from now is a replay. Both digests are compared in constant time, and nothing is
parsed before the signature checks out.

Every failure is a ``Rejected`` carrying the HTTP status the receiver answers with, so arbitrary
bytes and headers can only ever produce a clean 4xx.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BadSignature", "Malformed", "Rejected", "ShopifyDelivery", "Stale", "StripeDelivery", "verify_shopify",
    "verify_stripe",
]

#: Longest header value looked at; real ones are well under 200 characters.
MAX_HEADER_CHARS = 4096


class Rejected(Exception):
    """A delivery that is refused; ``status`` is the HTTP answer, the message says why (no secret)."""

    status = 400

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadSignature(Rejected):
    """The signature is missing or does not match the body (tampered, or the wrong secret)."""

    status = 401


class Stale(Rejected):
    """A correctly signed Stripe delivery whose timestamp is outside the tolerance: a replay."""

    status = 400


class Malformed(Rejected):
    """Signed correctly but not a webhook body this receiver understands (not JSON, no id)."""

    status = 400


@dataclass(frozen=True)
class ShopifyDelivery:
    """One verified Shopify delivery.

    Attributes:
        webhook_id: ``X-Shopify-Webhook-Id``, the same on every retry of one delivery.
        topic: ``X-Shopify-Topic`` such as ``orders/create``.
        shop_domain: ``X-Shopify-Shop-Domain``.
        payload: the decoded JSON body (the REST resource of the topic).
    """

    webhook_id: str
    topic: str
    shop_domain: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class StripeDelivery:
    """One verified Stripe delivery: the ``event`` object and its signature time (Unix seconds)."""

    event_id: str
    event_type: str
    created: int | None
    signed_at: int
    payload: dict[str, Any]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name) or headers.get(name.lower())
    if value is None:
        return None
    return value.strip()[:MAX_HEADER_CHARS]


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise Malformed("the body is not a JSON object")
    return payload


def shopify_signature(body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 of ``body`` keyed with ``secret``, as Shopify computes it."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def verify_shopify(body: bytes, headers: Mapping[str, str], secret: str) -> ShopifyDelivery:
    """Verify one Shopify delivery and decode it.

    Args:
        body: the raw request body, exactly as received.
        headers: the request headers (case-insensitive mapping, or lower-case keys).
        secret: the app's client secret.

    Returns:
        The verified delivery.

    Raises:
        BadSignature: no ``X-Shopify-Hmac-Sha256`` header, or it does not match the body.
        Malformed: signed, but without ``X-Shopify-Webhook-Id``/``X-Shopify-Topic`` or not a JSON object.
    """
    given = _header(headers, "X-Shopify-Hmac-Sha256")
    if not given:
        raise BadSignature("X-Shopify-Hmac-Sha256 is missing")
    try:
        given_digest = base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("X-Shopify-Hmac-Sha256 is not base64") from None
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    if not hmac.compare_digest(given_digest, expected):
        raise BadSignature("X-Shopify-Hmac-Sha256 does not match the body")
    webhook_id = _header(headers, "X-Shopify-Webhook-Id")
    topic = _header(headers, "X-Shopify-Topic")
    if not webhook_id or not topic:
        raise Malformed("X-Shopify-Webhook-Id or X-Shopify-Topic is missing")
    if len(webhook_id) > 200 or len(topic) > 100:
        raise Malformed("X-Shopify-Webhook-Id or X-Shopify-Topic is too long")
    return ShopifyDelivery(webhook_id, topic, _header(headers, "X-Shopify-Shop-Domain"), _json_object(body))


def _stripe_header(value: str) -> tuple[int, list[str]]:
    """``t`` and every ``v1`` of a ``Stripe-Signature`` value (other schemes such as ``v0`` ignored)."""
    stamp, signatures = None, []
    for item in value.split(","):
        key, _, val = item.strip().partition("=")
        if key == "t":
            if not val.isascii() or not val.isdigit() or len(val) > 12:
                raise BadSignature("Stripe-Signature has no valid timestamp")
            stamp = int(val)
        elif key == "v1" and val:
            signatures.append(val)
    if stamp is None:
        raise BadSignature("Stripe-Signature has no timestamp")
    if not signatures:
        raise BadSignature("Stripe-Signature has no v1 signature")
    return stamp, signatures


def stripe_signature(body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``, as Stripe computes it."""
    return hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def verify_stripe(body: bytes, headers: Mapping[str, str], secret: str, tolerance_seconds: int = 300,
                  now: float | None = None) -> StripeDelivery:
    """Verify one Stripe delivery and decode its event.

    Args:
        body: the raw request body, exactly as received.
        headers: the request headers.
        secret: the endpoint's signing secret (``whsec_…``).
        tolerance_seconds: largest accepted distance between the signature's ``t`` and now.
        now: the current Unix time (tests).

    Returns:
        The verified delivery.

    Raises:
        BadSignature: no or unreadable ``Stripe-Signature``, or no ``v1`` matches.
        Stale: the signature matches but its timestamp is outside the tolerance (a replay).
        Malformed: signed, but not an ``event`` object with an ``evt_`` id and a type.
    """
    value = _header(headers, "Stripe-Signature")
    if not value:
        raise BadSignature("Stripe-Signature is missing")
    stamp, signatures = _stripe_header(value)
    expected = stripe_signature(body, secret, stamp)
    # Compare with every v1 (secret rolling sends two); no early exit reveals which one matched.
    matched = False
    for given in signatures:
        matched |= hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii"))
    if not matched:
        raise BadSignature("Stripe-Signature does not match the body")
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance_seconds:
        raise Stale(f"Stripe-Signature timestamp is {int(current - stamp)} s from now, outside the "
                    f"{tolerance_seconds} s tolerance (a replayed or delayed delivery)")
    event = _json_object(body)
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not event_id.startswith("evt_") or len(event_id) > 255:
        raise Malformed("the body is not a Stripe event (no evt_ id)")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
        raise Malformed("the Stripe event has no type")
    if not isinstance(created, int) or isinstance(created, bool):
        created = None
    return StripeDelivery(event_id, event_type, created, stamp, event)
