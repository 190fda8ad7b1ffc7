"""A deleted order leaves the marts: Shopify's ``orders/delete`` webhook (the only trace a deletion
leaves; the Admin GraphQL API has no deletion events for orders) removes it from the raw tables,
and the revenue marts rebuilt after it equal the independent calculation without it."""

from __future__ import annotations

import time

from storeboard import pipeline
from storeboard.sandbox.shopify_webhooks import delete_order, post_webhook
from storeboard.warehouse import Warehouse
from storeboard.webhooks import events
from storeboard.webhooks.events import shopify_objects
from tests import truth
from tests.conftest import make_config
from tests.test_end_to_end import assert_matches_truth
from tests.webhooks.conftest import ServedApp


def _rows_of(config, gid: str) -> dict[str, int]:
    """Rows that mention the order, per raw table and in fct_orders."""
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        tables = [r["table_name"] for r in conn.query(
            "select table_name from information_schema.tables where table_schema = 'raw_shopify'")
            if r["table_name"].startswith("orders__")]
        found = {t: conn.query(f"select count(*) as n from raw_shopify.{t} where order_id = %(g)s", {"g": gid})[0]["n"]
                 for t in tables}
        found["orders"] = conn.query("select count(*) as n from raw_shopify.orders where id = %(g)s", {"g": gid})[0]["n"]
        found["fct_orders"] = conn.query("select count(*) as n from analytics.fct_orders where order_id = %(g)s",
                                         {"g": gid})[0]["n"]
    return found


def test_orders_delete_body_names_the_order():
    assert shopify_objects("orders/delete", {"id": 450789469}) == ("order_deletions:gid://shopify/Order/450789469",)
    assert shopify_objects("orders/delete", {"id": True}) == ()


def test_a_deleted_order_leaves_the_raw_tables_and_the_marts(tmp_path, sandbox, generator):
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    report = pipeline.run(config, sources=["shopify"])
    assert report.ok, report.errors
    store = generator.store
    # a live order with lines and a refund: every child table has rows of it
    order = next(o for o in store.orders if not o.test and o.cancelled_at is None and o.refunds and o.lines)
    gid = f"gid://shopify/Order/{order.order_id}"
    before = _rows_of(config, gid)
    assert before["orders"] == 1 and before["fct_orders"] == 1 and before["orders__line_items"] == len(order.lines)

    with ServedApp(config) as app:
        url = f"{app.url}/webhooks/shopify"
        # A stale delivery for an order Shopify still has deletes nothing.
        other = next(o for o in store.orders if o is not order)
        kept = post_webhook(url, "orders/delete", {"id": other.order_id}, store, webhook_id="wh-del-stale")
        assert kept.json()["status"] == "stored"
        body = delete_order(order, store)
        assert post_webhook(url, "orders/delete", body, store, webhook_id="wh-del-1").json()["status"] == "stored"
        deadline = time.monotonic() + 90
        while events.counts(Warehouse.from_config(config)) != {"applied": 2}:
            assert time.monotonic() < deadline, events.counts(Warehouse.from_config(config))
            time.sleep(0.5)

    assert set(_rows_of(config, gid).values()) == {0}, "no row of the deleted order is left"
    assert _rows_of(config, f"gid://shopify/Order/{other.order_id}")["orders"] == 1
    assert_matches_truth(config, store)  # the independent calculation over the store without it
    assert order not in store.orders and truth.revenue_daily(store)

    # The next pull does not bring it back (Shopify no longer returns it).
    again = pipeline.run(config, sources=["shopify"])
    assert again.ok, again.errors
    assert set(_rows_of(config, gid).values()) == {0}
    assert_matches_truth(config, store)
