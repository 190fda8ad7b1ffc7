"""The web application: assembles routers, templates, static files, login and the error handler."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from storeboard.config import Config
from storeboard.errors import StoreboardError, WarehouseError
from storeboard.runtime import Runtime, of
from storeboard.warehouse import WarehouseBusy, web_warehouse
from storeboard.web import auth
from storeboard.web.pages import NAVIGATION
from storeboard.web.routers import (
    assets,
    customers,
    explorer,
    health,
    inventory,
    login,
    marketing,
    products,
    revenue,
    webhooks,
)

HERE = Path(__file__).parent


def create_app(config: Config | Runtime) -> FastAPI:
    """Build the dashboards app for ``config`` (the warehouse is opened read-only per request).

    The app keeps one ``Runtime`` (``app.state.runtime``): the store's zone, currency and today
    are resolved from it per request, by the same rule as the email and the schedules, since a
    refresh in this process can record the shop's zone after the app started.

    With ``web.login`` on (the default) every page and API route needs a logged-in user from
    ``web.users``; with it off, only clients on this machine are served.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        assets.warm_up()
        webhooks.start(_app)
        yield
        webhooks.stop(_app)

    runtime = of(config)
    config = runtime.config
    app = FastAPI(title="Storeboard", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    app.state.config = config
    app.state.reader = web_warehouse(config, runtime.warehouse)
    app.state.sessions = auth.Sessions(config.web)
    app.state.throttle = auth.LoginThrottle(config.web.login_attempts)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["navigation"] = NAVIGATION
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (assets, login, revenue, marketing, customers, products, inventory, health, explorer, webhooks):
        app.include_router(module.router)
    app.add_middleware(auth.AuthMiddleware, settings=config.web, sessions=app.state.sessions)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/revenue")

    @app.exception_handler(StoreboardError)
    async def storeboard_error(request: Request, exc: StoreboardError):
        status = 503 if isinstance(exc, WarehouseError) else 500
        if request.url.path.startswith("/api/"):
            from fastapi.responses import JSONResponse

            return JSONResponse({"error": str(exc), "refreshing": isinstance(exc, WarehouseBusy)}, status_code=status)
        return templates.TemplateResponse(request, "error.html", {"page": None, "message": str(exc)}, status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            from fastapi.responses import JSONResponse

            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return templates.TemplateResponse(request, "error.html", {"page": None, "message": str(exc.detail)},
                                          status_code=exc.status_code)

    return app
