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
