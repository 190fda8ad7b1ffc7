"""Loading and validating ``storeboard.yml``.

The file holds no secrets: values written as ``${NAME}`` are read from the environment, or from a
``.env`` file beside the config (real environment variables win). Secret fields are
``SecretStr``, so they never print. Every error names the key that is wrong.
"""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from storeboard.errors import ConfigError

CONFIG_FILE = "storeboard.yml"
DEFAULT_WAREHOUSE = "duckdb:///storeboard.duckdb"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Strict):
    """How the store reports: its time zone and currency (default: read from Shopify)."""

    timezone: str | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "America"
                raise ValueError(f"unknown IANA time zone {value!r} (e.g. America/New_York)") from None
        return value


def _check_http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with https:// (or http:// for a local sandbox)")
    return value.rstrip("/")


class ShopifySettings(_Strict):
    """Shopify Admin GraphQL API access: a Dev Dashboard app's ``client_id`` + ``client_secret``
    (exchanged for expiring tokens, ``sources/shopify/auth.py``), or a legacy custom app's static
    ``access_token``."""

    enabled: bool = True
    shop_url: str = Field(description="https://<shop>.myshopify.com, or the sandbox address")
    #: the Dev Dashboard app's client ID (Settings page of the app; not secret)
    client_id: str | None = Field(default=None, min_length=1)
    #: the Dev Dashboard app's client secret, e.g. ${SHOPIFY_CLIENT_SECRET}
    client_secret: SecretStr | None = None
    #: a legacy custom app's Admin API token, e.g. ${SHOPIFY_ACCESS_TOKEN}
    access_token: SecretStr | None = None
    api_version: str = Field(default="2026-04", pattern=r"^\d{4}-\d{2}$")
    start_date: str = "2000-01-01T00:00:00Z"
    page_size: int = Field(default=250, ge=1, le=250)
    #: tries per request on 429/5xx/dropped connections, with exponential back-off
    max_attempts: int = Field(default=6, ge=1, le=20)
    #: read the first load's history through a bulk operation (JSONL) instead of paging
    bulk_backfill: bool = True

    _http_url = field_validator("shop_url")(lambda cls, v: _check_http_url(v))

    @model_validator(mode="after")
    def _one_credential_form(self) -> ShopifySettings:
        app = self.client_id is not None or self.client_secret is not None
        if app and self.access_token is not None:
            raise PydanticCustomError("credentials", "set either client_id and client_secret (a Dev Dashboard app) "
                                      "or access_token (a legacy custom app), not both")
        if not app and self.access_token is None:
            raise PydanticCustomError("credentials", "set client_id and client_secret (a Dev Dashboard app, "
                                      "docs/sources.md) or access_token (a legacy custom app)")
        if app and (self.client_id is None or self.client_secret is None):
            missing = "client_secret" if self.client_secret is None else "client_id"
            raise PydanticCustomError("credentials", f"{missing} is missing: a Dev Dashboard app needs both client_id "
                                      "and client_secret")
        return self


class StripeSettings(_Strict):
    """Stripe API access (a restricted read-only key is enough)."""

    enabled: bool = True
    api_key: SecretStr = Field(description="sk_live_… or a restricted rk_live_… key with read access")
    base_url: str = "https://api.stripe.com"
    #: Stripe-Version header; None uses the account's default version
    api_version: str | None = None
    start_date: str = "2000-01-01T00:00:00Z"
    #: objects that change after creation (refunds, disputes) are re-read this far back when the events
    #: since the last run cannot be read (first run, no access to events, a gap of more than 30 days)
    lookback_days: int = Field(default=30, ge=0, le=365)
    #: charge metadata key holding the Shopify order name or id
    order_reference_key: str = "order_id"
    page_size: int = Field(default=100, ge=1, le=100)
    #: tries per request on 429/5xx/dropped connections, with exponential back-off
    max_attempts: int = Field(default=6, ge=1, le=20)
    #: requests per second for the whole account; unset: Stripe's limit for the key (100 live, 25 test)
    requests_per_second: float | None = Field(default=None, gt=0)
    #: requests per second to any one endpoint (Stripe's default limit is 25)
    endpoint_requests_per_second: float = Field(default=25, gt=0)
    #: list requests in flight per resource (the created range is split while it is read)
    concurrency: int = Field(default=4, ge=1, le=16)

    _http_url = field_validator("base_url")(lambda cls, v: _check_http_url(v))


