"""SIGKILL ``storeboard report weekly --send`` while the SMTP server stalls, then send again.

The outbox semantics (``storeboard_meta.reports_sent``) are at-least-once: a report is marked
``sending`` before the SMTP conversation and ``sent`` after it. A kill before the server accepted
the message leaves ``sending``, and the next send delivers it: exactly one copy arrives. A kill
after the server accepted it but before ``sent`` was recorded (here: while the server stalls on
QUIT) leaves ``sending`` too, and the next send delivers a second copy.
"""

from __future__ import annotations

import asyncio
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from storeboard.sandbox.server import free_port
from tests.faults.harness import configure, kill, locks, query, run, start, wait_until

WEEK = "2026-11-09"  # the last full ISO week of the reference store's history


class StallingInbox:
    """An SMTP server on loopback that can hang before accepting a message or before saying bye."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.stall_data = self.stall_quit = False
        self.stalled = threading.Event()
        self.port = free_port()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        if self.stall_data:
            self.stalled.set()
            await asyncio.sleep(3600)  # cancelled when the client's connection drops: never accepted
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        if self.stall_quit:
            self.stalled.set()
            await asyncio.sleep(3600)
        return "221 Bye"

    def subjects(self) -> list[str]:
        return [str(message_from_bytes(raw, policy=policy.default)["Subject"]) for raw in self.messages]


@pytest.fixture
def inbox():
    receiver = StallingInbox()
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    yield receiver
    controller.stop()


def _email_folder(tmp_path, reference, inbox, timeout: float = 30):
    folder = tmp_path / "wh"
    reference.copy_to(folder)
    return folder, configure(folder, extra_yaml=(
        f"email:\n  smtp_host: 127.0.0.1\n  smtp_port: {inbox.port}\n  security: none\n"
        f"  recipients: [owner@example.com]\n  timeout_seconds: {timeout}\n"))


def _report_row(config) -> dict:
    rows = query(config, "select status, attempts, last_error from storeboard_meta.reports_sent")
    assert len(rows) == 1, rows
    return rows[0]


def test_killed_before_the_server_accepts_the_rerun_sends_exactly_once(tmp_path, reference, inbox):
    folder, config = _email_folder(tmp_path, reference, inbox)
    inbox.stall_data = True
    sender = start(folder, "report", "weekly", "--send", "--week", WEEK, log="killed-email")
    wait_until(sender, inbox.stalled.is_set, "the SMTP DATA command")
    kill(sender)
    inbox.stall_data = False

    assert inbox.messages == []
    assert _report_row(config)["status"] == "sending"
    assert [row["name"] for row in locks(config)] == ["weekly_report"]  # left by the killed sender

    result = run(folder, "report", "weekly", "--send", "--week", WEEK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert inbox.subjects() == ["Weekly summary 09 Nov – 15 Nov 2026"]
    assert _report_row(config)["status"] == "sent" and _report_row(config)["attempts"] == 2
    assert run(folder, "report", "weekly", "--send", "--week", WEEK).returncode == 0
    assert len(inbox.messages) == 1 and locks(config) == []


def test_killed_after_the_server_accepted_the_rerun_sends_a_second_copy(tmp_path, reference, inbox):
    folder, config = _email_folder(tmp_path, reference, inbox)
    inbox.stall_quit = True
    sender = start(folder, "report", "weekly", "--send", "--week", WEEK, log="killed-email")
    wait_until(sender, inbox.stalled.is_set, "the SMTP QUIT command")
    kill(sender)
    inbox.stall_quit = False

    assert len(inbox.messages) == 1 and _report_row(config)["status"] == "sending"
    result = run(folder, "report", "weekly", "--send", "--week", WEEK)
    assert result.returncode == 0, result.stdout + result.stderr
    # At-least-once: the send was never recorded, so it happens again.
    assert len(inbox.messages) == 2 and _report_row(config)["status"] == "sent"


def test_a_server_that_never_answers_quit_does_not_fail_a_delivered_report(tmp_path, reference, inbox):
    folder, config = _email_folder(tmp_path, reference, inbox, timeout=2)
    inbox.stall_quit = True

    result = run(folder, "report", "weekly", "--send", "--week", WEEK)

    assert result.returncode == 0, result.stdout + result.stderr
    row = _report_row(config)
    assert row["status"] == "sent" and row["attempts"] == 1 and row["last_error"] is None
    assert len(inbox.messages) == 1
