"""Revenue overview: headline numbers and daily net sales for a date range."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from storeboard.web import charts, queries
from storeboard.web.dependencies import ConnectionDep
from storeboard.web.formatting import count, money

router = APIRouter(tags=["revenue"])

PRESETS = [("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90), ("Last 365 days", 365)]


def _parse_day(value: str | None, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"{name} must be a date like 2026-11-01, not {value[:40]!r}") from None


def resolve_range(conn, start: str | None, end: str | None) -> tuple[date, date]:
    """The requested range, defaulting to the last 30 days of data; start ≤ end enforced."""
    first = _parse_day(start, "start")
    last = _parse_day(end, "end")
    bounds = queries.revenue_bounds(conn)
    default_end = bounds[1] if bounds else date.today()
    last = last or default_end
    first = first or last - timedelta(days=29)
    if first > last:
        raise HTTPException(status_code=422, detail="start must be on or before end")
    if (last - first).days > 3660:
        raise HTTPException(status_code=422, detail="the range may span at most ten years")
    return first, last


def revenue_data(conn, start: date, end: date) -> dict[str, Any]:
    store = queries.store_info(conn)
    return {
        "store": store,
        "start": start,
        "end": end,
        "summary": queries.revenue_summary(conn, start, end),
        "daily": queries.revenue_daily(conn, start, end),
        "bounds": queries.revenue_bounds(conn),
    }


@router.get("/api/revenue")
def revenue_api(conn: ConnectionDep, start: str | None = Query(None), end: str | None = Query(None)) -> dict[str, Any]:
    """Revenue for a range as JSON: summary and one row per day (money as decimal strings)."""
    first, last = resolve_range(conn, start, end)
    data = revenue_data(conn, first, last)

    def plain(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (str(v) if v is not None and not isinstance(v, (int, str)) else v) for k, v in row.items()}

    return {
        "currency": data["store"]["currency_code"],
        "timezone": data["store"]["timezone"],
        "start": first.isoformat(),
        "end": last.isoformat(),
        "summary": plain(data["summary"]),
        "daily": [plain(r) for r in data["daily"]],
    }


@router.get("/revenue", response_class=HTMLResponse)
def revenue_page(request: Request, conn: ConnectionDep, start: str | None = Query(None), end: str | None = Query(None)):
    first, last = resolve_range(conn, start, end)
    data = revenue_data(conn, first, last)
    currency = data["store"]["currency_code"]
    summary = data["summary"]
    tiles = [
        ("Gross sales", money(summary["gross_sales"], currency)),
        ("Net sales", money(summary["net_sales"], currency)),
        ("Orders", count(summary["orders"])),
        ("Average order value", money(summary["average_order_value"], currency)),
        ("Discounts", money(summary["discounts"], currency)),
        ("Returns", money(summary["returns"], currency)),
    ]
    presets = [(label, (last - timedelta(days=days - 1)).isoformat(), last.isoformat()) for label, days in PRESETS]
    return request.app.state.templates.TemplateResponse(
        request,
        "revenue.html",
        {
            "page": "revenue",
            "data": data,
            "tiles": tiles,
            "presets": presets,
            "chart": charts.revenue_daily_chart(data["daily"], currency),
            "rows": [
                {
                    "date": r["date"].isoformat(),
                    "gross_sales": money(r["gross_sales"], currency),
                    "discounts": money(r["discounts"], currency),
                    "returns": money(r["returns"], currency),
                    "net_sales": money(r["net_sales"], currency),
                    "orders": count(r["orders"]),
                    "aov": money(r["average_order_value"], currency),
                }
                for r in reversed(data["daily"])
            ],
        },
    )
