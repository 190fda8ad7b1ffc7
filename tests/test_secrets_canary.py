"""Secrets never leak: every secret is a unique canary string, runs fail in several ways, and the
canaries are searched for everywhere Storeboard writes or shows anything.

The store's sources read canary credentials: the sandbox accepts Shopify's client secret (and
answers each exchange with a canary access token that lives two seconds, so tokens are renewed
during the run), HubSpot's and Meta's (so they travel on every successful request, through retries after a dropped connection and a
malformed record), rejects Stripe's and Google's (401 / invalid_client), and Meta's then expires
mid-run. Slack's webhook URL and the SMTP server are unreachable. The web session secret signs
the login. Then the output of ``storeboard -vv run`` (which also posts the alerts), ``report
weekly --send`` and ``doctor`` (subprocesses, DEBUG logging), the web pages, API, CSV exports
and SQL explorer, every table of the warehouse (dlt's compressed state unpacked) and every file
in the project folder except ``.env`` and ``storeboard.yml`` are searched; so are the errors,
logs and tables of a PostgreSQL warehouse whose URL holds a canary password.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import sys
import uuid
import zlib
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from fastapi.testclient import TestClient

from storeboard.config import load_config
from storeboard.demo import write_sandbox_config
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.faults import Fault
from storeboard.sandbox.server import free_port
from storeboard.sandbox.shopify import CostBucket
from storeboard.warehouse import Warehouse
from storeboard.web.app import create_app
from storeboard.web.pages import NAVIGATION
from storeboard.web.users import add_user
from tests.conftest import make_generator

USER, PASSWORD = "owner", "a long enough password"
#: Canary names of the access tokens the sandbox issued for Shopify's client secret (not in .env).
EXCHANGED = "SHOPIFY_EXCHANGED_TOKEN_"
SECRET_FILES = {".env", "storeboard.yml"}


def canary(name: str) -> str:
    # '/' and '+' as real tokens have them (Google refresh tokens start 1//), so encoded forms are searched too.
    return f"canary-{name}-{uuid.uuid4().hex[:10]}/+x"


def forms(secret: str) -> set[str]:
    """The secret and the ways it could be written down: URL-encoded, and base64 (Basic auth)."""
    found = {secret, quote(secret, safe=""), quote_plus(secret), secret.split("/")[0]}
    for text in (secret, secret + ":"):
        found.add(base64.b64encode(text.encode()).decode().rstrip("="))
    return found


def leaks(text: str, canaries: dict[str, str]) -> list[str]:
    """Names of the canaries found in ``text``."""
    return sorted(name for name, secret in canaries.items() if any(f in text for f in forms(secret)))


def unpacked(value) -> str:
    """Text of a warehouse value, with dlt's zlib+base64 state blobs unpacked."""
    text = str(value)
    if isinstance(value, str) and re.fullmatch(r"eN[A-Za-z0-9+/=]{20,}", value):
        try:
            text += zlib.decompress(base64.b64decode(value)).decode("utf-8", "replace")
        except (ValueError, zlib.error):
            pass
    return text


def warehouse_text(config) -> dict[str, str]:
    """``schema.table`` -> all of its rows as text, for every table of every schema."""
    out = {}
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        tables = conn.query("select table_schema, table_name from information_schema.tables "
                            "where table_schema not in ('information_schema', 'pg_catalog')")
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            rows = conn.query(f"select * from {name}")
            out[name] = "\n".join(unpacked(v) for row in rows for v in row.values())
    return out


def folder_text(folder: Path) -> dict[str, str]:
    """Every file the project folder holds (dlt state and schemas, dbt target and logs, reports)."""
    out = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.name not in SECRET_FILES and path.suffix not in (".duckdb", ".wal"):
            out[str(path.relative_to(folder))] = path.read_bytes().decode("utf-8", "replace")
    return out


