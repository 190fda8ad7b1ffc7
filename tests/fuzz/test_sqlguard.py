"""Property and fuzz tests of the SQL explorer's first wall (``web/sqlguard.py``).

Whatever text is typed, ``check_query`` returns one read-only statement or raises
``QueryRefused``, nothing else. And what it lets through, run on a DuckDB database *without* the
second wall (no read-only connection, external access on), reads nothing outside the marts: not
another schema, not a file, not the environment, not the settings, and changes nothing.
"""

from __future__ import annotations

import os
import threading

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, example, given, settings, strategies as st

from storeboard.web.sqlguard import QueryRefused, check_query

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
MARTS = {"rpt_revenue_daily", "dim_store"}
CANARY = "CANARY-sqlguard-7f3a"


def guard(sql: str, dialect: str) -> str | None:
    """The statement the guard lets through, or None when it refuses (any other error fails)."""
    try:
        return check_query(sql, dialect, MARTS)
    except QueryRefused as refused:
        assert str(refused), "a refusal says why"
        return None


# -- arbitrary text ---------------------------------------------------------------------------
@FUZZ
@given(sql=st.text(max_size=200), dialect=st.sampled_from(["duckdb", "postgres"]))
@example(sql="select " + "(" * 3000 + "1" + ")" * 3000, dialect="duckdb")
@example(sql="select " + "(" * 3000 + "1" + ")" * 3000, dialect="postgres")
@example(sql="select 1 " + "+ 1 " * 3000, dialect="duckdb")
@example(sql="select \x00", dialect="postgres")
def test_arbitrary_text_is_one_query_or_refused(sql, dialect):
    statement = guard(sql, dialect)
    if statement is None:
        return
    [tree] = [s for s in sqlglot.parse(statement, read=dialect) if s is not None]
    assert isinstance(tree, (sqlglot.exp.Select, sqlglot.exp.SetOperation, sqlglot.exp.Values))
    assert not statement.endswith(";")


# -- composed queries, run without the second wall --------------------------------------------
@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """An in-memory DuckDB with one mart, a secret table beside it, a secret file and a secret
    environment variable: everything the guard must keep out of reach."""
    folder = tmp_path_factory.mktemp("sqlguard")
    secret_file = folder / "secret.csv"
    secret_file.write_text(f"token\n{CANARY}\n")
    os.environ["STOREBOARD_FUZZ_SECRET"] = CANARY
    conn = duckdb.connect()
    conn.execute("create schema analytics")
    conn.execute("create table analytics.rpt_revenue_daily as select date '2026-11-01' as date, 10.5 as net_sales")
    conn.execute("create table analytics.dim_store as select 'acme' as shop_name")
    conn.execute("create schema raw_shopify")
    conn.execute(f"create table raw_shopify.tokens as select '{CANARY}' as token")
    conn.execute(f"create table main.tokens as select '{CANARY}' as token")
    conn.execute(f"set variable secret = '{CANARY}'")
    yield conn, secret_file
    os.environ.pop("STOREBOARD_FUZZ_SECRET", None)
    conn.close()


def catalog(conn) -> list[tuple]:
    return conn.execute("select schema_name, table_name from duckdb_tables() order by 1, 2").fetchall()


