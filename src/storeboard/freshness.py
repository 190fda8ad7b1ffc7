"""When a source's data counts as stale: one rule for the data-health mart, the alert, the
banner and the Data health page.

Stale means no successful load for ``metrics.stale_after_hours``, by default twice the refresh
interval of ``schedule.refresh_cron`` (8 hours with the default 4-hourly refresh): one missed
refresh is noise, two are a problem someone should look at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_REFRESH = timedelta(hours=4)


def refresh_interval(config) -> timedelta:
    """The gap between two scheduled refreshes (the smallest one in a day of the cron)."""
    cron = getattr(getattr(config, "schedule", None), "refresh_cron", None)
    if not cron:
        return DEFAULT_REFRESH
    try:
        from croniter import croniter

        it = croniter(cron, datetime(2026, 1, 5, tzinfo=UTC))
        times = [it.get_next(datetime) for _ in range(25)]
        return min(b - a for a, b in zip(times, times[1:]))
    except Exception:  # an unreadable cron is the scheduler's error to report, not freshness's
        return DEFAULT_REFRESH


def stale_after(config) -> timedelta:
    """How old a source's last success may be before it counts as stale."""
    hours = getattr(getattr(config, "metrics", None), "stale_after_hours", None)
    if hours:
        return timedelta(hours=float(hours))
    return 2 * refresh_interval(config)