def storeboard(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI in its own process at DEBUG level; secrets reach it only through ``.env``."""
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k and "SECRET" not in k and "PASSWORD" not in k}
    env["STOREBOARD_LOG_LEVEL"] = "DEBUG"
    return subprocess.run([sys.executable, "-m", "storeboard", "-vv", *args, "--config", str(folder / "storeboard.yml")],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def write_canary_config(folder: Path, sandbox_url: str, store) -> dict[str, str]:
    """The sandbox config with a canary for every variable of ``.env``, a session secret, a Slack
    webhook and an SMTP password; returns variable -> canary."""
    write_sandbox_config(folder, sandbox_url, overwrite_demo=True, store=store)
    names = [line.split("=", 1)[0] for line in (folder / ".env").read_text().splitlines() if "=" in line]
    names += ["STOREBOARD_SESSION_SECRET", "SLACK_WEBHOOK_URL", "SMTP_PASSWORD"]
    canaries = {name: canary(name.lower()) for name in names}
    dead = free_port()  # nothing listens there: Slack and SMTP are unreachable
    env = dict(canaries, SLACK_WEBHOOK_URL=f"http://127.0.0.1:{dead}/services/T0/B0/{canaries['SLACK_WEBHOOK_URL']}")
    (folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    text = (folder / "storeboard.yml").read_text()
    text = text.replace("  sql_timeout_seconds: 10\n",
                        "  sql_timeout_seconds: 10\n  session_secret: ${STOREBOARD_SESSION_SECRET}\n", 1)
    text += (
        "alerts:\n  slack_webhook_url: ${SLACK_WEBHOOK_URL}\n  max_retries: 1\n"
        f"email:\n  smtp_host: 127.0.0.1\n  smtp_port: {dead}\n  security: none\n  username: storeboard\n"
        "  password: ${SMTP_PASSWORD}\n  recipients: [owner@example.com]\n  timeout_seconds: 5\n"
    )
    (folder / "storeboard.yml").write_text(text)
    add_user(folder / "storeboard.yml", USER, PASSWORD)
    return canaries


@pytest.fixture(scope="module")
def failed_runs(tmp_path_factory):
    """A folder after failing runs with canary secrets, the CLI's output, the config and canaries."""
    folder = tmp_path_factory.mktemp("canary")
    generator = make_generator(orders=60, days=14)
    with SandboxServer(generator.store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0)) as sandbox:
        canaries = write_canary_config(folder, sandbox.url, generator.store)
        # Accepted: these travel on every request. Stripe's and Google's stay rejected.
        shopify_auth = sandbox.api("shopify").auth
        shopify_auth.client_secret = canaries["SHOPIFY_CLIENT_SECRET"]
        exchanged: list[str] = []
        shopify_auth.new_token = lambda: exchanged.append(canary("shopify-exchanged-token")) or exchanged[-1]
        shopify_auth.token_lifetime = 2
        sandbox.api("hubspot").access_token = canaries["HUBSPOT_ACCESS_TOKEN"]
        sandbox.api("meta").access_token = canaries["META_ACCESS_TOKEN"]
        sandbox.faults.add(Fault("hubspot", "drop", count=1))
        # count=2: the first list HubSpot answers is the connector's marker search (one record, only
        # its date is read); the second is the first page of the contacts backfill.
        sandbox.faults.add(Fault("hubspot", "malformed", count=2))
        sandbox.faults.add(Fault("shopify", "malformed", count=1))
        sandbox.faults.add(Fault("meta", "expired_token", count=-1, path_contains="insights"))
        outputs = {
            "run": storeboard(folder, "run"),
            "report": storeboard(folder, "report", "weekly", "--send", "--force"),
            "doctor": storeboard(folder, "doctor"),
        }
    config = load_config(folder / "storeboard.yml")
    assert len(exchanged) >= 2, "the run and doctor exchanged the client secret for tokens"
    canaries.update({f"{EXCHANGED}{i}": token for i, token in enumerate(exchanged)})
    return folder, config, canaries, outputs


def test_the_runs_really_failed_with_the_secrets_in_use(failed_runs):
    folder, config, canaries, outputs = failed_runs
    assert outputs["run"].returncode == 1, outputs["run"].stdout[-2000:] + outputs["run"].stderr[-2000:]
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        steps = {r["step"]: r for r in conn.query("select step, status, error from storeboard_meta.run_steps")}
        quarantined = conn.query("select count(*) as n from raw_hubspot.quarantine")[0]["n"]
        orders = conn.query("select count(*) as n from raw_shopify.orders")[0]["n"]
        alerts = conn.query("select attempts, last_error from storeboard_meta.alerts")
        reports = conn.query("select status, last_error from storeboard_meta.reports_sent")
    assert steps["extract:shopify"]["status"] == "ok" and orders > 0, "Shopify's canary token was accepted"
    assert steps["extract:hubspot"]["status"] == "ok" and quarantined >= 1
    for source in ("stripe", "google_ads", "meta_ads"):
        assert steps[f"extract:{source}"]["status"] == "failed", source
    assert "401" in steps["extract:stripe"]["error"] or "rejected" in steps["extract:stripe"]["error"]
    assert any(a["attempts"] >= 1 and "unreachable" in (a["last_error"] or "") for a in alerts), alerts
    assert outputs["report"].returncode != 0, "the unreachable SMTP server fails the send"
    assert reports and reports[0]["last_error"], reports
    assert outputs["doctor"].returncode == 1


def test_no_secret_in_the_cli_output_or_its_debug_logs(failed_runs):
    _folder, _config, canaries, outputs = failed_runs
    for command, result in outputs.items():
        assert leaks(result.stdout + result.stderr, canaries) == [], f"storeboard {command} printed a secret"


def test_no_secret_in_any_table_of_the_warehouse(failed_runs):
    _folder, config, canaries, _outputs = failed_runs
    tables = warehouse_text(config)
    assert '"storeboard_meta"."runs"' in tables and '"storeboard_meta"."run_steps"' in tables
    assert any("_dlt_pipeline_state" in t for t in tables), "dlt's state is searched too"
    found = {table: leaks(text, canaries) for table, text in tables.items()}
    assert {t: names for t, names in found.items() if names} == {}


