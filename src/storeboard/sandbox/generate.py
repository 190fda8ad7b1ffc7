"""A deterministic synthetic store: same seed and settings, same store, byte for byte.

The shape follows a growing direct-to-consumer shop: a weekly cycle, a November peak, growth over
time, discount codes, partial and full refunds (some weeks later), cancellations, a few test
orders, guest checkouts, gift cards and repeat buyers. Money is in the shop currency, rounded to
cents as Shopify does; timestamps are UTC.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from storeboard.sandbox.store import (
    Customer,
    LineItem,
    Order,
    OrderEdit,
    Product,
    Refund,
    RefundLine,
    Shop,
    Store,
    Transaction,
    money,
)

CATEGORIES = {
    "Apparel": ["Tee", "Hoodie", "Cap", "Socks", "Jacket", "Scarf"],
    "Home": ["Candle", "Throw", "Vase", "Frame", "Cushion", "Lamp"],
    "Kitchen": ["Mug", "Knife", "Board", "Kettle", "Pan", "Grinder"],
    "Outdoor": ["Bottle", "Tent", "Lantern", "Chair", "Pack", "Stove"],
}
COLOURS = ["BLK", "WHT", "NVY", "OLV", "RED"]
FIRST_NAMES = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gus", "Hana", "Ivo", "June", "Kai", "Lena"]
LAST_NAMES = ["Ng", "Okafor", "Smith", "Garcia", "Kowalski", "Haddad", "Mori", "Silva", "Berg", "Patel"]
#: channel → (share of new customers, UTM source/medium, chance a customer buys again per month)
CHANNELS = {
    "meta": (0.32, ("facebook", "paid"), 0.05),
    "google": (0.26, ("google", "cpc"), 0.09),
    "email": (0.08, ("klaviyo", "email"), 0.12),
    "organic": (0.18, None, 0.08),
    "direct": (0.16, None, 0.07),
}
DISCOUNT_CODES = {"WELCOME10": Decimal("0.10"), "FRIENDS15": Decimal("0.15"), "BFCM25": Decimal("0.25")}
TAX_RATE = Decimal("0.08")
FREE_SHIPPING_OVER = Decimal("75.00")
SHIPPING_RATE = Decimal("6.95")
FEE_RATE, FEE_FIXED = Decimal("0.029"), Decimal("0.30")
ZERO = Decimal("0.00")
#: Generated orders share these (immutable) empty collections; ``refund`` replaces, never appends.
NO_TAGS: tuple[str, ...] = ()
NO_REFUNDS: tuple[Refund, ...] = ()
#: Above this many orders the history grows from two years to three (the benchmark shape).
LONG_HISTORY_FROM = 100_000


def history_days_for(orders: int) -> int:
    """Days of history that suit a store of ``orders`` orders: two years, three for big stores."""
    return 730 if orders <= LONG_HISTORY_FROM else 1095


@dataclass
class GeneratorSettings:
    """What store to generate.

    Args:
        seed: random seed; same seed and settings give the same store.
        as_of: the moment history ends (UTC); default: now, truncated to the minute.
        days: days of history before ``as_of``.
        orders: approximate number of orders over the whole history.
        skus: number of product variants (plus one gift card).
    """

    seed: int = 42
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC).replace(second=0, microsecond=0))
    days: int = 730
    orders: int = 60_000
    skus: int = 120
    timezone: str = "America/New_York"
    currency: str = "USD"


class StoreGenerator:
    """Generates a store and can keep it growing (new orders, refunds) for incremental tests."""

    def __init__(self, settings: GeneratorSettings):
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self._ids: dict[str, int] = {}
        self.store = Store(
            shop=Shop("Northwind Goods", "northwind-goods.myshopify.com", settings.timezone, settings.currency),
            products=[],
            customers=[],
            orders=[],
            seed=settings.seed,
        )
        self._order_number = 1000
        #: one object per distinct amount: a million orders repeat a few thousand tax values
        self._money = {}.setdefault
        #: channel -> (utm dict, landing page), shared by every order from that channel
        self._journeys: dict[str, tuple[dict[str, str], str]] = {}

    def _next_id(self, kind: str, base: int) -> int:
        self._ids[kind] = self._ids.get(kind, base) + 1
        return self._ids[kind]

    # -- catalogue ---------------------------------------------------------------------------
    def _make_products(self) -> None:
        rng = self.rng
        names = [(cat, item) for cat, items in CATEGORIES.items() for item in items]
        for i in range(self.settings.skus):
            category, item = names[i % len(names)]
            colour = COLOURS[(i // len(names)) % len(COLOURS)]
            price = money(rng.choice([12, 18, 24, 29, 35, 42, 48, 55, 65, 79, 95, 120, 149]) - Decimal("0.01"))
            cost_share = Decimal(str(round(rng.uniform(0.25, 0.6), 2)))
            self.store.products.append(
                Product(
                    product_id=self._next_id("product", 8_100_000_000),
                    variant_id=self._next_id("variant", 44_900_000_000),
                    inventory_item_id=self._next_id("inventory_item", 46_000_000_000),
                    sku=f"{category[:3].upper()}-{item.upper()}-{colour}-{i:03d}",
                    title=f"{item} ({colour.title()})",
                    category=category,
                    price=price,
                    unit_cost=money(price * cost_share),
                    weight_grams=rng.choice([120, 250, 400, 800, 1500, 3200]),
                )
            )
        self.store.products.append(
            Product(
                product_id=self._next_id("product", 8_100_000_000),
                variant_id=self._next_id("variant", 44_900_000_000),
                inventory_item_id=self._next_id("inventory_item", 46_000_000_000),
                sku="GIFT-CARD-50",
                title="Gift card $50",
                category="Gift cards",
                price=Decimal("50.00"),
                unit_cost=None,
                weight_grams=0,
                is_gift_card=True,
            )
        )
        # Popularity: a few best sellers, a long tail.
        self._weights = [1.0 / (rank + 1) ** 0.8 for rank in range(self.settings.skus)] + [0.3]

    # -- customers ---------------------------------------------------------------------------
    def _new_customer(self, at: datetime) -> Customer:
        rng = self.rng
        channel = rng.choices(list(CHANNELS), weights=[c[0] for c in CHANNELS.values()])[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        customer_id = self._next_id("customer", 7_300_000_000)
        email = f"{first}.{last}.{customer_id % 1_000_000}@example.com".lower() if rng.random() > 0.03 else None
        phone = f"+1555{rng.randrange(10**6, 10**7)}" if email is None or rng.random() < 0.4 else None
        customer = Customer(customer_id, email, phone, first, last, at, at, channel)
        self.store.customers.append(customer)
        return customer

    # -- orders ------------------------------------------------------------------------------
    def _daily_rate(self, day: datetime, per_day: float) -> float:
        s = self.settings
        progress = 1 - (s.as_of - day).days / max(s.days, 1)
        growth = 0.6 + 0.8 * progress
        weekly = [0.95, 0.9, 0.92, 0.97, 1.08, 1.12, 1.06][day.weekday()]
        season = 1.0 + 0.9 * math.exp(-(((day.timetuple().tm_yday - 332) / 12.0) ** 2))
        return per_day * growth * weekly * season

    def make_order(self, at: datetime) -> Order:
        """Create one order placed at ``at`` (UTC), with its customer, lines and payment."""
        rng = self.rng
        customers = self.store.customers
        if customers and rng.random() < 0.35:
            customer = customers[int(len(customers) * rng.random() ** 0.5)]
            customer.updated_at = at
        elif rng.random() < 0.05:
            customer = None  # guest checkout
        else:
            customer = self._new_customer(at)
        channel = customer.channel if customer else rng.choice(list(CHANNELS))
        products = rng.choices(self.store.products, weights=self._weights, k=rng.choice([1, 1, 1, 2, 2, 3, 4]))
        lines = []
        for product in {p.sku: p for p in products}.values():  # one line per distinct variant
            quantity = rng.choice([1, 1, 1, 1, 2, 2, 3])
            lines.append(
                LineItem(
                    self._next_id("line_item", 15_500_000_000),
                    product,
                    quantity,
                    product.price,
                    ZERO,
                    ZERO,
                )
            )
        code = None
        if rng.random() < 0.18:
            code = "BFCM25" if at.month == 11 and at.day > 20 else rng.choice(["WELCOME10", "FRIENDS15"])
            _allocate_discount(lines, DISCOUNT_CODES[code])
            for line in lines:
                line.discount = self._money(line.discount, line.discount)
        for line in lines:
            line.tax = ZERO if line.product.is_gift_card else self._tax(line.gross - line.discount)
        self._order_number += 1
        order = Order(
            order_id=self._next_id("order", 6_140_000_000_000),
            number=self._order_number,
            created_at=at,
            processed_at=at,
            updated_at=at,
            customer=customer,
            lines=lines,
            shipping=ZERO,
            test=rng.random() < 0.003,
            discount_code=code,
            source_name="web" if rng.random() < 0.93 else "pos",
            refunds=NO_REFUNDS,
            tags=NO_TAGS,
        )
        order.shipping = ZERO if order.subtotal >= FREE_SHIPPING_OVER else SHIPPING_RATE
        source_medium = CHANNELS[channel][1]
        if source_medium and (customer is None or customer.channel == channel):
            order.utm, order.landing_page = self._journey(channel, source_medium)
        self._pay(order)
        return order

    def _tax(self, net: Decimal) -> Decimal:
        tax = money(net * TAX_RATE)
        return self._money(tax, tax)

    def _journey(self, channel: str, source_medium: tuple[str, str]) -> tuple[dict[str, str], str]:
        journey = self._journeys.get(channel)
        if journey is None:
            source, medium = source_medium
            journey = ({"source": source, "medium": medium, "campaign": f"{channel}-prospecting"},
                       f"https://northwind.example/?utm_source={source}&utm_medium={medium}")
            self._journeys[channel] = journey
        return journey

    def _pay(self, order: Order) -> None:
        amount = order.total_price
        amount = self._money(amount, amount)
        gateway = "stripe" if self.rng.random() < 0.85 else "shopify_payments"
        fee = money(amount * FEE_RATE + FEE_FIXED) if amount > 0 else ZERO
        fee = self._money(fee, fee)
        order.transactions.append(
            Transaction(self._next_id("transaction", 7_420_000_000_000), "SALE", "SUCCESS", gateway, order.processed_at, amount, fee)
        )

    def refund(self, order: Order, at: datetime, full: bool) -> Refund:
        """Refund a whole order, or part of one line, at ``at``; bumps ``updated_at``."""
        refunded = {}
        for refund in order.refunds:
            for rl in refund.lines:
                refunded[rl.line_item_id] = refunded.get(rl.line_item_id, 0) + rl.quantity
        candidates = [li for li in order.lines if li.quantity - refunded.get(li.line_item_id, 0) > 0]
        if not full:
            candidates = candidates[:1]
        lines = []
        for li in candidates:
            left = li.quantity - refunded.get(li.line_item_id, 0)
            quantity = left if full else self.rng.randint(1, left)
            subtotal = _share(li.gross - li.discount, quantity, li.quantity)
            tax = _share(li.tax, quantity, li.quantity)
            subtotal, tax = self._money(subtotal, subtotal), self._money(tax, tax)
            lines.append(RefundLine(self._next_id("refund_line", 20_000_000_000), li.line_item_id, quantity, subtotal, tax))
        shipping = order.shipping if full and not any(r.shipping for r in order.refunds) else ZERO
        refund = Refund(self._next_id("refund", 9_100_000_000), at, lines, shipping)
        order.refunds = [*order.refunds, refund]  # generated orders share one empty tuple
        if refund.total > 0:
            order.transactions.append(
                Transaction(self._next_id("transaction", 7_420_000_000_000), "REFUND", "SUCCESS",
                            order.transactions[0].gateway, at, refund.total, ZERO)
            )
        order.updated_at = max(order.updated_at, at)
        self.store.revision += 1
        return refund

    def cancel(self, order: Order, at: datetime, refund: bool) -> None:
        """Cancel an order at ``at``, refunding what is left when ``refund`` is true."""
        order.cancelled_at = at
        order.cancel_reason = "CUSTOMER"
        if refund:
            self.refund(order, at, full=True)
        order.updated_at = max(order.updated_at, at)
        self.store.revision += 1

    def _after_sale(self, order: Order) -> None:
        """Refunds and cancellations that happen after the sale, if before ``as_of``."""
        rng, as_of = self.rng, self.settings.as_of
        roll = rng.random()
        if roll < 0.012:
            at = order.processed_at + timedelta(minutes=rng.randint(20, 2880))
            if at <= as_of:
                self.cancel(order, at, refund=rng.random() < 0.6)
        elif roll < 0.085:
            at = order.processed_at + timedelta(days=rng.randint(2, 45), minutes=rng.randint(0, 1439))
            if at <= as_of:
                self.refund(order, at, full=rng.random() < 0.4)

    def generate(self) -> Store:
        """Generate the whole history up to ``as_of`` and keep it in ``store.orders``."""
        # Millions of new objects, none of them garbage: the cyclic collector would only rescan
        # them over and over (a third of the time at 100k orders), so it waits until the end.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.store.orders.extend(self.iter_orders())
        finally:
            if collecting:
                gc.enable()
        return self.store

    def iter_orders(self) -> Iterator[Order]:
        """The history up to ``as_of`` in time order (``processed_at``, then id), a day at a time.

        Keeps nothing but the customers and one day's orders, so streaming a store of any size
        to a file or a database takes bounded memory. Each order is complete when yielded (its
        later refund or cancellation is decided at the sale); a repeat customer's ``updated_at``
        moves on with later orders, so read customers after the last order. Same draws, in the
        same order, as ``generate()``: the two give identical orders.
        """
        s = self.settings
        if not self.store.products:
            self._make_products()
        start = (s.as_of - timedelta(days=s.days)).replace(hour=0, minute=0)
        days = [start + timedelta(days=d) for d in range(s.days + 1)]
        per_day = s.orders / max(sum(self._daily_rate(d, 1.0) for d in days), 1e-9)
        for day in days:
            batch = []
            for _ in range(_poisson(self.rng, self._daily_rate(day, per_day))):
                # Evening-heavy order times, UTC (store evenings cross UTC midnight).
                minute = int(self.rng.triangular(0, 1440, 1400)) % 1440
                at = day + timedelta(minutes=minute, seconds=self.rng.randint(0, 59))
                if at > s.as_of:
                    continue
                order = self.make_order(at)
                self._after_sale(order)
                batch.append(order)
            # Every order of the day falls within the day, so sorting each day sorts the whole.
            batch.sort(key=_time_order)
            yield from batch

    def add_orders(self, count: int, at: datetime) -> list[Order]:
        """Append ``count`` new orders placed at ``at`` (for incremental and live modes)."""
        new = []
        for i in range(count):
            order = self.make_order(at + timedelta(seconds=i))
            self.store.orders.append(order)
            new.append(order)
        self.store.revision += 1
        return new

    # -- what real stores have that the daily draw rarely makes --------------------------------
    def add_large_order(self, at: datetime, lines: int) -> Order:
        """Append an order of ``lines`` line items (a wholesale or B2B basket), paid in full."""
        order = self.make_order(at)
        products = [p for p in self.store.products if not p.is_gift_card]
        order.lines = []
        for i in range(lines):
            product = products[i % len(products)]
            line = LineItem(self._next_id("line_item", 15_500_000_000), product, 1 + i % 3, product.price, ZERO, ZERO)
            line.tax = self._tax(line.gross)
            order.lines.append(line)
        order.discount_code = None
        order.shipping = ZERO
        order.transactions = []
        self._pay(order)
        self.store.orders.append(order)
        self.store.revision += 1
        return order

    def refund_units(self, order: Order, line: LineItem | None, quantity: int, at: datetime,
                     shipping: Decimal = ZERO, amount_only: Decimal = ZERO) -> Refund:
        """Refund ``quantity`` units of ``line``; with none, a shipping-only refund of ``shipping``
        or an amount-only one (goodwill, price match) of ``amount_only``."""
        lines = []
        if quantity:
            subtotal = _share(line.gross - line.discount, quantity, line.quantity)
            tax = _share(line.tax, quantity, line.quantity)
            lines.append(RefundLine(self._next_id("refund_line", 20_000_000_000), line.line_item_id, quantity, subtotal, tax))
        refund = Refund(self._next_id("refund", 9_100_000_000), at, lines, shipping, amount_only=amount_only)
        order.refunds = [*order.refunds, refund]
        order.transactions.append(
            Transaction(self._next_id("transaction", 7_420_000_000_000), "REFUND", "SUCCESS",
                        order.transactions[0].gateway, at, refund.total, ZERO))
        order.updated_at = max(order.updated_at, at)
        self.store.revision += 1
        return refund

    def edit(self, order: Order, at: datetime) -> LineItem:
        """Edit an order after it was placed, as Shopify's order editing does: add a line item,
        charge the difference, and bump ``updated_at``."""
        used = {li.product.sku for li in order.lines}
        product = next(p for p in self.store.products if p.sku not in used and not p.is_gift_card)
        line = LineItem(self._next_id("line_item", 15_500_000_000), product, 1, product.price, ZERO, ZERO)
        line.tax = ZERO if order.taxes_included else self._tax(line.gross)
        line.added_at = at
        order.lines.append(line)
        # Shopify records the edit in the order's sales ledger (an OrderEditAgreement)
        order.edits.append(OrderEdit(self._next_id("order_edit", 5_500_000_000), at, [line.line_item_id]))
        amount = line.gross + line.tax
        order.transactions.append(
            Transaction(self._next_id("transaction", 7_420_000_000_000), "SALE", "SUCCESS",
                        order.transactions[0].gateway, at, amount, money(amount * FEE_RATE + FEE_FIXED)))
        order.updated_at = max(order.updated_at, at)
        self.store.revision += 1
        return line

    def add_foreign_order(self, at: datetime, currency: str, rate: Decimal) -> Order:
        """Append an order the customer paid in ``currency`` (presentment currency), ``rate`` of it
        to one unit of shop currency; the shop's books stay in shop currency."""
        order = self.make_order(at)
        order.presentment_currency, order.presentment_rate = currency, rate
        self.store.orders.append(order)
        self.store.revision += 1
        return order

    def add_pos_order(self, at: datetime) -> Order:
        """Append a point-of-sale order without a customer (a walk-in paying at the till)."""
        order = self.make_order(at)
        order.customer, order.source_name, order.utm, order.landing_page = None, "pos", None, None
        self.store.orders.append(order)
        self.store.revision += 1
        return order


def _allocate_discount(lines: list[LineItem], rate: Decimal) -> None:
    """Allocate an order-level percentage discount across lines, cents exact (gift cards excluded)."""
    eligible = [li for li in lines if not li.product.is_gift_card]
    if eligible:
        allocate_discount(eligible, money(sum(li.gross for li in eligible) * rate))


def allocate_discount(eligible: list[LineItem], total: Decimal) -> None:
    """Share an order-level discount of ``total`` over ``eligible`` lines in proportion to their
    price, to the cent; the last line takes the rounding."""
    base = sum(li.gross for li in eligible)
    allocated = Decimal("0.00")
    for li in eligible[:-1]:
        li.discount = money(total * li.gross / base)
        allocated += li.discount
    eligible[-1].discount = total - allocated


def _time_order(order: Order) -> tuple[datetime, int]:
    return order.processed_at, order.order_id


def _share(amount: Decimal, part: int, whole: int) -> Decimal:
    return money(amount * part / whole)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, int(round(rng.gauss(mean, math.sqrt(mean)))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate_store(settings: GeneratorSettings | None = None) -> Store:
    """Generate a store for ``settings`` (defaults: seed 42, two years to now, ~60k orders)."""
    return StoreGenerator(settings or GeneratorSettings()).generate()
