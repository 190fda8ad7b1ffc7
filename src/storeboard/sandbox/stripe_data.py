"""Stripe objects derived from the core store: what the Stripe imitation serves.

Everything here is a deterministic function of the store (same seed, same bytes). Each order whose
SALE transaction went through the ``stripe`` gateway becomes one payment intent, one charge and
one ``charge`` balance transaction (fee 2.9% + 30 minor units); each of its refunds becomes a
refund with a negative ``refund`` balance transaction, dated on the refund. On top of that come
"direct" charges with no Shopify order (invoices and wholesale, about 3% of orders, some larger),
two ``livemode: false`` test charges, one customer per Shopify customer who paid through Stripe
(email as in Shopify, some in different letter case) and a few business customers, and the
events of the last 30 days. Some orders are paid by bank debit instead of a card (a ``py_``
charge, ``pyr_`` refunds) and a few card payments are disputed later (a ``dp_`` dispute with the
balance transactions Stripe books for it); ``store.extras["stripe_orders"]`` says exactly which
for a hand-written store (``payment_plans``). Amounts are integers in the currency's minor unit, currencies
lowercase, timestamps Unix seconds (UTC), exactly as Stripe sends them.

Nothing is built ahead: one pass over the orders records, per kind, each object's ``created`` and
a reference to what it is rendered from (8 + 8 bytes), and each id's lookup key; an object is
rendered when a page, a retrieve or an ``expand[]`` asks for it, from a ``random.Random`` seeded
with that object's key, so a million-order store costs tens of MB here instead of gigabytes.

When ``store.extras["stripe"]`` is set, it is served instead: a dict of object type
(``charges``, ``payment_intents``, ``refunds``, ``balance_transactions``, ``customers``,
``events``) to lists of complete Stripe objects (see docs/sandbox/stripe.md).
"""

from __future__ import annotations

import bisect
import copy
import functools
import hashlib
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from storeboard.sandbox.store import Customer, Order, Refund, Store

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
    "disputes": "dispute",
    # Served from a hand-written store's records (the generated store has none yet).
    "payouts": "payout",
}
#: Bank debits, by shop currency: a share of the payments in a currency that has one. Stripe gives
#: payments of such methods ``py_`` ids and their refunds ``pyr_`` ids, with balance transactions
#: of type ``payment`` / ``payment_refund`` (reporting categories ``charge`` / ``refund``; OpenAPI
#: spec, ``balance_transaction.type``).
BANK_DEBIT = {"usd": "us_bank_account", "eur": "sepa_debit"}
BANK_DEBIT_SHARE = 0.04
#: Share of live card payments without refunds that are disputed later (card networks flag
#: merchants above about 1 %, so a store stays below).
DISPUTE_SHARE = 0.01
#: Stripe's dispute fee (stripe.com/pricing, "Disputes": 15.00), withdrawn with the disputed
#: amount and not returned when the dispute is won.
DISPUTE_FEE_MINOR = 1500
DISPUTE_REASONS = ("fraudulent", "product_not_received", "unrecognized", "product_unacceptable")
#: Dispute statuses a store file may give (OpenAPI spec, ``dispute.status``); the ``warning_*``
#: ones are inquiries that withdraw nothing, which the sandbox does not imitate.
DISPUTE_STATUSES = ("needs_response", "under_review", "won", "lost")
#: The evidence fields of a dispute (OpenAPI spec, ``dispute_evidence``), empty until submitted.
_EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
    "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
    "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation", "duplicate_charge_explanation",
    "duplicate_charge_id", "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address", "shipping_carrier",
    "shipping_date", "shipping_documentation", "shipping_tracking_number", "uncategorized_file", "uncategorized_text",
)
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


