"""A running ``storeboard serve`` app (uvicorn on a free loopback port) for the webhook tests."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn

from storeboard.config import Config
from storeboard.sandbox.server import free_port
from storeboard.web.app import create_app


class ServedApp:
    """The dashboards app for ``config`` served by uvicorn in a thread, lifespan included."""

    def __init__(self, config: Config):
        self.app = create_app(config)
        self.port = free_port()
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, name="serve-under-test", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def applier(self):
        return self.app.state.webhook_applier

    def __enter__(self) -> ServedApp:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            assert time.monotonic() < deadline and self._thread.is_alive(), "serve did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=60)

    def get(self, path: str, **params) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=30)
