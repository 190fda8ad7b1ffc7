"""Where the Shopify connector's Admin API token comes from.

Two forms (``sources.shopify``): a legacy custom app's static ``access_token``, or a Dev Dashboard
app's ``client_id`` + ``client_secret``, exchanged for a token with the client credentials grant
(shopify.dev, "Using the client credentials grant": ``POST {shop}/admin/oauth/access_token``,
``grant_type=client_credentials``, answer ``access_token``, ``scope``, ``expires_in`` of about 24
hours). The exchanged token lives in this process's memory only: it is never logged, stored or
shown. It is renewed before ``expires_in`` runs out (with a margin) and once more when the Admin
API answers 401, so a run longer than a token's life (a large backfill, a bulk operation polled
for hours) goes on with a new one. Threads share one token and one renewal at a time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from dlt.sources.helpers import requests

from storeboard.config import ShopifySettings
from storeboard.errors import SourceAuthError, SourceError
from storeboard.sources.json_body import loads

SOURCE = "shopify"
TOKEN_PATH = "/admin/oauth/access_token"
#: Renew this long before the token would expire (at most half its life, for short-lived tokens).
RENEW_MARGIN_SECONDS = 300.0


class StaticToken:
    """A legacy custom app's Admin API token: it does not expire and cannot be renewed."""

    def __init__(self, token: str):
        self._token = token

    def token(self) -> str:
        return self._token

    def renew(self, rejected: str) -> str | None:
        """Nothing to renew: a rejected static token stays rejected."""
        return None

    def rejected_message(self, shop_url: str, status: int) -> str:
        return (f"Shopify returned {status} for {shop_url}: check SHOPIFY_ACCESS_TOKEN (an Admin API token with "
                "read_orders), then run `storeboard doctor`")


@dataclass(frozen=True)
class Grant:
    """One successful exchange: the token (never printed), its granted scopes and lifetime."""

    token: str
    scope: str
    expires_in: float

    def __repr__(self) -> str:  # the token never reaches a log line or a traceback
        return f"Grant(scope={self.scope!r}, expires_in={self.expires_in!r})"


