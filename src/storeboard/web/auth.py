"""Who may see the dashboards: password hashes, signed session cookies, CSRF tokens, throttling.

A session is a cookie signed with ``web.session_secret`` (HttpOnly, SameSite=Lax, Secure when the
request came over HTTPS) holding the user name, a CSRF token and when it was issued. Every POST
must echo the CSRF token in a form field or an ``X-CSRF-Token`` header. With ``web.login: false``
(or with no users configured yet, as in ``storeboard demo``) only clients on the machine itself
(127.0.0.1 / ::1, not through a reverse proxy) are served, so a dashboard without a login can
never be reached from the network.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from storeboard.config import WebSettings

SESSION_COOKIE = "storeboard_session"
#: paths anyone may fetch: the login form and the static assets it needs
PUBLIC_PATHS = ("/login", "/static/", "/favicon.ico")
#: webhook receivers: the sender's signature is their authentication, not a session or the client address
WEBHOOK_PREFIX = "/webhooks/"
_HASHER = PasswordHasher()
#: verified against when the user name is unknown, so timing does not reveal which names exist
_DUMMY_HASH = _HASHER.hash("storeboard-no-such-user")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` for ``web.users`` in storeboard.yml."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches an argon2 or bcrypt hash."""
    if password_hash.startswith("$2"):
        try:
            import bcrypt
        except ImportError:  # bcrypt hashes work only when the bcrypt package is installed
            return False
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class Session:
    username: str
    csrf: str


class Sessions:
    """Signs and reads session cookies."""

    def __init__(self, settings: WebSettings):
        secret = settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="storeboard-session")
        self.max_age = settings.session_hours * 3600

    def issue(self, username: str) -> tuple[str, Session]:
        session = Session(username, secrets.token_urlsafe(24))
        return self._signer.dumps({"u": session.username, "c": session.csrf}), session

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("c"), str):
            return None
        return Session(data["u"], data["c"])

    def set_cookie(self, response: Response, request: Request, value: str) -> None:
        response.set_cookie(
            SESSION_COOKIE, value, max_age=self.max_age, httponly=True, samesite="lax",
            secure=request.url.scheme == "https", path="/",
        )


class LoginThrottle:
    """At most ``attempts`` failed logins per (user name, client address) in ``window`` seconds,
    and at most ten times that per client address, whatever the names tried."""

    def __init__(self, attempts: int, window: float = 900.0):
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        self._failures[key] = times
        return times

    def blocked(self, username: str, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return (len(self._recent(f"{username}|{client}", now)) >= self.attempts
                    or len(self._recent(f"*|{client}", now)) >= self.attempts * 10)

    def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"{username}|{client}", f"*|{client}"):
                self._recent(key, now).append(now)

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop(f"{username}|{client}", None)


def check_login(settings: WebSettings, username: str, password: str) -> bool:
    """True when ``username`` is configured and ``password`` is theirs (constant-ish time)."""
    user = next((u for u in settings.users if hmac.compare_digest(u.username, username)), None)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return False
    return verify_password(user.password_hash, password)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: a request that came through a reverse proxy is not local, whatever its socket address
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host")


def login_required(settings: WebSettings) -> bool:
    """Login applies when it is on and someone can log in; otherwise only local clients are served."""
    return settings.login and bool(settings.users)


def csrf_ok(session: Session | None, token: str | None) -> bool:
    return bool(session and token and hmac.compare_digest(session.csrf, token))


class AuthMiddleware:
    """Rejects anonymous requests to every page and API route when login is on; with login off,
    rejects every client that is not on this machine.

    A request without a valid session cookie gets an anonymous one (no user, a CSRF token), so
    the login form, and everything when login is off, is protected against cross-site POSTs too.
    """

    def __init__(self, app: ASGIApp, settings: WebSettings, sessions: Sessions):
        self.app = app
        self.settings = settings
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(WEBHOOK_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = self.sessions.read(request.cookies.get(SESSION_COOKIE))
        new_cookie = None
        if session is None:
            new_cookie, session = self.sessions.issue("")
        scope.setdefault("state", {})
        scope["state"]["session"] = session
        path = scope["path"]
        if not login_required(self.settings):
            scope["state"]["user"] = session.username or "local"
            client = scope.get("client") or (None, None)
            if not is_loopback(client[0]) or any(request.headers.get(h) for h in PROXY_HEADERS):
                why = "web.login is off" if not self.settings.login else "no users are configured"
                response = PlainTextResponse(
                    f"Storeboard answers only this machine because {why}: add a user with "
                    "`storeboard user add NAME` and keep web.login: true.", status_code=403)
                await response(scope, receive, send)
                return
        else:
            scope["state"]["user"] = session.username or None
            if not session.username and not path.startswith(PUBLIC_PATHS):
                await self._reject(request)(scope, receive, send)
                return
        if new_cookie is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message) -> None:
            if message["type"] == "http.response.start":
                cookie = Response()
                self.sessions.set_cookie(cookie, request, new_cookie)
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in cookie.raw_headers if k == b"set-cookie"]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _reject(request: Request) -> Response:
        wants_html = request.method == "GET" and "text/html" in request.headers.get("accept", "")
        if wants_html and not request.url.path.startswith("/api/"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return JSONResponse({"detail": "log in first"}, status_code=401)
