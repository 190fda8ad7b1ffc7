"""Login, sessions, CSRF, throttling, the SQL explorer's walls and filter parameters."""

from __future__ import annotations

import shutil
import time
from decimal import Decimal

import duckdb
import pytest
import sqlglot
from fastapi.testclient import TestClient
from sqlglot import exp
from starlette.routing import Mount

from storeboard.web.app import create_app
from storeboard.web.auth import hash_password, verify_password
from storeboard.web.sqlguard import QueryRefused, _call_key, allowed_calls, check_query
from tests.web.conftest import PASSWORD, USER, csrf_of, load_web_config, login

MARTS = {"rpt_revenue_daily", "fct_orders", "dim_store"}


def app_paths(app) -> list[tuple[str, str]]:
    """(method, path) of every route, included routers unfolded."""
    paths = []

    def walk(routes, prefix=""):
        for route in routes:
            if isinstance(route, Mount):
                continue
            nested = getattr(route, "original_router", None)
            if nested is not None:
                walk(nested.routes, prefix + getattr(nested, "prefix", ""))
                continue
            for method in sorted(getattr(route, "methods", None) or []):
                if method != "HEAD":
                    paths.append((method, prefix + route.path.replace("{table_id}", "periods")))

    walk(app.routes)
    return paths


def test_every_page_and_api_route_rejects_anonymous_requests(web_config):
    app = create_app(web_config)
    anonymous = TestClient(app, base_url="http://localhost")
    routes = app_paths(app)
    assert ("GET", "/api/revenue") in routes and ("POST", "/api/sql") in routes and ("GET", "/sql") in routes
    for method, path in routes:
        if path in ("/login",):
            continue
        response = anonymous.request(method, path, follow_redirects=False)
        assert response.status_code == 401, f"{method} {path} answered {response.status_code} without a login"
        page = anonymous.request(method, path, headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code in (303, 401), f"{method} {path}"
        if page.status_code == 303:
            assert page.headers["location"].startswith("/login?next=")
    assert anonymous.get("/static/storeboard.css").status_code == 200, "the login page's assets are public"


def test_login_sets_an_httponly_samesite_cookie_and_logout_ends_it(web_config):
    client = TestClient(create_app(web_config), base_url="http://localhost")
    response = login(client)
    assert response.status_code == 303 and response.headers["location"] == "/revenue"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/revenue").status_code == 200
    token = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    kept = client.cookies.get("storeboard_session")
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    client.cookies.clear()
    assert client.get("/api/revenue").status_code == 401
    # a copy of the cookie kept from before the logout no longer works (issue 23: it did)
    stolen = TestClient(client.app, base_url="http://localhost", cookies={"storeboard_session": kept})
    assert stolen.get("/api/revenue").status_code == 401


def test_wrong_passwords_are_throttled(web_config):
    client = TestClient(create_app(web_config), base_url="http://localhost")
    for _ in range(web_config.web.login_attempts):
        assert login(client, password="wrong password").status_code == 401
    response = login(client)  # even the right password waits out the lock-out
    assert response.status_code == 429 and "Too many failed attempts" in response.text
    other = TestClient(create_app(web_config), base_url="http://localhost")
    assert login(other, username="nobody", password="x").status_code == 401


def test_posts_need_the_sessions_csrf_token(client):
    assert client.post("/sql", data={"sql": "select 1"}).status_code == 403
    assert client.post("/api/sql", data={"sql": "select 1", "csrf_token": "nope"}).status_code == 403
    ok = client.post("/api/sql", data={"sql": "select 1 as one"}, headers={"x-csrf-token": csrf_of(client)})
    assert ok.status_code == 200 and ok.json()["rows"] == [[1]]
    anonymous = TestClient(client.app, base_url="http://localhost")
    token = anonymous.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    forged = TestClient(client.app, base_url="http://localhost")  # another browser: its own anonymous session, so the token is not its
    assert forged.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}).status_code == 403


