"""The ``storeboard`` command: parse, call the core, render with Rich, set the exit code."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from storeboard.config import CONFIG_FILE, Config, example_config, load_config
from storeboard.errors import ConfigError, StoreboardError
from storeboard.gc_tuning import collect_less
from storeboard.runtime import Runtime

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


def _runtime(path: Path) -> Runtime:
    """The command's one runtime (config, warehouse, store), passed to everything it calls."""
    return Runtime.from_config(_load(path))


def _tune_gc() -> None:
    """Fewer garbage-collector passes for this process (``gc_tuning``), for the commands that
    load or serve a store. Process-wide, so set here by the command that owns the process, not by
    the pipeline it calls (which also runs inside Airflow workers and tests)."""
    collect_less()


def _run_with_progress(rt: Runtime, sources: list[str] | None, full_refresh: bool, trigger: str,
                       locked: bool = False, replay_quarantine: bool = False):
    from storeboard import orchestration, pipeline

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=False) as progress:
        tasks: dict[str, int] = {}

        def on_step(step: str, status: str, detail: str) -> None:
            label = step.replace("extract:", "Extract + load ").replace("transform", "Build models (dbt)") \
                .replace("replay_quarantine", "Replay quarantined records")
            if status == "started":
                tasks[step] = progress.add_task(label, total=None)
                return
            mark = "[green]✓[/]" if status == "ok" else "[red]✗[/]"
            progress.update(tasks[step], description=f"{mark} {label}: {detail}", total=1, completed=1)

        if not locked:
            return pipeline.run(rt, sources=sources, full_refresh=full_refresh, progress=on_step, trigger=trigger)
        # Under the warehouse's refresh lock (never beside the scheduler or Airflow), then the alerts.
        outcome = orchestration.refresh(rt, trigger, sources, full_refresh, progress=on_step,
                                        replay_quarantine=replay_quarantine)
        if not outcome.ran:
            console.print(f"[yellow]Skipped:[/] {outcome.reason}")
            raise typer.Exit(3)
        return outcome.report


@app.command()
def init(path: Path = ConfigOption, force: bool = typer.Option(False, help="Overwrite an existing file.")) -> None:
    """Write a commented example storeboard.yml."""
    if path.exists() and not force:
        _fail(ConfigError(f"{path} already exists; pass --force to overwrite it"), 2)
    path.write_text(example_config(), encoding="utf-8")
    console.print(f"Wrote {path}. Set sources.shopify.client_id and SHOPIFY_CLIENT_SECRET (your Dev Dashboard "
                  "app; a legacy custom app sets access_token instead) in the environment or a .env file beside it, "
                  "uncomment the other sources you use, then run `storeboard doctor`.")


