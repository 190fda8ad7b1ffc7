"""Property and fuzz tests of the dashboards' query parameters: the date range (``web/periods.py``)
and each page's own filters.

Whatever ``start``, ``end``, ``preset``, ``grain``, ``sort``, ``dir`` or ``channel`` hold, a page
answers with the range asked for or a default, or with a clean 4xx naming the parameter; never a
500. The range arithmetic the pages do (previous period, last year, whole months, moving-average
history) stays inside the calendar for every range ``resolve`` accepts.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings, strategies as st
from pydantic import SecretStr

from storeboard.config import Config, WebSettings
from storeboard.warehouse import Warehouse
from storeboard.web import periods
from storeboard.web.app import create_app
from storeboard.web.routers.revenue import TREND

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TODAY = date(2026, 11, 20)

date_text = st.one_of(
    st.dates().map(date.isoformat),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
    st.text(max_size=15),
    st.sampled_from(["", "0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30", "2026-02-29", "2024-02-29",
                     "2026-13-01", "2026-W01-1", "20261120", "-1", "2026-11-20T00:00:00", "\x00", "2026-11-20 "]),
)
presets = st.one_of(st.none(), st.sampled_from([k for k, *_ in periods.presets(TODAY)]), st.text(max_size=10))


def pages_arithmetic(rng: periods.DateRange) -> None:
    """Every date computed from a range by the dashboards (revenue, products, customers)."""
    for r in (rng, rng.previous(), rng.last_year()):
        assert r.start <= r.end
    for _window, _label, lookback in TREND.values():
        rng.start - timedelta(days=lookback)
    last = periods.month_start(rng.end)
    periods.add_months(last, 1) - timedelta(days=1)
    periods.add_months(periods.month_start(rng.start), -1)
    for grain in periods.GRAINS:
        periods.bucket_start(rng.start, grain)


@FUZZ
@given(start=st.none() | date_text, end=st.none() | date_text, preset=presets)
@example(start="0001-01-01", end="0001-01-02", preset=None)
@example(start=None, end="0001-01-01", preset=None)
@example(start="9999-12-01", end="9999-12-31", preset=None)
@example(start="0001-02-28", end="0001-03-01", preset=None)
def test_any_range_parameters_give_a_range_or_a_422(start, end, preset):
    try:
        rng = periods.resolve(start, end, preset, TODAY)
    except HTTPException as exc:
        assert exc.status_code == 422 and exc.detail
        return
    assert rng.start <= rng.end and rng.days <= periods.MAX_DAYS + 1
    if not start and not end:
        assert rng.preset == (preset or "30d")
    pages_arithmetic(rng)


@FUZZ
@given(today=st.dates())
@example(today=date(1, 1, 1))
@example(today=date(9999, 12, 31))
def test_presets_around_any_today_are_ordered(today):
    # "today" comes from the warehouse (last day with data) or the clock: bounded by resolve's own limits.
    try:
        items = periods.presets(today)
    except (OverflowError, ValueError):
        assert today < periods.MIN_DAY or today > periods.MAX_DAY, today
        return
    for _key, _label, first, last in items:
        assert first <= last


@FUZZ
@given(grain=st.none() | st.text(max_size=8) | st.sampled_from(periods.GRAINS))
def test_any_grain_is_a_grain_or_a_422(grain):
    try:
        assert periods.resolve_grain(grain) in periods.GRAINS
    except HTTPException as exc:
        assert exc.status_code == 422


# -- through the app ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    """The dashboards on a warehouse whose marts are not built yet (only this machine served)."""
    with TemporaryDirectory() as tmp:
        config = Config(warehouse=SecretStr("duckdb:///fuzz.duckdb"), base_dir=Path(tmp), web=WebSettings(login=False))
        with Warehouse.from_config(config).connect() as conn:
            conn.execute("create schema if not exists analytics")
        yield TestClient(create_app(config), client=("127.0.0.1", 50000), raise_server_exceptions=False, base_url="http://localhost")


param_value = st.one_of(date_text, st.text(max_size=12), st.sampled_from(["day", "week", "month", "asc", "desc", "sku",
                                                                        "%00", "'; drop table x; --", "<script>"]))
params = st.dictionaries(st.sampled_from(["start", "end", "preset", "grain", "sort", "dir", "channel", "x"]),
                         param_value, max_size=4)
paths = st.sampled_from(["/revenue", "/api/revenue", "/revenue/periods.csv", "/marketing", "/api/customers",
                         "/products", "/api/products", "/inventory", "/health", "/api/health", "/sql"])


@settings(FUZZ, max_examples=60)
@given(path=paths, query=params)
@example(path="/api/revenue", query={"start": "0001-01-01", "end": "0001-01-02"})
@example(path="/revenue/periods.csv", query={"start": "9999-12-01"})
def test_any_query_parameters_answer_without_a_server_error(client, path, query):
    response = client.get(path, params=query)
    assert response.status_code < 500, (path, query, response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.status_code in (404, 422), (path, query, response.status_code)
