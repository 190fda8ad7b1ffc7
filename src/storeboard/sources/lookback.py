"""The look-back rule shared by the ad platforms: recent days are re-read and replaced.

Ad platforms restate recent days (late conversions, invalid-click credits), so every run reads
again from ``lookback_days`` before the last day loaded. A quarantined row does not hold the
cursor: it is kept whole in the source's quarantine table.
"""

from __future__ import annotations

from datetime import date, timedelta


def first_day(start_date: str, lookback_days: int, loaded_through: str | None) -> date:
    """The first day to read: the configured start, or ``lookback_days`` before the last day loaded."""
    start = date.fromisoformat(start_date[:10])
    if loaded_through is None:
        return start
    return max(start, date.fromisoformat(loaded_through) - timedelta(days=lookback_days - 1))
