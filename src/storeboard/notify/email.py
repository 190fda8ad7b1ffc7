"""The weekly summary email: the week's numbers against the week before, two charts and the flags.

Every Monday (``email.send_day`` / ``send_time``, store time zone) the report for the ISO week
that just ended is built from the marts (``rpt_weekly_summary`` and, for the flags, the marts the alert rules read;
see ``notify.queries``), rendered as HTML and plain text
with the charts as inline CID images, and sent over SMTP (STARTTLS or TLS, with login).

Sent reports are recorded in ``storeboard_meta.reports_sent``: a report already sent is never
sent again (a restart on Monday is harmless), and a failed send is recorded with its error, in
the run log too (step ``report:weekly``), and retried until ``email.max_attempts``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from storeboard.config import Config
from storeboard.errors import StoreboardError
from storeboard.notify import charts, queries, rules
from storeboard.presentation import drivers, restatements
from storeboard.presentation.formatting import count, money
from storeboard.runtime import Runtime, StoreContext, of, resolve_store
from storeboard.state import lock, schema
from storeboard.state.runlog import RunLog
from storeboard.state.schema import SCHEMA
from storeboard.warehouse import Connection, Warehouse

logger = logging.getLogger(__name__)

LOCK = "weekly_report"
STEP = "report:weekly"
#: A send moment missed (server down) is caught up within this time, not later.
CATCH_UP = timedelta(hours=24)
TEMPLATES = Path(__file__).parent / "templates"
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

#: The weekly summary's figures (docs/metrics.md), in order: key, label, kind.
METRICS = [
    ("total_sales", "Total sales", "money"),
    ("net_sales", "Net sales", "money"),
    ("orders", "Orders", "count"),
    ("average_order_value", "Average order value", "money"),
    ("new_customers", "New customers", "count"),
    ("ad_spend", "Ad spend", "money"),
    ("blended_roas", "Blended ROAS", "ratio"),
    ("blended_cac", "Blended CAC", "money"),
    ("contribution_margin", "Contribution margin", "money"),
    # within contribution margin: what lost and open disputes took, shown on their own
    ("chargebacks", "Chargebacks", "money"),
]
#: Figures where a rise is bad news (coloured red) or neither (grey); the rest: a rise is good.
#: at most this many restatements of earlier weeks in one email (the rest are on data health)
RESTATEMENTS_IN_EMAIL = 10
RISE_IS_BAD = {"blended_cac", "chargebacks"}
RISE_IS_NEUTRAL = {"ad_spend"}
#: Flags, in order: rule, heading.
FLAGS = [
    ("roas_below_target", "Campaigns with ROAS below target"),
    ("budget_pacing", "Channels pacing off budget"),
    ("negative_margin", "SKUs with negative contribution margin"),
    ("low_stock", "SKUs low on stock"),
    ("source_health", "Data sources failed or stale"),
]


class EmailError(StoreboardError):
    """The weekly email could not be built or sent."""


@dataclass
class MetricLine:
    """One headline figure of ``rpt_weekly_summary``: the week, the week before and the change
    (money in shop currency; ``change_pct`` a fraction of the previous week's absolute value)."""

    key: str
    label: str
    kind: str
    current: Decimal | int | None
    previous: Decimal | int | None
    change: Decimal | None = None
    change_pct: Decimal | None = None


@dataclass
class WeeklyReport:
    """Everything the email shows."""

    week_start: date
    week_end: date
    currency: str
    timezone: str
    dashboard_url: str
    metrics: list[MetricLine]
    flags: list[tuple[str, str, list[rules.Finding]]]
    charts: dict[str, bytes] = field(default_factory=dict)
    #: earlier weeks whose figures moved since the last email, in words (docs/metrics.md, Restatements)
    restated: list[str] = field(default_factory=list)
    #: what drove the change against the week before, in words (docs/metrics.md, What drove the week)
    drivers: list[str] = field(default_factory=list)


@dataclass
class SendResult:
    """What ``send_weekly_report`` did: ``status`` is sent, failed or skipped (``reason`` says why)."""

    status: str
    report_key: str | None = None
    reason: str | None = None
    attempts: int = 0


# --- when -----------------------------------------------------------------------------------------

def last_send_moment(config: Config, now: datetime, timezone: str) -> datetime:
    """The latest scheduled send time (store-local, aware) at or before ``now``."""
    local = now.astimezone(ZoneInfo(timezone))
    hour, minute = (int(part) for part in config.email.send_time.split(":"))
    offset = (local.weekday() - WEEKDAYS.index(config.email.send_day)) % 7
    day = local.date() - timedelta(days=offset)
    moment = datetime.combine(day, time(hour, minute), ZoneInfo(timezone))
    if moment > local:
        moment = datetime.combine(day - timedelta(days=7), time(hour, minute), ZoneInfo(timezone))
    return moment


def report_week(moment: datetime | date) -> date:
    """Monday of the ISO week that ended before the week containing ``moment``."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday() + 7)


# --- what -----------------------------------------------------------------------------------------

def build_report(config: Config, conn: Connection, week_start: date, store: StoreContext | None = None) -> WeeklyReport:
    """Read the week ``week_start``…+6 and the week before from the marts, and draw the charts.

    ``store``: the caller's resolved store (default: resolved through ``conn``, same rule)."""
    store = store or resolve_store(config, conn)
    currency = store.currency
    week_end = week_start + timedelta(days=6)
    summary = queries.weekly_summary(conn, week_start)
    if summary is None:
        raise EmailError("the weekly summary mart analytics.rpt_weekly_summary is not built: run `storeboard run` first")
    lines = []
    for key, label, kind in METRICS:
        row = summary.get(key, {})
        whole = (lambda v: None if v is None else int(v)) if kind == "count" else (lambda v: v)
        lines.append(MetricLine(key, label, kind, whole(row.get("value")), whole(row.get("previous_value")),
                                row.get("change"), row.get("change_pct")))

    # Flags as of the Monday after the week, over that week (ROAS) with the alert thresholds.
    flag_config = config.model_copy(deep=True)
    flag_config.alerts.rules.roas_below_target.days = 7
    ctx = rules.Context(flag_config, currency, week_end + timedelta(days=1))
    flags = []
    for rule, heading in FLAGS:
        findings = rules.RULES[rule](conn, ctx)
        flags.append((rule, heading, findings or []))

    chart_start = week_start - timedelta(days=7)
    images = {
        "sales": charts.sales_png(queries.revenue_days(conn, chart_start, week_end), currency),
        "spend_roas": charts.spend_roas_png(queries.marketing_days(conn, chart_start, week_end), currency),
    }
    restated = [restatements.sentence(r, currency) for r in restatements.read(
        conn, restated_after=_previous_email_at(conn, week_start), periods_to=week_start - timedelta(days=1),
        grains=("week",), metrics=restatements.EMAIL_METRICS, limit=RESTATEMENTS_IN_EMAIL)]
    explained = []
    for week in drivers.net_sales_weeks(conn, week_start, week_start):
        explained += drivers.net_sales_sentences(week, currency)
    spend = drivers.ad_spend_sentence(drivers.ad_spend_weeks(conn, week_start, week_start), currency)
    explained += [spend] if spend else []
    return WeeklyReport(week_start, week_end, currency, store.timezone, config.alerts.dashboard_url,
                        lines, flags, images, restated, explained)


def _previous_email_at(conn: Connection, week_start: date) -> datetime:
    """When the email before this one was sent (UTC, naive like the restatement log's times): an
    earlier week's figures that moved since then differ from what that email said. Without one,
    the week before this report's Monday send."""
    sent = []
    if conn.table_exists(SCHEMA, "reports_sent"):
        sent = conn.query(f"select max(sent_at) as sent_at from {SCHEMA}.reports_sent "
                          "where status = 'sent' and week_start < %(week)s", {"week": week_start})
    moment = sent[0]["sent_at"] if sent and sent[0]["sent_at"] else None
    if moment is None:
        return datetime.combine(week_start + timedelta(days=7), time())
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _value(line: MetricLine, value: Decimal | int | None, currency: str) -> str:
    if value is None:
        return "–"
    if line.kind == "money":
        return money(value, currency)
    if line.kind == "count":
        return count(value)
    return f"{Decimal(value):.2f}×"


def _change(line: MetricLine, currency: str) -> tuple[str, str, str]:
    """(absolute change, % change, direction) for display; direction is up, down or flat."""
    change = line.change
    if change is None:
        return "–", "–", "flat"
    sign = "+" if change > 0 else ""
    if line.kind == "money":
        absolute = ("+" if change > 0 else "") + money(change, currency)
    elif line.kind == "count":
        absolute = f"{sign}{int(change):,}"
    else:
        absolute = f"{sign}{change:.2f}"
    pct = "–" if line.change_pct is None else f"{'+' if line.change_pct > 0 else ''}{line.change_pct * 100:.1f}%"
    return absolute.replace("-", "−"), pct.replace("-", "−"), "up" if change > 0 else "down" if change < 0 else "flat"


def _tone(key: str, direction: str) -> str:
    """good, bad or neutral: how the change should be coloured."""
    if direction == "flat" or key in RISE_IS_NEUTRAL:
        return "neutral"
    rise_good = key not in RISE_IS_BAD
    return "good" if (direction == "up") == rise_good else "bad"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def render(report: WeeklyReport, image_src: dict[str, str]) -> tuple[str, str]:
    """The (HTML, plain text) bodies; ``image_src`` maps chart name → ``cid:…`` or a data URI."""
    rows = []
    for line in report.metrics:
        absolute, pct, direction = _change(line, report.currency)
        rows.append({"label": line.label, "current": _value(line, line.current, report.currency),
                     "previous": _value(line, line.previous, report.currency), "change": absolute, "pct": pct,
                     "direction": direction, "key": line.key, "tone": _tone(line.key, direction)})
    context = {
        "report": report,
        "rows": rows,
        "flags": report.flags,
        "images": image_src,
        "restated": report.restated,
        "drivers": report.drivers,
        "title": f"Week {report.week_start:%d %b} – {report.week_end:%d %b %Y}",
        "dashboard_url": report.dashboard_url.rstrip("/"),
    }
    env = _environment()
    return env.get_template("weekly.html").render(**context), env.get_template("weekly.txt").render(**context)


def build_message(config: Config, report: WeeklyReport) -> EmailMessage:
    """A multipart/alternative message (text, then HTML with the charts as related CID images)."""
    domain = config.email.from_address.rsplit("@", 1)[-1] or "storeboard.local"
    cids = {name: make_msgid(idstring=name, domain=domain) for name in report.charts}
    html, text = render(report, {name: f"cid:{cid[1:-1]}" for name, cid in cids.items()})
    message = EmailMessage()
    message["Subject"] = f"Weekly summary {report.week_start:%d %b} – {report.week_end:%d %b %Y}"
    message["From"] = config.email.from_address
    message["To"] = ", ".join(config.email.recipients)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring="weekly", domain=domain)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]
    for name, png in report.charts.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=cids[name], filename=f"{name}.png",
                               disposition="inline")
    return message


