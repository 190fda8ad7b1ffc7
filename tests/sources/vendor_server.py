"""A tiny HTTP server on a loopback port that answers a connector with canned vendor responses.

The vendor-shape tests feed a connector objects built from the vendor's own samples and client
models, not from the sandbox: ``answer(method, path, params, body)`` returns the status and the
JSON body for each request, and every request is kept in ``requests`` for the test to check.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: ``answer(method, path, params, body)``: params maps each query name to its values (a list);
#: body is the request's JSON body (None for a GET). Returns (status, JSON body).
Answer = Callable[[str, str, dict[str, list[str]], Any], tuple[int, Any]]


class VendorServer:
    """``with VendorServer(answer) as server:`` then point the connector's base URL at ``server.url``."""

    def __init__(self, answer: Answer):
        self.answer = answer
        self.requests: list[tuple[str, str, dict[str, list[str]], Any]] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str) -> None:
                parts = urlsplit(self.path)
                params = parse_qs(parts.query, keep_blank_values=True)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                served.requests.append((method, parts.path, params, body))
                try:
                    status, payload = served.answer(method, parts.path, params, body)
                except Exception as exc:  # a test's own mistake: answer 500 with the reason
                    status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802 (http.server API)
                self._reply("GET")

            def do_POST(self):  # noqa: N802
                self._reply("POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> VendorServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
