"""Reading one CSV of the file drop: checksum, header mapping, and row validation.

A file is read twice, streaming (memory stays bounded by one batch): the first pass validates
every row and computes the SHA-256 checksum, the second yields rows. Nothing is yielded from a
file that fails validation, and a file that changes between the passes is refused. Every problem
is a ``CsvProblem`` naming the file, the line and the column.

An inventory file may also be Shopify's own inventory export (recognised by its "SKU" and "On
hand (current)" headers): its rows are per variant and location, so they are summed per SKU
(the snapshot's on-hand is the SKU's stock across every location); rows with a blank SKU or
"not stocked" are skipped. Amounts may be written with a currency symbol and thousands
separators (``$1,234.50``).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from storeboard.errors import SourceError
from storeboard.sources.files import settings

_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
#: An amount as spreadsheets and Shopify write it: an optional currency symbol, thousands
#: separated by commas, a decimal point (``$1,234.50``, ``€12.00``, ``1,234``).
_FORMATTED_MONEY = re.compile(r"([+-]?)\s*[$€£¥]?\s*([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
_TYPE_WORDS = {"int": "a whole number", "count": "a whole number of 0 or more", "money": "an amount like 12.50"}
#: What the raw columns hold (bigint, decimal(18, 4)): a larger value would fail the whole load.
_INT_LIMIT = 2**63
_MONEY_LIMIT = Decimal(10) ** 14


class CsvProblem(SourceError):
    """A file of the drop cannot be loaded as it is.

    Attributes:
        file: the file's name relative to the config folder.
        line: 1-based line of the problem (1 is the header), None for the whole file.
        column: the column involved (our name), if any.
        problem: what is wrong, without the location.
    """

    def __init__(self, file: str, line: int | None, column: str | None, problem: str):
        where = f"line {line}" if line is not None else "whole file"
        if column:
            where += f", column '{column}'"
        super().__init__("files", f"{file}: {where}: {problem}")
        self.file, self.line, self.column, self.problem = file, line, column, problem


@dataclass
class CsvFile:
    """One file of the drop and how to read it."""

    path: Path
    name: str
    kind: str
    delimiter: str = ","
    #: our column name -> the header in this file
    mapping: dict[str, str] | None = None
    #: the file is Shopify's inventory export (set when its header is read)
    shopify_export: bool = False
    _location: int | None = None

    def checksum(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def validate(self) -> int:
        """Check every row; returns the number of data rows. Raises ``CsvProblem``."""
        unique = settings.UNIQUE_WITHIN_FILE[self.kind]
        first_seen: dict[Any, int] = {}
        count = 0
        for line, row in self._rows():
            count += 1
            if unique:
                # Shopify's export repeats a SKU once per location, never twice at one
                key = (row[unique], row["_location"]) if self.shopify_export else row[unique]
                if key in first_seen:
                    raise CsvProblem(self.name, line, unique, f"{key!r} appears again (first on line {first_seen[key]})")
                first_seen[key] = line
        if count == 0:
            raise CsvProblem(self.name, None, None, "the file has a header but no data rows")
        return count

    def rows(self, checksum: str) -> Iterator[list[dict[str, Any]]]:
        """Yield batches of validated rows, each with ``file_name``, ``line_number`` and ``file_checksum``."""
        snapshot = self.snapshot_date() if self.kind == "inventory" else None
        batch: list[dict[str, Any]] = []
        digest = hashlib.sha256()
        rows = self._rows(digest)
        if self.kind == "inventory":
            rows = self._summed_per_sku(rows)
        for line, row in rows:
            row.update(file_name=self.name, line_number=line, file_checksum=checksum)
            if snapshot:
                row["snapshot_date"] = snapshot
            batch.append(row)
            if len(batch) >= settings.BATCH_ROWS:
                yield batch
                batch = []
        if digest.hexdigest() != checksum:
            raise CsvProblem(self.name, None, None, "the file changed while it was being read; it is read again next run")
        if batch:
            yield batch

    def _summed_per_sku(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[tuple[int, dict[str, Any]]]:
        """The rows of a Shopify export summed per SKU across locations (at the SKU's first
        line); any other file's rows as they are."""
        summed: dict[str, tuple[int, dict[str, Any]]] = {}
        for line, row in rows:
            if not self.shopify_export:
                yield line, row
                continue
            row.pop("_location", None)
            if row["sku"] in summed:
                summed[row["sku"]][1]["on_hand"] += row["on_hand"]
            else:
                summed[row["sku"]] = (line, row)
        yield from summed.values()

    def snapshot_date(self) -> date:
        """The snapshot's date, from the file name (``inventory_2026-11-20.csv``)."""
        match = settings.SNAPSHOT_DATE.search(Path(self.name).name)
        try:
            if match:
                return date.fromisoformat(match.group(1))
        except ValueError:
            pass
        raise CsvProblem(self.name, None, None, "no valid date in the file name: name snapshots like inventory_2026-11-20.csv")

    def _rows(self, digest: Any = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line, parsed row) for every data row; blank lines are skipped."""
        if self.kind == "inventory":
            self.snapshot_date()
        with self.path.open("rb") as raw:
            reader = csv.reader(self._decoded_lines(raw, digest), delimiter=self.delimiter, strict=True)
            try:
                header = next(reader, None)
                if header is None or not any(h.strip() for h in header):
                    raise CsvProblem(self.name, 1, None, "the file is empty: expected a header row with "
                                     + ", ".join(self._header_names().values()))
                positions = self._positions(header)
                for fields in reader:
                    line = reader.line_num
                    if not any(f.strip() for f in fields):
                        continue
                    if len(fields) != len(header):
                        raise CsvProblem(self.name, line, None, f"expected {len(header)} fields like the header, found {len(fields)}"
                                         " (check the delimiter and quoting)")
                    if self.shopify_export:
                        sku, on_hand = fields[positions["sku"]].strip(), fields[positions["on_hand"]].strip()
                        if not sku or on_hand.lower() == settings.SHOPIFY_NOT_STOCKED:
                            continue  # a variant without a SKU cannot be matched; not stocked here
                    row = self._parse(line, fields, positions)
                    if self.shopify_export:
                        row["_location"] = fields[self._location].strip() if self._location is not None else ""
                    yield line, row
            except csv.Error as exc:
                raise CsvProblem(self.name, reader.line_num, None, f"not valid CSV ({exc})") from None

    def _decoded_lines(self, raw: Any, digest: Any) -> Iterator[str]:
        """The file's lines as text, a leading byte-order mark dropped; a line that is not UTF-8
        is reported with its number."""
        for number, data in enumerate(raw, start=1):
            if digest is not None:
                digest.update(data)
            if number == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                yield data.decode("utf-8")
            except UnicodeDecodeError:
                raise CsvProblem(self.name, number, None, "not UTF-8 text: export the file as UTF-8 CSV") from None

    def _header_names(self) -> dict[str, str]:
        mapping = self.mapping or {}
        return {col: mapping.get(col, col) for col in settings.COLUMNS[self.kind]}

    def _positions(self, header: list[str]) -> dict[str, int]:
        names = [h.strip() for h in header]
        lowered = [n.lower() for n in names]
        export = self._shopify_export_positions(lowered)
        if export is not None:
            return export
        positions = {}
        for col, wanted in self._header_names().items():
            required = settings.COLUMNS[self.kind][col][1] or col in (self.mapping or {})
            if wanted.strip().lower() in lowered:
                positions[col] = lowered.index(wanted.strip().lower())
            elif required:
                if len(names) == 1:
                    other = next((d for d in settings.OTHER_DELIMITERS if d != self.delimiter and d in names[0]), None)
                    if other:
                        shown = "\\t" if other == "\t" else other
                        raise CsvProblem(self.name, 1, None, f"the header is one column {names[0][:60]!r}: the file looks "
                                         f"'{shown}'-delimited, but sources.files.delimiter is '{self.delimiter}'")
                hint = f" (mapped from '{wanted}')" if wanted != col else ""
                raise CsvProblem(self.name, 1, col, f"column is missing{hint}; the header has: {', '.join(names)[:200]}")
        return positions

    def _shopify_export_positions(self, lowered: list[str]) -> dict[str, int] | None:
        """Column positions when the header is Shopify's inventory export, else None."""
        if self.kind != "inventory" or self.mapping or settings.SHOPIFY_EXPORT_SKU not in lowered:
            return None
        on_hand = next((lowered.index(h) for h in settings.SHOPIFY_EXPORT_ON_HAND if h in lowered), None)
        if on_hand is None or "on_hand" in lowered:
            return None
        self.shopify_export = True
        location = settings.SHOPIFY_EXPORT_LOCATION
        self._location = lowered.index(location) if location in lowered else None
        return {"sku": lowered.index(settings.SHOPIFY_EXPORT_SKU), "on_hand": on_hand}

    def _parse(self, line: int, fields: list[str], positions: dict[str, int]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for col, (kind, required) in settings.COLUMNS[self.kind].items():
            raw = fields[positions[col]].strip() if col in positions else ""
            if raw == "":
                if required:
                    raise CsvProblem(self.name, line, col, "the value is empty")
                row[col] = None
                continue
            row[col] = _convert(self.name, line, col, kind, raw)
        return row


def _convert(file: str, line: int, col: str, kind: str, raw: str) -> Any:
    if kind == "text":
        return raw
    if kind in ("int", "count"):
        if not _INT.fullmatch(raw):
            raise CsvProblem(file, line, col, f"expected {_TYPE_WORDS[kind]}, got {raw[:40]!r}")
        value = int(raw)
    else:
        plain = raw
        formatted = _FORMATTED_MONEY.fullmatch(raw)
        if not _DECIMAL.fullmatch(raw) and formatted and not (formatted.group(1) and formatted.group(2)):
            plain = formatted.group(1) + formatted.group(2) + formatted.group(3).replace(",", "") + (formatted.group(4) or "")
        if not _DECIMAL.fullmatch(plain):
            raise CsvProblem(file, line, col, f"expected {_TYPE_WORDS[kind]}, got {raw[:40]!r}")
        value = Decimal(plain)
    if kind in ("count", "money") and value < 0:
        raise CsvProblem(file, line, col, f"must not be negative, got {raw[:40]!r}")
    if abs(value) >= (_MONEY_LIMIT if kind == "money" else _INT_LIMIT):
        raise CsvProblem(file, line, col, f"too large to be {_TYPE_WORDS[kind]}, got {raw[:40]!r}")
    return value
