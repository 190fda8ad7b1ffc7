"""Stores written by hand: a JSON or YAML file describing an exact scenario.

``storeboard sandbox --store FILE`` serves it, and tests build hand-computed cases with it. The
format is documented in docs/sandbox.md; amounts are decimal strings in the shop currency and
timestamps ISO 8601 (UTC unless they carry an offset). Anything under ``extras`` is passed to
the other sources' imitations verbatim (``store.extras``), each documenting its own records.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from storeboard.config import MetricsSettings
from storeboard.errors import ConfigError
from storeboard.sandbox.generate import allocate_discount
from storeboard.sandbox.marketing_data import marketing_from_records
from storeboard.sandbox.store import (
    AdditionalFee,
    Customer,
    DiscountApplication,
    LineItem,
    Order,
    OrderEdit,
    Product,
    Refund,
    RefundLine,
    Shop,
    Store,
    TaxLine,
    Transaction,
    money,
)
from storeboard.sandbox.stripe_data import payment_plans


class StoreFileError(ConfigError):
    """A store file that cannot be read; the message names the file and the entry."""


def _ts(value: Any, where: str) -> datetime:
    try:
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise StoreFileError(f"{where}: expected an ISO 8601 timestamp, got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _money(value: Any, where: str) -> Decimal:
    try:
        return money(Decimal(str(value)))
    except Exception:
        raise StoreFileError(f"{where}: expected a decimal amount like \"12.50\", got {value!r}") from None


class _Ids:
    def __init__(self) -> None:
        self.counters: dict[str, int] = {}

    def next(self, kind: str, base: int) -> int:
        self.counters[kind] = self.counters.get(kind, base) + 1
        return self.counters[kind]


def store_from_dict(data: dict[str, Any], name: str = "store file") -> Store:
    """Build a ``Store`` from the parsed contents of a store file."""
    ids = _Ids()
    shop_data = data.get("shop") or {}
    shop = Shop(
        shop_data.get("name", "Hand-made Store"),
        shop_data.get("domain", "hand-made.myshopify.com"),
        shop_data.get("timezone", "America/New_York"),
        shop_data.get("currency", "USD"),
    )
    products: dict[str, Product] = {}
    for i, p in enumerate(data.get("products") or []):
        where = f"{name}: products[{i}]"
        if "sku" not in p or "price" not in p:
            raise StoreFileError(f"{where}: needs sku and price")
        products[p["sku"]] = Product(
            product_id=ids.next("product", 8_100_000_000),
            variant_id=ids.next("variant", 44_900_000_000),
            inventory_item_id=ids.next("inventory_item", 46_000_000_000),
            sku=p["sku"],
            title=p.get("title", p["sku"]),
            category=p.get("category", "General"),
            price=_money(p["price"], f"{where}.price"),
            unit_cost=_money(p["unit_cost"], f"{where}.unit_cost") if p.get("unit_cost") is not None else None,
            weight_grams=int(p.get("weight_grams", 500)),
            is_gift_card=bool(p.get("gift_card", False)),
        )
    customers: dict[Any, Customer] = {}
    for i, c in enumerate(data.get("customers") or []):
        where = f"{name}: customers[{i}]"
        created = _ts(c.get("created_at", "2026-01-01T00:00:00Z"), f"{where}.created_at")
        customer_id = int(c.get("id", 7_300_000_000 + i + 1))
        customers[c.get("id", customer_id)] = Customer(
            customer_id, c.get("email"), c.get("phone"), c.get("first_name", "Test"), c.get("last_name", f"Customer {i + 1}"),
            created, _ts(c.get("updated_at", created), f"{where}.updated_at"), c.get("channel", "direct"),
        )
    orders = [_order(o, i, name, products, customers, ids) for i, o in enumerate(data.get("orders") or [])]
    orders.sort(key=lambda o: (o.processed_at, o.order_id))
    extras = dict(data.get("extras") or {})
    _check_extras(extras, shop.currency, name)
    return Store(shop, list(products.values()), list(customers.values()), orders, seed=int(data.get("seed", 0)),
                 extras=extras, settings=_settings(data.get("settings"), name))


#: Config sections a store file's ``settings`` may hold, and the model that checks each.
_SETTING_SECTIONS = {"metrics": MetricsSettings}


def _settings(settings: Any, name: str) -> dict[str, Any]:
    """The store file's ``settings`` (sections of storeboard.yml, checked as the config loader
    would), so that a bad FX rate is named when the store loads, not at ``storeboard run``."""
    if not settings:
        return {}
    if not isinstance(settings, dict) or set(settings) - set(_SETTING_SECTIONS):
        raise StoreFileError(f"{name}: settings: expected a mapping with {', '.join(_SETTING_SECTIONS)} "
                             "(sections of storeboard.yml)")
    for section, model in _SETTING_SECTIONS.items():
        try:
            model.model_validate(settings.get(section) or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise StoreFileError(f"{name}: settings.{section}.{where}: {first['msg']}") from None
    return dict(settings)


def _check_extras(extras: dict[str, Any], currency: str, name: str) -> None:
    """``extras.stripe_orders`` (orders paid by bank debit or disputed) and ``extras.marketing``
    checked now, so a mistake is named when the store loads rather than on the first request."""
    try:
        if "stripe_orders" in extras:
            payment_plans(extras["stripe_orders"], currency.lower())
        if "marketing" in extras:
            marketing_from_records(extras["marketing"])
    except ValueError as exc:
        raise StoreFileError(f"{name}: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise StoreFileError(f"{name}: extras.marketing: a record is missing or has an unknown field ({exc})") from None


def _order(o: dict[str, Any], i: int, name: str, products: dict[str, Product], customers: dict[Any, Customer], ids: _Ids) -> Order:
    where = f"{name}: orders[{i}]"
    processed = _ts(o.get("processed_at"), f"{where}.processed_at")
    lines = []
    for j, li in enumerate(o.get("lines") or []):
        lw = f"{where}.lines[{j}]"
        product = products.get(li.get("sku"))
        if product is None:
            raise StoreFileError(f"{lw}: unknown sku {li.get('sku')!r} (add it under products)")
        quantity = int(li.get("quantity", 1))
        lines.append(LineItem(
            ids.next("line_item", 15_500_000_000), product, quantity,
            _money(li.get("price", product.price), f"{lw}.price"),
            _money(li.get("discount", "0"), f"{lw}.discount"),
            _money(li.get("tax", "0"), f"{lw}.tax"),
        ))
    if not lines:
        raise StoreFileError(f"{where}: an order needs at least one line")
    discount_applications = _discount(o, lines, where)
    _line_tax_lines(o, lines, where)
    _line_duties(o.get("lines") or [], lines, where)
    customer_ref = o.get("customer")
    if customer_ref is not None and customer_ref not in customers:
        raise StoreFileError(f"{where}.customer: unknown customer {customer_ref!r}")
    order_id = int(o.get("id", 6_140_000_000_000 + i + 1))
    order = Order(
        order_id=order_id,
        number=int(o.get("number", 1001 + i)),
        created_at=_ts(o.get("created_at", processed), f"{where}.created_at"),
        processed_at=processed,
        updated_at=processed,
        customer=customers.get(customer_ref) if customer_ref is not None else None,
        lines=lines,
        shipping=_money(o.get("shipping", "0"), f"{where}.shipping"),
        test=bool(o.get("test", False)),
        cancelled_at=_ts(o["cancelled_at"], f"{where}.cancelled_at") if o.get("cancelled_at") else None,
        cancel_reason="CUSTOMER" if o.get("cancelled_at") else None,
        source_name=o.get("source_name", "web"),
        tags=list(o.get("tags") or []),
        discount_code=o.get("discount_code"),
        utm=o.get("utm"),
        landing_page=o.get("landing_page"),
        taxes_included=bool(o.get("taxes_included", False)),
    )
    order.discount_applications = discount_applications
    order.discount_code = order.discount_code or next((d.name for d in discount_applications if d.kind == "DiscountCodeApplication"), None)
    order.email = _email(o, where)
    order.shipping_tax_lines = _tax_lines(o.get("shipping_tax_lines"), order.shipping, order.taxes_included, f"{where}.shipping_tax_lines")
    order.presentment_currency, order.presentment_rate = _presentment(o, where)
    _additional_fees(o, order, where, ids)
    gateway = o.get("gateway", "stripe")
    paid = not o.get("unpaid", False)
    if paid and "transactions" in o:
        order.transactions.extend(_transactions(o, processed, ids, where))
        gateway = o.get("gateway", order.transactions[-1].gateway)  # refunds go back the way the order was last paid
    elif paid:
        order.transactions.append(Transaction(ids.next("transaction", 7_420_000_000_000), "SALE", "SUCCESS", gateway, processed,
                                              order.total_price, _money(o.get("fee", "0"), f"{where}.fee")))
    _edits(o, order, where, products, ids, gateway if paid else None)
    by_position = {j: li for j, li in enumerate(lines)}
    by_sku = {li.product.sku: li for li in lines}
    for k, r in enumerate(o.get("refunds") or []):
        rw = f"{where}.refunds[{k}]"
        at = _ts(r.get("at"), f"{rw}.at")
        refund_lines = []
        for m, rl in enumerate(r.get("lines") or []):
            line = by_sku.get(rl.get("sku")) if "sku" in rl else by_position.get(rl.get("line"))
            if line is None:
                raise StoreFileError(f"{rw}.lines[{m}]: name the refunded line by sku or by position (line: 0)")
            quantity = int(rl.get("quantity", line.quantity))
            default = money((line.gross - line.discount) * quantity / line.quantity)
            refund_lines.append(RefundLine(ids.next("refund_line", 20_000_000_000), line.line_item_id, quantity,
                                           _money(rl.get("amount", default), f"{rw}.lines[{m}].amount"),
                                           _money(rl.get("tax", money(line.tax * quantity / line.quantity)), f"{rw}.lines[{m}].tax"),
                                           _restock(rl, f"{rw}.lines[{m}]")))
        refund = Refund(ids.next("refund", 9_100_000_000), at, refund_lines, _money(r.get("shipping", "0"), f"{rw}.shipping"))
        _refund_duties_and_fee(r, refund, rw)
        _refund_extras(r, refund, order, rw)
        order.refunds.append(refund)
        if paid and refund.total > 0:
            order.transactions.append(Transaction(ids.next("transaction", 7_420_000_000_000), "REFUND", "SUCCESS",
                                                  r.get("gateway", gateway), at,
                                                  refund.total, Decimal("0.00")))
    events = [processed, order.cancelled_at, *(r.created_at for r in order.refunds), *(e.at for e in order.edits)]
    order.updated_at = _ts(o["updated_at"], f"{where}.updated_at") if o.get("updated_at") else max(e for e in events if e)
    return order


#: Shopify's three kinds of order-level discount ("DiscountApplication" interface, Admin schema).
_DISCOUNT_KINDS = {"code": "DiscountCodeApplication", "title": "AutomaticDiscountApplication",
                   "manual": "ManualDiscountApplication"}


def _discount(o: dict[str, Any], lines: list[LineItem], where: str) -> list[DiscountApplication]:
    """``discount: {code | title | manual, percentage | amount}``: one order-level discount, allocated
    across the lines that are not gift cards as the generator allocates its codes; the allocations
    become the lines' discounts."""
    d = o.get("discount")
    if d is None:
        return []
    dw = f"{where}.discount"
    kinds = [k for k in _DISCOUNT_KINDS if k in d]
    if len(kinds) != 1 or ("percentage" in d) == ("amount" in d):
        raise StoreFileError(f"{dw}: give one of code, title or manual, and one of percentage or amount")
    if any(li.discount for li in lines):
        raise StoreFileError(f"{dw}: the lines already carry discounts; give the order discount or the lines' ones")
    eligible = [li for li in lines if not li.product.is_gift_card]
    base = sum((li.gross for li in eligible), Decimal("0.00"))
    if "percentage" in d:
        percentage = _rate(d["percentage"], f"{dw}.percentage", percent=True)
        total, amount = money(base * percentage), None
    else:
        percentage, amount = None, _money(d["amount"], f"{dw}.amount")
        total = amount
    if not eligible or not Decimal("0") < total <= base:
        raise StoreFileError(f"{dw}: the discount must be more than 0 and at most the lines' price ({base})")
    allocate_discount(eligible, total)
    return [DiscountApplication(_DISCOUNT_KINDS[kinds[0]], str(d[kinds[0]]), percentage, amount)]


