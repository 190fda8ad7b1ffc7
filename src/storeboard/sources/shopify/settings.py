"""Shopify connector constants: endpoints, page sizes, and the GraphQL documents it sends.

Every document here is validated against the official Admin schema in the test suite.
"""

GRAPHQL_PATH = "/admin/api/{version}/graphql.json"
#: The real single-query cap (shopify.dev, "GraphQL Admin API rate limits"): a query whose
#: requested cost is above it is refused with MAX_COST_EXCEEDED, whatever the plan.
MAX_QUERY_COST = 1000
#: Line items and shipping lines read with each order on a page. Each line item costs 15 points
#: per requested slot (it selects seven objects), so these stay small and the orders page stays
#: large; longer orders page through the rest with the follow-up documents below.
LINE_ITEMS_PER_ORDER = 5
SHIPPING_LINES_PER_ORDER = 2
#: Starting sizes of the follow-up pages (shrunk by the client when Shopify reports a larger cost).
LINE_ITEMS_PER_PAGE = 60
REFUND_LINES_PER_REFUND = 100
REFUND_SHIPPING_LINES_PER_REFUND = 10
#: Longest the client waits for the cost bucket to refill before failing the source.
MAX_THROTTLE_WAIT_SECONDS = 120.0

MONEY = "shopMoney { amount currencyCode }"
#: An order total in both currencies: what the books hold and what the customer paid in (an order
#: in GBP in a EUR shop). One more object (1 point) per order each, so only the totals carry it.
BOTH_MONEYS = f"{MONEY} presentmentMoney {{ amount currencyCode }}"

SHOP_QUERY = """
query Shop {
  shop { id name myshopifyDomain ianaTimezone currencyCode }
}
"""

SHIPPING_LINE_FIELDS = f"id title code originalPriceSet {{ {MONEY} }} discountedPriceSet {{ {MONEY} }}"
REFUND_LINE_FIELDS = f"""
  id quantity restockType
  lineItem {{ id }}
  subtotalSet {{ {MONEY} }}
  totalTaxSet {{ {MONEY} }}
"""
REFUND_SHIPPING_LINE_FIELDS = f"id subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }}"

LINE_ITEM_FIELDS = f"""
  id sku name quantity currentQuantity isGiftCard requiresShipping taxable
  originalUnitPriceSet {{ {MONEY} }}
  totalDiscountSet {{ {MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
  taxLines {{ title rate priceSet {{ {MONEY} }} }}
  variant {{ id sku inventoryItem {{ id unitCost {{ amount currencyCode }} }} }}
  product {{ id }}
"""

def order_fields(paged: bool) -> str:
    """The order selection. ``paged`` reads connections with ``first`` and ``nodes`` (normal
    queries); otherwise as a bulk query must: no ``first``, ``edges { node }`` (shopify.dev,
    "Perform bulk operations with the GraphQL Admin API").

    Refunds are a list (``[Refund!]!``), and a bulk query may not hold a connection inside a list,
    so the refunds' own connections (line items, shipping lines) are read afterwards for the
    orders that have refunds (``ORDER_REFUND_DETAILS_QUERY``), in both paths.
    """

    def connection(name: str, size: int, fields: str) -> str:
        if paged:
            return f"{name}(first: {size}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }}"
        return f"{name} {{ edges {{ node {{ {fields} }} }} }}"

    return f"""
      id legacyResourceId name createdAt updatedAt processedAt cancelledAt cancelReason test
      currencyCode presentmentCurrencyCode sourceName tags taxesIncluded discountCodes
      displayFinancialStatus email
      subtotalPriceSet {{ {MONEY} }}
      totalPriceSet {{ {BOTH_MONEYS} }}
      totalDiscountsSet {{ {MONEY} }}
      totalShippingPriceSet {{ {MONEY} }}
      totalTaxSet {{ {MONEY} }}
      totalRefundedSet {{ {BOTH_MONEYS} }}
      customer {{ id }}
      customerJourneySummary {{
        ready
        firstVisit {{ occurredAt source landingPage utmParameters {{ source medium campaign content term }} }}
      }}
      {connection("lineItems", LINE_ITEMS_PER_ORDER, LINE_ITEM_FIELDS)}
      {connection("shippingLines", SHIPPING_LINES_PER_ORDER, SHIPPING_LINE_FIELDS)}
      refunds {{ id createdAt processedAt note totalRefundedSet {{ {MONEY} }} }}
      transactions {{
        id kind status gateway test processedAt
        amountSet {{ {MONEY} }}
        fees {{ type rate amount {{ amount currencyCode }} }}
      }}
      edited
      originalTotalDutiesSet {{ {MONEY} }}
      currentTotalDutiesSet {{ {MONEY} }}
      originalTotalAdditionalFeesSet {{ {MONEY} }}
      currentTotalAdditionalFeesSet {{ {MONEY} }}
"""


