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

AD_GROUP_METRICS_QUERY = """
SELECT customer.id, customer.currency_code, campaign.id, ad_group.id, segments.date,
       metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions,
       metrics.conversions_value
FROM ad_group
WHERE segments.date BETWEEN '{since}' AND '{until}'
"""

#: Google's default conversion window for purchases: 30 days after the click.
ATTRIBUTION_WINDOW_NAME = "30d_click"
#: Days per metrics query, so one searchStream response stays small.
METRICS_CHUNK_DAYS = 31
#: Refresh the access token this many seconds before Google says it expires.
TOKEN_REFRESH_MARGIN_SECONDS = 120
#: Tries per request on 429/5xx/dropped connections, with exponential back-off.
MAX_ATTEMPTS = 6
BACKOFF_FACTOR = 1.0
#: Longest the client waits out quota errors in total before failing the source.
MAX_QUOTA_WAIT_SECONDS = 600.0
