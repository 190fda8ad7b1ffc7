"""The restatements shown on a page: a ▼ on the restated periods of a chart and a table of what
moved and why (the restatement log, ``storeboard.presentation.restatements``)."""

from __future__ import annotations

from typing import Any

from storeboard.presentation import restatements
from storeboard.web.pages import Column, Table


def mark(rows: list[dict[str, Any]], restated: list[dict[str, Any]], metric: str, currency: str) -> None:
    """Give each period row whose ``metric`` was restated a ``restated`` text (the chart's ▼)."""
    by_start: dict[Any, list[str]] = {}
    for r in restated:
        if r["metric"] == metric:
            by_start.setdefault(r["period_start"], []).append(restatements.sentence(r, currency))
    for row in rows:
        row["restated"] = "; ".join(by_start[row["period"]]) if row["period"] in by_start else None


def table(restated: list[dict[str, Any]], currency: str, grain: str | None = None, empty: str = "") -> Table:
    """The restatements of the periods on a page, of one ``grain`` or all (docs/metrics.md,
    Restatements)."""
    for r in restated:
        r["was"] = restatements.amount(r["metric"], r["old_value"], currency)
        r["now"] = restatements.amount(r["metric"], r["new_value"], currency)
        r["difference"] = restatements.amount(r["metric"], r["change"], currency, signed=True)
    return Table("restated", "Restated since first reported", [
        Column("period", {"day": "Day", "week": "Week", "month": "Month", None: "Period"}[grain]),
        Column("metric_label", "Figure"),
        Column("was", "Was"), Column("now", "Now"), Column("difference", "Change", phone=False),
        Column("restated_at", "Seen", "timestamp", phone=False), Column("cause", "Why"),
    ], restated, empty=empty or f"No {grain or 'period'} in this range was restated since it was first reported.",
        note="A closed period's figure that moved beyond metrics.restatement_threshold_pct after it was "
             "first reported, and why (docs/metrics.md, Restatements).")