def test_login_off_serves_only_this_machine(web_folder):
    app = create_app(load_web_config(web_folder, login=False))
    assert TestClient(app, client=("127.0.0.1", 5000), base_url="http://localhost").get("/api/revenue").status_code == 200
    assert TestClient(app, client=("203.0.113.9", 5000), base_url="http://localhost").get("/api/revenue").status_code == 403
    assert TestClient(app, client=("10.0.0.2", 5000), base_url="http://localhost").get("/revenue").status_code == 403


def test_without_users_only_this_machine_is_served_even_behind_a_proxy(web_folder):
    app = create_app(load_web_config(web_folder, users=[]))  # the demo: login on, nobody to log in
    local = TestClient(app, client=("127.0.0.1", 5000), base_url="http://localhost")
    assert local.get("/api/revenue").status_code == 200
    assert local.get("/api/revenue", headers={"x-forwarded-for": "198.51.100.7"}).status_code == 403
    assert TestClient(app, client=("::1", 5000), base_url="http://localhost").get("/api/revenue").status_code == 200
    refused = TestClient(app, client=("192.0.2.1", 5000), base_url="http://localhost").get("/revenue")
    assert refused.status_code == 403 and "storeboard user add" in refused.text


def test_passwords_are_argon2_hashes():
    hashed = hash_password("s3cret-enough")
    assert hashed.startswith("$argon2id$") and verify_password(hashed, "s3cret-enough")
    assert not verify_password(hashed, "s3cret-enougH")
    assert not verify_password("$argon2id$garbage", "x")


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
@pytest.mark.parametrize("sql", [
    "insert into analytics.dim_store values ('UTC', 'USD', now())",
    "update analytics.dim_store set currency_code = 'EUR'",
    "delete from analytics.fct_orders",
    "drop table analytics.dim_store",
    "create table analytics.x as select 1",
    "alter table analytics.dim_store add column x int",
    "truncate analytics.fct_orders",
    "attach 'other.duckdb' as other",
    "copy analytics.fct_orders to '/tmp/orders.csv'",
    "copy (select 1) to program 'id'",
    "select * from read_csv('/etc/passwd')",
    "select * from read_csv_auto('/etc/passwd')",
    "select pg_read_file('/etc/passwd')",
    "select * from pg_ls_dir('.')",
    "select lo_import('/etc/passwd')",
    "select * from '/etc/passwd'",
    "select getenv('HOME')",
    "select set_config('statement_timeout', '0', false)",
    "select * from query('drop table analytics.dim_store')",
    "select 1; drop table analytics.dim_store",
    "select 1; select 2",
    "select * into analytics.copy_of_orders from analytics.fct_orders",
    "select * from raw_shopify.orders",
    "select * from staging.stg_shopify__orders",
    "select * from information_schema.tables",
    "pragma database_list",
    "set enable_external_access = true",
    "install httpfs",
    "load httpfs",
    "call pragma_version()",
    "begin",
    "",
])
def test_explorer_refuses_anything_but_one_select_over_the_marts(sql, dialect):
    with pytest.raises(QueryRefused):
        check_query(sql, dialect, MARTS)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_explorer_accepts_ordinary_queries(dialect):
    for sql in ["select * from analytics.rpt_revenue_daily;",
                "with d as (select date, net_sales from rpt_revenue_daily) select * from d where net_sales > 0",
                "select order_date, count(*) from analytics.fct_orders group by 1 order by 1 desc limit 10",
                "select 'drop table x; attach' as harmless_text"]:
        assert check_query(sql, dialect, MARTS)


def test_explorer_refuses_writes_end_to_end_and_leaves_the_warehouse_alone(client, warehouse):
    before = warehouse("select count(*) from analytics.fct_orders")[0][0]
    token = csrf_of(client)
    for sql in ["delete from analytics.fct_orders", "select 1; delete from analytics.fct_orders",
                "select * from read_csv('/etc/passwd')", "attach ':memory:' as m"]:
        response = client.post("/sql", data={"sql": sql, "csrf_token": token})
        assert response.status_code == 400 and "Refused" in response.text
    assert warehouse("select count(*) from analytics.fct_orders")[0][0] == before


def test_explorer_limits_rows(web_folder):
    client = TestClient(create_app(load_web_config(web_folder, sql_row_limit=5)), base_url="http://localhost")
    login(client)
    data = client.post("/api/sql", data={"sql": "select * from analytics.fct_orders", "csrf_token": csrf_of(client)}).json()
    assert len(data["rows"]) == 5 and data["truncated"] is True