ORDERS_QUERY = f"""
query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {order_fields(paged=True)} }}
  }}
}}
"""

def follow_up_query(root: str, connection: str, fields: str) -> str:
    """A document reading one more page of ``connection`` on the object ``root(id:)``; the client
    pages it (``$first`` chosen to fit the cost cap) when a nested connection had more."""
    return f"""
query FollowUp($id: ID!, $first: Int!, $after: String) {{
  {root}(id: $id) {{
    {connection}(first: $first, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {fields} }}
    }}
  }}
}}
"""


ORDER_LINE_ITEMS_QUERY = follow_up_query("order", "lineItems", LINE_ITEM_FIELDS)
ORDER_SHIPPING_LINES_QUERY = follow_up_query("order", "shippingLines", SHIPPING_LINE_FIELDS)
REFUND_LINE_ITEMS_QUERY = follow_up_query("refund", "refundLineItems", REFUND_LINE_FIELDS)
REFUND_SHIPPING_LINES_QUERY = follow_up_query("refund", "refundShippingLines", REFUND_SHIPPING_LINE_FIELDS)

#: The refunds of one order with their line items and shipping lines (the part a bulk query
#: cannot read); refunds with more than these pages continue with the two documents above.
ORDER_REFUND_DETAILS_QUERY = f"""
query OrderRefunds($id: ID!) {{
  order(id: $id) {{
    id
    refunds {{
      id
      refundLineItems(first: {REFUND_LINES_PER_REFUND}) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {REFUND_LINE_FIELDS} }}
      }}
      refundShippingLines(first: {REFUND_SHIPPING_LINES_PER_REFUND}) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {REFUND_SHIPPING_LINE_FIELDS} }}
      }}
      duties {{ amountSet {{ {MONEY} }} }}
    }}
  }}
}}
"""

#: Shopify's sales ledger (``Order.agreements``: one agreement per placement, edit, refund or
#: return, each with its sales), read for orders that were edited or refunded: it dates an edit's
#: added lines and removed units, and holds the return fees a refund kept (``FeeSale``). The
#: ``query`` is ``happened_at:>'<processedAt>'`` (a filter the schema documents on
#: ``Order.agreements``), which leaves out the placement's agreement, whose sales are the order's
#: lines already read. 5 agreements of 25 sales request 773 points.
AGREEMENTS_PER_PAGE = 5
SALES_PER_AGREEMENT = 25
SALE_FIELDS = f"""
  id actionType lineType quantity
  totalAmount {{ {MONEY} }}
  totalTaxAmount {{ {MONEY} }}
  ... on ProductSale {{ lineItem {{ id }} }}
"""
ORDER_AGREEMENTS_QUERY = f"""
query OrderAgreements($id: ID!, $query: String, $after: String) {{
  order(id: $id) {{
    id
    agreements(first: {AGREEMENTS_PER_PAGE}, after: $after, query: $query) {{
      pageInfo {{ hasNextPage endCursor }}
      edges {{
        cursor
        node {{
          id happenedAt reason
          ... on RefundAgreement {{ refund {{ id }} }}
          sales(first: {SALES_PER_AGREEMENT}) {{
            pageInfo {{ hasNextPage endCursor }}
            nodes {{ {SALE_FIELDS} }}
          }}
        }}
      }}
    }}
  }}
}}
"""
#: The rest of one agreement's sales: agreements have no ``id`` lookup, so the agreement is the
#: one after ``$agreementAfter`` (the cursor before it, null for the first) in the same filter.
AGREEMENT_SALES_QUERY = f"""
query AgreementSales($id: ID!, $query: String, $agreementAfter: String, $first: Int!, $after: String) {{
  order(id: $id) {{
    agreements(first: 1, after: $agreementAfter, query: $query) {{
      nodes {{
        sales(first: $first, after: $after) {{
          pageInfo {{ hasNextPage endCursor }}
          nodes {{ {SALE_FIELDS} }}
        }}
      }}
    }}
  }}
}}
"""
SALES_PER_PAGE = 100