def test_no_secret_in_any_file_of_the_project_folder(failed_runs):
    folder, _config, canaries, _outputs = failed_runs
    in_env = sorted(name for name in canaries if not name.startswith(EXCHANGED))
    assert sorted(leaks((folder / ".env").read_text(), canaries)) == in_env, "the search finds them"
    files = folder_text(folder)
    assert any("pipelines" in name for name in files), "dlt's local state is searched"
    assert any(name.endswith(".log") for name in files), "dbt's logs are searched"
    found = {name: leaks(text, canaries) for name, text in files.items()}
    assert {n: names for n, names in found.items() if names} == {}


def test_no_secret_in_the_web_pages_api_exports_or_sql_explorer(failed_runs, caplog):
    _folder, config, canaries, _outputs = failed_runs
    caplog.set_level(logging.DEBUG)
    client = TestClient(create_app(config), raise_server_exceptions=False, base_url="http://localhost")
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    seen = [page.text, *(f"{k}={v}" for k, v in client.cookies.items())]
    for path, _label in NAVIGATION:
        response = client.get(path)
        assert response.status_code == 200, path
        seen.append(response.text)
        if path != "/sql":
            seen.append(client.get(f"/api{path}").text)
    seen.append(client.get("/health/sources.csv").text)
    csrf = client.get("/sql").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        marts = [r["table_name"] for r in conn.query(
            "select table_name from information_schema.tables where table_schema = 'analytics'")]
    queries = ["select * from storeboard_meta.runs", "select * from storeboard_meta.run_steps",
               *(f"select * from analytics.{m}" for m in marts)]
    for sql in queries:
        seen.append(client.post("/sql", data={"sql": sql, "csrf_token": csrf}).text)
        seen.append(client.post("/api/sql", data={"sql": sql, "csrf_token": csrf}).text)
    assert "rpt_source_health" in marts, "the marts holding run errors are read through the explorer"
    assert leaks("\n".join(seen), canaries) == []
    assert leaks(caplog.text, canaries) == []


# -- a PostgreSQL password in the warehouse URL ----------------------------------------------
@pytest.mark.postgres
def test_postgres_password_stays_out_of_errors_logs_and_tables(tmp_path, postgres_url, caplog):
    """The test cluster trusts local connections, so any password logs in: a canary one is used
    for a real load of the CSV drop, then for a server that is not there."""
    from storeboard import pipeline
    from storeboard.state.runlog import RunLog

    caplog.set_level(logging.DEBUG)
    password = canary("pg-password")
    base, database = postgres_url.rsplit("/", 1)
    host = base.split("@", 1)[1]
    url = f"postgresql://postgres:{quote(password, safe='')}@{host}/{database}"
    generator = make_generator(orders=30, days=7)
    write_sandbox_config(tmp_path, "http://127.0.0.1:9", overwrite_demo=True, store=generator.store)
    text = (tmp_path / "storeboard.yml").read_text().replace("warehouse: duckdb:///storeboard.duckdb",
                                                             "warehouse: ${STOREBOARD_DB_URL}")
    (tmp_path / "storeboard.yml").write_text(text)
    environ = {"STOREBOARD_DB_URL": url, **{k: "unused" for k in ("SHOPIFY_CLIENT_SECRET", "STRIPE_API_KEY",
               "META_ACCESS_TOKEN", "GOOGLE_ADS_DEVELOPER_TOKEN", "GOOGLE_ADS_CLIENT_SECRET", "GOOGLE_ADS_REFRESH_TOKEN",
               "HUBSPOT_ACCESS_TOKEN", "SHOPIFY_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET")}}
    config = load_config(tmp_path / "storeboard.yml", environ=environ)
    canaries = {"pg": password}

    log = RunLog(Warehouse.from_config(config), "test")
    files_step = pipeline.extract_step(config, log, "files", False, lambda *a: None)
    shopify_step = pipeline.extract_step(config, log, "shopify", False, lambda *a: None)  # nothing listens on :9
    log.finish("failed", shopify_step.error)
    assert files_step.status == "ok" and shopify_step.status == "failed"

    unreachable = config.model_copy(update={"warehouse": type(config.warehouse)(
        f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{free_port()}/{database}")})
    with pytest.raises(Exception) as refused:
        with Warehouse.from_config(unreachable).connect() as conn:
            conn.query("select 1 as ok")

    assert leaks(str(refused.value) + repr(refused.value), canaries) == []
    assert leaks(shopify_step.error or "", canaries) == []
    assert leaks(Warehouse.from_config(config).display_url, canaries) == []
    found = {t: leaks(v, canaries) for t, v in warehouse_text(config).items()}
    assert {t: n for t, n in found.items() if n} == {}
    found = {n: leaks(v, canaries) for n, v in folder_text(tmp_path).items()}
    assert {n: names for n, names in found.items() if names} == {}
    assert leaks(caplog.text, canaries) == []
