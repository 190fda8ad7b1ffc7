"""The ``storeboard`` command: parse, call the core, render with Rich, set the exit code."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from storeboard.config import CONFIG_FILE, Config, example_config, load_config
from storeboard.errors import ConfigError, StoreboardError

app = typer.Typer(help="Storeboard: one pipeline and one source of truth for your store.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console(stderr=True)
ConfigOption = typer.Option(Path(CONFIG_FILE), "--config", "-c", help="Path to storeboard.yml.")


def _setup_logging(verbose: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    if env := os.environ.get("STOREBOARD_LOG_LEVEL"):
        level = getattr(logging, env.upper(), level)
    logging.basicConfig(level=level, format="%(message)s", handlers=[RichHandler(console=console, show_path=False)], force=True)
    # dlt warns about every all-null column; Storeboard's staging handles those, so keep it quiet.
    logging.getLogger("dlt").setLevel(logging.ERROR if level > logging.DEBUG else logging.DEBUG)


@app.callback()
def _main(verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="-v for INFO, -vv for DEBUG logs.")) -> None:
    _setup_logging(verbose)


def _fail(exc: StoreboardError, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code)


def _load(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        _fail(exc, 2)
        raise  # unreachable


def _run_with_progress(config: Config, sources: list[str] | None, full_refresh: bool, trigger: str):
    from storeboard import pipeline

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=False) as progress:
        tasks: dict[str, int] = {}

        def on_step(step: str, status: str, detail: str) -> None:
            label = step.replace("extract:", "Extract + load ").replace("transform", "Build models (dbt)")
            if status == "started":
                tasks[step] = progress.add_task(label, total=None)
                return
            mark = "[green]✓[/]" if status == "ok" else "[red]✗[/]"
            progress.update(tasks[step], description=f"{mark} {label}: {detail}", total=1, completed=1)

        return pipeline.run(config, sources=sources, full_refresh=full_refresh, progress=on_step, trigger=trigger)


@app.command()
def init(path: Path = ConfigOption, force: bool = typer.Option(False, help="Overwrite an existing file.")) -> None:
    """Write a commented example storeboard.yml."""
    if path.exists() and not force:
        _fail(ConfigError(f"{path} already exists; pass --force to overwrite it"), 2)
    path.write_text(example_config(), encoding="utf-8")
    console.print(f"Wrote {path}. Set SHOPIFY_ACCESS_TOKEN in the environment or a .env file beside it, "
                  "uncomment the other sources you use, then run `storeboard doctor`.")


@app.command()
def run(
    path: Path = ConfigOption,
    source: Optional[list[str]] = typer.Option(None, "--source", "-s", help="Only this source (repeatable)."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Reload the selected sources from scratch."),
) -> None:
    """Refresh once: extract every source, load the warehouse, build the models."""
    config = _load(path)
    unknown = [s for s in source or [] if s not in config.enabled_sources()]
    if unknown:
        _fail(ConfigError(f"source {unknown[0]!r} is not configured in {path} (configured: {', '.join(config.enabled_sources()) or 'none'})"), 2)
    report = _run_with_progress(config, source or None, full_refresh, "cli")
    if not report.ok:
        for error in report.errors:
            console.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(1)


@app.command()
def doctor(path: Path = ConfigOption) -> None:
    """Check the config, the warehouse and every source's credentials; say exactly what is wrong."""
    from storeboard.pipeline import check_source
    from storeboard.warehouse import Warehouse

    config = _load(path)
    problems = 0
    console.print(f"[green]✓[/] {path} is valid")
    warehouse = Warehouse.from_config(config)
    try:
        with warehouse.connect() as conn:
            conn.query("select 1 as ok")
        console.print(f"[green]✓[/] warehouse {warehouse.display_url} is reachable")
    except StoreboardError as exc:
        problems += 1
        console.print(f"[red]✗[/] {exc}")
    for name in config.enabled_sources():
        try:
            detail = check_source(config, name)
            console.print(f"[green]✓[/] {name}: {detail}")
        except StoreboardError as exc:
            problems += 1
            console.print(f"[red]✗[/] {name}: {exc}")
    raise typer.Exit(1 if problems else 0)


