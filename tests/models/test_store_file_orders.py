"""What a real Shopify order holds, written in a store file and checked to the cent in the marts.

A VAT shop in Berlin (EUR, Europe/Berlin: UTC+2 until 25 October 2026), prices including tax
except where an order says otherwise. Each test below is one feature of the store file; its
docstring computes the expected numbers by hand. The store file is written to disk as YAML, loaded
with ``load_store``, served by the sandbox and loaded through the real APIs, once per warehouse
for the whole module.

Tax-inclusive prices are reported net of tax (``tax_inclusive_prices: net``, the default): a line's
gross sales are its price ÷ (1 + its tax rates), and discounts absorb the rounding so that gross
less discounts is exactly what was paid less its tax (docs/metrics.md).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import yaml

from storeboard.sandbox.storefile import load_store
from tests.models.conftest import query, run_store

VAT = [{"title": "VAT", "rate": "20%"}]

STORE_FILE = {
    "shop": {"name": "Berliner Laden", "domain": "berliner-laden.myshopify.com", "timezone": "Europe/Berlin",
             "currency": "EUR"},
    "products": [
        {"sku": "TEE", "price": "25.00", "unit_cost": "8.00"},
        {"sku": "BOOK", "price": "21.00", "unit_cost": "10.00"},
        {"sku": "MUG", "price": "12.00", "unit_cost": "4.00"},
    ],
    "customers": [
        {"id": 1, "email": "ana@example.com", "first_name": "Ana", "created_at": "2026-10-01T09:00:00Z"},
        {"id": 2, "email": "bo@example.com", "first_name": "Bo", "created_at": "2026-10-01T09:00:00Z"},
    ],
    "orders": [
        # 1. tax lines with their titles and rates; shipping taxed; shipping refunded with its tax;
        # 7. a returned tee that is not restocked
        {"customer": 1, "processed_at": "2026-10-05T10:00:00Z", "taxes_included": True, "gateway": "manual",
         "lines": [{"sku": "TEE", "quantity": 2, "tax_lines": VAT},
                   {"sku": "BOOK", "tax_lines": [{"title": "VAT reduced", "rate": "0.05"}]}],
         "shipping": "6.00", "shipping_tax_lines": VAT,
         "refunds": [{"at": "2026-10-12T10:00:00Z", "shipping": "6.00",
                      "lines": [{"sku": "TEE", "quantity": 1, "restock": False}]}]},
        # 2. paid in pounds in a euro shop
        {"processed_at": "2026-10-06T10:00:00Z", "taxes_included": True, "gateway": "manual",
         "presentment": {"currency": "GBP", "rate": "0.85"},
         "lines": [{"sku": "MUG", "quantity": 2, "tax_lines": VAT}],
         "refunds": [{"at": "2026-10-15T10:00:00Z", "lines": [{"sku": "MUG", "quantity": 1}]}]},
        # 3. guest checkouts: the same email in two letter cases, and Ana's email without her account
        {"email": "Dee@Example.com", "processed_at": "2026-10-07T10:00:00Z", "taxes_included": True,
         "gateway": "manual", "lines": [{"sku": "BOOK", "tax_lines": [{"title": "VAT reduced", "rate": "0.05"}]}]},
        # 4. an order-level discount code allocated over the lines
        {"email": "dee@example.com", "processed_at": "2026-10-08T10:00:00Z", "taxes_included": True,
         "gateway": "manual", "discount": {"code": "AUTUMN10", "percentage": 10},
         "lines": [{"sku": "TEE", "tax_lines": VAT}, {"sku": "MUG", "tax_lines": VAT}]},
        # 5. several tax lines on one line (prices without tax); a gift card and a card captured later
        {"email": "ANA@example.com", "processed_at": "2026-10-09T10:00:00Z", "shipping": "5.00",
         "lines": [{"sku": "TEE", "quantity": 2, "tax_lines": [{"title": "State tax", "rate": "6%"},
                                                               {"title": "County tax", "rate": "2.25%"}]}],
         "transactions": [
             {"kind": "SALE", "gateway": "gift_card", "amount": "20.00"},
             {"kind": "AUTHORIZATION", "gateway": "shopify_payments", "amount": "39.13"},
             {"kind": "CAPTURE", "gateway": "shopify_payments", "amount": "39.13", "fee": "1.43",
              "at": "2026-10-10T08:00:00Z"},
         ]},
        # 6. an appeasement (an amount, no line) and then a shipping-only refund
        {"customer": 2, "processed_at": "2026-10-19T10:00:00Z", "taxes_included": True, "gateway": "manual",
         "lines": [{"sku": "MUG", "tax_lines": VAT}], "shipping": "4.00", "shipping_tax_lines": VAT,
         "refunds": [{"at": "2026-10-20T10:00:00Z", "amount": "3.00", "note": "sorry for the delay"},
                     {"at": "2026-10-21T10:00:00Z", "shipping": "4.00"}]},
    ],
    "extras": {
        "hubspot": {"contacts": [], "companies": [], "deals": []},
    },
}

#: the derived ad accounts spend in dollars
METRICS = """
metrics:
  report_date: 2026-10-31
  fx_rates:
    - {currency: USD, valid_from: 2026-01-01, rate: "0.92"}
