"""The demo and the stand-alone sandbox: a generated store, served on loopback, with a config
and ``.env`` in the current folder that point every source at it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from storeboard.config import CONFIG_FILE, example_config
from storeboard.errors import ConfigError
from storeboard.sandbox import credentials
from storeboard.sandbox.files_data import write_drop
from storeboard.sandbox.store import Store

DEMO_MARKER = "# Written by storeboard demo / storeboard sandbox"

#: Sources the sandbox imitates, in the order the config lists them.
SANDBOX_SOURCES = ["shopify", "stripe", "meta_ads", "google_ads", "hubspot", "files"]
#: Folder (beside the config) where the sandbox drops its CSV files.
DROP_FOLDER = "sandbox-drop"


def sandbox_source_values(url: str) -> dict[str, dict[str, str]]:
    """The config block values that point each sandbox source at ``url``."""
    values = {
        "shopify": {"base_url": url},
        "stripe": {"base_url": url},
        "meta_ads": {"base_url": url, "meta_account": credentials.META_ACCOUNT_ID},
        "google_ads": {
            "base_url": url,
            "google_client_id": credentials.GOOGLE_CLIENT_ID,
            "google_login_customer_id": credentials.GOOGLE_LOGIN_CUSTOMER_ID,
            "google_customer_ids": ", ".join(f'"{c}"' for c in credentials.GOOGLE_CUSTOMER_IDS),
            "google_token_url": f"{url}/oauth2/token",
        },
        "hubspot": {"base_url": url},
        "files": {"folder": DROP_FOLDER},
    }
    return {name: values[name] for name in SANDBOX_SOURCES}


def sandbox_webhook_env() -> dict[str, str]:
    """The webhook signing secrets the sandbox signs with (test credentials, not secret)."""
    from storeboard.sandbox.stripe_webhooks import STRIPE_WEBHOOK_SECRET

    return {"SHOPIFY_WEBHOOK_SECRET": credentials.SHOPIFY_WEBHOOK_SECRET, "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET}


def write_sandbox_config(folder: Path, sandbox_url: str, overwrite_demo: bool, store: Store | None = None) -> bool:
    """Write ``storeboard.yml`` and ``.env`` pointing at the sandbox, and the CSV drop folder.

    Args:
        folder: where to write.
        sandbox_url: the sandbox's base address.
        overwrite_demo: replace a config that an earlier demo wrote (its sandbox port changes).
        store: the served store, whose inventory and shipping CSVs go into the drop folder.

    Returns:
        True when the files were written, False when a config already existed and was kept.

    Raises:
        ConfigError: a user's own config is in the folder and ``overwrite_demo`` asks to replace it.
    """
    if store is not None and "files" in SANDBOX_SOURCES:
        write_drop(store, folder / DROP_FOLDER)
    config_path = folder / CONFIG_FILE
    if config_path.exists():
        is_demo = config_path.read_text(encoding="utf-8").startswith(DEMO_MARKER)
        if not overwrite_demo:
            return False
        if not is_demo:
            raise ConfigError(
                f"{config_path} exists and was not written by the demo; run `storeboard demo` in an empty folder "
                "so your own configuration and warehouse are not touched"
            )
    text = example_config(sources=sandbox_source_values(sandbox_url), webhooks=True)
    config_path.write_text(f"{DEMO_MARKER}: every source points at the local sandbox.\n" + text, encoding="utf-8")
    env_path = folder / ".env"
    sandbox_env = {k: v for name in SANDBOX_SOURCES for k, v in credentials.ENV[name].items()}
    sandbox_env.update(sandbox_webhook_env())
    kept = []
    if env_path.exists():
        kept = [line for line in env_path.read_text(encoding="utf-8").splitlines() if line.split("=", 1)[0] not in sandbox_env]
    lines = kept + [f"{k}={v}" for k, v in sandbox_env.items()]
    env_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_path.chmod(0o600)
    return True


def parse_as_of(value: str | None) -> datetime:
    """``--as-of`` as a UTC datetime: a date (end of history at that day's end) or a timestamp."""
    if not value:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of must be a date or timestamp like 2026-11-25, not {value!r}") from None
    if len(value) == 10:
        parsed = parsed.replace(hour=23, minute=59)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
