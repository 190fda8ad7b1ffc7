"""Stripe connector constants: endpoints, the resources loaded, and their incremental rules."""

from __future__ import annotations

from dataclasses import dataclass

from storeboard.sources.arrow_tables import Shape

LIST_PATH = "/v1/{kind}"
#: Stripe's largest page.
MAX_PAGE_SIZE = 100
#: Environment variable the docs and error messages tell users to set.
API_KEY_ENV = "STRIPE_API_KEY"


@dataclass(frozen=True)
class Resource:
    """One list endpoint loaded into ``raw_stripe.<name>``.

    Attributes:
        name: the list URL name and the table name (``charges``).
        object_type: the ``object`` field every object of the list carries (``charge``). Ids are
            not checked by prefix: a charge of some payment methods is ``py_…`` and its refund
            ``pyr_…`` (Stripe's OpenAPI spec types ``id`` as a plain string, maxLength 5000).
        integer_fields: fields that must be integers (minor units, Unix seconds).
        mutable: the objects change after creation (refund totals, statuses): a run that cannot
            find the changes through events re-reads ``lookback_days`` before the cursor.
        shape: the fields kept in the raw table and their types.
    """

    name: str
    object_type: str
    integer_fields: tuple[str, ...]
    mutable: bool
    shape: Shape


# The raw tables keep what the models read and what identifies an object; ``metadata`` (any keys)
# and lists stay whole as JSON. A new field is one more path below.
CHARGES = Shape(
    "charges",
    text=("id", "object", "payment_intent", "customer", "balance_transaction", "order_reference", "currency",
          "status", "description", "receipt_email", "billing_details.email", "payment_method_details.type",
          "payment_method_details.card.brand", "failure_code", "failure_message"),
    bigint=("amount", "amount_captured", "amount_refunded", "created"),
    bool=("paid", "captured", "refunded", "disputed", "livemode"),
    json=("metadata",),
)
PAYMENT_INTENTS = Shape(
    "payment_intents",
    text=("id", "object", "customer", "latest_charge", "order_reference", "currency", "status", "capture_method",
          "cancellation_reason", "description"),
    bigint=("amount", "amount_received", "amount_capturable", "created", "canceled_at"),
    bool=("livemode",),
    json=("metadata", "payment_method_types"),
)
REFUNDS = Shape(
    "refunds",
    text=("id", "object", "charge", "payment_intent", "balance_transaction", "currency", "status", "reason"),
    bigint=("amount", "created"),
    json=("metadata",),
)
BALANCE_TRANSACTIONS = Shape(
    "balance_transactions",
    text=("id", "object", "source", "currency", "type", "reporting_category", "status", "description"),
    bigint=("amount", "fee", "net", "created", "available_on"),
    double=("exchange_rate",),
    json=("fee_details",),
)
CUSTOMERS = Shape(
    "customers",
    text=("id", "object", "email", "name", "phone", "currency", "description"),
    bigint=("created",),
    bool=("delinquent", "livemode"),
    json=("metadata",),
)

# Disputes: the disputed amount and the dispute fee are withdrawn through balance transactions
# of reporting category ``dispute`` (and returned as ``dispute_reversal`` when the dispute is won),
# which the balance_transactions list already carries; the dispute itself says which charge,
# why, and how it ended (Stripe OpenAPI spec, ``dispute``: status won / lost / needs_response …).
DISPUTES = Shape(
    "disputes",
    text=("id", "object", "charge", "payment_intent", "currency", "status", "reason"),
    bigint=("amount", "created"),
    bool=("is_charge_refundable", "livemode"),
    json=("metadata",),
)
# Payouts: money sent from the Stripe balance to the bank (OpenAPI spec, ``payout``).
PAYOUTS = Shape(
    "payouts",
    text=("id", "object", "balance_transaction", "currency", "status", "type", "method", "destination",
          "failure_code", "description"),
    bigint=("amount", "created", "arrival_date"),
    bool=("automatic", "livemode"),
    json=("metadata",),
)

RESOURCES = (
    # amount_refunded, refunded, disputed change when the charge is refunded or disputed.
    Resource("charges", "charge", ("created", "amount", "amount_captured", "amount_refunded"), mutable=True,
             shape=CHARGES),
    # status and amount_received change while the intent is processed or canceled.
    Resource("payment_intents", "payment_intent", ("created", "amount", "amount_received"), mutable=True,
             shape=PAYMENT_INTENTS),
    # a refund goes pending -> succeeded (or failed / canceled).
    Resource("refunds", "refund", ("created", "amount"), mutable=True, shape=REFUNDS),
    # status goes pending -> available on available_on.
    Resource("balance_transactions", "balance_transaction", ("created", "amount", "fee", "net", "available_on"), mutable=True,
             shape=BALANCE_TRANSACTIONS),
    # customers change (email, name) with no update timestamp: found through customer.updated events.
    Resource("customers", "customer", ("created",), mutable=False, shape=CUSTOMERS),
    # a dispute's status moves needs_response -> under_review -> won / lost
    Resource("disputes", "dispute", ("created", "amount"), mutable=True, shape=DISPUTES),
    # a payout goes pending -> in_transit -> paid (or failed)
    Resource("payouts", "payout", ("created", "amount", "arrival_date"), mutable=True, shape=PAYOUTS),
)