def test_explorer_stops_a_long_query_at_its_timeout(web_folder):
    client = TestClient(create_app(load_web_config(web_folder, sql_timeout_seconds=1.0)), base_url="http://localhost")
    login(client)
    import time

    started = time.monotonic()
    data = client.post("/api/sql", data={
        "sql": "select count(*) from analytics.fct_orders a, analytics.fct_orders b, analytics.fct_orders c, "
               "analytics.fct_orders d", "csrf_token": csrf_of(client)}).json()
    assert data.get("timeout") is True and "stopped" in data["error"]
    assert time.monotonic() - started < 15


@pytest.mark.postgres
def test_explorer_runs_read_only_with_a_timeout_on_postgres(postgres_url):
    import psycopg

    from storeboard.warehouse import Warehouse
    from storeboard.web import queries

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("create schema analytics")
        conn.execute("create table analytics.rpt_revenue_daily as select current_date as date, 10.5 as net_sales")
        conn.execute("create sequence analytics.counter")
    with Warehouse(postgres_url).connect(read_only=True, timeout_seconds=30) as conn:
        result = queries.run_explorer_query(conn, "select * from rpt_revenue_daily", 100, 5)
        assert result["columns"] == ["date", "net_sales"] and len(result["rows"]) == 1
        with pytest.raises(queries.QueryTimeout):
            queries.run_explorer_query(conn, "select pg_sleep(3)", 100, 0.5)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            # the guard would refuse this; the transaction refuses it even so
            queries.run_explorer_query(conn, "select * from (select 1) as x cross join lateral "
                                             "(select nextval('analytics.counter')) as y", 100, 5)


@pytest.mark.parametrize("path", [
    "/api/revenue?start=2026-11-01'%20or%201=1--",
    "/api/revenue?end=2026-11-20;drop%20table%20analytics.dim_store",
    "/api/revenue?grain=day'--",
    "/api/revenue?preset=7d'%20union%20select",
    "/api/products?sort=net_revenue;drop%20table%20x",
    "/api/products?dir=desc,1",
    "/api/customers?channel=x'%20or%20'1'='1",
    "/revenue/nope'.csv",
])
def test_filter_parameters_cannot_inject_sql(client, warehouse, path):
    response = client.get(path)
    assert response.status_code in (404, 422), response.text
    assert warehouse("select count(*) from analytics.dim_store")[0][0] == 1


def test_stale_or_failed_source_puts_a_banner_on_every_page(web_folder, tmp_path):
    shutil.copy(web_folder / "storeboard.duckdb", tmp_path / "storeboard.duckdb")
    with duckdb.connect(str(tmp_path / "storeboard.duckdb")) as conn:
        conn.execute("update analytics.rpt_source_health set last_status = 'failed', health_status = 'failed', "
                     "last_error = 'Shopify returned 401' where source_name = 'shopify'")
        conn.execute("update analytics.rpt_source_health set last_success_at = now() - interval 3 days "
                     "where source_name = 'stripe'")
    config = load_web_config(web_folder)
    config.warehouse = type(config.warehouse)(f"duckdb:///{tmp_path / 'storeboard.duckdb'}")
    client = TestClient(create_app(config), base_url="http://localhost")
    login(client)
    for path in ["/revenue", "/marketing", "/customers", "/products", "/inventory", "/health", "/sql"]:
        text = client.get(path).text
        assert 'id="health-banner"' in text and "shopify failed" in text and "stripe is stale" in text, path
    assert "Shopify returned 401" in client.get("/health").text


