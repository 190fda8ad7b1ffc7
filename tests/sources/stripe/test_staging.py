"""The Stripe staging models on DuckDB and PostgreSQL: exact major units, UTC timestamps, test flags."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storeboard.sandbox import SandboxServer
from storeboard.transform import runner
from storeboard.warehouse import Warehouse
from tests.conftest import make_generator
from tests.sources.stripe.conftest import load, query, stripe_config

SELECT = "path:models/staging/stripe"


def _build(config) -> None:
    warehouse = Warehouse.from_config(config)
    runner.build(warehouse, config.state_dir, {"store_timezone": "America/New_York", "store_currency": "USD"}, select=SELECT)


def test_staging_converts_amounts_timestamps_and_flags(tmp_path, warehouse_url, sandbox, stripe_api):
    config = stripe_config(tmp_path, warehouse_url, sandbox.url)
    load(config)
    _build(config)
    data = stripe_api.data()
    charges = {r["charge_id"]: r for r in query(config, "select * from staging.stg_stripe__charges")}
    assert len(charges) == len(data.lists["charges"])
    for charge in data.lists["charges"]:
        row = charges[charge["id"]]
        assert Decimal(row["amount"]) == Decimal(charge["amount"]) / 100
        assert Decimal(row["amount_refunded"]) == Decimal(charge["amount_refunded"]) / 100
        assert row["created_at"].astimezone(UTC) == datetime.fromtimestamp(charge["created"], UTC)
        assert row["is_test"] is (not charge["livemode"])
        assert row["currency_code"] == "USD"
        assert row["order_reference"] == charge["metadata"].get("order_id")
    txns = query(config, "select sum(amount) as amount, sum(fee) as fee, sum(net) as net from staging.stg_stripe__balance_transactions")[0]
    assert Decimal(txns["amount"]) - Decimal(txns["fee"]) == Decimal(txns["net"])
    assert Decimal(txns["fee"]) == sum(Decimal(t["fee"]) for t in data.lists["balance_transactions"]) / 100
    refunds = query(config, "select sum(amount) as amount, count(*) as n from staging.stg_stripe__refunds")[0]
    assert refunds["n"] == len(data.lists["refunds"])
    assert Decimal(refunds["amount"]) == sum(Decimal(r["amount"]) for r in data.lists["refunds"]) / 100
    customers = query(config, "select email, email_normalized from staging.stg_stripe__customers where email is not null")
    assert all(c["email_normalized"] == c["email"].lower() for c in customers)
    assert query(config, "select count(*) as n from staging.stg_stripe__payment_intents")[0]["n"] == len(data.lists["payment_intents"])


def test_zero_decimal_currency_is_not_divided(tmp_path):
    generator = make_generator(orders=60)
    generator.store.shop.currency = "JPY"
    with SandboxServer(generator.store) as server:
        config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", server.url)
        load(config)
        charges = server.api("stripe").data().lists["charges"]
    _build(config)
    rows = {r["charge_id"]: r for r in query(config, "select charge_id, amount, currency_code from staging.stg_stripe__charges")}
    assert {r["currency_code"] for r in rows.values()} == {"JPY"}
    for charge in charges:
        assert Decimal(rows[charge["id"]]["amount"]) == Decimal(charge["amount"])


@pytest.mark.parametrize("currency, minor, major", [("usd", 1999, "19.99"), ("jpy", 1999, "1999"), ("kwd", 1995, "1.995"),
                                                     ("krw", 50000, "50000"), ("eur", -250, "-2.50")])
def test_stripe_amount_macro(tmp_path, currency, minor, major):
    """The macro alone, on DuckDB, through a one-row raw table."""
    import duckdb
    from pydantic import SecretStr

    from storeboard.config import Config

    config = Config(warehouse=SecretStr("duckdb:///storeboard.duckdb"), base_dir=tmp_path)
    with duckdb.connect(str(tmp_path / "storeboard.duckdb")) as conn:
        conn.execute("create schema raw_stripe")
        conn.execute("create table raw_stripe.refunds (id varchar, amount bigint, currency varchar, created bigint)")
        conn.execute("insert into raw_stripe.refunds values ('re_1', ?, ?, 1700000000)", [minor, currency])
    warehouse = Warehouse.from_config(config)
    runner.build(warehouse, config.state_dir, {}, select="stg_stripe__refunds stg_stripe__charges")
    [row] = query(config, "select amount, created_at from staging.stg_stripe__refunds")
    assert Decimal(row["amount"]) == Decimal(major)
    assert row["created_at"].astimezone(UTC) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
