"""``storeboard webhooks register``: the subscriptions each platform needs, printed or performed.

Shopify: one ``webhookSubscriptionCreate`` per topic (Admin GraphQL, validated against the
official schema in the tests), delivering to ``<public_url>/webhooks/shopify``; Shopify signs
with the app's client secret (``sources.shopify.client_secret``, or a legacy custom app's
``webhooks.shopify_secret``). The subscriptions are created with the connector's client, so the
token is exchanged from the client credentials when that form is configured. Stripe: one
``POST /v1/webhook_endpoints`` with the charge and refund events, delivering to
``<public_url>/webhooks/stripe``; Stripe returns the endpoint's signing secret once, which is
written to the ``.env`` beside the config as ``STRIPE_WEBHOOK_SECRET`` (never printed).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from storeboard.config import Config
from storeboard.errors import ConfigError, SourceError

SHOPIFY_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "ORDERS_DELETE", "REFUNDS_CREATE")
STRIPE_EVENTS = ("charge.succeeded", "charge.captured", "charge.updated", "charge.refunded", "charge.refund.updated",
                 "charge.dispute.created", "charge.dispute.closed", "refund.created", "refund.updated")

SUBSCRIBE_MUTATION = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""
PLACEHOLDER_URL = "https://<where Shopify and Stripe reach storeboard serve>"


@dataclass(frozen=True)
class Plan:
    """One platform's registration: where events go, which ones, and how to do it by hand."""

    platform: str
    callback_url: str
    subscriptions: tuple[str, ...]
    instructions: str


def _base(config: Config, required: bool) -> str:
    if config.webhooks.public_url:
        return config.webhooks.public_url
    if required:
        raise ConfigError("storeboard.yml: webhooks.public_url is not set: write the https:// address Shopify and "
                          "Stripe reach `storeboard serve` at, then run `storeboard webhooks register --apply` again")
    return PLACEHOLDER_URL


def plans(config: Config, require_url: bool = False) -> list[Plan]:
    """The registration of every configured platform (Shopify and Stripe sources)."""
    base = _base(config, require_url)
    out = []
    if config.sources.shopify is not None:
        url = f"{base}/webhooks/shopify"
        shopify = config.sources.shopify
        token = ("an access token from POST /admin/oauth/access_token (client credentials grant)"
                 if shopify.access_token is None else "the app's Admin API access token")
        steps = [f"POST {shopify.shop_url}/admin/api/{shopify.api_version}/graphql.json with X-Shopify-Access-Token "
                 f"({token}), once per topic:", SUBSCRIBE_MUTATION.strip()]
        steps += [json.dumps({"topic": t, "webhookSubscription": {"uri": url, "format": "JSON"}}) for t in SHOPIFY_TOPICS]
        if shopify.access_token is None:
            steps.append("Shopify signs deliveries with the app's client secret, which Storeboard already has "
                         "(sources.shopify.client_secret).")
        else:
            steps.append("Shopify signs a legacy custom app's deliveries with its API secret key: set "
                         "SHOPIFY_WEBHOOK_SECRET to it (webhooks.shopify_secret).")
        out.append(Plan("shopify", url, SHOPIFY_TOPICS, "\n".join(steps)))
    if config.sources.stripe is not None:
        url = f"{base}/webhooks/stripe"
        form = "&".join([f"url={url}"] + [f"enabled_events[]={e}" for e in STRIPE_EVENTS])
        steps = [f"POST {config.sources.stripe.base_url}/v1/webhook_endpoints (secret key, form-encoded):", form,
                 "or add the endpoint in the Stripe Dashboard (Developers → Webhooks) with these events.",
                 "Set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_…)."]
        out.append(Plan("stripe", url, STRIPE_EVENTS, "\n".join(steps)))
    return out


def register_shopify(config: Config, plan: Plan) -> list[str]:
    """Create the Shopify subscriptions; returns one line per topic (created, or why not).

    Raises:
        SourceError: Shopify could not be reached or refused the token.
    """
    from storeboard.sources import shopify

    client = shopify.client_for(config.sources.shopify)
    lines = []
    for topic in plan.subscriptions:
        variables = {"topic": topic, "webhookSubscription": {"uri": plan.callback_url, "format": "JSON"}}
        result = client.execute(SUBSCRIBE_MUTATION, variables).get("webhookSubscriptionCreate") or {}
        errors = result.get("userErrors") or []
        if errors:
            lines.append(f"{topic}: not created: {errors[0].get('message')}")
        else:
            lines.append(f"{topic}: subscribed ({(result.get('webhookSubscription') or {}).get('id')})")
    return lines


def register_stripe(config: Config, plan: Plan) -> str:
    """Create the Stripe endpoint and store its signing secret in ``.env``; returns a summary line.

    Raises:
        SourceError: Stripe could not be reached or refused the request.
    """
    import httpx

    settings = config.sources.stripe
    headers = {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"}
    if settings.api_version:
        headers["Stripe-Version"] = settings.api_version
    form = [("url", plan.callback_url)] + [("enabled_events[]", e) for e in plan.subscriptions]
    try:
        response = httpx.post(f"{settings.base_url}/v1/webhook_endpoints", data=form, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise SourceError("stripe", f"Stripe at {settings.base_url} could not be reached: {type(exc).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        message = str((body.get("error") or {}).get("message") or f"HTTP {response.status_code}")[:200]
        raise SourceError("stripe", f"Stripe refused the webhook endpoint at {settings.base_url}: {message}")
    secret = body.get("secret")
    if isinstance(secret, str) and secret:
        write_env(config.base_dir / ".env", "STRIPE_WEBHOOK_SECRET", secret)
        return f"endpoint {body.get('id')} created; its signing secret is in {config.base_dir / '.env'} as STRIPE_WEBHOOK_SECRET"
    return f"endpoint {body.get('id')} created; copy its signing secret from the Stripe Dashboard into STRIPE_WEBHOOK_SECRET"


def write_env(path: Path, name: str, value: str) -> None:
    """Set ``name`` in the ``.env`` file ``path`` (other lines kept), readable by the owner only."""
    kept = []
    if path.exists():
        kept = [line for line in path.read_text(encoding="utf-8").splitlines() if line.split("=", 1)[0] != name]
    path.write_text("\n".join(kept + [f"{name}={value}"]) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