@app.command()
def run(
    path: Path = ConfigOption,
    source: list[str] | None = typer.Option(None, "--source", "-s", help="Only this source (repeatable)."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Reload the selected sources from scratch."),
    replay_quarantine: bool = typer.Option(
        False, "--replay-quarantine",
        help="Also load the quarantined records (Stripe, HubSpot) that pass their checks now, after a fix."),
) -> None:
    """Refresh once: extract every source, load the warehouse, build the models."""
    rt = _runtime(path)
    config = rt.config
    unknown = [s for s in source or [] if s not in config.enabled_sources()]
    if unknown:
        configured = ", ".join(config.enabled_sources()) or "none"
        _fail(ConfigError(f"source {unknown[0]!r} is not configured in {path} (configured: {configured})"), 2)
    _tune_gc()
    report = _run_with_progress(rt, source or None, full_refresh, "cli", locked=True,
                                replay_quarantine=replay_quarantine)
    if not report.ok:
        for error in report.errors:
            console.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(1)


@app.command()
def doctor(path: Path = ConfigOption) -> None:
    """Check the config, the warehouse and every source's credentials; say exactly what is wrong."""
    from storeboard.pipeline import check_source

    rt = _runtime(path)
    config, warehouse = rt.config, rt.warehouse
    problems = 0
    console.print(f"[green]✓[/] {path} is valid")
    try:
        with warehouse.connect() as conn:
            conn.query("select 1 as ok")
        console.print(f"[green]✓[/] warehouse {warehouse.display_url} is reachable")
    except StoreboardError as exc:
        problems += 1
        console.print(f"[red]✗[/] {exc}")
    _doctor_web_role(rt)
    for name in config.enabled_sources():
        if name == "shopify" and not _doctor_shopify_credentials(config):
            problems += 1
            continue  # the shop cannot be read without a token
        try:
            detail = check_source(config, name)
            console.print(f"[green]✓[/] {name}: {detail}")
        except StoreboardError as exc:
            problems += 1
            console.print(f"[red]✗[/] {name}: {exc}")
    raise typer.Exit(1 if problems else 0)


def _doctor_shopify_credentials(config: Config) -> bool:
    """Print which Shopify credential form is in use and, for a Dev Dashboard app, whether the
    token exchange works and how long a token lives; False when it does not work."""
    from storeboard.sources.shopify.auth import describe

    try:
        console.print(f"[green]✓[/] shopify credentials: {describe(config.sources.shopify)}")
        return True
    except StoreboardError as exc:
        console.print(f"[red]✗[/] shopify credentials: {exc}")
        return False


def _doctor_web_role(rt: Runtime) -> None:
    """Warn when the dashboards and the SQL explorer would read PostgreSQL as a superuser."""
    from storeboard.warehouse import web_warehouse

    config = rt.config
    web = web_warehouse(config, rt.warehouse)
    if web.kind != "postgres":
        return
    try:
        name, superuser = web.acting_as()
    except StoreboardError as exc:
        console.print(f"[yellow]![/] the web's warehouse user cannot log in: {exc}")
        return
    if superuser:
        console.print("[yellow]![/] the dashboards and the SQL explorer would read PostgreSQL as a superuser: "
                      f"run `storeboard run` so the build creates the SELECT-only role {config.web.reader_role} "
                      "(the warehouse user needs CREATEROLE), or set web.reader_password (e.g. "
                      "${STOREBOARD_READER_PASSWORD}) for a login role of its own (docs/security.md)")
    else:
        console.print(f"[green]✓[/] the web reads PostgreSQL as {name}, not a superuser")


@app.command()
def serve(
    path: Path = ConfigOption,
    host: str | None = typer.Option(None, help="Address to listen on (default from config: 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default from config: 8000)."),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler",
                                   help="Run the refresh, alerts and weekly email on schedule (config: schedule)."),
) -> None:
    """Serve the dashboards, and refresh, alert and email on schedule."""
    from storeboard.scheduler import start_scheduler

    rt = _runtime(path)
    config = rt.config
    # The scheduled refreshes load whole stores in this process (see gc_tuning).
    _tune_gc()
    jobs = start_scheduler(rt) if scheduler else None
    try:
        _serve(rt, host or config.web.host, port or config.web.port)
    finally:
        if jobs is not None:
            jobs.shutdown(wait=False)


def _serve(rt: Runtime, host: str, port: int) -> None:
    import uvicorn

    from storeboard.web.app import create_app

    console.print(f"Dashboards at [bold]http://{host}:{port}/[/] (Ctrl+C to stop)")
    uvicorn.run(create_app(rt), host=host, port=port, log_level="warning")


def _generate(seed: int, orders: int, days: int | None, as_of: str | None):
    """Generate the synthetic store; returns its generator (which can keep the store growing)."""
    import gc

    from storeboard.demo import parse_as_of
    from storeboard.sandbox import GeneratorSettings, StoreGenerator
    from storeboard.sandbox.generate import history_days_for

    try:
        generator = StoreGenerator(GeneratorSettings(seed=seed, as_of=parse_as_of(as_of),
                                                     days=days or history_days_for(orders), orders=orders))
    except ConfigError as exc:
        _fail(exc, 2)
    started = time.monotonic()
    with console.status("Generating the synthetic store…"):
        store = generator.generate()
    console.print(f"[green]✓[/] Generated {len(store.orders):,} orders, {len(store.customers):,} customers, "
                  f"{len(store.products):,} SKUs ({time.monotonic() - started:.1f}s)")
    gc.freeze()  # the store lives as long as the process: keep the collector from rescanning it
    collect_less()  # rendering pages allocates a dict per field
    return generator


