"""The CSV file drop derived from the core store: inventory snapshots and shipping costs.

``write_drop(store, folder)`` writes what a warehouse system and a shipping tool would export:

- ``inventory_YYYY-MM-DD.csv`` (``sku,on_hand,unit_cost,reorder_point,lead_time_days``), one per
  store-local day for the last 14 days of history. Stock is simulated from the first day of
  history: each day's units sold (net of returns) deplete it, and a SKU is restocked to its
  order-up-to level when it falls to 1.2 × its reorder point. The reorder point is the trailing
  28-day velocity × (lead time + safety days) + 2; the unit cost is the Shopify unit cost.
- ``shipping_costs_YYYY-MM.csv`` (``order_id,carrier,label_cost``): one label per shipped order
  (not test, not cancelled, at least one non-gift-card line), in the month the order was placed
  (store time). ``order_id`` is the Shopify order name (``#1042``). The label cost grows with the
  order's total weight (``weight_grams`` × quantity): USPS up to 1 kg, UPS up to 5 kg, FedEx above.

Planted truths, exposed by ``planted_file_truths(store)`` (tests assert the dashboards find them):

- five SKUs are **below their reorder point** on the last snapshot (their buyer raised the point
  above what the supplier delivers);
- exactly three of the ten best-selling SKUs by units have a positive gross margin but a
  **negative contribution margin**: their cartons are oversize, and each unit adds a dimensional
  surcharge to the order's label. Contribution margin follows metrics.md: gross margin + shipping
  revenue − shipping cost − payment fees, with an order's shipping revenue and label cost
  allocated to its lines by weight share and its payment fees by line revenue share.

Everything is a deterministic function of the store (same seed, same bytes), cached by
``store.revision``. When ``store.extras["files"]`` is set it is written instead: a dict of file
name to a list of row dicts (see docs/sandbox/files.md).
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storeboard.sandbox.store import Order, Product, Store, money

INVENTORY_COLUMNS = ("sku", "on_hand", "unit_cost", "reorder_point", "lead_time_days")
SHIPPING_COLUMNS = ("order_id", "carrier", "label_cost")
SNAPSHOT_DAYS = 14
VELOCITY_DAYS = 28
LOW_STOCK_COUNT = 5
LOSS_MAKER_COUNT = 3
TOP_SKU_COUNT = 10
#: carrier -> (most grams, base, per kg)
CARRIERS = (("USPS", 1000, Decimal("4.10"), Decimal("1.10")), ("UPS", 5000, Decimal("6.20"), Decimal("0.80")),
            ("FedEx", 10**9, Decimal("7.50"), Decimal("0.70")))
ZERO = Decimal("0")


@dataclass(frozen=True)
class SkuMargin:
    """One SKU's margin over the whole history (shop currency, non-test orders, gift cards excluded)."""

    units: int
    net_revenue: Decimal
    cogs: Decimal
    gross_margin: Decimal
    shipping_revenue: Decimal
    shipping_cost: Decimal
    payment_fees: Decimal
    contribution_margin: Decimal


@dataclass
class FileTruths:
    """What the file drop plants, for tests to find in the marts."""

    #: date of the last inventory snapshot (store time)
    last_snapshot_date: date
    #: SKUs with on_hand below their reorder point on the last snapshot
    low_stock_skus: list[str]
    #: the ten best-selling SKUs by units (sold − returned), best first
    top_skus: list[str]
    #: the three of ``top_skus`` with gross margin > 0 and contribution margin < 0
    loss_making_skus: list[str]
    #: every SKU's margin, shipping allocated by weight share
    margins: dict[str, SkuMargin] = field(default_factory=dict)


@dataclass
class _Plan:
    labels: dict[int, tuple[str, Decimal]]  # order_id -> (carrier, label cost)
    surcharges: dict[str, Decimal]  # sku -> per-unit oversize surcharge
    snapshots: dict[date, list[tuple[str, int, Decimal | None, int, int]]]
    low_stock: list[str]


