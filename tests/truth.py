"""Expected numbers computed straight from a generated store, independently of the pipeline.

This is the test suite's second implementation of the sales definitions in docs/metrics.md:
plain Python over the generator's records, so a wrong join or time-zone cast in SQL shows up
as a difference.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from storeboard.sandbox.store import Store

ZERO = Decimal("0")


def local_day(at: datetime, tz: str) -> date:
    return at.astimezone(ZoneInfo(tz)).date()


def revenue_daily(store: Store, tz: str | None = None) -> dict[date, dict[str, Decimal | int]]:
    """Per store-local day: gross_sales, discounts, returns, net_sales, orders, average_order_value."""
    tz = tz or store.shop.timezone
    days: dict[date, dict] = defaultdict(lambda: {"gross_sales": ZERO, "discounts": ZERO, "returns": ZERO, "orders": 0})
    for order in store.orders:
        if order.test:
            continue
        sold = days[local_day(order.processed_at, tz)]
        sold["orders"] += 1
        lines = {li.line_item_id: li for li in order.lines}
        for li in order.lines:
            if not li.product.is_gift_card:
                # a line an order edit added is sold on the edit's day, as Shopify's reports date it
                day = days[local_day(li.added_at, tz)] if li.added_at else sold
                day["gross_sales"] += li.unit_price * li.quantity
                day["discounts"] += li.discount
        for edit in order.edits:
            for line_id, _, value, _ in edit.removed:
                if not lines[line_id].product.is_gift_card:
                    days[local_day(edit.at, tz)]["returns"] += value
        for refund in order.refunds:
            for rl in refund.lines:
                if not lines[rl.line_item_id].product.is_gift_card:
                    days[local_day(refund.created_at, tz)]["returns"] += rl.subtotal
            # money refunded for no line and no shipping: an appeasement, a return on its day (metrics.md)
            days[local_day(refund.created_at, tz)]["returns"] += refund.amount_only
        if order.cancelled_at and not order.refunds:
            day = days[local_day(order.cancelled_at, tz)]
            for li in order.lines:
                if not li.product.is_gift_card:
                    day["returns"] += li.unit_price * li.quantity - li.discount
    for values in days.values():
        values["net_sales"] = values["gross_sales"] - values["discounts"] - values["returns"]
        orders = values["orders"]
        values["average_order_value"] = (
            ((values["gross_sales"] - values["discounts"]) / orders).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if orders else None
        )
    return dict(days)