# -- issue 23: what the hardening probe got through, each refused -------------------------------
NESTED_SQL_AND_READERS = [
    # High 1: DuckDB runs a statement serialised into a string
    "select * from json_execute_serialized_sql(json_serialize_sql('select * from raw_shopify.orders'))",
    "select * from json_execute_serialized_sql('{}')",
    "select 'select 1'.query()",
    "select * from query_table('raw_shopify.orders')",
    # High 2: PostgreSQL runs any SELECT given as a string
    "select query_to_xml_and_xmlschema('select pg_read_file(''/etc/hostname'')', true, true, '')",
    "select query_to_xmlschema('select * from pg_authid', true, true, '')",
    "select table_to_xml_and_xmlschema('raw_shopify.orders', true, true, '')",
    "select table_to_xml('raw_shopify.orders', true, true, '')",
    "select database_to_xml(true, true, '')",
    "select pg_terminate_backend(1)",
    "select * from pg_catalog.pg_ls_dir('.')",
    "select \"pg_read_file\"('/etc/hostname')",
    "select xpath('/a', query_to_xml('select 1', true, true, '')::xml)",
    "select * from dblink('host=x', 'select 1') as t(a int)",
    "select current_setting('data_directory')",
    "select 'analytics.fct_orders'::regclass",
    # Low: pragma functions, test functions, settings and version readers
    "select * from pragma_storage_info('raw_shopify.orders')",
    "select * from pragma_table_info('raw_shopify.orders')",
    "select * from pragma_show('raw_shopify.orders')",
    "select * from test_all_types()",
    "select * from duckdb_settings()",
    "select * from duckdb_tables()",
    "select * from glob('*')",
    "select * from read_text('.env')",
    "select * from sniff_csv('.env')",
    "select current_database(), version()",
    "select getvariable('x')",
    "select nextval('analytics.counter')",
    "select * from analytics.rpt_revenue_daily where $1 = 1",
]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
@pytest.mark.parametrize("sql", NESTED_SQL_AND_READERS)
def test_explorer_refuses_nested_sql_table_functions_and_readers(sql, dialect):
    with pytest.raises(QueryRefused):
        check_query(sql, dialect, MARTS)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
@pytest.mark.parametrize("sql", [
    "select strftime(date, '%Y-%m') as month, sum(net_sales) from analytics.rpt_revenue_daily group by 1",
    "select date_trunc('month', date), round(avg(net_sales), 2), count(*) filter (where net_sales > 0) "
    "from rpt_revenue_daily group by 1",
    "select extract(year from date) as y, coalesce(net_sales, 0)::decimal(18, 2) from rpt_revenue_daily",
    "select date, net_sales, lag(net_sales) over (order by date) from rpt_revenue_daily",
    "select percentile_cont(0.5) within group (order by net_sales) from rpt_revenue_daily",
    "select case when net_sales > 100 then 'big' else lower('SMALL') end from rpt_revenue_daily",
    "select * from generate_series(1, 3) as s(i)",
    "select o.* from fct_orders o join rpt_revenue_daily r on r.date = o.order_date where o.order_id in "
    "(select order_id from analytics.fct_orders limit 3)",
])
def test_explorer_accepts_pure_functions(sql, dialect):
    assert check_query(sql, dialect, MARTS)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_no_function_that_takes_sql_paths_or_settings_is_on_the_allow_list(dialect):
    allowed = allowed_calls(dialect)
    for call in ["json_execute_serialized_sql('x')", "query('x')", "query_table('x')", "read_csv('x')",
                 "read_text('x')", "glob('x')", "pragma_storage_info('x')", "query_to_xml('x', true, true, '')",
                 "pg_read_file('x')", "current_setting('x')", "getenv('x')", "dblink('x', 'y')", "test_all_types()",
                 "nextval('x')", "version()", "set_config('a', 'b', false)", "pg_ls_dir('.')"]:
        try:
            tree = sqlglot.parse_one(f"select {call}", read=dialect)
        except sqlglot.errors.ParseError:
            continue  # not a function of this dialect: the guard refuses the text outright
        assert not {_call_key(f) for f in tree.find_all(exp.Func)} & allowed, call


