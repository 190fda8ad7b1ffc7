"""Incremental order facts: a second run that only rebuilds changed orders gives the same marts as
a full refresh of the models.

Every test starts from the same first run of the same store (``first_builds``: one per warehouse
for the module); each test gets a private copy of it (the DuckDB folder copied, the PostgreSQL
database cloned from it as a template), then changes the store and runs again.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from storeboard.config import Config
from storeboard.pipeline import dbt_vars, warehouse_for
from storeboard.sandbox import StoreGenerator
from storeboard.transform import runner
from tests.conftest import AS_OF, make_generator
from tests.models.conftest import configure, mart_snapshot, query, run_store

METRICS = "\nmetrics:\n  report_date: 2026-11-20\n"
#: The store every test starts from: small enough to build quickly, old enough (30 days) to have
#: orders past the incremental window.
ORDERS, DAYS = 80, 30


@dataclasses.dataclass
class FirstBuild:
    folder: Path  # the config folder of the first run (DuckDB file, dlt and dbt state, CSV drop)
    warehouse: str
    sandbox_url: str  # the (stopped) sandbox it read, for a config identical to the one it ran with
    admin: str | None  # PostgreSQL: the server's URL, to clone and drop databases


@pytest.fixture(scope="module")
def first_builds(request, tmp_path_factory):
    """first_build(kind): the store's first full run into that warehouse, made once for the module."""
    builds: dict[str, FirstBuild] = {}

    def first_build(kind: str) -> FirstBuild:
        if kind not in builds:
            folder = tmp_path_factory.mktemp(f"incremental-first-{kind}")
            admin = request.getfixturevalue("postgres_server") if kind == "postgres" else None
            url = "duckdb:///storeboard.duckdb"
            if admin:
                name = f"first_{uuid.uuid4().hex[:12]}"
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f"create database {name}")
                url = f"{admin.rsplit('/', 1)[0]}/{name}"
            config = run_store(folder, url, make_generator(orders=ORDERS, days=DAYS).store, METRICS)
            builds[kind] = FirstBuild(folder, url, config.sources.stripe.base_url, admin)
        return builds[kind]

    yield first_build
    for build in builds.values():
        if build.admin:
            with psycopg.connect(build.admin, autocommit=True) as conn:
                conn.execute(f"drop database if exists {build.warehouse.rsplit('/', 1)[1]} with (force)")


@dataclasses.dataclass
class Started:
    generator: StoreGenerator  # the same deterministic store the first run loaded, for this test to change
    warehouse: str  # this test's copy of the first run's warehouse
    config: Config  # the config the first run returned, pointed at the copy