PATH = "{path}"
select_items = st.sampled_from([
    "*", "1", "net_sales", "date", "count(*)", "getenv('STOREBOARD_FUZZ_SECRET')", "GETENV('STOREBOARD_FUZZ_SECRET')",
    "getvariable('secret')", "current_setting('home_directory')", "read_text('" + PATH + "')",
    "(select token from raw_shopify.tokens)", "(select token from tokens)", "(select * from main.tokens)",
    "content from read_text('" + PATH + "')", "version()", "(select value from duckdb_settings() limit 1)",
    "(select list(token) from \"raw_shopify\".\"tokens\")", "list_transform([1], x -> getenv('STOREBOARD_FUZZ_SECRET'))",
    "(select string_agg(sql, '') from duckdb_tables())", "(from raw_shopify.tokens)",
])
tables = st.sampled_from([
    "analytics.rpt_revenue_daily", "rpt_revenue_daily", "analytics.dim_store", "raw_shopify.tokens", "tokens",
    "main.tokens", "memory.raw_shopify.tokens", "\"raw_shopify\".tokens", "'" + PATH + "'", "read_csv('" + PATH + "')",
    "read_csv_auto('" + PATH + "')", "glob('*')", "duckdb_tables()", "information_schema.tables", "query('select 1')",
    "query_table('raw_shopify.tokens')", "(select * from raw_shopify.tokens) s", "analytics.rpt_revenue_daily r",
    "t", "sniff_csv('" + PATH + "')", "duckdb_settings()", "pg_catalog.pg_tables", "read_text('" + PATH + "')",
])
prefixes = st.sampled_from(["", "with t as (select 1 as a) ", "with t as (select * from raw_shopify.tokens) ",
                            "/* x */ ", "-- x\n", "WITH tokens AS (SELECT 1 AS token) ", "(", "from "])
suffixes = st.sampled_from(["", ";", " ;; ", "; select 1", "; drop table analytics.rpt_revenue_daily",
                            " -- ; drop", " /* ; */", " union all select token, token from raw_shopify.tokens",
                            " limit 1", ")", " where 1 = 1", "; attach ':memory:' as x", " order by 1"])


def assert_reads_only_marts(conn, statement: str) -> None:
    """Run a statement the guard let through (5 s at most): no secret in its rows, no catalog change."""
    before = catalog(conn)
    cursor = conn.cursor()
    timer = threading.Timer(5, cursor.interrupt)
    timer.start()
    try:
        rows = cursor.execute(statement).fetchall()
    except duckdb.Error:
        return  # the engine refused it: nothing was read
    finally:
        timer.cancel()
        cursor.close()
    assert CANARY not in repr(rows), f"{statement!r} read a secret: {rows!r}"
    assert catalog(conn) == before


@FUZZ
@given(prefix=prefixes, item=select_items, table=tables, suffix=suffixes, upper=st.booleans(),
       form=st.sampled_from(["select {item} from {table}", "select {item}", "from {table} select {item}",
                             "select * from {table} where {item} is not null",
                             "select * from analytics.rpt_revenue_daily join {table} on true"]))
@example(prefix="", item="*", table="raw_shopify.tokens", suffix="", upper=False, form="select {item} from {table}")
@example(prefix="", item="*", table="'{path}'", suffix="", upper=False, form="select {item} from {table}")
def test_what_the_guard_lets_through_reads_only_marts(database, prefix, item, table, suffix, upper, form):
    conn, secret_file = database
    sql = prefix + form.format(item=item, table=table) + suffix
    sql = sql.replace(PATH, str(secret_file))
    if upper:
        sql = sql.upper().replace(str(secret_file).upper(), str(secret_file))
    statement = guard(sql, "duckdb")
    if statement is None:
        return
    assert_reads_only_marts(conn, statement)


# -- the Postgres dialect refuses what reads the server's files and settings ------------------
@FUZZ
@given(item=st.sampled_from(["pg_read_file('/etc/passwd')", "PG_READ_FILE('x')", "pg_ls_dir('.')", "lo_import('x')",
                             "current_setting('data_directory')", "set_config('a', 'b', false)", "nextval('s')",
                             "dblink('x', 'select 1')", "pg_read_binary_file('x')", "query_to_xml('select 1', true, true, '')",
                             "\"pg_read_file\"('x')", "pg_catalog.pg_read_file('x')"]),
       table=st.sampled_from(["analytics.rpt_revenue_daily", "rpt_revenue_daily"]),
       suffix=st.sampled_from(["", " for update", " for share", " into temp t"]))
def test_postgres_server_functions_and_locks_are_refused(item, table, suffix):
    assert guard(f"select {item} from {table}{suffix}", "postgres") is None


