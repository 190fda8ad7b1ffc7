"""Fault-injection fixtures: one small store served by one sandbox for the whole package, and a
fault-free reference run whose marts every fault-and-recovery run must equal byte for byte."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from storeboard import pipeline
from storeboard.config import Config
from storeboard.sandbox import SandboxServer, StoreGenerator
from storeboard.sandbox.shopify import CostBucket
from storeboard.warehouse import Warehouse
from tests.conftest import make_generator
from tests.faults import dump as marts
from tests.faults.harness import configure


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a fault test that needs more than one full refresh on its own")


@dataclass
class Reference:
    """The fault-free run: its folder (config, DuckDB file, dlt state) and its marts as text."""

    folder: Path
    config: Config
    dump: dict[str, str]

    def copy_to(self, target: Path) -> Config:
        """A private copy of the reference folder, as if the fault-free run had happened there."""
        shutil.copytree(self.folder, target)
        return configure(target)


@pytest.fixture(scope="session")
def fault_generator() -> StoreGenerator:
    """A small store: 300 orders over 30 days, every source's data."""
    return make_generator(orders=300, days=30)


@pytest.fixture(scope="session")
def fault_sandbox(fault_generator):
    """The sandbox serving the store, fault-free unless a test adds faults (and clears them)."""
    with SandboxServer(fault_generator.store, shopify_bucket=CostBucket(1e9, 1e9)) as server:
        yield server


@pytest.fixture
def sandbox(fault_sandbox):
    """The shared sandbox, with every fault a test added cleared afterwards."""
    yield fault_sandbox
    fault_sandbox.faults.clear()


@pytest.fixture(scope="session")
def reference(tmp_path_factory, fault_sandbox, fault_generator) -> Reference:
    """One refresh of every source in ``storeboard.demo.SANDBOX_SOURCES`` with no faults."""
    folder = tmp_path_factory.mktemp("reference")
    config = configure(folder, fault_sandbox.url, fault_generator.store)
    report = pipeline.run(config)
    assert report.ok, report.errors
    dump = marts.dump(Warehouse.from_config(config))
    assert len(dump) >= 20 and all(text.count("\n") > 2 for name, text in dump.items() if name != "dim_store")
    return Reference(folder, config, dump)
