"""Shared by the property and fuzz tests: the warehouse as the judge of what a parser accepts."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest


@pytest.fixture(scope="module")
def casts():
    """``casts(value, type)``: DuckDB's cast of ``value`` (as text) to ``type``, as the staging
    models and dlt's loader do; raises when the warehouse would refuse the value."""
    conn = duckdb.connect()

    def cast(value, sql_type: str):
        return conn.execute(f"select cast(cast(? as varchar) as {sql_type})", [str(value)]).fetchone()[0]

    yield cast
    conn.close()


def decimal_fits(value: Decimal, precision: int = 18, scale: int = 4) -> bool:
    """True when ``value`` fits ``decimal(precision, scale)`` (the warehouse's money columns)."""
    return value.is_finite() and abs(value) < Decimal(10) ** (precision - scale)
