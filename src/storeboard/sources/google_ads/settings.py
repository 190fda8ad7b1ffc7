"""Google Ads connector constants: REST paths, the GAQL it sends, and retry limits.

Every query here is parsed by the sandbox's GAQL parser and its fields are checked against the
official ``google-ads`` package's ``GoogleAdsRow`` in the test suite.
"""

SEARCH_STREAM_PATH = "/{version}/customers/{customer_id}/googleAds:searchStream"

CUSTOMER_QUERY = """
SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone
FROM customer
"""

CAMPAIGNS_QUERY = """
SELECT customer.id, customer.currency_code, campaign.id, campaign.name, campaign.status,
       campaign.advertising_channel_type, campaign.start_date_time, campaign_budget.id
FROM campaign
"""

AD_GROUPS_QUERY = """
SELECT customer.id, customer.currency_code, campaign.id, ad_group.id, ad_group.name,
       ad_group.status, ad_group.type
FROM ad_group
"""

CAMPAIGN_BUDGETS_QUERY = """
SELECT customer.id, customer.currency_code, campaign_budget.id, campaign_budget.name,
       campaign_budget.amount_micros, campaign_budget.period, campaign_budget.delivery_method,
       campaign_budget.status, campaign_budget.explicitly_shared
FROM campaign_budget
"""

# Daily metrics at three grains. Google's "Performance Max reporting" guide: ad_group (and
# ad_group_ad) return no rows for Performance Max campaigns, which have asset groups, so their
# spend is only in campaign- and customer-level reports; the models take each campaign's total
# from ``campaign`` and its ad-group breakdown from ``ad_group``, and compare the sum with the
# customer-level total (the spend reconciliation).
AD_GROUP_METRICS_QUERY = """
SELECT customer.id, customer.currency_code, campaign.id, ad_group.id, segments.date,
       metrics.cost_micros, metrics.impressions, metrics.clicks
FROM ad_group
WHERE segments.date BETWEEN '{since}' AND '{until}'
"""

CAMPAIGN_METRICS_QUERY = """
SELECT customer.id, customer.currency_code, campaign.id, campaign.advertising_channel_type, segments.date,
       metrics.cost_micros, metrics.impressions, metrics.clicks
FROM campaign
WHERE segments.date BETWEEN '{since}' AND '{until}'
"""

CUSTOMER_METRICS_QUERY = """
SELECT customer.id, customer.currency_code, segments.date, metrics.cost_micros, metrics.impressions,
       metrics.clicks
FROM customer
WHERE segments.date BETWEEN '{since}' AND '{until}'
"""

# Purchases: metrics.conversions counts every primary conversion action (add-to-cart, sign-up …),
# so purchases are read segmented by the conversion action category and filtered to PURCHASE.
# A conversion segment cannot be selected with cost, impressions or clicks (QueryError
# PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE), hence a query of its own per grain.
AD_GROUP_PURCHASES_QUERY = """
SELECT customer.id, campaign.id, ad_group.id, segments.date, segments.conversion_action_category,
       metrics.conversions, metrics.conversions_value
FROM ad_group
WHERE segments.date BETWEEN '{since}' AND '{until}' AND segments.conversion_action_category = 'PURCHASE'
"""

CAMPAIGN_PURCHASES_QUERY = """
SELECT customer.id, campaign.id, segments.date, segments.conversion_action_category,
       metrics.conversions, metrics.conversions_value
FROM campaign
WHERE segments.date BETWEEN '{since}' AND '{until}' AND segments.conversion_action_category = 'PURCHASE'
"""

#: (metrics query, purchases query or None, the ids that key a row besides date and customer)
GRAINS = {
    "ad_group_metrics": (AD_GROUP_METRICS_QUERY, AD_GROUP_PURCHASES_QUERY, ("campaign_id", "ad_group_id")),
    "campaign_metrics": (CAMPAIGN_METRICS_QUERY, CAMPAIGN_PURCHASES_QUERY, ("campaign_id",)),
    "customer_metrics": (CUSTOMER_METRICS_QUERY, None, ()),
}

#: What the purchases count: the conversion actions of category PURCHASE, each counted within
#: its own conversion window (set per action in Google Ads; 30 days after a click by default).
ATTRIBUTION_WINDOW_NAME = "purchase_actions_own_windows"
#: Days per metrics query, so one searchStream response stays small.
METRICS_CHUNK_DAYS = 31
#: Refresh the access token this many seconds before Google says it expires.
TOKEN_REFRESH_MARGIN_SECONDS = 120
#: Tries per request on 429/5xx/dropped connections, with exponential back-off.
MAX_ATTEMPTS = 6
BACKOFF_FACTOR = 1.0
#: Longest the client waits out quota errors in total before failing the source.
MAX_QUOTA_WAIT_SECONDS = 600.0
