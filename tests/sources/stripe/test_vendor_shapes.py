"""Stripe objects as Stripe documents them (the sample objects of its OpenAPI repository, kept in
``vendor_specs/stripe``), served in Stripe's list envelope by a small local server instead of the
sandbox, and loaded by the connector.

Only ids, amounts, timestamps and the fields a variant is about are changed from the samples: a
card charge partly refunded, a SEPA Direct Debit payment (``py_…``, refunded by ``pyr_…``, settled
in another currency), a charge lost to a dispute with the dispute's balance transactions, a
payout. Each changed object still validates against Stripe's OpenAPI schema.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
import stripe

from storeboard.sandbox.credentials import STRIPE_API_KEY
from storeboard.sandbox.specs import stripe_fixtures, stripe_openapi
from tests.sources.stripe.conftest import load, query, stripe_config
from tests.sources.vendor_server import VendorServer

FIXTURES = stripe_fixtures("2026-08")
ACCOUNT = "B7WZ01zgkW"  # the account part of the samples' ids


def _at(day: int, hour: int = 12) -> int:
    return int(datetime(2026, 11, day, hour, tzinfo=UTC).timestamp())


def _sample(kind: str, **changes) -> dict:
    obj = copy.deepcopy(FIXTURES[kind])
    obj.update(changes)
    return obj


def _fee(amount: int, description: str = "Stripe processing fees") -> dict:
    return {"amount": amount, "application": None, "currency": "usd", "description": description, "type": "stripe_fee"}


def _txn(txn_id: str, source: str, created: int, amount: int, fee: int, type_: str, category: str, **changes) -> dict:
    fields = dict(id=txn_id, source=source, created=created, available_on=created + 2 * 86_400, amount=amount,
                  fee=fee, net=amount - fee, fee_details=[_fee(fee)] if fee else [], type=type_,
                  reporting_category=category)
    return _sample("balance_transaction", **{**fields, **changes})


def _objects() -> dict[str, list[dict]]:
    """The lists the connector reads, built from Stripe's samples."""
    card_charge, card_txn = f"ch_3Qa1{ACCOUNT}1card", f"txn_3Qa1{ACCOUNT}1card"
    sepa_charge, sepa_txn = f"py_3Qa2{ACCOUNT}1sepa", f"txn_3Qa2{ACCOUNT}1sepa"
    lost_charge, lost_txn = f"ch_3Qa3{ACCOUNT}1lost", f"txn_3Qa3{ACCOUNT}1lost"
    card_refund, sepa_refund = f"re_3Qa1{ACCOUNT}1part", f"pyr_1Qa2{ACCOUNT}1sepa"
    dispute, payout = f"dp_1Qa3{ACCOUNT}1lost", f"po_1Qa4{ACCOUNT}1paid"
    customer, intent = f"cus_R{ACCOUNT}1", f"pi_3Qa1{ACCOUNT}1card"

    card = _sample("charge", id=card_charge, created=_at(3), amount=4599, amount_captured=4599, amount_refunded=1000,
                   captured=True, balance_transaction=card_txn, customer=customer, payment_intent=intent,
                   metadata={"order_id": "#1042"}, receipt_email="jenny.rosen@example.com", description=None)
    card["billing_details"]["email"] = "jenny.rosen@example.com"
    card["refunds"] = {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{card_charge}/refunds"}

    sepa = _sample("charge", id=sepa_charge, created=_at(4), amount=2500, amount_captured=2500, amount_refunded=2500,
                   currency="eur", captured=True, refunded=True, balance_transaction=sepa_txn,
                   payment_method=f"pm_1Qa2{ACCOUNT}sepa", metadata={}, description="Subscription box",
                   payment_method_details={"sepa_debit": {"bank_code": "37040044", "branch_code": None, "country": "DE",
                                                          "fingerprint": "g8IZ5Tx9Jq3aNfhm", "last4": "3000",
                                                          "mandate": f"mandate_1Qa2{ACCOUNT}sepa"},
                                           "type": "sepa_debit"})
    sepa["refunds"] = {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{sepa_charge}/refunds"}

    lost = _sample("charge", id=lost_charge, created=_at(5), amount=3000, amount_captured=3000, captured=True,
                   disputed=True, balance_transaction=lost_txn, metadata={"order_id": "#1050"}, description=None)
    lost["refunds"] = {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{lost_charge}/refunds"}

    # declined: no money moved, so no balance transaction
    failed = _sample("charge", id=f"ch_3Qa5{ACCOUNT}1fail", created=_at(6), amount=12900, amount_captured=0, paid=False,
                     status="failed", failure_code="card_declined", failure_message="Your card has insufficient funds.",
                     balance_transaction=None, metadata={"order_id": "#1061"}, description=None)
    failed["outcome"].update(network_status="declined_by_network", reason="insufficient_funds",
                             seller_message="The bank returned the decline code `insufficient_funds`.",
                             type="issuer_declined")
    failed["refunds"] = {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{failed['id']}/refunds"}

    # The dispute withdraws the amount and a 15.00 dispute fee in one balance transaction.
    withdrawal = _txn(f"txn_1Qa3{ACCOUNT}1wdrw", dispute, _at(9), -3000, 1500, "adjustment", "dispute",
                      description="Chargeback withdrawal for ch_3Qa3", fee_details=[_fee(1500, "Dispute fee")])
    lost_dispute = _sample("dispute", id=dispute, charge=lost_charge, created=_at(9), amount=3000, status="lost",
                           reason="fraudulent", is_charge_refundable=False, balance_transactions=[withdrawal])

    txns = [
        _txn(card_txn, card_charge, _at(3), 4599, 163, "charge", "charge", description=None),
        # 25.00 EUR settled as 27.18 USD: amount and fee in the balance's currency, with the rate.
        _txn(sepa_txn, sepa_charge, _at(4), 2718, 95, "payment", "charge", exchange_rate=1.0873,
             description="Subscription box", status="pending"),
        _txn(lost_txn, lost_charge, _at(5), 3000, 117, "charge", "charge", description=None),
        _txn(f"txn_3Qa1{ACCOUNT}1rfnd", card_refund, _at(7), -1000, 0, "refund", "refund", description="REFUND FOR CHARGE"),
        _txn(f"txn_1Qa2{ACCOUNT}1rfnd", sepa_refund, _at(8), -2718, 0, "payment_refund", "refund", exchange_rate=1.0873,
             description="REFUND FOR PAYMENT"),
        withdrawal,
        _txn(f"txn_1Qa4{ACCOUNT}1pout", payout, _at(10), -4436, 0, "payout", "payout", description="STRIPE PAYOUT"),
    ]
    return {
        "charges": [card, sepa, lost, failed],
        "refunds": [
            _sample("refund", id=card_refund, charge=card_charge, payment_intent=intent, created=_at(7), amount=1000,
                    balance_transaction=txns[3]["id"], reason="requested_by_customer"),
            _sample("refund", id=sepa_refund, charge=sepa_charge, created=_at(8), amount=2500, currency="eur",
                    balance_transaction=txns[4]["id"], status="pending", reason=None,
                    destination_details={"type": "sepa_bank_transfer", "sepa_bank_transfer": {
                        "reference": None, "reference_status": "pending", "reference_type": None}}),
        ],
        "disputes": [lost_dispute],
        "balance_transactions": txns,
        "payouts": [_sample("payout", id=payout, created=_at(10), amount=4436, arrival_date=_at(12, 0), status="paid",
                            balance_transaction=txns[-1]["id"])],
        # (no discount: the 2026 sample's discount object is newer than the 2023 schema checked below)
        "customers": [_sample("customer", id=customer, created=_at(1), email="jenny.rosen@example.com",
                              name="Jenny Rosen", discount=None)],
        "payment_intents": [_sample("payment_intent", id=intent, created=_at(3), amount=4599, amount_received=4599,
                                    amount_capturable=0, status="succeeded", customer=customer,
                                    latest_charge=card_charge, metadata={"order_id": "#1042"})],
        "events": [],
    }


class StripeLists:
    """Answers ``GET /v1/<kind>`` as Stripe does: newest first, ``created[gte]``/``created[lte]``,
    ``starting_after``, ``limit``, in the list envelope; and ``GET /v1/<kind>/<id>``."""

    def __init__(self, lists: dict[str, list[dict]]):
        self.lists = {k: sorted(v, key=lambda o: (o["created"], o["id"]), reverse=True) for k, v in lists.items()}

    def __call__(self, method, path, params, body):
        parts = path.strip("/").split("/")
        if method != "GET" or parts[0] != "v1" or parts[1] not in self.lists:
            return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})."}}
        objects = self.lists[parts[1]]
        if len(parts) == 3:
            found = [o for o in objects if o["id"] == parts[2]]
            return (200, found[0]) if found else (404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}})
        one = {k: v[-1] for k, v in params.items()}
        if "created[gte]" in one:
            objects = [o for o in objects if o["created"] >= int(one["created[gte]"])]
        if "created[lte]" in one:
            objects = [o for o in objects if o["created"] <= int(one["created[lte]"])]
        if "starting_after" in one:
            objects = objects[[o["id"] for o in objects].index(one["starting_after"]) + 1:]
        limit = int(one.get("limit", 10))
        return 200, {"object": "list", "data": objects[:limit], "has_more": len(objects) > limit, "url": f"/v1/{parts[1]}"}


