"""The storeboard command, through Typer's CliRunner and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from storeboard import cli
from storeboard.cli import app
from storeboard.warehouse import Warehouse
from tests.conftest import make_config

runner = CliRunner()


def test_init_writes_commented_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "storeboard.yml").read_text()
    # The client-credentials form (Dev Dashboard apps) first, the legacy token as a comment.
    assert text.index("client_secret: ${SHOPIFY_CLIENT_SECRET}") < text.index("# access_token: ${SHOPIFY_ACCESS_TOKEN}")
    assert runner.invoke(app, ["init"]).exit_code == 2


def test_run_without_config_explains(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "storeboard init" in result.output


@pytest.mark.parametrize(("form", "variable", "says"), [
    ("access_token", "SHOPIFY_ACCESS_TOKEN", "Shopify returned 401"),
    ("client_credentials", "SHOPIFY_CLIENT_SECRET", "rejected the app's client credentials"),
])
def test_run_with_rejected_credentials_prints_one_line_and_exits_1(tmp_path, sandbox, monkeypatch, form, variable, says):
    make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, shopify_form=form)
    _set_env_file(tmp_path, variable, "shpxx_revoked")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "--source", "shopify"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert says in errors[0] and "shpxx_revoked" not in result.output


def _set_env_file(folder, variable: str, value: str) -> None:
    """Replace ``variable`` in the folder's ``.env`` (the CLI reads it there, not from the environment)."""
    env = (folder / ".env").read_text().splitlines()
    assert any(line.startswith(f"{variable}=") for line in env)
    (folder / ".env").write_text("\n".join(f"{variable}={value}" if line.startswith(f"{variable}=") else line
                                           for line in env) + "\n")
    os.environ.pop(variable, None)


def _doctor_shopify(tmp_path, monkeypatch) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    # The console's width is fixed when cli.py is imported (80 columns without a terminal, as on a
    # pytest-xdist worker), so COLUMNS alone does not keep each message on one line.
    monkeypatch.setattr(cli.console, "width", 400)
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "400"})
    return result.exit_code, "\n".join(line for line in result.output.splitlines() if line[2:].startswith("shopify"))


def test_doctor_says_which_shopify_form_and_the_token_lifetime(tmp_path, sandbox, generator, monkeypatch):
    make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    code, shopify = _doctor_shopify(tmp_path, monkeypatch)
    print(shopify)
    assert code == 0, shopify
    assert ("✓ shopify credentials: client credentials (Dev Dashboard app 0f1e2d3c4b5a69788796a5b4c3d2e1f0): "
            "token exchange works, a token lives 23 h 59 min (86399 s)") in shopify
    assert "✓ shopify: Northwind Goods" in shopify
    make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store, shopify_form="access_token")
    code, shopify = _doctor_shopify(tmp_path, monkeypatch)
    assert code == 0 and "✓ shopify credentials: legacy access token" in shopify, shopify


@pytest.mark.parametrize(("misconfiguration", "says"), [
    ("wrong_secret", "rejected the app's client credentials"),
    ("not_installed", "the app is not installed on"),
    ("other_organization", "does not allow the client credentials grant for this app"),
])
def test_doctor_names_each_shopify_misconfiguration(tmp_path, sandbox, generator, monkeypatch, misconfiguration, says):
    make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    if misconfiguration == "wrong_secret":
        _set_env_file(tmp_path, "SHOPIFY_CLIENT_SECRET", "shpss_wrong_secret_0123")
    sandbox.api("shopify").auth.installed = misconfiguration != "not_installed"
    sandbox.api("shopify").auth.same_organization = misconfiguration != "other_organization"
    code, shopify = _doctor_shopify(tmp_path, monkeypatch)
    print(shopify)
    assert code == 1
    [line] = shopify.splitlines()  # the shop check is skipped: there is no token to read it with
    assert line.startswith("✗ shopify credentials: ") and says in line
    assert "shpss_" not in line


def test_doctor_reports_the_shop(tmp_path, sandbox, generator, monkeypatch):
    make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "Northwind Goods" in result.output


