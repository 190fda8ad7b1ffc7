"""File-drop connector constants: the columns of each CSV kind, their types, and file naming."""

import re

#: kind -> our column -> (type, required). Types: text, int, count (int ≥ 0), money (decimal ≥ 0).
COLUMNS = {
    "inventory": {
        "sku": ("text", True),
        "on_hand": ("int", True),
        "unit_cost": ("money", False),
        "reorder_point": ("count", False),
        "lead_time_days": ("count", False),
    },
    "shipping": {
        "order_id": ("text", True),
        "carrier": ("text", False),
        "label_cost": ("money", True),
    },
}
#: The table each kind loads into, and the columns that identify a row within one file.
TABLES = {"inventory": "inventory_snapshots", "shipping": "shipping_costs"}
#: One row per SKU in a snapshot; a shipping file may hold several labels for one order.
UNIQUE_WITHIN_FILE = {"inventory": "sku", "shipping": None}
#: Status of every file seen, one row per file name (merged).
STATUS_TABLE = "file_status"
#: A snapshot's date comes from its file name: inventory_2026-11-20.csv.
SNAPSHOT_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
#: Delimiters recognised when a header arrives as one column (to name the likely mistake).
OTHER_DELIMITERS = (",", ";", "\t", "|")
#: Rows per page handed to dlt.
BATCH_ROWS = 2000

#: Shopify's own inventory export (Products > Inventory > Export, "Exporting or importing
#: inventory" in the Shopify Help Center): one row per variant and location, a "SKU" column
#: (blank for variants without a SKU), "Location", and the quantity as "On hand (current)"
#: ("On hand" in older exports; "not stocked" where the location does not stock the variant).
SHOPIFY_EXPORT_SKU = "sku"
SHOPIFY_EXPORT_ON_HAND = ("on hand (current)", "on hand")
SHOPIFY_EXPORT_LOCATION = "location"
SHOPIFY_NOT_STOCKED = "not stocked"
