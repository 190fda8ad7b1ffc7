"""Orders real stores have and the daily draw rarely makes: hundreds of lines, a hundred and fifty
refunds, edits after the sale, shipping-only and amount-only refunds, a till sale without a
customer, an order paid in another currency than the shop's. Each must
load on the first run (bulk) and on an incremental run (pages, every query under Shopify's cost
cap), with the marts equal to the independent computation in tests/truth.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.conftest import AS_OF, make_generator
from tests.models.conftest import query, run_store
from tests.models.test_incremental import assert_equals_full_refresh
from tests.test_end_to_end import assert_matches_truth

METRICS = "\nmetrics:\n  report_date: 2026-11-20\n"


def _raw(config, order, table: str) -> int:
    gid = f"gid://shopify/Order/{order.order_id}"
    return query(config, f"select count(*) as n from raw_shopify.{table} where order_id = '{gid}'")[0]["n"]


def _order_row(config, order) -> dict:
    [row] = query(config, f"select * from analytics.fct_orders where order_name = '{order.name}'")
    return row


def test_large_refunded_and_edited_orders_load_first_and_incrementally(tmp_path):
    generator = make_generator(orders=60, days=30)
    store = generator.store
    at = AS_OF - timedelta(days=3)
    big = generator.add_large_order(at, 300)
    many = generator.add_large_order(at + timedelta(minutes=5), 150)
    for i, line in enumerate(many.lines):
        generator.refund_units(many, line, 1, at + timedelta(hours=1, minutes=i))
    edited = generator.add_orders(1, at + timedelta(minutes=10))[0]
    generator.edit(edited, at + timedelta(hours=2))
    shipped = next(o for o in store.orders if o.shipping > 0 and not o.refunds and not o.cancelled_at and not o.test)
    generator.refund_units(shipped, None, 0, at + timedelta(hours=3), shipping=shipped.shipping)
    walk_in = generator.add_pos_order(at + timedelta(minutes=20))
    foreign = generator.add_foreign_order(at + timedelta(minutes=30), "EUR", Decimal("0.92"))
    goodwill = next(o for o in store.orders if not o.refunds and not o.cancelled_at and not o.test and o is not shipped)
    generator.refund_units(goodwill, None, 0, at + timedelta(hours=4), amount_only=Decimal("5.00"))

    config = run_store(tmp_path, "duckdb:///storeboard.duckdb", store, METRICS)
    assert_matches_truth(config, store)
    assert _raw(config, big, "orders__line_items") == 300
    assert _raw(config, many, "orders__refunds") == 150
    assert _raw(config, many, "orders__refunds__refund_line_items") == 150
    assert _raw(config, edited, "orders__line_items") == len(edited.lines)
    assert _raw(config, shipped, "orders__refunds__refund_shipping_lines") == 1
    assert Decimal(_order_row(config, big)["gross_sales"]) == sum(li.gross for li in big.lines)
    assert _order_row(config, walk_in)["order_name"] == walk_in.name
    assert _raw(config, goodwill, "orders__refunds") == 1
    # Paid in euros; the books (and the marts) stay in the shop's dollars.
    assert Decimal(_order_row(config, foreign)["gross_sales"]) == sum(li.gross for li in foreign.lines)
    assert _raw(config, goodwill, "orders__refunds__refund_line_items") == 0

    # Later: the order is edited a second time, the big one partly refunded; an incremental run.
    later = AS_OF + timedelta(hours=2)
    generator.edit(edited, later)
    for line in big.lines[:3]:
        generator.refund_units(big, line, 1, later + timedelta(minutes=1))
    config = run_store(tmp_path, "duckdb:///storeboard.duckdb", store, METRICS)
    assert_matches_truth(config, store)
    assert _raw(config, edited, "orders__line_items") == len(edited.lines) == len(set(li.line_item_id for li in edited.lines))
    assert _raw(config, big, "orders__refunds") == 3
    assert Decimal(_order_row(config, big)["returns"]) == sum(
        rl.subtotal for r in big.refunds for rl in r.lines)
    assert_equals_full_refresh(config)
