"""Shopify webhooks from the sandbox: REST bodies, signatures a receiver can verify."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from storeboard.sandbox.credentials import SHOPIFY_WEBHOOK_SECRET
from storeboard.sandbox.server import free_port
from storeboard.sandbox.shopify_webhooks import order_payload, post_webhook, refund_payload


def test_signed_order_and_refund_webhooks_reach_a_receiver(generator):
    received: list[tuple[bytes, dict]] = []

    async def receive(request):
        received.append((await request.body(), dict(request.headers)))
        return Response(status_code=200)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hooks", receive, methods=["POST"])]),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        order = next(o for o in generator.store.orders if o.refunds)
        url = f"http://127.0.0.1:{port}/hooks"
        assert post_webhook(url, "orders/create", order_payload(order, generator.store), generator.store).status_code == 200
        assert post_webhook(url, "refunds/create", refund_payload(order.refunds[0], order), generator.store,
                            webhook_id="fixed-id").status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=5)

    (order_body, order_headers), (refund_body, refund_headers) = received
    for body, headers in received:
        expected = base64.b64encode(hmac.new(SHOPIFY_WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        assert hmac.compare_digest(headers["x-shopify-hmac-sha256"], expected)
        assert headers["x-shopify-shop-domain"] == generator.store.shop.domain
    assert order_headers["x-shopify-topic"] == "orders/create"
    assert refund_headers["x-shopify-webhook-id"] == "fixed-id"
    payload = json.loads(order_body)
    assert payload["id"] == order.order_id and payload["admin_graphql_api_id"].endswith(str(order.order_id))
    assert payload["line_items"][0]["sku"] == order.lines[0].product.sku
    assert json.loads(refund_body)["order_id"] == order.order_id
