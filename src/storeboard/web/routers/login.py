"""Logging in and out (users from ``web.users``, throttled, CSRF-checked)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from storeboard.web import auth

router = APIRouter(tags=["login"])


def _safe_next(target: str | None) -> str:
    """Only a local path: never redirect to another site after login."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/revenue"
    return target


def require_csrf(request: Request, token: str | None) -> None:
    """Raises 403 unless ``token`` (form field or X-CSRF-Token header) matches the session's."""
    token = token or request.headers.get("x-csrf-token")
    if not auth.csrf_ok(request.state.session, token):
        raise HTTPException(status_code=403, detail="the form expired or came from another site: reload the page")


def _form(request: Request, error: str | None = None, status: int = 200, next_url: str = "/revenue"):
    return request.app.state.templates.TemplateResponse(
        request, "login.html", {"page": None, "nav": False, "error": error, "next": next_url}, status_code=status)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, next: str | None = None):
    return _form(request, next_url=_safe_next(next))


@router.post("/login", include_in_schema=False)
def login_submit(request: Request, username: str = Form("", max_length=200), password: str = Form("", max_length=1000),
                 csrf_token: str = Form(""), next: str = Form("/revenue")):
    require_csrf(request, csrf_token)
    settings = request.app.state.config.web
    client = request.client.host if request.client else "?"
    throttle = request.app.state.throttle
    if throttle.blocked(username, client):
        return _form(request, "Too many failed attempts: wait 15 minutes and try again.", 429, _safe_next(next))
    if not auth.check_login(settings, username, password):
        throttle.failed(username, client)
        return _form(request, "Wrong user name or password.", 401, _safe_next(next))
    throttle.succeeded(username, client)
    cookie, _session = request.app.state.sessions.issue(username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    request.app.state.sessions.set_cookie(response, request, cookie)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: str = Form("")):
    require_csrf(request, csrf_token)
    request.app.state.sessions.end(request.state.session)  # the cookie stops working, even if kept
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response
