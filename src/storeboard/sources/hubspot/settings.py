"""HubSpot connector constants: endpoints, the properties read per object, and paging limits."""

#: Date-based API version in the path (same payloads as the legacy ``/crm/v3`` paths).
API_VERSION = "2026-03"
OBJECTS_PATH = "/crm/objects/{version}/{object_type}"
SEARCH_PATH = "/crm/objects/{version}/{object_type}/search"
ASSOCIATIONS_PATH = "/crm/associations/{version}/{from_type}/{to_type}/batch/read"

#: The properties read for each object type (values always arrive as strings).
PROPERTIES = {
    "contacts": [
        "email", "firstname", "lastname", "phone", "company", "lifecyclestage", "hs_analytics_source",
        "hs_analytics_source_data_1", "hs_analytics_source_data_2", "createdate", "lastmodifieddate",
    ],
    "companies": ["name", "domain", "industry", "lifecyclestage", "createdate", "hs_lastmodifieddate"],
    "deals": [
        "dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate", "createdate",
        "hs_lastmodifieddate",
    ],
}
#: The last-modified property differs by object type.
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
#: Associations read for each deal (v4 batch read), loaded as child tables of ``deals``.
DEAL_ASSOCIATIONS = ("contacts", "companies")

#: List endpoints return at most 100 records per page; search at most 200.
LIST_PAGE_MAX = 100
SEARCH_PAGE_MAX = 200
#: A search query can page through at most this many results; the client then restarts the
#: query from the last modified date it saw (the window moves).
SEARCH_RESULT_CAP = 10_000
#: Search is limited to 5 requests per second per account: the client spaces its calls.
SEARCH_MIN_INTERVAL_SECONDS = 0.21
#: The other calls share a budget per rolling ten seconds: 100 on HubSpot's smallest plans (190 on
#: Professional and Enterprise); each answer names the account's in ``X-HubSpot-RateLimit-Max``.
TEN_SECOND_LIMIT = 100
#: Calls of a window the client leaves unspent, so it never meets the end of the budget itself.
BUDGET_MARGIN = 2
#: Association batch reads take up to 1,000 ids.
ASSOCIATION_BATCH_MAX = 1000