class MetaAdsSettings(_Strict):
    """Meta Marketing API (Ads Insights) access."""

    enabled: bool = True
    access_token: SecretStr
    account_ids: list[str] = Field(min_length=1, description="ad account ids, e.g. act_1234567890")
    base_url: str = "https://graph.facebook.com"
    api_version: str = Field(default="v25.0", pattern=r"^v\d+\.\d+$")
    start_date: str = "2024-01-01"
    #: recent days are re-read and replaced on every run (late conversions, restatements)
    lookback_days: int = Field(default=28, ge=0, le=90)

    _http_url = field_validator("base_url")(lambda cls, v: _check_http_url(v))


class GoogleAdsSettings(_Strict):
    """Google Ads API (REST) access through an OAuth refresh token."""

    enabled: bool = True
    developer_token: SecretStr
    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr
    #: manager account id (digits) when the customers are reached through one
    login_customer_id: str | None = None
    customer_ids: list[str] = Field(min_length=1)
    base_url: str = "https://googleads.googleapis.com"
    token_url: str = "https://oauth2.googleapis.com/token"
    #: newest version the official google-ads package (34) ships, which the sandbox is checked against
    api_version: str = Field(default="v26", pattern=r"^v\d+$")
    start_date: str = "2024-01-01"
    lookback_days: int = Field(default=28, ge=0, le=90)

    _http_url = field_validator("base_url", "token_url")(lambda cls, v: _check_http_url(v))


class HubSpotSettings(_Strict):
    """HubSpot CRM access through a private-app (static) token."""

    enabled: bool = True
    access_token: SecretStr
    base_url: str = "https://api.hubapi.com"
    start_date: str = "2000-01-01T00:00:00Z"
    #: most records per search page (HubSpot allows 200; list pages are capped at 100)
    page_size: int = Field(default=200, ge=1, le=200)
    #: tries per request on 429/5xx/dropped connections, with exponential back-off
    max_attempts: int = Field(default=6, ge=1, le=20)

    _http_url = field_validator("base_url")(lambda cls, v: _check_http_url(v))


class FilesSettings(_Strict):
    """CSV drops: inventory snapshots and shipping costs (paths relative to the config)."""

    enabled: bool = True
    inventory_glob: str = "drop/inventory_*.csv"
    shipping_glob: str = "drop/shipping_costs_*.csv"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    #: our column name -> the column name in your export, for files that use other headers
    inventory_columns: dict[str, str] = Field(default_factory=dict)
    shipping_columns: dict[str, str] = Field(default_factory=dict)


class SourcesSettings(_Strict):
    """One block per source; a source without a block is not loaded."""

    shopify: ShopifySettings | None = None
    stripe: StripeSettings | None = None
    meta_ads: MetaAdsSettings | None = None
    google_ads: GoogleAdsSettings | None = None
    hubspot: HubSpotSettings | None = None
    files: FilesSettings | None = None


class FxRate(_Strict):
    """One unit of ``currency`` is worth ``rate`` units of shop currency from ``valid_from`` on."""

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    valid_from: date
    rate: Decimal = Field(gt=0)


class Budget(_Strict):
    """A monthly ad budget (shop currency) for a channel, or for one campaign of it."""

    channel: Literal["meta_ads", "google_ads"]
    campaign_id: str | None = None
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    amount: Decimal = Field(ge=0)


class ShippingRate(_Strict):
    """Shipping cost of an order up to ``max_weight_grams`` when no shipping-cost CSV covers it."""

    max_weight_grams: int = Field(gt=0)
    cost: Decimal = Field(ge=0)


