"""Real-time updates: Shopify and Stripe webhooks received by ``storeboard serve``.

- ``verify``: signature checks (Shopify's base64 HMAC of the body; Stripe's ``t=``/``v1=`` with a
  timestamp tolerance), constant-time, raising ``Rejected`` with the HTTP status to answer.
- ``events``: ``storeboard_meta.webhook_events``, every verified event once (idempotent by id).
- ``apply``: re-reads what the events changed through the connectors, merges it into the raw
  tables and rebuilds the revenue marts, under the refresh lock, debounced.
- ``register``: what ``storeboard webhooks register`` prints or performs per platform.

The receivers themselves are ``storeboard.web.routers.webhooks``. See docs/webhooks.md.
"""
