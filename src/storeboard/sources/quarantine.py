"""The malformed-record rule, shared by every source.

A record that fails its source's checks (missing id, a field of the wrong type, money that does
not parse) is never dropped silently and never stops the other records: it is written whole to
``raw_<source>.quarantine`` with the resource, its id (if any), the field and the reason, and
the data-health view lists it. The source's cursor moves on past it, like past any record read:
holding the cursor would read the record again forever and, on lists read oldest first, stop
every record after it. ``storeboard run --replay-quarantine`` (``storeboard.replay``) loads the
kept records that pass the checks after a fix and removes them from quarantine.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import dlt

QUARANTINE_TABLE = "quarantine"
#: Cursors compare timestamps as strings, so only one shape is accepted: RFC 3339 with an offset.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
#: A plain decimal (no NaN, Infinity, exponent or digit separators) that fits decimal(18, 4).
_DECIMAL = re.compile(r"[+-]?[0-9]{1,14}(\.[0-9]+)?")


class RecordProblem(ValueError):
    """Why a record cannot be loaded: the field and what is wrong with it."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def quarantined(resource: str, record: Any, problem: RecordProblem) -> Any:
    """A quarantine row for ``record``, routed by dlt to the ``quarantine`` table (append)."""
    record_id = record.get("id") if isinstance(record, dict) else None
    row = {
        "resource": resource,
        "record_id": None if record_id is None else str(record_id),
        "field": problem.field,
        "reason": problem.reason,
        # whole: replaying it must load exactly what the source sent
        "payload": json.dumps(record, default=str, sort_keys=True),
        "quarantined_at": datetime.now(UTC),
    }
    # A table variant: the hints apply to this table only, not to the rest of the resource.
    return dlt.mark.with_hints(
        row,
        dlt.mark.make_hints(table_name=QUARANTINE_TABLE, write_disposition="append", primary_key=(), merge_key=(),
                            columns={"record_id": {"data_type": "text", "nullable": True}}),
        create_table_variant=True,
    )


def require_str(record: dict, field: str, prefix: str = "") -> str:
    value = record.get(field)
    if not isinstance(value, str) or not value or not value.startswith(prefix):
        raise RecordProblem(field, f"expected a string{' starting ' + repr(prefix) if prefix else ''}, got {value!r:.60}")
    return value


def require_timestamp(record: dict, field: str) -> str:
    value = record.get(field)
    try:
        if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
            raise ValueError(value)
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RecordProblem(field, f"expected an ISO 8601 timestamp, got {value!r:.60}") from None
    return value


def require_decimal(value: Any, field: str, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    # Whatever the staging models cannot cast to money would fail the whole build.
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)) \
            or not _DECIMAL.fullmatch(str(value)):
        raise RecordProblem(field, f"expected a decimal amount, got {value!r:.60}")
