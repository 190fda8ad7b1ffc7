"""Loading and validating ``storeboard.yml``.

The file holds no secrets: values written as ``${NAME}`` are read from the environment, or from a
``.env`` file beside the config (real environment variables win). Secret fields are
``SecretStr``, so they never print. Every error names the key that is wrong.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

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
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown IANA time zone {value!r} (e.g. America/New_York)") from None
        return value


class ShopifySettings(_Strict):
    """Shopify Admin GraphQL API access."""

    enabled: bool = True
    shop_url: str = Field(description="https://<shop>.myshopify.com, or the sandbox address")
    access_token: SecretStr
    api_version: str = Field(default="2026-04", pattern=r"^\d{4}-\d{2}$")
    start_date: str = "2000-01-01T00:00:00Z"
    page_size: int = Field(default=50, ge=1, le=250)

    @field_validator("shop_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local sandbox)")
        return value.rstrip("/")


class SourcesSettings(_Strict):
    """One block per source; a source without a block is not loaded."""

    shopify: ShopifySettings | None = None


class WebSettings(_Strict):
    """Where ``storeboard serve`` listens."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)


class Config(_Strict):
    """The whole of ``storeboard.yml``."""

    warehouse: SecretStr = SecretStr(DEFAULT_WAREHOUSE)
    store: StoreSettings = StoreSettings()
    sources: SourcesSettings = SourcesSettings()
    web: WebSettings = WebSettings()
    #: folder the config was read from; relative paths resolve against it
    base_dir: Path = Path(".")

    @field_validator("warehouse")
    @classmethod
    def _known_scheme(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if not url.startswith(("duckdb:///", "postgresql://", "postgres://")):
            raise ValueError("must be duckdb:///<file> or postgresql://user@host:port/database")
        return value

    @property
    def state_dir(self) -> Path:
        """Folder for local working files (dlt pipeline folders, dbt target)."""
        return self.base_dir / ".storeboard"

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
        key = ".".join(str(p) for p in item["loc"])
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
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    data = _interpolate(raw, env, "")
    data["base_dir"] = path.resolve().parent
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, str(path))) from None


EXAMPLE_CONFIG = """\
# storeboard.yml: where Storeboard reads from and writes to.
# Secrets never go in this file: write ${{NAME}} and set NAME in the environment or in a .env file
# beside this one (real environment variables win over .env).

# The warehouse: a DuckDB file (relative to this file) or a PostgreSQL / Supabase database.
#   duckdb:///storeboard.duckdb
#   postgresql://storeboard:${{STOREBOARD_DB_PASSWORD}}@db.example.com:5432/analytics
warehouse: {warehouse}

store:
  # IANA time zone that days and weeks are counted in. Default: the Shopify shop's time zone.
  timezone: {timezone}
  # Three-letter shop currency. Default: the Shopify shop's currency.
  currency: {currency}

sources:
  shopify:
    enabled: true
    # https://<your-shop>.myshopify.com
    shop_url: {shopify_url}
    # Admin API access token with read_orders (and read_all_orders for more than 60 days).
    access_token: ${{SHOPIFY_ACCESS_TOKEN}}
    # Admin API version; the connector is tested against this one.
    api_version: "2026-04"
    # Orders per page (1-250); keep the requested query cost under Shopify's 1,000 points.
    page_size: 50

web:
  host: 127.0.0.1
  port: 8000
"""


def example_config(
    shopify_url: str = "https://your-shop.myshopify.com",
    warehouse: str = DEFAULT_WAREHOUSE,
    timezone: str | None = None,
    currency: str | None = None,
) -> str:
    """Render the commented example config written by ``storeboard init``."""
    return EXAMPLE_CONFIG.format(
        shopify_url=shopify_url,
        warehouse=warehouse,
        timezone=timezone or "null",
        currency=currency or "null",
    )
