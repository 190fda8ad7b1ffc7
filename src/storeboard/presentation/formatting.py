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


def percent(value: Decimal | float | None, places: int = 1) -> str:
    """``12.5%`` from a fraction (0.125); ``–`` for None."""
    if value is None:
        return "–"
    amount = (Decimal(value) * 100).quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    return f"{'−' if amount < 0 else ''}{abs(amount):,.{places}f}%"


def ratio(value: Decimal | float | None, places: int = 2) -> str:
    """``3.25×`` for ROAS-like ratios; ``–`` for None."""
    if value is None:
        return "–"
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    return f"{'−' if amount < 0 else ''}{abs(amount):,.{places}f}×"


def number(value: Decimal | float | None, places: int = 1) -> str:
    if value is None:
        return "–"
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    return f"{'−' if amount < 0 else ''}{abs(amount):,.{places}f}"


def value(raw, kind: str, currency: str) -> str:
    """Format one cell or tile by its column kind."""
    if raw is None:
        return "–"
    if kind == "money":
        return money(raw, currency)
    if kind == "count":
        return count(raw)
    if kind == "pct":
        return percent(raw)
    if kind == "ratio":
        return ratio(raw)
    if kind == "days":
        return number(raw, 1)
    if kind == "number":
        return number(raw, 2)
    if kind == "number4":  # MER changes and their parts, at the marts' 4 places
        return number(raw, 4)
    if kind == "bool":
        return "yes" if raw else "no"
    if kind == "timestamp" and hasattr(raw, "hour"):
        from datetime import UTC

        stamp = raw.astimezone(UTC) if raw.tzinfo else raw
        return stamp.strftime("%Y-%m-%d %H:%M UTC")
    if hasattr(raw, "isoformat"):
        return raw.isoformat(sep=" ", timespec="minutes") if hasattr(raw, "hour") else raw.isoformat()
    return str(raw)


def change(current, previous) -> tuple[str, str] | None:
    """(arrow + signed % text, direction) comparing two numbers; None when there is no base."""
    if current is None or previous is None:
        return None
    current, previous = Decimal(current), Decimal(previous)
    if previous == 0:
        return None if current == 0 else ("new", "up")
    pct = (current - previous) / abs(previous)
    if pct == 0:
        return ("= 0.0%", "flat")
    arrow, direction = ("▲", "up") if pct > 0 else ("▼", "down")
    return (f"{arrow} {percent(abs(pct))}", direction)
