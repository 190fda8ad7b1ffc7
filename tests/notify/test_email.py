"""The weekly email end to end: built from the marts, sent over STARTTLS/TLS with login to a real
SMTP server on loopback (aiosmtpd), parsed, and checked against the marts."""

from __future__ import annotations

import email as email_lib
import re
import ssl
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from storeboard.notify import email
from storeboard.presentation.formatting import count, money
from storeboard.sandbox.server import free_port
from storeboard.warehouse import Warehouse
from tests.notify.conftest import configure

WEEK = date(2026, 11, 9)  # Monday; the week before starts 2 Nov
USER, PASSWORD = "reports", "letmein-7"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = getattr(auth_data, "login", None) == USER.encode() and getattr(auth_data, "password", None) == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(certificate, monkeypatch):
    """An SMTP server offering STARTTLS and requiring login, trusted by the client for this test."""
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    monkeypatch.setattr(email, "_tls_context", lambda: ssl.create_default_context(cafile=str(cert)))
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, tls_context=server_context,
                            require_starttls=True, auth_required=True, authenticator=_authenticator)
    controller.start()
    yield inbox
    controller.stop()


def email_config(folder: Path, port: int, password: str = PASSWORD, security: str = "starttls"):
    return configure(folder, f"""metrics:
  report_date: 2026-11-20
alerts:
  dashboard_url: https://board.example.com
email:
  smtp_host: 127.0.0.1
  smtp_port: {port}
  security: {security}
  username: {USER}
  password: {password}
  from_address: storeboard@shop.example.com
  recipients: [owner@shop.example.com, marketing@shop.example.com]
  max_attempts: 3
  timeout_seconds: 10
""")


def parse(raw: bytes):
    return email_lib.message_from_bytes(raw, policy=policy.default)


LABELS = {"total_sales": ("Total sales", "money"), "net_sales": ("Net sales", "money"), "orders": ("Orders", "count"),
          "average_order_value": ("Average order value", "money"), "new_customers": ("New customers", "count"),
          "ad_spend": ("Ad spend", "money"), "blended_roas": ("Blended ROAS", "ratio"),
          "blended_cac": ("Blended CAC", "money"), "contribution_margin": ("Contribution margin", "money"),
          "chargebacks": ("Chargebacks", "money")}


def shown(value, kind: str) -> str:
    if kind == "money":
        return money(value, "USD")
    if kind == "count":
        return count(int(value))
    return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):.2f}×"


def summary_rows(config, start: date) -> dict:
    """``rpt_weekly_summary`` for the week, read with plain SQL."""
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        rows = conn.query("select metric, value, previous_value, change, change_pct from analytics.rpt_weekly_summary "
                          "where week_start = %(s)s", {"s": start})
    return {r["metric"]: r for r in rows}


