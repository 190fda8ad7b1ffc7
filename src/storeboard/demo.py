"""The demo and the stand-alone sandbox: a generated store, served on loopback, with a config
and ``.env`` in the current folder that point every source at it.

The demo serves the sandbox from a process of its own (``SandboxProcess``): rendering API pages
and loading them (dlt) are both CPU-bound Python, and in one process they would share one core.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from storeboard.config import CONFIG_FILE, example_config
from storeboard.errors import ConfigError
from storeboard.gc_tuning import collect_less
from storeboard.sandbox import credentials
from storeboard.sandbox.files_data import write_drop
from storeboard.sandbox.store import Store

DEMO_MARKER = "# Written by storeboard demo / storeboard sandbox"

#: Sources the sandbox imitates, in the order the config lists them.
SANDBOX_SOURCES = ["shopify", "stripe", "meta_ads", "google_ads", "hubspot", "files"]
#: Folder (beside the config) where the sandbox drops its CSV files.
DROP_FOLDER = "sandbox-drop"


def sandbox_source_values(url: str, shopify_form: str = "client_credentials") -> dict[str, dict[str, str]]:
    """The config block values that point each sandbox source at ``url``; Shopify through a Dev
    Dashboard app's client credentials, as stores set up since 2026 connect (or ``access_token``,
    a legacy custom app's token)."""
    values = {
        "shopify": {"base_url": url, "shopify_form": shopify_form, "shopify_client_id": credentials.SHOPIFY_CLIENT_ID},
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


def sandbox_env(shopify_form: str = "client_credentials") -> dict[str, str]:
    """The ``.env`` of a sandbox config: each source's test credentials and the webhook signing
    secrets the sandbox signs with (none of them secret). Shopify's client secret signs its
    webhooks; the legacy form has a token and a webhook secret of its own."""
    from storeboard.sandbox.stripe_webhooks import STRIPE_WEBHOOK_SECRET

    env = {k: v for name in SANDBOX_SOURCES for k, v in credentials.ENV[name].items()}
    if shopify_form == "access_token":
        del env["SHOPIFY_CLIENT_SECRET"]
        env.update(credentials.LEGACY_SHOPIFY_ENV)
    env["STRIPE_WEBHOOK_SECRET"] = STRIPE_WEBHOOK_SECRET
    return env


def write_sandbox_config(folder: Path, sandbox_url: str, overwrite_demo: bool, store: Store | None = None,
                         shopify_form: str = "client_credentials") -> bool:
    """Write ``storeboard.yml`` and ``.env`` pointing at the sandbox, and the CSV drop folder.

    Args:
        folder: where to write.
        sandbox_url: the sandbox's base address.
        overwrite_demo: replace a config that an earlier demo wrote (its sandbox port changes).
        store: the served store, whose inventory and shipping CSVs go into the drop folder.
        shopify_form: ``client_credentials`` (a Dev Dashboard app) or ``access_token`` (legacy).

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
    text = example_config(sources=sandbox_source_values(sandbox_url, shopify_form), webhooks=True)
    if store is not None and store.settings:  # a store file's own settings (FX rates, report date …)
        text += "\n# From the store file's settings.\n" + yaml.safe_dump(store.settings, sort_keys=False)
    config_path.write_text(f"{DEMO_MARKER}: every source points at the local sandbox.\n" + text, encoding="utf-8")
    env_path = folder / ".env"
    env = sandbox_env(shopify_form)
    # The other form's variables go too, so switching forms never leaves a stale credential behind.
    written = set(env) | set(credentials.LEGACY_SHOPIFY_ENV) | set(credentials.ENV["shopify"])
    kept = []
    if env_path.exists():
        kept = [line for line in env_path.read_text(encoding="utf-8").splitlines() if line.split("=", 1)[0] not in written]
    lines = kept + [f"{k}={v}" for k, v in env.items()]
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


@dataclass(frozen=True)
class SandboxReady:
    """What the sandbox process reports once it serves: its address and the store it generated."""

    url: str
    orders: int
    customers: int
    skus: int
    seconds: float


class SandboxProcess:
    """The demo's sandbox in a child process: it generates the store, writes the CSV drop into
    ``folder``, serves every API on a free loopback port, and keeps trading when asked.

    The child stops when ``stop`` is called, and on its own when this process goes away (its end
    of the pipe closes), so Ctrl-C or a crash never leaves a sandbox behind. It ignores SIGINT:
    Ctrl-C reaches the whole process group, and the parent decides when the sandbox stops.

    Args:
        seed, orders, days, as_of: the store to generate (``GeneratorSettings``; ``days`` None:
            the default history for that many orders).
        folder: where the CSV drop folder is written.
        live_interval: seconds between two batches of live orders once trading starts.
    """

    def __init__(self, seed: int, orders: int, days: int | None, as_of: datetime, folder: Path,
                 live_interval: float = 30.0):
        self._args = (seed, orders, days, as_of, str(folder), live_interval)
        self._conn: Any = None
        self._process: Any = None
        self.ready: SandboxReady | None = None

    @property
    def url(self) -> str:
        if self.ready is None:
            raise RuntimeError("the sandbox process has not started")
        return self.ready.url

    def start(self, timeout: float = 600.0) -> SandboxReady:
        """Start the child and wait until it serves.

        Raises:
            ConfigError: the store settings are invalid (the child's message).
            RuntimeError: the child died or did not answer within ``timeout`` seconds.
        """
        # spawn, not fork: this process may already run threads (Rich's spinner) holding locks.
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_sandbox, args=(child, *self._args),
                                        name="storeboard-sandbox", daemon=True)
        self._process.start()
        child.close()
        deadline = time.monotonic() + timeout
        while not self._conn.poll(0.2):
            if not self._process.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox process did not start (exit code "
                                   f"{self._process.exitcode}); run `storeboard sandbox` to see why")
        message = self._conn.recv()
        if "error" in message:
            self.stop()
            raise ConfigError(message["error"])
        self.ready = SandboxReady(**message)
        return self.ready

    def start_trading(self) -> None:
        """Keep placing orders as time passes (while the dashboards are served)."""
        self._conn.send("trade")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the child: ask, then terminate it if it has not stopped within ``timeout``."""
        if self._process is None:
            return
        try:
            self._conn.send("stop")
        except (BrokenPipeError, OSError):
            pass
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout)
        self._conn.close()
        self._process = None

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve_sandbox(conn: Any, seed: int, orders: int, days: int | None, as_of: datetime, folder: str,
                   live_interval: float) -> None:
    """The sandbox process: generate, write the drop, serve, report ready, wait for orders."""
    import gc
    import threading

    from storeboard.sandbox import GeneratorSettings, SandboxServer, StoreGenerator
    from storeboard.sandbox.generate import history_days_for
    from storeboard.sandbox.live import LiveTrading
    from storeboard.sandbox.shopify import CostBucket

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        generator = StoreGenerator(GeneratorSettings(seed=seed, as_of=as_of, days=days or history_days_for(orders),
                                                     orders=orders))
        started = time.monotonic()
        store = generator.generate()
    except ConfigError as exc:
        conn.send({"error": str(exc)})
        return
    seconds = time.monotonic() - started
    gc.freeze()  # the store lives as long as the process: keep the collector from rescanning it
    collect_less()  # rendering pages allocates a dict per field
    if "files" in SANDBOX_SOURCES:
        write_drop(store, Path(folder) / DROP_FOLDER)
    # The demo's own Shopify bucket is large: it pages customers and variants once, beside a bulk backfill.
    server = SandboxServer(store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0), generator=generator).start()
    # Build each API's derived objects now rather than on its first request, while the client
    # is still starting dlt.
    threading.Thread(target=_warm, args=(server,), name="sandbox-warm", daemon=True).start()
    conn.send({"url": server.url, "orders": len(store.orders), "customers": len(store.customers),
               "skus": len(store.products), "seconds": seconds})
    trading = None
    try:
        while True:
            message = conn.recv()
            if message == "trade" and trading is None:
                trading = LiveTrading(generator, interval=live_interval).start()
            elif message == "stop":
                break
    except (EOFError, OSError):
        pass  # the demo process went away
    finally:
        if trading is not None:
            trading.stop()
        server.stop()


def _warm(server: Any) -> None:
    """Build the objects each API derives from the store (Stripe's payments, HubSpot's CRM, the
    ad platforms' metrics) before the first list request would have to wait for them."""
    from storeboard.sandbox.hubspot_data import hubspot_records

    for name in ("stripe", "meta", "google_ads"):
        api = next((a for a in server.apis if a.name == name), None)
        if api is not None and hasattr(api, "data"):
            api.data()
    hubspot_records(server.store)