# --- how -------------------------------------------------------------------------------------------

def _tls_context() -> ssl.SSLContext:
    """The TLS settings for SMTP: the system's trusted CAs, hostname checked."""
    return ssl.create_default_context()


def send_message(config: Config, message: EmailMessage) -> None:
    """Send over SMTP as ``email.security`` says, logging in when ``email.username`` is set.

    Raises:
        EmailError: connection, TLS, login or delivery failed (the password is never in the text).
    """
    settings = config.email
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                  timeout=settings.timeout_seconds, context=_tls_context())
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
        try:
            if settings.security == "starttls":
                smtp.starttls(context=_tls_context())
            if settings.username:
                password = settings.password.get_secret_value() if settings.password else ""
                smtp.login(settings.username, password)
            refused = smtp.send_message(message, to_addrs=settings.recipients)
        finally:
            _say_goodbye(smtp)
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailError(f"SMTP server {where} rejected the login for {settings.username!r} "
                         f"({exc.smtp_code}): check email.username and email.password") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailError(f"sending the weekly email through {where} failed: {type(exc).__name__}: {exc}") from None
    if refused:
        logger.warning("SMTP server refused some recipients: %s", ", ".join(sorted(refused)))


def _say_goodbye(smtp: smtplib.SMTP) -> None:
    """QUIT, then close, ignoring a server that answers QUIT badly or not at all.

    Once the server has accepted the message the goodbye changes nothing; counting its failure
    (a QUIT that times out) as a failed send would send the report a second time.
    """
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def preview(config: Config | Runtime, path: Path, week_start: date | None = None, now: datetime | None = None) -> Path:
    """Write the report as a standalone HTML file (charts as data URIs) and return its path."""
    import base64

    rt = of(config)
    with rt.warehouse.connect(read_only=True) as conn:
        store = rt.store(conn)
        week = week_start or report_week(store.local(now))
        report = build_report(rt.config, conn, week, store)
    sources = {name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in report.charts.items()}
    html, _text = render(report, sources)
    path.write_text(html, encoding="utf-8")
    return path