class MetricsSettings(_Strict):
    """Choices where reasonable businesses differ (defaults from docs/metrics.md) and the tables
    the metrics need: FX rates, budgets, a shipping rate card."""

    #: date refunds count on in cohort and SKU views: the refund's own date, or the order's
    refund_dating: Literal["refund_date", "order_date"] = "refund_date"
    #: which orders count: all non-test orders, or only those never cancelled
    valid_orders: Literal["all", "exclude_cancelled"] = "all"
    #: tax-inclusive prices shown net of tax (default) or gross
    tax_inclusive_prices: Literal["net", "gross"] = "net"
    #: whether duties collected at checkout count in total sales, as in Shopify's sales report
    #: (false for a shop that passes them straight to the carrier and wants total sales without them)
    duties_in_total_sales: bool = True
    #: the window Meta's purchases are counted in: each ad set's own attribution setting, as Ads
    #: Manager shows them ("ad_set"), or one window for every ad set so they compare like for like
    meta_attribution_window: Literal["ad_set", "7d_click_1d_view", "7d_click", "1d_click"] = "ad_set"
    #: campaigns under this platform ROAS are flagged
    roas_target: Decimal = Field(default=Decimal("2.0"), gt=0)
    default_lead_time_days: int = Field(default=14, ge=0)
    safety_stock_units: int = Field(default=0, ge=0)
    velocity_window_days: int = Field(default=28, ge=1)
    #: a source with no successful load for this many hours is stale (data health, banner, alert);
    #: default: twice the refresh interval of schedule.refresh_cron (8 h with the 4-hourly default)
    stale_after_hours: Decimal | None = Field(default=None, gt=0, le=24 * 90)
    #: pin "today" for reproducible reports; default: the current date in the store's time zone
    report_date: date | None = None
    #: a closed period's headline figure is restated (the restatement log, the Monday email)
    #: when it moves from what was last reported by more than this percent of it (and a cent)
    restatement_threshold_pct: Decimal = Field(default=Decimal("0.5"), ge=0, le=100)
    fx_rates: list[FxRate] = Field(default_factory=list)
    budgets: list[Budget] = Field(default_factory=list)
    shipping_rates: list[ShippingRate] = Field(default_factory=list)


class WebUser(_Strict):
    """A dashboard user: a name and an argon2 (or bcrypt) hash, written by ``storeboard user add``."""

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password_hash: str = Field(pattern=r"^\$(argon2(id|i|d)|2[aby])\$")


class WebSettings(_Strict):
    """Where ``storeboard serve`` listens, who may log in, and the SQL explorer's limits."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: names the dashboards answer to (the Host header) besides localhost, 127.0.0.1, ::1 and
    #: ``host``, e.g. the reverse proxy's ``dashboards.example.com``; others get 400
    hosts: list[str] = Field(default_factory=list)
    #: require a login; without it only clients on this machine (127.0.0.1 / ::1) are served
    login: bool = True
    users: list[WebUser] = Field(default_factory=list)
    #: signs session cookies, e.g. ${STOREBOARD_SESSION_SECRET}; default: a random one per start
    session_secret: SecretStr | None = None
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: failed logins per user name and client address within 15 minutes before a lock-out
    login_attempts: int = Field(default=5, ge=1, le=100)
    sql_row_limit: int = Field(default=1000, ge=1, le=100_000)
    sql_timeout_seconds: float = Field(default=10, gt=0, le=600)
    #: about this many bytes of values (as text) per explorer result; more is cut off
    sql_byte_limit: int = Field(default=5_000_000, ge=1000, le=500_000_000)
    #: PostgreSQL: the role the dashboards and the SQL explorer read as. Each build creates it
    #: with SELECT on ``analytics`` and nothing else
    reader_role: str = Field(default="storeboard_reader", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    #: e.g. ${STOREBOARD_READER_PASSWORD}: the reader role can log in and the web logs in as it;
    #: without it the warehouse URL's user takes the role for each web session (SET ROLE)
    reader_password: SecretStr | None = None


class LowStockRule(_Strict):
    """A SKU fell to or below its reorder point (``rpt_inventory_status.is_low_stock``)."""

    enabled: bool = True


class RoasRule(_Strict):
    """A campaign's platform ROAS over the last ``days`` days is below ``target``."""

    enabled: bool = True
    #: default: metrics.roas_target
    target: Decimal | None = Field(default=None, gt=0)
    days: int = Field(default=7, ge=1, le=90)
    #: campaigns that spent less than this (shop currency) over the window are left alone
    min_spend: Decimal = Field(default=Decimal("100"), ge=0)


class PacingRule(_Strict):
    """A channel or campaign is projected to end the month above ``over`` or below ``under``
    times its budget (``rpt_ad_budget_pacing_monthly.pacing``)."""

    enabled: bool = True
    over: Decimal = Field(default=Decimal("1.10"), gt=0)
    under: Decimal = Field(default=Decimal("0.90"), ge=0)


class NegativeMarginRule(_Strict):
    """A SKU's contribution margin, summed over the last ``months`` months (the current one
    included), turned negative (``rpt_product_margin_monthly``)."""

    enabled: bool = True
    months: int = Field(default=1, ge=1, le=12)


