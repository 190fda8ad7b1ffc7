"""One runtime per entry point: the config, its warehouse, and the store's zone, currency and today.

Each entry point (a CLI command, the web app, the scheduler of ``storeboard serve``, an Airflow
task) builds one ``Runtime`` and passes it down, so the pipeline, the alerts, the weekly email,
the dashboards and the schedules all see the same warehouse and the same store.

The store's time zone is resolved by one rule, everywhere:

1. ``store.timezone`` in the config, when it is set;
2. else the zone the pipeline recorded for the shop: Shopify's ``ianaTimezone``, loaded into
   ``raw_shopify.shop``. Each build copies the zone it used into ``analytics.dim_store``; a
   reader that may not see the raw tables (the web's SELECT-only role on PostgreSQL) reads that
   copy, which is the same zone once a build has run after the shop or the config changed;
3. else UTC.

The currency follows the same order (``store.currency``, Shopify's ``currencyCode``, USD).
"Today" is ``metrics.report_date`` when it is pinned, else the current date in that zone.

The zone depends on data a refresh loads, so a long-lived process (``serve``, the web app)
resolves it again when it needs it (``Runtime.store``) instead of keeping the first answer: on a
new warehouse it is UTC until the first refresh has loaded the shop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from storeboard.config import Config
from storeboard.errors import StoreboardError
from storeboard.warehouse import Connection, Warehouse

DEFAULT_TIMEZONE = "UTC"
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class StoreContext:
    """The store as every consumer sees it: zone, currency and the pinned report date, if any."""

    timezone: str = DEFAULT_TIMEZONE
    currency: str = DEFAULT_CURRENCY
    report_date: date | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, now: datetime | None = None) -> datetime:
        """``now`` (default: the current time) in the store's zone, aware."""
        return (now or datetime.now(UTC)).astimezone(self.zone)

    def today(self, now: datetime | None = None) -> date:
        """``metrics.report_date`` when pinned, else the store-local date of ``now``."""
        return self.report_date or self.local(now).date()


def recorded_store(conn: Connection) -> dict[str, Any]:
    """What the warehouse knows of the shop (rule step 2): its ``timezone`` and ``currency``,
    None where it knows nothing.

    ``raw_shopify.shop`` when this connection can see it (on PostgreSQL a role sees only the
    tables it may read), else the copy of the last build in ``analytics.dim_store``.
    """
    for schema, table, sql in (
        ("raw_shopify", "shop", "select iana_timezone as timezone, currency_code as currency from raw_shopify.shop limit 1"),
        ("analytics", "dim_store", "select timezone, currency_code as currency from analytics.dim_store limit 1"),
    ):
        if conn.table_exists(schema, table):
            rows = conn.query(sql)
            if rows and (rows[0]["timezone"] or rows[0]["currency"]):
                return rows[0]
    return {"timezone": None, "currency": None}


def resolve_store(config: Config, conn: Connection | None) -> StoreContext:
    """The store by the module's rule; ``conn`` None means the warehouse cannot be read (yet)."""
    pinned = bool(config.store.timezone and config.store.currency)
    known = recorded_store(conn) if conn is not None and not pinned else {}
    return StoreContext(
        timezone=config.store.timezone or known.get("timezone") or DEFAULT_TIMEZONE,
        currency=config.store.currency or known.get("currency") or DEFAULT_CURRENCY,
        report_date=config.metrics.report_date,
    )


@dataclass(frozen=True)
class Runtime:
    """The config and the one ``Warehouse`` built from it, for one entry point."""

    config: Config
    warehouse: Warehouse

    @classmethod
    def from_config(cls, config: Config) -> Runtime:
        return cls(config, Warehouse.from_config(config))

    def store(self, conn: Connection | None = None) -> StoreContext:
        """The store now, by the module's rule. Reads through ``conn`` when given, else opens a
        read-only connection of its own; a warehouse that cannot be read yet counts as empty."""
        if conn is not None or (self.config.store.timezone and self.config.store.currency):
            return resolve_store(self.config, conn)
        try:
            with self.warehouse.connect(read_only=True) as own:
                return resolve_store(self.config, own)
        except StoreboardError:
            return resolve_store(self.config, None)


def of(config_or_runtime: Config | Runtime) -> Runtime:
    """``config_or_runtime`` as a ``Runtime``: functions called by an entry point get its runtime;
    a bare ``Config`` (tests, scripts) gets a runtime of its own, resolved by the same rule."""
    if isinstance(config_or_runtime, Runtime):
        return config_or_runtime
    return Runtime.from_config(config_or_runtime)
