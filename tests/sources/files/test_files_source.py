"""The files source end to end: the sandbox's CSV drop → dlt → raw_files, on DuckDB and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from storeboard import pipeline
from storeboard.config import Config, FilesSettings, SourcesSettings
from storeboard.sandbox.files_data import write_drop
from storeboard.sources import files
from storeboard.transform import runner
from storeboard.warehouse import Warehouse
from tests.conftest import AS_OF

DROP = "sandbox-drop"


def files_config(folder: Path, warehouse: str, **settings) -> Config:
    block = FilesSettings(inventory_glob=f"{DROP}/inventory_*.csv", shipping_glob=f"{DROP}/shipping_costs_*.csv", **settings)
    return Config(warehouse=SecretStr(warehouse), base_dir=folder, sources=SourcesSettings(files=block))


def load(config: Config) -> int:
    return pipeline.extract_load(config, "files")


def query(config: Config, sql: str) -> list[dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query(sql)


def loaded_inventory(config) -> set[tuple]:
    return {(r["file_name"], r["sku"], int(r["on_hand"]), None if r["unit_cost"] is None else Decimal(r["unit_cost"]),
             r["reorder_point"], r["lead_time_days"], str(r["snapshot_date"]))
            for r in query(config, "select * from raw_files.inventory_snapshots")}


def loaded_shipping(config) -> set[tuple]:
    return {(r["file_name"], r["order_id"], r["carrier"], Decimal(r["label_cost"]))
            for r in query(config, "select * from raw_files.shipping_costs")}


def drop_inventory(folder: Path) -> set[tuple]:
    rows = set()
    for path in sorted((folder / DROP).glob("inventory_*.csv")):
        day = path.stem.split("_")[1]
        for r in csv.DictReader(path.open(encoding="utf-8-sig")):
            rows.add((f"{DROP}/{path.name}", r["sku"], int(r["on_hand"]), Decimal(r["unit_cost"]) if r["unit_cost"] else None,
                      int(r["reorder_point"]), int(r["lead_time_days"]), day))
    return rows


def drop_shipping(folder: Path) -> set[tuple]:
    return {(f"{DROP}/{path.name}", r["order_id"], r["carrier"], Decimal(r["label_cost"]))
            for path in sorted((folder / DROP).glob("shipping_costs_*.csv"))
            for r in csv.DictReader(path.open(encoding="utf-8"))}


def statuses(config) -> dict[str, tuple]:
    return {r["file_name"]: (r["status"], r["error"]) for r in query(config, "select * from raw_files.file_status")}


def test_drop_loads_row_for_row_then_new_and_changed_files(tmp_path, warehouse_url, generator):
    config = files_config(tmp_path, warehouse_url)
    write_drop(generator.store, tmp_path / DROP)
    assert load(config) > 0
    assert loaded_inventory(config) == drop_inventory(tmp_path)
    assert loaded_shipping(config) == drop_shipping(tmp_path)
    assert {s for s, _ in statuses(config).values()} == {"loaded"}
    assert load(config) == 0, "unchanged files are not read again"

    before = {p.name: p.read_bytes() for p in (tmp_path / DROP).iterdir()}
    generator.add_orders(4, AS_OF + timedelta(days=1))
    write_drop(generator.store, tmp_path / DROP)
    after = {p.name: p.read_bytes() for p in (tmp_path / DROP).iterdir()}
    new = [n for n in after if n not in before]
    changed = [n for n in after if n in before and after[n] != before[n]]
    assert any(n.startswith("inventory_") for n in new) and any(n.startswith("shipping_costs_") for n in changed)

    rows = load(config)
    assert loaded_inventory(config) == drop_inventory(tmp_path)
    assert loaded_shipping(config) == drop_shipping(tmp_path)
    reread = sum(len(after[n].decode().splitlines()) - 1 for n in new + changed)
    assert rows == reread + len(new + changed), "only new and changed files were read (plus their status rows)"

    counts = runner.build(Warehouse.from_config(config), config.state_dir, {}, select="path:models/staging/files")
    assert counts.get("error", 0) == counts.get("fail", 0) == 0
    staged = query(config, "select * from staging.stg_files__inventory_snapshots")
    assert {(r["file_name"], r["sku"], r["on_hand"], Decimal(r["unit_cost"]), r["reorder_point"], r["lead_time_days"],
             str(r["snapshot_date"])) for r in staged} == drop_inventory(tmp_path)
    costs = {(r["file_name"], r["order_name"], r["carrier"], Decimal(r["label_cost"]))
             for r in query(config, "select * from staging.stg_files__shipping_costs")}
    assert costs == drop_shipping(tmp_path)


def _broken_cases(sku_a: str, sku_b: str) -> dict[str, tuple[bytes, str]]:
    header = "sku,on_hand,unit_cost,reorder_point,lead_time_days\n"
    ok = f"{sku_a},10,4.50,3,7\n{sku_b},5,2.00,1,14\n"
    name = f"{DROP}/inventory_2026-11-20.csv"
    return {
        "missing_column": ((f"sku,unit_cost,reorder_point,lead_time_days\n{sku_a},4.50,3,7\n").encode(),
                           f"{name}: line 1, column 'on_hand': column is missing; the header has: sku, unit_cost, "
                           "reorder_point, lead_time_days"),
        "bad_number": ((header + ok + f"{sku_a}X,ten,1.00,1,7\n").encode(),
                       f"{name}: line 4, column 'on_hand': expected a whole number, got 'ten'"),
        "bad_money": ((header + f"{sku_a},10,\"4,50\",3,7\n").encode(),
                      f"{name}: line 2, column 'unit_cost': expected an amount like 12.50, got '4,50'"),
        "wrong_delimiter": ((header + ok).replace(",", ";").encode(),
                            f"{name}: line 1: the header is one column 'sku;on_hand;unit_cost;reorder_point;lead_time_days': "
                            "the file looks ';'-delimited, but sources.files.delimiter is ','"),
        "duplicate_sku": ((header + ok + f"{sku_a},3,4.50,3,7\n").encode(),
                          f"{name}: line 4, column 'sku': '{sku_a}' appears again (first on line 2)"),
        "empty_file": (b"", f"{name}: line 1: the file is empty: expected a header row with sku, on_hand, unit_cost, "
                            "reorder_point, lead_time_days"),
        "header_only": (header.encode(), f"{name}: whole file: the file has a header but no data rows"),
        "not_utf8": ((header + ok).encode() + "caf\u00e9-1,2,1.00,1,7\n".encode("latin-1"),
                     f"{name}: line 4: not UTF-8 text: export the file as UTF-8 CSV"),
        "ragged_row": ((header + ok + f"{sku_a}Z,1\n").encode(),
                       f"{name}: line 4: expected 5 fields like the header, found 2 (check the delimiter and quoting)"),
    }


@pytest.mark.parametrize("case", ["missing_column", "bad_number", "bad_money", "wrong_delimiter", "duplicate_sku",
                                  "empty_file", "header_only", "ragged_row", "not_utf8"])
def test_broken_file_is_skipped_with_its_error_and_keeps_earlier_data(tmp_path, generator, case):
    config = files_config(tmp_path, "duckdb:///files.duckdb")
    paths = write_drop(generator.store, tmp_path / DROP)
    last = next(p for p in reversed(paths) if p.name.startswith("inventory_"))
    assert last.name == "inventory_2026-11-20.csv"
    load(config)
    good = {r for r in loaded_inventory(config) if r[0].endswith(last.name)}

    skus = [p.sku for p in generator.store.products[:2]]
    content, message = _broken_cases(*skus)[case]
    last.write_bytes(content)
    extra = tmp_path / DROP / "inventory_2026-11-21.csv"
    extra.write_text("sku,on_hand\nNEW-SKU,4\n", encoding="utf-8")

    load(config)

    status = statuses(config)
    assert status[f"{DROP}/{last.name}"] == ("error", message)
    assert {r for r in loaded_inventory(config) if r[0].endswith(last.name)} == good, "earlier data kept"
    assert status[f"{DROP}/{extra.name}"][0] == "loaded", "the other files still load"
    assert (f"{DROP}/{extra.name}", "NEW-SKU", 4, None, None, None, "2026-11-21") in loaded_inventory(config)
    assert load(config) == 0, "the same broken version is not reported twice"

    last.write_text("sku,on_hand\nFIXED-SKU,1\n", encoding="utf-8")
    load(config)
    assert statuses(config)[f"{DROP}/{last.name}"] == ("loaded", None)
    assert {r[1] for r in loaded_inventory(config) if r[0].endswith(last.name)} == {"FIXED-SKU"}


def test_broken_shipping_file_on_every_warehouse(tmp_path, warehouse_url, generator):
    config = files_config(tmp_path, warehouse_url)
    paths = write_drop(generator.store, tmp_path / DROP)
    load(config)
    target = next(p for p in paths if p.name.startswith("shipping_costs_"))
    before = {r for r in loaded_shipping(config) if r[0].endswith(target.name)}
    target.write_text("order_id,carrier,label_cost\n#1001,UPS,7.10\n#1002,UPS,-3.00\n", encoding="utf-8")
    load(config)
    assert statuses(config)[f"{DROP}/{target.name}"] == (
        "error", f"{DROP}/{target.name}: line 3, column 'label_cost': must not be negative, got '-3.00'")
    assert {r for r in loaded_shipping(config) if r[0].endswith(target.name)} == before


def test_byte_order_mark_is_handled(tmp_path, generator):
    config = files_config(tmp_path, "duckdb:///files.duckdb")
    (tmp_path / DROP).mkdir()
    (tmp_path / DROP / "inventory_2026-11-20.csv").write_bytes(
        "\ufeffsku,on_hand,unit_cost,reorder_point,lead_time_days\r\nA-1,3,1.25,2,7\r\n".encode("utf-8"))
    load(config)
    assert loaded_inventory(config) == {(f"{DROP}/inventory_2026-11-20.csv", "A-1", 3, Decimal("1.25"), 2, 7, "2026-11-20")}


def test_column_mapping_and_delimiter_from_config(tmp_path):
    config = files_config(tmp_path, "duckdb:///files.duckdb", delimiter=";",
                          inventory_columns={"sku": "Item", "on_hand": "Qty On Hand", "unit_cost": "Cost"},
                          shipping_columns={"order_id": "Order", "label_cost": "Postage"})
    (tmp_path / DROP).mkdir()
    (tmp_path / DROP / "inventory_2026-11-19.csv").write_text("Item;Qty On Hand;Cost\nA-1;7;2.50\n", encoding="utf-8")
    (tmp_path / DROP / "shipping_costs_2026-11.csv").write_text("Order;Postage\n#1001;5.25\n", encoding="utf-8")
    load(config)
    assert loaded_inventory(config) == {(f"{DROP}/inventory_2026-11-19.csv", "A-1", 7, Decimal("2.50"), None, None, "2026-11-19")}
    assert loaded_shipping(config) == {(f"{DROP}/shipping_costs_2026-11.csv", "#1001", None, Decimal("5.25"))}


def test_check_counts_files_and_names_missing_paths(tmp_path, generator):
    settings = files_config(tmp_path, "duckdb:///f.duckdb").sources.files
    from storeboard.errors import SourceError

    with pytest.raises(SourceError, match="relative to storeboard.yml"):
        files.check(settings, tmp_path)
    write_drop(generator.store, tmp_path / DROP)
    assert files.check(settings, tmp_path).startswith("14 inventory snapshot(s) and ")