class SourceHealthRule(_Strict):
    """A source's last extract failed or its data is stale (``rpt_source_health``)."""

    enabled: bool = True


class SalesDropRule(_Strict):
    """Yesterday's net sales fell more than ``drop`` below the average of the same weekday
    over the previous ``weeks`` weeks (``rpt_revenue_daily``)."""

    enabled: bool = True
    #: 0.4 = fire when yesterday is more than 40 % below the norm
    drop: Decimal = Field(default=Decimal("0.4"), gt=0, lt=1)
    weeks: int = Field(default=4, ge=1, le=26)


class RestatementRule(_Strict):
    """A closed week's or month's headline figure was restated in the last ``days`` days by at
    least ``min_change_pct`` percent of what was reported (``rpt_restatements``). Off by default:
    the data-health page and the Monday email already show every restatement."""

    enabled: bool = False
    min_change_pct: Decimal = Field(default=Decimal("5"), ge=0, le=1000)
    days: int = Field(default=7, ge=1, le=90)


class AlertRules(_Strict):
    """Every alert rule, each with its own switch and thresholds."""

    low_stock: LowStockRule = LowStockRule()
    roas_below_target: RoasRule = RoasRule()
    budget_pacing: PacingRule = PacingRule()
    negative_margin: NegativeMarginRule = NegativeMarginRule()
    source_health: SourceHealthRule = SourceHealthRule()
    sales_drop: SalesDropRule = SalesDropRule()
    restatement: RestatementRule = RestatementRule()


class AlertsSettings(_Strict):
    """Slack alerts, evaluated after every refresh (see docs/alerts.md)."""

    enabled: bool = True
    #: Slack incoming-webhook URL, e.g. ${SLACK_WEBHOOK_URL}; without it alerts are only recorded
    slack_webhook_url: SecretStr | None = None
    #: where the dashboards are reachable; links in alerts and the email point here
    dashboard_url: str = "http://127.0.0.1:8000"
    #: extra tries per Slack post on connection errors, 429 and 5xx (the outbox retries later anyway)
    max_retries: int = Field(default=2, ge=0, le=10)
    #: more new alerts than this of one rule in one run become one digest message (a count and
    #: the worst cases) instead of one message each
    digest_threshold: int = Field(default=20, ge=1, le=10_000)
    rules: AlertRules = AlertRules()

    _http_url = field_validator("dashboard_url")(lambda cls, v: _check_http_url(v))


_WEEKDAYS = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class EmailSettings(_Strict):
    """The weekly summary email (sent when ``recipients`` is not empty)."""

    enabled: bool = True
    smtp_host: str = "localhost"
    #: 587 for STARTTLS, 465 for TLS
    smtp_port: int = Field(default=587, ge=1, le=65535)
    #: starttls (upgrade a plain connection), tls (TLS from the start) or none (local relays only)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    #: e.g. ${SMTP_PASSWORD}
    password: SecretStr | None = None
    from_address: str = "storeboard@localhost"
    recipients: list[str] = Field(default_factory=list)
    #: day and local time (store time zone) the report for the week that ended is sent
    send_day: _WEEKDAYS = "monday"
    send_time: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    #: a failed send is retried every few minutes until this many attempts
    max_attempts: int = Field(default=5, ge=1, le=50)
    timeout_seconds: float = Field(default=30, gt=0)


class ScheduleSettings(_Strict):
    """The scheduler inside ``storeboard serve``."""

    enabled: bool = True
    #: five-field cron in the store's time zone; default every 4 hours on the hour
    refresh_cron: str = "0 */4 * * *"
    #: a refresh lock older than this is considered abandoned (crashed process)
    lock_timeout_minutes: int = Field(default=240, ge=1)


class WebhooksSettings(_Strict):
    """Webhook receivers in ``storeboard serve`` (see docs/webhooks.md)."""

    enabled: bool = False
    #: a legacy custom app's API secret key Shopify signs its webhooks with, e.g. ${SHOPIFY_WEBHOOK_SECRET};
    #: unused when sources.shopify has a client_secret (a Dev Dashboard app's webhooks are signed with it)
    shopify_secret: SecretStr | None = None
    #: the endpoint's signing secret (whsec_…), e.g. ${STRIPE_WEBHOOK_SECRET}
    stripe_secret: SecretStr | None = None
    #: a Stripe signature older (or newer) than this many seconds is rejected as a replay
    tolerance_seconds: int = Field(default=300, ge=1, le=86_400)
    #: events arriving within this many seconds of each other are applied together
    debounce_seconds: float = Field(default=2.0, ge=0, le=300)
    #: bodies larger than this are refused (413)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    #: the dbt selection rebuilt after webhook changes (the revenue marts and what they read)
    dbt_select: str = "+rpt_revenue_daily +rpt_revenue_by_channel_daily +fct_orders"
    #: the address Shopify and Stripe reach this server at, for `storeboard webhooks register`
    public_url: str | None = None

    _http_url = field_validator("public_url")(lambda cls, v: v if v is None else _check_http_url(v))