# -- function calls and nested SQL (issue 23) ---------------------------------------------------
#: SQL an attacker would hide in a string for a function to run
NESTED_SQL = ["select * from raw_shopify.tokens", "select token from tokens", "from main.tokens",
              "select getenv('STOREBOARD_FUZZ_SECRET')", "select * from read_text('{path}')",
              "select getvariable('secret')", "select * from duckdb_settings()"]
FUNCTIONS = [
    # pure ones the allow-list keeps
    "upper", "lower", "coalesce", "concat", "length", "abs", "round", "md5", "list_value", "string_split",
    "to_json", "json_extract_string", "struct_pack", "array_to_string", "format", "regexp_replace",
    # ones that take SQL, paths, names or settings
    "json_execute_serialized_sql", "json_serialize_sql", "query", "query_table", "read_text", "read_csv",
    "read_json", "glob", "sniff_csv", "getenv", "getvariable", "current_setting", "pragma_storage_info",
    "pragma_table_info", "pragma_show", "duckdb_tables", "duckdb_settings", "duckdb_functions", "test_all_types",
    "parquet_metadata", "json_deserialize_sql", "query_to_xml", "table_to_xml", "pg_read_file", "which_secret",
]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


sql_strings = st.sampled_from(NESTED_SQL).map(_literal)
serialised = st.sampled_from(NESTED_SQL).map(lambda q: f"json_serialize_sql({_literal(q)})")
plain_args = st.sampled_from(["net_sales", "date", "1", "'raw_shopify.tokens'", "'tokens'", "'{path}'",
                              "'STOREBOARD_FUZZ_SECRET'", "'secret'", "'home_directory'", "'*'", "[1, 2]"])


def calls(argument):
    """``name(args)`` in the ways a name can be called: plainly, quoted, qualified, as a method."""
    return st.builds(
        lambda name, args, style: {
            "plain": f"{name}({', '.join(args)})",
            "quoted": f"\"{name}\"({', '.join(args)})",
            "upper": f"{name.upper()}({', '.join(args)})",
            "qualified": f"main.{name}({', '.join(args)})",
            "method": f"({args[0]}).{name}({', '.join(args[1:])})" if args else f"{name}()",
        }[style],
        st.sampled_from(FUNCTIONS), st.lists(argument, max_size=3),
        st.sampled_from(["plain", "quoted", "upper", "qualified", "method"]))


expressions = st.recursive(st.one_of(plain_args, sql_strings, serialised), calls, max_leaves=6)


@FUZZ
@given(expression=expressions, form=st.sampled_from([
    "select {e} from analytics.rpt_revenue_daily", "select {e}", "select * from {e}",
    "select * from analytics.rpt_revenue_daily where {e} is not null",
    "select * from analytics.rpt_revenue_daily, lateral (select {e}) as x",
    "with t as (select {e} as v) select * from t", "select (select {e}) as v"]))
@example(expression="json_execute_serialized_sql(json_serialize_sql('select * from raw_shopify.tokens'))",
         form="select * from {e}")
@example(expression="'select token from raw_shopify.tokens'.query()", form="select {e}")
@example(expression="pragma_storage_info('raw_shopify.tokens')", form="select * from {e}")
def test_function_calls_and_nested_sql_read_only_marts(database, expression, form):
    conn, secret_file = database
    sql = form.format(e=expression).replace(PATH, str(secret_file))
    statement = guard(sql, "duckdb")
    if statement is None:
        return
    assert_reads_only_marts(conn, statement)


@FUZZ
@given(expression=expressions.map(lambda e: e.replace("json_serialize_sql", "query_to_xml")))
def test_postgres_refuses_every_call_that_is_not_pure(expression):
    """Whatever nests them, a call of a function off the allow-list is refused on PostgreSQL."""
    sql = f"select {expression} from rpt_revenue_daily"
    tokens = sqlglot.tokenize(sql, read="postgres")
    called = {t.text.lower() for t, after in zip(tokens, tokens[1:])
              if after.token_type == sqlglot.TokenType.L_PAREN and t.token_type != sqlglot.TokenType.STRING}
    if called & set(FUNCTIONS[16:]):  # a call (not text in a string) of a function off the list
        assert guard(sql, "postgres") is None, sql
