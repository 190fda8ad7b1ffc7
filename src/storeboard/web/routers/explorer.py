"""The read-only SQL explorer: one SELECT over the marts at a time, with a row limit and a
timeout, results as a table or CSV, and the mart catalog beside the editor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from storeboard.presentation.formatting import value as format_value
from storeboard.warehouse import WarehouseBusy
from storeboard.web import catalog, health, queries
from storeboard.web.dependencies import ConnectionDep, ExplorerConnectionDep
from storeboard.web.pages import csv_text, plain
from storeboard.web.routers.login import require_csrf
from storeboard.web.sqlguard import QueryRefused, check_query

router = APIRouter(tags=["sql"])
EXAMPLE = ("select date, net_sales, orders, average_order_value\nfrom analytics.rpt_revenue_daily\n"
           "order by date desc\nlimit 30")


def execute(request: Request, conn, sql: str) -> dict[str, Any]:
    """Check and run ``sql``; returns the result or ``{"error": ...}`` (never raises for bad SQL)."""
    settings = request.app.state.config.web
    try:
        marts = {r["table_name"].lower() for r in queries.mart_columns(conn)}
        statement = check_query(sql, "duckdb" if conn.kind == "duckdb" else "postgres", marts)
        result = queries.run_explorer_query(conn, statement, settings.sql_row_limit, settings.sql_timeout_seconds,
                                            settings.sql_byte_limit)
    except QueryRefused as exc:
        return {"error": f"Refused: {exc}", "refused": True}
    except WarehouseBusy as exc:
        return {"error": f"Refreshing: {exc}", "refreshing": True}
    except queries.QueryTimeout as exc:
        return {"error": f"Stopped: {exc}", "timeout": True}
    except Exception as exc:  # the engine's own message for a bad query (unknown column, type error, …)
        if interrupted(exc):  # a refresh wants the file: it interrupts the explorer's connection
            return {"error": "Refreshing: a refresh started: try again in a moment", "refreshing": True}
        return {"error": f"The warehouse rejected the query: {str(exc).splitlines()[0][:300]}"}
    result["row_limit"] = settings.sql_row_limit
    return result


def interrupted(exc: Exception) -> bool:
    """True for DuckDB's answer to ``interrupt()`` (only a refresh interrupts the explorer)."""
    return type(exc).__name__ == "InterruptException"


def _page(request: Request, conn, sql: str, result: dict[str, Any] | None, status: int = 200) -> HTMLResponse:
    if result and result.get("refreshing"):
        # the page's own queries would be interrupted too: the error page, with a 503
        raise WarehouseBusy(result["error"].removeprefix("Refreshing: "))
    store = request.app.state.runtime.store(conn)
    currency = store.currency
    return request.app.state.templates.TemplateResponse(request, "explorer.html", {
        "page": "sql", "sql": sql, "result": result, "catalog": catalog.catalog(queries.mart_columns(conn)),
        "banner": health.banner(conn, request.app.state.config), "store": store,
        "fmt": lambda raw: format_value(raw, "text", currency), "settings": request.app.state.config.web,
    }, status_code=status)


@router.get("/sql", response_class=HTMLResponse, include_in_schema=False)
def explorer_form(request: Request, conn: ConnectionDep):
    return _page(request, conn, EXAMPLE, None)


@router.post("/sql", response_class=HTMLResponse, include_in_schema=False)
def explorer_run(request: Request, conn: ExplorerConnectionDep, sql: str = Form("", max_length=20_000),
                 csrf_token: str = Form("")):
    require_csrf(request, csrf_token)
    result = execute(request, conn, sql)
    return _page(request, conn, sql, result, status=400 if result.get("refused") else 200)


@router.post("/sql.csv", include_in_schema=False)
def explorer_csv(request: Request, conn: ExplorerConnectionDep, sql: str = Form("", max_length=20_000),
                 csrf_token: str = Form("")):
    require_csrf(request, csrf_token)
    result = execute(request, conn, sql)
    if "error" in result:
        return Response(result["error"], status_code=503 if result.get("refreshing") else 400,
                        media_type="text/plain; charset=utf-8")
    return Response(csv_text(result["columns"], result["rows"]), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="storeboard-query.csv"'})


@router.post("/api/sql")
def explorer_api(request: Request, conn: ExplorerConnectionDep, sql: str = Form("", max_length=20_000),
                 csrf_token: str = Form("")) -> dict[str, Any]:
    """Run one read-only query; JSON with columns and rows (decimals and dates as strings)."""
    require_csrf(request, csrf_token)
    result = execute(request, conn, sql)
    if "rows" in result:
        result["rows"] = [[plain(v) for v in row] for row in result["rows"]]
    return result