def _rate(value: Any, where: str, percent: bool = False) -> Decimal:
    """A rate written as a fraction (``0.2``) or a percentage (``"20%"``); ``percent`` also takes a
    bare number above 1 as a percentage (``percentage: 10``)."""
    text = str(value).strip()
    try:
        rate = Decimal(text.rstrip("%")) / 100 if text.endswith("%") or (percent and Decimal(text) > 1) else Decimal(text)
    except Exception:
        raise StoreFileError(f"{where}: expected a rate like 0.2 or \"20%\", got {value!r}") from None
    if not Decimal("0") <= rate <= Decimal("1"):
        raise StoreFileError(f"{where}: a rate is between 0 and 100 %, got {value!r}")
    return rate


def _tax_lines(entries: Any, base: Decimal, taxes_included: bool, where: str) -> list[TaxLine]:
    """``[{title, rate, amount?}]``: taxes on ``base``. Without an amount, each is the rate of the
    price, or with prices that include tax the rate's part of it: base × rate ÷ (1 + Σ rates)."""
    if not entries:
        return []
    if not isinstance(entries, list):
        raise StoreFileError(f"{where}: expected a list of {{title, rate, amount}}")
    rates = [_rate(t.get("rate"), f"{where}[{k}].rate") for k, t in enumerate(entries)]
    divisor = 1 + sum(rates) if taxes_included else Decimal(1)
    taxes = []
    for k, (t, rate) in enumerate(zip(entries, rates)):
        if not t.get("title"):
            raise StoreFileError(f"{where}[{k}]: a tax line needs a title (\"VAT\", \"State tax\")")
        amount = _money(t["amount"], f"{where}[{k}].amount") if t.get("amount") is not None else money(base * rate / divisor)
        taxes.append(TaxLine(str(t["title"]), rate, amount))
    return taxes