class DuckDbSettings(_Strict):
    """A DuckDB warehouse's engine settings (ignored for PostgreSQL)."""

    #: the most memory DuckDB may hold in one Storeboard process (cached pages, hash tables,
    #: sorts); larger work spills to a temporary folder beside the file. DuckDB's own default is
    #: 80 % of the machine's memory, which a refresh of a large store would take.
    memory_limit: str = Field(default="1GB", pattern=r"^\d+(\.\d+)?\s?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")


class Config(_Strict):
    """The whole of ``storeboard.yml``."""

    warehouse: SecretStr = SecretStr(DEFAULT_WAREHOUSE)
    duckdb: DuckDbSettings = DuckDbSettings()
    store: StoreSettings = StoreSettings()
    metrics: MetricsSettings = MetricsSettings()
    sources: SourcesSettings = SourcesSettings()
    web: WebSettings = WebSettings()
    alerts: AlertsSettings = AlertsSettings()
    email: EmailSettings = EmailSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    webhooks: WebhooksSettings = WebhooksSettings()
    #: folder the config was read from; relative paths resolve against it
    base_dir: Path = Path(".")

    @field_validator("warehouse")
    @classmethod
    def _known_scheme(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if not url.startswith(("duckdb:///", "postgresql://", "postgres://")):
            raise ValueError("must be duckdb:///<file> or postgresql://user@host:port/database")
        try:
            urlsplit(url).port  # noqa: B018 (reading the port is the check: a bad one raises ValueError)
        except ValueError:  # the URL itself is not repeated: it may hold a password
            raise ValueError("is not a valid URL: check the host and the port (1-65535)") from None
        return value

    @property
    def state_dir(self) -> Path:
        """Folder for local working files (dlt pipeline folders, dbt target)."""
        return self.base_dir / ".storeboard"

    @property
    def shopify_webhook_secret(self) -> SecretStr | None:
        """What Shopify deliveries are verified with: the Dev Dashboard app's client secret, which
        signs its webhooks (shopify.dev, "About client credentials"), else a legacy custom app's
        ``webhooks.shopify_secret``."""
        shopify = self.sources.shopify
        if shopify is not None and shopify.client_secret is not None:
            return shopify.client_secret
        return self.webhooks.shopify_secret

    def enabled_sources(self) -> list[str]:
        """Names of the configured and enabled sources, in a stable order."""
        return [
            name
            for name in type(self.sources).model_fields
            if (block := getattr(self.sources, name)) is not None and block.enabled
        ]


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _interpolate(value: Any, env: dict[str, str], path: str) -> Any:
    """Replace ``${NAME}`` in every string with the environment value."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env or env[name] == "":
                raise ConfigError(
                    f"{CONFIG_FILE}: {path} needs the environment variable {name}, which is not set: "
                    f"export it or add it to the .env file beside {CONFIG_FILE}"
                )
            return env[name]

        return _ENV_REF.sub(lookup, value)
    return value


def _format_validation_error(error: ValidationError, file: str) -> str:
    lines = []
    for item in error.errors():
        # a key with a line break or other control character is quoted, so each problem stays one line
        key = ".".join(str(p) if str(p).isprintable() else repr(str(p)) for p in item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling; see storeboard init for every key)"
        lines.append(f"{file}: {key}: {message}")
    return "\n".join(lines)


def load_config(path: str | Path = CONFIG_FILE, environ: dict[str, str] | None = None) -> Config:
    """Read, interpolate and validate a config file.

    Args:
        path: the ``storeboard.yml`` to read.
        environ: environment to read ``${NAME}`` values from (default: ``os.environ`` over the
            ``.env`` file beside the config).

    Returns:
        The validated config, with ``base_dir`` set to the file's folder.

    Raises:
        ConfigError: the file is missing, not YAML, or has a wrong or missing value.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path} not found: run `storeboard init` to write a commented example, "
            "or `storeboard demo` to try Storeboard on a generated store"
        )
    if environ is None:
        dotenv_file = path.parent / ".env"
        env = {k: v for k, v in dotenv_values(dotenv_file).items() if v is not None} if dotenv_file.is_file() else {}
        env.update(os.environ)
    else:
        env = dict(environ)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except (ValueError, TypeError) as exc:  # YAML's own constructors: a date like 2024-13-45
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML (nested too deeply)") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    try:
        data = _interpolate(raw, env, "")
        data["base_dir"] = path.resolve().parent
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, str(path))) from None
    except RecursionError:  # an alias inside its own anchor (a: &x [*x]) never ends
        raise ConfigError(f"{path}: a value contains itself or is nested too deeply (check & anchors and * aliases)") from None


