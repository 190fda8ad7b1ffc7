"""Test credentials the sandbox accepts (listed in docs/sandbox.md). None of them is secret."""

#: A legacy custom app's static Admin API token (apps made in the Shopify admin before 2026).
SHOPIFY_TOKEN = "shpat_sandbox_0123456789abcdef"
#: The Dev Dashboard app: its client ID, and the client secret that gets tokens and signs webhooks.
SHOPIFY_CLIENT_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SHOPIFY_CLIENT_SECRET = "shpss_sandbox_0123456789abcdef0123456789abcdef"
STRIPE_API_KEY = "sk_live_sandbox_51Nq0123456789abcdef"
META_ACCESS_TOKEN = "EAAsandbox0123456789abcdef"
META_ACCOUNT_ID = "act_1029384756"
GOOGLE_DEVELOPER_TOKEN = "sandbox-dev-token-0123"
GOOGLE_CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "sandbox-client-secret-0123"
GOOGLE_REFRESH_TOKEN = "1//sandbox-refresh-token-0123"
GOOGLE_LOGIN_CUSTOMER_ID = "1112223334"
GOOGLE_CUSTOMER_IDS = ("4445556667", "7778889990")
HUBSPOT_TOKEN = "pat-na1-sandbox-0123-4567-89ab-cdef01234567"

#: What `storeboard sandbox` writes to .env, by source.
ENV = {
    "shopify": {"SHOPIFY_CLIENT_SECRET": SHOPIFY_CLIENT_SECRET},
    "stripe": {"STRIPE_API_KEY": STRIPE_API_KEY},
    "meta_ads": {"META_ACCESS_TOKEN": META_ACCESS_TOKEN},
    "google_ads": {
        "GOOGLE_ADS_DEVELOPER_TOKEN": GOOGLE_DEVELOPER_TOKEN,
        "GOOGLE_ADS_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
        "GOOGLE_ADS_REFRESH_TOKEN": GOOGLE_REFRESH_TOKEN,
    },
    "hubspot": {"HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN},
    "files": {},
}

#: The secret Shopify signs the sandbox app's webhooks with (HMAC-SHA256, base64): the app's
#: client secret (shopify.dev, "About client credentials"). A legacy custom app's is its API secret
#: key, which the legacy form configures as ``webhooks.shopify_secret``; the sandbox has one app.
SHOPIFY_WEBHOOK_SECRET = SHOPIFY_CLIENT_SECRET

#: What `storeboard sandbox` writes to .env for Shopify's legacy form instead (token, webhook secret).
LEGACY_SHOPIFY_ENV = {"SHOPIFY_ACCESS_TOKEN": SHOPIFY_TOKEN, "SHOPIFY_WEBHOOK_SECRET": SHOPIFY_WEBHOOK_SECRET}