def _line_tax_lines(o: dict[str, Any], lines: list[LineItem], where: str) -> None:
    """Lines with ``tax_lines`` take their tax from them (on the price net of discount)."""
    for j, (li, raw) in enumerate(zip(lines, o.get("lines") or [])):
        if raw.get("tax_lines") is None:
            continue
        lw = f"{where}.lines[{j}]"
        if raw.get("tax") is not None:
            raise StoreFileError(f"{lw}: give tax or tax_lines, not both")
        li.tax_lines = _tax_lines(raw["tax_lines"], li.gross - li.discount, bool(o.get("taxes_included")), f"{lw}.tax_lines")
        li.tax = sum((t.amount for t in li.tax_lines), Decimal("0.00"))


def _email(o: dict[str, Any], where: str) -> str | None:
    """``email``: the address given at checkout, the only one a guest checkout has."""
    email = o.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email):
        raise StoreFileError(f"{where}.email: expected an email address, got {email!r}")
    return email


def _presentment(o: dict[str, Any], where: str) -> tuple[str | None, Decimal]:
    """``presentment: {currency, rate}``: the customer paid in ``currency``, ``rate`` of it per unit
    of shop currency (Shopify Markets); every amount of the order is also shown in it."""
    p = o.get("presentment")
    if p is None:
        return None, Decimal("1")
    currency = str(p.get("currency", ""))
    if len(currency) != 3 or not currency.isalpha() or currency != currency.upper():
        raise StoreFileError(f"{where}.presentment.currency: expected an ISO 4217 code like \"GBP\", got {p.get('currency')!r}")
    try:
        rate = Decimal(str(p.get("rate")))
    except Exception:
        rate = Decimal("0")
    if not rate > 0:
        raise StoreFileError(f"{where}.presentment.rate: expected a positive number, got {p.get('rate')!r}")
    return currency, rate


