"""Serving the sandbox: one ASGI app on one loopback port, one path prefix per API.

Each API imitation is a class with ``name``, ``prefixes``, ``routes()`` and
``error_response(status, reason)``; ``API_CLASSES`` lists them. The fault middleware sits in
front of all of them; ``/_sandbox/...`` is the control surface (faults, store changes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from storeboard.sandbox.credentials import SHOPIFY_TOKEN
from storeboard.sandbox.faults import TRANSPORT, Fault, FaultPlan
from storeboard.sandbox.generate import StoreGenerator
from storeboard.sandbox.google_ads import GoogleAdsAPI
from storeboard.sandbox.hubspot import HubSpotAPI
from storeboard.sandbox.meta import MetaAPI
from storeboard.sandbox.shopify import CostBucket, ShopifyAPI
from storeboard.sandbox.store import Store
from storeboard.sandbox.stripe import StripeAPI

logger = logging.getLogger(__name__)

__all__ = ["SHOPIFY_TOKEN", "SandboxServer", "build_app", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_classes() -> list[type]:
    """The API imitations served, Shopify first. Each new imitation adds itself here."""
    return [ShopifyAPI, StripeAPI, HubSpotAPI, MetaAPI, GoogleAdsAPI]


class FaultMiddleware:
    """Applies transport faults (429, 5xx, slow, drop, expired token) per API path prefix."""

    def __init__(self, app, apis: list[Any], faults: FaultPlan):
        self.app, self.apis, self.faults = app, apis, faults

    def _api_for(self, path: str):
        for api in self.apis:
            if any(path.startswith(p) for p in api.prefixes):
                return api
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        api = self._api_for(scope["path"])
        fault = self.faults.take(api.name, TRANSPORT, scope["path"]) if api else None
        if fault is None:
            return await self.app(scope, receive, send)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            return await self.app(scope, receive, send)
        if fault.kind == "drop":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
            await send({"type": "http.response.body", "body": b'{"data": {"orders": {"nodes": [{"id": "gid://', "more_body": True})
            raise ConnectionResetError("sandbox fault: connection dropped mid-body")
        status = 401 if fault.kind == "expired_token" else int(fault.kind)
        reason = "expired_token" if fault.kind == "expired_token" else "fault"
        # an API whose error shape depends on the endpoint (Google's searchStream) takes the path
        at_path = getattr(api, "error_response_at", None)
        response: Response = at_path(status, reason, scope["path"]) if at_path else api.error_response(status, reason)
        if status == 429:
            response.headers["Retry-After"] = str(int(fault.retry_after) if fault.retry_after >= 1 else fault.retry_after)
        await response(scope, receive, send)


def build_app(store: Store, apis: list[Any], faults: FaultPlan, generator: StoreGenerator | None = None) -> Starlette:
    """The sandbox's ASGI app serving ``store`` through ``apis``."""

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "orders": len(store.orders), "apis": [a.name for a in apis]})

    async def set_faults(request: Request) -> JSONResponse:
        body = json.loads(await request.body() or b"[]")
        try:
            for item in body if isinstance(body, list) else [body]:
                faults.add(Fault(**item))
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"faults": faults.pending()})

    async def clear_faults(_request: Request) -> JSONResponse:
        faults.clear()
        return JSONResponse({"faults": []})

    async def list_faults(_request: Request) -> JSONResponse:
        return JSONResponse({"faults": faults.pending(), "fired": {f"{a}:{k}": n for (a, k), n in faults.fired.items()}})

    async def advance(request: Request) -> JSONResponse:
        """Change the store now: ``{"orders": 5, "refunds": 2, "cancels": 1, "seed": 0}`` places new
        orders, refunds and cancels (with a refund) existing ones picked at random across the whole
        history (live mode, incremental tests, ``storeboard bench``). Answers once every API serves
        the new state: what the APIs derive from the store is rebuilt here, as a real API's indexes
        are always current, instead of inside the next client's first request."""
        if generator is None:
            return JSONResponse({"error": "this sandbox serves a fixed store"}, status_code=409)
        body = json.loads(await request.body() or b"{}")
        import random
        from datetime import UTC, datetime

        now = datetime.now(UTC).replace(microsecond=0)
        refunds, cancels = int(body.get("refunds", 0)), int(body.get("cancels", 0))
        changed: list[int] = []
        if refunds or cancels:
            rng = random.Random(body.get("seed", 0))
            untouched = [o for o in store.orders if not o.refunds and o.cancelled_at is None and not o.test]
            picked = rng.sample(untouched, min(len(untouched), refunds + cancels))
            for order in picked[:refunds]:
                generator.refund(order, now, full=rng.random() < 0.4)
            for order in picked[refunds:]:
                generator.cancel(order, now, refund=True)
            changed = [o.order_id for o in picked]
        new = generator.add_orders(int(body.get("orders", 0)), now)
        for api in apis:
            warm = getattr(api, "warm", None)
            if warm is not None:
                warm()
        return JSONResponse({"orders_added": [o.order_id for o in new], "orders_changed": changed,
                             "orders": len(store.orders)})

    routes = [
        Route("/_sandbox/health", health),
        Route("/_sandbox/faults", set_faults, methods=["POST"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/faults", list_faults, methods=["GET"]),
        Route("/_sandbox/advance", advance, methods=["POST"]),
    ]
    for api in apis:
        routes += api.routes()
    app = Starlette(routes=routes)
    app.add_middleware(FaultMiddleware, apis=apis, faults=faults)
    app.state.apis = {api.name: api for api in apis}
    return app


class SandboxServer:
    """Runs the sandbox in a background thread on 127.0.0.1.

    Args:
        store: the store to serve.
        port: TCP port; 0 picks a free one.
        shopify_bucket: Shopify cost bucket (default: Standard plan, 2,000 points at 100/s).
        generator: the store's generator, to let ``/_sandbox/advance`` add orders.
    """

    def __init__(self, store: Store, port: int = 0, shopify_bucket: CostBucket | None = None,
                 generator: StoreGenerator | None = None):
        self.store = store
        self.port = port or free_port()
        self.faults = FaultPlan()
        self.apis = [cls(store, faults=self.faults) for cls in api_classes()]
        self.shopify: ShopifyAPI = self.apis[0]
        if shopify_bucket is not None:
            self.shopify.bucket = shopify_bucket
        self.app = build_app(store, self.apis, self.faults, generator)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="critical", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, name: str) -> Any:
        """The imitation called ``name`` (``shopify``, ``stripe`` …)."""
        return next(a for a in self.apis if a.name == name)

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._server.run, name="storeboard-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"sandbox could not start on 127.0.0.1:{self.port}")
            time.sleep(0.02)
        logger.info("sandbox serving %d orders on %s", len(self.store.orders), self.url)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
