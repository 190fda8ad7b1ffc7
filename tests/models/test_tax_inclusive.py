"""Tax-inclusive prices: tax is taken out of line prices before they enter gross sales."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from storeboard import pipeline
from storeboard.sandbox import SandboxServer
from storeboard.sandbox.storefile import store_from_dict
from tests.models.conftest import configure, query


def test_tax_inclusive_prices_are_reported_net_of_tax(tmp_path):
    """Two mugs at 21.60 including 8 % tax, 10 % off: 43.20 − 4.32 = 38.88 paid, of which 2.88 tax.

    Net of tax: gross 43.20 ÷ 1.08 = 40.00, net 38.88 − 2.88 = 36.00, so discounts 4.00. One mug
    refunded four days later: 19.44 back, of which 1.44 tax.
    """
    store = store_from_dict({
        "products": [{"sku": "MUG", "price": "21.60", "unit_cost": "8.00"}],
        "orders": [{"processed_at": "2026-10-05T14:00:00Z", "taxes_included": True,
                    "lines": [{"sku": "MUG", "quantity": 2, "discount": "4.32", "tax": "2.88"}],
                    "refunds": [{"at": "2026-10-09T14:00:00Z", "lines": [{"sku": "MUG", "quantity": 1}]}]}],
    })
    with SandboxServer(store) as server:
        config = configure(tmp_path, "duckdb:///storeboard.duckdb", server.url, store, "")
        report = pipeline.run(config, sources=["shopify"])
    assert report.ok, report.errors
    got = {r["date"]: tuple(v for k, v in r.items() if k != "date") for r in query(config, """
        select date, gross_sales, discounts, returns, net_sales, taxes, total_sales from analytics.rpt_revenue_daily
        where orders > 0 or returns <> 0""")}
    assert got == {
        date(2026, 10, 5): (D("40.00"), D("4.00"), D("0"), D("36.00"), D("2.88"), D("38.88")),
        date(2026, 10, 9): (D("0"), D("0"), D("18.00"), D("-18.00"), D("-1.44"), D("-19.44")),
    }