@pytest.mark.postgres
def test_on_postgres_the_web_reads_as_a_select_only_role(postgres_url, tmp_path):
    """High 2 with the guard out of the way: as the reader role, query_to_xml* reach nothing
    outside analytics, and server files and other sessions are out of reach."""
    import uuid

    import psycopg

    from storeboard.warehouse import Warehouse, web_warehouse
    from storeboard.web import queries

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("create schema analytics")
        conn.execute("create table analytics.rpt_revenue_daily as select current_date as date, 10.5 as net_sales")
        conn.execute("create schema raw_shopify")
        conn.execute("create table raw_shopify.orders as select 'CANARY-raw' as email")
    owner = Warehouse(postgres_url)
    assert owner.is_superuser(), "the test cluster's URL is a superuser, as the docs' example was"
    role = f"reader_{uuid.uuid4().hex[:8]}"
    owner.grant_reader(role, "reader-password-1")
    owner.grant_reader(role, "reader-password-2")  # the next build: updated, not an error
    with owner.connect() as conn:  # a mart built after the grant is readable too
        conn.execute("create table analytics.dim_store as select 'USD' as currency_code")
    reader = owner.as_user(role, "reader-password-2")
    assert not reader.is_superuser()
    with reader.connect(read_only=True, timeout_seconds=30) as conn, psycopg.connect(postgres_url) as other:
        other_pid = other.info.backend_pid  # another session, as the pipeline's would be
        result = queries.run_explorer_query(conn, "select * from rpt_revenue_daily cross join dim_store", 100, 5)
        assert [str(v) for v in result["rows"][0][1:]] == ["10.5", "USD"]
        for attack in ["select query_to_xml_and_xmlschema('select * from raw_shopify.orders', true, true, '')",
                       "select query_to_xmlschema('select pg_read_file(''/etc/hostname'')', true, true, '')",
                       "select table_to_xml_and_xmlschema('raw_shopify.orders', true, true, '')",
                       "select pg_read_file('/etc/hostname')", "select * from pg_ls_dir('.')",
                       f"select pg_terminate_backend({other_pid})", "select * from pg_authid"]:
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable)):
                queries.run_explorer_query(conn, attack, 100, 5)
    config = load_web_config_for(tmp_path, postgres_url, role)
    assert web_warehouse(config).pg_params()["user"] == role


def load_web_config_for(folder, url: str, role: str):
    from storeboard.config import load_config

    (folder / "storeboard.yml").write_text(
        f"warehouse: {url}\nweb:\n  reader_role: {role}\n  reader_password: ${{READER_PASSWORD}}\n")
    return load_config(folder / "storeboard.yml", environ={"READER_PASSWORD": "reader-password-2"})


def _explorer_duckdb(tmp_path):
    from storeboard.warehouse import Warehouse

    warehouse = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with warehouse.connect() as conn:
        conn.execute("create schema analytics")
        conn.execute("create table analytics.fct_orders as select range as order_id, repeat('x', 1000) as note "
                     "from range(5000)")
    return warehouse


def test_explorer_results_are_capped_by_bytes(tmp_path):
    from storeboard.web import queries

    with _explorer_duckdb(tmp_path).connect(read_only=True, explorer=True) as conn:
        result = queries.run_explorer_query(conn, "select order_id, note from analytics.fct_orders order by order_id",
                                            1000, 10, byte_limit=100_000)
        assert result["truncated_by"] == "bytes" and result["truncated"] is True
        assert len(result["rows"]) == 99 and result["rows"][98] == [98, "x" * 1000]
        # one huge value (Medium 6: a 20-million-element list) is cut by DuckDB before it reaches Python
        started = time.monotonic()
        result = queries.run_explorer_query(conn, "select range(0, 20000000) as r, 1 as a, 1 as a", 10, 60,
                                            byte_limit=100_000)
        assert result["columns"] == ["r", "a", "a_1"] and result["truncated_by"] == "bytes" and result["rows"] == []
        assert time.monotonic() - started < 30
        small = queries.run_explorer_query(conn, "select [1, 2] as l, {'k': 1.5} as s, 2.50::decimal(18, 2) as d",
                                           10, 10)
        assert small["rows"] == [["[1, 2]", "{'k': 1.5}", Decimal("2.50")]]