def _json_schema(node):
    """OpenAPI 3.0 ``nullable`` as JSON Schema (``anyOf [..., null]``)."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") is True else converted


def test_the_changed_samples_still_validate_against_stripes_schema():
    from jsonschema import Draft4Validator

    components = _json_schema(stripe_openapi()["components"])
    for objects in _objects().values():
        for obj in objects:
            validator = Draft4Validator({"$ref": f"#/components/schemas/{obj['object']}", "components": components})
            errors = [f"{list(e.path)}: {e.message[:120]}" for e in validator.iter_errors(obj)]
            assert not errors, (obj["id"], errors[:3])


def test_the_official_library_reads_the_served_lists():
    """The server speaks Stripe's list protocol: the official client pages through it."""
    with VendorServer(StripeLists(_objects())) as server:
        client = stripe.StripeClient(STRIPE_API_KEY, base_addresses={"api": server.url}, max_network_retries=0)
        charges = list(client.v1.charges.list({"limit": 1}).auto_paging_iter())
        disputes = client.v1.disputes.list().data
    assert [c.id for c in charges] == [o["id"] for o in StripeLists(_objects()).lists["charges"]]
    assert isinstance(charges[0], stripe.Charge)
    assert isinstance(disputes[0].balance_transactions[0], stripe.BalanceTransaction)