"""

WAREHOUSES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=WAREHOUSES)
def built(request, tmp_path_factory):
    """The store file written as YAML, loaded from disk and built once per warehouse."""
    folder = tmp_path_factory.mktemp(f"store-file-{request.param}")
    path = folder / "store.yml"
    path.write_text(yaml.safe_dump(STORE_FILE, sort_keys=False))
    store = load_store(path)
    if request.param == "duckdb":
        warehouse = "duckdb:///storeboard.duckdb"
    else:
        warehouse = request.getfixturevalue("postgres_server_database")
    return run_store(folder, warehouse, store, METRICS)


@pytest.fixture(scope="module")
def postgres_server_database(postgres_server):
    """One PostgreSQL database for the module's build (the ``postgres_url`` fixture is per test)."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    yield f"{postgres_server.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


MONEY = ("gross_sales", "discounts", "returns", "net_sales", "shipping", "taxes", "total_sales")


def order(config, name: str, columns=MONEY) -> tuple:
    [row] = query(config, f"select {', '.join(columns)} from analytics.fct_orders where order_name = '{name}'")
    return tuple(D(str(row[c])) if isinstance(row[c], (int, float, D)) and not isinstance(row[c], bool) else row[c]
                 for c in columns)


def refunds(config, name: str) -> list[tuple]:
    rows = query(config, f"""
        select r.refund_date, r.returns, r.appeasements, r.shipping_refunded, r.taxes_refunded, r.units_refunded,
               r.shopify_total_refunded
        from analytics.fct_refunds as r inner join analytics.fct_orders as o on r.order_id = o.order_id
        where o.order_name = '{name}' order by r.refunded_at""")
    return [(str(r["refund_date"]), *(D(str(r[k])) for k in list(r)[1:])) for r in rows]


def test_vat_tax_lines_shipping_tax_and_shipping_refund(built):
    """#1001: 2 tees at 25.00 with 20 % VAT, a book at 21.00 with 5 % VAT, shipping 6.00 with 20 % VAT.

    Tax inside the prices: tees 50.00 × 0.2 ÷ 1.2 = 8.33; book 21.00 × 0.05 ÷ 1.05 = 1.00; shipping
    6.00 × 0.2 ÷ 1.2 = 1.00. Gross net of tax: tees 50.00 ÷ 1.2 = 41.67 (= 50.00 − 8.33, no discount),
    book 20.00: 61.67. Shipping 6.00 − 1.00 = 5.00; taxes 8.33 + 1.00 + 1.00 = 10.33.

    On 12 October one tee comes back and the shipping is refunded: the tee 25.00 of which
    8.33 ÷ 2 = 4.165 → 4.17 tax, so returns 20.83 and taxes −4.17; shipping −5.00 and its tax −1.00.

    Order: net sales 61.67 − 20.83 = 40.84, shipping 0, taxes 10.33 − 5.17 = 5.16, total 46.00
    (= 77.00 paid − 31.00 refunded).
    """
    assert order(built, "#1001") == (D("61.67"), D("0"), D("20.83"), D("40.84"), D("0"), D("5.16"), D("46.00"))
    assert refunds(built, "#1001") == [("2026-10-12", D("20.83"), D("0"), D("5.00"), D("5.17"), D("1"), D("31.00"))]
    titles = query(built, """
        select t.tax_title, t.tax_rate, t.tax_amount from staging.stg_shopify__order_line_tax_lines as t
        inner join staging.stg_shopify__order_lines as l on t.order_line_row_id = l.order_line_row_id
        inner join staging.stg_shopify__orders as o on l.order_id = o.order_id
        where o.order_name = '#1001' order by t.tax_amount""")
    assert [(r["tax_title"], D(str(r["tax_rate"])), D(str(r["tax_amount"]))) for r in titles] == [
        ("VAT reduced", D("0.05"), D("1.00")), ("VAT", D("0.2"), D("8.33"))]


