"""The ratios of a range's totals, in one place for the dashboards, the alerts and the email.

Each function is the Python twin of a dbt macro (transform/dbt/macros), so that a ratio the pages
or the alerts compute over a range of mart rows is the ratio the marts would give for the same
sums (docs/metrics.md: a range's ratio is the ratio of its sums, never an average of daily ones):

- ``divide`` is ``divide_exact``: rounded half away from zero (``ROUND_HALF_UP`` on a Decimal)
  to ``places``; None when the denominator is 0 or missing, or the numerator is missing. The
  macro first truncates both sides to 8 decimals; mart money has 4, so that never bites here.
- ``cac`` is ``cac``: None as well when nothing was spent (no spend, no CAC; shown "–").

Pure functions, Decimal in and out: nothing here reads a warehouse.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Number = Decimal | int | None

# The marts' scale for each ratio (the ``scale`` the macros pass to divide_exact).
ROAS_PLACES = 4
MONEY_PLACES = 2
FRACTION_PLACES = 4


def divide(numerator: Number, denominator: Number, places: int = MONEY_PLACES) -> Decimal | None:
    """numerator ÷ denominator rounded half away from zero to ``places``, as ``divide_exact``."""
    if numerator is None or not denominator:
        return None
    quotient = Decimal(numerator) / Decimal(denominator)
    return quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def roas(value: Number, spend: Number, places: int = ROAS_PLACES) -> Decimal | None:
    """Conversion value (platform ROAS) or net sales (blended ROAS) ÷ ad spend; None without
    spend. 4 places as in the marts; the pages and alerts ask for 2 (see their callers)."""
    return divide(value, spend, places)


def mer(net_sales: Number, ad_spend: Number, places: int = ROAS_PLACES) -> Decimal | None:
    """Blended ROAS (MER): net sales of all sales channels ÷ total ad spend."""
    return roas(net_sales, ad_spend, places)


def cac(spend: Number, new_customers: Number) -> Decimal | None:
    """Ad spend ÷ new customers to the cent, as the ``cac`` macro: None (shown "–") when nothing
    was spent, not 0.00 — those customers came some other way — and when nobody new came."""
    if spend is None or spend <= 0:
        return None
    return divide(spend, new_customers, MONEY_PLACES)


def aov(order_value: Number, orders: Number) -> Decimal | None:
    """Average order value: order value (gross sales − discounts) ÷ orders, to the cent."""
    return divide(order_value, orders, MONEY_PLACES)


def margin_pct(gross_margin: Number, net_revenue: Number) -> Decimal | None:
    """Margin % as a fraction: gross margin ÷ net revenue, 4 places (``gross_margin_pct``)."""
    return divide(gross_margin, net_revenue, FRACTION_PLACES)


def ctr(clicks: Number, impressions: Number) -> Decimal | None:
    """Click-through rate as a fraction of impressions, 4 places."""
    return divide(clicks, impressions, FRACTION_PLACES)


def cpc(spend: Number, clicks: Number) -> Decimal | None:
    """Cost per click, to the cent."""
    return divide(spend, clicks, MONEY_PLACES)


def is_below_roas_target(roas_value: Decimal | None, spend: Number, target: Decimal) -> bool:
    """The below-target flag, the one definition the marketing page and the alert share: money
    was spent and the platform ROAS of those sums is under the target (config
    ``metrics.roas_target``, a Decimal). A range without spend has no ROAS and is never flagged.
    It is a flag of a range's sums, so no mart carries it: a daily flag says nothing of a range."""
    return spend is not None and spend > 0 and roas_value is not None and roas_value < target