#: Transaction kinds a store file may give (Shopify ``OrderTransactionKind``).
_TRANSACTION_KINDS = {"SALE", "AUTHORIZATION", "CAPTURE", "REFUND", "VOID", "CHANGE", "EMV_AUTHORIZATION", "SUGGESTED_REFUND"}


def _transactions(o: dict[str, Any], processed: datetime, ids: _Ids, where: str) -> list[Transaction]:
    """``transactions: [{kind, gateway, amount, at?, fee?, status?}]``: the order's payments instead
    of one SALE of its total (a gift card and a card; an authorization captured later)."""
    entries = o["transactions"]
    if not isinstance(entries, list) or not entries:
        raise StoreFileError(f"{where}.transactions: expected a list of {{kind, gateway, amount}}")
    result = []
    for k, t in enumerate(entries):
        tw = f"{where}.transactions[{k}]"
        kind = str(t.get("kind", "SALE")).upper()
        if kind not in _TRANSACTION_KINDS:
            raise StoreFileError(f"{tw}.kind: expected one of {', '.join(sorted(_TRANSACTION_KINDS))}, got {t.get('kind')!r}")
        if "amount" not in t:
            raise StoreFileError(f"{tw}: a transaction needs an amount")
        result.append(Transaction(ids.next("transaction", 7_420_000_000_000), kind, str(t.get("status", "SUCCESS")).upper(),
                                  str(t.get("gateway", o.get("gateway", "stripe"))),
                                  _ts(t["at"], f"{tw}.at") if t.get("at") else processed,
                                  _money(t["amount"], f"{tw}.amount"), _money(t.get("fee", "0"), f"{tw}.fee")))
    return result