CUSTOMERS_QUERY = """
query Customers($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id createdAt updatedAt firstName lastName state tags verifiedEmail
      numberOfOrders
      amountSpent { amount currencyCode }
      defaultEmailAddress { emailAddress marketingState }
      defaultPhoneNumber { phoneNumber }
    }
  }
}
"""

VARIANTS_QUERY = """
query Variants($first: Int!, $after: String) {
  productVariants(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id sku title displayName price taxable createdAt updatedAt
      product { id title handle productType vendor isGiftCard status }
      inventoryItem {
        id tracked requiresShipping
        unitCost { amount currencyCode }
        measurement { weight { unit value } }
      }
    }
  }
}
"""

BULK_RUN_MUTATION = """
mutation BulkOrders($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_POLL_QUERY = """
query BulkStatus($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount rootObjectCount url partialDataUrl }
  }
}
"""

#: Seconds between two polls of a running bulk operation, and the longest wait for one.
BULK_POLL_SECONDS = 1.0
BULK_MAX_WAIT_SECONDS = 6 * 3600.0


def bulk_orders_query(updated_since: str) -> str:
    """The bulk query document for orders updated at or after ``updated_since``."""
    # Three connections, nested two deep: within Shopify's bulk limits. Line items and shipping
    # lines come back as their own JSONL lines with __parentId; refunds and transactions (lists)
    # stay inline in their order's line.
    search = f"updated_at:>='{updated_since}'"
    return f'{{ orders(query: "{search}", sortKey: UPDATED_AT) {{ edges {{ node {{ {order_fields(paged=False)} }} }} }} }}'

ORDER_QUERY = f"""
query Order($id: ID!) {{
  order(id: $id) {{ {order_fields(paged=True)} }}
}}
"""

#: Orders held back while reassembling a bulk result, waiting for children that come late.
BULK_REASSEMBLY_WINDOW = 2000

SCOPES_QUERY = """
query Scopes {
  currentAppInstallation { accessScopes { handle } }
}
"""

#: The access scopes the documents above need, with what is lost without each. Derived from the
#: official schema's ``offline_scopes`` for every type and field they select (a test keeps this
#: in step). ``read_products`` also covers inventory items (either it or ``read_inventory``).
SCOPES = {
    "read_orders": "orders, their lines, refunds and transactions (every revenue number)",
    "read_customers": "customers and each order's customer (LTV, cohorts, repeat rate, CAC)",
    "read_products": "product variants, unit costs and each line's variant (COGS, margins, inventory)",
}
#: Without it Shopify serves only the orders of the last 60 days, without an error.
READ_ALL_ORDERS = "read_all_orders"
RECENT_ORDER_DAYS = 60

#: The app's bulk query operations, newest first (``bulkOperations``, API 2026-01 and later, where
#: up to five run at once); earlier versions run one, read through ``currentBulkOperation``.
BULK_OPERATIONS_QUERY = """
query BulkOperations {
  bulkOperations(first: 10, query: "operation_type:query") {
    nodes { id status query createdAt url }
  }
}
"""
CURRENT_BULK_QUERY = """
query CurrentBulk {
  currentBulkOperation(type: QUERY) { id status query createdAt url }
}
"""
BULK_CANCEL_MUTATION = """
mutation CancelBulk($id: ID!) {
  bulkOperationCancel(id: $id) {
    bulkOperation { id status }
    userErrors { field message }
  }
}
"""
#: The API version from which a shop runs five bulk queries at once (one before).
BULK_CONCURRENT_FROM = "2026-01"
#: Longest a backfill waits for a bulk slot held by another of the app's operations.
BULK_SLOT_WAIT_SECONDS = 600.0