class ClientCredentials:
    """A Dev Dashboard app's client ID and secret, exchanged for Admin API tokens when needed.

    Args:
        shop_url: ``https://<shop>.myshopify.com`` (or a sandbox address).
        client_id: the app's client ID (not secret).
        client_secret: the app's client secret; never logged.
        max_attempts: tries per exchange on 429/5xx/connection errors.
        clock: monotonic seconds (tests move time).
    """

    def __init__(self, shop_url: str, client_id: str, client_secret: str, max_attempts: int = 6,
                 clock: Callable[[], float] = time.monotonic):
        self.shop_url = shop_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._grant: Grant | None = None
        self._renew_at = 0.0
        #: exchanges made so far (the tests count renewals)
        self.exchanges = 0
        self._session = requests.Client(
            request_timeout=60, raise_for_status=False, request_max_attempts=max_attempts, request_max_retry_delay=60
        ).session

    def token(self) -> str:
        """A token that is not about to expire, exchanging for a new one when it is due."""
        with self._lock:
            if self._grant is None or self._clock() >= self._renew_at:
                self._exchange()
            return self._grant.token

    def renew(self, rejected: str) -> str:
        """A token other than ``rejected`` (which the Admin API refused): a new one, unless
        another thread has already replaced it."""
        with self._lock:
            if self._grant is None or self._grant.token == rejected:
                self._exchange()
            return self._grant.token

    def grant(self) -> Grant:
        """A fresh exchange (``storeboard doctor``); the client keeps using it."""
        with self._lock:
            self._exchange()
            return self._grant

    def rejected_message(self, shop_url: str, status: int) -> str:
        return (f"Shopify returned {status} for {shop_url} to a token just exchanged from the app's client "
                "credentials: check the app's installation and access scopes in the Dev Dashboard, then run "
                "`storeboard doctor`")

    def _exchange(self) -> None:
        """Run the grant; callers hold the lock."""
        url = self.shop_url + TOKEN_PATH
        try:
            response = self._session.post(url, data={
                "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret,
            }, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise SourceError(SOURCE, f"Shopify's token endpoint at {self.shop_url} could not be reached: "
                                      f"{type(exc).__name__}") from None
        try:
            body = loads(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SourceError(SOURCE, f"Shopify's token endpoint at {self.shop_url} sent a response that is not a "
                                      f"JSON object (HTTP {response.status_code})")
        if response.status_code == 200 and isinstance(body.get("access_token"), str) and body["access_token"]:
            lifetime = _seconds(body.get("expires_in"))
            self._grant = Grant(body["access_token"], str(body.get("scope") or ""), lifetime)
            self._renew_at = self._clock() + max(lifetime - RENEW_MARGIN_SECONDS, lifetime / 2)
            self.exchanges += 1
            return
        raise _refusal(self.shop_url, response.status_code, body)


def _seconds(value: object) -> float:
    """``expires_in`` as seconds; Shopify's tokens last about a day when it is missing."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 86399.0
    return seconds if seconds > 0 else 86399.0


def _refusal(shop_url: str, status: int, body: dict) -> SourceError:
    """The error for a refused exchange: one message per cause Shopify names."""
    error = str(body.get("error") or "")[:60]
    if error == "invalid_client":
        return SourceAuthError(SOURCE, f"Shopify rejected the app's client credentials for {shop_url} (invalid_client): "
                                       "check sources.shopify.client_id and SHOPIFY_CLIENT_SECRET against the app's "
                                       "Settings page in the Dev Dashboard (a rotated secret invalidates the old one)")
    if error == "app_not_installed":
        return SourceAuthError(SOURCE, f"the app is not installed on {shop_url} (app_not_installed): in the Dev "
                                       "Dashboard open the app, release a version with the scopes Storeboard needs, "
                                       "and install it on this store")
    if error == "shop_not_permitted":
        return SourceAuthError(SOURCE, f"Shopify does not allow the client credentials grant for this app on {shop_url} "
                                       "(shop_not_permitted): the grant works only for an app made in the Dev Dashboard "
                                       "of the organization that owns the store; create the app there, or use the "
                                       "legacy access_token form if the store still has a legacy custom app")
    if status in (400, 401, 403):
        return SourceAuthError(SOURCE, f"Shopify refused the client credentials grant for {shop_url} "
                                       f"({error or f'HTTP {status}'}): check sources.shopify.client_id and "
                                       "SHOPIFY_CLIENT_SECRET, then run `storeboard doctor`")
    if status == 404:
        return SourceError(SOURCE, f"Shopify returned 404 for {shop_url}{TOKEN_PATH}: check sources.shopify.shop_url")
    # Worded like the API's own outage message (docs/reliability.md): with a Dev Dashboard app the
    # token endpoint is the first request a run makes, so it is where an outage shows first.
    return SourceError(SOURCE, f"Shopify returned HTTP {status} for {shop_url}{TOKEN_PATH} after retries: the shop "
                               "may be down or rate-limiting; the next run resumes where this one stopped")


#: Providers shared by every client of this process, so a ``storeboard serve`` that re-reads
#: webhook orders and refreshes on schedule exchanges once per token life, not once per client.
_shared: dict[tuple[str, str, str], ClientCredentials] = {}
_shared_lock = threading.Lock()


def provider_for(settings: ShopifySettings) -> StaticToken | ClientCredentials:
    """The token source the ``sources.shopify`` block configures."""
    if settings.access_token is not None:
        return StaticToken(settings.access_token.get_secret_value())
    secret = settings.client_secret.get_secret_value()
    # Keyed by a digest: the secret itself is not copied into another structure.
    key = (settings.shop_url, settings.client_id, hashlib.sha256(secret.encode()).hexdigest())
    with _shared_lock:
        if key not in _shared:
            _shared[key] = ClientCredentials(settings.shop_url, settings.client_id, secret, settings.max_attempts)
        return _shared[key]


def describe(settings: ShopifySettings) -> str:
    """``storeboard doctor``'s line on Shopify's credentials: the form in use, and for client
    credentials that a fresh exchange works and how long its token lives.

    Raises:
        SourceAuthError: the exchange was refused (wrong secret, app not installed, another
            organization's app), each with its own message.
        SourceError: the token endpoint could not be reached.
    """
    if settings.access_token is not None:
        return "legacy access token (a custom app made in the Shopify admin); it does not expire"
    fresh = ClientCredentials(settings.shop_url, settings.client_id, settings.client_secret.get_secret_value(),
                              max_attempts=1)
    grant = fresh.grant()
    hours, rest = divmod(int(grant.expires_in), 3600)
    lifetime = f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"
    return (f"client credentials (Dev Dashboard app {settings.client_id}): token exchange works, "
            f"a token lives {lifetime} ({int(grant.expires_in)} s) and is renewed before it expires")
