"""One store travels sandbox → dlt → dbt → rpt_revenue_daily, on DuckDB and on PostgreSQL.

The first full run of the store is made once per warehouse (``first_run``); each test gets its own
copy of it (the DuckDB folder copied, the PostgreSQL database cloned from it as a template) and a
fresh sandbox serving the same deterministic store, so a test that runs again or changes the store
changes nothing for the others.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from storeboard import pipeline
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.shopify import CostBucket
from storeboard.warehouse import Warehouse
from tests import truth
from tests.conftest import AS_OF, LATE_EVENING_ORDER_AT, make_config, make_generator

COLUMNS = ("gross_sales", "discounts", "returns", "net_sales", "orders", "average_order_value")


def mart_rows(config) -> dict[date, dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        rows = conn.query("select * from analytics.rpt_revenue_daily order by date")
    return {r["date"]: r for r in rows}


def raw_counts(config) -> dict[str, int]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return {
            t: conn.query(f"select count(*) as n from raw_shopify.{t}")[0]["n"]
            for t in ("orders", "orders__line_items", "orders__refunds", "orders__refunds__refund_line_items")
        }


def assert_matches_truth(config, store) -> None:
    expected = truth.revenue_daily(store)
    actual = mart_rows(config)
    assert set(expected) <= set(actual), "every day with sales has a row"
    for day, row in actual.items():
        want = expected.get(day)
        for column in COLUMNS:
            got = row[column]
            if want is None:  # a day inside the range without any sales event
                assert got in (0, None), (day, column, got)
                continue
            if want[column] is None:
                assert got is None, (day, column, got)
            else:
                assert Decimal(got) == Decimal(want[column]), f"{day} {column}: mart {got} != expected {want[column]}"
    days = sorted(actual)
    assert days == [days[0] + timedelta(n) for n in range(len(days))], "one row per day, no gaps"


@dataclasses.dataclass
class FirstRun:
    folder: Path  # the config folder of the first run (DuckDB file, state, CSV drop)
    warehouse: str  # its warehouse URL
    report: pipeline.RunReport
    admin: str | None  # PostgreSQL: the server's URL, to create and drop databases


def _unlimited_sandbox(store) -> SandboxServer:
    return SandboxServer(store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0))


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def first_run(request, tmp_path_factory):
    """The store's first full run into one warehouse, made once for the module."""
    folder = tmp_path_factory.mktemp(f"first-run-{request.param}")
    admin = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    name = f"first_{uuid.uuid4().hex[:12]}"
    if admin:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"create database {name}")
    url = f"{admin.rsplit('/', 1)[0]}/{name}" if admin else "duckdb:///storeboard.duckdb"
    generator = make_generator()
    with _unlimited_sandbox(generator.store) as server:
        report = pipeline.run(make_config(folder, url, server.url, store=generator.store))
    yield FirstRun(folder, url, report, admin)
    if admin:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def generator():
    """The same deterministic store the first run loaded, for this test alone to change."""
    return make_generator()


@pytest.fixture
def sandbox(generator):
    with _unlimited_sandbox(generator.store) as server:
        yield server


@pytest.fixture
def warehouse_url(first_run, tmp_path):
    """A private copy of the first run's warehouse (and of its folder: config, state, CSV drop)."""
    shutil.copytree(first_run.folder, tmp_path, dirs_exist_ok=True)
    if first_run.warehouse.startswith("duckdb"):
        yield first_run.warehouse
        return
    base, template = first_run.warehouse.rsplit("/", 1)
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(first_run.admin, autocommit=True) as conn:
        conn.execute(f"create database {name} template {template}")
    yield f"{base}/{name}"
    with psycopg.connect(first_run.admin, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def config(first_run, warehouse_url, tmp_path, sandbox, generator):
    """The copied folder's config, pointed at this test's sandbox and warehouse copy."""
    return make_config(tmp_path, warehouse_url, sandbox.url, store=generator.store)


def test_revenue_mart_equals_independent_calculation(first_run, config, generator):
    assert first_run.report.ok, first_run.report.errors
    assert_matches_truth(config, generator.store)


def test_store_day_boundary_differs_from_utc(config, generator):
    """An order at 23:30 New York time counts on that New York day, not on the UTC day."""
    store = generator.store
    late = next(o for o in store.orders if o.processed_at == LATE_EVENING_ORDER_AT)
    assert not late.test
    others = dataclasses.replace(store, orders=[o for o in store.orders if o is not late])
    without_late = truth.revenue_daily(others)
    ny_day, utc_day = date(2026, 11, 9), date(2026, 11, 10)
    assert LATE_EVENING_ORDER_AT.date() == utc_day

    rows = mart_rows(config)

    assert rows[ny_day]["orders"] == without_late[ny_day]["orders"] + 1
    assert rows[utc_day]["orders"] == without_late[utc_day]["orders"]
    late_gross = sum(li.unit_price * li.quantity for li in late.lines if not li.product.is_gift_card)
    assert rows[ny_day]["gross_sales"] == without_late[ny_day]["gross_sales"] + late_gross


def test_second_run_changes_nothing(config, generator):
    first_mart, first_raw = mart_rows(config), raw_counts(config)
    report = pipeline.run(config)
    assert report.ok, report.errors
    assert raw_counts(config) == first_raw
    assert mart_rows(config) == first_mart
    extract = next(s for s in report.steps if s.step == "extract:shopify")
    # The catalogue and the shop row are replaced on every run; orders and customers are not re-read.
    assert extract.rows_loaded == len(generator.store.products) + 1


def test_incremental_run_picks_up_new_and_updated_orders(config, generator):
    before = raw_counts(config)
    later = AS_OF + timedelta(hours=2)
    new_orders = generator.add_orders(5, later)
    refunded = next(o for o in generator.store.orders if not o.refunds and not o.cancelled_at and not o.test
                    and o.processed_at < AS_OF - timedelta(days=20))
    generator.refund(refunded, later + timedelta(minutes=5), full=True)

    report = pipeline.run(config)
    assert report.ok, report.errors
    after = raw_counts(config)
    assert after["orders"] == before["orders"] + 5
    assert after["orders__line_items"] == before["orders__line_items"] + sum(len(o.lines) for o in new_orders)
    assert after["orders__refunds"] == before["orders__refunds"] + 1
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        dupes = conn.query("select id, count(*) as n from raw_shopify.orders group by id having count(*) > 1")
    assert dupes == []
    assert_matches_truth(config, generator.store)


def test_rejected_token_fails_clearly_and_keeps_data(tmp_path, config, warehouse_url, sandbox):
    good = config
    before = mart_rows(good)
    bad = make_config(tmp_path, warehouse_url, sandbox.url, token="shpat_revoked_token")

    report = pipeline.run(bad)

    assert not report.ok
    [error] = report.errors
    assert "\n" not in error
    assert "Shopify returned 401" in error and "SHOPIFY_ACCESS_TOKEN" in error and "storeboard doctor" in error
    assert "shpat_revoked_token" not in error
    assert mart_rows(good) == before
    with Warehouse.from_config(good).connect(read_only=True) as conn:
        steps = conn.query("select step, status, error from storeboard_meta.run_steps order by started_at")
    assert ("extract:shopify", "failed") in [(s["step"], s["status"]) for s in steps]
