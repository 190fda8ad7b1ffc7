"""Stripe connector constants: endpoints, the resources loaded, and their incremental rules."""

from __future__ import annotations

from dataclasses import dataclass

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
        id_prefix: every id starts with this (``ch_``).
        integer_fields: fields that must be integers (minor units, Unix seconds).
        mutable: the objects change after creation (refund totals, statuses), so every run
            re-reads ``lookback_days`` before the cursor.
    """

    name: str
    id_prefix: str
    integer_fields: tuple[str, ...]
    mutable: bool


RESOURCES = (
    # amount_refunded, refunded, disputed change when the charge is refunded or disputed.
    Resource("charges", "ch_", ("created", "amount", "amount_captured", "amount_refunded"), mutable=True),
    # status and amount_received change while the intent is processed or canceled.
    Resource("payment_intents", "pi_", ("created", "amount", "amount_received"), mutable=True),
    # a refund goes pending -> succeeded (or failed / canceled).
    Resource("refunds", "re_", ("created", "amount"), mutable=True),
    # status goes pending -> available on available_on.
    Resource("balance_transactions", "txn_", ("created", "amount", "fee", "net", "available_on"), mutable=True),
    # customers change (email, name) but carry no update timestamp; re-read only at the cursor.
    Resource("customers", "cus_", ("created",), mutable=False),
)