def test_returned_units_not_restocked_keep_their_cost(built):
    """#1001's returned tee is not restocked (NO_RESTOCK): its cost stays in COGS.

    COGS 2 × 8.00 + 10.00 = 26.00 and stays 26.00 (restocked, it would fall to 18.00); units
    3 − 1 = 2.
    """
    assert order(built, "#1001", ("cogs", "net_units")) == (D("26.00"), D("2"))
    [line] = query(built, """
        select restock_type from staging.stg_shopify__refund_lines as r
        inner join staging.stg_shopify__orders as o on r.order_id = o.order_id where o.order_name = '#1001'""")
    assert line["restock_type"] == "NO_RESTOCK"


def test_presentment_money_is_kept_beside_shop_money(built):
    """#1002: two mugs at 12.00 EUR with 20 % VAT inside, paid in GBP at 0.85 GBP per EUR.

    Shop money: 24.00, of which 4.00 tax; gross 20.00. One mug refunded on 15 October: 12.00 of
    which 2.00 tax, returns 10.00. Presentment: 24.00 × 0.85 = 20.40 GBP paid, 12.00 × 0.85 =
    10.20 GBP refunded. Metrics stay in euros.
    """
    assert order(built, "#1002") == (D("20.00"), D("0"), D("10.00"), D("10.00"), D("0"), D("2.00"), D("12.00"))
    assert order(built, "#1002", ("presentment_currency_code", "presentment_total_price", "presentment_total_refunded",
                                  "shopify_total_price")) == ("GBP", D("20.40"), D("10.20"), D("24.00"))
    assert order(built, "#1001", ("presentment_currency_code", "presentment_total_price")) == ("EUR", D("77.00"))


def test_guest_checkouts_are_customers_by_their_email(built):
    """#1003 and #1004 are guest checkouts by Dee, her email in two letter cases; #1005 is a guest
    checkout with Ana's email. #1002 is a guest checkout without an email.

    Dee's two orders share one customer (first order #1003, two orders); #1005 belongs to Ana,
    whose account placed #1001, so Ana has two orders. #1002 has no customer.
    """
    rows = {r["order_name"]: r for r in query(built, """
        select order_name, customer_id, shopify_customer_id, is_guest_checkout from analytics.fct_orders""")}
    assert rows["#1003"]["customer_id"] is not None
    assert rows["#1003"]["customer_id"] == rows["#1004"]["customer_id"]
    assert rows["#1005"]["customer_id"] == rows["#1001"]["customer_id"]
    assert rows["#1002"]["customer_id"] is None
    assert [rows[n]["is_guest_checkout"] for n in ("#1001", "#1002", "#1003", "#1005")] == [False, False, True, True]
    people = {r["email_normalized"]: r for r in query(built, """
        select c.email_normalized, c.order_count, c.shopify_customer_id, o.order_name as first_order
        from analytics.dim_customers as c left join analytics.fct_orders as o on c.first_order_id = o.order_id""")}
    assert (people["dee@example.com"]["order_count"], people["dee@example.com"]["first_order"]) == (2, "#1003")
    assert people["dee@example.com"]["shopify_customer_id"] is None
    assert (people["ana@example.com"]["order_count"], people["ana@example.com"]["first_order"]) == (2, "#1001")


