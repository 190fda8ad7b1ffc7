"""Alert state and the outbox, in ``storeboard_meta``: each alert fires once per state change and
is delivered at least once, in order, however long Slack is down.

- ``alert_states``: one row per (rule, key) ever seen, ``firing`` or ``ok``. A finding whose key
  is not firing yet opens an alert; a firing key that no longer holds goes back to ``ok`` (so a
  SKU that recovers and falls again fires again). Keys that stay bad fire nothing.
- ``alerts``: every alert with its payload (the finding's figures and the Slack message),
  ``pending`` until Slack accepts it, then ``delivered``; ``unsent`` when no webhook is set.
  A failed post leaves it pending with the error and attempt count, and the next delivery starts
  from the oldest pending alert again.

The state change and the new alert are written in one transaction, and evaluation and delivery
run under the warehouse lock ``alerts``, so two processes never record or post the same alert
twice. (A process killed between Slack's answer and the ``delivered`` mark re-posts that one
alert on the next run: delivery is at least once.)
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storeboard.config import Config
from storeboard.notify import rules
from storeboard.notify.slack import DeliveryError, SlackWebhook, message_for
from storeboard.runtime import Runtime, of
from storeboard.state import lock, schema
from storeboard.state.schema import SCHEMA
from storeboard.warehouse import Connection

logger = logging.getLogger(__name__)

LOCK = "alerts"
LOCK_TTL = timedelta(minutes=30)


@dataclass
class AlertsResult:
    """What one evaluation and delivery did."""

    evaluated: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    delivered: int = 0
    pending: int = 0
    error: str | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def record(conn: Connection, config: Config, results: dict[str, list[rules.Finding]],
           now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Apply one evaluation to the alert state; queue an alert for every newly bad key.

    Args:
        conn: a read-write warehouse connection.
        config: for the dashboard link and whether a webhook is configured.
        results: ``rules.evaluate`` output; rules missing from it keep their state.
        now: the current time (tests).

    Returns:
        (fired, recovered) as ``rule:key`` strings.
    """
    now = now or datetime.now(UTC)
    schema.ensure(conn)
    status = "pending" if config.alerts.slack_webhook_url else "unsent"
    fired, recovered = [], []
    for rule, findings in results.items():
        firing = {r["alert_key"] for r in conn.query(
            f"select alert_key from {SCHEMA}.alert_states where rule = %(rule)s and state = 'firing'", {"rule": rule})}
        current = {f.key: f for f in findings}
        new = [f for f in current.values() if f.key not in firing]
        # A flood (an inventory file with a million SKUs below their reorder point) is one
        # digest message, so it neither floods the channel nor delays the other rules' alerts.
        if len(new) > config.alerts.digest_threshold:
            messages = [rules.digest(rule, new, f"digest:{now:%Y%m%dT%H%M%S}:{uuid.uuid4().hex[:8]}")]
        else:
            messages = new
        conn.execute("begin transaction")
        try:
            seen = [key for key in current if key in firing]
            if seen:
                conn.execute(f"update {SCHEMA}.alert_states set last_seen_at = %(now)s where rule = %(rule)s "
                             "and state = 'firing' and alert_key in (select unnest(%(keys)s))"
                             if conn.kind == "duckdb" else
                             f"update {SCHEMA}.alert_states set last_seen_at = %(now)s where rule = %(rule)s "
                             "and state = 'firing' and alert_key = any(%(keys)s)",
                             {"now": now, "rule": rule, "keys": seen})
            alert_of: dict[str, str] = {}
            for finding in messages:
                alert_id = uuid.uuid4().hex
                _queue(conn, config, finding, alert_id, status, now)
                if finding.key.startswith("digest:"):
                    alert_of.update({f.key: alert_id for f in new})
                else:
                    alert_of[finding.key] = alert_id
            _set_firing(conn, rule, alert_of, now)
            fired += [f"{rule}:{f.key}" for f in new]
            for key in sorted(firing - set(current)):
                conn.execute(f"update {SCHEMA}.alert_states set state = 'ok', changed_at = %(now)s "
                             "where rule = %(rule)s and alert_key = %(key)s", {"now": now, "rule": rule, "key": key})
                recovered.append(f"{rule}:{key}")
            conn.execute("commit")
        except Exception:
            conn.execute("rollback")
            raise
    if fired or recovered:
        logger.info("alerts: %d fired, %d recovered", len(fired), len(recovered))
    return fired, recovered


def _queue(conn: Connection, config: Config, finding: rules.Finding, alert_id: str, status: str,
           now: datetime) -> None:
    payload = {
        "rule": finding.rule, "key": finding.key, "title": finding.title, "summary": finding.summary,
        "link": config.alerts.dashboard_url + finding.link, "data": finding.data,
        "message": message_for(finding, config.alerts.dashboard_url),
    }
    conn.execute(
        f"insert into {SCHEMA}.alerts (alert_id, rule, alert_key, title, payload, status, created_at, attempts) "
        "values (%(id)s, %(rule)s, %(key)s, %(title)s, %(payload)s, %(status)s, %(now)s, 0)",
        {"id": alert_id, "rule": finding.rule, "key": finding.key, "title": finding.title[:500],
         "payload": json.dumps(payload, default=_json_default), "status": status, "now": now},
    )


