"""Small pure pieces of the web layer: ranges, comparisons, formatting, the LTV curve."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi import HTTPException

from storeboard.presentation.formatting import change, money, percent
from storeboard.web import periods
from storeboard.web.routers.customers import chained_curve


def test_presets_and_comparison_periods():
    today = date(2026, 11, 20)
    keys = {key: (s, e) for key, _label, s, e in periods.presets(today)}
    assert keys["7d"] == (date(2026, 11, 14), today)
    assert keys["mtd"] == (date(2026, 11, 1), today)
    assert keys["last_month"] == (date(2026, 10, 1), date(2026, 10, 31))
    assert keys["ytd"] == (date(2026, 1, 1), today)
    chosen = periods.resolve("2026-11-01", "2026-11-10", None, today)
    assert chosen.previous() == periods.DateRange(date(2026, 10, 22), date(2026, 10, 31))
    assert chosen.last_year() == periods.DateRange(date(2025, 11, 1), date(2025, 11, 10))
    assert periods.shift_year(date(2028, 2, 29), -1) == date(2027, 2, 28)
    assert periods.resolve(None, None, "7d", today).preset == "7d"
    assert periods.bucket_start(date(2026, 11, 19), "week") == date(2026, 11, 16)
    for bad in (("2026-13-01", None, None), ("2026-11-10", "2026-11-01", None), (None, None, "forever")):
        with pytest.raises(HTTPException):
            periods.resolve(*bad, today)


def test_changes_are_arrows_not_only_colours():
    assert change(Decimal("110"), Decimal("100")) == ("▲ 10.0%", "up")
    assert change(90, 100) == ("▼ 10.0%", "down")
    assert change(5, 0) == ("new", "up") and change(None, 3) is None
    assert money(Decimal("-1234.5"), "USD") == "−$1,234.50" and money(1234, "JPY") == "¥1,234"
    assert percent(Decimal("0.1234")) == "12.3%"


def row(cohort, k, customers, net):
    return {"cohort_month": cohort, "months_since_first_order": k, "cohort_customers": customers,
            "cumulative_net_sales": Decimal(net), "cumulative_contribution_margin": Decimal(net) / 2}


def test_ltv_curve_chains_growth_so_a_young_cohort_cannot_bend_it_down():
    old, young = date(2026, 1, 1), date(2026, 2, 1)
    curve = chained_curve([row(old, 0, 10, 1000), row(old, 1, 10, 1500), row(young, 0, 30, 9000)])
    assert curve[0]["ltv_net_sales"] == Decimal("250.00")  # 10 000 ÷ 40
    assert curve[1]["ltv_net_sales"] == Decimal("300.00")  # + 500 ÷ 10 (only the old cohort reached month 1)
    assert curve[1]["customers"] == 10
