"""The storeboard command, through Typer's CliRunner and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

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


def _serve_store_file(folder, name: str) -> subprocess.Popen:
    """``storeboard sandbox --store NAME`` in its own process in ``folder``, once it answers."""
    import time

    import httpx

    from storeboard.sandbox.server import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "storeboard", "sandbox", "--port", str(port), "--store", name],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_sandbox/health").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError(server.stdout.read() if server.poll() is not None else "timeout")
        time.sleep(0.2)


EVERY_FEATURE = Path(__file__).resolve().parents[1] / "docs" / "sandbox" / "every-feature.yml"


def test_every_feature_store_file_loads_from_every_source(tmp_path):
    """docs/sandbox/every-feature.yml, which uses every store-file feature, served by `storeboard
    sandbox --store` and loaded by a plain `storeboard run` (all sources, no config edits).

    New York shop, USD; each order at 10:00 local unless said. Per day (gross, discounts,
    returns, shipping, taxes, duties, additional fees, return fees → total sales; orders, units):

    - 5 Oct #1001: 2 mugs 40.00 − 4.00 line discount, shipping 5.00, tax 2.88 → 43.88; 1, 2.
    - 6 Oct #1002: tee 30 + mug 20 (gift card 25 is not a sale), AUTUMN10 10 % = 5.00 (3.00 + 2.00);
      taxes: tee 27.00 × 6 % = 1.62 and × 2.25 % = 0.6075 → 0.61, mug 18.00 × 6 % = 1.08,
      shipping 6.00 × 6 % = 0.36: 3.67 → 45.00 + 6.00 + 3.67 = 54.67; 1, 2.
    - 7 Oct #1003: a mug at 24.00 with 20 % VAT inside (4.00) and shipping 6.00 with 1.00 VAT
      inside: gross 20.00, shipping 5.00, taxes 5.00 → 30.00; 1, 1.
    - 8 Oct #1004: tee 30 + lamp 50, Bundle 8.00 (3.00 + 5.00), taxes 2.16 + 3.60 → 77.76; 1, 2.
    - 9 Oct #1005: 3 mugs 60.00, Staff 10 % = 6.00, tax 4.32 → 58.32; 1, 3.
    - 11 Oct, #1005's first edit: a tee at 28.00 − 2.00 discount, tax 2.08, duties 1.00 sold; a
      mug removed: returns (60 − 6) ÷ 3 = 18.00, tax 4.32 ÷ 3 = 1.44. Net 8.00, taxes 0.64,
      duties 1.00 → 9.64; units 0.
    - 12 Oct, #1001's refund: a mug, 36.00 ÷ 2 = 18.00 and 1.44 tax → −19.44; units −1.
    - 13 Oct, #1005's second edit: another mug removed → −19.44; units −1.
    - 14 Oct #1006: 2 lamps 100.00, shipping 7.00, tax 8.00, duties 6.00, import fee 2.50 →
      123.50; 1, 2.
    - 15 Oct #1007: a mug sold and cancelled the same day, duties and fee reversed → 0.00; 1, 0.
    - 16 Oct, #1006's return: a lamp 50.00, tax −4.00, duties −3.00, restocking fee +5.00 →
      −52.00 (52.00 went back); units −1.
    - 18 Oct, its second return: 45.00, tax −3.60, return-shipping fee +4.00 → −44.60; units −1.
    - 19-22 Oct #1009-#1012: 20.00, 50.00, 30.00, 20.00 (#1012 at 22:30 on 22 Oct); 1, 1 each.
    - 26 Oct, #1002's appeasement: returns 3.00 → −3.00.
    - 27 Oct, #1002's shipping refund: shipping −6.00, tax −0.36 → −6.36.
    - #1008 is a test order: nowhere. October's total sales: 372.93.

    Per order, payment fees and chargebacks: #1001 ACH 0.8 % of 43.88 = 0.35; #1002 2.00;
    #1003 0.90; #1004 the capture's 1.20; #1005 1.00 + the edit's 0.80 = 1.80; #1006 card
    2.9 % of 123.50 = 3.58 + 0.30 = 3.88; #1009 0.88 and a lost dispute 20.00 + 15.00 fee =
    35.00; #1010 1.75 and a won one, the 15.00 fee; #1011 1.17 and 10.00 under review + 15.00 =
    25.00; #1012 0.88 and an open one, 35.00.

    Ad spend: Meta (EUR at 1.08) 100.00 + 25.00 (deleted ad set) + 10.00 (archived) = 135.00 EUR
    = 145.80 on 5 Oct; Google 50.00 (Search) + 30.00 (Performance Max) = 80.00 on 6 Oct.
    """
    import shutil
    from decimal import Decimal as D

    shutil.copy(EVERY_FEATURE, tmp_path / "every-feature.yml")
    server = _serve_store_file(tmp_path, "every-feature.yml")
    try:
        # the store file's settings are in the config the sandbox wrote
        written = yaml.safe_load((tmp_path / "storeboard.yml").read_text())["metrics"]
        assert written["report_date"] == date(2026, 11, 20) and written["budgets"][1]["channel"] == "meta_ads"
        env = {k: v for k, v in os.environ.items() if k != "SHOPIFY_ACCESS_TOKEN"}
        result = subprocess.run([sys.executable, "-m", "storeboard", "run"], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=10)

    def money(rows, key, *columns):
        """``{row[key]: (columns…)}``, amounts as exact decimals."""
        return {r[key]: tuple(D(str(r[k])) if isinstance(r[k], (D, float)) else r[k] for k in columns) for r in rows}

    with Warehouse(f"duckdb:///{tmp_path / 'storeboard.duckdb'}").connect(read_only=True) as conn:
        health = conn.query("select source_name, last_status, rows_loaded_last_success, quarantined_records "
                            "from analytics.rpt_source_health")
        quarantined = conn.query("select count(*) as n from staging.stg_storeboard_meta__quarantined_records")
        days = conn.query("""
            select date, gross_sales, discounts, returns, shipping, taxes, duties, additional_fees, return_fees,
                   total_sales, orders, units_sold
            from analytics.rpt_revenue_daily
            where orders <> 0 or gross_sales <> 0 or returns <> 0 or total_sales <> 0 or units_sold <> 0
               or shipping <> 0 or taxes <> 0 or duties <> 0
            order by date""")
        october = conn.query("select sum(total_sales) as total from analytics.rpt_revenue_daily "
                             "where date between '2026-10-01' and '2026-10-31'")
        orders = conn.query("select order_name, total_sales, payment_fees, chargebacks from analytics.fct_orders")
        spend = conn.query("select date, ad_spend from analytics.rpt_marketing_daily where ad_spend <> 0")
        disputes = conn.query("select status, amount from staging.stg_stripe__disputes order by amount, status")
        charges = conn.query("select charge_id from staging.stg_stripe__charges where not is_test")
        refunds = conn.query("select refund_id, amount from staging.stg_stripe__refunds order by amount")
        contacts = conn.query("select email, is_archived from staging.stg_hubspot__contacts order by email")
        line = conn.query("""
            select l.quantity, l.current_quantity from staging.stg_shopify__order_lines as l
            inner join staging.stg_shopify__orders as o on l.order_id = o.order_id
            where o.order_name = '#1005' and l.sku = 'MUG'""")

    # every source loaded, nothing quarantined
    assert {r["source_name"] for r in health} == {"shopify", "stripe", "meta_ads", "google_ads", "hubspot", "files"}
    assert all(r["last_status"] == "ok" and r["rows_loaded_last_success"] > 0 and r["quarantined_records"] == 0
               for r in health), health
    assert quarantined == [{"n": 0}]

    c = D
    expected = {  # gross, discounts, returns, shipping, taxes, duties, fees, return fees, total, orders, units
        date(2026, 10, 5): (c("40"), c("4"), c("0"), c("5"), c("2.88"), c("0"), c("0"), c("0"), c("43.88"), 1, 2),
        date(2026, 10, 6): (c("50"), c("5"), c("0"), c("6"), c("3.67"), c("0"), c("0"), c("0"), c("54.67"), 1, 2),
        date(2026, 10, 7): (c("20"), c("0"), c("0"), c("5"), c("5"), c("0"), c("0"), c("0"), c("30"), 1, 1),
        date(2026, 10, 8): (c("80"), c("8"), c("0"), c("0"), c("5.76"), c("0"), c("0"), c("0"), c("77.76"), 1, 2),
        date(2026, 10, 9): (c("60"), c("6"), c("0"), c("0"), c("4.32"), c("0"), c("0"), c("0"), c("58.32"), 1, 3),
        date(2026, 10, 11): (c("28"), c("2"), c("18"), c("0"), c("0.64"), c("1"), c("0"), c("0"), c("9.64"), 0, 0),
        date(2026, 10, 12): (c("0"), c("0"), c("18"), c("0"), c("-1.44"), c("0"), c("0"), c("0"), c("-19.44"), 0, -1),
        date(2026, 10, 13): (c("0"), c("0"), c("18"), c("0"), c("-1.44"), c("0"), c("0"), c("0"), c("-19.44"), 0, -1),
        date(2026, 10, 14): (c("100"), c("0"), c("0"), c("7"), c("8"), c("6"), c("2.5"), c("0"), c("123.5"), 1, 2),
        date(2026, 10, 15): (c("20"), c("0"), c("20"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), 1, 0),
        date(2026, 10, 16): (c("0"), c("0"), c("50"), c("0"), c("-4"), c("-3"), c("0"), c("5"), c("-52"), 0, -1),
        date(2026, 10, 18): (c("0"), c("0"), c("45"), c("0"), c("-3.6"), c("0"), c("0"), c("4"), c("-44.6"), 0, -1),
        date(2026, 10, 19): (c("20"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), c("20"), 1, 1),
        date(2026, 10, 20): (c("50"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), c("50"), 1, 1),
        date(2026, 10, 21): (c("30"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), c("30"), 1, 1),
        date(2026, 10, 22): (c("20"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), c("0"), c("20"), 1, 1),
        date(2026, 10, 26): (c("0"), c("0"), c("3"), c("0"), c("0"), c("0"), c("0"), c("0"), c("-3"), 0, 0),
        date(2026, 10, 27): (c("0"), c("0"), c("0"), c("-6"), c("-0.36"), c("0"), c("0"), c("0"), c("-6.36"), 0, 0),
    }
    assert money(days, "date", "gross_sales", "discounts", "returns", "shipping", "taxes", "duties", "additional_fees",
                 "return_fees", "total_sales", "orders", "units_sold") == expected
    assert D(str(october[0]["total"])) == D("372.93")

    assert money(orders, "order_name", "total_sales", "payment_fees", "chargebacks") == {
        "#1001": (c("24.44"), c("0.35"), c("0")),     # 43.88 − 19.44
        "#1002": (c("45.31"), c("2.00"), c("0")),     # 54.67 − 3.00 − 6.36
        "#1003": (c("30.00"), c("0.90"), c("0")),
        "#1004": (c("77.76"), c("1.20"), c("0")),
        "#1005": (c("48.52"), c("1.80"), c("0")),     # 58.32 + 9.64 − 19.44
        "#1006": (c("26.90"), c("3.88"), c("0")),     # 123.50 − 52.00 − 44.60
        "#1007": (c("0"), c("0"), c("0")),
        "#1009": (c("20.00"), c("0.88"), c("35.00")),
        "#1010": (c("50.00"), c("1.75"), c("15.00")),
        "#1011": (c("30.00"), c("1.17"), c("25.00")),
        "#1012": (c("20.00"), c("0.88"), c("35.00")),
    }
    # Shopify keeps the ordered quantity; the edits lowered currentQuantity by two
    assert [(r["quantity"], r["current_quantity"]) for r in line] == [(3, 1)]
    assert money(spend, "date", "ad_spend") == {date(2026, 10, 5): (c("145.80"),), date(2026, 10, 6): (c("80.00"),)}
    # Stripe: one ACH payment (py_) refunded by a pyr_ refund, the card refunds of #1006, four disputes
    assert sum(r["charge_id"].startswith("py_") for r in charges) == 1
    assert [(r["refund_id"].split("_")[0], D(str(r["amount"]))) for r in refunds] == [
        ("pyr", c("19.44")), ("re", c("44.60")), ("re", c("52.00"))]
    assert [(r["status"], D(str(r["amount"]))) for r in disputes] == [
        ("under_review", c("10.00")), ("lost", c("20.00")), ("needs_response", c("20.00")), ("won", c("50.00"))]
    assert [(r["email"], r["is_archived"]) for r in contacts] == [
        ("bo@example.com", False), ("dee@example.com", False), ("old@example.com", True)]


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
