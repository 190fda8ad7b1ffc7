"""Formatting numbers for people: store currency, thousands separators, signed changes."""

from __future__ import annotations

from decimal import Decimal

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK"}


def money(value: Decimal | int | float | None, currency: str) -> str:
    """``$1,234.50`` (or ``1,234.50 CHF`` for currencies without a symbol); ``–`` for None."""
    if value is None:
        return "–"
    places = 0 if currency in ZERO_DECIMAL else 2
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    text = f"{abs(amount):,.{places}f}"
    sign = "−" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def count(value: int | None) -> str:
    return "–" if value is None else f"{int(value):,}"