def sent_reports(conn: Connection) -> list[dict[str, Any]]:
    """Every recorded report, newest week first."""
    schema.ensure(conn)
    return conn.query(f"select * from {SCHEMA}.reports_sent order by week_start desc")


def send_weekly_report(config: Config | Runtime, now: datetime | None = None, week_start: date | None = None,
                       force: bool = False, trigger: str = "scheduler") -> SendResult:
    """Send the weekly report once.

    Args:
        config: the entry point's runtime (or a validated config).
        now: the current time (tests); default now.
        week_start: Monday of the week to report; default the week that ended before the latest
            send moment, and then only within ``CATCH_UP`` of that moment (the scheduler's mode).
        force: send even if that week's report was sent or gave up.
        trigger: recorded in the run log.

    Returns:
        The outcome; a failure is recorded (not raised) so the scheduler retries it.
    """
    now = now or datetime.now(UTC)
    rt = of(config)
    config = rt.config
    settings = config.email
    if not settings.enabled or not settings.recipients:
        return SendResult("skipped", reason="email is off or has no recipients")
    if week_start is None and not force and config.store.timezone:
        # The scheduler asks every few minutes: answer "not due" without touching the warehouse.
        moment = last_send_moment(config, now, config.store.timezone)
        if now - moment > CATCH_UP:
            return SendResult("skipped", reason=f"not due (last send time {moment:%a %d %b %H:%M %Z})")
    warehouse = rt.warehouse
    with lock.held(warehouse, LOCK, timedelta(minutes=30)) as got:
        if not got:
            return SendResult("skipped", reason="another process is sending the weekly report")
        with warehouse.connect() as conn:
            schema.ensure(conn)
            store = rt.store(conn)
            if week_start is None:
                moment = last_send_moment(config, now, store.timezone)
                if now - moment > CATCH_UP and not force:
                    return SendResult("skipped", reason=f"not due (last send time {moment:%a %d %b %H:%M %Z})")
                week_start = report_week(moment)
            key = f"weekly:{week_start.isoformat()}"
            rows = conn.query(f"select status, attempts from {SCHEMA}.reports_sent where report_key = %(key)s",
                              {"key": key})
            row = rows[0] if rows else None
            if row and not force:
                if row["status"] == "sent":
                    return SendResult("skipped", key, "already sent", row["attempts"])
                if row["attempts"] >= settings.max_attempts:
                    return SendResult("skipped", key, f"gave up after {row['attempts']} attempts", row["attempts"])
            attempts = (row["attempts"] if row else 0) + 1
            _record_attempt(conn, key, week_start, row is not None, attempts, config, now)
        return _send_and_record(config, warehouse, key, week_start, attempts, trigger, store)


