"""Files source: the CSV drop of inventory snapshots and shipping costs.

Loads into ``raw_files``:

- ``inventory_snapshots``: one row per SKU per snapshot file (``sku``, ``on_hand``, ``unit_cost``
  in shop currency, ``reorder_point`` and ``lead_time_days``), with ``snapshot_date`` (store-local
  date, from the file name ``inventory_YYYY-MM-DD.csv``);
- ``shipping_costs``: one row per label (``order_id`` is the Shopify order name such as ``#1042``,
  ``carrier``, ``label_cost`` in shop currency);
- ``file_status``: one row per file seen, with its checksum, row count, and the error that keeps it
  from loading, if any.

Every data row carries ``file_name`` (relative to the config folder), ``line_number`` and
``file_checksum``. A file is loaded once: its name and SHA-256 checksum are kept in dlt state, so
an unchanged file is skipped and a changed file is reloaded, its old rows replaced (merge on
``file_name``). A file removed from the folder keeps its rows (snapshots are history).

A broken file (missing column, a value that is not a number, wrong delimiter, duplicate SKU in a
snapshot, empty file, not UTF-8) is **skipped and recorded**, not fatal: nothing of it is loaded,
the rows of its last good version stay, ``file_status`` holds the error naming the file, line and
column, a WARNING is logged, and every other file still loads. It is checked again on each run and
loads as soon as it is fixed. A byte-order mark is accepted.
"""

from __future__ import annotations

import glob as globbing
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt

from storeboard.config import FilesSettings
from storeboard.errors import SourceError
from storeboard.sources.arrow_tables import Shape
from storeboard.sources.files import settings as file_settings
from storeboard.sources.files.helpers import CsvFile, CsvProblem

__all__ = ["CsvProblem", "check", "matching_files", "source"]

logger = logging.getLogger(__name__)

_MERGE = {"disposition": "merge", "strategy": "delete-insert"}
_COMMON = {"file_name": {"data_type": "text", "nullable": False}, "line_number": {"data_type": "bigint"},
           "file_checksum": {"data_type": "text"}}
_INVENTORY_COLUMNS = {
    **_COMMON,
    "snapshot_date": {"data_type": "date"},
    "sku": {"data_type": "text", "nullable": False},
    "on_hand": {"data_type": "bigint"},
    "unit_cost": {"data_type": "decimal", "precision": 18, "scale": 4},
    "reorder_point": {"data_type": "bigint"},
    "lead_time_days": {"data_type": "bigint"},
}
_SHIPPING_COLUMNS = {
    **_COMMON,
    "order_id": {"data_type": "text", "nullable": False},
    "carrier": {"data_type": "text"},
    "label_cost": {"data_type": "decimal", "precision": 18, "scale": 4},
}
_STATUS_COLUMNS = {
    "file_name": {"data_type": "text", "nullable": False},
    "kind": {"data_type": "text"},
    "status": {"data_type": "text"},
    "checksum": {"data_type": "text"},
    "rows": {"data_type": "bigint"},
    "error": {"data_type": "text"},
    "error_line": {"data_type": "bigint"},
    "error_column": {"data_type": "text"},
    "checked_at": {"data_type": "timestamp"},
}

#: The data rows as Arrow tables (values are already typed by the CSV checks).
_SHAPES = {
    "inventory": Shape("inventory_snapshots", key=("file_name", "sku"), text=("file_name", "file_checksum", "sku"),
                       bigint=("line_number", "on_hand", "reorder_point", "lead_time_days"), decimal=("unit_cost",),
                       date=("snapshot_date",)),
    "shipping": Shape("shipping_costs", key=("file_name", "order_id"), text=("file_name", "file_checksum", "order_id",
                      "carrier"), bigint=("line_number",), decimal=("label_cost",)),
}
_DATA_HINTS = {
    "inventory": dlt.mark.make_hints(table_name="inventory_snapshots", write_disposition=_MERGE,
                                     primary_key=("file_name", "sku"), merge_key="file_name", columns=_INVENTORY_COLUMNS),
    "shipping": dlt.mark.make_hints(table_name="shipping_costs", write_disposition=_MERGE,
                                    primary_key=("file_name", "line_number"), merge_key="file_name",
                                    columns=_SHIPPING_COLUMNS),
}


