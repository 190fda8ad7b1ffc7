"""What the SQL explorer accepts: one read-only query over the marts, checked before it runs.

The check is the first of two walls. The statement is parsed (sqlglot, in the warehouse's
dialect) and refused unless it is a single SELECT / set operation / VALUES that reads only tables
of the ``analytics`` schema (or its own CTEs) and calls no function that reads files, the
environment, other databases or changes settings. The second wall is how it runs (see
``queries.run_explorer_query``): a read-only DuckDB connection with external access disabled, or
a read-only Postgres transaction with a statement timeout, plus a row limit.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from storeboard.errors import StoreboardError


class QueryRefused(StoreboardError):
    """The SQL explorer will not run this statement."""


#: functions that read files or URLs, run nested SQL, read the environment, change settings or
#: sequences, or talk to other servers
DENIED_FUNCTIONS = {
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto", "read_json_objects",
    "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects", "read_text", "read_blob",
    "read_xlsx", "sniff_csv", "glob", "parquet_metadata", "parquet_schema", "parquet_file_metadata", "query",
    "query_table", "getenv", "set_config", "current_setting", "nextval", "setval", "currval", "lastval",
    "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "lo_import", "lo_export", "lo_get",
    "lo_put", "lo_from_bytea", "lo_open", "lo_unlink", "dblink", "dblink_exec", "dblink_connect", "pg_terminate_backend",
    "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal", "pg_promote", "pg_logdir_ls",
    "postgres_scan", "postgres_query", "sqlite_scan", "mysql_scan", "iceberg_scan", "delta_scan", "load_extension",
    "duckdb_secrets", "duckdb_settings", "which_secret", "http_get", "http_post", "pg_advisory_lock",
    "pg_advisory_xact_lock", "txid_current", "pg_notify", "query_to_xml", "table_to_xml", "database_to_xml",
    "schema_to_xml", "cursor_to_xml", "xpath_table", "ts_stat", "refresh_materialized_view",
}
#: harmless functions that the prefix rules below would otherwise refuse
ALLOWED_FUNCTIONS = {"pg_sleep", "pg_typeof", "read_only"}
_DENIED_PREFIXES = ("read_", "pg_", "lo_", "dblink", "duckdb_")
#: statement words that never belong in a read-only query
DENIED_WORDS = {"attach", "detach", "copy", "pragma", "install", "load", "checkpoint", "vacuum", "call", "into",
                "export", "import", "grant", "revoke", "truncate", "listen", "notify", "prepare", "execute",
                "deallocate", "lock", "reindex", "cluster", "discard", "reset", "use"}
_ALLOWED_ROOTS = (exp.Select, exp.SetOperation, exp.Values)
_DENIED_NODES = (exp.Into, exp.Lock, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Copy,
                 exp.Command, exp.Merge, exp.Set, exp.Pragma, exp.Transaction, exp.Commit, exp.Rollback)
_WORD = re.compile(r"[a-z_][a-z0-9_$]*")


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _denied_function(name: str) -> bool:
    if name in ALLOWED_FUNCTIONS:
        return False
    return name in DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES) or name.endswith("_scan")


def _check_words(sql: str, dialect: str) -> None:
    """Token-level wall: refuses denied words anywhere outside string literals and comments."""
    try:
        tokens = sqlglot.tokenize(sql, read=dialect)
    except (TokenError, ParseError) as exc:
        raise QueryRefused(f"cannot read this SQL: {str(exc).splitlines()[0]}") from None
    for token in tokens:
        if token.token_type in (sqlglot.TokenType.STRING, sqlglot.TokenType.NATIONAL_STRING,
                                sqlglot.TokenType.RAW_STRING, sqlglot.TokenType.HEREDOC_STRING):
            continue
        word = token.text.lower()
        if word in DENIED_WORDS:
            raise QueryRefused(f"only read-only SELECT queries are allowed ({word.upper()} is not)")
        if _WORD.fullmatch(word) and word in DENIED_FUNCTIONS:
            raise QueryRefused(f"the function {word} is not allowed in the explorer")


def check_query(sql: str, dialect: str, marts: set[str]) -> str:
    """Return the single statement in ``sql`` (trailing semicolons removed) when it may run.

    Args:
        sql: what the user typed.
        dialect: ``duckdb`` or ``postgres``.
        marts: lower-case names of the tables in ``analytics``.

    Raises:
        QueryRefused: empty, several statements, not a query, a write or DDL, a table outside
            ``analytics``, or a denied function; the message says which.
    """
    text = sql.strip()
    if not text:
        raise QueryRefused("type a SELECT query")
    if len(text) > 20_000:
        raise QueryRefused("the query is longer than 20,000 characters")
    try:
        return _check(text, dialect, marts)
    except RecursionError:  # sqlglot parses and walks recursively
        raise QueryRefused("the query is nested too deeply") from None


def _check(text: str, dialect: str, marts: set[str]) -> str:
    _check_words(text, dialect)
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except (ParseError, TokenError) as exc:
        raise QueryRefused(f"cannot parse this SQL: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryRefused("run one statement at a time (no ';' between statements)")
    tree = statements[0]
    if not isinstance(tree, _ALLOWED_ROOTS):
        raise QueryRefused(f"only read-only SELECT queries are allowed, not {tree.key.upper()}")
    ctes = {str(cte.alias).lower() for cte in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if isinstance(node, _DENIED_NODES):
            raise QueryRefused(f"only read-only SELECT queries are allowed ({node.key.upper()} is not)")
        if isinstance(node, exp.Func) and _denied_function(_function_name(node)):
            raise QueryRefused(f"the function {_function_name(node)} is not allowed in the explorer")
        if isinstance(node, exp.Table):
            _check_table(node, ctes, marts)
    return text.rstrip().rstrip(";").rstrip()


def _check_table(node: exp.Table, ctes: set[str], marts: set[str]) -> None:
    if not isinstance(node.this, exp.Identifier):
        if isinstance(node.this, exp.Func):
            return  # a table function: checked as a function
        raise QueryRefused("only the marts in analytics can be queried")
    name = node.name.lower()
    schema = (node.db or "").lower()
    if node.catalog or schema not in ("", "analytics") or (not schema and name not in ctes and name not in marts) \
            or (schema and name not in marts):
        shown = ".".join(p for p in (node.catalog, node.db, node.name) if p)
        raise QueryRefused(f"{shown} is not a mart: only tables in analytics can be queried (see the catalog)")
