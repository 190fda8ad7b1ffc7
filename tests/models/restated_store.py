"""The restatement store (tests/models/test_restatements.py explains it by hand): a small UTC
store whose week W, two weeks before today, gets a late refund, a Meta restatement and a late
shipping-cost CSV between two refreshes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D
from pathlib import Path

from storeboard import pipeline
from storeboard.config import Config
from storeboard.demo import DROP_FOLDER
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.files_data import write_drop
from storeboard.sandbox.shopify import CostBucket
from storeboard.sandbox.store import Refund, RefundLine, Transaction
from storeboard.sandbox.storefile import store_from_dict
from tests.models.conftest import configure, query

TODAY = date.today()
MONDAY = TODAY - timedelta(days=TODAY.weekday() + 14)
TUESDAY, WEDNESDAY, THURSDAY = MONDAY + timedelta(1), MONDAY + timedelta(2), MONDAY + timedelta(3)
META_ACCOUNT = "act_1029384756"  # the ids the sandbox config lists
GOOGLE_ACCOUNTS = ("4445556667", "7778889990")


def at(day: date, hour: int = 10) -> str:
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat()


def store_dict() -> dict:
    return {
        "shop": {"name": "Restated Store", "timezone": "UTC", "currency": "USD"},
        "products": [
            {"sku": "MUG", "price": "20.00", "unit_cost": "8.00", "weight_grams": 400},
            {"sku": "LAMP", "price": "50.00", "unit_cost": "20.00", "weight_grams": 1400},
        ],
        "customers": [
            {"id": 1, "email": "ana@example.com", "first_name": "Ana", "created_at": at(MONDAY - timedelta(30))},
            {"id": 2, "email": "bo@example.com", "first_name": "Bo", "created_at": at(MONDAY - timedelta(30))},
        ],
        "orders": [
            # a guest's order the week before W, so that W's week-over-week parts have a base
            {"number": 1000, "processed_at": at(MONDAY - timedelta(7)), "gateway": "shopify_payments",
             "fee": "0.88", "lines": [{"sku": "MUG"}]},
            {"number": 1001, "processed_at": at(TUESDAY), "customer": 1, "gateway": "shopify_payments",
             "fee": "1.46", "lines": [{"sku": "MUG", "quantity": 2}]},
            {"number": 1002, "processed_at": at(WEDNESDAY), "customer": 2, "gateway": "shopify_payments",
             "fee": "1.75", "lines": [{"sku": "LAMP"}]},
        ],
        "extras": {
            "stripe": {"charges": [], "refunds": [], "balance_transactions": [], "customers": []},
            "hubspot": {"contacts": [], "companies": [], "deals": []},
            "marketing": {
                "accounts": [{"platform": "meta", "account_id": META_ACCOUNT, "name": "Shop - Meta",
                              "currency": "USD", "timezone": "UTC"},
                             *({"platform": "google_ads", "account_id": account, "name": "Shop - Google",
                                "currency": "USD", "timezone": "UTC"} for account in GOOGLE_ACCOUNTS)],
                "campaigns": [{"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "8101",
                               "name": "prospecting", "objective": "OUTCOME_SALES", "status": "ACTIVE",
                               "daily_budget": None, "created_at": at(MONDAY - timedelta(30))}],
                "ad_groups": [{"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "8101",
                               "ad_group_id": "8201", "name": "all", "status": "ACTIVE", "daily_budget": None,
                               "created_at": at(MONDAY - timedelta(30))}],
                "daily": [{"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "8101",
                           "ad_group_id": "8201", "day": WEDNESDAY.isoformat(), "spend": "100.00",
                           "impressions": 4000, "clicks": 90, "purchases": 3, "purchase_value": "150.00"},
                          {"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "8101",
                           "ad_group_id": "8201", "day": (MONDAY - timedelta(5)).isoformat(), "spend": "50.00",
                           "impressions": 2000, "clicks": 40, "purchases": 1, "purchase_value": "20.00"}],
            },
            "files": {
                f"inventory_{(MONDAY - timedelta(30)).isoformat()}.csv": [
                    {"sku": "MUG", "on_hand": 40, "unit_cost": "", "reorder_point": 5, "lead_time_days": 10},
                ],
            },
        },
    }


def late_changes(store, folder) -> None:
    """The three changes that arrive between the refreshes."""
    order = next(o for o in store.orders if o.number == 1001)
    mug = order.lines[0]
    refunded_at = datetime.combine(THURSDAY, time(12), tzinfo=UTC)
    order.refunds = [*order.refunds, Refund(9_100_000_900, refunded_at, [RefundLine(20_000_000_900, mug.line_item_id, 1,
                                                                                    D("20.00"), D("0.00"))])]
    order.transactions.append(Transaction(7_420_000_000_900, "REFUND", "SUCCESS", "shopify_payments", refunded_at,
                                          D("20.00"), D("0.00")))
    order.updated_at = datetime.now(UTC)  # Shopify's API shows it only now
    store.extras["marketing"]["daily"][0]["spend"] = "90.00"
    store.extras["files"][f"shipping_costs_{WEDNESDAY:%Y-%m}.csv"] = [
        {"order_id": "#1002", "carrier": "UPS", "label_cost": "7.50"}]
    store.revision += 1
    write_drop(store, folder / DROP_FOLDER)


def metrics_yaml() -> str:
    return f"\nmetrics:\n  report_date: {TODAY.isoformat()}\n"



@dataclass
class Refreshed:
    config: Config
    history_after_second: list[tuple]


def history(config) -> list[tuple]:
    return sorted((r["headline_figure_id"], str(r["recorded_at"])) for r in query(
        config, "select headline_figure_id, recorded_at from analytics.fct_headline_figure_history"))


def refresh_with_late_changes(folder: Path, warehouse: str) -> Refreshed:
    """Refresh the store, apply the late changes, refresh twice more (the last finds nothing new)."""
    store = store_from_dict(store_dict())
    with SandboxServer(store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0)) as server:
        config = configure(folder, warehouse, server.url, store, metrics_yaml())
        first = pipeline.run(config)
        assert first.ok, first.errors
        assert query(config, "select count(*) as n from analytics.rpt_restatements")[0]["n"] == 0, "a baseline"
        late_changes(store, folder)
        second = pipeline.run(config)
        assert second.ok, second.errors
        after_second = history(config)
        third = pipeline.run(config)  # nothing changed since: nothing to record
        assert third.ok, third.errors
    return Refreshed(config, after_second)
