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

ORDERS_QUERY = f"""
query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
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
      lineItems(first: {LINE_ITEMS_PER_ORDER}) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {LINE_ITEM_FIELDS} }}
      }}
      shippingLines(first: 5) {{
        nodes {{ id title code originalPriceSet {{ {MONEY} }} discountedPriceSet {{ {MONEY} }} }}
      }}
      refunds(first: 20) {{
        id createdAt processedAt note
        totalRefundedSet {{ {MONEY} }}
        refundLineItems(first: {LINE_ITEMS_PER_ORDER}) {{
          nodes {{
            id quantity restockType
            lineItem {{ id }}
            subtotalSet {{ {MONEY} }}
            totalTaxSet {{ {MONEY} }}
          }}
        }}
        refundShippingLines(first: 5) {{
          nodes {{ id subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }}
        }}
      }}
      transactions(first: 20) {{
        id kind status gateway test processedAt
        amountSet {{ {MONEY} }}
        fees {{ type rate amount {{ amount currencyCode }} }}
      }}
    }}
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
