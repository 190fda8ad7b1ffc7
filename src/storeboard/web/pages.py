"""What a dashboard page is made of, and the three routes every page gets.

A router builds a ``Page`` (tiles, charts, tables) from the marts; ``add_dashboard`` serves it as
HTML (``/<name>``), as JSON (``/api/<name>``) and each table as CSV (``/<name>/<table>.csv``),
all from the same ``Page``, so the CSV always matches the table on screen. A chart names the
table that holds its data, so every chart downloads as CSV too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from storeboard.config import Config
from storeboard.presentation.formatting import change, value as format_value
from storeboard.runtime import StoreContext
from storeboard.web import health, periods, queries
from storeboard.web.dependencies import ConnectionDep

#: (path, label) of every page, in navigation order
NAVIGATION = [
    ("/revenue", "Revenue"), ("/marketing", "Marketing"), ("/customers", "Customer LTV"),
    ("/products", "Product margin"), ("/inventory", "Inventory"), ("/health", "Data health"), ("/sql", "SQL"),
]


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text, money, count, pct, ratio, days, number, number4, date, bool
    phone: bool = True  # False: hidden below 600 px, still in the CSV


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    flag: str | None = None  # row key whose truthy value highlights the row
    flag_label: str = ""
    note: str = ""
    empty: str = "Nothing in this range."
    hidden: bool = False  # the data of a chart, shown only on request


@dataclass
class Chart:
    id: str
    title: str
    spec: dict[str, Any]
    table: str
    description: str


@dataclass
class Tile:
    key: str
    label: str
    value: Any
    kind: str
    comparisons: list[tuple[str, Any]] = field(default_factory=list)  # (label, base value)
    note: str = ""
    up_is_good: bool | None = True  # False for costs (CAC): a rise shows as bad; None: neutral


@dataclass
class Page:
    name: str
    title: str
    tiles: list[Tile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    controls: list[dict[str, Any]] = field(default_factory=list)  # extra <select>s in the filter form
    unavailable: str | None = None
    range_note: str = ""
    uses_range: bool = True

    def table(self, table_id: str) -> Table:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise HTTPException(status_code=404, detail=f"no table {table_id!r} on this page")


@dataclass
class Context:
    """Everything a page builder needs: the connection, config, store and the chosen range."""

    conn: Any
    config: Config
    store: StoreContext
    today: date
    range: periods.DateRange
    params: dict[str, str]

    @property
    def currency(self) -> str:
        return self.store.currency


Builder = Callable[[Context], Page]


def make_context(request: Request, conn, default_preset: str = "30d") -> Context:
    params = dict(request.query_params)
    store = request.app.state.runtime.store(conn)
    bounds = queries.revenue_bounds(conn)
    today = periods.store_today(store, bounds[1] if bounds else None)
    chosen = periods.resolve(params.get("start"), params.get("end"), params.get("preset"), today, default_preset)
    return Context(conn, request.app.state.config, store, today, chosen, params)


def missing(page: Page, *marts: str, conn) -> bool:
    """Mark ``page`` unavailable when one of ``marts`` has not been built yet."""
    absent = [m for m in marts if not queries.mart_exists(conn, m)]
    if absent:
        page.unavailable = (f"Not available yet: the mart{'s' if len(absent) > 1 else ''} {', '.join(absent)} "
                            "has not been built. Run `storeboard run` (or wait for the next refresh).")
    return bool(absent)


def plain(raw: Any) -> Any:
    """A JSON / CSV-safe value: decimals and dates as strings, exactly."""
    if isinstance(raw, Decimal):
        return str(raw)
    if isinstance(raw, date):
        return raw.isoformat()
    return raw


#: a text cell starting with one of these is a formula to a spreadsheet (=HYPERLINK(…), +cmd|…)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(raw: Any) -> Any:
    """A CSV cell: ``plain`` values, and text a spreadsheet would run as a formula prefixed with
    ``'`` so it shows as text (OWASP's advice on CSV injection). Numbers stay numbers."""
    if raw is None:
        return ""
    if isinstance(raw, str) and raw.startswith(FORMULA_STARTS):
        return "'" + raw
    return plain(raw)


def csv_text(header: list[str], rows) -> str:
    """``rows`` as CSV under ``header``, every cell through ``csv_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue()


def to_csv(table: Table) -> str:
    return csv_text([c.label for c in table.columns], ([row.get(c.key) for c in table.columns] for row in table.rows))


def render(request: Request, conn, ctx: Context | None, page: Page) -> HTMLResponse:
    currency = ctx.currency if ctx else "USD"
    template_ctx = {
        "page": page.name, "p": page, "ctx": ctx, "currency": currency,
        "fmt": lambda raw, kind: format_value(raw, kind, currency), "change": change,
        "banner": health.banner(conn, request.app.state.config),
        "presets": periods.presets(ctx.today) if ctx else [],
        "query": _query_without(request, ("start", "end", "preset")),
        "query_string": request.url.query,
    }
    return request.app.state.templates.TemplateResponse(request, "dashboard.html", template_ctx)


def _query_without(request: Request, keys: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k not in keys]


def add_dashboard(router: APIRouter, name: str, build: Builder, default_preset: str = "30d") -> None:
    """Serve ``build``'s page at ``/<name>``, ``/api/<name>`` and ``/<name>/<table>.csv``."""

    def html(request: Request, conn: ConnectionDep) -> HTMLResponse:
        ctx = make_context(request, conn, default_preset)
        return render(request, conn, ctx, build(ctx))

    def api(request: Request, conn: ConnectionDep) -> dict[str, Any]:
        ctx = make_context(request, conn, default_preset)
        page = build(ctx)
        return {
            "page": name, "currency": ctx.currency, "timezone": ctx.store.timezone,
            "start": ctx.range.start.isoformat(), "end": ctx.range.end.isoformat(),
            "unavailable": page.unavailable,
            "tiles": {t.key: plain(t.value) for t in page.tiles},
            "tables": {t.id: [{c.key: plain(r.get(c.key)) for c in t.columns} for r in t.rows] for t in page.tables},
        }

    def export(request: Request, conn: ConnectionDep, table_id: str) -> Response:
        ctx = make_context(request, conn, default_preset)
        table = build(ctx).table(table_id)
        filename = f"storeboard-{name}-{table_id}-{ctx.range.start}-{ctx.range.end}.csv"
        return Response(to_csv(table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    router.add_api_route(f"/{name}", html, methods=["GET"], response_class=HTMLResponse, include_in_schema=False)
    router.add_api_route(f"/api/{name}", api, methods=["GET"])
    router.add_api_route(f"/{name}/{{table_id}}.csv", export, methods=["GET"], include_in_schema=False)
