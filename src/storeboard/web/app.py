"""The web application: assembles routers, templates, static files and the error handler."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from storeboard.config import Config
from storeboard.errors import StoreboardError, WarehouseError
from storeboard.web.routers import assets, revenue

HERE = Path(__file__).parent


def create_app(config: Config) -> FastAPI:
    """Build the dashboards app for ``config`` (the warehouse is opened read-only per request)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        assets.warm_up()
        yield

    app = FastAPI(title="Storeboard", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.config = config
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(assets.router)
    app.include_router(revenue.router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/revenue")

    @app.exception_handler(StoreboardError)
    async def storeboard_error(request: Request, exc: StoreboardError):
        status = 503 if isinstance(exc, WarehouseError) else 500
        return app.state.templates.TemplateResponse(
            request, "error.html", {"page": None, "message": str(exc)}, status_code=status
        )

    return app
