"""The storeboard command, through Typer's CliRunner and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from storeboard.cli import app
from storeboard.warehouse import Warehouse
from tests.conftest import make_config

runner = CliRunner()


def test_init_writes_commented_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "${SHOPIFY_ACCESS_TOKEN}" in (tmp_path / "storeboard.yml").read_text()
    assert runner.invoke(app, ["init"]).exit_code == 2


def test_run_without_config_explains(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "storeboard init" in result.output


def test_run_with_rejected_token_prints_one_line_and_exits_1(tmp_path, sandbox, monkeypatch):
    make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url)
    env = (tmp_path / ".env").read_text().splitlines()
    (tmp_path / ".env").write_text("\n".join(
        "SHOPIFY_ACCESS_TOKEN=shpat_revoked" if line.startswith("SHOPIFY_ACCESS_TOKEN=") else line for line in env) + "\n")
    monkeypatch.delenv("SHOPIFY_ACCESS_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "--source", "shopify"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "Shopify returned 401" in errors[0] and "shpat_revoked" not in result.output


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
    result = runner.invoke(app, ["doctor"])
    assert "would read PostgreSQL as a superuser" in result.output and "web.reader_password" in result.output
    role = f"reader_{uuid.uuid4().hex[:8]}"
    Warehouse(postgres_url).grant_reader(role, "reader-password-1")
    with (tmp_path / "storeboard.yml").open("a") as config:
        config.write(f"\nweb:\n  reader_role: {role}\n  reader_password: ${{READER_PASSWORD}}\n")
    monkeypatch.setenv("READER_PASSWORD", "reader-password-1")
    result = runner.invoke(app, ["doctor"])
    assert f"the web reads PostgreSQL as {role}, not a superuser" in result.output, result.output
    assert "reader-password-1" not in result.output
