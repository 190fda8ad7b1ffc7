"""The marts as canonical text, table by table, so two warehouses compare byte for byte.

Every relation in the ``analytics`` schema is dumped: a header with its columns, then every row
as tab-separated canonical values, sorted. Only values that describe *when* a build or a run
happened (not what the data says) are left out, listed in ``VOLATILE``, and the restatement log's
tables (``HISTORY_TABLES``), which are the history of the refreshes themselves.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal

from storeboard.warehouse import Warehouse

SCHEMA = "analytics"

#: Columns that record the moment of a build or of a run, never the store's data:
#: ``dim_store.built_at`` is the build time; ``rpt_source_health`` reads the run log, whose
#: timestamps and per-run row counts differ between any two histories by construction.
VOLATILE = {
    "dim_store": {"built_at"},
    "rpt_source_health": {"last_attempt_at", "last_success_at", "rows_loaded_last_success",
                          "minutes_since_success", "last_quarantined_at", "quarantined_last_run"},
}
#: The restatement log records each refresh's view of closed periods: two histories (one with a
#: crash and its recovery, one clean) differ in it by construction. The figures themselves
#: (``rpt_headline_figures``) are compared like every other mart.
HISTORY_TABLES = {"fct_headline_figure_history", "rpt_restatements"}


def canonical(value) -> str:
    r"""One value as text that is equal exactly when the values are equal (``\N`` for null)."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else "NaN"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def tables(conn) -> list[str]:
    rows = conn.query("select table_name from information_schema.tables where table_schema = %(s)s "
                      "order by table_name", {"s": SCHEMA})
    return [r["table_name"] for r in rows]


def dump_table(conn, table: str) -> str:
    """``table`` as canonical text: ``# table``, the column names, then the sorted rows."""
    columns = [r["column_name"] for r in conn.query(
        "select column_name from information_schema.columns where table_schema = %(s)s and table_name = %(t)s "
        "order by ordinal_position", {"s": SCHEMA, "t": table})]
    kept = [c for c in columns if c not in VOLATILE.get(table, set())]
    rows = conn.query(f"select {', '.join(_quote(c) for c in kept)} from {SCHEMA}.{_quote(table)}")
    lines = sorted("\t".join(canonical(row[c]) for c in kept) for row in rows)
    return "\n".join([f"# {table}", "\t".join(kept), *lines]) + "\n"


def dump(warehouse: Warehouse) -> dict[str, str]:
    """Every mart of ``warehouse`` as canonical text, by table name."""
    with warehouse.connect(read_only=True) as conn:
        return {table: dump_table(conn, table) for table in tables(conn) if table not in HISTORY_TABLES}


def differences(expected: dict[str, str], actual: dict[str, str], limit: int = 5) -> list[str]:
    """Readable differences between two dumps (empty when they are byte for byte equal)."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            problems.append(f"{table}: missing")
        elif table not in expected:
            problems.append(f"{table}: unexpected")
        elif expected[table] != actual[table]:
            want, got = set(expected[table].splitlines()), set(actual[table].splitlines())
            only_want, only_got = sorted(want - got)[:limit], sorted(got - want)[:limit]
            problems.append(f"{table}: expected but missing {only_want}; present but unexpected {only_got}")
    return problems


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
