"""A hand-written store whose expected mart rows are worked out by hand in test_scenarios.py.

Shop in New York (EDT until 1 November 2026, then EST), USD. Ten orders, one per case:

#1001 ana, facebook/paid UTM, 2 mugs + tax + shipping, paid by Stripe; 1 mug refunded next month
#1002 bo (HubSpot has his email in another letter case), 10 % order discount over two lines;
      one of three mugs refunded two days later
#1003 cy, lamp, cancelled the same day, never paid
#1004 a test order
#1005 ana, at 23:30 New York time on 9 October (10 October in UTC), paid by Stripe for 49.90
      instead of 50.00 (an amount mismatch)
#1006 cy, two lamps after the lamp's second cost snapshot; its shipping label is in the CSV
#1007 a guest checkout with a gift card and a tee
#1008 bo, a SKU without any unit cost
#1009 ana's repeat order in November, shipping shared by weight
#1010 cy, a heavy cheap brick: positive gross margin, negative contribution margin

Other sources: two Stripe charges with no Shopify order (one in JPY, a zero-decimal currency), a
Stripe test charge, a Meta ad account in EUR and a Google Ads account in USD, two inventory
snapshots with different lamp costs, a shipping-cost CSV, HubSpot contacts (one known only by
phone).
"""

from __future__ import annotations

from datetime import datetime

META_ACCOUNT = "act_1029384756"
GOOGLE_ACCOUNT = "4445556667"

#: The metrics block appended to the sandbox storeboard.yml.
METRICS_YAML = """
metrics:
  report_date: 2026-11-20
  fx_rates:
    - {currency: EUR, valid_from: 2026-01-01, rate: "1.08"}
    - {currency: JPY, valid_from: 2026-01-01, rate: "0.0067"}
  budgets:
    - {channel: google_ads, month: "2026-10", amount: "1000.00"}
  shipping_rates:
    - {max_weight_grams: 1000, cost: "4.00"}
    - {max_weight_grams: 5000, cost: "7.00"}
"""


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _charge(charge_id: str, amount: int, currency: str, created: str, reference: str | None,
            refunded: int = 0, customer: str | None = None, live: bool = True) -> dict:
    return {
        "id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": refunded, "balance_transaction": "txn_" + charge_id[3:], "captured": True,
        "created": epoch(created), "currency": currency, "customer": customer, "disputed": False,
        "livemode": live, "paid": True, "refunded": refunded == amount, "status": "succeeded",
        "payment_intent": None, "description": None, "receipt_email": None,
        "metadata": {"order_id": reference} if reference else {},
    }


def _balance(charge_id: str, amount: int, fee: int, created: str, kind: str = "charge") -> dict:
    return {
        "id": "txn_" + charge_id[3:], "object": "balance_transaction", "amount": amount, "fee": fee,
        "net": amount - fee, "currency": "usd", "type": kind, "reporting_category": kind,
        "source": charge_id, "status": "available", "created": epoch(created),
        "available_on": epoch(created) + 2 * 86400,
    }


STRIPE = {
    "charges": [
        _charge("ch_order1001", 4820, "usd", "2026-10-05T14:00:05Z", "#1001", refunded=2160, customer="cus_ana"),
        _charge("ch_order1005", 4990, "usd", "2026-10-10T03:30:05Z", "#1005", customer="cus_ana"),
        _charge("ch_invoice7", 12000, "usd", "2026-10-16T15:00:00Z", None, customer="cus_biz"),
        _charge("ch_tokyo1", 5000, "jpy", "2026-11-05T15:00:00Z", None, customer="cus_biz"),
        _charge("ch_dashtest", 999, "usd", "2026-10-01T12:00:00Z", None, live=False),
    ],
    "refunds": [
        {"id": "re_order1001", "object": "refund", "amount": 2160, "charge": "ch_order1001", "currency": "usd",
         "created": epoch("2026-11-10T15:00:00Z"), "status": "succeeded", "payment_intent": None,
         "balance_transaction": "txn_re_order1001", "reason": "requested_by_customer"},
    ],
    "balance_transactions": [
        _balance("ch_order1001", 4820, 170, "2026-10-05T14:00:05Z"),
        _balance("ch_order1005", 4990, 175, "2026-10-10T03:30:05Z"),
        _balance("ch_invoice7", 12000, 378, "2026-10-16T15:00:00Z"),
        # the yen charge settles in dollars
        _balance("ch_tokyo1", 3350, 127, "2026-11-05T15:00:00Z"),
        {**_balance("re_order1001", -2160, 0, "2026-11-10T15:00:00Z", kind="refund"), "id": "txn_re_order1001"},
    ],
    "customers": [
        {"id": "cus_ana", "object": "customer", "email": "Ana@Example.com", "name": "Ana Alves",
         "created": epoch("2026-10-05T14:00:00Z"), "livemode": True, "currency": "usd", "delinquent": False},
        {"id": "cus_biz", "object": "customer", "email": "ap@bizco.example", "name": "BizCo",
         "created": epoch("2026-09-01T09:00:00Z"), "livemode": True, "currency": "usd", "delinquent": False},
    ],
}


