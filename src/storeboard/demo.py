"""The demo and the stand-alone sandbox: a generated store, served on loopback, with a config
and ``.env`` in the current folder that point every source at it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from storeboard.config import CONFIG_FILE, example_config
from storeboard.errors import ConfigError
from storeboard.sandbox.server import SHOPIFY_TOKEN

DEMO_MARKER = "# Written by storeboard demo / storeboard sandbox"


def write_sandbox_config(folder: Path, sandbox_url: str, overwrite_demo: bool) -> bool:
    """Write ``storeboard.yml`` and ``.env`` pointing at the sandbox.

    Args:
        folder: where to write.
        sandbox_url: the sandbox's base address.
        overwrite_demo: replace a config that an earlier demo wrote (its sandbox port changes).

    Returns:
        True when the files were written, False when a config already existed and was kept.

    Raises:
        ConfigError: a user's own config is in the folder and ``overwrite_demo`` asks to replace it.
    """
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
    text = example_config(shopify_url=sandbox_url)
    config_path.write_text(f"{DEMO_MARKER}: every source points at the local sandbox.\n" + text, encoding="utf-8")
    env_path = folder / ".env"
    lines = [line for line in env_path.read_text(encoding="utf-8").splitlines() if not line.startswith("SHOPIFY_ACCESS_TOKEN=")] if env_path.exists() else []
    lines.append(f"SHOPIFY_ACCESS_TOKEN={SHOPIFY_TOKEN}")
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