_CACHE: dict[int, tuple[tuple, _Plan]] = {}


def write_drop(store: Store, folder: Path) -> list[Path]:
    """Write the inventory snapshot and shipping-cost CSVs for ``store`` into ``folder``.

    Files whose content is unchanged are not rewritten. Returns every file of the drop, sorted.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(drop_files(store).items()):
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written


def drop_files(store: Store) -> dict[str, str]:
    """File name -> CSV text of the whole drop."""
    if store.extras.get("files"):
        return {name: _csv(list(rows[0]) if rows else [], [list(r.values()) for r in rows])
                for name, rows in store.extras["files"].items()}
    plan = _plan(store)
    files = {}
    for day, rows in plan.snapshots.items():
        files[f"inventory_{day.isoformat()}.csv"] = _csv(
            INVENTORY_COLUMNS, [(sku, on_hand, "" if cost is None else f"{cost:.2f}", rp, lead) for sku, on_hand, cost, rp, lead in rows])
    months: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
    zone = ZoneInfo(store.shop.timezone)
    for order in store.orders:
        label = plan.labels.get(order.order_id)
        if label:
            month = order.processed_at.astimezone(zone).strftime("%Y-%m")
            months[month].append((order.number, order.name, label[0], f"{label[1]:.2f}"))
    for month, rows in months.items():
        files[f"shipping_costs_{month}.csv"] = _csv(SHIPPING_COLUMNS, [r[1:] for r in sorted(rows)])
    return files


def planted_file_truths(store: Store) -> FileTruths:
    """The truths the drop plants for ``store`` (computed here in Python, independently of SQL)."""
    plan = _plan(store)
    last_day = max(plan.snapshots)
    margins = sku_margins(store, {o: c for o, (_, c) in plan.labels.items()})
    top = _top_skus(margins)
    return FileTruths(
        last_snapshot_date=last_day,
        low_stock_skus=sorted(sku for sku, on_hand, _, rp, _ in plan.snapshots[last_day] if on_hand < rp),
        top_skus=top,
        loss_making_skus=[s for s in top if margins[s].gross_margin > 0 and margins[s].contribution_margin < 0],
        margins=margins,
    )


# -- margins -----------------------------------------------------------------------------------
def _shipped(order: Order) -> bool:
    return not order.test and order.cancelled_at is None and any(not li.product.is_gift_card for li in order.lines)


def _shares(order: Order, by: str) -> list[Decimal]:
    """Each line's share of the order's shipping: by weight, else (no weight) by quantity."""
    weights = [Decimal(li.quantity * li.product.weight_grams) for li in order.lines]
    if by == "quantity" or not sum(weights):
        weights = [Decimal(li.quantity) for li in order.lines]
    total = sum(weights)
    return [w / total for w in weights]


def sku_margins(store: Store, label_costs: dict[int, Decimal] | None = None, by: str = "weight") -> dict[str, SkuMargin]:
    """Per-SKU margins over the whole history, as metrics.md defines them.

    Args:
        store: the store.
        label_costs: order id -> shipping cost (default: the drop's label costs).
        by: ``weight`` (the definition) or ``quantity`` share for shipping allocation.
    """
    if label_costs is None:
        label_costs = {o: c for o, (_, c) in _plan(store).labels.items()}
    acc: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for order in store.orders:
        if order.test:
            continue
        refunded_qty: dict[int, int] = defaultdict(int)
        refunded_value: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for refund in order.refunds:
            for rl in refund.lines:
                refunded_qty[rl.line_item_id] += rl.quantity
                refunded_value[rl.line_item_id] += rl.subtotal
        shipping_revenue = order.shipping - sum((r.shipping for r in order.refunds), ZERO)
        fees = sum((t.fee for t in order.transactions if t.kind == "SALE"), ZERO)
        revenue = [li.gross - li.discount for li in order.lines]
        revenue_total = sum(revenue)
        shares = _shares(order, by)
        cost = label_costs.get(order.order_id, ZERO)
        for li, share, line_revenue in zip(order.lines, shares, revenue):
            if li.product.is_gift_card:
                continue
            a = acc[li.product.sku]
            units = li.quantity - refunded_qty[li.line_item_id]
            a["units"] += units
            a["net_revenue"] += line_revenue - refunded_value[li.line_item_id]
            a["cogs"] += units * (li.product.unit_cost or ZERO)
            a["shipping_revenue"] += shipping_revenue * share
            a["shipping_cost"] += cost * share
            a["payment_fees"] += fees * line_revenue / revenue_total if revenue_total else ZERO
    out = {}
    for sku, a in acc.items():
        net, cogs = money(a["net_revenue"]), money(a["cogs"])
        ship_rev, ship_cost, fees = money(a["shipping_revenue"]), money(a["shipping_cost"]), money(a["payment_fees"])
        out[sku] = SkuMargin(int(a["units"]), net, cogs, net - cogs, ship_rev, ship_cost, fees,
                             net - cogs + ship_rev - ship_cost - fees)
    return out


def _top_skus(margins: dict[str, SkuMargin]) -> list[str]:
    return sorted(margins, key=lambda s: (-margins[s].units, s))[:TOP_SKU_COUNT]


# -- the plan: labels, surcharges, snapshots ---------------------------------------------------
def _plan(store: Store) -> _Plan:
    key = (store.revision, len(store.orders), len(store.products), store.seed)
    cached = _CACHE.get(id(store))
    if cached and cached[0] == key:
        return cached[1]
    base = {o.order_id: _base_label(store, o) for o in store.orders if _shipped(o)}
    surcharges = _calibrate_surcharges(store, {k: v[1] for k, v in base.items()})
    labels = {}
    for order in store.orders:
        if order.order_id in base:
            carrier, cost = base[order.order_id]
            extra = sum((surcharges.get(li.product.sku, ZERO) * li.quantity for li in order.lines), ZERO)
            labels[order.order_id] = (carrier, money(cost + extra))
    snapshots, low = _snapshots(store)
    plan = _Plan(labels, surcharges, snapshots, low)
    _CACHE[id(store)] = (key, plan)
    return plan


def _base_label(store: Store, order: Order) -> tuple[str, Decimal]:
    grams = sum(li.quantity * li.product.weight_grams for li in order.lines if not li.product.is_gift_card)
    carrier, _, fixed, per_kg = next(c for c in CARRIERS if grams <= c[1])
    jitter = Decimal(random.Random(f"{store.seed}:files:label:{order.order_id}").randint(95, 105)) / 100
    return carrier, money((fixed + per_kg * Decimal(grams) / 1000) * jitter)


def _calibrate_surcharges(store: Store, base: dict[int, Decimal]) -> dict[str, Decimal]:
    """Per-unit oversize surcharges that make exactly three top sellers lose money once shipped.

    The three heaviest of the ten best sellers with a positive gross margin are tried first. The
    surcharge starts at 60% of the price (at least 8.00) and grows until the SKU's contribution
    margin is clearly negative under both weight- and quantity-share allocation, while every other
    top seller stays clearly positive; otherwise the next candidate trio is tried.
    """
    margins = {by: sku_margins(store, base, by) for by in ("weight", "quantity")}
    top = _top_skus(margins["weight"])
    products = {p.sku: p for p in store.products}
    candidates = sorted((s for s in top if margins["weight"][s].gross_margin > 0),
                        key=lambda s: (-products[s].weight_grams, top.index(s)))
    trios = [candidates[i:i + LOSS_MAKER_COUNT] for i in range(0, max(1, len(candidates) - LOSS_MAKER_COUNT + 1))]
    for trio in trios:
        if len(trio) < LOSS_MAKER_COUNT:
            break
        loads = {by: _surcharge_loads(store, trio, by) for by in margins}
        rates = {s: max(money(products[s].price * Decimal("0.6")), Decimal("8.00")) for s in trio}
        for _ in range(30):
            cm = {by: {s: margins[by][s].contribution_margin - sum((rates[k] * loads[by][s][k] for k in trio), ZERO)
                       for s in top} for by in margins}
            short = [s for s in trio if any(cm[by][s] >= -margins["weight"][s].net_revenue * Decimal("0.08") for by in cm)]
            harmed = [s for s in top if s not in trio and margins["weight"][s].gross_margin > 0
                      and any(cm[by][s] <= margins["weight"][s].net_revenue * Decimal("0.03") for by in cm)]
            if harmed:
                break
            if not short:
                return rates
            for s in short:
                rates[s] = money(rates[s] * Decimal("1.3"))
    return {}


def _surcharge_loads(store: Store, trio: list[str], by: str) -> dict[str, dict[str, Decimal]]:
    """sku j -> sku k -> the share of k's per-unit surcharges that allocation puts on j (in units)."""
    loads: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for order in store.orders:
        if not _shipped(order):
            continue
        units = {k: sum(li.quantity for li in order.lines if li.product.sku == k) for k in trio}
        if not any(units.values()):
            continue
        for li, share in zip(order.lines, _shares(order, by)):
            for k, q in units.items():
                if q:
                    loads[li.product.sku][k] += q * share
    return loads


def _snapshots(store: Store) -> tuple[dict[date, list[tuple[str, int, Decimal | None, int, int]]], list[str]]:
    zone = ZoneInfo(store.shop.timezone)
    net: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sold: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    last = None
    for order in store.orders:
        if order.test:
            continue
        day = order.processed_at.astimezone(zone).date()
        last = max(last or day, day)
        for li in order.lines:
            net[day][li.product.sku] += li.quantity
            sold[day][li.product.sku] += li.quantity
        skus = {li.line_item_id: li.product.sku for li in order.lines}
        for refund in order.refunds:
            rday = refund.created_at.astimezone(zone).date()
            last = max(last, rday)
            for rl in refund.lines:
                net[rday][skus[rl.line_item_id]] -= rl.quantity
    products = sorted((p for p in store.products if not p.is_gift_card), key=lambda p: p.sku)
    if last is None or not products:
        return {}, []
    first = min(net)
    ranked = [p.sku for p in store.products if not p.is_gift_card][:40]
    low = set(random.Random(f"{store.seed}:files:lowstock").sample(ranked, min(LOW_STOCK_COUNT, len(ranked) // 3 or 1)))
    params = {p.sku: _sku_params(store, p) for p in products}
    on_hand: dict[str, int] = {}
    window: dict[str, list[int]] = {p.sku: [] for p in products}
    snapshots = {}
    day = first
    while day <= last:
        rows = []
        for p in products:
            lead, safety = params[p.sku]
            recent = window[p.sku]
            recent.append(sold[day].get(p.sku, 0) if day in sold else 0)
            if len(recent) > VELOCITY_DAYS:
                recent.pop(0)
            velocity = sum(recent) / len(recent)
            rp = math.ceil(velocity * (lead + safety)) + 2
            target = 2 * rp + math.ceil(velocity * 14) + 5
            stock = on_hand.get(p.sku, target) - (net[day].get(p.sku, 0) if day in net else 0)
            if p.sku in low:
                if stock <= rp // 3:
                    stock = max(stock, int(rp * 0.8))
                shown_rp = max(rp + math.ceil(velocity * 7) + 3, stock + 1)
            else:
                if stock <= math.ceil(1.2 * rp):
                    stock = target
                shown_rp = rp
            on_hand[p.sku] = stock
            rows.append((p.sku, stock, p.unit_cost, shown_rp, lead))
        if day > last - timedelta(days=SNAPSHOT_DAYS):
            snapshots[day] = rows
        day += timedelta(days=1)
    return snapshots, sorted(low)


def _sku_params(store: Store, product: Product) -> tuple[int, int]:
    rng = random.Random(f"{store.seed}:files:sku:{product.sku}")
    return rng.choice([7, 10, 14, 21]), rng.choice([3, 5, 7])


def _csv(header: Any, rows: list[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
