"""Webhook receivers: ``POST /webhooks/shopify`` and ``POST /webhooks/stripe``.

The signature is the authentication (the login middleware lets ``/webhooks/`` through). A
receiver reads at most ``webhooks.max_body_bytes``, verifies the signature over the raw bytes,
stores the event once and answers at once; the background ``Applier`` loads the change and
rebuilds the revenue marts a few seconds later.

Answers (JSON ``{"status": …}`` or ``{"detail": …}``):

- 200 ``stored``: new event, applied shortly; 200 ``duplicate``: already received, nothing
  changed (a sender's retry must get a 2xx, or it keeps retrying and may disable the endpoint);
  200 ``ignored``: a topic or event type Storeboard does not load (stored for the record).
- 400: signed correctly but a Stripe timestamp outside the tolerance (replay) or a body that is
  not a webhook event; 401: missing or wrong signature; 404: webhooks are off or that
  platform's secret is not configured (Shopify: ``sources.shopify.client_secret``, else a legacy
  app's ``webhooks.shopify_secret``); 413: body too large; 503: the warehouse is unreachable
  (the sender retries later).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from storeboard.config import Config
from storeboard.errors import WarehouseError
from storeboard.webhooks import events, verify
from storeboard.webhooks.apply import Applier

logger = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    """The raw body, refusing to read more than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _receive(request: Request, platform: str) -> JSONResponse:
    config: Config = request.app.state.config
    settings = config.webhooks
    secret = config.shopify_webhook_secret if platform == "shopify" else settings.stripe_secret
    if not settings.enabled or secret is None:
        return JSONResponse({"detail": f"{platform} webhooks are not enabled on this server"}, status_code=404)
    try:
        body = await _body(request, settings.max_body_bytes)
    except _TooLarge:
        return JSONResponse({"detail": f"body larger than {settings.max_body_bytes} bytes"}, status_code=413)
    try:
        if platform == "shopify":
            delivery = verify.verify_shopify(body, request.headers, secret.get_secret_value())
            event = events.Event(f"shopify:{delivery.webhook_id}", "shopify", delivery.topic,
                                 events.shopify_objects(delivery.topic, delivery.payload), body)
        else:
            stripe = verify.verify_stripe(body, request.headers, secret.get_secret_value(), settings.tolerance_seconds)
            event = events.Event(f"stripe:{stripe.event_id}", "stripe", stripe.event_type,
                                 events.stripe_objects(stripe.event_type, stripe.payload), body)
    except verify.Rejected as exc:
        logger.warning("%s webhook rejected (%d): %s", platform, exc.status, exc.reason)
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    try:
        outcome = await run_in_threadpool(events.record, request.app.state.runtime.warehouse, event)
    except WarehouseError as exc:
        logger.error("%s webhook %s not stored: %s", platform, event.event_id, exc)
        return JSONResponse({"detail": "the warehouse is unavailable; retry later"}, status_code=503)
    logger.info("%s webhook %s (%s): %s", platform, event.event_id, event.topic, outcome)
    applier: Applier | None = getattr(request.app.state, "webhook_applier", None)
    if outcome == "stored" and applier is not None:
        applier.notify()
    return JSONResponse({"status": outcome, "event_id": event.event_id})


@router.post("/webhooks/shopify")
async def shopify(request: Request) -> JSONResponse:
    """A Shopify delivery (orders/create, orders/updated, orders/cancelled, refunds/create …)."""
    return await _receive(request, "shopify")


@router.post("/webhooks/stripe")
async def stripe(request: Request) -> JSONResponse:
    """A Stripe event delivery (charge.*, refund.*)."""
    return await _receive(request, "stripe")


def start(app: FastAPI) -> None:
    """Start the background applier when webhooks are on (called from the app's lifespan)."""
    config: Config = app.state.config
    if config.webhooks.enabled:
        app.state.webhook_applier = Applier(app.state.runtime).start()


def stop(app: FastAPI) -> None:
    """Stop the applier, letting a round in progress finish."""
    applier: Applier | None = getattr(app.state, "webhook_applier", None)
    if applier is not None:
        applier.stop()
        app.state.webhook_applier = None