def test_order_discount_is_allocated_over_the_lines(built):
    """#1004: a tee (25.00) and a mug (12.00), 20 % VAT inside, code AUTUMN10 for 10 % off.

    Discount 37.00 × 10 % = 3.70: the tee 3.70 × 25 ÷ 37 = 2.50, the mug the rest, 1.20. Tax on
    what is paid: tee 22.50 × 0.2 ÷ 1.2 = 3.75, mug 10.80 × 0.2 ÷ 1.2 = 1.80. Net of tax: tee gross
    25.00 ÷ 1.2 = 20.83, net 22.50 − 3.75 = 18.75, discount 2.08; mug gross 10.00, net 9.00,
    discount 1.00. Order: gross 30.83, discounts 3.08, net 27.75, taxes 5.55, total 33.30
    (= 37.00 − 3.70).
    """
    assert order(built, "#1004") == (D("30.83"), D("3.08"), D("0"), D("27.75"), D("0"), D("5.55"), D("33.30"))
    [raw] = query(built, "select discount_codes from raw_shopify.orders where name = '#1004'")
    assert "AUTUMN10" in str(raw["discount_codes"])


def test_several_tax_lines_and_several_transactions(built):
    """#1005, prices without tax: two tees 50.00 with a 6 % state tax (3.00) and a 2.25 % county tax
    (1.125 → 1.13), shipping 5.00 untaxed: 59.13. Paid 20.00 by gift card and 39.13 by card,
    authorized on the day and captured the next with a 1.43 fee.

    Order: gross 50.00, net 50.00, shipping 5.00, taxes 4.13, total 59.13; payment fees 1.43 (the
    capture's). Three transactions are loaded.
    """
    assert order(built, "#1005") == (D("50.00"), D("0"), D("0"), D("50.00"), D("5.00"), D("4.13"), D("59.13"))
    assert order(built, "#1005", ("payment_fees",)) == (D("1.43"),)
    rows = query(built, """
        select t.kind, t.gateway, t.amount from staging.stg_shopify__transactions as t
        inner join staging.stg_shopify__orders as o on t.order_id = o.order_id where o.order_name = '#1005'
        order by t.processed_at, t.kind desc""")
    assert [(r["kind"], r["gateway"], D(str(r["amount"]))) for r in rows] == [
        ("SALE", "gift_card", D("20.00")), ("AUTHORIZATION", "shopify_payments", D("39.13")),
        ("CAPTURE", "shopify_payments", D("39.13"))]


def test_appeasement_and_shipping_only_refunds(built):
    """#1006: a mug at 12.00 (2.00 VAT inside) and shipping 4.00 (4.00 × 0.2 ÷ 1.2 = 0.67 VAT).
    Sale: gross 10.00, shipping 3.33, taxes 2.67, total 16.00.

    20 October: 3.00 back for the delay, no line: an appeasement, returns 3.00 on that day.
    21 October: the shipping refunded, 4.00 of which 0.67 tax: shipping −3.33, taxes −0.67.
    Order: net sales 7.00, shipping 0, taxes 2.00, total 9.00 (= 16.00 − 3.00 − 4.00). Each refund
    has its REFUND transaction.
    """
    assert order(built, "#1006") == (D("10.00"), D("0"), D("3.00"), D("7.00"), D("0"), D("2.00"), D("9.00"))
    assert refunds(built, "#1006") == [
        ("2026-10-20", D("3.00"), D("3.00"), D("0"), D("0"), D("0"), D("3.00")),
        ("2026-10-21", D("0"), D("0"), D("3.33"), D("0.67"), D("0"), D("4.00")),
    ]
    rows = query(built, """
        select t.amount from staging.stg_shopify__transactions as t
        inner join staging.stg_shopify__orders as o on t.order_id = o.order_id
        where o.order_name = '#1006' and t.kind = 'REFUND' order by t.processed_at""")
    assert [D(str(r["amount"])) for r in rows] == [D("3.00"), D("4.00")]
    [day] = query(built, "select returns, net_sales from analytics.rpt_revenue_daily where date = '2026-10-20'")
    assert (D(str(day["returns"])), D(str(day["net_sales"]))) == (D("3.00"), D("-3.00"))