EXAMPLE_HEADER = """\
# storeboard.yml: where Storeboard reads from and writes to.
# Secrets never go in this file: write ${{NAME}} and set NAME in the environment or in a .env file
# beside this one (real environment variables win over .env).

# The warehouse: a DuckDB file (relative to this file) or a PostgreSQL / Supabase database.
#   duckdb:///storeboard.duckdb
#   postgresql://storeboard:${{STOREBOARD_DB_PASSWORD}}@db.example.com:5432/analytics
warehouse: {warehouse}

# DuckDB only: the most memory the engine may hold in one process; larger work spills to disk.
duckdb:
  memory_limit: 1GB

store:
  # IANA time zone that days and weeks are counted in. Default: the Shopify shop's time zone.
  timezone: {timezone}
  # Three-letter shop currency. Default: the Shopify shop's currency.
  currency: {currency}

web:
  host: 127.0.0.1
  port: 8000
  # Dashboard logins: add one with `storeboard user add NAME` (stores an argon2 hash here).
  # Without users, Storeboard answers only this machine.
  # users: []
  # session_secret: ${{STOREBOARD_SESSION_SECRET}}
  # SQL explorer limits.
  sql_row_limit: 1000
  sql_timeout_seconds: 10
  sql_byte_limit: 5000000

# Slack alerts, the Monday email and the refresh schedule: see docs/alerts.md and docs/deploy.md.
# schedule:
#   refresh_cron: "0 */4 * * *"

sources:
"""

#: One commented block per source; ``{base_url}`` is the API address, ``{folder}`` the drop folder.
SOURCE_BLOCKS = {
    "shopify": """\
  shopify:
    enabled: true
    # https://<your-shop>.myshopify.com
    shop_url: {base_url}
{shopify_auth}    # Admin API version; the connector is tested against this one.
    api_version: "2026-04"
    # Most orders per request; shrunk automatically to stay under Shopify's query-cost cap.
    page_size: 250
""",
    "stripe": """\
  stripe:
    enabled: true
    # A secret key, or better a restricted key with read access to charges, refunds,
    # balance transactions, customers and events.
    api_key: ${{STRIPE_API_KEY}}
    base_url: {base_url}
    # Charge metadata key that holds the Shopify order name or id.
    order_reference_key: order_id
""",
    "meta_ads": """\
  meta_ads:
    enabled: true
    access_token: ${{META_ACCESS_TOKEN}}
    account_ids: [{meta_account}]
    base_url: {base_url}
    # Recent days are re-read and replaced on every run (late conversions).
    lookback_days: 28
""",
    "google_ads": """\
  google_ads:
    enabled: true
    developer_token: ${{GOOGLE_ADS_DEVELOPER_TOKEN}}
    client_id: {google_client_id}
    client_secret: ${{GOOGLE_ADS_CLIENT_SECRET}}
    refresh_token: ${{GOOGLE_ADS_REFRESH_TOKEN}}
    # Manager account id (digits only) when the accounts are reached through one.
    login_customer_id: "{google_login_customer_id}"
    customer_ids: [{google_customer_ids}]
    base_url: {base_url}
    token_url: {google_token_url}
    lookback_days: 28
""",
    "hubspot": """\
  hubspot:
    enabled: true
    # Private-app token with crm.objects.contacts.read, companies.read and deals.read.
    access_token: ${{HUBSPOT_ACCESS_TOKEN}}
    base_url: {base_url}
""",
    "files": """\
  files:
    enabled: true
    # Inventory snapshots (sku, on_hand, unit_cost, reorder_point, lead_time_days) and
    # shipping costs per order (order_id, carrier, label_cost); globs relative to this file.
    inventory_glob: "{folder}/inventory_*.csv"
    shipping_glob: "{folder}/shipping_costs_*.csv"
    # Map our column names to yours if your export uses other headers, e.g.
    # inventory_columns: {{on_hand: "Qty On Hand"}}
""",
}