@pytest.fixture
def loaded(tmp_path):
    lists = _objects()
    with VendorServer(StripeLists(lists)) as server:
        config = stripe_config(tmp_path, "duckdb:///storeboard.duckdb", server.url, start_date="2026-11-01T00:00:00Z",
                               page_size=2)
        counts = load(config)
        yield config, counts, lists, server


def _json(value):
    """A JSON column as Python (DuckDB hands it back as text)."""
    return json.loads(value) if isinstance(value, str) else value


def _rows(config, table: str, columns: str) -> dict[str, dict]:
    return {r["id"]: r for r in query(config, f"select id, {columns} from raw_stripe.{table}")}


def test_every_sample_loads_and_nothing_is_quarantined(loaded):
    config, counts, lists, server = loaded
    assert "quarantine" not in counts
    for table in ("charges", "refunds", "disputes", "balance_transactions", "payouts", "customers", "payment_intents"):
        got = {r["id"] for r in query(config, f"select id from raw_stripe.{table}")}
        assert got == {o["id"] for o in lists[table]}, table
    # read in pages of two, with the created range split across requests
    assert any("starting_after" in params or "created[lte]" in params for _, _, params, _ in server.requests)


def test_charges_keep_amounts_currency_status_and_payment_method(loaded):
    config, _, _, _ = loaded
    rows = _rows(config, "charges", "amount, amount_captured, amount_refunded, currency, status, paid, captured, "
                                    "refunded, disputed, livemode, balance_transaction, order_reference, customer, "
                                    "payment_method_details__type as method, payment_method_details__card__brand as brand, "
                                    "billing_details__email as email, metadata")
    card, lost, sepa = rows[f"ch_3Qa1{ACCOUNT}1card"], rows[f"ch_3Qa3{ACCOUNT}1lost"], rows[f"py_3Qa2{ACCOUNT}1sepa"]
    assert (card["amount"], card["amount_captured"], card["amount_refunded"], card["currency"]) == (4599, 4599, 1000, "usd")
    assert (card["status"], card["paid"], card["captured"], card["refunded"], card["disputed"]) == (
        "succeeded", True, True, False, False)
    assert (card["method"], card["brand"], card["email"]) == ("card", "visa", "jenny.rosen@example.com")
    assert (card["order_reference"], card["customer"], card["balance_transaction"]) == (
        "#1042", f"cus_R{ACCOUNT}1", f"txn_3Qa1{ACCOUNT}1card")
    assert _json(card["metadata"]) == {"order_id": "#1042"}
    assert (sepa["amount"], sepa["amount_refunded"], sepa["currency"], sepa["refunded"]) == (2500, 2500, "eur", True)
    assert (sepa["method"], sepa["brand"], sepa["order_reference"], sepa["livemode"]) == ("sepa_debit", None, None, False)
    assert (lost["amount"], lost["disputed"], lost["order_reference"]) == (3000, True, "#1050")
    failed = _rows(config, "charges", "amount, amount_captured, paid, status, failure_code, failure_message, "
                                      "balance_transaction")[f"ch_3Qa5{ACCOUNT}1fail"]
    assert (failed["amount"], failed["amount_captured"], failed["paid"], failed["status"]) == (12900, 0, False, "failed")
    assert (failed["failure_code"], failed["balance_transaction"]) == ("card_declined", None)
    assert failed["failure_message"] == "Your card has insufficient funds."


