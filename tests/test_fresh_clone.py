"""A fresh clone tests exactly as CI does: what the tests read is inside the checkout."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from storeboard.sandbox import specs
from tests import outside_reads
from tests.conftest import REPO


def test_a_read_beside_the_checkout_is_recorded(tmp_path):
    root = tmp_path / "clone"
    (root / "src").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    beside, inside = tmp_path / "shared" / "spec.json", root / "src" / "spec.json"
    beside.write_text("{}")
    inside.write_text("{}")
    watcher = outside_reads.watch(outside_reads.Watcher(root))
    watcher.allowed = ()  # the test's own temporary folder is what it watches here
    try:
        inside.read_text()
        assert watcher.take() == []
        beside.read_text()
        (tmp_path / "shared").iterdir().__next__()
        assert watcher.take() == [str(beside), str(tmp_path / "shared")]
    finally:
        outside_reads.unwatch(watcher)


def test_a_checkout_at_the_top_of_the_file_system_watches_nothing():
    top = Path(REPO.anchor)
    watcher = outside_reads.Watcher(top / "clone")
    # Only path arithmetic: with the checkout at the top, every other folder is "beside" it.
    assert not watcher.beside(top / "usr" / "lib") and not watcher.beside(top / "elsewhere" / "data.json")


@pytest.mark.parametrize("relative", [
    "shopify/admin_2026-04.introspection.json.gz", "stripe/spec3_2023-08-16.yaml.gz",
    "stripe/fixtures3_2023-08-16.json", "meta/AdsInsights.json", "meta/enum_types.json",
])
def test_the_vendor_specs_live_in_the_package_with_their_licences(relative):
    path = specs.spec_file(relative)
    assert path.is_relative_to(REPO / "src" / "storeboard")
    if path.suffix == ".gz":
        with gzip.open(path) as fh:
            assert fh.read(1)
    notice = (specs.specs_dir() / "NOTICE").read_text()
    assert relative.split("/")[0] + "/" in notice and "Permission is hereby granted" in notice


def test_the_specs_load():
    assert specs.shopify_schema().get_type("Order") is not None
    assert "/v1/charges" in specs.stripe_openapi()["paths"]
    assert specs.stripe_fixtures()["charge"]["object"] == "charge"


def test_a_missing_spec_is_named():
    with pytest.raises(specs.SpecMissing, match="stripe/nothing.json"):
        specs.spec_file("stripe/nothing.json")
