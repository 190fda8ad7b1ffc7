"""Data freshness for the banner on every page and the Data health page.

A source is failed when its last extract failed (``rpt_source_health.last_status``) and stale
when the mart says so or when its last success is older than ``freshness.stale_after`` at the
time the page is viewed: marts are built at refresh time, so only the page can tell that no
refresh has happened since.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storeboard.freshness import stale_after
from storeboard.web import queries


def assess(rows: list[dict[str, Any]], config, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each source row with ``status`` (ok / warning / stale / failed) and ``age`` filled in."""
    now = now or datetime.now(UTC)
    limit = stale_after(config)
    assessed = []
    for row in rows:
        status = row["health_status"]
        success = row["last_success_at"]
        if success is not None and success.tzinfo is None:
            success = success.replace(tzinfo=UTC)
        age = now - success if success else None
        if row["last_status"] == "failed":
            status = "failed"
        elif status != "failed" and (success is None or age > limit):
            status = "stale"
        assessed.append({**row, "status": status, "age": age})
    return assessed


def banner(conn, config) -> dict[str, Any] | None:
    """The warning every page shows when a source failed or is stale, else None."""
    try:
        rows = assess(queries.source_health(conn), config)
    except Exception:  # the banner must never take a page down with it
        return None
    bad = [r for r in rows if r["status"] in ("failed", "stale")]
    if not bad:
        return None
    parts = [f"{r['source_name']} {'failed' if r['status'] == 'failed' else 'is stale'}" for r in bad]
    level = "failed" if any(r["status"] == "failed" for r in bad) else "stale"
    return {"level": level, "message": "; ".join(parts), "sources": [r["source_name"] for r in bad]}


def age_text(age: timedelta | None) -> str:
    if age is None:
        return "never"
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"
