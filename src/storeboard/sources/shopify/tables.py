"""Shopify orders and customers as the raw tables' Arrow tables.

An order becomes one row of ``orders`` and rows of its child tables (lines, their tax lines,
shipping lines, refunds with their lines and shipping lines, transactions with their fees).
Every child row carries ``order_id``, and each child table is merged by it (``ChildTable``):
loading an order again replaces all of its rows in every child table.

The tables keep the fields the models read plus identifiers; a field to add is one path here.
"""

from __future__ import annotations

from typing import Any

from storeboard.sources.arrow_tables import Shape, child_table, nested_items
from storeboard.sources.quarantine import RecordProblem

ORDERS = Shape(
    "orders",
    text=("id", "legacyResourceId", "name", "displayFinancialStatus", "cancelReason", "currencyCode",
          "presentmentCurrencyCode", "sourceName", "customer.id",
          "subtotalPriceSet.shopMoney.amount", "totalPriceSet.shopMoney.amount", "totalDiscountsSet.shopMoney.amount",
          "totalShippingPriceSet.shopMoney.amount", "totalTaxSet.shopMoney.amount", "totalRefundedSet.shopMoney.amount",
          "customerJourneySummary.firstVisit.source", "customerJourneySummary.firstVisit.landingPage",
          "customerJourneySummary.firstVisit.utmParameters.source",
          "customerJourneySummary.firstVisit.utmParameters.medium",
          "customerJourneySummary.firstVisit.utmParameters.campaign",
          "customerJourneySummary.firstVisit.utmParameters.content",
          "customerJourneySummary.firstVisit.utmParameters.term",
          "email", "totalPriceSet.presentmentMoney.amount", "totalRefundedSet.presentmentMoney.amount",
          "originalTotalDutiesSet.shopMoney.amount", "currentTotalDutiesSet.shopMoney.amount",
          "originalTotalAdditionalFeesSet.shopMoney.amount", "currentTotalAdditionalFeesSet.shopMoney.amount"),
    timestamp=("createdAt", "updatedAt", "processedAt", "cancelledAt", "customerJourneySummary.firstVisit.occurredAt"),
    bool=("test", "taxesIncluded", "customerJourneySummary.ready", "edited"),
    json=("tags", "discountCodes"),
)

CUSTOMERS = Shape(
    "customers",
    text=("id", "firstName", "lastName", "state", "numberOfOrders", "amountSpent.amount", "amountSpent.currencyCode",
          "defaultEmailAddress.emailAddress", "defaultEmailAddress.marketingState", "defaultPhoneNumber.phoneNumber"),
    timestamp=("createdAt", "updatedAt"),
    bool=("verifiedEmail",),
    json=("tags",),
)


def _numbered(order: dict[str, Any], parents: str, children: str, parent_key: str) -> list[dict[str, Any]]:
    """Rows of ``children`` under each of ``parents`` (no ids of their own): parent id and position."""
    rows = []
    for parent in order.get(parents) or []:
        for position, child in enumerate(parent.get(children) or []):
            rows.append(dict(child, **{parent_key: parent.get("id"), "orderId": order["id"], "position": position}))
    return rows


def _of_refunds(order: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [row for refund in order.get("refunds") or [] for row in refund.get(key) or []]


MONEY = "shopMoney.amount"
CHILD_TABLES = (
    child_table("orders__line_items", "lineItems[]", "orderId", ("id",), lambda o: o.get("lineItems") or [],
           text=("sku", "name", f"originalUnitPriceSet.{MONEY}", f"totalDiscountSet.{MONEY}", "variant.id", "variant.sku",
                 "variant.inventoryItem.id", "variant.inventoryItem.unitCost.amount",
                 "variant.inventoryItem.unitCost.currencyCode", "product.id"),
           bigint=("quantity", "currentQuantity"),
           bool=("isGiftCard", "requiresShipping", "taxable"),
           json=("discountAllocations",)),
    child_table("orders__line_items__tax_lines", "lineItems[].taxLines[]", "orderId", ("lineItemId", "position"),
           lambda o: _numbered(o, "lineItems", "taxLines", "lineItemId"),
           text=("title", f"priceSet.{MONEY}"), double=("rate",), bigint=("position",)),
    child_table("orders__shipping_lines", "shippingLines[]", "orderId", ("id",), lambda o: o.get("shippingLines") or [],
           text=("title", "code", f"originalPriceSet.{MONEY}", f"discountedPriceSet.{MONEY}")),
    child_table("orders__refunds", "refunds[]", "orderId", ("id",), lambda o: o.get("refunds") or [],
           text=("note", f"totalRefundedSet.{MONEY}"), timestamp=("createdAt", "processedAt")),
    child_table("orders__refunds__refund_line_items", "refunds[].refundLineItems[]", "orderId", ("id",),
           lambda o: _of_refunds(o, "refundLineItems"),
           text=("refundId", "restockType", "lineItem.id", f"subtotalSet.{MONEY}", f"totalTaxSet.{MONEY}"),
           bigint=("quantity",)),
    child_table("orders__refunds__refund_shipping_lines", "refunds[].refundShippingLines[]", "orderId", ("id",),
           lambda o: _of_refunds(o, "refundShippingLines"),
           text=("refundId", f"subtotalAmountSet.{MONEY}", f"taxAmountSet.{MONEY}")),
    child_table("orders__transactions", "transactions[]", "orderId", ("id",), lambda o: o.get("transactions") or [],
           text=("kind", "status", "gateway", f"amountSet.{MONEY}"), bool=("test",),
           timestamp=("processedAt",)),
    # refunded duties (Refund.duties) and Shopify's sales ledger after placement (ShopifyClient.flatten)
    child_table("orders__refunds__duties", "refunds[].duties[]", "orderId", ("refundId", "position"),
           lambda o: _numbered(o, "refunds", "duties", "refundId"),
           text=(f"amountSet.{MONEY}",), bigint=("position",)),
    child_table("orders__agreement_sales", "agreementSales[]", "orderId", ("id",), lambda o: o.get("agreementSales") or [],
           text=("agreementId", "refundId", "reason", "actionType", "lineType", "lineItem.id", f"totalAmount.{MONEY}",
                 f"totalTaxAmount.{MONEY}"),
           bigint=("quantity",), timestamp=("happenedAt",)),
    child_table("orders__transactions__fees", "transactions[].fees[]", "orderId", ("transactionId", "position"),
           lambda o: _numbered(o, "transactions", "fees", "transactionId"),
           text=("type", "rate", "amount.amount", "amount.currencyCode"), bigint=("position",)),
)


def order_items(orders: list[dict[str, Any]], tombstones: bool) -> tuple[list[Any], list[tuple[dict[str, Any], RecordProblem]]]:
    """The dlt items for ``orders`` (flattened by the client: child lists carry ``orderId``) and the
    orders that cannot be loaded with why; see ``nested_items``."""
    return nested_items(ORDERS, CHILD_TABLES, orders, tombstones)
