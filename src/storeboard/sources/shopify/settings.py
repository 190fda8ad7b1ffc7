"""Shopify connector constants: endpoints, page sizes, and the GraphQL documents it sends.

Every document here is validated against the official Admin schema in the test suite.
"""

GRAPHQL_PATH = "/admin/api/{version}/graphql.json"
#: Line items fetched with each order; longer orders page through the rest.
LINE_ITEMS_PER_ORDER = 25
#: The real single-query cap; the client shrinks the page when a query would exceed it.
MAX_QUERY_COST = 1000
#: Longest the client waits for the cost bucket to refill before failing the source.
MAX_THROTTLE_WAIT_SECONDS = 120.0

MONEY = "shopMoney { amount currencyCode }"

SHOP_QUERY = """
query Shop {
  shop { id name myshopifyDomain ianaTimezone currencyCode }
}
"""

LINE_ITEM_FIELDS = f"""
  id sku name quantity currentQuantity isGiftCard requiresShipping taxable
  originalUnitPriceSet {{ {MONEY} }}
  totalDiscountSet {{ {MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
  taxLines {{ rate priceSet {{ {MONEY} }} }}
  variant {{ id sku inventoryItem {{ id unitCost {{ amount currencyCode }} }} }}
  product {{ id }}
"""

def order_fields(paged: bool) -> str:
    """The order selection; ``paged`` adds the ``first`` arguments normal queries need (bulk
    queries read connections whole and must not page them)."""

    def first(n: int) -> str:
        return f"(first: {n})" if paged else ""

    page_info = "pageInfo { hasNextPage endCursor }" if paged else ""
    return f"""
      id legacyResourceId name createdAt updatedAt processedAt cancelledAt cancelReason test
      currencyCode presentmentCurrencyCode sourceName tags taxesIncluded discountCodes
      displayFinancialStatus
      subtotalPriceSet {{ {MONEY} }}
      totalPriceSet {{ {MONEY} }}
      totalDiscountsSet {{ {MONEY} }}
      totalShippingPriceSet {{ {MONEY} }}
      totalTaxSet {{ {MONEY} }}
      totalRefundedSet {{ {MONEY} }}
      customer {{ id }}
      customerJourneySummary {{
        ready
        firstVisit {{ occurredAt source landingPage utmParameters {{ source medium campaign content term }} }}
      }}
      lineItems{first(LINE_ITEMS_PER_ORDER)} {{
        {page_info}
        nodes {{ {LINE_ITEM_FIELDS} }}
      }}
      shippingLines{first(5)} {{
        nodes {{ id title code originalPriceSet {{ {MONEY} }} discountedPriceSet {{ {MONEY} }} }}
      }}
      refunds{first(20)} {{
        id createdAt processedAt note
        totalRefundedSet {{ {MONEY} }}
        refundLineItems{first(LINE_ITEMS_PER_ORDER)} {{
          nodes {{
            id quantity restockType
            lineItem {{ id }}
            subtotalSet {{ {MONEY} }}
            totalTaxSet {{ {MONEY} }}
          }}
        }}
        refundShippingLines{first(5)} {{
          nodes {{ id subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }}
        }}
      }}
      transactions{first(20)} {{
        id kind status gateway test processedAt
        amountSet {{ {MONEY} }}
        fees {{ type rate amount {{ amount currencyCode }} }}
      }}
"""


ORDERS_QUERY = f"""
query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {order_fields(paged=True)} }}
  }}
}}
"""

ORDER_LINE_ITEMS_QUERY = f"""
query OrderLineItems($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: 100, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {LINE_ITEM_FIELDS} }}
    }}
  }}
}}
"""

CUSTOMERS_QUERY = f"""
query Customers($first: Int!, $after: String, $query: String) {{
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id createdAt updatedAt firstName lastName state tags verifiedEmail
      numberOfOrders
      amountSpent {{ amount currencyCode }}
      defaultEmailAddress {{ emailAddress marketingState }}
      defaultPhoneNumber {{ phoneNumber }}
    }}
  }}
}}
"""

VARIANTS_QUERY = f"""
query Variants($first: Int!, $after: String) {{
  productVariants(first: $first, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id sku title displayName price taxable createdAt updatedAt
      product {{ id title handle productType vendor isGiftCard status }}
      inventoryItem {{
        id tracked requiresShipping
        unitCost {{ amount currencyCode }}
        measurement {{ weight {{ unit value }} }}
      }}
    }}
  }}
}}
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
    # Line items and shipping lines come back as their own JSONL lines with __parentId; the
    # refund connections, two levels down, stay inline in their order's line.
    search = f"updated_at:>='{updated_since}'"
    return f'{{ orders(query: "{search}", sortKey: UPDATED_AT) {{ edges {{ node {{ {order_fields(paged=False)} }} }} }} }}'

ORDER_QUERY = f"""
query Order($id: ID!) {{
  order(id: $id) {{ {order_fields(paged=True)} }}
}}
"""

#: Orders held back while reassembling a bulk result, waiting for children that come late.
BULK_REASSEMBLY_WINDOW = 2000