def test_refunds_disputes_and_payouts_keep_their_values(loaded):
    config, _, _, _ = loaded
    refunds = _rows(config, "refunds", "charge, amount, currency, status, reason, balance_transaction")
    assert refunds[f"re_3Qa1{ACCOUNT}1part"] == {
        "id": f"re_3Qa1{ACCOUNT}1part", "charge": f"ch_3Qa1{ACCOUNT}1card", "amount": 1000, "currency": "usd",
        "status": "succeeded", "reason": "requested_by_customer", "balance_transaction": f"txn_3Qa1{ACCOUNT}1rfnd"}
    pyr = refunds[f"pyr_1Qa2{ACCOUNT}1sepa"]
    assert (pyr["charge"], pyr["amount"], pyr["currency"], pyr["status"], pyr["reason"]) == (
        f"py_3Qa2{ACCOUNT}1sepa", 2500, "eur", "pending", None)
    [dispute] = query(config, "select id, charge, amount, currency, status, reason, is_charge_refundable from raw_stripe.disputes")
    assert dispute == {"id": f"dp_1Qa3{ACCOUNT}1lost", "charge": f"ch_3Qa3{ACCOUNT}1lost", "amount": 3000,
                       "currency": "usd", "status": "lost", "reason": "fraudulent", "is_charge_refundable": False}
    [payout] = query(config, "select id, amount, currency, status, type, method, automatic, arrival_date, destination, "
                             "balance_transaction from raw_stripe.payouts")
    assert (payout["amount"], payout["currency"], payout["status"], payout["type"], payout["method"]) == (
        4436, "usd", "paid", "bank_account", "standard")
    assert (payout["automatic"], payout["arrival_date"], payout["destination"]) == (
        True, _at(12, 0), "ba_1Pgc79B7WZ01zgkWoU5vBiXt")


def test_balance_transactions_keep_fee_net_rate_and_fee_lines(loaded):
    config, _, _, _ = loaded
    rows = _rows(config, "balance_transactions", "source, amount, fee, net, currency, type, reporting_category, status, "
                                                 "exchange_rate, available_on, fee_details")
    by_source = {r["source"]: r for r in rows.values()}
    card = by_source[f"ch_3Qa1{ACCOUNT}1card"]
    assert (card["amount"], card["fee"], card["net"], card["currency"], card["type"], card["status"]) == (
        4599, 163, 4436, "usd", "charge", "available")
    assert card["exchange_rate"] is None
    sepa = by_source[f"py_3Qa2{ACCOUNT}1sepa"]
    assert (sepa["amount"], sepa["fee"], sepa["net"], sepa["type"], sepa["status"]) == (2718, 95, 2623, "payment", "pending")
    assert sepa["exchange_rate"] == pytest.approx(1.0873)
    assert sepa["available_on"] == _at(6)
    refund = by_source[f"pyr_1Qa2{ACCOUNT}1sepa"]
    assert (refund["amount"], refund["net"], refund["type"], refund["reporting_category"]) == (
        -2718, -2718, "payment_refund", "refund")
    withdrawal = by_source[f"dp_1Qa3{ACCOUNT}1lost"]
    assert (withdrawal["amount"], withdrawal["fee"], withdrawal["net"], withdrawal["type"],
            withdrawal["reporting_category"]) == (-3000, 1500, -4500, "adjustment", "dispute")
    assert _json(withdrawal["fee_details"]) == [{"amount": 1500, "application": None, "currency": "usd", "description": "Dispute fee",
                          "type": "stripe_fee"}]
    payout = by_source[f"po_1Qa4{ACCOUNT}1paid"]
    assert (payout["amount"], payout["type"], payout["reporting_category"]) == (-4436, "payout", "payout")
