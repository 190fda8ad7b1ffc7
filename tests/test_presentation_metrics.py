"""storeboard.presentation.metrics, the one Python home of the range ratios: the rounding and
None rules of the dbt macros it mirrors (divide_exact, cac)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storeboard.presentation import metrics


@pytest.mark.parametrize(("num", "den", "places", "expected"), [
    (Decimal("10"), Decimal("3"), 2, Decimal("3.33")),
    (Decimal("2.345"), 1, 2, Decimal("2.35")),        # half away from zero, as divide_exact
    (Decimal("-2.345"), 1, 2, Decimal("-2.35")),
    (Decimal("1"), Decimal("8"), 4, Decimal("0.1250")),
    (Decimal("5"), 0, 2, None),                        # nullif(den, 0)
    (Decimal("5"), None, 2, None),
    (None, Decimal("5"), 2, None),
])
def test_divide_rounds_like_divide_exact(num, den, places, expected):
    result = metrics.divide(num, den, places)
    assert result == expected
    if expected is not None:
        assert result.as_tuple().exponent == -places


def test_roas_keeps_the_marts_four_places_unless_asked():
    assert metrics.roas(Decimal("1000"), Decimal("300")) == Decimal("3.3333")
    assert metrics.mer(Decimal("1000"), Decimal("300"), 2) == Decimal("3.33")
    assert metrics.roas(Decimal("1000"), Decimal("0")) is None


def test_cac_is_empty_without_spend_or_new_customers():
    assert metrics.cac(Decimal("100"), 3) == Decimal("33.33")
    assert metrics.cac(Decimal("0"), 3) is None
    assert metrics.cac(None, 3) is None
    assert metrics.cac(Decimal("100"), 0) is None


def test_aov_margin_ctr_cpc():
    assert metrics.aov(Decimal("100.005"), 1) == Decimal("100.01")
    assert metrics.margin_pct(Decimal("1"), Decimal("3")) == Decimal("0.3333")
    assert metrics.ctr(7, 1000) == Decimal("0.0070")
    assert metrics.cpc(Decimal("10"), 0) is None


@pytest.mark.parametrize(("roas", "spend", "expected"), [
    (Decimal("1.99"), Decimal("50"), True),
    (Decimal("2.00"), Decimal("50"), False),
    (None, Decimal("50"), False),
    (Decimal("0.00"), Decimal("0"), False),
])
def test_below_roas_target(roas, spend, expected):
    assert metrics.is_below_roas_target(roas, spend, Decimal("2.0")) is expected
