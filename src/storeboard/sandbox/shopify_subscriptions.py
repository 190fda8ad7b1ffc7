"""Shopify's ``webhookSubscriptionCreate`` mutation in the sandbox (what ``storeboard webhooks
register --apply`` calls).

One subscription per topic and address, as in the Admin API reference for
``webhookSubscriptionCreate`` (arguments ``topic`` and ``webhookSubscription { uri format }``;
payload ``webhookSubscription { id topic uri }`` and ``userErrors { field message }``). A second
subscription of the same topic to the same address is refused in ``userErrors`` with the message
Shopify gives for it ("Address for this topic has already been taken", as apps report it;
shopify.dev does not list the text), and nothing is created.
"""

from __future__ import annotations

import threading
from typing import Any

TAKEN = "Address for this topic has already been taken"


class WebhookSubscriptions:
    """The subscriptions one sandbox shop holds."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def create(self, topic: str, webhookSubscription: dict[str, Any], **_: Any) -> dict[str, Any]:
        """The mutation's payload."""
        uri = str(webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl") or "")
        with self._lock:
            if (topic, uri) in self.items:
                return {"webhookSubscription": None,
                        "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": TAKEN}]}
            subscription_id = f"gid://shopify/WebhookSubscription/{len(self.items) + 1}"
            self.items[(topic, uri)] = subscription_id
        return {"webhookSubscription": {"id": subscription_id, "topic": topic, "uri": uri,
                                        "__typename": "WebhookSubscription"},
                "userErrors": []}