def _contact(contact_id: str, created: str, **properties: str) -> dict:
    props = {"createdate": created, "lastmodifieddate": created, **properties}
    return {"id": contact_id, "properties": props, "createdAt": created, "updatedAt": created, "archived": False}


HUBSPOT = {
    "contacts": [
        _contact("51", "2026-09-20T10:00:00.000Z", email="bo@example.com", firstname="Bo",
                 hs_analytics_source="PAID_SEARCH"),
        _contact("52", "2026-09-21T10:00:00.000Z", email="dee@example.com", firstname="Dee",
                 hs_analytics_source="ORGANIC_SEARCH"),
        # cy, known to HubSpot only by phone (written without country code)
        _contact("53", "2026-09-22T10:00:00.000Z", phone="212-555-0100", firstname="Cy"),
    ],
    "companies": [],
    "deals": [],
}

MARKETING = {
    "accounts": [
        {"platform": "meta", "account_id": META_ACCOUNT, "name": "Shop - Meta", "currency": "EUR",
         "timezone": "America/New_York"},
        {"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "name": "Shop - Google", "currency": "USD",
         "timezone": "America/New_York"},
        # the sandbox config lists two Google Ads customers; this one has no campaigns
        {"platform": "google_ads", "account_id": "7778889990", "name": "Shop - Google (wholesale)",
         "currency": "USD", "timezone": "America/New_York"},
    ],
    "campaigns": [
        {"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "1201", "name": "meta-prospecting",
         "objective": "OUTCOME_SALES", "status": "ACTIVE", "daily_budget": "40.00",
         "created_at": "2026-10-01T13:00:00Z"},
        {"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "campaign_id": "2201", "name": "google-search",
         "objective": "SEARCH", "status": "ENABLED", "daily_budget": "20.00", "budget_id": "2901",
         "created_at": "2026-10-01T13:00:00Z"},
    ],
    "ad_groups": [
        {"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "1201", "ad_group_id": "1301",
         "name": "Broad", "status": "ACTIVE", "daily_budget": None, "created_at": "2026-10-01T13:00:00Z"},
        {"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "campaign_id": "2201", "ad_group_id": "2301",
         "name": "Brand", "status": "ENABLED", "daily_budget": None, "created_at": "2026-10-01T13:00:00Z"},
    ],
    "daily": [
        {"platform": "meta", "account_id": META_ACCOUNT, "campaign_id": "1201", "ad_group_id": "1301",
         "day": "2026-10-05", "spend": "100.00", "impressions": 5000, "clicks": 120, "purchases": 2,
         "purchase_value": "200.00"},
        {"platform": "google_ads", "account_id": GOOGLE_ACCOUNT, "campaign_id": "2201", "ad_group_id": "2301",
         "day": "2026-10-06", "spend": "50.00", "impressions": 800, "clicks": 40, "purchases": 1,
         "purchase_value": "40.00"},
    ],
}

FILES = {
    "inventory_2026-10-01.csv": [
        {"sku": "LAMP", "on_hand": 12, "unit_cost": "18.00", "reorder_point": 4, "lead_time_days": 10},
    ],
    "inventory_2026-10-20.csv": [
        {"sku": "LAMP", "on_hand": 3, "unit_cost": "22.00", "reorder_point": 4, "lead_time_days": 10},
        {"sku": "TEE", "on_hand": 2, "unit_cost": "", "reorder_point": "", "lead_time_days": 14},
    ],
    "shipping_costs_2026-10.csv": [
        {"order_id": "#1006", "carrier": "UPS", "label_cost": "9.10"},
    ],
}