def _start_from(build: FirstBuild, folder: Path):
    """A private copy of ``build`` (folder and warehouse) in ``folder``; yields a Started."""
    shutil.copytree(build.folder, folder, dirs_exist_ok=True)
    url, name = build.warehouse, None
    if build.admin:
        base, template = build.warehouse.rsplit("/", 1)
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(build.admin, autocommit=True) as conn:
            conn.execute(f"create database {name} template {template}")
        url = f"{base}/{name}"
    generator = make_generator(orders=ORDERS, days=DAYS)
    yield Started(generator, url, configure(folder, url, build.sandbox_url, generator.store, METRICS))
    if name:
        with psycopg.connect(build.admin, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def started(request, first_builds, tmp_path):
    """This test's copy of the first run, on each warehouse."""
    yield from _start_from(first_builds(request.param), tmp_path)


@pytest.fixture
def started_duckdb(first_builds, tmp_path):
    """This test's copy of the first run, on DuckDB only."""
    yield from _start_from(first_builds("duckdb"), tmp_path)


def assert_equals_full_refresh(config) -> None:
    """The marts as the incremental runs left them equal the marts of a full refresh, row by row."""
    incremental = mart_snapshot(config)
    warehouse = warehouse_for(config)
    runner.build(warehouse, config.state_dir, dbt_vars(config, warehouse), full_refresh=True)
    full = mart_snapshot(config)
    assert sorted(incremental) == sorted(full)
    for table in full:
        assert incremental[table] == full[table], table


def test_incremental_run_equals_full_refresh(tmp_path, started):
    start = started
    generator, store, config = start.generator, start.generator.store, start.config
    before = {r["order_id"] for r in query(config, "select order_id from analytics.fct_orders")}

    later = AS_OF + timedelta(hours=3)
    generator.add_orders(3, later)
    old = next(o for o in store.orders if not o.refunds and not o.cancelled_at and not o.test
               and o.processed_at < AS_OF - timedelta(days=15))
    generator.refund(old, later + timedelta(minutes=10), full=False)
    run_store(tmp_path, start.warehouse, store, METRICS)
    after = {r["order_id"] for r in query(config, "select order_id from analytics.fct_orders")}
    assert len(after - before) == 3

    assert_equals_full_refresh(config)
    [refunded] = query(config, f"select returns from analytics.fct_orders where order_name = '{old.name}'")
    assert refunded["returns"] > 0


def test_a_customer_who_changes_email_keeps_their_old_orders(tmp_path, started_duckdb):
    """A new email gives the customer another unified id: the incremental run must carry it onto
    orders too old to be rebuilt for their own sake, or they point at a customer that is gone."""
    start = started_duckdb
    store, config = start.generator.store, start.config

    old_orders = {}
    for order in store.orders:
        if order.customer is not None and not order.test:
            old_orders.setdefault(order.customer.customer_id, []).append(order)
    customer = next(orders[0].customer for orders in old_orders.values()
                    if orders[0].customer.email and all(o.processed_at < AS_OF - timedelta(days=15) for o in orders))
    customer.email = "new." + customer.email
    customer.updated_at = AS_OF + timedelta(hours=3)
    store.revision += 1
    run_store(tmp_path, start.warehouse, store, METRICS)

    orphans = query(config, "select order_id from analytics.fct_orders where customer_id is not null "
                            "and customer_id not in (select customer_id from analytics.dim_customers)")
    assert orphans == []
    assert_equals_full_refresh(config)


def test_late_inputs_rebuild_the_old_orders_they_change(tmp_path, started):
    """What moves an old order's numbers without Shopify touching the order: a shipping-cost CSV
    arriving after its month, a variant's weight (it re-shares shipping), an order that stops being
    valid. Each rebuilds the orders concerned however old, and the marts equal a full refresh."""
    start = started
    store, config = start.generator.store, start.config

    old = [o for o in store.orders if not o.test and not o.cancelled_at and o.customer is not None
           and o.processed_at < AS_OF - timedelta(days=15)]
    shipped = next(o for o in old if any(line.product.weight_grams for line in o.lines))
    [before] = query(config, f"select shipping_cost from analytics.fct_orders where order_name = '{shipped.name}'")
    (tmp_path / "sandbox-drop" / "shipping_costs_late.csv").write_text(
        f"order_id,carrier,label_cost\n{shipped.name},UPS,12.34\n", encoding="utf-8")
    dropped = next(o for o in old if o is not shipped)
    dropped.test = True
    dropped.updated_at = AS_OF + timedelta(hours=2)
    store.revision += 1
    run_store(tmp_path, start.warehouse, store, METRICS)

    [after] = query(config, f"select shipping_cost from analytics.fct_orders where order_name = '{shipped.name}'")
    [lines] = query(config, "select sum(shipping_cost) as shipping_cost from analytics.fct_order_lines "
                            f"where order_id = (select order_id from analytics.fct_orders where order_name = '{shipped.name}')")
    label_total = query(config, "select sum(label_cost) as label_cost from staging.stg_files__shipping_costs "
                                f"where order_name in ('{shipped.name}', '{shipped.name.lstrip('#')}')")[0]["label_cost"]
    assert after["shipping_cost"] == lines["shipping_cost"] == label_total != before["shipping_cost"]
    assert query(config, f"select order_id from analytics.fct_orders where order_name = '{dropped.name}'") == []
    assert query(config, f"select order_id from intermediate.int_sales_events where order_id in "
                         f"(select order_id from staging.stg_shopify__orders where order_name = '{dropped.name}')") == []

    product = next(line.product for line in shipped.lines if line.product.weight_grams)
    product.weight_grams += 750
    store.revision += 1
    run_store(tmp_path, start.warehouse, store, METRICS)
    assert_equals_full_refresh(config)


def test_tables_built_before_fingerprints_are_rebuilt_whole(tmp_path, started_duckdb):
    """An install upgraded from the version without input fingerprints: its order tables have no
    such column. The next run rebuilds them whole (adding the column) instead of failing, and the
    run after that is incremental again."""
    start = started_duckdb
    generator, store, config = start.generator, start.generator.store, start.config
    tables = ["intermediate.int_order_lines_priced", "intermediate.int_order_lines_allocated",
              "intermediate.int_sales_events", "analytics.fct_orders", "analytics.fct_order_lines"]
    with warehouse_for(config).connect() as conn:
        for table in tables:
            conn.execute(f"alter table {table} drop column input_fingerprint")
    assert query(config, "select table_name from information_schema.columns where column_name = 'input_fingerprint'") \
        == [{"table_name": "int_order_fingerprints"}]

    generator.add_orders(2, AS_OF + timedelta(hours=3))
    run_store(tmp_path, start.warehouse, store, METRICS)
    for table in tables:
        assert query(config, f"select count(*) as n from {table} where input_fingerprint is null") == [{"n": 0}], table
    generator.add_orders(2, AS_OF + timedelta(hours=4))
    run_store(tmp_path, start.warehouse, store, METRICS)
    assert_equals_full_refresh(config)