def payment_fee(amount_minor: int, method: str) -> int:
    """Stripe's fee for a payment of ``method`` (stripe.com/pricing): ACH Direct Debit 0.8 % capped
    at 5.00, SEPA Direct Debit 0.35, cards 2.9 % + 0.30."""
    if method == "us_bank_account":
        return min(500, int((Decimal(amount_minor) * Decimal("0.008")).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    if method == "sepa_debit":
        return 35
    return stripe_fee(amount_minor)


@dataclass(frozen=True, slots=True)
class Dispute:
    """A dispute of an order's charge: opened (funds withdrawn), and how it stands."""

    opened: datetime
    status: str
    closed: datetime | None = None
    reason: str = "fraudulent"
    #: disputed amount in minor units; None = the whole charge
    amount: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """How an order's Stripe payment went, where it is not a plain card payment."""

    method: str = "card"
    dispute: Dispute | None = None


CARD = PaymentPlan()


def payment_plans(records: Any, currency: str, where: str = "extras.stripe_orders") -> dict[str, PaymentPlan]:
    """Order number (as a string) -> plan, from a store file's ``extras.stripe_orders``::

        stripe_orders:
          1005: {method: us_bank_account}
          1007: {dispute: {opened_at: "2026-10-20T10:00:00Z", status: lost, closed_at: "2026-11-30T10:00:00Z",
                           reason: fraudulent, amount: "49.90"}}

    Raises:
        ValueError: an entry is wrong; the message names it.
    """
    if not isinstance(records, dict):
        raise ValueError(f"{where}: expected a mapping of order number to its Stripe payment")
    plans = {}
    for number, record in records.items():
        at = f"{where}.{number}"
        record = record or {}
        method = record.get("method", "card")
        if method != "card" and method not in BANK_DEBIT.values():
            raise ValueError(f"{at}.method: expected card, {' or '.join(BANK_DEBIT.values())}, got {method!r}")
        dispute = None
        if record.get("dispute"):
            d = record["dispute"]
            status = d.get("status", "needs_response")
            if status not in DISPUTE_STATUSES:
                raise ValueError(f"{at}.dispute.status: expected one of {', '.join(DISPUTE_STATUSES)}, got {status!r}")
            if status in ("won", "lost") and not d.get("closed_at"):
                raise ValueError(f"{at}.dispute: a {status} dispute needs closed_at")
            try:
                opened = _aware(d["opened_at"])
                closed = _aware(d["closed_at"]) if d.get("closed_at") else None
                amount = minor_units(Decimal(str(d["amount"])), currency) if d.get("amount") is not None else None
            except KeyError:
                raise ValueError(f"{at}.dispute: needs opened_at") from None
            except (ValueError, ArithmeticError):
                raise ValueError(f"{at}.dispute: opened_at/closed_at must be ISO 8601 and amount a decimal "
                                 "like \"49.90\"") from None
            dispute = Dispute(opened, status, closed, d.get("reason", "fraudulent"), amount)
        plans[str(number)] = PaymentPlan(method, dispute)
    return plans


def _aware(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch(dt: datetime) -> int:
    """Unix seconds of an aware datetime."""
    return int(dt.timestamp())


#: byte -> one of the 62 id characters (``bytes.translate`` maps a whole digest at C speed)
_ID_CHARS = bytes(ord(_ALPHABET[b % 62]) for b in range(256))
#: characters of the longest id body
_ID_LENGTH = 24


def _id_body(*key: Any) -> str:
    """The 24 id characters of ``key``: a BLAKE2 digest, one character per byte."""
    return hashlib.blake2b(":".join(map(str, key)).encode(), digest_size=_ID_LENGTH).digest().translate(_ID_CHARS).decode()


def stripe_id(prefix: str, *key: Any, length: int = _ID_LENGTH) -> str:
    """A Stripe-looking id (``ch_3Q…``) that is a pure function of ``key``."""
    return f"{prefix}_{_id_body(*key)[:length]}"


class StripeData:
    """Every Stripe object of one store revision, by kind, newest first (``created`` then ``id``).

    ``ExplicitStripeData`` holds the objects of a hand-written store; ``LazyStripeData`` holds only
    a compact index and renders an object when a page, a retrieve or an ``expand[]`` asks for it.
    Both answer the same questions.

    Attributes:
        revision: the store revision this was built from.
        reference: the store's latest activity; balance transactions are ``available`` once their
            ``available_on`` is at or before it, events older than 30 days before it are dropped.
    """

    revision: int
    reference: int
    #: kind -> ``-created`` of its objects, newest first (ascending, so ``bisect`` works on it)
    _negated_created: dict[str, Sequence[int]]

    def count(self, kind: str) -> int:
        """How many objects of ``kind`` there are."""
        return len(self._negated_created[kind])

    def at(self, kind: str, index: int) -> dict[str, Any]:
        """The object at ``index`` of the newest-first list of ``kind``."""
        raise NotImplementedError

    def get(self, object_id: str) -> dict[str, Any] | None:
        """The object with this id, of any kind, or None."""
        raise NotImplementedError

    def position(self, kind: str, object_id: str) -> int | None:
        """Index of ``object_id`` in the newest-first list of ``kind``."""
        raise NotImplementedError

    def event_type(self, index: int) -> str:
        """The ``type`` of the event at ``index`` of the newest-first events list."""
        return self.at("events", index)["type"]

    def view(self, kind: str) -> KindView:
        """The newest-first list of ``kind`` as a sequence that renders items as they are read."""
        return KindView(self, kind)

    @property
    def by_id(self) -> ObjectsById:
        """id -> object, for retrieve and ``expand[]``."""
        return ObjectsById(self)

    @cached_property
    def lists(self) -> dict[str, list[dict[str, Any]]]:
        """kind -> every object, newest first. Renders the whole account: for tests and small stores."""
        return {kind: list(self.view(kind)) for kind in KINDS}

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


class KindView(Sequence):
    """One kind's newest-first list; each item is rendered when it is read."""

    def __init__(self, data: StripeData, kind: str):
        self.data, self.kind = data, kind

    def __len__(self) -> int:
        return self.data.count(self.kind)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self.data.at(self.kind, i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.data.at(self.kind, index)


class ObjectsById:
    """id -> object, rendered on lookup (what ``StripeData.by_id`` answers)."""

    def __init__(self, data: StripeData):
        self.data = data

    def get(self, object_id: Any, default: Any = None) -> Any:
        found = self.data.get(object_id) if isinstance(object_id, str) else None
        return default if found is None else found

    def __getitem__(self, object_id: str) -> dict[str, Any]:
        found = self.get(object_id)
        if found is None:
            raise KeyError(object_id)
        return found

    def __contains__(self, object_id: object) -> bool:
        return self.get(object_id) is not None


class ExplicitStripeData(StripeData):
    """The objects of a hand-written store (``extras["stripe"]``), held as they are."""

    def __init__(self, revision: int, lists: dict[str, list[dict[str, Any]]], reference: int = 0):
        self.revision, self.reference = revision, reference
        self._lists = lists
        self._negated_created, self._position, self._by_id = {}, {}, {}
        for kind, objects in lists.items():
            objects.sort(key=lambda o: (o.get("created") or 0, str(o.get("id"))), reverse=True)
            self._negated_created[kind] = [-(o.get("created") or 0) for o in objects]
            self._position[kind] = {o["id"]: i for i, o in enumerate(objects)}
            for obj in objects:
                self._by_id[obj["id"]] = obj

    @property
    def lists(self) -> dict[str, list[dict[str, Any]]]:  # type: ignore[override]
        return self._lists

    def at(self, kind: str, index: int) -> dict[str, Any]:
        return self._lists[kind][index]

    def get(self, object_id: str) -> dict[str, Any] | None:
        return self._by_id.get(object_id)

    def position(self, kind: str, object_id: str) -> int | None:
        return self._position[kind].get(object_id)


#: Low bits of a lookup entry: which family of objects its entity number counts.
_PAYMENT, _REFUND, _CUSTOMER, _EVENT = range(4)
#: Event types by the low three bits of an event reference.
_EVENT_TYPES = ("customer.created", "payment_intent.succeeded", "charge.succeeded", "charge.refunded", "refund.created",
                "charge.dispute.created", "charge.dispute.closed")
#: An order's refunds are numbered ``order index * _REFUNDS_PER_ORDER + position``.
_REFUNDS_PER_ORDER = 1024
_MASK = (1 << 63) - 1
#: first character of a payment's balance transaction id -> its part (0 charge, 2 dispute
#: withdrawal, 3 dispute reversal; 1 is a refund's, whose id has a body of its own)
_TXN_PART = {"3": 0, "4": 2, "5": 3}
_DIGIT = {c: i for i, c in enumerate(_ALPHABET)}
#: id prefix -> (kind, families it may belong to). A payment's ids share one body starting with "3";
#: the balance transactions of its dispute start with "4" (withdrawal) and "5" (reversal).
_PREFIXES = {
    "ch": ("charges", (_PAYMENT,)),
    "py": ("charges", (_PAYMENT,)),
    "pi": ("payment_intents", (_PAYMENT,)),
    "dp": ("disputes", (_PAYMENT,)),
    "txn": ("balance_transactions", (_PAYMENT, _REFUND)),
    "re": ("refunds", (_REFUND,)),
    "pyr": ("refunds", (_REFUND,)),
    "cus": ("customers", (_CUSTOMER,)),
    "evt": ("events", (_EVENT,)),
}


def _digest(*key: Any) -> int:
    """The number ``stripe_id`` spells for ``key`` (base 62, first character least significant,
    before the id is cut to its length)."""
    value = 0
    for char in reversed(_id_body(*key)):
        value = value * 62 + _DIGIT[char]
    return value


def _body_key(body: str) -> int | None:
    """The lookup key of an id's characters: their base-62 value (first character least
    significant, as ``stripe_id`` writes them), cut to 63 bits; None if they are not base 62."""
    value = 0
    for char in reversed(body):
        digit = _DIGIT.get(char)
        if digit is None:
            return None
        value = value * 62 + digit
    return value & _MASK


class LazyStripeData(StripeData):
    """A store's Stripe account as a compact index; objects are rendered only when asked for.

    Per kind, two arrays of 8-byte integers in newest-first order: ``-created`` and a reference to
    what the object is rendered from (an "order index", the position of a card-paid order in the
    time-ordered list the index keeps, and which of its payments, refunds, customer or events). Ids
    are found through one sorted array of their lookup keys (63 bits of the number the id spells),
    verified against the rendered id.

    Attributes:
        renders: objects rendered so far (tests use it to prove that a page renders O(page)).
    """

    def __init__(self, renderer: _Renderer, negated_created: dict[str, array], refs: dict[str, array],
                 lookup_keys: array, lookup_entities: array):
        self.revision, self.reference = renderer.store.revision, renderer.reference
        self._render = renderer
        self._negated_created, self._refs = negated_created, refs
        self._lookup_keys, self._lookup_entities = lookup_keys, lookup_entities
        self.renders = 0

    def at(self, kind: str, index: int) -> dict[str, Any]:
        self.renders += 1
        return self._render.object(kind, self._refs[kind][index])

    def event_type(self, index: int) -> str:
        # known from the reference, without rendering the event (a filtered list scans many)
        return _EVENT_TYPES[self._refs["events"][index] % 8]

    def get(self, object_id: str) -> dict[str, Any] | None:
        found = self._find(object_id)
        return found[2] if found else None

    def position(self, kind: str, object_id: str) -> int | None:
        found = self._find(object_id)
        if found is None or found[0] != kind:
            return None
        _, ref, obj = found
        neg, refs = self._negated_created[kind], self._refs[kind]
        lo = bisect.bisect_left(neg, -obj["created"])
        hi = bisect.bisect_right(neg, -obj["created"], lo)
        return next((i for i in range(lo, hi) if refs[i] == ref), None)

    def _find(self, object_id: str) -> tuple[str, int, dict[str, Any]] | None:
        """(kind, reference, rendered object) of ``object_id``, or None."""
        prefix, _, body = object_id.partition("_")
        if prefix not in _PREFIXES:
            return None
        kind, families = _PREFIXES[prefix]
        for family in families:
            key = _body_key(body[1:] if family == _PAYMENT else body)
            part = _TXN_PART.get(body[:1]) if kind == "balance_transactions" else 0 if body[:1] == "3" else None
            if key is None or (family == _PAYMENT and part is None):
                continue
            keys = self._lookup_keys
            i = bisect.bisect_left(keys, key)
            while i < len(keys) and keys[i] == key:
                entity, entry_family = divmod(self._lookup_entities[i], 4)
                i += 1
                if entry_family != family:
                    continue
                if kind == "balance_transactions":  # entity * 4 + part (see _Renderer.object)
                    ref = entity * 4 + (1 if family == _REFUND else part)
                else:
                    ref = entity
                self.renders += 1
                obj = self._render.object(kind, ref)
                if obj["id"] == object_id:
                    return kind, ref, obj
        return None


class _Renderer:
    """Renders one Stripe object of a store from its reference; everything is a pure function of
    the store (per-object ``random.Random`` seeded with the object's key), so the bytes never
    depend on which objects were rendered before."""

    def __init__(self, store: Store, reference: int):
        self.store = store
        self.seed = store.seed
        self.currency = store.shop.currency.lower()
        self.reference = reference
        #: the card-paid orders, oldest first (references count in this list), and each one's
        #: refunds as they were when the index was built (the generator replaces ``order.refunds``
        #: when it refunds, so an index keeps serving its own revision)
        self.orders: list[Order] = []
        self.refunds: list[Sequence[Refund]] = []
        #: order index -> its payment plan, for the few that are not plain card payments
        self.plans: dict[int, PaymentPlan] = {}
        # A payment renders its intent, charge and balance transaction together, and a connector
        # reads the three lists side by side: keep recent ones (bounded, so 1M orders still fit).
        self.payment = functools.lru_cache(maxsize=4096)(self.payment)  # type: ignore[method-assign]

    def rng(self, *key: Any) -> random.Random:
        return random.Random(":".join(map(str, (self.seed, "stripe", *key))))

    def object(self, kind: str, ref: int) -> dict[str, Any]:
        """The object of ``kind`` that ``ref`` points at (see ``LazyStripeData``)."""
        if kind == "charges":
            return self.payment(ref)["charge"]
        if kind == "payment_intents":
            return self.payment(ref)["payment_intent"]
        if kind == "balance_transactions":  # entity * 4 + part: 0 a payment's, 1 a refund's, 2-3 a dispute's
            entity, part = divmod(ref, 4)
            if part == 0:
                return self.payment(entity)["balance_transaction"]
            return self.refund(entity)[1] if part == 1 else self.dispute(entity)[1][part - 2]
        if kind == "refunds":
            return self.refund(ref)[0]
        if kind == "disputes":
            return self.dispute(ref)[0]
        if kind == "customers":
            return self.customer(ref)
        return self.event(ref)

    def plan(self, index: int) -> PaymentPlan:
        """How the payment of the card-paid order at ``index`` went."""
        return self.plans.get(index, CARD)

    # -- ids (without rendering) -----------------------------------------------------------------
    def payment_key(self, payment: int) -> tuple:
        index, code = divmod(payment, 4)
        order_id = self.orders[index].order_id
        return ("order", order_id) if code == 0 else ("direct", order_id) if code == 1 else ("test", order_id)

    def payment_suffix(self, payment: int) -> str:
        return "3" + stripe_id("x", self.seed, *self.payment_key(payment))[3:]

    def charge_id(self, payment: int) -> str:
        """``ch_…``, or ``py_…`` for a bank debit (only an order's own payment, code 0, can be one)."""
        bank = payment % 4 == 0 and self.plan(payment // 4).method != "card"
        return ("py_" if bank else "ch_") + self.payment_suffix(payment)

    def refund_id(self, refund: int) -> str:
        """``re_…``, or ``pyr_…`` for a refund of a bank debit (same body)."""
        index, position = divmod(refund, _REFUNDS_PER_ORDER)
        base = stripe_id("re", self.seed, "refund", self.refunds[index][position].refund_id)
        return "pyr" + base[2:] if self.plan(index).method != "card" else base

    def refund_txn_id(self, refund: int) -> str:
        index, position = divmod(refund, _REFUNDS_PER_ORDER)
        return stripe_id("txn", self.seed, "refund", self.refunds[index][position].refund_id)

    def customer_id(self, customer: int) -> str:
        if customer & 1:
            return stripe_id("cus", self.seed, "business", BUSINESSES[(customer >> 1) % 8][1], length=14)
        return stripe_id("cus", self.seed, "customer", self.orders[customer >> 1].customer.customer_id, length=14)

    def ident(self, kind: str, ref: int, created: int) -> str:
        """The id of the object ``ref`` of ``kind`` created at ``created`` (to order equal ``created``)."""
        if kind == "charges":
            return self.charge_id(ref)
        if kind == "payment_intents":
            return "pi_" + self.payment_suffix(ref)
        if kind == "disputes":
            return "dp_" + self.payment_suffix(ref)
        if kind == "balance_transactions":
            entity, part = divmod(ref, 4)
            if part == 1:
                return self.refund_txn_id(entity)
            return "txn_" + "3425"[part] + self.payment_suffix(entity)[1:]
        if kind == "refunds":
            return self.refund_id(ref)
        if kind == "customers":
            return self.customer_id(ref)
        entity, kind_index = divmod(ref, 8)
        event_type = _EVENT_TYPES[kind_index]
        if kind_index == 0:
            obj_id = self.customer_id(entity)
        elif kind_index == 1:
            obj_id = "pi_" + self.payment_suffix(entity)
        elif kind_index == 2:
            obj_id = self.charge_id(entity)
        elif kind_index == 3:  # carries the refunded charge
            obj_id = self.charge_id(entity // _REFUNDS_PER_ORDER * 4)
        elif kind_index == 4:
            obj_id = self.refund_id(entity)
        else:  # carries the dispute
            obj_id = "dp_" + self.payment_suffix(entity)
        return stripe_id("evt", self.seed, event_type, obj_id, created)

    # -- customers --------------------------------------------------------------------------
    def shopify_customer(self, customer: Customer, at: datetime) -> tuple[str | None, int]:
        """(email as typed at checkout, created) of the Stripe customer of a Shopify customer whose
        first card payment was at ``at``."""
        rng = self.rng("customer", customer.customer_id)
        email = customer.email
        if email and rng.random() < 0.12:  # typed differently at checkout than in Shopify
            email = email.upper() if rng.random() < 0.3 else email[0].upper() + email[1:]
        return email, epoch(at - timedelta(seconds=rng.randint(2, 40)))

    def customer(self, ref: int) -> dict[str, Any]:
        if ref & 1:  # a business: (order index * 8 + business) * 2 + 1, first invoiced with that order
            index, business = divmod(ref >> 1, 8)
            name, domain = BUSINESSES[business]
            cus = stripe_id("cus", self.seed, "business", domain, length=14)
            at, _ = self.direct_time(self.orders[index])
            return self._customer(cus, epoch(at) - 3600, f"accounts@{domain}.example", name, None, {})
        order = self.orders[ref >> 1]
        customer = order.customer
        email, created = self.shopify_customer(customer, order.processed_at)
        return self._customer(self.customer_id(ref), created, email, f"{customer.first_name} {customer.last_name}", customer.phone,
                              {"shopify_customer_id": str(customer.customer_id)})

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

    # -- payments ---------------------------------------------------------------------------
    def direct_time(self, order: Order) -> tuple[datetime, random.Random]:
        """When the direct charge beside ``order`` was made, and its generator (drawn on from there)."""
        rng = self.rng("direct-charge", order.order_id)
        return order.processed_at - timedelta(minutes=rng.randint(5, 600)), rng

    def payment(self, ref: int) -> dict[str, dict[str, Any]]:
        """The payment intent, charge and balance transaction of payment ``ref`` (order index * 4 +
        0 for the order's own charge, 1 for the direct charge beside it, 2 or 3 for a test charge)."""
        index, code = divmod(ref, 4)
        order = self.orders[index]
        if code == 0:
            sale = _stripe_sale(order)
            live = not order.test
            customer = order.customer
            cus, email = None, None
            if customer is not None and live:
                cus = stripe_id("cus", self.seed, "customer", customer.customer_id, length=14)
                email, _ = self.shopify_customer(customer, order.processed_at)
            refunds = [(r.refund_id, r.created_at, r.total) for r in self.refunds[index] if r.total > 0]
            plan = self.plan(index)
            return self._payment(
                key=("order", order.order_id), at=sale.processed_at, amount=minor_units(sale.amount, self.currency),
                live=live, cus=cus, email=email or (customer.email if customer else None),
                name=f"{customer.first_name} {customer.last_name}" if customer else None,
                metadata={"order_id": order.name}, description=None, refunds=refunds,
                method=plan.method, disputed=plan.dispute is not None,
            )
        if code == 1:
            at, rng = self.direct_time(order)
            name, domain = BUSINESSES[rng.randrange(len(BUSINESSES))]
            cus, email = stripe_id("cus", self.seed, "business", domain, length=14), f"accounts@{domain}.example"
            if rng.random() < 0.6:
                number = f"NW-{rng.randint(1000, 9999)}"
                amount, description, metadata = rng.uniform(120, 650), f"Invoice {number}", {"invoice_number": number}
            else:
                number = f"PO-{rng.randint(10000, 99999)}"
                amount, description, metadata = rng.uniform(900, 4800), f"Wholesale order {number}", {"purchase_order": number}
            return self._payment(key=("direct", order.order_id), at=at,
                                 amount=minor_units(Decimal(f"{amount:.2f}"), self.currency), live=True, cus=cus,
                                 email=email, name=None, metadata=metadata, description=description, refunds=[])
        test_index = code - 2
        at = order.processed_at - timedelta(hours=3 + test_index)
        return self._payment(key=("test", order.order_id), at=at,
                             amount=minor_units(Decimal("1.00") * (test_index * 49 + 1), self.currency), live=False,
                             cus=None, email=None, name="Test Customer", metadata={},
                             description="Test charge from the Dashboard", refunds=[])

    def _payment(self, key: tuple, at: datetime, amount: int, live: bool, cus: str | None, email: str | None,
                 name: str | None, metadata: dict[str, str], description: str | None,
                 refunds: list[tuple[int, datetime, Decimal]], method: str = "card",
                 disputed: bool = False) -> dict[str, dict[str, Any]]:
        rng = self.rng("payment", *key)
        suffix = stripe_id("x", self.seed, *key)[2:]
        suffix = "3" + suffix[1:]
        ch = f"ch_{suffix}" if method == "card" else f"py_{suffix}"
        pi, txn, pm = f"pi_{suffix}", f"txn_{suffix}", f"pm_{suffix[::-1]}"
        created = epoch(at)
        fee = payment_fee(amount, method)
        refunded = min(amount, sum(minor_units(total, self.currency) for _, _, total in refunds))
        brand = rng.choices(["visa", "mastercard", "amex", "discover"], weights=[55, 30, 10, 5])[0]
        payment_intent = {
            "id": pi, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_details": {"tip": {}}, "amount_received": amount, "application": None,
            "application_fee_amount": None, "automatic_payment_methods": None, "canceled_at": None,
            "cancellation_reason": None, "capture_method": "automatic", "client_secret": f"{pi}_secret_{suffix[:20]}",
            "confirmation_method": "automatic", "created": created - rng.randint(3, 90), "currency": self.currency,
            "customer": cus, "description": description, "invoice": None, "last_payment_error": None,
            "latest_charge": ch, "livemode": live, "metadata": dict(metadata), "next_action": None,
            "on_behalf_of": None, "payment_method": pm, "payment_method_options": {}, "payment_method_types": [method],
            "processing": None, "receipt_email": email, "review": None, "setup_future_usage": None, "shipping": None,
            "statement_descriptor": None, "statement_descriptor_suffix": None, "status": "succeeded",
            "transfer_data": None, "transfer_group": None,
        }
        charge = {
            "id": ch, "object": "charge", "amount": amount, "amount_captured": amount, "amount_refunded": refunded,
            "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": txn,
            "billing_details": {"address": {"city": None, "country": "US", "line1": None, "line2": None,
                                            "postal_code": f"{rng.randint(1001, 99950):05d}", "state": None},
                                "email": email, "name": name, "phone": None},
            "calculated_statement_descriptor": "NORTHWIND GOODS", "captured": True, "created": created,
            "currency": self.currency, "customer": cus, "description": description, "disputed": disputed,
            "failure_balance_transaction": None, "failure_code": None, "failure_message": None, "fraud_details": {},
            "invoice": None, "livemode": live, "metadata": dict(metadata), "on_behalf_of": None,
            "outcome": {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                        "risk_score": rng.randint(2, 60), "seller_message": "Payment complete.", "type": "authorized"},
            "paid": True, "payment_intent": pi, "payment_method": pm,
            "payment_method_details": self._method_details(method, rng, brand, suffix, at),
            "receipt_email": email, "receipt_number": None,
            "receipt_url": f"https://pay.stripe.com/receipts/payment/{suffix}", "refunded": refunded >= amount,
            "review": None, "shipping": None, "source_transfer": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "succeeded", "transfer_data": None, "transfer_group": None,
        }
        return {"payment_intent": payment_intent, "charge": charge,
                "balance_transaction": self.balance_transaction(txn, created, amount, fee, "charge", ch, description,
                                                                type_="charge" if method == "card" else "payment")}

    @staticmethod
    def _method_details(method: str, rng: random.Random, brand: str, suffix: str, at: datetime) -> dict[str, Any]:
        """A charge's ``payment_method_details`` (OpenAPI spec, ``payment_method_details_<type>``)."""
        if method == "us_bank_account":
            return {"type": method, method: {"account_holder_type": "individual", "account_type": "checking",
                                             "bank_name": "STRIPE TEST BANK", "fingerprint": suffix[4:20],
                                             "last4": f"{rng.randint(0, 9999):04d}", "routing_number": "110000000"}}
        if method == "sepa_debit":
            return {"type": method, method: {"bank_code": "37040044", "branch_code": None, "country": "DE",
                                             "fingerprint": suffix[4:20], "last4": f"{rng.randint(0, 9999):04d}",
                                             "mandate": f"mandate_{suffix[:24]}"}}
        return {"card": {
            "brand": brand, "checks": {"address_line1_check": None, "address_postal_code_check": "pass",
                                       "cvc_check": "pass"},
            "country": "US", "exp_month": rng.randint(1, 12), "exp_year": at.year + rng.randint(1, 5),
            "fingerprint": suffix[4:20], "funding": rng.choice(["credit", "credit", "debit"]), "installments": None,
            "last4": f"{rng.randint(0, 9999):04d}", "mandate": None, "network": brand,
            "three_d_secure": None, "wallet": None}, "type": "card"}

    def refund(self, ref: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """Refund ``ref`` (order index * _REFUNDS_PER_ORDER + its position in ``order.refunds``) of
        an order's charge, and its balance transaction."""
        index, position = divmod(ref, _REFUNDS_PER_ORDER)
        order = self.orders[index]
        refund = self.refunds[index][position]
        suffix = "3" + stripe_id("x", self.seed, "order", order.order_id)[3:]
        ch, pi = self.charge_id(index * 4), f"pi_{suffix}"
        re_id, r_txn = self.refund_id(ref), self.refund_txn_id(ref)
        r_amount, created = minor_units(refund.total, self.currency), epoch(refund.created_at)
        obj = {
            "id": re_id, "object": "refund", "amount": r_amount, "balance_transaction": r_txn, "charge": ch,
            "created": created, "currency": self.currency, "metadata": {}, "payment_intent": pi,
            "reason": "requested_by_customer", "receipt_number": None, "source_transfer_reversal": None,
            "status": "succeeded", "transfer_reversal": None,
        }
        bank = self.plan(index).method != "card"
        return obj, self.balance_transaction(r_txn, created, -r_amount, 0, "refund", re_id, f"REFUND FOR CHARGE ({ch})",
                                             type_="payment_refund" if bank else "refund")

    def dispute(self, payment: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The dispute of payment ``payment`` (an order's own, code 0) and the balance transactions
        Stripe books for it: the withdrawal of the disputed amount plus the dispute fee when it
        opens (type ``adjustment``, category ``dispute``), and the return of the amount when it is
        won (``dispute_reversal``). Shapes: OpenAPI spec ``dispute``; descriptions as Stripe writes them."""
        d = self.plan(payment // 4).dispute
        charge = self.payment(payment)["charge"]
        suffix = self.payment_suffix(payment)
        dp, amount, opened = f"dp_{suffix}", d.amount if d.amount is not None else charge["amount"], epoch(d.opened)
        txns = [self.balance_transaction(f"txn_4{suffix[1:]}", opened, -amount, DISPUTE_FEE_MINOR, "dispute", dp,
                                         f"Chargeback withdrawal for {charge['id']}", type_="adjustment",
                                         fee_description="Dispute fee")]
        if d.status == "won":
            txns.append(self.balance_transaction(f"txn_5{suffix[1:]}", epoch(d.closed), amount, 0, "dispute_reversal", dp,
                                                 f"Chargeback reversal for {charge['id']}", type_="adjustment"))
        answered = d.status != "needs_response"
        details = charge["payment_method_details"]
        obj = {
            "id": dp, "object": "dispute", "amount": amount, "balance_transactions": txns, "charge": charge["id"],
            "created": opened, "currency": self.currency, "evidence": dict.fromkeys(_EVIDENCE_FIELDS),
            "evidence_details": {"due_by": opened + 21 * 86400, "has_evidence": answered, "past_due": False,
                                 "submission_count": int(answered)},
            "is_charge_refundable": False, "livemode": charge["livemode"], "metadata": {},
            "payment_intent": charge["payment_intent"], "reason": d.reason, "status": d.status,
        }
        if details["type"] == "card":
            obj["payment_method_details"] = {"card": {"brand": details["card"]["brand"],
                                                      "network_reason_code": None}, "type": "card"}
        return obj, txns

    def balance_transaction(self, txn: str, created: int, amount: int, fee: int, kind: str, source: str,
                            description: str | None, type_: str | None = None,
                            fee_description: str = "Stripe processing fees") -> dict[str, Any]:
        """A balance transaction; ``kind`` is its reporting category, ``type_`` its type (default the same)."""
        day = datetime.fromtimestamp(created, UTC).replace(hour=0, minute=0, second=0) + timedelta(days=2)
        available_on = epoch(day)
        return {
            "id": txn, "object": "balance_transaction", "amount": amount, "available_on": available_on,
            "created": created, "currency": self.currency, "description": description, "exchange_rate": None,
            "fee": fee,
            "fee_details": ([{"amount": fee, "application": None, "currency": self.currency,
                              "description": fee_description, "type": "stripe_fee"}] if fee else []),
            "net": amount - fee, "reporting_category": kind, "source": source,
            "status": "available" if available_on <= self.reference else "pending", "type": type_ or kind,
        }

    # -- events -----------------------------------------------------------------------------
    def event(self, ref: int) -> dict[str, Any]:
        """Event ``ref`` (entity * 8 + index in ``_EVENT_TYPES``); ``data.object`` is the object as it was then."""
        entity, kind_index = divmod(ref, 8)
        previous = None
        if kind_index == 0:
            obj = self.customer(entity)
            created = obj["created"]
        elif kind_index in (1, 2):
            objects = self.payment(entity)
            created = objects["charge"]["created"]
            obj = (objects["payment_intent"] if kind_index == 1
                   else dict(objects["charge"], amount_refunded=0, refunded=False, disputed=False))
        elif kind_index >= 5:  # the dispute as it was when it opened, or as it closed
            obj, txns = self.dispute(entity)
            if kind_index == 5:
                obj = dict(obj, balance_transactions=txns[:1], status="needs_response",
                           evidence_details=dict(obj["evidence_details"], has_evidence=False, submission_count=0))
                created = obj["created"]
            else:
                created = epoch(self.plan(entity // 4).dispute.closed)
        else:
            refund, _ = self.refund(entity)
            created = refund["created"]
            obj = refund
            if kind_index == 3:
                index = entity // _REFUNDS_PER_ORDER
                charge = self.payment(index * 4)["charge"]
                siblings = [self.refund(index * _REFUNDS_PER_ORDER + p)[0]
                            for p, r in enumerate(self.refunds[index]) if r.total > 0]
                total = 0
                for sibling in sorted(siblings, key=lambda r: (r["created"], r["id"])):
                    before, total = total, total + sibling["amount"]
                    if sibling["id"] == refund["id"]:
                        break
                obj = dict(charge, amount_refunded=total, refunded=total >= charge["amount"])
                previous = {"amount_refunded": before, "refunded": before >= charge["amount"]}
        event_type = _EVENT_TYPES[kind_index]
        data: dict[str, Any] = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        return {
            "id": stripe_id("evt", self.seed, event_type, obj["id"], created), "object": "event", "api_version": None,
            "created": created, "data": data, "livemode": obj.get("livemode", True), "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None}, "type": event_type,
        }


class _Indexer:
    """One pass over the store's card-paid orders that records, per kind, each object's ``created``
    and reference, and the lookup key of each id; then sorts them newest first."""

    def __init__(self, store: Store):
        self.store = store
        self.seed = store.seed
        self.orders = store.orders
        reference = 0
        for order in self.orders:
            reference = max(reference, epoch(order.processed_at), *(epoch(r.created_at) for r in order.refunds))
        #: a hand-written store's plans by order number; its disputes count as activity
        self.explicit = None
        if store.extras.get("stripe_orders") is not None:
            self.explicit = payment_plans(store.extras["stripe_orders"], store.shop.currency.lower())
            for plan in self.explicit.values():
                if plan.dispute is not None:
                    reference = max(reference, *(epoch(t) for t in (plan.dispute.opened, plan.dispute.closed) if t))
        self.render = _Renderer(store, reference)
        self.since = reference - int(EVENT_RETENTION.total_seconds())
        self.created = {kind: array("q") for kind in KINDS}
        self.refs = {kind: array("q") for kind in KINDS}
        self.lookup: list[int] = []

    def add(self, kind: str, created: int, ref: int) -> None:
        self.created[kind].append(created)
        self.refs[kind].append(ref)

    def find_as(self, family: int, digest: int, entity: int) -> None:
        self.lookup.append(((digest & _MASK) << 40) | (entity << 2) | family)

    def build(self) -> LazyStripeData:
        orders = self.orders
        card = [i for i, o in enumerate(orders) if (sale := _stripe_sale(o)) is not None and sale.amount > 0]
        if any(_time_key(orders[a]) > _time_key(orders[b]) for a, b in zip(card, card[1:])):
            card.sort(key=lambda i: _time_key(orders[i]))
        self.render.orders = [orders[i] for i in card]
        self.render.refunds = [order.refunds for order in self.render.orders]
        explicit = self.explicit
        if explicit is not None:
            self.render.plans = {index: explicit[str(order.number)] for index, order in enumerate(self.render.orders)
                                 if str(order.number) in explicit}
        seen_customers: set[int] = set()
        seen_businesses: set[int] = set()
        for index, order in enumerate(self.render.orders):
            if index < 2:  # the two test charges, made before the first two card payments
                self.payment(index * 4 + 2 + index, order.processed_at - timedelta(hours=3 + index))
            live = not order.test
            customer = order.customer
            if customer is not None and live and customer.customer_id not in seen_customers:
                seen_customers.add(customer.customer_id)
                _, created = self.render.shopify_customer(customer, order.processed_at)
                self.customer(index * 2, created, _digest(self.seed, "customer", customer.customer_id) % 62 ** 14)
            self.payment(index * 4, _stripe_sale(order).processed_at)
            for number, refund in enumerate(self.render.refunds[index]):
                if refund.total > 0:
                    self.refund(index, number, refund)
            draws = self.render.rng("direct", order.order_id)
            direct = draws.random() < DIRECT_CHARGE_SHARE
            if explicit is None and live:
                self.plan(index, order, draws)
            plan = self.render.plan(index)
            if plan.dispute is not None and epoch(plan.dispute.opened) <= self.render.reference:
                self.dispute(index * 4, plan.dispute)
            if live and direct:
                at, rng = self.render.direct_time(order)
                business = rng.randrange(len(BUSINESSES))
                if business not in seen_businesses:
                    seen_businesses.add(business)
                    digest = _digest(self.seed, "business", BUSINESSES[business][1]) % 62 ** 14
                    self.customer(((index * 8 + business) << 1) | 1, epoch(at) - 3600, digest)
                self.payment(index * 4 + 1, at)
        return self.finish()

    def customer(self, ref: int, created: int, digest: int) -> None:
        self.add("customers", created, ref)
        self.find_as(_CUSTOMER, digest, ref)
        if created >= self.since:
            self.add("events", created, ref * 8)

    def payment(self, ref: int, at: datetime) -> None:
        key = self.render.payment_key(ref)
        rng = self.render.rng("payment", *key)
        rng.choices("abcd", weights=[55, 30, 10, 5])  # the card brand, drawn before the intent's time
        created = epoch(at)
        self.add("charges", created, ref)
        self.add("payment_intents", created - rng.randint(3, 90), ref)
        self.add("balance_transactions", created, ref * 4)
        self.find_as(_PAYMENT, (_digest(self.seed, *key) // 62) % 62 ** 23, ref)
        if created >= self.since:
            self.add("events", created, ref * 8 + 1)
            self.add("events", created, ref * 8 + 2)

    def refund(self, index: int, number: int, refund: Refund) -> None:
        if number >= _REFUNDS_PER_ORDER:
            raise ValueError(f"order {self.render.orders[index].name} has more than {_REFUNDS_PER_ORDER} refunds; "
                             "the Stripe sandbox serves at most that many per charge")
        ref, created = index * _REFUNDS_PER_ORDER + number, epoch(refund.created_at)
        self.add("refunds", created, ref)
        self.add("balance_transactions", created, ref * 4 + 1)
        self.find_as(_REFUND, _digest(self.seed, "refund", refund.refund_id) % 62 ** 24, ref)
        if created >= self.since:
            self.add("events", created, ref * 8 + 3)
            self.add("events", created, ref * 8 + 4)

    def plan(self, index: int, order: Order, draws: random.Random) -> None:
        """A generated order's payment plan: now and then a bank debit, rarely a later dispute
        (opened 1–8 weeks after the payment, decided 3–10 weeks after it opened, about 60 % lost)."""
        bank = BANK_DEBIT.get(self.render.currency)
        if bank and draws.random() < BANK_DEBIT_SHARE:
            self.render.plans[index] = PaymentPlan(bank)
        elif draws.random() < DISPUTE_SHARE and not any(r.total > 0 for r in self.render.refunds[index]):
            rng = self.render.rng("dispute", order.order_id)
            opened = order.processed_at + timedelta(days=rng.randint(7, 56), seconds=rng.randint(0, 86_399))
            closed = opened + timedelta(days=rng.randint(21, 70))
            reference = datetime.fromtimestamp(self.render.reference, UTC)
            if closed <= reference:
                status = "lost" if rng.random() < 0.6 else "won"
            else:
                status, closed = "under_review" if reference - opened > timedelta(days=7) else "needs_response", None
            self.render.plans[index] = PaymentPlan("card", Dispute(opened, status, closed, rng.choice(DISPUTE_REASONS)))

    def dispute(self, ref: int, dispute: Dispute) -> None:
        opened = epoch(dispute.opened)
        self.add("disputes", opened, ref)
        self.add("balance_transactions", opened, ref * 4 + 2)
        if opened >= self.since:
            self.add("events", opened, ref * 8 + 5)
        if dispute.status in ("won", "lost"):
            closed = epoch(dispute.closed)
            if dispute.status == "won":
                self.add("balance_transactions", closed, ref * 4 + 3)
            if closed >= self.since:
                self.add("events", closed, ref * 8 + 6)

    def finish(self) -> LazyStripeData:
        negated: dict[str, array] = {}
        refs: dict[str, array] = {}
        for kind in KINDS:
            created, kind_refs = self.created.pop(kind), self.refs.pop(kind)
            if kind == "events":  # their ids are digests of the object's id and time: add them now
                for c, r in zip(created, kind_refs):
                    obj_id = self.render.ident(kind, r, c)
                    self.find_as(_EVENT, _body_key(obj_id[4:]), r)
            order = sorted(range(len(created)), key=created.__getitem__, reverse=True)
            # Newest first, and among equal times the larger id first, as Stripe lists them.
            start = 0
            while start < len(order):
                end = start + 1
                while end < len(order) and created[order[end]] == created[order[start]]:
                    end += 1
                if end - start > 1:
                    order[start:end] = sorted(order[start:end], reverse=True,
                                              key=lambda i: self.render.ident(kind, kind_refs[i], created[i]))
                start = end
            negated[kind] = array("q", (-created[i] for i in order))
            refs[kind] = array("q", (kind_refs[i] for i in order))
        self.lookup.sort()
        keys = array("q", (v >> 40 for v in self.lookup))
        entities = array("q", (v & ((1 << 40) - 1) for v in self.lookup))
        self.lookup = []
        return LazyStripeData(self.render, negated, refs, keys, entities)


def _time_key(order: Order) -> tuple[datetime, int]:
    return order.processed_at, order.order_id


def _stripe_sale(order: Order):
    return next((t for t in order.transactions if t.kind == "SALE" and t.gateway == "stripe"), None)


def build_stripe_data(store: Store) -> StripeData:
    """The Stripe account of ``store``: an index of its objects, or its explicit ``extras["stripe"]`` records."""
    explicit = store.extras.get("stripe")
    if explicit:
        lists = {kind: [copy.deepcopy(o) for o in explicit.get(kind, [])] for kind in KINDS}
        stamps = [o.get("created") or 0 for objects in lists.values() for o in objects]
        return ExplicitStripeData(store.revision, lists, reference=max(stamps or [0]))
    return _Indexer(store).build()