def test_removing_a_user_or_changing_their_password_or_restarting_ends_their_sessions(web_folder):
    from pydantic import SecretStr

    from storeboard.config import WebUser

    config = load_web_config(web_folder, session_secret=SecretStr("a fixed secret for this test"))
    config.web.users = [*config.web.users, WebUser(username="other", password_hash=hash_password("other password"))]
    app = create_app(config)
    founder = TestClient(app, base_url="http://localhost")
    other = TestClient(app, base_url="http://localhost")
    assert login(founder).status_code == 303
    assert login(other, username="other", password="other password").status_code == 303
    # a restart (a new app with the same session secret) ends every session
    restarted = TestClient(create_app(config), base_url="http://localhost", cookies=dict(founder.cookies))
    assert restarted.get("/api/revenue").status_code == 401
    # a new password for "other" ends their session at once
    config.web.users[-1] = WebUser(username="other", password_hash=hash_password("a new password"))
    assert other.get("/api/revenue").status_code == 401
    # removing the founder ends theirs
    assert founder.get("/api/revenue").status_code == 200
    config.web.users = config.web.users[-1:]
    assert founder.get("/api/revenue").status_code == 401


def test_a_non_ascii_user_name_is_a_wrong_login_not_an_error(web_config):
    client = TestClient(create_app(web_config), base_url="http://localhost")
    assert login(client, username="founder\u200b").status_code == 401
    assert login(client, username="fóunder", password="é").status_code == 401


def test_the_login_throttle_forgets_within_its_bound():
    from storeboard.web.auth import LoginThrottle

    throttle = LoginThrottle(3, max_keys=100)
    for i in range(5000):
        throttle.failed(f"made-up-{i}", f"198.51.100.{i % 200}")
    assert len(throttle) <= 100
    for _ in range(3):
        throttle.failed("founder", "192.0.2.7")
    assert throttle.blocked("founder", "192.0.2.7"), "the pair being attacked now is still locked out"


@pytest.mark.parametrize("users", [True, False])
def test_the_host_header_must_be_a_configured_name(web_folder, users):
    """DNS rebinding: a page on attacker.example that resolves to 127.0.0.1 cannot read the answers."""
    config = load_web_config(web_folder, **({} if users else {"users": []}))
    app = create_app(config)
    for host in ["http://attacker.example", "http://attacker.example:8000", "http://127.0.0.1.attacker.example"]:
        response = TestClient(app, base_url=host, client=("127.0.0.1", 5000)).get("/login")
        assert response.status_code == 400 and "web.hosts" in response.text, host
        refused = TestClient(app, base_url=host, client=("127.0.0.1", 5000)).post("/api/sql", data={"sql": "select 1"})
        assert refused.status_code == 400
    for host in ["http://localhost:8000", "http://127.0.0.1", "http://[::1]:8000"]:
        assert TestClient(app, base_url=host, client=("127.0.0.1", 5000)).get("/login").status_code == 200, host
    config.web.hosts = ["dashboards.example.com"]
    proxied = TestClient(create_app(config), base_url="https://dashboards.example.com", client=("127.0.0.1", 5000))
    assert proxied.get("/login").status_code == 200


def test_a_lone_x_forwarded_proto_is_refused_without_users(web_folder):
    app = create_app(load_web_config(web_folder, users=[]))
    local = TestClient(app, base_url="http://localhost", client=("127.0.0.1", 5000))
    assert local.get("/api/revenue").status_code == 200
    for header in ["x-forwarded-proto", "x-forwarded-port", "forwarded", "x-real-ip"]:
        assert local.get("/api/revenue", headers={header: "https"}).status_code == 403, header


def test_every_response_carries_the_security_headers(client):
    responses = [client.get("/revenue"), client.get("/api/revenue"), client.get("/static/storeboard.css"),
                 TestClient(client.app, base_url="http://localhost").get("/api/revenue"),
                 client.get("/nope"), client.post("/webhooks/shopify", content=b"{}")]
    for response in responses:
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], response.url
        assert "script-src 'self';" in headers["content-security-policy"]
        scripts = headers["content-security-policy"].split("style-src")[0]
        assert "unsafe" not in scripts, "no inline or evaluated scripts"
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"


