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