def test_weekly_email_arrives_with_the_marts_numbers_and_inline_charts(warehouse_copy, smtp_server):
    config = email_config(warehouse_copy, smtp_server.port)

    result = email.send_weekly_report(config, week_start=WEEK, trigger="test")

    assert result.status == "sent", result.reason
    assert len(smtp_server.messages) == 1
    recipients, raw = smtp_server.messages[0]
    assert sorted(recipients) == ["marketing@shop.example.com", "owner@shop.example.com"]
    message = parse(raw)
    assert message["Subject"] == "Weekly summary 09 Nov – 15 Nov 2026"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    html = html_part.get_content()

    week = summary_rows(config, WEEK)
    assert set(week) == set(LABELS)
    for metric, (label, kind) in LABELS.items():
        row = week[metric]
        line = next(line for line in text.splitlines() if line.startswith(f"{label}: "))
        now, before = shown(row["value"], kind), shown(row["previous_value"], kind)
        assert line.startswith(f"{label}: {now} (week before {before};"), line
        if row["change_pct"] is None:  # nothing the week before (e.g. no chargebacks): no percentage
            assert line.endswith("–)"), line
        else:
            pct = (row["change_pct"] * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
            assert line.endswith(f"{'+' if pct > 0 else ''}{pct}%)".replace("-", "−")), line
        assert f'data-metric="{metric}"' in html and now in html and before in html
    net = week["net_sales"]
    net_line = next(line for line in text.splitlines() if line.startswith("Net sales: "))
    assert f"change {'+' if net['change'] > 0 else ''}{money(net['change'], 'USD')}".replace("-", "−") in net_line
    # The email's net sales are the dashboards' net sales: all channels, summed per day.
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        daily = conn.query("select sum(net_sales) as n from analytics.rpt_revenue_by_channel_daily "
                           "where date between %(s)s and %(e)s", {"s": WEEK, "e": WEEK + timedelta(days=6)})[0]["n"]
    assert net["value"] == daily

    # Two PNG charts travel as related parts and the HTML references each by its Content-ID.
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:
        cid = image["Content-ID"].strip().strip("<>")
        assert f'src="cid:{cid}"' in html
        assert image.get_content().startswith(b"\x89PNG")
    assert html_part.get_content_type() == "text/html"
    assert 'name="viewport"' in html and "max-width:600px" in html

    # The flags: the planted ROAS-below-1 campaign, low stock and loss-making SKUs.
    assert "Campaigns with ROAS below target: " in text and "meta-brand-awareness" in text
    assert re.search(r"SKUs low on stock: [1-9]", text)
    assert re.search(r"SKUs with negative contribution margin: [1-9]", text)
    assert "https://board.example.com/inventory?sku=" in html


def test_a_report_is_sent_once_per_week(warehouse_copy, smtp_server):
    config = email_config(warehouse_copy, smtp_server.port)
    monday_8 = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 08:00 in New York (EST)

    first = email.send_weekly_report(config, now=monday_8)
    again = email.send_weekly_report(config, now=monday_8 + timedelta(minutes=5))  # e.g. after a restart
    forced = email.send_weekly_report(config, week_start=date(2026, 11, 16), force=True, trigger="cli")

    assert (first.status, first.report_key) == ("sent", "weekly:2026-11-16")
    assert (again.status, again.reason) == ("skipped", "already sent")
    assert forced.status == "sent"
    assert len(smtp_server.messages) == 2
    early = email.send_weekly_report(config, now=monday_8 - timedelta(minutes=1))  # Monday 07:59: last week's
    assert early.status == "skipped" and early.reason.startswith("not due")


def test_a_failed_send_is_recorded_and_retried(warehouse_copy, smtp_server):
    from storeboard.scheduler import outbox_job

    monday_8 = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    wrong = email_config(warehouse_copy, smtp_server.port, password="wrong")
    failed = email.send_weekly_report(wrong, now=monday_8)

    assert failed.status == "failed" and "rejected the login" in failed.reason and "wrong" not in failed.reason
    with Warehouse.from_config(wrong).connect(read_only=True) as conn:
        row = conn.query("select status, attempts, last_error from storeboard_meta.reports_sent")[0]
        step = conn.query("select status, error from storeboard_meta.run_steps where step = 'report:weekly'")[0]
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert step["status"] == "failed" and "rejected the login" in step["error"]
    assert smtp_server.messages == []

    fixed = email_config(warehouse_copy, smtp_server.port)
    outbox_job(fixed, now=monday_8 + timedelta(minutes=5))  # the scheduler's retry job

    assert len(smtp_server.messages) == 1
    with Warehouse.from_config(fixed).connect(read_only=True) as conn:
        row = conn.query("select status, attempts, sent_at from storeboard_meta.reports_sent")[0]
    assert (row["status"], row["attempts"]) == ("sent", 2) and row["sent_at"] is not None


def test_tls_from_the_start(warehouse_copy, certificate, monkeypatch):
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    monkeypatch.setattr(email, "_tls_context", lambda: ssl.create_default_context(cafile=str(cert)))
    inbox = Inbox()
    port = free_port()
    # aiosmtpd does not count implicit TLS as TLS for AUTH; the socket is encrypted all the same.
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=server_context, auth_required=True,
                            auth_require_tls=False, authenticator=_authenticator)
    controller.start()
    try:
        config = email_config(warehouse_copy, port, security="tls")
        assert email.send_weekly_report(config, week_start=WEEK, trigger="test").status == "sent"
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_preview_writes_standalone_html(warehouse_copy, tmp_path):
    from typer.testing import CliRunner

    from storeboard.cli import app

    configure(warehouse_copy, "metrics:\n  report_date: 2026-11-20\n")
    out = tmp_path / "preview.html"
    result = CliRunner().invoke(app, ["report", "weekly", "--preview", "--out", str(out), "--week", "2026-11-09",
                                      "-c", str(warehouse_copy / "storeboard.yml")])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.count('src="data:image/png;base64,') == 2 and "Net sales" in html