def _set_firing(conn: Connection, rule: str, alert_of: dict[str, str], now: datetime) -> None:
    """Mark each key firing with the alert that told about it, in batches (a flood has many)."""
    keys = list(alert_of)
    for start in range(0, len(keys), 5000):
        batch = keys[start:start + 5000]
        params = {"rule": rule, "now": now, "keys": batch, "ids": [alert_of[k] for k in batch]}
        conn.execute(f"delete from {SCHEMA}.alert_states where rule = %(rule)s and alert_key in "
                     + ("(select unnest(%(keys)s))" if conn.kind == "duckdb" else "(select unnest(%(keys)s::text[]))"),
                     {"rule": rule, "keys": batch})
        conn.execute(
            f"insert into {SCHEMA}.alert_states (rule, alert_key, state, changed_at, last_seen_at, alert_id) "
            "select %(rule)s, k, 'firing', %(now)s, %(now)s, i from "
            + ("(select unnest(%(keys)s) as k, unnest(%(ids)s) as i)" if conn.kind == "duckdb" else
               "unnest(%(keys)s::text[], %(ids)s::text[]) as t(k, i)"),
            params)


def pending(conn: Connection) -> list[dict[str, Any]]:
    """Alerts waiting for Slack: each rule's oldest first, taking turns between rules, so a
    backlog of one rule never holds back the others."""
    schema.ensure(conn)
    return conn.query(
        f"select alert_id, rule, alert_key, payload, attempts from (select *, row_number() over "
        f"(partition by rule order by created_at, alert_id) as turn from {SCHEMA}.alerts where status = 'pending') "
        "as queued order by turn, created_at, rule, alert_id")


def deliver(conn: Connection, config: Config, now: datetime | None = None) -> tuple[int, int, str | None]:
    """Post pending alerts in order until one fails.

    Returns:
        (delivered, still pending, error of the failed post or None).
    """
    url = config.alerts.slack_webhook_url
    queue = pending(conn)
    if not queue or url is None:
        return 0, len(queue), None
    webhook = SlackWebhook(url.get_secret_value(), max_retries=config.alerts.max_retries)
    delivered = 0
    for alert in queue:
        at = now or datetime.now(UTC)
        try:
            webhook.post(json.loads(alert["payload"])["message"])
        except DeliveryError as exc:
            conn.execute(f"update {SCHEMA}.alerts set attempts = attempts + 1, last_attempt_at = %(at)s, "
                         "last_error = %(error)s where alert_id = %(id)s",
                         {"at": at, "error": str(exc), "id": alert["alert_id"]})
            logger.warning("alert %s not delivered (attempt %d): %s", alert["alert_id"], alert["attempts"] + 1, exc)
            return delivered, len(queue) - delivered, str(exc)
        conn.execute(f"update {SCHEMA}.alerts set status = 'delivered', attempts = attempts + 1, "
                     "last_attempt_at = %(at)s, delivered_at = %(at)s, last_error = null where alert_id = %(id)s",
                     {"at": at, "id": alert["alert_id"]})
        delivered += 1
    return delivered, 0, None


def process(config: Config | Runtime, evaluate: bool = True, now: datetime | None = None) -> AlertsResult:
    """Evaluate the rules, record what changed and deliver the outbox, under the ``alerts`` lock.

    Args:
        config: the entry point's runtime (or a validated config).
        evaluate: False only delivers what is already queued (the scheduler's retry job).
        now: the current time (tests).

    Returns:
        What happened; ``skipped`` says why nothing did (alerts off, lock held).
    """
    result = AlertsResult()
    rt = of(config)
    config = rt.config
    if not config.alerts.enabled:
        result.skipped = "alerts.enabled is false"
        return result
    warehouse = rt.warehouse
    with lock.held(warehouse, LOCK, LOCK_TTL) as got:
        if not got:
            result.skipped = "another process is evaluating or delivering alerts"
            return result
        with warehouse.connect() as conn:
            schema.ensure(conn)
            if evaluate:
                findings = rules.evaluate(conn, config, now, rt.store(conn))
                result.evaluated = sorted(findings)
                result.fired, result.recovered = record(conn, config, findings, now)
            result.delivered, result.pending, result.error = deliver(conn, config)
    return result


def history(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The latest alerts with their delivery status (newest first)."""
    schema.ensure(conn)
    return conn.query(f"select alert_id, rule, alert_key, title, status, created_at, attempts, delivered_at, last_error "
                      f"from {SCHEMA}.alerts order by created_at desc limit {int(limit)}")
