"""Meta Ads connector constants: Graph paths, the fields it asks for, paging and pacing limits."""

#: Graph API node or edge under a version: ``/{version}/{path}``.
GRAPH_PATH = "/{version}/{path}"

#: Daily insights at ad-set level: ids, names, currency and the metrics Storeboard models.
INSIGHTS_FIELDS = (
    "account_id", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name",
    "date_start", "date_stop", "spend", "impressions", "clicks", "actions", "action_values",
)
#: Daily account totals: what the spend reconciliation compares the ad sets with.
ACCOUNT_INSIGHTS_FIELDS = ("account_id", "account_currency", "date_start", "date_stop", "spend", "impressions", "clicks")
CAMPAIGN_FIELDS = (
    "id", "account_id", "name", "objective", "status", "effective_status", "daily_budget",
    "lifetime_budget", "created_time", "start_time", "updated_time",
)
ADSET_FIELDS = (
    "id", "account_id", "campaign_id", "name", "status", "effective_status", "daily_budget",
    "lifetime_budget", "optimization_goal", "attribution_spec", "created_time", "start_time", "updated_time",
)
#: Every status, so paused, archived and deleted objects keep their names in the warehouse.
EFFECTIVE_STATUSES = (
    "ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED", "IN_PROCESS", "WITH_ISSUES",
)
#: Windows asked for beside each action's ``value``; each comes back as its own key.
ATTRIBUTION_WINDOWS = ("1d_click", "7d_click", "1d_view")
#: Meta's default attribution setting (an ad set without ``attribution_spec`` uses it).
ATTRIBUTION_WINDOW_NAME = "7d_click_1d_view"
#: Insights below account level leave out deleted and archived ad sets unless ``filtering`` on
#: ``adset.effective_status`` asks for them (Marketing API, Insights: "Deleted and archived
#: objects"): their spend stays in the account total, so leaving them out understates spend.
INSIGHTS_FILTERING = ({"field": "adset.effective_status", "operator": "IN",
                       "value": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED",
                                 "IN_PROCESS", "WITH_ISSUES"]},)
#: Days per insights request: a long backfill is read window by window (each well under what
#: Meta answers synchronously) instead of one report over years that a large account may never finish.
INSIGHTS_WINDOW_DAYS = 90
#: Windows read per load: a backfill is committed (rows with their cursor) every this many windows,
#: so a run stopped part-way resumes at the first window not yet loaded.
INSIGHTS_WINDOWS_PER_LOAD = 4
#: Meta reports one purchase under several overlapping action types; the first one present is
#: used and the others are ignored, never added up.
PURCHASE_ACTION_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")

INSIGHTS_PAGE_LIMIT = 500
OBJECT_PAGE_LIMIT = 200
#: Ranges longer than this many days are read through an asynchronous report run.
ASYNC_THRESHOLD_DAYS = 90
ASYNC_POLL_SECONDS = 2.0
MAX_ASYNC_WAIT_SECONDS = 900.0

#: Graph error codes: invalid token / permissions, throttling, transient failures.
AUTH_CODES = {102, 104, 190, 200, 10}
THROTTLE_CODES = {4, 17, 32, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014}
TRANSIENT_CODES = {1, 2, -2}
#: Subcode Meta sends when a synchronous insights call asks for too much data.
TOO_MUCH_DATA_SUBCODE = 1487534
#: Longest the client waits out throttling in total before failing the source.
MAX_THROTTLE_WAIT_SECONDS = 600.0
#: Tries per request on 429/5xx/dropped connections (and throttling), with exponential back-off.
MAX_ATTEMPTS = 6
BACKOFF_FACTOR = 1.0