STORE = {
    "shop": {"name": "Scenario Store", "timezone": "America/New_York", "currency": "USD"},
    "products": [
        {"sku": "MUG", "price": "20.00", "unit_cost": "8.00", "weight_grams": 400},
        {"sku": "TEE", "price": "30.00", "unit_cost": "10.00", "weight_grams": 200},
        {"sku": "LAMP", "price": "50.00", "unit_cost": "20.00", "weight_grams": 1400},
        {"sku": "GIFT", "price": "25.00", "gift_card": True, "weight_grams": 0},
        {"sku": "NOCOST", "price": "15.00", "weight_grams": 500},
        {"sku": "BRICK", "price": "6.00", "unit_cost": "2.00", "weight_grams": 4000},
    ],
    "customers": [
        {"id": 1, "email": "ana@example.com", "first_name": "Ana", "created_at": "2026-10-01T00:00:00Z"},
        {"id": 2, "email": "Bo@Example.com", "first_name": "Bo", "created_at": "2026-10-01T00:00:00Z"},
        {"id": 3, "email": "cy@example.com", "phone": "+1 (212) 555-0100", "first_name": "Cy",
         "created_at": "2026-10-01T00:00:00Z"},
    ],
    "orders": [
        {"number": 1001, "processed_at": "2026-10-05T14:00:00Z", "customer": 1, "shipping": "5.00",
         "utm": {"source": "facebook", "medium": "paid", "campaign": "meta-prospecting"},
         "lines": [{"sku": "MUG", "quantity": 2, "tax": "3.20"}],
         "refunds": [{"at": "2026-11-10T15:00:00Z", "lines": [{"sku": "MUG", "quantity": 1}]}]},
        {"number": 1002, "processed_at": "2026-10-06T15:00:00Z", "customer": 2, "gateway": "shopify_payments",
         "fee": "2.50", "discount_code": "TENOFF",
         "lines": [{"sku": "TEE", "quantity": 1, "discount": "3.00"}, {"sku": "MUG", "quantity": 3, "discount": "6.00"}],
         "refunds": [{"at": "2026-10-08T16:00:00Z", "lines": [{"sku": "MUG", "quantity": 1}]}]},
        {"number": 1003, "processed_at": "2026-10-07T14:00:00Z", "customer": 3, "shipping": "5.00",
         "cancelled_at": "2026-10-07T18:00:00Z", "unpaid": True, "lines": [{"sku": "LAMP"}]},
        {"number": 1004, "processed_at": "2026-10-07T16:00:00Z", "customer": 3, "test": True,
         "lines": [{"sku": "MUG"}]},
        {"number": 1005, "processed_at": "2026-10-10T03:30:00Z", "customer": 1, "lines": [{"sku": "LAMP"}]},
        {"number": 1006, "processed_at": "2026-10-21T14:00:00Z", "customer": 3, "gateway": "shopify_payments",
         "fee": "3.20", "lines": [{"sku": "LAMP", "quantity": 2}]},
        {"number": 1007, "processed_at": "2026-10-12T14:00:00Z", "shipping": "4.00", "gateway": "shopify_payments",
         "fee": "1.90", "lines": [{"sku": "GIFT"}, {"sku": "TEE"}]},
        {"number": 1008, "processed_at": "2026-10-14T14:00:00Z", "customer": 2, "gateway": "shopify_payments",
         "fee": "1.17", "lines": [{"sku": "NOCOST", "quantity": 2}]},
        {"number": 1009, "processed_at": "2026-11-03T15:00:00Z", "customer": 1, "shipping": "6.00",
         "gateway": "shopify_payments", "fee": "1.75", "lines": [{"sku": "TEE"}, {"sku": "MUG"}]},
        {"number": 1010, "processed_at": "2026-10-15T14:00:00Z", "customer": 3, "gateway": "shopify_payments",
         "fee": "0.47", "lines": [{"sku": "BRICK"}]},
    ],
    "extras": {"stripe": STRIPE, "hubspot": HUBSPOT, "marketing": MARKETING, "files": FILES},
}
