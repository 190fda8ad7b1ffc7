"""Stripe objects derived from the core store: what the Stripe imitation serves.

Everything here is a deterministic function of the store (same seed, same bytes). Each order whose
SALE transaction went through the ``stripe`` gateway becomes one payment intent, one charge and
one ``charge`` balance transaction (fee 2.9% + 30 minor units); each of its refunds becomes a
refund with a negative ``refund`` balance transaction, dated on the refund. On top of that come
"direct" charges with no Shopify order (invoices and wholesale, about 3% of orders, some larger),
two ``livemode: false`` test charges, one customer per Shopify customer who paid through Stripe
(email as in Shopify, some in different letter case) and a few business customers, and the
events of the last 30 days. Amounts are integers in the currency's minor unit, currencies
lowercase, timestamps Unix seconds (UTC), exactly as Stripe sends them.

When ``store.extras["stripe"]`` is set, it is served instead: a dict of object type
(``charges``, ``payment_intents``, ``refunds``, ``balance_transactions``, ``customers``,
``events``) to lists of complete Stripe objects (see docs/sandbox/stripe.md).
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from storeboard.sandbox.store import Customer, Order, Store

#: Currencies whose Stripe amounts are whole units (docs.stripe.com/currencies).
ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                          "xaf", "xof", "xpf"})
#: Currencies whose Stripe amounts are thousandths.
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
FEE_RATE = Decimal("0.029")
#: The fixed part of the fee, in minor units (30¢ for two-decimal currencies).
FEE_FIXED_MINOR = 30
#: Share of card-paid orders that come with one extra charge outside Shopify (invoice, wholesale).
DIRECT_CHARGE_SHARE = 0.03
#: /v1/events only returns events this recent, as Stripe does.
EVENT_RETENTION = timedelta(days=30)
#: The kinds served, by list URL name, and the object name of each.
KINDS = {
    "charges": "charge",
    "payment_intents": "payment_intent",
    "refunds": "refund",
    "balance_transactions": "balance_transaction",
    "customers": "customer",
    "events": "event",
}
BUSINESSES = [
    ("Harbor & Pine Interiors", "harborpine"),
    ("Cobalt Outfitters Ltd", "cobalt-outfitters"),
    ("Juniper Market Co-op", "junipermarket"),
    ("Meridian Hotel Group", "meridianhotels"),
    ("Old Mill Gift Shop", "oldmillgifts"),
    ("Summit Trail Supply", "summittrail"),
]
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` (major units) as Stripe's integer in the currency's smallest unit."""
    exponent = 0 if currency.lower() in ZERO_DECIMAL else 3 if currency.lower() in THREE_DECIMAL else 2
    return int((amount * (10 ** exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def stripe_fee(amount_minor: int) -> int:
    """Stripe's standard card fee, 2.9% + 30 minor units, rounded half up, in minor units."""
    return int((Decimal(amount_minor) * FEE_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + FEE_FIXED_MINOR


def epoch(dt: datetime) -> int:
    """Unix seconds of an aware datetime."""
    return int(dt.timestamp())


def stripe_id(prefix: str, *key: Any, length: int = 24) -> str:
    """A Stripe-looking id (``ch_3Q…``) that is a pure function of ``key``."""
    digest = int.from_bytes(hashlib.sha256(":".join(map(str, key)).encode()).digest(), "big")
    chars = []
    for _ in range(length):
        digest, rest = divmod(digest, 62)
        chars.append(_ALPHABET[rest])
    return f"{prefix}_{''.join(chars)}"


@dataclass
class StripeData:
    """Every Stripe object of one store revision, by kind, newest first (``created`` then ``id``).

    Attributes:
        revision: the store revision this was built from.
        lists: kind (``charges`` …) -> objects, newest first.
        by_id: id -> object, for retrieve and ``expand[]``.
        reference: the store's latest activity; balance transactions are ``available`` once their
            ``available_on`` is at or before it, events older than 30 days before it are dropped.
    """

    revision: int
    lists: dict[str, list[dict[str, Any]]]
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference: int = 0
    _negated_created: dict[str, list[int]] = field(default_factory=dict)
    _position: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind, objects in self.lists.items():
            objects.sort(key=lambda o: (o.get("created") or 0, str(o.get("id"))), reverse=True)
            self._negated_created[kind] = [-(o.get("created") or 0) for o in objects]
            self._position[kind] = {o["id"]: i for i, o in enumerate(objects)}
            for obj in objects:
                self.by_id[obj["id"]] = obj

    def position(self, kind: str, object_id: str) -> int | None:
        """Index of ``object_id`` in the newest-first list of ``kind``."""
        return self._position[kind].get(object_id)

    def created_bounds(self, kind: str, gte: int | None, gt: int | None, lte: int | None, lt: int | None) -> tuple[int, int]:
        """The slice ``[start, end)`` of the newest-first list whose ``created`` fits the bounds."""
        neg = self._negated_created[kind]
        start, end = 0, len(neg)
        if lte is not None:
            start = max(start, bisect.bisect_left(neg, -lte))
        if lt is not None:
            start = max(start, bisect.bisect_right(neg, -lt))
        if gte is not None:
            end = min(end, bisect.bisect_right(neg, -gte))
        if gt is not None:
            end = min(end, bisect.bisect_left(neg, -gt))
        return start, end


class _Builder:
    """Turns a store into Stripe objects; one instance per build."""

    def __init__(self, store: Store):
        self.store = store
        self.seed = store.seed
        self.currency = store.shop.currency.lower()
        self.out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        self.customer_ids: dict[int, str] = {}
        self.customer_emails: dict[str, str | None] = {}
        self.business_ids: dict[str, str] = {}
        self.reference = 0

    def rng(self, *key: Any) -> random.Random:
        return random.Random(":".join(map(str, (self.seed, "stripe", *key))))

    # -- the whole store --------------------------------------------------------------------
    def build(self) -> StripeData:
        orders = self.store.orders
        self.reference = max(
            [epoch(o.processed_at) for o in orders] + [epoch(r.created_at) for o in orders for r in o.refunds] or [0]
        )
        card_orders = [o for o in orders if _stripe_sale(o) is not None and _stripe_sale(o).amount > 0]
        for index, order in enumerate(sorted(card_orders, key=lambda o: (o.processed_at, o.order_id))):
            if index < 2:
                self.test_charge(order, index)
            self.order_charge(order)
            if not order.test and self.rng("direct", order.order_id).random() < DIRECT_CHARGE_SHARE:
                self.direct_charge(order)
        self.events()
        return StripeData(self.store.revision, self.out, reference=self.reference)

    # -- customers --------------------------------------------------------------------------
    def customer_for(self, customer: Customer | None, at: datetime, live: bool) -> str | None:
        if customer is None or not live:
            return None
        if customer.customer_id in self.customer_ids:
            return self.customer_ids[customer.customer_id]
        rng = self.rng("customer", customer.customer_id)
        cus = stripe_id("cus", self.seed, "customer", customer.customer_id, length=14)
        email = customer.email
        if email and rng.random() < 0.12:  # typed differently at checkout than in Shopify
            email = email.upper() if rng.random() < 0.3 else email[0].upper() + email[1:]
        created = at - timedelta(seconds=rng.randint(2, 40))
        self.out["customers"].append(self._customer(cus, epoch(created), email, f"{customer.first_name} {customer.last_name}",
                                                    customer.phone, {"shopify_customer_id": str(customer.customer_id)}))
        self.customer_ids[customer.customer_id] = cus
        self.customer_emails[cus] = email
        return cus

    def business_for(self, rng: random.Random, at: datetime) -> tuple[str, str]:
        name, domain = BUSINESSES[rng.randrange(len(BUSINESSES))]
        if domain not in self.business_ids:
            cus = stripe_id("cus", self.seed, "business", domain, length=14)
            self.out["customers"].append(self._customer(cus, epoch(at) - 3600, f"accounts@{domain}.example", name, None, {}))
            self.business_ids[domain] = cus
        return self.business_ids[domain], f"accounts@{domain}.example"

    def _customer(self, cus: str, created: int, email: str | None, name: str, phone: str | None,
                  metadata: dict[str, str]) -> dict[str, Any]:
        return {
            "id": cus, "object": "customer", "address": None, "balance": 0, "created": created,
            "currency": self.currency, "default_source": None, "delinquent": False, "description": None,
            "discount": None, "email": email, "invoice_prefix": cus[4:12].upper(),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                                 "rendering_options": None},
            "livemode": True, "metadata": metadata, "name": name, "next_invoice_sequence": 1, "phone": phone,
            "preferred_locales": [], "shipping": None, "tax_exempt": "none", "test_clock": None,
        }

    # -- charges ----------------------------------------------------------------------------
    def order_charge(self, order: Order) -> None:
        sale = _stripe_sale(order)
        live = not order.test
        cus = self.customer_for(order.customer, order.processed_at, live)
        customer = order.customer
        email = self.customer_emails.get(cus) if cus else None
        refunds = [(r.refund_id, r.created_at, r.total) for r in order.refunds if r.total > 0]
        self.payment(
            key=("order", order.order_id), at=sale.processed_at, amount=minor_units(sale.amount, self.currency),
            live=live, cus=cus, email=email or (customer.email if customer else None),
            name=f"{customer.first_name} {customer.last_name}" if customer else None,
            metadata={"order_id": order.name}, description=None, refunds=refunds,
        )

    def direct_charge(self, order: Order) -> None:
        rng = self.rng("direct-charge", order.order_id)
        at = order.processed_at - timedelta(minutes=rng.randint(5, 600))
        cus, email = self.business_for(rng, at)
        if rng.random() < 0.6:
            number = f"NW-{rng.randint(1000, 9999)}"
            amount, description, metadata = rng.uniform(120, 650), f"Invoice {number}", {"invoice_number": number}
        else:
            number = f"PO-{rng.randint(10000, 99999)}"
            amount, description, metadata = rng.uniform(900, 4800), f"Wholesale order {number}", {"purchase_order": number}
        self.payment(key=("direct", order.order_id), at=at, amount=minor_units(Decimal(f"{amount:.2f}"), self.currency),
                     live=True, cus=cus, email=email, name=None, metadata=metadata, description=description, refunds=[])

    def test_charge(self, order: Order, index: int) -> None:
        at = order.processed_at - timedelta(hours=3 + index)
        self.payment(key=("test", order.order_id), at=at, amount=minor_units(Decimal("1.00") * (index * 49 + 1), self.currency),
                     live=False, cus=None, email=None, name="Test Customer", metadata={},
                     description="Test charge from the Dashboard", refunds=[])

    def payment(self, key: tuple, at: datetime, amount: int, live: bool, cus: str | None, email: str | None,
                name: str | None, metadata: dict[str, str], description: str | None,
                refunds: list[tuple[int, datetime, Decimal]]) -> None:
        """A payment intent, its charge and balance transaction, and the charge's refunds."""
        rng = self.rng("payment", *key)
        suffix = stripe_id("x", self.seed, *key)[2:]
        suffix = "3" + suffix[1:]
        ch, pi, txn, pm = f"ch_{suffix}", f"pi_{suffix}", f"txn_{suffix}", f"pm_{suffix[::-1]}"
        created = epoch(at)
        fee = stripe_fee(amount)
        refund_minor = [(rid, r_at, minor_units(total, self.currency)) for rid, r_at, total in refunds]
        refunded = min(amount, sum(a for _, _, a in refund_minor))
        brand = rng.choices(["visa", "mastercard", "amex", "discover"], weights=[55, 30, 10, 5])[0]
        self.out["payment_intents"].append({
            "id": pi, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_details": {"tip": {}}, "amount_received": amount, "application": None,
            "application_fee_amount": None, "automatic_payment_methods": None, "canceled_at": None,
            "cancellation_reason": None, "capture_method": "automatic", "client_secret": f"{pi}_secret_{suffix[:20]}",
            "confirmation_method": "automatic", "created": created - rng.randint(3, 90), "currency": self.currency,
            "customer": cus, "description": description, "invoice": None, "last_payment_error": None,
            "latest_charge": ch, "livemode": live, "metadata": dict(metadata), "next_action": None,
            "on_behalf_of": None, "payment_method": pm, "payment_method_options": {}, "payment_method_types": ["card"],
            "processing": None, "receipt_email": email, "review": None, "setup_future_usage": None, "shipping": None,
            "statement_descriptor": None, "statement_descriptor_suffix": None, "status": "succeeded",
            "transfer_data": None, "transfer_group": None,
        })
        self.out["charges"].append({
            "id": ch, "object": "charge", "amount": amount, "amount_captured": amount, "amount_refunded": refunded,
            "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": txn,
            "billing_details": {"address": {"city": None, "country": "US", "line1": None, "line2": None,
                                            "postal_code": f"{rng.randint(1001, 99950):05d}", "state": None},
                                "email": email, "name": name, "phone": None},
            "calculated_statement_descriptor": "NORTHWIND GOODS", "captured": True, "created": created,
            "currency": self.currency, "customer": cus, "description": description, "disputed": False,
            "failure_balance_transaction": None, "failure_code": None, "failure_message": None, "fraud_details": {},
            "invoice": None, "livemode": live, "metadata": dict(metadata), "on_behalf_of": None,
            "outcome": {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                        "risk_score": rng.randint(2, 60), "seller_message": "Payment complete.", "type": "authorized"},
            "paid": True, "payment_intent": pi, "payment_method": pm,
            "payment_method_details": {"card": {
                "brand": brand, "checks": {"address_line1_check": None, "address_postal_code_check": "pass",
                                           "cvc_check": "pass"},
                "country": "US", "exp_month": rng.randint(1, 12), "exp_year": at.year + rng.randint(1, 5),
                "fingerprint": suffix[4:20], "funding": rng.choice(["credit", "credit", "debit"]), "installments": None,
                "last4": f"{rng.randint(0, 9999):04d}", "mandate": None, "network": brand,
                "three_d_secure": None, "wallet": None}, "type": "card"},
            "receipt_email": email, "receipt_number": None,
            "receipt_url": f"https://pay.stripe.com/receipts/payment/{suffix}", "refunded": refunded >= amount,
            "review": None, "shipping": None, "source_transfer": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "succeeded", "transfer_data": None, "transfer_group": None,
        })
        self.balance_transaction(txn, created, amount, fee, "charge", ch, description)
        for refund_id, r_at, r_amount in refund_minor:
            re_id = stripe_id("re", self.seed, "refund", refund_id)
            r_txn = stripe_id("txn", self.seed, "refund", refund_id)
            self.out["refunds"].append({
                "id": re_id, "object": "refund", "amount": r_amount, "balance_transaction": r_txn, "charge": ch,
                "created": epoch(r_at), "currency": self.currency, "metadata": {}, "payment_intent": pi,
                "reason": "requested_by_customer", "receipt_number": None, "source_transfer_reversal": None,
                "status": "succeeded", "transfer_reversal": None,
            })
            self.balance_transaction(r_txn, epoch(r_at), -r_amount, 0, "refund", re_id, f"REFUND FOR CHARGE ({ch})")

    def balance_transaction(self, txn: str, created: int, amount: int, fee: int, kind: str, source: str,
                            description: str | None) -> None:
        day = datetime.fromtimestamp(created, UTC).replace(hour=0, minute=0, second=0) + timedelta(days=2)
        available_on = epoch(day)
        self.out["balance_transactions"].append({
            "id": txn, "object": "balance_transaction", "amount": amount, "available_on": available_on,
            "created": created, "currency": self.currency, "description": description, "exchange_rate": None,
            "fee": fee,
            "fee_details": ([{"amount": fee, "application": None, "currency": self.currency,
                              "description": "Stripe processing fees", "type": "stripe_fee"}] if fee else []),
            "net": amount - fee, "reporting_category": kind, "source": source,
            "status": "available" if available_on <= self.reference else "pending", "type": kind,
        })

    # -- events -----------------------------------------------------------------------------
    def events(self) -> None:
        """The events of the last 30 days; ``data.object`` is the object as it was then."""
        since = self.reference - int(EVENT_RETENTION.total_seconds())
        charges = {c["id"]: c for c in self.out["charges"]}
        refunds_by_charge: dict[str, list[dict[str, Any]]] = {}
        for refund in self.out["refunds"]:
            refunds_by_charge.setdefault(refund["charge"], []).append(refund)
        for cus in self.out["customers"]:
            if cus["created"] >= since:
                self.event("customer.created", cus, cus["created"])
        for pi in self.out["payment_intents"]:
            charge = charges[pi["latest_charge"]]
            if charge["created"] >= since:
                self.event("payment_intent.succeeded", pi, charge["created"])
                self.event("charge.succeeded", dict(charge, amount_refunded=0, refunded=False), charge["created"])
        for ch, refunds in refunds_by_charge.items():
            charge, total = charges[ch], 0
            for refund in sorted(refunds, key=lambda r: (r["created"], r["id"])):
                before, total = total, total + refund["amount"]
                if refund["created"] < since:
                    continue
                state = dict(charge, amount_refunded=total, refunded=total >= charge["amount"])
                self.event("charge.refunded", state, refund["created"],
                           {"amount_refunded": before, "refunded": before >= charge["amount"]})
                self.event("refund.created", refund, refund["created"])

    def event(self, kind: str, obj: dict[str, Any], created: int, previous: dict[str, Any] | None = None) -> None:
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        self.out["events"].append({
            "id": stripe_id("evt", self.seed, kind, obj["id"], created), "object": "event", "api_version": None,
            "created": created, "data": data, "livemode": obj.get("livemode", True), "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None}, "type": kind,
        })


def _stripe_sale(order: Order):
    return next((t for t in order.transactions if t.kind == "SALE" and t.gateway == "stripe"), None)


def build_stripe_data(store: Store) -> StripeData:
    """All Stripe objects for ``store`` (or its explicit ``extras["stripe"]`` records)."""
    explicit = store.extras.get("stripe")
    if explicit:
        lists = {kind: [copy.deepcopy(o) for o in explicit.get(kind, [])] for kind in KINDS}
        stamps = [o.get("created") or 0 for objects in lists.values() for o in objects]
        return StripeData(store.revision, lists, reference=max(stamps or [0]))
    return _Builder(store).build()
