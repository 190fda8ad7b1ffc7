"""Access scopes: the sandbox checks them as Shopify does, and doctor names what is missing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storeboard import pipeline
from storeboard.errors import SourceAuthError
from storeboard.sandbox.credentials import SHOPIFY_TOKEN
from storeboard.sandbox.graphql import required_scopes
from storeboard.sandbox.shopify import ALL_SCOPES, CostBucket, ShopifyAPI
from storeboard.sources import shopify
from storeboard.sources.shopify import settings
from tests.conftest import make_config

DOCUMENTS = [settings.ORDERS_QUERY, settings.ORDER_QUERY, settings.CUSTOMERS_QUERY, settings.VARIANTS_QUERY,
             settings.ORDER_LINE_ITEMS_QUERY, settings.ORDER_SHIPPING_LINES_QUERY, settings.REFUND_LINE_ITEMS_QUERY,
             settings.REFUND_SHIPPING_LINES_QUERY, settings.ORDER_REFUND_DETAILS_QUERY, settings.SHOP_QUERY,
             settings.bulk_orders_query("2000-01-01T00:00:00Z"), settings.ORDER_AGREEMENTS_QUERY, settings.AGREEMENT_SALES_QUERY,
             settings.SCOPES_QUERY]


def test_the_scopes_storeboard_asks_for_cover_every_document():
    """Every field the connector selects that the official schema guards is covered by one of
    the scopes README and doctor name (derived from the schema's offline_scopes)."""
    needed = {tuple(needs) for doc in DOCUMENTS for _, needs in required_scopes(doc)}
    assert needed, "the schema's offline_scopes were read"
    assert all(set(needs) & set(settings.SCOPES) for needs in needed), needed
    assert {s for needs in needed for s in needs if len(needs) == 1} <= set(settings.SCOPES)


def test_sandbox_reports_granted_scopes_and_denies_the_rest(generator):
    api = ShopifyAPI(generator.store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9), scopes=("read_orders", "read_products"))
    body = api.run(settings.SCOPES_QUERY, {})
    assert [s["handle"] for s in body["data"]["currentAppInstallation"]["accessScopes"]] == ["read_orders", "read_products"]
    denied = api.run(settings.ORDERS_QUERY, {"first": 1})
    [error] = denied["errors"]
    assert denied["data"] is None
    assert error["extensions"]["code"] == "ACCESS_DENIED" and error["path"] == ["customer"]
    assert error["message"] == "Access denied for customer field. Required access: `read_customers` access scope."


def test_without_read_all_orders_only_sixty_days_are_served(generator):
    now = max(o.created_at for o in generator.store.orders) + timedelta(days=30)
    scopes = tuple(s for s in ALL_SCOPES if s != "read_all_orders")
    api = ShopifyAPI(generator.store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9), scopes=scopes, clock=lambda: now)
    ids, after = [], None
    while True:
        page = api.run(settings.ORDERS_QUERY, {"first": 8, "after": after})["data"]["orders"]
        ids += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    recent = [o for o in generator.store.orders if o.created_at >= now - timedelta(days=60)]
    assert 0 < len(recent) < len(generator.store.orders), "the test store spans more than 60 days"
    assert sorted(ids) == sorted(f"gid://shopify/Order/{o.order_id}" for o in recent)
    old = min(generator.store.orders, key=lambda o: o.created_at)
    assert api.run(settings.ORDER_QUERY, {"id": f"gid://shopify/Order/{old.order_id}"})["data"]["order"] is None


def test_doctor_names_each_missing_scope_and_what_it_breaks(tmp_path, sandbox, generator):
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    assert "Northwind" in shopify.check(config.sources.shopify)
    sandbox.shopify.scopes = ("read_orders",)
    with pytest.raises(SourceAuthError) as info:
        shopify.check(config.sources.shopify)
    message = str(info.value)
    for scope in ("read_customers", "read_products", "read_all_orders"):
        assert scope in message
    assert "customers and each order's customer" in message and "start_date" in message
    assert "lacks read_orders" not in message


def test_read_all_orders_matters_only_when_history_reaches_back(tmp_path, sandbox, generator):
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    sandbox.shopify.scopes = tuple(s for s in ALL_SCOPES if s != "read_all_orders")
    recent = config.sources.shopify.model_copy(update={"start_date": "2100-01-01T00:00:00Z"})
    shopify.check(recent)  # nothing older than 60 days is asked for
    with pytest.raises(SourceAuthError, match="read_all_orders"):
        shopify.check(config.sources.shopify)


def test_first_load_without_read_all_orders_fails_instead_of_loading_sixty_days(tmp_path, sandbox, generator):
    config = make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    sandbox.shopify.scopes = tuple(s for s in ALL_SCOPES if s != "read_all_orders")
    report = pipeline.run(config, sources=["shopify"])
    assert not report.ok
    assert any("read_all_orders" in str(e) for e in report.errors)