@app.command()
def sandbox(
    port: int = typer.Option(8765, help="Port on 127.0.0.1."),
    seed: int = typer.Option(42),
    orders: int = typer.Option(60_000, "--orders", "--scale", help="Approximate number of orders (up to millions)."),
    days: int | None = typer.Option(None, help="Days of history (default 730; 1,095 above 100k orders)."),
    as_of: str | None = typer.Option(None, help="End of history (date or timestamp, UTC); default now."),
    restore_rate: float = typer.Option(100_000.0, help="Shopify cost points restored per second (100 = Standard plan)."),
    store_file: Path | None = typer.Option(None, "--store", help="Serve this hand-written store (JSON or YAML)."),
    live: bool = typer.Option(True, "--live/--no-live", help="Keep placing orders as time passes (generated stores)."),
) -> None:
    """Serve the sandbox APIs and write a storeboard.yml (if none exists) that points at them."""
    from storeboard.demo import write_sandbox_config
    from storeboard.sandbox import SandboxServer
    from storeboard.sandbox.live import LiveTrading
    from storeboard.sandbox.shopify import CostBucket
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
    orders: int = typer.Option(60_000, "--orders", "--scale", help="Approximate number of orders (up to millions)."),
    days: int | None = typer.Option(None, help="Days of history (default 730; 1,095 above 100k orders)."),
    as_of: str | None = typer.Option(None, help="End of history (date or timestamp, UTC); default now."),
) -> None:
    """Generate a store, serve it from the sandbox, load and model it, then serve the dashboards."""
    from storeboard.demo import SandboxProcess, parse_as_of, write_sandbox_config

    try:
        # The sandbox generates and serves the store from a process of its own (a second core).
        server = SandboxProcess(seed, orders, days, parse_as_of(as_of), Path.cwd())
        with console.status("Generating the synthetic store…"):
            ready = server.start()
    except ConfigError as exc:
        _fail(exc, 2)
    console.print(f"[green]✓[/] Generated {ready.orders:,} orders, {ready.customers:,} customers, "
                  f"{ready.skus:,} SKUs ({ready.seconds:.1f}s)")
    try:
        write_sandbox_config(Path.cwd(), server.url, overwrite_demo=True)
        rt = _runtime(Path.cwd() / CONFIG_FILE)
        _tune_gc()
        # The store is regenerated on every demo, so its data replaces the previous demo's.
        report = _run_with_progress(rt, None, full_refresh=True, trigger="demo")
        if not report.ok:
            for error in report.errors:
                console.print(f"[bold red]error:[/] {error}")
            raise typer.Exit(1)
        if serve_after:
            # The store keeps trading while the dashboards are up, so the scheduled refresh has news.
            server.start_trading()
            _serve(rt, "127.0.0.1", port)
    except StoreboardError as exc:
        _fail(exc)
    finally:
        server.stop()