def test_demo_no_serve_builds_everything_in_the_current_folder(tmp_path):
    """The real command in a subprocess, as the README's quick start runs it (small store)."""
    env = {k: v for k, v in os.environ.items() if k != "SHOPIFY_ACCESS_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "storeboard", "demo", "--no-serve", "--orders", "600", "--days", "60"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "storeboard.yml").exists() and (tmp_path / ".env").exists()
    with Warehouse(f"duckdb:///{tmp_path / 'storeboard.duckdb'}").connect(read_only=True) as conn:
        rows = conn.query("select count(*) as days, sum(orders) as orders from analytics.rpt_revenue_daily")[0]
    assert rows["days"] >= 60 and rows["orders"] > 400
    # A second demo in the same folder replaces the first store instead of mixing the two.
    again = subprocess.run(
        [sys.executable, "-m", "storeboard", "demo", "--no-serve", "--orders", "600", "--days", "60", "--seed", "9"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert again.returncode == 0, again.stderr[-2000:]


def test_demo_refuses_a_folder_with_a_users_own_config(tmp_path):
    (tmp_path / "storeboard.yml").write_text("warehouse: duckdb:///mine.duckdb\n")
    result = subprocess.run(
        [sys.executable, "-m", "storeboard", "demo", "--no-serve", "--orders", "50", "--days", "5"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "empty folder" in result.stderr
    assert (tmp_path / "storeboard.yml").read_text() == "warehouse: duckdb:///mine.duckdb\n"


def test_sandbox_serves_a_hand_written_store_and_run_loads_it(tmp_path):
    """`storeboard sandbox --store FILE` in one process, `storeboard run` in another."""
    import time

    import httpx

    from storeboard.sandbox.server import free_port

    (tmp_path / "scenario.yml").write_text(
        "shop: {timezone: UTC, currency: USD}\n"
        "products: [{sku: MUG, price: '20.00', unit_cost: '8.00'}]\n"
        "orders:\n"
        "  - {processed_at: '2026-11-02T10:00:00Z', lines: [{sku: MUG, quantity: 3}]}\n"
        "  - {processed_at: '2026-11-03T10:00:00Z', lines: [{sku: MUG}], test: true}\n"
        "settings:\n"
        "  metrics:\n"
        "    report_date: 2026-11-20\n"
        "    fx_rates: [{currency: EUR, valid_from: 2026-01-01, rate: '1.08'}]\n"
        "    budgets: [{channel: google_ads, month: '2026-11', amount: '500.00'}]\n"
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "storeboard", "sandbox", "--port", str(port), "--store", "scenario.yml"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_sandbox/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, server.stdout.read() if server.poll() else "timeout"
            time.sleep(0.2)
        # the store file's settings are in the config the sandbox wrote: no edits needed
        written = yaml.safe_load((tmp_path / "storeboard.yml").read_text())["metrics"]
        assert written["report_date"] == date(2026, 11, 20)
        assert written["fx_rates"] == [{"currency": "EUR", "valid_from": date(2026, 1, 1), "rate": "1.08"}]
        assert written["budgets"] == [{"channel": "google_ads", "month": "2026-11", "amount": "500.00"}]
        env = {k: v for k, v in os.environ.items() if k != "SHOPIFY_ACCESS_TOKEN"}
        result = subprocess.run([sys.executable, "-m", "storeboard", "run", "--source", "shopify"], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.terminate()
        server.wait(timeout=10)
    with Warehouse(f"duckdb:///{tmp_path / 'storeboard.duckdb'}").connect(read_only=True) as conn:
        [row] = conn.query("select gross_sales, orders from analytics.rpt_revenue_daily where date = '2026-11-02'")
    assert row["gross_sales"] == 60 and row["orders"] == 1


@pytest.mark.postgres
def test_doctor_warns_when_the_web_would_read_postgres_as_a_superuser(tmp_path, sandbox, generator, monkeypatch,
                                                                      postgres_url):
    import uuid

    make_config(tmp_path, postgres_url, sandbox.url, store=generator.store)
    monkeypatch.chdir(tmp_path)
    # a role no build has created yet (roles are cluster-wide: other tests' builds create the default)
    role = f"reader_{uuid.uuid4().hex[:8]}"
    text = (tmp_path / "storeboard.yml").read_text()
    (tmp_path / "storeboard.yml").write_text(text + f"\nweb:\n  reader_role: {role}\n")
    result = runner.invoke(app, ["doctor"])
    assert "would read PostgreSQL as a superuser" in result.output and "web.reader_password" in result.output
    Warehouse(postgres_url).grant_reader(role, "reader-password-1")
    (tmp_path / "storeboard.yml").write_text(
        text + f"\nweb:\n  reader_role: {role}\n  reader_password: ${{READER_PASSWORD}}\n")
    monkeypatch.setenv("READER_PASSWORD", "reader-password-1")
    result = runner.invoke(app, ["doctor"])
    assert f"the web reads PostgreSQL as {role}, not a superuser" in result.output, result.output
    assert "reader-password-1" not in result.output