def test_csv_exports_neutralise_formulas(client):
    token = csrf_of(client)
    response = client.post("/sql.csv", data={"csrf_token": token, "sql": (
        "select '=HYPERLINK(\"http://x.example\", \"click\")' as link, '+1+cmd' as plus, '@SUM(1)' as at, "
        "'-2+3' as minus, -5 as negative, 2.50::decimal(18, 2) as amount, 'plain' as text")})
    assert response.status_code == 200
    header, row = response.text.splitlines()
    assert row == "\"'=HYPERLINK(\"\"http://x.example\"\", \"\"click\"\")\",'+1+cmd,'@SUM(1),'-2+3,-5,2.50,plain"


def test_test_all_types_is_a_clear_refusal_not_a_500(client):
    response = client.post("/api/sql", data={"sql": "select * from test_all_types()", "csrf_token": csrf_of(client)})
    assert response.status_code == 200 and response.json()["refused"] is True
    assert "test_all_types" in response.json()["error"]
    assert client.post("/api/sql", data={"sql": "select 1 as one", "csrf_token": csrf_of(client)}).json()["rows"] == [[1]]


@pytest.mark.postgres
def test_on_postgres_the_web_reads_as_the_reader_role_by_default(postgres_url, tmp_path):
    """Issue 23: without web.reader_password the reader role is still the default. Before a
    build creates it the URL's user reads (and doctor warns); once it exists, every web session
    takes it, so the superuser's reach is gone even for what the allow-list would not stop."""
    import uuid

    import psycopg

    from storeboard.config import load_config
    from storeboard.warehouse import Warehouse, web_warehouse
    from storeboard.web import queries

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("create schema if not exists analytics")
        conn.execute("create table analytics.fct_default_role as select 7.25 as amount")
        conn.execute("create schema if not exists raw_default_role")
        conn.execute("create table raw_default_role.orders as select 'CANARY-raw' as email")
    role = f"reader_{uuid.uuid4().hex[:8]}"
    (tmp_path / "storeboard.yml").write_text(f"warehouse: {postgres_url}\nweb:\n  reader_role: {role}\n")
    web = web_warehouse(load_config(tmp_path / "storeboard.yml", environ={}))
    owner = Warehouse(postgres_url)
    assert web.acting_as() == owner.acting_as() and owner.is_superuser(), "no role yet: the URL's user reads"
    owner.grant_reader(role, None)
    owner.grant_reader(role, None)  # the next build: no error; this process's web takes the role at once
    fresh = web_warehouse(load_config(tmp_path / "storeboard.yml", environ={}))
    assert fresh.acting_as() == (role, False)
    with fresh.connect(read_only=True, timeout_seconds=30) as conn:
        result = queries.run_explorer_query(conn, "select amount from fct_default_role", 10, 5)
        assert [str(v) for v in result["rows"][0]] == ["7.25"]
        for attack in ["select pg_read_file('/etc/hostname')", "select * from pg_authid",
                       "select query_to_xml('select * from raw_default_role.orders', true, true, '')"]:
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable)):
                queries.run_explorer_query(conn, attack, 10, 5)
    with psycopg.connect(postgres_url) as conn:
        can_login = conn.execute("select rolcanlogin from pg_roles where rolname = %s", [role]).fetchone()[0]
    assert can_login is False, "without a password the reader role cannot log in"


@pytest.mark.postgres
def test_postgres_explorer_cuts_one_huge_value_in_the_engine(postgres_url):
    """Medium 6 on PostgreSQL: a single half-gigabyte-capable value is cut by the server, and
    duplicate column names and non-text types survive the wrapping."""
    from storeboard.warehouse import Warehouse
    from storeboard.web import queries

    with Warehouse(postgres_url).connect(read_only=True, timeout_seconds=30) as conn:
        started = time.monotonic()
        result = queries.run_explorer_query(
            conn, "select repeat('x', 30000000) as big, 1 as a, 2.50::numeric(18, 2) as a, array[1, 2] as l", 10, 30)
        assert time.monotonic() - started < 30
        assert result["columns"] == ["big", "a", "a", "l"]
        big, one, amount, array = result["rows"][0]
        assert big == "x" * 100_000 and one == 1 and amount == Decimal("2.50") and array == "{1,2}"
        plain = queries.run_explorer_query(conn, "select 1 as a, 2.5 as b", 10, 5)
        assert plain["rows"] == [[1, Decimal("2.5")]]