@dlt.source(name="files")
def source(settings: FilesSettings, base_dir: Path | str | None = None) -> Any:
    """The file-drop dlt source.

    Args:
        settings: the ``sources.files`` config block (globs, delimiter, column mapping).
        base_dir: the folder the globs are relative to: the config's folder
            (``config.base_dir``). Default: the current directory.

    Returns:
        The ``inventory_snapshots`` and ``shipping_costs`` resources (each also writes
        ``file_status``).
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()

    # Table hints travel with the rows (table variants): the same resource also writes file_status.
    @dlt.resource(name="inventory_snapshots")
    def inventory_snapshots() -> Iterator[Any]:
        """Rows of every new or changed ``inventory_glob`` file; on hand in units, unit cost in
        shop currency, lead time in days."""
        yield from _load(base, settings.inventory_glob, "inventory", settings)

    @dlt.resource(name="shipping_costs")
    def shipping_costs() -> Iterator[Any]:
        """Rows of every new or changed ``shipping_glob`` file; label cost in shop currency."""
        yield from _load(base, settings.shipping_glob, "shipping", settings)

    return inventory_snapshots, shipping_costs


def matching_files(base: Path, pattern: str) -> list[Path]:
    """Files matching ``pattern`` (relative to ``base`` unless absolute), sorted by name."""
    return sorted(Path(p) for p in globbing.glob(os.path.join(base, pattern)) if Path(p).is_file())


def check(settings: FilesSettings, base_dir: Path | str | None = None) -> str:
    """Count the files the globs match; returns a one-line description for ``storeboard doctor``.

    Raises:
        SourceError: neither glob matches a file.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    inventory = matching_files(base, settings.inventory_glob)
    shipping = matching_files(base, settings.shipping_glob)
    if not inventory and not shipping:
        raise SourceError("files", f"no files match sources.files.inventory_glob ({settings.inventory_glob}) or "
                                   f"shipping_glob ({settings.shipping_glob}) in {base}: check the paths, which are "
                                   "relative to storeboard.yml")
    return f"{len(inventory)} inventory snapshot(s) and {len(shipping)} shipping-cost file(s) in {base}"


def _display_name(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _status(kind: str, name: str, checksum: str, rows: int | None, problem: CsvProblem | None) -> Any:
    row = {
        "file_name": name,
        "kind": kind,
        "status": "error" if problem else "loaded",
        "checksum": checksum,
        "rows": rows,
        "error": str(problem) if problem else None,
        "error_line": problem.line if problem else None,
        "error_column": problem.column if problem else None,
        "checked_at": datetime.now(UTC),
    }
    return dlt.mark.with_hints(
        row,
        dlt.mark.make_hints(table_name=file_settings.STATUS_TABLE, write_disposition=_MERGE, primary_key="file_name",
                            merge_key="file_name", columns=_STATUS_COLUMNS),
        create_table_variant=True,
    )


def _load(base: Path, pattern: str, kind: str, settings: FilesSettings) -> Iterator[Any]:
    """Yield the rows of new and changed files, and a status row for each file that changed state."""
    state = dlt.current.resource_state()
    loaded: dict[str, str] = state.setdefault("loaded", {})
    broken: dict[str, str] = state.setdefault("broken", {})
    mapping = settings.inventory_columns if kind == "inventory" else settings.shipping_columns
    paths = matching_files(base, pattern)
    logger.info("files: %d %s file(s) match %s", len(paths), kind, pattern)
    for path in paths:
        name = _display_name(path, base)
        with tempfile.TemporaryDirectory(prefix="storeboard-files-") as tmp:
            # Read a private copy, so the file cannot change between validating and loading.
            copy, checksum = Path(tmp) / "copy.csv", _copy(path, Path(tmp) / "copy.csv")
            if loaded.get(name) == checksum:
                if broken.pop(name, None):  # restored to the version already loaded
                    yield _status(kind, name, checksum, None, None)
                continue
            if broken.get(name) == checksum:
                continue  # the same broken version, already recorded
            csv_file = CsvFile(copy, name, kind, settings.delimiter, mapping)
            try:
                count = csv_file.validate()
            except CsvProblem as problem:
                logger.warning("files: %s skipped: %s", name, problem)
                broken[name] = checksum
                yield _status(kind, name, checksum, None, problem)
                continue
            hints, shape = _DATA_HINTS[kind], _SHAPES[kind]
            for batch in csv_file.rows(checksum):
                table, problems = shape.table_of(batch)
                if problems:  # the checks above type every value; this would be a bug
                    raise SourceError("files", f"{name}: line {batch[problems[0][0]]['line_number']}: {problems[0][1]}")
                yield dlt.mark.with_hints(table, hints, create_table_variant=True)
            loaded[name], _ = checksum, broken.pop(name, None)
            logger.info("files: %s loaded (%d rows)", name, count)
            yield _status(kind, name, checksum, count, None)


def _copy(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            dst.write(block)
    return digest.hexdigest()