#: Shopify's two credential forms, rendered into the ``shopify`` block (docs/sources.md).
SHOPIFY_AUTH = {
    "client_credentials": """\
    # A Dev Dashboard app with read_orders and read_all_orders (docs/sources.md): its client ID,
    # and its client secret from the environment. Storeboard exchanges them for access tokens
    # (about 24 hours each, renewed in memory) and verifies the app's webhooks with the secret.
    client_id: {shopify_client_id}
    client_secret: ${{SHOPIFY_CLIENT_SECRET}}
    # A legacy custom app made in the Shopify admin before 2026 uses its Admin API access token
    # instead of client_id and client_secret:
    # access_token: ${{SHOPIFY_ACCESS_TOKEN}}
""",
    "access_token": """\
    # A legacy custom app's Admin API access token with read_orders and read_all_orders
    # (new stores create a Dev Dashboard app and set client_id and client_secret instead).
    access_token: ${{SHOPIFY_ACCESS_TOKEN}}
""",
}

_PLACEHOLDERS = {
    "base_url": "https://your-shop.myshopify.com",
    "shopify_form": "client_credentials",
    "shopify_client_id": "your-app-client-id",
    "folder": "drop",
    "meta_account": "act_1234567890",
    "google_client_id": "1234-abc.apps.googleusercontent.com",
    "google_login_customer_id": "1234567890",
    "google_customer_ids": '"1234567890"',
    "google_token_url": "https://oauth2.googleapis.com/token",
}


def example_config(
    sources: dict[str, dict[str, str]] | None = None,
    warehouse: str = DEFAULT_WAREHOUSE,
    timezone: str | None = None,
    currency: str | None = None,
    webhooks: bool = False,
) -> str:
    """Render the commented config written by ``storeboard init`` and the sandbox.

    Args:
        sources: source name -> values for its block (``base_url`` …). Default: a Shopify block
            with placeholders, and every other source commented out.
        webhooks: write the ``webhooks`` block switched on (the sandbox) instead of commented out.
    """
    text = EXAMPLE_HEADER.format(warehouse=warehouse, timezone=timezone or "null", currency=currency or "null")
    if sources is None:
        text += _source_block("shopify", {})
        text += "\n  # More sources: uncomment a block and set its variables.\n"
        for name in SOURCE_BLOCKS:
            if name != "shopify":
                text += "".join(f"  #{line[1:]}\n" for line in _source_block(name, {}).splitlines()) + "\n"
        return text + _webhooks_block(False)
    for name, values in sources.items():
        text += _source_block(name, values)
    legacy = (sources.get("shopify") or {}).get("shopify_form") == "access_token"
    return text + _webhooks_block(webhooks, shopify_secret=legacy)


def _source_block(name: str, values: dict[str, str]) -> str:
    values = {**_PLACEHOLDERS, **values}
    values["shopify_auth"] = SHOPIFY_AUTH[values["shopify_form"]].format(**values)
    return SOURCE_BLOCKS[name].format(**values)


WEBHOOKS_BLOCK = """\
# Real-time updates: Shopify and Stripe webhooks received by `storeboard serve` (docs/webhooks.md).
webhooks:
  enabled: true
  # Shopify deliveries are verified with sources.shopify.client_secret; a legacy custom app's
  # webhooks are signed with its API secret key instead:
  shopify_secret: ${SHOPIFY_WEBHOOK_SECRET}
  stripe_secret: ${STRIPE_WEBHOOK_SECRET}
  # Where Shopify and Stripe reach this server (for `storeboard webhooks register`).
  # public_url: https://storeboard.example.com
"""


def _webhooks_block(enabled: bool, shopify_secret: bool = False) -> str:
    if enabled:
        if shopify_secret:
            return "\n" + WEBHOOKS_BLOCK
        return "\n" + WEBHOOKS_BLOCK.replace("  shopify_secret:", "  # shopify_secret:")
    return "\n" + "".join(line if line.startswith("#") else f"# {line}" for line in WEBHOOKS_BLOCK.splitlines(True))
