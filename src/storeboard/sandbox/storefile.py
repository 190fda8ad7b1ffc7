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

from storeboard.errors import ConfigError
from storeboard.sandbox.store import (
    AdditionalFee,
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
    return Store(shop, list(products.values()), list(customers.values()), orders, seed=int(data.get("seed", 0)),
                 extras=dict(data.get("extras") or {}))


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
    _additional_fees(o, order, where, ids)
    gateway = o.get("gateway", "stripe")
    paid = not o.get("unpaid", False)
    if paid:
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
                                           _money(rl.get("tax", money(line.tax * quantity / line.quantity)), f"{rw}.lines[{m}].tax")))
        refund = Refund(ids.next("refund", 9_100_000_000), at, refund_lines, _money(r.get("shipping", "0"), f"{rw}.shipping"))
        _refund_duties_and_fee(r, refund, rw)
        order.refunds.append(refund)
        if paid and refund.total > 0:
            order.transactions.append(Transaction(ids.next("transaction", 7_420_000_000_000), "REFUND", "SUCCESS", gateway, at,
                                                  refund.total, Decimal("0.00")))
    events = [processed, order.cancelled_at, *(r.created_at for r in order.refunds), *(e.at for e in order.edits)]
    order.updated_at = _ts(o["updated_at"], f"{where}.updated_at") if o.get("updated_at") else max(e for e in events if e)
    return order


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
                            _money(li.get("tax", "0"), f"{lw}.tax"), _money(li.get("duties", "0"), f"{lw}.duties"), edit.at)
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