@app.command()
def serve(
    path: Path = ConfigOption,
    host: Optional[str] = typer.Option(None, help="Address to listen on (default from config: 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, help="Port (default from config: 8000)."),
) -> None:
    """Serve the dashboards."""
    config = _load(path)
    _serve(config, host or config.web.host, port or config.web.port)


def _serve(config: Config, host: str, port: int) -> None:
    import uvicorn

    from storeboard.web.app import create_app

    console.print(f"Dashboards at [bold]http://{host}:{port}/[/] (Ctrl+C to stop)")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def _generate(seed: int, orders: int, days: int, as_of: Optional[str]):
    """Generate the synthetic store; returns its generator (which can keep the store growing)."""
    from storeboard.demo import parse_as_of
    from storeboard.sandbox import GeneratorSettings, StoreGenerator

    try:
        generator = StoreGenerator(GeneratorSettings(seed=seed, as_of=parse_as_of(as_of), days=days, orders=orders))
    except ConfigError as exc:
        _fail(exc, 2)
    started = time.monotonic()
    with console.status("Generating the synthetic store…"):
        store = generator.generate()
    console.print(f"[green]✓[/] Generated {len(store.orders):,} orders, {len(store.customers):,} customers, "
                  f"{len(store.products):,} SKUs ({time.monotonic() - started:.1f}s)")
    return generator


@app.command()
def sandbox(
    port: int = typer.Option(8765, help="Port on 127.0.0.1."),
    seed: int = typer.Option(42),
    orders: int = typer.Option(60_000, help="Approximate number of orders."),
    days: int = typer.Option(730, help="Days of history."),
    as_of: Optional[str] = typer.Option(None, help="End of history (date or timestamp, UTC); default now."),
    restore_rate: float = typer.Option(100_000.0, help="Shopify cost points restored per second (100 = Standard plan)."),
    store_file: Optional[Path] = typer.Option(None, "--store", help="Serve this hand-written store (JSON or YAML)."),
    live: bool = typer.Option(True, "--live/--no-live", help="Keep placing orders as time passes (generated stores)."),
) -> None:
    """Serve the sandbox APIs and write a storeboard.yml (if none exists) that points at them."""
    from storeboard.demo import write_sandbox_config
    from storeboard.sandbox import SandboxServer
    from storeboard.sandbox.shopify import CostBucket
    from storeboard.sandbox.live import LiveTrading
    from storeboard.sandbox.storefile import load_store

    generator = None
    if store_file is not None:
        try:
            store = load_store(store_file)
        except ConfigError as exc:
            _fail(exc, 2)
        console.print(f"[green]✓[/] Loaded {len(store.orders):,} orders from {store_file}")
    else:
        generator = _generate(seed, orders, days, as_of)
        store = generator.store
    server = SandboxServer(store, port=port, shopify_bucket=CostBucket(max(2000.0, restore_rate * 2), restore_rate),
                           generator=generator)
    try:
        wrote = write_sandbox_config(Path.cwd(), server.url, overwrite_demo=False, store=store)
    except ConfigError as exc:
        _fail(exc, 2)
    console.print(("Wrote storeboard.yml and .env pointing at the sandbox" if wrote else
                   "Kept the existing storeboard.yml") + "; in another shell run `storeboard run`.")
    console.print(f"Sandbox at [bold]{server.url}[/] (Ctrl+C to stop)")
    server.start()
    trading = LiveTrading(generator).start() if live and generator is not None else None
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        if trading:
            trading.stop()
        server.stop()


@app.command()
def demo(
    port: int = typer.Option(8000, help="Dashboard port on 127.0.0.1."),
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve the dashboards when the build is done."),
    seed: int = typer.Option(42),
    orders: int = typer.Option(60_000, help="Approximate number of orders."),
    days: int = typer.Option(730, help="Days of history."),
    as_of: Optional[str] = typer.Option(None, help="End of history (date or timestamp, UTC); default now."),
) -> None:
    """Generate a store, serve it from the sandbox, load and model it, then serve the dashboards."""
    from storeboard.demo import write_sandbox_config
    from storeboard.sandbox import SandboxServer
    from storeboard.sandbox.shopify import CostBucket

    generator = _generate(seed, orders, days, as_of)
    store = generator.store
    server = SandboxServer(store, shopify_bucket=CostBucket(1_000_000.0, 1_000_000.0), generator=generator).start()
    try:
        write_sandbox_config(Path.cwd(), server.url, overwrite_demo=True, store=store)
        config = _load(Path.cwd() / CONFIG_FILE)
        # The store is regenerated on every demo, so its data replaces the previous demo's.
        report = _run_with_progress(config, None, full_refresh=True, trigger="demo")
        if not report.ok:
            for error in report.errors:
                console.print(f"[bold red]error:[/] {error}")
            raise typer.Exit(1)
        if serve_after:
            from storeboard.sandbox.live import LiveTrading

            # The store keeps trading while the dashboards are up, so the scheduled refresh has news.
            LiveTrading(generator).start()
            _serve(config, "127.0.0.1", port)
    except StoreboardError as exc:
        _fail(exc)
    finally:
        server.stop()


def main() -> None:
    try:
        app()
    except StoreboardError as exc:  # a last resort: commands handle their own errors
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
