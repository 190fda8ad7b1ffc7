"""Shopify's own inventory export and currency-formatted amounts in the CSV drop, through the
real source into DuckDB."""

from __future__ import annotations

from decimal import Decimal

from tests.sources.files.test_files_source import DROP, files_config, load, query

# Shaped like the file Shopify's admin writes (Products > Inventory > Export): one row per
# variant and location, "On hand (current)" / "On hand (new)", a blank SKU, "not stocked".
SHOPIFY_EXPORT = """\ufeffHandle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,SKU,HS Code,COO,Location,Bin name,Incoming (not editable),Unavailable (not editable),Committed (not editable),Available (not editable),On hand (current),On hand (new)
stoneware-mug,Stoneware Mug,Color,Blue,,,,,MUG-BLU,,,Main warehouse,,0,0,2,10,12,
stoneware-mug,Stoneware Mug,Color,Blue,,,,,MUG-BLU,,,Shop floor,,0,0,0,3,3,
stoneware-mug,Stoneware Mug,Color,Green,,,,,MUG-GRN,,,Main warehouse,,0,0,0,5,5,
stoneware-mug,Stoneware Mug,Color,Green,,,,,MUG-GRN,,,Shop floor,,0,0,0,not stocked,not stocked,
gift-wrap,Gift wrap,Title,Default Title,,,,,,,,Main warehouse,,0,0,0,40,40,
linen-tee,Linen Tee,Size,M,,,,,TEE-M,,,Main warehouse,,4,0,1,-2,-1,
"""

OWN_FORMAT = 'sku,on_hand,unit_cost,reorder_point,lead_time_days\nLAMP,3,"$1,234.50",4,10\nTEE,2,€12.00,,14\n'


def test_shopify_export_is_summed_per_sku_and_amounts_may_carry_symbols(tmp_path):
    (tmp_path / DROP).mkdir()
    (tmp_path / DROP / "inventory_2026-11-20.csv").write_text(SHOPIFY_EXPORT, encoding="utf-8")
    (tmp_path / DROP / "inventory_2026-11-21.csv").write_text(OWN_FORMAT, encoding="utf-8")
    config = files_config(tmp_path, "duckdb:///files.duckdb")
    load(config)
    rows = {(r["file_name"].split("/")[-1], r["sku"]): (int(r["on_hand"]), r["unit_cost"], int(r["line_number"]))
            for r in query(config, "select file_name, sku, on_hand, unit_cost, line_number from raw_files.inventory_snapshots")}
    assert rows == {
        # 12 + 3 across the two locations, at the SKU's first line
        ("inventory_2026-11-20.csv", "MUG-BLU"): (15, None, 2),
        # "not stocked" at the shop floor adds nothing
        ("inventory_2026-11-20.csv", "MUG-GRN"): (5, None, 4),
        # Shopify allows negative on-hand
        ("inventory_2026-11-20.csv", "TEE-M"): (-1, None, 7),
        ("inventory_2026-11-21.csv", "LAMP"): (3, Decimal("1234.50"), 2),
        ("inventory_2026-11-21.csv", "TEE"): (2, Decimal("12.00"), 3),
    }
    statuses = {r["file_name"].split("/")[-1]: r["status"] for r in query(config, "select file_name, status from raw_files.file_status")}
    assert set(statuses.values()) == {"loaded"}, statuses