report_app = typer.Typer(help="Reports: the weekly summary email.", no_args_is_help=True)
alerts_app = typer.Typer(help="Slack alerts.", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(alerts_app, name="alerts")


@report_app.command("weekly")
def report_weekly(
    path: Path = ConfigOption,
    send: bool = typer.Option(False, "--send", help="Email it to email.recipients (once per week unless --force)."),
    preview: bool = typer.Option(False, "--preview", help="Write the HTML to --out instead of sending."),
    out: Path = typer.Option(Path("weekly-report.html"), "--out", "-o", help="Where --preview writes the HTML."),
    week: str | None = typer.Option(None, "--week", help="Monday of the week (YYYY-MM-DD); default: last full week."),
    force: bool = typer.Option(False, "--force", help="Send even if this week's report was already sent."),
) -> None:
    """Build the weekly summary: --preview writes the HTML locally, --send emails it."""
    from datetime import date

    from storeboard.notify import email

    rt = _runtime(path)
    config = rt.config
    if send == preview:
        _fail(ConfigError("pass exactly one of --send or --preview"), 2)
    try:
        week_start = date.fromisoformat(week) if week else None
    except ValueError:
        _fail(ConfigError(f"--week must be a date like 2026-11-16, not {week!r}"), 2)
    if week_start is not None and week_start.weekday() != 0:
        _fail(ConfigError(f"--week must be a Monday (ISO weeks start on Monday); {week_start} is a {week_start:%A}"), 2)
    try:
        if preview:
            written = email.preview(rt, out, week_start)
            console.print(f"[green]✓[/] Wrote {written}")
            return
        if not config.email.recipients:
            _fail(ConfigError(f"{path}: email.recipients is empty: add at least one address to send the report"), 2)
        if week_start is None:
            week_start = email.report_week(rt.store().local())
        result = email.send_weekly_report(rt, week_start=week_start, force=force, trigger="cli")
    except StoreboardError as exc:
        _fail(exc)
    if result.status == "failed":
        _fail(StoreboardError(f"weekly report not sent: {result.reason}"))
    if result.status == "skipped":
        console.print(f"[yellow]Not sent:[/] {result.reason} (use --force to send again)")
        return
    console.print(f"[green]✓[/] Sent {result.report_key} to {', '.join(config.email.recipients)}")


@alerts_app.command("run")
def alerts_run(path: Path = ConfigOption) -> None:
    """Evaluate the alert rules on the current marts and deliver what is queued."""
    from storeboard.orchestration import alerts_step

    result = alerts_step(_runtime(path), trigger="cli")
    if result.skipped:
        console.print(f"[yellow]Skipped:[/] {result.skipped}")
        return
    console.print(f"Rules evaluated: {', '.join(result.evaluated) or 'none'}")
    console.print(f"{len(result.fired)} new alert(s), {len(result.recovered)} recovered, "
                  f"{result.delivered} delivered, {result.pending} pending")
    for item in result.fired:
        console.print(f"  [bold]fired[/] {item}")
    if result.error:
        _fail(StoreboardError(result.error))


@app.command()
def bench(
    scale: list[str] = typer.Option(["demo"], "--scale", help="demo, or orders like 300, 250k, 1M (repeatable)."),
    warehouse: str = typer.Option("both", help="duckdb, postgres or both."),
    out: Path = typer.Option(Path("docs/performance.md"), "--out", help="Markdown whose generated tables are rewritten."),
    skip_connectors: bool = typer.Option(False, "--skip-connectors", help="Skip the rate-limit floor benchmark."),
    connectors_only: bool = typer.Option(False, "--connectors-only",
                                         help="Only the connectors against their rate limits (no --scale runs)."),
    skip_demo: bool = typer.Option(False, "--skip-demo", help="Skip timing `storeboard demo --no-serve`."),
    requests: int = typer.Option(20, help="Timed requests per dashboard page."),
    work_dir: Path | None = typer.Option(None, help="Folder for the stores and warehouses (default: temporary)."),
) -> None:
    """Benchmark backfill, incremental refresh, pages and connectors; write the tables to --out."""
    from storeboard.bench import run_suite

    warehouses = ["duckdb", "postgres"] if warehouse == "both" else [warehouse]
    try:
        run_suite([] if connectors_only else scale, warehouses, out, work=work_dir, connectors=not skip_connectors,
                  demo_command=not skip_demo,
                  requests=requests, log=lambda line: console.print(line, markup=False, highlight=False))
    except StoreboardError as exc:
        _fail(exc, 2)


user_app = typer.Typer(help="Dashboard users (web.users in storeboard.yml).", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Login name: letters, digits and . _ @ -"),
    path: Path = ConfigOption,
    password: str | None = typer.Option(None, help="Default: asked for twice, not echoed.", hidden=True),
) -> None:
    """Add a dashboard user (or change their password); stores only an argon2 hash."""
    from storeboard.web.users import add_user

    if not path.exists():
        _fail(ConfigError(f"{path} does not exist: run `storeboard init` first"), 2)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        added = add_user(path, username, password)
    except ConfigError as exc:
        _fail(exc, 2)
    console.print(f"[green]✓[/] {'Added' if added else 'Changed the password of'} {username} in {path}")


webhooks_app = typer.Typer(help="Shopify and Stripe webhooks (real-time updates in storeboard serve).", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("register")
def webhooks_register(
    path: Path = ConfigOption,
    apply: bool = typer.Option(False, "--apply", help="Create the subscriptions instead of printing them."),
) -> None:
    """Print (or with --apply create) the webhook subscriptions for Shopify and Stripe."""
    from storeboard.webhooks import register

    config = _load(path)
    try:
        plans = register.plans(config, require_url=apply)
    except ConfigError as exc:
        _fail(exc, 2)
    if not plans:
        _fail(ConfigError(f"{path}: neither sources.shopify nor sources.stripe is configured"), 2)
    for plan in plans:
        console.print(f"[bold]{plan.platform}[/] → {plan.callback_url}: {', '.join(plan.subscriptions)}")
        if not apply:
            console.print(plan.instructions, markup=False, highlight=False)
            continue
        try:
            lines = (register.register_shopify(config, plan) if plan.platform == "shopify"
                     else [register.register_stripe(config, plan)])
        except StoreboardError as exc:
            _fail(exc)
        for line in lines:
            console.print(f"  {line}", markup=False)


def main() -> None:
    try:
        app()
    except StoreboardError as exc:  # a last resort: commands handle their own errors
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
