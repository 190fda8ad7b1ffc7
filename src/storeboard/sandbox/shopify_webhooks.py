"""Shopify webhooks as Shopify sends them: REST-shaped JSON bodies, signed headers.

The body is the REST resource for the topic (snake_case keys, numeric ``id`` plus
``admin_graphql_api_id``), not the GraphQL shape. ``X-Shopify-Hmac-Sha256`` is the base64
HMAC-SHA256 of the raw body bytes keyed with the app's client secret; ``X-Shopify-Webhook-Id`` is
stable across retries of one delivery (the dedupe key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from storeboard.sandbox.credentials import SHOPIFY_WEBHOOK_SECRET
from storeboard.sandbox.shopify import SUPPORTED_VERSIONS, iso
from storeboard.sandbox.store import Order, Refund, Store

TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/delete", "refunds/create")


def sign(body: bytes, secret: str = SHOPIFY_WEBHOOK_SECRET) -> str:
    """Shopify's signature of a raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _amount(value) -> str:
    return f"{value:.2f}"


def refund_payload(refund: Refund, order: Order) -> dict[str, Any]:
    """The REST ``Refund`` resource (topic ``refunds/create``)."""
    return {
        "id": refund.refund_id,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund.refund_id}",
        "order_id": order.order_id,
        "created_at": iso(refund.created_at),
        "processed_at": iso(refund.created_at),
        "note": refund.note,
        "refund_line_items": [
            {"id": rl.refund_line_id, "line_item_id": rl.line_item_id, "quantity": rl.quantity,
             "subtotal": _amount(rl.subtotal), "total_tax": _amount(rl.tax),
             "restock_type": "return" if rl.restock else "no_restock"}
            for rl in refund.lines
        ],
        "order_adjustments": (
            [{"kind": "shipping_refund", "amount": _amount(-refund.shipping), "tax_amount": _amount(-refund.shipping_tax)}]
            if refund.shipping else []
        ) + (
            # money refunded beyond lines and shipping: REST's refund_discrepancy adjustment
            [{"kind": "refund_discrepancy", "amount": _amount(-refund.amount_only), "tax_amount": "0.00"}]
            if refund.amount_only else []
        ),
    }


def delete_order(order: Order, store: Store) -> dict[str, Any]:
    """Delete ``order`` from the store, as the admin's "Delete order" (or ``orderDelete``) does: it
    is gone from every read afterwards (``order(id:)`` is null), with no trace in the Admin
    GraphQL API (``deletionEvents`` covers products and collections only, and is deprecated).
    Returns the ``orders/delete`` body, which carries only the order's numeric id (shopify.dev,
    webhook topics reference, ``orders/delete``)."""
    store.orders.remove(order)
    store.revision += 1
    return {"id": order.order_id}


def order_payload(order: Order, store: Store) -> dict[str, Any]:
    """The REST ``Order`` resource (topics ``orders/*``)."""
    currency = store.shop.currency
    refunded = order.total_refunded
    return {
        "id": order.order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order.order_id}",
        "name": order.name,
        "order_number": order.number,
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "processed_at": iso(order.processed_at),
        "cancelled_at": iso(order.cancelled_at),
        "cancel_reason": order.cancel_reason.lower() if order.cancel_reason else None,
        "test": order.test,
        "currency": currency,
        "presentment_currency": order.presentment_currency or currency,
        "email": order.email,
        "source_name": order.source_name,
        "tags": ", ".join(order.tags),
        "taxes_included": order.taxes_included,
        "financial_status": "paid" if refunded == 0 else ("refunded" if refunded >= order.total_price else "partially_refunded"),
        "subtotal_price": _amount(order.subtotal),
        "total_discounts": _amount(order.total_discounts),
        "total_tax": _amount(order.total_tax),
        "total_price": _amount(order.total_price),
        "current_total_price": _amount(order.total_price - refunded),
        "discount_codes": [{"code": order.discount_code, "type": "percentage"}] if order.discount_code else [],
        "customer": (
            {"id": order.customer.customer_id, "email": order.customer.email,
             "admin_graphql_api_id": f"gid://shopify/Customer/{order.customer.customer_id}"}
            if order.customer else None
        ),
        "line_items": [
            {
                "id": li.line_item_id,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{li.line_item_id}",
                "sku": li.product.sku,
                "name": li.product.title,
                "quantity": li.quantity,
                "current_quantity": li.quantity - sum(rl.quantity for r in order.refunds for rl in r.lines
                                                      if rl.line_item_id == li.line_item_id),
                "price": _amount(li.unit_price),
                "total_discount": _amount(li.discount),
                "gift_card": li.product.is_gift_card,
                "variant_id": li.product.variant_id,
                "product_id": li.product.product_id,
                "discount_allocations": [{"amount": _amount(li.discount)}] if li.discount else [],
                "tax_lines": (
                    [{"title": t.title, "price": _amount(t.amount), "rate": float(t.rate)} for t in li.tax_lines]
                    if li.tax_lines else
                    [{"title": "Sales tax", "price": _amount(li.tax), "rate": 0.08}] if li.tax else []
                ),
            }
            for li in order.lines
        ],
        "shipping_lines": [{"title": "Standard", "price": _amount(order.shipping), "discounted_price": _amount(order.shipping)}],
        "refunds": [refund_payload(r, order) for r in order.refunds],
    }


def delivery(topic: str, payload: dict[str, Any], store: Store, secret: str = SHOPIFY_WEBHOOK_SECRET,
             webhook_id: str | None = None, api_version: str = SUPPORTED_VERSIONS[2]) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of one webhook delivery."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}; expected one of {TOPICS}")
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": store.shop.domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
    }
    return body, headers


def post_webhook(url: str, topic: str, payload: dict[str, Any], store: Store, secret: str = SHOPIFY_WEBHOOK_SECRET,
                 webhook_id: str | None = None, timeout: float = 5.0) -> httpx.Response:
    """POST one signed delivery to ``url`` (retries reuse ``webhook_id``, as Shopify's do)."""
    body, headers = delivery(topic, payload, store, secret, webhook_id)
    return httpx.post(url, content=body, headers=headers, timeout=timeout)