def _restock(rl: dict[str, Any], where: str) -> bool:
    """``restock: false``: the refunded units do not go back to stock (``NO_RESTOCK``)."""
    restock = rl.get("restock", True)
    if not isinstance(restock, bool):
        raise StoreFileError(f"{where}.restock: expected true or false, got {restock!r}")
    return restock


def _refund_extras(r: dict[str, Any], refund: Refund, order: Order, where: str) -> None:
    """A refund's ``amount`` (money given back for no line: an appeasement) and ``shipping_tax``
    (default: the order's shipping tax in proportion to the shipping refunded)."""
    refund.taxes_included = order.taxes_included
    refund.amount_only = _money(r.get("amount", "0"), f"{where}.amount")
    if r.get("shipping_tax") is not None:
        refund.shipping_tax = _money(r["shipping_tax"], f"{where}.shipping_tax")
    elif refund.shipping and order.shipping:
        refund.shipping_tax = money(order.shipping_tax * refund.shipping / order.shipping)
    if refund.total <= 0 and not refund.lines:
        raise StoreFileError(f"{where}: a refund needs lines, shipping or an amount")


def _line_duties(entries: list[dict[str, Any]], lines: list[LineItem], where: str) -> None:
    """``duties`` on a line: customs duties charged on it at checkout (Shopify ``LineItem.duties``)."""
    for j, (entry, line) in enumerate(zip(entries, lines)):
        line.duties = _money(entry.get("duties", "0"), f"{where}.lines[{j}].duties")


def _additional_fees(o: dict[str, Any], order: Order, where: str, ids: _Ids) -> None:
    """``additional_fees: [{name, amount}]``: fees charged at checkout besides shipping and duties
    (Shopify ``Order.additionalFees``, e.g. a fee a country levies on imports)."""
    for k, fee in enumerate(o.get("additional_fees") or []):
        fw = f"{where}.additional_fees[{k}]"
        if "amount" not in fee:
            raise StoreFileError(f"{fw}: needs an amount")
        order.additional_fees.append(AdditionalFee(ids.next("additional_fee", 3_300_000_000), str(fee.get("name", "Additional fee")),
                                                   _money(fee["amount"], f"{fw}.amount")))


