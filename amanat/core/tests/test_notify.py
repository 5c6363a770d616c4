"""The outbox: messages recorded in the caller's transaction, delivered after commit,
retried when the gateway is down, given up on with a logged (masked) failure; e-mail
through Django's mail to a real SMTP server (aiosmtpd, in-process, on a free port)."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from django.test import TestCase

from amanat.core import notify
from amanat.core.models import OutboundMessage

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


@pytest.fixture
def dead_gateway(settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.KannelBackend"
    settings.AMANAT_KANNEL_SENDSMS_URL = f"http://127.0.0.1:{_dead_port()}/cgi-bin/sendsms"
    settings.AMANAT_KANNEL_USER = "u"
    settings.AMANAT_KANNEL_PASSWORD = "p"
    settings.AMANAT_KANNEL_TIMEOUT = 1


def test_a_refused_transaction_sends_nothing_and_keeps_no_record(settings: Any) -> None:
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True), pytest.raises(RuntimeError), \
            transaction.atomic():
        notify.sms_send(to="09121234567", text="کد: ۱۲۳")
        raise RuntimeError("refused")
    assert not notify.outbox and not OutboundMessage.objects.exists()


def test_a_message_is_sent_after_commit_and_its_record_kept(settings: Any) -> None:
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        notify.sms_send(to="09121234567", text="سلام", purpose="test")
        assert not notify.outbox  # not before the commit
    assert notify.outbox == [notify.SmsMessage(to="09121234567", text="سلام")]
    sent = OutboundMessage.objects.get()
    assert (sent.status, sent.attempts, sent.text) == ("sent", 1, "سلام")


def test_a_gateway_that_is_down_does_not_fail_the_request_and_is_retried(
        dead_gateway: None, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="amanat.notify")
    with TestCase.captureOnCommitCallbacks(execute=True):
        message = notify.sms_send(to="09121234567", text="کد: ۱۲۳", sensitive=True)
    message.refresh_from_db()
    # The immediate task backend cannot defer: the message waits queued for its retry.
    assert message.status == "queued" and message.attempts == 1
    assert "URLError" in message.last_error
    for _attempt in range(notify.DELIVERY_ATTEMPTS - 1):
        notify.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == notify.DELIVERY_ATTEMPTS
    assert message.text == notify.REDACTED  # the code is not kept
    assert "given up" in caplog.text and "0912***4567" in caplog.text
    assert "09121234567" not in caplog.text


def test_a_retry_is_deferred_with_a_task_backend_that_can(dead_gateway: None,
                                                          settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    with TestCase.captureOnCommitCallbacks(execute=True):
        message = notify.sms_send(to="09121234567", text="x")
    assert len(default_task_backend.results) == 1  # type: ignore[attr-defined]
    notify.deliver_task.call(message.pk)
    results = default_task_backend.results  # type: ignore[attr-defined]
    assert len(results) == 2 and results[-1].task.run_after is not None


# --- e-mail --------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(
            envelope.original_content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _dead_port()  # free now; the server takes it
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.DEFAULT_FROM_EMAIL = "amanat@example.org"
        settings.TASKS = IMMEDIATE
        yield inbox
    finally:
        controller.stop()


def test_an_email_reaches_a_real_smtp_server_with_persian_intact(smtp_server: Inbox) -> None:
    subject = "هشدار: شعبهٔ ۰۰۴۲ خاموش است"
    body = "شعبهٔ دبستان فردوسی از ساعت ۱۰ گزارشی نفرستاده است.\nلطفاً پیگیری کنید."
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify.email_send(to="official@example.org", subject=subject, body=body,
                          purpose="alert")
    deadline = time.monotonic() + 10
    while not smtp_server.messages:
        assert time.monotonic() < deadline, "no mail at the SMTP server"
        time.sleep(0.02)
    received = smtp_server.messages[0]
    assert smtp_server.envelopes[0].rcpt_tos == ["official@example.org"]
    head = smtp_server.envelopes[0].original_content.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head  # the subject encoded (RFC 2047)
    # (Python's parser keeps the space of a folded encoded header: strip it.)
    assert str(received["Subject"]).strip() == subject
    assert received["From"] == "amanat@example.org"
    assert received.get_content().replace("\r\n", "\n").strip() == body
    assert received.get_content_charset() == "utf-8"
    sent = OutboundMessage.objects.get(channel="email")
    assert sent.status == "sent" and sent.to == "official@example.org"


def test_an_unreachable_smtp_server_leaves_the_mail_queued_with_its_error(
        settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _dead_port()
    settings.TASKS = IMMEDIATE
    with TestCase.captureOnCommitCallbacks(execute=True):
        message = notify.email_send(to="official@example.org", subject="s", body="b")
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 1 and message.last_error


def test_addresses_are_masked() -> None:
    assert notify.mask_address("09121234567") == "0912***4567"
    assert notify.mask_address("official@example.org") == "o***@example.org"
