"""The look-back rule shared by the ad platforms: recent days are re-read and replaced.

Ad platforms restate recent days (late conversions, invalid-click credits), so every run reads
again from ``lookback_days`` before the last complete day, and a day is only "complete" once
everything up to it loaded without a quarantined row.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any


def first_day(start_date: str, lookback_days: int, loaded_through: str | None) -> date:
    """The first day to read: the configured start, or ``lookback_days`` before the last day loaded."""
    start = date.fromisoformat(start_date[:10])
    if loaded_through is None:
        return start
    return max(start, date.fromisoformat(loaded_through) - timedelta(days=lookback_days - 1))


def loaded_through(since: date, today: date, held_back: date | None) -> date:
    """The last day that is complete: today, or the day before the first quarantined row."""
    return today if held_back is None else max(since, held_back) - timedelta(days=1)


def day_of(record: Any, field: str) -> date | None:
    """The record's day from ``field`` (ISO date), or None when it is missing or malformed."""
    try:
        return date.fromisoformat(record.get(field))
    except (AttributeError, TypeError, ValueError):
        return None
