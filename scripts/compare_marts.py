"""Compare two DuckDB warehouses built from the same store: every staging, intermediate and mart
relation, row for row. For a refactor that must not change a number: build the demo store with
the old and the new code (same --seed, --orders and --as-of), then

    .venv/bin/python scripts/compare_marts.py OLD.duckdb NEW.duckdb

Columns holding the runs' own clocks (timestamps, run ids, durations) differ by construction
and are left out; everything else must be equal. Exits 1 when a relation differs.
"""

from __future__ import annotations

import sys

import duckdb

RUN_COLUMNS = {"_dlt_load_id", "_dlt_id", "run_id", "duration_seconds", "seconds", "minutes_since_success"}


def relations(con: duckdb.DuckDBPyConnection, db: str) -> set[tuple[str, str]]:
    return set(con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = ? "
        "and table_schema not like 'raw_%' and table_schema <> 'storeboard_meta'", [db]).fetchall())


def columns(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str) -> dict[str, str]:
    return dict(con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? order by ordinal_position", [db, schema, table]).fetchall())


def main(old: str, new: str) -> int:
    con = duckdb.connect()
    con.execute(f"attach '{old}' as o (read_only)")
    con.execute(f"attach '{new}' as n (read_only)")
    o, n = relations(con, "o"), relations(con, "n")
    differ = [f"{s}.{t}: only in {old}" for s, t in sorted(o - n)] + [f"{s}.{t}: only in {new}" for s, t in sorted(n - o)]
    equal = 0
    for schema, table in sorted(o & n):
        oc, nc = columns(con, "o", schema, table), columns(con, "n", schema, table)
        if list(oc) != list(nc):
            differ.append(f"{schema}.{table}: columns only old {sorted(set(oc) - set(nc))}, "
                          f"only new {sorted(set(nc) - set(oc))}")
        shared = ", ".join(f'"{c}"' for c, kind in oc.items()
                           if c in nc and c not in RUN_COLUMNS and not kind.startswith("TIMESTAMP"))
        counts = [con.execute(f'select count(*) from (select {shared} from {a}."{schema}"."{table}" '
                              f'except all select {shared} from {b}."{schema}"."{table}")').fetchone()[0]
                  for a, b in (("o", "n"), ("n", "o"))]
        if any(counts):
            differ.append(f"{schema}.{table}: {counts[0]} rows only old, {counts[1]} only new")
        else:
            equal += 1
    print("\n".join(differ) or "no differences")
    print(f"{equal} relations equal, {len(differ)} differences")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
