"""Test credentials the sandbox accepts (listed in docs/sandbox.md). None of them is secret."""

SHOPIFY_TOKEN = "shpat_sandbox_0123456789abcdef"
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
    "shopify": {"SHOPIFY_ACCESS_TOKEN": SHOPIFY_TOKEN},
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

#: The app's client secret: Shopify signs webhooks with it (HMAC-SHA256, base64).
SHOPIFY_WEBHOOK_SECRET = "shpss_sandbox_0123456789abcdef0123456789abcdef"
