"""Slack: alert messages in Block Kit, posted to an incoming webhook with ``slack_sdk``.

The webhook URL is a secret (whoever has it can post to the channel): it is never logged and
never appears in an error message.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from storeboard.errors import StoreboardError
from storeboard.notify.rules import Finding

logger = logging.getLogger(__name__)

#: Emoji per rule, so a channel full of alerts can be scanned at a glance.
ICONS = {
    "low_stock": ":package:",
    "roas_below_target": ":chart_with_downwards_trend:",
    "budget_pacing": ":money_with_wings:",
    "negative_margin": ":warning:",
    "source_health": ":rotating_light:",
    "sales_drop": ":small_red_triangle_down:",
}
BUTTON_LABELS = {
    "low_stock": "Open inventory",
    "roas_below_target": "Open marketing",
    "budget_pacing": "Open marketing",
    "negative_margin": "Open product margin",
    "source_health": "Open data health",
    "sales_drop": "Open revenue",
}


class DeliveryError(StoreboardError):
    """Slack did not accept a message (the outbox keeps it and tries again later)."""


def message_for(finding: Finding, dashboard_url: str) -> dict[str, Any]:
    """The Slack message for a finding: ``text`` (notifications and fallback) and Block Kit ``blocks``.

    Args:
        finding: what fired.
        dashboard_url: base address of the dashboards; the button links to the rule's page there.
    """
    icon = ICONS.get(finding.rule, ":bell:")
    url = dashboard_url.rstrip("/") + finding.link
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": finding.title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} {finding.summary}"[:3000]}},
    ]
    if finding.fields:
        blocks.append({
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"[:2000]} for label, value in finding.fields[:10]],
        })
    blocks.append({
        "type": "actions",
        "elements": [{
            "type": "button",
            "text": {"type": "plain_text", "text": BUTTON_LABELS.get(finding.rule, "Open dashboard")},
            "url": url,
            "action_id": f"open_{finding.rule}",
        }],
    })
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Storeboard · `{finding.rule}` · {finding.key}"}]})
    return {"text": f"{finding.title}: {finding.summary}", "blocks": blocks}


class SlackWebhook:
    """Posts messages to one incoming webhook, retrying connection errors, 429 and 5xx.

    Args:
        url: the incoming-webhook URL (secret).
        max_retries: extra tries per message after the first.
        backoff_seconds: first back-off interval; doubles each retry.
        timeout: seconds per HTTP request.
    """

    def __init__(self, url: str, max_retries: int = 2, backoff_seconds: float = 0.5, timeout: int = 15):
        interval = BackoffRetryIntervalCalculator(backoff_factor=backoff_seconds)
        handlers = [
            ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
        ]
        self._url = url
        self._client = WebhookClient(url, timeout=timeout, retry_handlers=handlers)

    def post(self, message: dict[str, Any]) -> None:
        """Send one message.

        Raises:
            DeliveryError: Slack (or the network) refused it after the retries.
        """
        try:
            response = self._client.send(text=message.get("text"), blocks=message.get("blocks"))
        except Exception as exc:  # urllib raises several families; none may leak the URL
            reason = str(exc).replace(self._url, "<webhook>")
            raise DeliveryError(f"Slack webhook unreachable ({type(exc).__name__}: {reason}); "
                                "the alert stays in the outbox and is retried") from None
        if response.status_code != 200:
            body = (response.body or "").replace(self._url, "<webhook>")[:200]
            raise DeliveryError(f"Slack webhook answered HTTP {response.status_code} ({body}); "
                                "the alert stays in the outbox and is retried"
                                + (": check alerts.slack_webhook_url" if response.status_code in (403, 404) else ""))
        logger.info("posted alert to Slack")
