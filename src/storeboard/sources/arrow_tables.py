"""API records as Arrow tables: how the heavy sources hand their rows to dlt.

dlt loads Arrow tables as they are (Parquet for DuckDB, CSV for PostgreSQL), without the
row-by-row flattening, type inference and coercion it applies to dicts; at 60,000 orders that
normalisation was half of a refresh's CPU. So a resource declares its raw table once — which
fields of the record it keeps, under the column names dlt would have given them
(``billing_details.email`` becomes ``billing_details__email``, ``totalPriceSet`` becomes
``total_price_set``) and with which type — and yields tables of a few thousand rows.

A value whose type does not fit its column (a string where an integer belongs) never fails the
whole batch: ``Shape.table_of`` names the records and fields that do not fit, and the caller
quarantines them like any other malformed record.

Nested lists (an order's lines, a deal's contacts) become child tables (``ChildTable``): every
row carries its parent's id, and the table is merged by it, so loading a parent again replaces
all of its rows, as dlt's own nested tables do. A parent that now has no rows in a child table
(a shipping line removed by an order edit) sends it a tombstone: a row flagged ``_deleted`` that
deletes the parent's old rows and is not itself loaded (dlt's ``hard_delete``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import dlt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention

from storeboard.sources.quarantine import RecordProblem

_NAMING = NamingConvention()

#: Column types a shape can declare, and the Arrow type each is loaded as.
ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    # ISO 8601 strings with an offset, loaded as UTC instants
    "timestamp": pa.timestamp("us", tz="UTC"),
    # Python Decimals (money parsed from a CSV file), exact
    "decimal": pa.decimal128(18, 4),
    # Python dates
    "date": pa.date32(),
    # any JSON value, kept whole as its JSON text (dlt's json type)
    "json": pa.string(),
}
#: Rows per table handed to dlt: each table costs dlt a schema merge, so pages are gathered.
BATCH_ROWS = 5_000
#: The hard-delete flag of child tables (null on every loaded row).
DELETED = "_deleted"


def column_name(path: str) -> str:
    """The raw column for a dotted record path, named as dlt names nested fields."""
    return "__".join(_NAMING.normalize_identifier(part) for part in path.split("."))


@dataclass(frozen=True)
class Column:
    name: str
    path: tuple[str, ...]
    kind: str


class Shape:
    """One raw table: the record fields it keeps, their column names and types.

    Args:
        table: the raw table name.
        key: paths that may never be null (the primary key, the parent's id).
        columns: type name (``text``, ``bigint``, ``double``, ``bool``, ``timestamp``,
            ``decimal``, ``date``, ``json``) -> dotted paths into the record (``payment_method_details.card.brand``);
            a path of ``a.b`` reads ``record["a"]["b"]``, null where a level is missing.
    """

    def __init__(self, table: str, key: Sequence[str] = ("id",), **columns: Sequence[str]):
        unknown = set(columns) - set(ARROW_TYPES)
        if unknown:
            raise ValueError(f"{table}: unknown column types {sorted(unknown)}")
        self.table = table
        self.columns = tuple(Column(column_name(p), tuple(p.split(".")), kind)
                             for kind, paths in columns.items() for p in paths)
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{table}: a column is declared twice")
        key_names = {column_name(k) for k in key}
        if not key_names <= set(names):
            raise ValueError(f"{table}: key {sorted(key_names - set(names))} is not a column")
        self.schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.kind], nullable=c.name not in key_names)
                                 for c in self.columns])

    @property
    def column_hints(self) -> dict[str, dict[str, Any]]:
        """dlt column hints for the declared JSON columns (the rest follow from Arrow types)."""
        return {c.name: {"data_type": "json"} for c in self.columns if c.kind == "json"}

    def marked(self, table: pa.Table) -> Any:
        """``table`` as a dlt item of this raw table, carrying the column hints Arrow types cannot
        (JSON). The hints travel with the item, not the resource: dlt copies a resource's hints into
        every table variant it makes (quarantine, child tables), which would give those the columns."""
        hints = self.column_hints
        if not hints:
            return table
        return dlt.mark.with_hints(table, dlt.mark.make_hints(table_name=self.table, columns=hints),
                                   create_table_variant=True)

    def table_of(self, records: Sequence[dict[str, Any]]) -> tuple[pa.Table, list[tuple[int, RecordProblem]]]:
        """The Arrow table of ``records``, and the (index, problem) of each record that does not fit.

        Records with a problem are left out of the table; the caller quarantines them.
        """
        problems: dict[int, RecordProblem] = {}
        arrays = []
        # Each path prefix is walked once for all records (``totalPriceSet`` for its amount and
        # currency alike), not once per column.
        levels: dict[tuple[str, ...], list[Any]] = {(): list(records)}
        for column, field in zip(self.columns, self.schema):
            values = _values(levels, column.path)
            try:
                array = _array(values, column.kind, field.type)
            except (pa.ArrowException, OverflowError, TypeError, ValueError):
                array = None
                for i, value in enumerate(values):
                    if i not in problems and not _fits(value, column.kind, field.type):
                        problems[i] = _misfit(value, column)
            else:
                if not field.nullable and array.null_count:
                    for i, value in enumerate(values):
                        if value is None:
                            problems.setdefault(i, RecordProblem(".".join(column.path), "missing"))
            arrays.append(array)
        if not problems:
            return pa.Table.from_arrays(arrays, schema=self.schema), []
        table, _ = self.table_of([r for i, r in enumerate(records) if i not in problems])
        return table, sorted(problems.items())


def _values(levels: dict[tuple[str, ...], list[Any]], path: tuple[str, ...]) -> list[Any]:
    """The values at ``path`` of every record, from (and into) ``levels``: path prefix -> values."""
    found = levels.get(path)
    if found is None:
        parents = _values(levels, path[:-1])
        key = path[-1]
        # a level that is not an object (null, or malformed) has nothing below it
        found = levels[path] = [v.get(key) if type(v) is dict else None for v in parents]
    return found


def _array(values: list[Any], kind: str, arrow_type: pa.DataType) -> pa.Array:
    if kind == "json":
        return pa.array([None if v is None else orjson.dumps(v).decode() for v in values], pa.string())
    if kind == "timestamp":
        return pc.cast(pa.array(values, pa.string()), arrow_type)
    # Inferred first: converting straight to the column type would truncate 1.5 to 1 and
    # read True as 1; an inferred type other than the column's (or null) is a misfit.
    inferred = pa.array(values)
    if inferred.type == arrow_type or pa.types.is_null(inferred.type):
        return inferred.cast(arrow_type)
    if kind == "double" and pa.types.is_int64(inferred.type):
        return inferred.cast(arrow_type)
    if kind == "decimal" and pa.types.is_decimal(inferred.type):
        return inferred.cast(arrow_type)  # raises if a value has more places or digits than fit
    raise TypeError(f"{inferred.type} is not {arrow_type}")


def _fits(value: Any, kind: str, arrow_type: pa.DataType) -> bool:
    try:
        _array([value], kind, arrow_type)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return False
    return True


def _misfit(value: Any, column: Column) -> RecordProblem:
    """Why ``value`` cannot go into ``column``."""
    field = ".".join(column.path)
    if column.kind == "timestamp" and isinstance(value, str):
        return RecordProblem(field, f"expected an ISO 8601 timestamp with an offset, got {value!r:.60}")
    if column.kind == "bigint" and isinstance(value, int) and not isinstance(value, bool):
        return RecordProblem(field, f"expected a 64-bit integer, got {value!r:.60}")
    return RecordProblem(field, f"expected {_DESCRIBED[column.kind]}, got {value!r:.60}")


_DESCRIBED = {"text": "a string", "bigint": "an integer", "double": "a number", "bool": "true or false",
              "timestamp": "an ISO 8601 timestamp", "json": "a JSON value", "decimal": "a decimal with at most 4 places",
              "date": "a date"}


class Batches:
    """Gathers records and yields them as Arrow tables of about ``BATCH_ROWS`` rows.

    ``add`` and ``flush`` yield ``(table, problems)`` pairs with the problems' records, so the
    caller can quarantine them; ``table`` is None when every record of a batch was a misfit.
    """

    def __init__(self, shape: Shape, rows: int = BATCH_ROWS):
        self.shape, self.rows = shape, rows
        self._pending: list[dict[str, Any]] = []

    def add(self, records: Iterable[dict[str, Any]]) -> Iterator[tuple[pa.Table | None, list[tuple[dict[str, Any], RecordProblem]]]]:
        self._pending.extend(records)
        if len(self._pending) >= self.rows:
            yield self._take()

    def flush(self) -> Iterator[tuple[pa.Table | None, list[tuple[dict[str, Any], RecordProblem]]]]:
        if self._pending:
            yield self._take()

    def _take(self) -> tuple[pa.Table | None, list[tuple[dict[str, Any], RecordProblem]]]:
        records, self._pending = self._pending, []
        table, problems = self.shape.table_of(records)
        return (table if table.num_rows else None), [(records[i], p) for i, p in problems]


@dataclass(frozen=True)
class ChildTable:
    """Rows that belong to a parent record, merged by the parent's id.

    Attributes:
        shape: the table's columns (the parent key and primary key among them).
        parent_key: the record path of the parent's id in each row (``orderId``, ``deal_id``).
        primary_key: record paths that identify a row (``id``; ``lineItemId`` and ``position``).
        rows: the parent's rows for this table.
        path: where the rows sit in the parent, for quarantine reasons (``lineItems[]``).
    """

    shape: Shape
    parent_key: str
    primary_key: tuple[str, ...]
    rows: Callable[[dict[str, Any]], list[dict[str, Any]]]
    path: str

    def tombstone(self, parent_id: str) -> dict[str, Any]:
        """A row that deletes the parent's old rows here and is not loaded itself."""
        kinds = {c.path: c.kind for c in self.shape.columns}
        row: dict[str, Any] = {key: -1 if kinds[(key,)] == "bigint" else f"{parent_id}:deleted" for key in self.primary_key}
        row.update({self.parent_key: parent_id, DELETED: True})
        return row

    def hints(self) -> Any:
        columns = dict(self.shape.column_hints)
        columns[DELETED] = {"data_type": "bool", "nullable": True, "hard_delete": True}
        return dlt.mark.make_hints(table_name=self.shape.table, write_disposition="merge",
                                   primary_key=[column_name(k) for k in self.primary_key],
                                   merge_key=column_name(self.parent_key), columns=columns)


def child_table(table: str, path: str, parent_key: str, primary_key: tuple[str, ...],
                rows: Callable[[dict[str, Any]], list[dict[str, Any]]], **columns: Sequence[str]) -> ChildTable:
    """A ``ChildTable``; its parent and primary key columns are text unless declared otherwise."""
    declared = {p for paths in columns.values() for p in paths}
    keys = tuple(dict.fromkeys((parent_key, *primary_key)))
    text = tuple(dict.fromkeys((*(k for k in keys if k not in declared), *columns.pop("text", ()))))
    bools = (*columns.pop("bool", ()), DELETED)
    return ChildTable(Shape(table, key=keys, text=text, bool=bools, **columns), parent_key, primary_key, rows, path)


def nested_items(parent: Shape, children: Sequence[ChildTable], records: list[dict[str, Any]],
                 tombstones: bool) -> tuple[list[Any], list[tuple[dict[str, Any], RecordProblem]]]:
    """The dlt items for ``records`` (their ``id`` is the parent key) and their child tables.

    Args:
        parent: the parent table's shape.
        children: its child tables.
        records: checked records.
        tombstones: send a tombstone for each child table a record has no rows in (not needed
            when the tables are new, as in a backfill).

    Returns:
        Arrow tables (the parent's first, child tables marked with their table and merge hints)
        and (record, problem) pairs: a record is loaded whole, children included, or
        quarantined whole.
    """
    bad: dict[Any, tuple[dict[str, Any], RecordProblem]] = {}
    while True:
        good = [r for r in records if r["id"] not in bad]
        by_id = {r["id"]: r for r in good}
        items: list[Any] = []
        found = False
        table, problems = parent.table_of(good)
        for index, problem in problems:
            bad[good[index]["id"]] = (good[index], problem)
            found = True
        if table.num_rows:
            items.append(parent.marked(table))
        for child in children:
            rows, have = [], set()
            for record in good:
                mine = child.rows(record)
                if mine:
                    rows.extend(mine)
                    have.add(record["id"])
            if tombstones:
                rows.extend(child.tombstone(r["id"]) for r in good if r["id"] not in have)
            table, problems = child.shape.table_of(rows)
            for index, problem in problems:
                owner = by_id[rows[index][child.parent_key]]
                bad.setdefault(owner["id"], (owner, RecordProblem(f"{child.path}.{problem.field}", problem.reason)))
                found = True
            if table.num_rows:
                items.append(dlt.mark.with_hints(table, child.hints(), create_table_variant=True))
        if not found:
            return items, list(bad.values())
