"""The dlt destinations Storeboard loads into: DuckDB and PostgreSQL, merging with one DELETE per key.

A merged table with both a primary key and a merge key (the child tables: a line is its ``id``,
and belongs to ``order_id``) gets, from dlt, one ``DELETE … WHERE EXISTS (… d.id = s.id OR
d.order_id = s.order_id)``. Neither DuckDB nor PostgreSQL can hash-join on an ``OR``, so that
delete compares every stored row with every staged one: 31 s of a 1 % incremental refresh at
250,000 orders. Deleting by each key in its own statement (as dlt already does for BigQuery)
removes the same rows with two hash joins.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import dlt
from dlt.destinations.sql_jobs import SqlMergeFollowupJob


class _OneDeletePerKey(SqlMergeFollowupJob):
    @classmethod
    def gen_key_table_clauses(cls, root_table_name: str, staging_root_table_name: str, primary_keys: Sequence[str],
                              merge_keys: Sequence[str], for_delete: bool, source_filter: str | None = None) -> list[str]:
        return [
            f"FROM {root_table_name} as d WHERE EXISTS (SELECT 1 FROM {staging_root_table_name} as s"
            f" WHERE {cls._gen_staging_rows_cond(clause.format(d='d', s='s'), source_filter)})"
            for clause in cls._gen_key_table_clauses(primary_keys, merge_keys)
        ]


@functools.cache
def _with_one_delete_per_key(client_class: type) -> type:
    class Client(client_class):  # type: ignore[misc, valid-type]
        def _create_merge_followup_jobs(self, table_chain: Sequence[Any]) -> list[Any]:
            return [_OneDeletePerKey.from_table_chain(table_chain, self.sql_client)]

    Client.__name__ = Client.__qualname__ = client_class.__name__
    return Client


class duckdb(dlt.destinations.duckdb):
    @property
    def client_class(self) -> type:
        return _with_one_delete_per_key(super().client_class)


class postgres(dlt.destinations.postgres):
    @property
    def client_class(self) -> type:
        return _with_one_delete_per_key(super().client_class)
