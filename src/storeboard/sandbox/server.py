"""Serving the sandbox: one ASGI app on one loopback port, one path prefix per API."""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from storeboard.sandbox.shopify import CostBucket, ShopifyAPI
from storeboard.sandbox.store import Store

logger = logging.getLogger(__name__)

#: Test credentials the sandbox accepts; documented in docs/sandbox.md.
SHOPIFY_TOKEN = "shpat_sandbox_0123456789abcdef"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_app(store: Store, shopify: ShopifyAPI | None = None) -> Starlette:
    """The sandbox's ASGI app serving ``store``."""
    shopify = shopify or ShopifyAPI(store, SHOPIFY_TOKEN)

    async def health(_request):
        return JSONResponse({"ok": True, "orders": len(store.orders)})

    app = Starlette(
        routes=[
            Route("/admin/api/{version}/graphql.json", shopify.graphql, methods=["POST"]),
            Route("/_sandbox/health", health),
        ]
    )
    app.state.shopify = shopify
    return app


class SandboxServer:
    """Runs the sandbox in a background thread on 127.0.0.1.

    Args:
        store: the store to serve.
        port: TCP port; 0 picks a free one.
        shopify_bucket: Shopify cost bucket (default: Standard plan, 2,000 points at 100/s).
    """

    def __init__(self, store: Store, port: int = 0, shopify_bucket: CostBucket | None = None):
        self.store = store
        self.port = port or free_port()
        self.shopify = ShopifyAPI(store, SHOPIFY_TOKEN, shopify_bucket)
        self.app = build_app(store, self.shopify)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "SandboxServer":
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

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
