"""Shared fixtures: generated stores, a sandbox on loopback, DuckDB and PostgreSQL warehouses."""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from dotenv import dotenv_values
from hypothesis import settings as hypothesis_settings

from storeboard.config import Config, load_config
from storeboard.demo import write_sandbox_config
from storeboard.sandbox import GeneratorSettings, SandboxServer, StoreGenerator
from storeboard.sandbox.shopify import CostBucket
from tests import outside_reads, pg_cluster

#: Fixed end of history for test stores, so expected numbers never depend on today.
AS_OF = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
#: An order at 23:30 in New York on 9 November, which is 10 November in UTC.
LATE_EVENING_ORDER_AT = datetime(2026, 11, 10, 4, 30, tzinfo=UTC)


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Property tests explore new inputs on every local run; on CI they replay a fixed sequence, so a
# CI result is reproducible (a failure found locally is kept as an @example). Time is measured by
# the benchmarks, never asserted by the tests, so no per-example deadline.
hypothesis_settings.register_profile("local", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if _on_ci() else "local")


#: The checkout's top folder; nothing a test reads may come from beside it.
REPO = Path(__file__).resolve().parent.parent
_beside_the_checkout = outside_reads.watch(outside_reads.Watcher(REPO))


@pytest.fixture(autouse=True)
def _reads_stay_inside_the_checkout():
    """Fail a test that read a file beside the checkout: a fresh clone has nothing there."""
    _beside_the_checkout.take()
    yield
    if reads := sorted(set(_beside_the_checkout.take())):
        pytest.fail(f"read outside the repository (a fresh clone has none of it): {', '.join(reads[:5])}")


def pytest_sessionfinish(session):
    """Reads outside any test (collection, session fixtures' teardown) fail the run too."""
    if reads := sorted(set(_beside_the_checkout.take())):
        print(f"\nread outside the repository (a fresh clone has none of it): {', '.join(reads[:5])}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


#: Session fixtures that build a warehouse (the slow part of a test): every test using one runs on
#: the same pytest-xdist worker, so each is built once per run rather than once per worker.
SHARED_BUILDS = {"web_folder": "web", "reference": "faults", "built_folder": "notify", "scenario": "scenario"}


def pytest_collection_modifyitems(config, items):
    """Group tests for ``--dist loadgroup``: by the shared build they read, else by file (a file's
    module fixtures are then built once, too)."""
    for item in items:
        group = next((g for name, g in SHARED_BUILDS.items() if name in item.fixturenames), None)
        item.add_marker(pytest.mark.xdist_group(group or item.nodeid.split("::", 1)[0]))


@pytest.fixture(scope="session")
def postgres_server():
    """URL of a PostgreSQL server: STOREBOARD_TEST_POSTGRES_URL, else a throwaway local cluster."""
    url = os.environ.get("STOREBOARD_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if not pg_cluster.available():
        if _on_ci():
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are missing on CI; .ci/run must install them")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: `make system-deps` installs them for the Postgres tests")
    folder = Path(tempfile.mkdtemp(prefix="storeboard-pg-"))
    url = pg_cluster.start(folder)
    yield url
    pg_cluster.stop(folder)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    base = postgres_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path):
    """Each warehouse the pipeline supports."""
    if request.param == "duckdb":
        return "duckdb:///storeboard.duckdb"
    return request.getfixturevalue("postgres_url")


def make_generator(orders: int = 400, days: int = 45, seed: int = 7) -> StoreGenerator:
    """A small deterministic store, plus one order placed at 23:30 New York time."""
    generator = StoreGenerator(GeneratorSettings(seed=seed, as_of=AS_OF, days=days, orders=orders))
    store = generator.generate()
    store.orders.append(generator.make_order(LATE_EVENING_ORDER_AT))
    store.orders.sort(key=lambda o: (o.processed_at, o.order_id))
    return generator


@pytest.fixture
def generator() -> StoreGenerator:
    return make_generator()


@pytest.fixture
def sandbox(generator):
    """The sandbox serving ``generator``'s store, with a shop plan big enough not to throttle."""
    with SandboxServer(generator.store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0)) as server:
        yield server


def make_config(folder: Path, warehouse: str, sandbox_url: str, token: str | None = None, store=None,
                shopify_form: str | None = None) -> Config:
    """Write a sandbox config (and, given the store, its CSV drop) into ``folder`` and load it.

    Shopify connects as a Dev Dashboard app (client credentials) unless ``shopify_form`` is
    ``access_token`` or a legacy ``token`` is given (which the environment then overrides)."""
    form = shopify_form or ("access_token" if token else "client_credentials")
    write_sandbox_config(folder, sandbox_url, overwrite_demo=True, store=store, shopify_form=form)
    text = (folder / "storeboard.yml").read_text().replace("warehouse: duckdb:///storeboard.duckdb", f"warehouse: {warehouse}")
    (folder / "storeboard.yml").write_text(text)
    env = {**{k: v for k, v in dotenv_values(folder / ".env").items() if v is not None}, **os.environ}
    if token:
        env["SHOPIFY_ACCESS_TOKEN"] = token
    return load_config(folder / "storeboard.yml", environ=env)


@pytest.fixture
def config(tmp_path, warehouse_url, sandbox, generator) -> Config:
    return make_config(tmp_path, warehouse_url, sandbox.url, store=generator.store)
