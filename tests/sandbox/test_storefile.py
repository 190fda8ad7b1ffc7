"""Hand-written store files: parsed exactly, with errors that name the entry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storeboard.sandbox.storefile import StoreFileError, load_store, store_from_dict

SCENARIO = """
shop: {name: Tiny, timezone: Europe/Paris, currency: EUR}
products:
  - {sku: MUG, price: "20.00", unit_cost: "8.00", weight_grams: 400}
  - {sku: GIFT, price: "50.00", gift_card: true}
customers:
  - {id: 1, email: Ana@Example.com, channel: meta}
orders:
  - processed_at: "2026-11-01T22:30:00Z"
    customer: 1
    shipping: "4.90"
    lines:
      - {sku: MUG, quantity: 2, discount: "4.00", tax: "3.20"}
      - {sku: GIFT}
    refunds:
      - at: "2026-12-03T10:00:00Z"
        lines: [{sku: MUG, quantity: 1}]
extras:
  stripe: {charges: []}
"""


def test_yaml_store_file(tmp_path):
    path = tmp_path / "store.yml"
    path.write_text(SCENARIO)
    store = load_store(path)
    [order] = store.orders
    assert store.shop.currency == "EUR" and store.shop.timezone == "Europe/Paris"
    assert order.subtotal == Decimal("86.00")  # 2 × 20 − 4 + 50
    assert order.total_price == Decimal("94.10")
    [refund] = order.refunds
    assert refund.lines[0].subtotal == Decimal("18.00") and refund.lines[0].tax == Decimal("1.60")
    assert order.updated_at.isoformat() == "2026-12-03T10:00:00+00:00"
    assert [t.kind for t in order.transactions] == ["SALE", "REFUND"]
    assert store.extras == {"stripe": {"charges": []}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"orders": [{"processed_at": "2026-11-01", "lines": [{"sku": "NOPE"}]}]}, "orders[0].lines[0]: unknown sku 'NOPE'"),
        ({"orders": [{"processed_at": "yesterday", "lines": [{"sku": "MUG"}]}]}, "orders[0].processed_at"),
        ({"products": [{"sku": "MUG", "price": "twelve"}]}, "products[0].price"),
        ({"orders": [{"processed_at": "2026-11-01", "lines": [{"sku": "MUG"}],
                      "edits": [{"at": "2026-11-02", "remove": [{"line": 0, "quantity": 2}]}]}]},
         "orders[0].edits[0].remove[0]: cannot remove 2 of the line's 1 units"),
        ({"orders": [{"processed_at": "2026-11-01", "lines": [{"sku": "MUG", "duties": "lots"}]}]},
         "orders[0].lines[0].duties"),
        ({"orders": [{"processed_at": "2026-11-01", "lines": [{"sku": "MUG"}], "additional_fees": [{"name": "Fee"}]}]},
         "orders[0].additional_fees[0]: needs an amount"),
        ({"orders": [{"processed_at": "2026-11-01", "lines": [{"sku": "MUG"}],
                      "refunds": [{"at": "2026-11-02", "return_fee": "1.00", "return_fee_kind": "handling"}]}]},
         "orders[0].refunds[0].return_fee_kind"),
    ],
)
def test_errors_name_the_entry(change, message):
    data = {"products": [{"sku": "MUG", "price": "20.00"}], **change}
    with pytest.raises(StoreFileError) as info:
        store_from_dict(data, "s.yml")
    assert message in str(info.value)


def _order(**fields) -> dict:
    return {"orders": [{"processed_at": "2026-11-01T10:00:00Z", "lines": [{"sku": "MUG"}], **fields}]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_order(lines=[{"sku": "MUG", "tax_lines": [{"title": "VAT", "rate": "twenty"}]}]),
         "orders[0].lines[0].tax_lines[0].rate: expected a rate"),
        (_order(lines=[{"sku": "MUG", "tax": "1.00", "tax_lines": [{"title": "VAT", "rate": "20%"}]}]),
         "orders[0].lines[0]: give tax or tax_lines, not both"),
        (_order(shipping_tax_lines=[{"rate": "0.2"}]), "orders[0].shipping_tax_lines[0]: a tax line needs a title"),
        (_order(presentment={"currency": "pounds", "rate": "0.85"}), "orders[0].presentment.currency"),
        (_order(presentment={"currency": "GBP", "rate": "0"}), "orders[0].presentment.rate"),
        (_order(email="not an address"), "orders[0].email"),
        (_order(discount={"code": "X", "title": "Y", "percentage": 10}), "orders[0].discount: give one of"),
        (_order(discount={"code": "X", "amount": "25.00"}), "orders[0].discount: the discount must be"),
        (_order(transactions=[{"kind": "PAY", "amount": "1.00"}]), "orders[0].transactions[0].kind"),
        (_order(transactions=[{"kind": "SALE"}]), "orders[0].transactions[0]: a transaction needs an amount"),
        (_order(refunds=[{"at": "2026-11-02T10:00:00Z", "lines": [{"line": 0, "restock": "no"}]}]),
         "orders[0].refunds[0].lines[0].restock"),
        (_order(refunds=[{"at": "2026-11-02T10:00:00Z"}]), "orders[0].refunds[0]: a refund needs lines, shipping or an amount"),
    ],
)
def test_order_feature_errors_name_the_entry(change, message):
    data = {"products": [{"sku": "MUG", "price": "20.00"}], **change}
    with pytest.raises(StoreFileError) as info:
        store_from_dict(data, "s.yml")
    assert f"s.yml: {message}" in str(info.value)


FEATURES = """
shop: {currency: EUR, timezone: Europe/Berlin}
products:
  - {sku: TEE, price: "25.00"}
  - {sku: MUG, price: "12.00"}