def _record_attempt(conn: Connection, key: str, week_start: date, exists: bool, attempts: int,
                    config: Config, now: datetime) -> None:
    params = {"key": key, "week": week_start, "attempts": attempts, "now": now,
              "recipients": ", ".join(config.email.recipients)}
    if exists:
        del params["week"]
        conn.execute(f"update {SCHEMA}.reports_sent set status = 'sending', attempts = %(attempts)s, "
                     "last_attempt_at = %(now)s, recipients = %(recipients)s where report_key = %(key)s", params)
    else:
        conn.execute(f"insert into {SCHEMA}.reports_sent (report_key, week_start, status, attempts, recipients, "
                     "first_attempt_at, last_attempt_at) values (%(key)s, %(week)s, 'sending', %(attempts)s, "
                     "%(recipients)s, %(now)s, %(now)s)", params)


def _send_and_record(config: Config, warehouse: Warehouse, key: str, week_start: date, attempts: int,
                     trigger: str, store: StoreContext) -> SendResult:
    log = RunLog(warehouse, trigger)
    log.step_started(STEP)
    try:
        with warehouse.connect() as conn:
            report = build_report(config, conn, week_start, store)
        message = build_message(config, report)
        send_message(config, message)
    except Exception as exc:  # recorded and retried, whatever failed
        error = str(exc) if isinstance(exc, StoreboardError) else f"{type(exc).__name__}: {exc}"
        with warehouse.connect() as conn:
            conn.execute(f"update {SCHEMA}.reports_sent set status = 'failed', last_error = %(error)s "
                         "where report_key = %(key)s", {"error": error, "key": key})
        log.step_finished(STEP, "failed", error=error)
        log.finish("failed", error)
        logger.error("weekly report %s not sent (attempt %d): %s", key, attempts, error)
        return SendResult("failed", key, error, attempts)
    with warehouse.connect() as conn:
        conn.execute(f"update {SCHEMA}.reports_sent set status = 'sent', sent_at = %(now)s, message_id = %(id)s, "
                     "last_error = null where report_key = %(key)s",
                     {"now": datetime.now(UTC), "id": message["Message-ID"], "key": key})
    log.step_finished(STEP, "ok")
    log.finish("ok")
    logger.info("weekly report %s sent to %d recipients", key, len(config.email.recipients))
    return SendResult("sent", key, None, attempts)