def _refund_duties_and_fee(r: dict[str, Any], refund: Refund, rw: str) -> None:
    """``duties`` given back with a refund, and a ``return_fee`` the shop kept (``return_fee_kind``
    ``restocking`` or ``return_shipping``), deducted from the money that goes back."""
    refund.duties = _money(r.get("duties", "0"), f"{rw}.duties")
    refund.return_fee = _money(r.get("return_fee", "0"), f"{rw}.return_fee")
    refund.return_fee_kind = str(r.get("return_fee_kind", "restocking"))
    if refund.return_fee_kind not in ("restocking", "return_shipping"):
        raise StoreFileError(f"{rw}.return_fee_kind: expected restocking or return_shipping, got {refund.return_fee_kind!r}")


def _edits(o: dict[str, Any], order: Order, where: str, products: dict[str, Product], ids: _Ids, gateway: str | None) -> None:
    """``edits: [{at, add: [{sku, quantity, ...}], remove: [{line | sku, quantity}]}]``: Shopify order
    edits. Added lines are new line items sold on the edit day (a paid order is charged the
    difference, as ``StoreGenerator.edit`` does); removed units leave ``currentQuantity`` and the
    order's totals without any refund."""
    for k, e in enumerate(o.get("edits") or []):
        ew = f"{where}.edits[{k}]"
        edit = OrderEdit(ids.next("order_edit", 5_500_000_000), _ts(e.get("at"), f"{ew}.at"))
        by_position = dict(enumerate(order.lines))
        by_sku = {li.product.sku: li for li in order.lines}
        for m, rm in enumerate(e.get("remove") or []):
            line = by_sku.get(rm.get("sku")) if "sku" in rm else by_position.get(rm.get("line"))
            if line is None:
                raise StoreFileError(f"{ew}.remove[{m}]: name the line by sku or by position (line: 0)")
            quantity = int(rm.get("quantity", 1))
            if not 0 < quantity <= line.quantity - order.removed_quantity(line.line_item_id):
                raise StoreFileError(f"{ew}.remove[{m}]: cannot remove {quantity} of the line's {line.quantity} units")
            edit.removed.append((line.line_item_id, quantity, money((line.gross - line.discount) * quantity / line.quantity),
                                 money(line.tax * quantity / line.quantity)))
        added = Decimal("0.00")
        for m, li in enumerate(e.get("add") or []):
            lw = f"{ew}.add[{m}]"
            product = products.get(li.get("sku"))
            if product is None:
                raise StoreFileError(f"{lw}: unknown sku {li.get('sku')!r} (add it under products)")
            line = LineItem(ids.next("line_item", 15_500_000_000), product, int(li.get("quantity", 1)),
                            _money(li.get("price", product.price), f"{lw}.price"), _money(li.get("discount", "0"), f"{lw}.discount"),
                            _money(li.get("tax", "0"), f"{lw}.tax"), duties=_money(li.get("duties", "0"), f"{lw}.duties"),
                            added_at=edit.at)
            order.lines.append(line)
            edit.added.append(line.line_item_id)
            added += line.gross - line.discount + (Decimal("0.00") if order.taxes_included else line.tax) + line.duties
        order.edits.append(edit)
        if gateway and added > 0:
            order.transactions.append(Transaction(ids.next("transaction", 7_420_000_000_000), "SALE", "SUCCESS", gateway, edit.at,
                                                  added, _money(e.get("fee", "0"), f"{ew}.fee")))


def load_store(path: str | Path) -> Store:
    """Read a store file (``.json``, ``.yml`` or ``.yaml``).

    Raises:
        StoreFileError: the file is missing, unparsable, or an entry is wrong (named in the message).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StoreFileError(f"{path}: cannot read the store file ({exc.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise StoreFileError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'} ({exc})") from None
    if not isinstance(data, dict):
        raise StoreFileError(f"{path}: expected a mapping with shop, products, customers and orders")
    return store_from_dict(data, str(path))