orders:
  - processed_at: "2026-11-01T10:00:00Z"
    taxes_included: true
    email: guest@example.com
    presentment: {currency: GBP, rate: "0.85"}
    discount: {title: Autumn, amount: "5.00"}
    shipping: "6.00"
    shipping_tax_lines: [{title: VAT, rate: 20%}]
    lines:
      - {sku: TEE, quantity: 2, tax_lines: [{title: VAT, rate: 20%}]}
      - {sku: MUG, tax_lines: [{title: State tax, rate: "0.06"}, {title: County tax, rate: "0.0225"}]}
    transactions:
      - {kind: SALE, gateway: gift_card, amount: "20.00"}
      - {kind: SALE, gateway: shopify_payments, amount: "43.00", fee: "1.50"}
    refunds:
      - {at: "2026-11-03T10:00:00Z", amount: "2.50"}
      - {at: "2026-11-04T10:00:00Z", shipping: "6.00", lines: [{sku: TEE, quantity: 1, restock: false}]}
"""


def test_every_order_feature_is_parsed_to_the_cent(tmp_path):
    """Discount 5.00 over 62.00: tees 5.00 × 50 ÷ 62 = 4.03, the mug 0.97. Taxes inside the prices:
    tees (45.97) × 0.2 ÷ 1.2 = 7.66; mug 11.03 × 0.06 ÷ 1.0825 = 0.61 and × 0.0225 ÷ 1.0825 = 0.23;
    shipping 6.00 × 0.2 ÷ 1.2 = 1.00. Total 57.00 + 6.00 = 63.00. The tee refund gives back 22.99
    (45.97 ÷ 2, half up) and the shipping 6.00 with its 1.00 tax: 28.99."""
    path = tmp_path / "store.yml"
    path.write_text(FEATURES)
    [order] = load_store(path).orders
    assert [li.discount for li in order.lines] == [Decimal("4.03"), Decimal("0.97")]
    assert [[(t.title, t.rate, t.amount) for t in li.tax_lines] for li in order.lines] == [
        [("VAT", Decimal("0.2"), Decimal("7.66"))],
        [("State tax", Decimal("0.06"), Decimal("0.61")), ("County tax", Decimal("0.0225"), Decimal("0.23"))]]
    assert order.shipping_tax == Decimal("1.00") and order.total_tax == Decimal("9.50")
    assert order.total_price == Decimal("63.00")
    assert (order.email, order.presentment_currency, order.presentment_rate) == ("guest@example.com", "GBP", Decimal("0.85"))
    [application] = order.discount_applications
    assert (application.kind, application.name, application.amount) == ("AutomaticDiscountApplication", "Autumn", Decimal("5.00"))
    appeasement, returned = order.refunds
    assert (appeasement.lines, appeasement.total) == ([], Decimal("2.50"))
    assert (returned.total, returned.shipping_tax, returned.lines[0].restock) == (Decimal("28.99"), Decimal("1.00"), False)
    assert [(t.kind, t.gateway, t.amount) for t in order.transactions] == [
        ("SALE", "gift_card", Decimal("20.00")), ("SALE", "shopify_payments", Decimal("43.00")),
        ("REFUND", "shopify_payments", Decimal("2.50")), ("REFUND", "shopify_payments", Decimal("28.99"))]


#: Every field the store-file features render, read the way a client would.
FEATURE_QUERY = """
query($id: ID!) {
  order(id: $id) {
    email presentmentCurrencyCode
    totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
    discountApplications(first: 5) { nodes {
      __typename allocationMethod index targetSelection targetType
      value { __typename ... on PricingPercentageValue { percentage } ... on MoneyV2 { amount currencyCode } }
      ... on DiscountCodeApplication { code }
      ... on AutomaticDiscountApplication { title }
      ... on ManualDiscountApplication { title description }
    } }
    lineItems(first: 5) { nodes {
      taxLines { title rate ratePercentage priceSet { shopMoney { amount } presentmentMoney { amount currencyCode } } }
      discountAllocations { allocatedAmountSet { shopMoney { amount } }
                            discountApplication { __typename index ... on AutomaticDiscountApplication { title } } }
    } }
    shippingLines(first: 2) { nodes { taxLines { title rate priceSet { shopMoney { amount } } } } }
    refunds {
      totalRefundedSet { shopMoney { amount } presentmentMoney { amount } }
      refundLineItems(first: 5) { nodes { restockType restocked subtotalSet { shopMoney { amount } } } }
      refundShippingLines(first: 5) { nodes { subtotalAmountSet { shopMoney { amount } } taxAmountSet { shopMoney { amount } } } }
      transactions(first: 5) { nodes { kind gateway amountSet { shopMoney { amount } } } }
    }
    transactions { kind gateway amountSet { shopMoney { amount } } }
  }
}
"""


def test_every_rendered_feature_conforms_to_the_official_schema(tmp_path):
    """graphql-core over the official Admin schema gives exactly the sandbox's fast answer for a
    store file using every order feature, and the values are the store file's."""
    from graphql import graphql_sync

    from storeboard.sandbox.credentials import SHOPIFY_TOKEN
    from storeboard.sandbox.shopify import CostBucket, ShopifyAPI
    from storeboard.sandbox.specs import shopify_schema
    from tests.sandbox.test_shopify_api import _schema_resolver

    path = tmp_path / "store.yml"
    path.write_text(FEATURES)
    store = load_store(path)
    api = ShopifyAPI(store, SHOPIFY_TOKEN, CostBucket(1e9, 1e9))
    variables = {"id": f"gid://shopify/Order/{store.orders[0].order_id}"}
    fast = api.run(FEATURE_QUERY, variables)
    assert "errors" not in fast, fast
    reference = graphql_sync(shopify_schema(), FEATURE_QUERY, root_value=api.root(), variable_values=variables,
                             field_resolver=_schema_resolver)
    assert reference.errors is None, reference.errors[:3]
    assert reference.data == fast["data"]
    order = fast["data"]["order"]
    assert order["email"] == "guest@example.com"
    assert order["totalPriceSet"]["presentmentMoney"] == {"amount": "53.55", "currencyCode": "GBP"}  # 63.00 × 0.85
    [application] = order["discountApplications"]["nodes"]
    assert (application["__typename"], application["title"], application["value"]["amount"]) == (
        "AutomaticDiscountApplication", "Autumn", "5.00")
    tee, mug = order["lineItems"]["nodes"]
    assert [(t["title"], t["rate"], t["priceSet"]["shopMoney"]["amount"]) for t in mug["taxLines"]] == [
        ("State tax", 0.06, "0.61"), ("County tax", 0.0225, "0.23")]
    assert tee["discountAllocations"][0]["discountApplication"]["title"] == "Autumn"
    assert order["shippingLines"]["nodes"][0]["taxLines"][0]["priceSet"]["shopMoney"]["amount"] == "1.00"
    appeasement, returned = order["refunds"]
    assert appeasement["refundLineItems"]["nodes"] == [] and appeasement["totalRefundedSet"]["shopMoney"]["amount"] == "2.50"
    assert appeasement["transactions"]["nodes"][0]["amountSet"]["shopMoney"]["amount"] == "2.50"
    assert (returned["refundLineItems"]["nodes"][0]["restockType"], returned["refundLineItems"]["nodes"][0]["restocked"]) == (
        "NO_RESTOCK", False)
    assert returned["refundShippingLines"]["nodes"][0]["taxAmountSet"]["shopMoney"]["amount"] == "1.00"
