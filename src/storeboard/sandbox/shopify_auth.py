"""Imitation of Shopify's client credentials grant and of which Admin API tokens it accepts.

``POST /admin/oauth/access_token`` with ``grant_type=client_credentials``, ``client_id`` and
``client_secret`` (form-encoded as shopify.dev shows it, or JSON as Shopify's own Node library
``@shopify/shopify-api`` sends it, ``lib/auth/oauth/client-credentials``) answers
``{"access_token": "shpat_…", "scope": "…", "expires_in": 86399}`` (shopify.dev, "About client
credentials" and "Using the client credentials grant": tokens expire after about 24 hours). The
tokens it issues really expire; ``token_lifetime`` shortens their life for tests. An expired or
unknown token gets the Admin API's own 401 body. The legacy custom app's static token
(``credentials.SHOPIFY_TOKEN``) is accepted too, as Shopify keeps accepting existing legacy apps.

Refusals, each an OAuth error body (``error``, ``error_description``) with HTTP 400:

- ``app_not_installed`` "The application is not installed on this shop." when the app is not
  installed on the store (Shopify's token endpoint as reported in Shopify/shopify-api-ruby issue
  1322 and in the community.shopify.dev thread "Client Credentials Grant returning
  app_not_installed error despite app being installed").
- ``shop_not_permitted`` "Client credentials cannot be performed on this shop." when the app
  belongs to another organisation than the store (the grant "is only available for apps developed
  by your own organization and installed in stores that you own", shopify.dev "Using the client
  credentials grant"; the answer as quoted in the community.shopify.dev thread "Client
  credentials oauth flow from partner app not working").
- ``invalid_client`` for an unknown client ID or a wrong client secret: RFC 6749 section 5.2, which
  the page above names as the grant's definition. Shopify does not document the description text,
  so the connector relies on the ``error`` code only.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from storeboard.sandbox.credentials import SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET, SHOPIFY_TOKEN

#: Shopify's 401 body for a token it does not know or that has expired (Admin API).
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
#: What the sandbox app's version grants: the scopes docs/sources.md asks for.
GRANTED_SCOPES = "read_orders,read_all_orders,read_customers,read_products,read_inventory"
#: Seconds a token lives: Shopify answers 86399 (one second short of 24 hours).
DEFAULT_LIFETIME = 86399.0

_REFUSALS = {
    "invalid_client": "Client authentication failed: unknown client_id or wrong client_secret.",
    "app_not_installed": "The application is not installed on this shop.",
    "shop_not_permitted": "Client credentials cannot be performed on this shop.",
}


class ShopifyAuth:
    """The tokens one sandbox shop accepts, and the endpoint that grants them.

    Args:
        legacy_token: a legacy custom app's static Admin API token (always accepted).
        client_id, client_secret: the Dev Dashboard app's credentials.
        token_lifetime: seconds an issued token lives (``expires_in``).
        clock: time source (monotonic seconds).

    Attributes ``installed`` and ``same_organization`` switch the store to the two refusals
    Shopify gives a correctly identified app; ``issued`` counts grants.
    """

    def __init__(self, legacy_token: str = SHOPIFY_TOKEN, client_id: str = SHOPIFY_CLIENT_ID,
                 client_secret: str = SHOPIFY_CLIENT_SECRET, token_lifetime: float = DEFAULT_LIFETIME,
                 clock: Callable[[], float] = time.monotonic):
        self.legacy_token = legacy_token
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime = token_lifetime
        self.installed = True
        self.same_organization = True
        self.clock = clock
        #: makes each new token (tests swap it for one that makes canaries)
        self.new_token: Callable[[], str] = lambda: "shpat_" + secrets.token_hex(16)
        self.issued = 0
        self.rejected_expired = 0
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def accepts(self, token: str | None) -> bool:
        """True for the legacy token and for an issued token that has not expired."""
        if not token:
            return False
        if token == self.legacy_token:
            return True
        with self._lock:
            expiry = self._tokens.get(token)
            if expiry is None:
                return False
            if expiry <= self.clock():
                self.rejected_expired += 1
                return False
            return True

    def expire_tokens(self) -> None:
        """Every token issued so far expires now."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def grant(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        """The token endpoint's answer (status, body) to one request's parameters."""
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "The authorization grant type is not supported by the authorization server."}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 400, {"error": "invalid_client", "error_description": _REFUSALS["invalid_client"]}
        if not self.installed:
            return 400, {"error": "app_not_installed", "error_description": _REFUSALS["app_not_installed"]}
        if not self.same_organization:
            return 400, {"error": "shop_not_permitted", "error_description": _REFUSALS["shop_not_permitted"]}
        token = self.new_token()
        with self._lock:
            now = self.clock()
            # Forget long-expired tokens so a long test run does not grow the table.
            self._tokens = {t: e for t, e in self._tokens.items() if e > now - 3600}
            self._tokens[token] = now + self.token_lifetime
            self.issued += 1
        return 200, {"access_token": token, "scope": GRANTED_SCOPES, "expires_in": int(self.token_lifetime)}

    async def access_token(self, request: Request) -> JSONResponse:
        """``POST /admin/oauth/access_token``: form-encoded or JSON parameters."""
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            form = {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        else:
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        status, answer = self.grant(form)
        return JSONResponse(answer, status_code=status)

    async def control(self, request: Request) -> JSONResponse:
        """``POST /_sandbox/shopify/auth``: ``{"token_lifetime": 5, "installed": false,
        "same_organization": false, "expire_tokens": true}`` (all optional) for tests and demos
        that run the sandbox in another process."""
        body = json.loads(await request.body() or b"{}")
        if "token_lifetime" in body:
            self.token_lifetime = float(body["token_lifetime"])
        for flag in ("installed", "same_organization"):
            if flag in body:
                setattr(self, flag, bool(body[flag]))
        if body.get("expire_tokens"):
            self.expire_tokens()
        return JSONResponse({"token_lifetime": self.token_lifetime, "installed": self.installed,
                             "same_organization": self.same_organization, "issued": self.issued})
