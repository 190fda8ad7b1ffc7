"""The synthetic store's data model: plain records, in shop currency, timestamps in UTC.

The API imitations render these records into each vendor's wire format; tests compute expected
numbers from them independently of the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

CENT = Decimal("0.01")


def money(value: Decimal | int | float | str) -> Decimal:
    """Round to cents, half up, as shops do."""
    return Decimal(str(value)).quantize(CENT, rounding="ROUND_HALF_UP")


@dataclass(slots=True)
class Shop:
    name: str
    domain: str
    timezone: str
    currency: str


@dataclass(slots=True)
class Product:
    product_id: int
    variant_id: int
    inventory_item_id: int
    sku: str
    title: str
    category: str
    price: Decimal
    unit_cost: Decimal | None
    weight_grams: int
    is_gift_card: bool = False


@dataclass(slots=True)
class Customer:
    customer_id: int
    email: str | None
    phone: str | None
    first_name: str
    last_name: str
    created_at: datetime
    updated_at: datetime
    channel: str


@dataclass(slots=True)
class TaxLine:
    """One tax on a line or a shipping line (Shopify ``TaxLine``): its name, rate and amount."""

    title: str
    #: a fraction (0.2 for 20 %), as Shopify's ``TaxLine.rate``
    rate: Decimal
    amount: Decimal


@dataclass(slots=True)
class DiscountApplication:
    """An order-level discount (Shopify ``Order.discountApplications``); what each line carries
    is its allocation, already in ``LineItem.discount``."""

    #: DiscountCodeApplication, AutomaticDiscountApplication or ManualDiscountApplication
    kind: str
    #: the code of a code discount, else the title the merchant gave it
    name: str
    #: a fraction (0.1 for 10 %) or None for a fixed amount
    percentage: Decimal | None
    amount: Decimal | None


@dataclass(slots=True)
class LineItem:
    line_item_id: int
    product: Product
    quantity: int
    unit_price: Decimal
    #: total discount allocated to this line (all units)
    discount: Decimal
    tax: Decimal
    #: the taxes making up ``tax`` when a store file names them; empty: one 8 % "Sales tax"
    tax_lines: list[TaxLine] = field(default_factory=list)
    #: customs duties charged on this line at checkout (Shopify ``LineItem.duties``)
    duties: Decimal = Decimal("0.00")
    #: when an order edit added this line (None: bought with the order)
    added_at: datetime | None = None

    @property
    def gross(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(slots=True)
class RefundLine:
    refund_line_id: int
    line_item_id: int
    quantity: int
    #: refunded value of these units, net of their discount, before tax
    subtotal: Decimal
    tax: Decimal
    #: the units go back to stock (Shopify ``restockType: RETURN``), else ``NO_RESTOCK``
    restock: bool = True


@dataclass(slots=True)
class Refund:
    refund_id: int
    created_at: datetime
    lines: list[RefundLine]
    shipping: Decimal = Decimal("0.00")
    note: str | None = None
    #: money given back for no line and no shipping (a goodwill or price-match refund)
    amount_only: Decimal = Decimal("0.00")
    #: tax on the refunded shipping (Shopify ``RefundShippingLine.taxAmountSet``)
    shipping_tax: Decimal = Decimal("0.00")
    #: the order's prices include tax: line subtotals and shipping already hold their tax
    taxes_included: bool = False
    #: duties given back with this refund (Shopify ``Refund.duties``)
    duties: Decimal = Decimal("0.00")
    #: a return fee the shop kept (restocking or return shipping): deducted from what goes back
    return_fee: Decimal = Decimal("0.00")
    #: ``restocking`` (Shopify ``RestockingFee``) or ``return_shipping`` (``ReturnShippingFee``)
    return_fee_kind: str = "restocking"

    @property
    def total(self) -> Decimal:
        # what goes back: duties given back count, a return fee the shop kept does not
        if self.taxes_included:
            lines = sum((r.subtotal for r in self.lines), Decimal("0.00"))
            return lines + self.shipping + self.amount_only + self.duties - self.return_fee
        lines = sum((r.subtotal + r.tax for r in self.lines), Decimal("0.00"))
        return lines + self.shipping + self.shipping_tax + self.amount_only + self.duties - self.return_fee


@dataclass(slots=True)
class AdditionalFee:
    """A fee charged at checkout besides shipping and duties (Shopify ``Order.additionalFees``)."""

    fee_id: int
    name: str
    amount: Decimal


@dataclass(slots=True)
class OrderEdit:
    """One order edit (Shopify's ``OrderEditAgreement``): lines added, units removed without a refund."""

    edit_id: int
    at: datetime
    #: ids of the lines this edit added (their ``added_at`` is ``at``)
    added: list[int] = field(default_factory=list)
    #: (line id, units removed, their value net of discount, their tax): ``currentQuantity``
    #: drops, ``quantity`` stays, and the order's totals lose the units
    removed: list[tuple[int, int, Decimal, Decimal]] = field(default_factory=list)


@dataclass(slots=True)
class Transaction:
    transaction_id: int
    kind: str  # SALE, REFUND
    status: str  # SUCCESS
    gateway: str
    processed_at: datetime
    amount: Decimal
    fee: Decimal


@dataclass(slots=True)
class Order:
    order_id: int
    number: int
    created_at: datetime
    processed_at: datetime
    updated_at: datetime
    customer: Customer | None
    lines: list[LineItem]
    shipping: Decimal
    test: bool = False
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    #: generated orders without refunds share an empty tuple; refunding replaces it with a list
    refunds: Sequence[Refund] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    source_name: str = "web"
    tags: Sequence[str] = field(default_factory=list)
    discount_code: str | None = None
    utm: dict[str, str] | None = None
    landing_page: str | None = None
    #: prices already contain the tax (Shopify ``taxesIncluded``): tax lines show the part inside
    taxes_included: bool = False
    #: the currency the customer paid in when it is not the shop's (Shopify Markets), and how
    #: many of it one unit of shop currency bought; amounts here stay in shop currency
    presentment_currency: str | None = None
    presentment_rate: Decimal = Decimal("1")
    #: taxes on the shipping (Shopify ``ShippingLine.taxLines``), part of ``total_tax``
    shipping_tax_lines: list[TaxLine] = field(default_factory=list)
    #: the email given at checkout (Shopify ``Order.email``), also when there is no customer
    email: str | None = None
    #: order-level discounts; their allocations are the lines' ``discount``
    discount_applications: list[DiscountApplication] = field(default_factory=list)
    additional_fees: list[AdditionalFee] = field(default_factory=list)
    edits: list[OrderEdit] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"#{self.number}"

    @property
    def subtotal(self) -> Decimal:
        return sum((li.gross - li.discount for li in self.lines), Decimal("0.00")) - self._removed(2)

    @property
    def total_discounts(self) -> Decimal:
        return sum((li.discount for li in self.lines), Decimal("0.00"))

    @property
    def total_tax(self) -> Decimal:
        return sum((li.tax for li in self.lines), Decimal("0.00")) + self.shipping_tax - self._removed(3)

    @property
    def shipping_tax(self) -> Decimal:
        return sum((t.amount for t in self.shipping_tax_lines), Decimal("0.00"))

    @property
    def total_price(self) -> Decimal:
        return (self.subtotal + self.shipping + (Decimal("0.00") if self.taxes_included else self.total_tax)
                + self.total_duties + self.total_additional_fees)

    @property
    def total_duties(self) -> Decimal:
        return sum((li.duties for li in self.lines), Decimal("0.00"))

    @property
    def original_duties(self) -> Decimal:
        """Duties of the lines placed with the order (Shopify ``originalTotalDutiesSet``: "calculated
        when an order was created, before any modifications"); an edit's added lines bring theirs later."""
        return sum((li.duties for li in self.lines if li.added_at is None), Decimal("0.00"))

    @property
    def total_additional_fees(self) -> Decimal:
        return sum((f.amount for f in self.additional_fees), Decimal("0.00"))

    def removed_quantity(self, line_item_id: int) -> int:
        """Units of the line that order edits removed (not refunded: no money went back)."""
        return sum(r[1] for e in self.edits for r in e.removed if r[0] == line_item_id)

    def _removed(self, part: int) -> Decimal:
        return sum((r[part] for e in self.edits for r in e.removed), Decimal("0.00"))

    @property
    def total_refunded(self) -> Decimal:
        return sum((r.total for r in self.refunds), Decimal("0.00"))


@dataclass
class Store:
    """A whole synthetic store: what the sandbox serves and what tests check against."""

    shop: Shop
    products: list[Product]
    customers: list[Customer]
    orders: list[Order]
    seed: int = 0
    #: bumped on every change, so API imitations can cache their indexes
    revision: int = 0
    #: explicit records per source (``stripe``, ``marketing``, ``hubspot``, ``files``) from a store
    #: file; when absent, each source derives its records deterministically from the orders
    extras: dict = field(default_factory=dict)
    #: a store file's ``settings``: config sections (``metrics``) that ``storeboard sandbox --store``
    #: writes into storeboard.yml, so a scenario needs no config edits
    settings: dict = field(default_factory=dict)

    def order_by_id(self, order_id: int) -> Order:
        for order in self.orders:
            if order.order_id == order_id:
                return order
        raise KeyError(order_id)
