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
    #: the server-side id of a logged-in session (None for an anonymous one)
    sid: str | None = None


@dataclass
class _Live:
    username: str
    csrf: str
    issued: float
    #: the user's password hash when the session began: a new password ends the session
    password_hash: str


class Sessions:
    """Signs session cookies and keeps logged-in sessions on the server.

    A logged-in cookie carries only a random session id; the session itself lives here, so
    logging out, removing the user or changing their password ends it at once, and a restart
    ends every session. Anonymous sessions (a CSRF token for the login form) stay in the signed
    cookie, so visitors cannot fill the server's memory; logged-in ones are capped at
    ``MAX_SESSIONS`` (the oldest ends first).
    """

    MAX_SESSIONS = 10_000

    def __init__(self, settings: WebSettings):
        secret = settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="storeboard-session")
        self.settings = settings
        self.max_age = settings.session_hours * 3600
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()

    def _password_hash(self, username: str) -> str | None:
        user = next((u for u in self.settings.users if u.username == username), None)
        return user.password_hash if user else None

    def issue(self, username: str) -> tuple[str, Session]:
        csrf = secrets.token_urlsafe(24)
        if not username:
            return self._signer.dumps({"u": "", "c": csrf}), Session("", csrf)
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._live[sid] = _Live(username, csrf, time.monotonic(), self._password_hash(username) or "")
            while len(self._live) > self.MAX_SESSIONS:
                self._live.pop(next(iter(self._live)))
        return self._signer.dumps({"s": sid}), Session(username, csrf, sid)

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        if isinstance(data.get("s"), str):
            return self._logged_in(data["s"])
        if data.get("u") == "" and isinstance(data.get("c"), str):
            return Session("", data["c"])
        return None

    def _logged_in(self, sid: str) -> Session | None:
        with self._lock:
            live = self._live.get(sid)
            if live is None:
                return None
            current = self._password_hash(live.username)
            if time.monotonic() - live.issued > self.max_age or current is None or current != live.password_hash:
                del self._live[sid]  # expired, the user was removed, or their password changed
                return None
            return Session(live.username, live.csrf, sid)

    def end(self, session: Session | None) -> None:
        """Log ``session`` out: its cookie stops working at once."""
        if session and session.sid:
            with self._lock:
                self._live.pop(session.sid, None)

    def end_user(self, username: str) -> None:
        """End every session of ``username`` (removed, or given a new password)."""
        with self._lock:
            for sid in [sid for sid, live in self._live.items() if live.username == username]:
                del self._live[sid]

    def set_cookie(self, response: Response, request: Request, value: str) -> None:
        response.set_cookie(
            SESSION_COOKIE, value, max_age=self.max_age, httponly=True, samesite="lax",
            secure=request.url.scheme == "https", path="/",
        )


class LoginThrottle:
    """At most ``attempts`` failed logins per (user name, client address) in ``window`` seconds,
    and at most ten times that per client address, whatever the names tried. At most
    ``max_keys`` pairs are remembered: past that, the ones without a recent failure are
    forgotten first, then the oldest (a flood of made-up names cannot fill the memory)."""

    def __init__(self, attempts: int, window: float = 900.0, max_keys: int = 10_000):
        self.attempts = attempts
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def _bound(self, now: float) -> None:
        if len(self._failures) <= self.max_keys:
            return
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) > self.max_keys:
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]

    def blocked(self, username: str, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return (len(self._recent(f"{username}|{client}", now)) >= self.attempts
                    or len(self._recent(f"*|{client}", now)) >= self.attempts * 10)

    def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"{username}|{client}", f"*|{client}"):
                self._failures[key] = self._recent(key, now) + [now]
            self._bound(now)

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop(f"{username}|{client}", None)

    def __len__(self) -> int:
        return len(self._failures)


def check_login(settings: WebSettings, username: str, password: str) -> bool:
    """True when ``username`` is configured and ``password`` is theirs (constant-ish time)."""
    # compared as UTF-8 bytes: compare_digest refuses non-ASCII str (a 500 for "alice\u200b")
    given = username.encode("utf-8", "surrogatepass")
    user = next((u for u in settings.users if hmac.compare_digest(u.username.encode("utf-8"), given)), None)
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


#: a request that came through a reverse proxy is not local, whatever its socket address:
#: ``Forwarded``, ``X-Real-IP`` and every ``X-Forwarded-*`` (a lone ``X-Forwarded-Proto`` too)
PROXY_HEADERS = (b"forwarded", b"x-real-ip")
PROXY_PREFIX = b"x-forwarded-"
#: on every response. Scripts only from this server and never evaluated from strings (charts
#: run Vega's expression interpreter, static/charts.js); vega-embed adds its own styles, hence
#: inline styles
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; "
                                 b"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
                                 b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
#: names this server always answers to (the Host header, without the port)
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def proxied(scope: Scope) -> bool:
    """True when a reverse-proxy header came with the request."""
    return any(k.lower() in PROXY_HEADERS or k.lower().startswith(PROXY_PREFIX) for k, _v in scope.get("headers", []))


def host_name(scope: Scope) -> str:
    """The Host header's name, lower case, without the port or IPv6 brackets."""
    host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"host"), "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_hosts(settings: WebSettings) -> set[str]:
    """``LOCAL_NAMES``, ``web.host`` (unless it listens everywhere) and ``web.hosts``."""
    names = set(LOCAL_NAMES) | {h.lower().strip("[]") for h in settings.hosts}
    if settings.host not in ("0.0.0.0", "::", ""):
        names.add(settings.host.lower().strip("[]"))
    return names


def login_required(settings: WebSettings) -> bool:
    """Login applies when it is on and someone can log in; otherwise only local clients are served."""
    return settings.login and bool(settings.users)


def csrf_ok(session: Session | None, token: str | None) -> bool:
    return bool(session and token and hmac.compare_digest(session.csrf.encode(), token.encode("utf-8", "surrogatepass")))


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
        self.hosts = allowed_hosts(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        if scope["path"].startswith(WEBHOOK_PREFIX):
            await self.app(scope, receive, send_secured)
            return
        if host_name(scope) not in self.hosts:
            # DNS rebinding: a page on another name that resolves here must not read the answers
            response = PlainTextResponse("Unknown host name: add it to web.hosts in storeboard.yml.", status_code=400)
            await response(scope, receive, send_secured)
            return
        await self._serve(scope, receive, send_secured)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
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
            if not is_loopback(client[0]) or proxied(scope):
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
