"""Date ranges in store time: parsing the picker, presets, comparison periods and buckets.

"Today" is ``metrics.report_date`` when it is pinned (as in the alerts and the weekly email), else
the store's calendar day (its IANA time zone), or the last day with data when the warehouse holds
an older history (a demo store generated in the past), so presets always show data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi import HTTPException

from storeboard.runtime import StoreContext

GRAINS = ("day", "week", "month")
MAX_DAYS = 3660
#: Dates a range may use: the pages reach up to ten years before and a month after a range.
MIN_DAY, MAX_DAY = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    preset: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange:
        """The same number of days immediately before."""
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def last_year(self) -> DateRange:
        """The same calendar days one year earlier (29 February → 28 February)."""
        return DateRange(shift_year(self.start, -1), shift_year(self.end, -1))


def shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def bucket_start(day: date, grain: str) -> date:
    """First day of the day / ISO week (Monday) / month that ``day`` falls in."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def store_today(store: StoreContext, last_data_day: date | None, now: datetime | None = None) -> date:
    """The dashboards' today (see the module's docstring); a pinned report date is kept as it is."""
    if store.report_date:
        return store.report_date
    today = store.today(now)
    if last_data_day is not None and last_data_day < today - timedelta(days=1):
        return last_data_day
    return today


def presets(today: date) -> list[tuple[str, str, date, date]]:
    """(key, label, start, end) for each preset, relative to the store's ``today``."""
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return [
        ("today", "Today", today, today),
        ("7d", "Last 7 days", today - timedelta(days=6), today),
        ("30d", "Last 30 days", today - timedelta(days=29), today),
        ("90d", "Last 90 days", today - timedelta(days=89), today),
        ("mtd", "Month to date", first_of_month, today),
        ("last_month", "Last month", last_month_end.replace(day=1), last_month_end),
        ("ytd", "Year to date", today.replace(month=1, day=1), today),
        ("365d", "Last 365 days", today - timedelta(days=364), today),
    ]


def _parse_day(value: str | None, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"{name} must be a date like 2026-11-01, not {value[:40]!r}") from None
    if not MIN_DAY <= day <= MAX_DAY:
        raise HTTPException(status_code=422, detail=f"{name} must be between {MIN_DAY} and {MAX_DAY}")
    return day


def resolve(start: str | None, end: str | None, preset: str | None, today: date, default: str = "30d") -> DateRange:
    """The range asked for: explicit dates win, then a preset key, then ``default``.

    Raises:
        HTTPException: 422 for a malformed date or one outside ``MIN_DAY``–``MAX_DAY``, an
            unknown preset, start after end or more than ten years.
    """
    first, last = _parse_day(start, "start"), _parse_day(end, "end")
    known = {key: (s, e) for key, _label, s, e in presets(today)}
    if first is None and last is None:
        key = preset or default
        if key not in known:
            raise HTTPException(status_code=422, detail=f"preset must be one of {', '.join(known)}")
        return DateRange(*known[key], preset=key)
    last = last or today
    first = first or last - timedelta(days=29)
    if first > last:
        raise HTTPException(status_code=422, detail="start must be on or before end")
    if (last - first).days > MAX_DAYS:
        raise HTTPException(status_code=422, detail="the range may span at most ten years")
    match = next((key for key, (s, e) in known.items() if (s, e) == (first, last)), "custom")
    return DateRange(first, last, preset=match)


def resolve_grain(grain: str | None) -> str:
    if grain in (None, ""):
        return "day"
    if grain not in GRAINS:
        raise HTTPException(status_code=422, detail="grain must be day, week or month")
    return grain
