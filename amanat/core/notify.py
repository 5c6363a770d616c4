"""Outgoing notifications: the one way the platform sends an SMS or an e-mail.

``sms_send(to=..., text=...)`` and ``email_send(to=..., subject=..., body=...)`` write
the message to the outbox (``core.OutboundMessage``) in the caller's transaction and
hand it to delivery once that transaction commits: a refused registration sends nothing
and leaves no row.

SMS go through the backend ``settings.AMANAT_SMS_BACKEND``, a dotted path to a class with
``send(message: SmsMessage) -> str`` (the gateway's answer; an exception is a failed
attempt), in the way Django picks its e-mail backend:

* ``amanat.core.notify.LogBackend`` (the default): writes the message to the
  ``amanat.notify`` log (the number masked), for development and the demo;
* ``amanat.core.notify.MemoryBackend``: keeps messages in ``notify.outbox`` (tests);
* ``amanat.core.notify.KannelBackend``: Kannel's ``sendsms`` HTTP interface
  (``AMANAT_KANNEL_SENDSMS_URL``, ``AMANAT_KANNEL_USER``, ``AMANAT_KANNEL_PASSWORD``;
  docs/sms.md).

A backend that talks to the network (``background = True``: Kannel) is called from a
background task (``deliver_task``, django-tasks), so a slow or absent gateway
never slows or fails the user's request; a failed attempt is retried
``DELIVERY_ATTEMPTS`` times with growing delays, then the message is marked failed and
the failure logged (number masked).  The log and memory backends are called right after
commit.  E-mail always goes through the task, with Django's mail (``EMAIL_*`` settings).

The message text is composed by the caller in the recipient's language (Persian).
"""

from __future__ import annotations

import datetime
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import default_task_backend, task

from amanat.core.models import OutboundMessage

log = logging.getLogger("amanat.notify")

# Attempts before a message is given up on, and the delay before each retry.
DELIVERY_ATTEMPTS = 5
RETRY_DELAYS = (10, 30, 120, 600)
# What a sensitive message's text becomes once it has been delivered or given up on.
REDACTED = "[redacted]"


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> str: ...


def mask_phone(number: str) -> str:
    """0912***4567: enough to recognise, not to dial."""
    return number[:4] + "***" + number[-4:] if len(number) > 8 else "***"


def mask_address(address: str) -> str:
    """A phone number or an e-mail address, masked for logs and the operator's list."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return (name[:1] + "***@" + domain) if name else "***@" + domain
    return mask_phone(address)


class LogBackend:
    background = False

    def send(self, message: SmsMessage) -> str:
        log.warning("SMS to %s: %s", mask_phone(message.to), message.text)
        return "logged"


outbox: list[SmsMessage] = []


class MemoryBackend:
    background = False

    def send(self, message: SmsMessage) -> str:
        outbox.append(message)
        return "kept"


class GatewayError(Exception):
    """The gateway refused the message or could not be reached."""


class KannelBackend:
    """Kannel's ``sendsms`` HTTP interface (smsbox's ``sendsms-port``).

    Text that is not plain ASCII (Persian) goes as UCS-2 (``coding=2``) with the text in
    UTF-8 (``charset=UTF-8``): smsbox converts it.  Kannel answers 202 "0: Accepted for
    delivery" (or 3: "Queued for later delivery"); anything else is a failed attempt.
    """

    background = True

    def send(self, message: SmsMessage) -> str:
        url = getattr(settings, "AMANAT_KANNEL_SENDSMS_URL", "")
        if not url.startswith(("http://", "https://")):
            raise GatewayError("AMANAT_KANNEL_SENDSMS_URL is not an http(s) URL")
        params = {
            "username": settings.AMANAT_KANNEL_USER,
            "password": settings.AMANAT_KANNEL_PASSWORD,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            "coding": "0" if message.text.isascii() else "2",
        }
        sender = getattr(settings, "AMANAT_KANNEL_FROM", "")
        if sender:
            params["from"] = sender
        query = urllib.parse.urlencode(params, encoding="utf-8", quote_via=urllib.parse.quote)
        timeout = float(getattr(settings, "AMANAT_KANNEL_TIMEOUT", 5))
        try:
            # An http(s) URL from the settings (checked above).
            with urllib.request.urlopen(f"{url}?{query}", timeout=timeout) as response:  # noqa: S310
                answer = response.read(500).decode("utf-8", "replace").strip()
        except urllib.error.HTTPError as error:
            detail = error.read(200).decode("utf-8", "replace").strip()
            raise GatewayError(f"HTTP {error.code}: {detail}") from None
        except (OSError, ValueError) as error:
            raise GatewayError(f"{type(error).__name__}: {error}") from None
        if answer[:2] not in ("0:", "3:"):
            raise GatewayError(answer[:200] or "an empty answer")
        return answer[:200]


def backend_class() -> type[SmsBackend]:
    path = getattr(settings, "AMANAT_SMS_BACKEND", "amanat.core.notify.LogBackend")
    found: type[SmsBackend] = import_string(path)
    return found


def backend() -> SmsBackend:
    return backend_class()()


def _enqueue(message_id: int) -> None:
    deliver_task.enqueue(message_id)


def _after_commit(message: OutboundMessage) -> None:
    background = message.channel == OutboundMessage.Channel.EMAIL or getattr(
        backend_class(), "background", True)
    if background:
        transaction.on_commit(lambda: _enqueue(message.pk))
    else:
        transaction.on_commit(lambda: deliver(message.pk))


def sms_send(*, to: str, text: str, purpose: str = "", sensitive: bool = False
             ) -> OutboundMessage:
    """Send ``text`` to the mobile number ``to`` after the current transaction commits.

    ``sensitive`` (a one-time code): the text is blanked in the outbox once delivered.
    """
    message = OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.SMS, to=to, text=text, purpose=purpose[:60],
        sensitive=sensitive)
    _after_commit(message)
    return message


def email_send(*, to: str, subject: str, body: str, purpose: str = "",
               sensitive: bool = False) -> OutboundMessage:
    """Send an e-mail (officials' alerts) through Django's mail after commit."""
    message = OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.EMAIL, to=to, subject=subject[:255], text=body,
        purpose=purpose[:60], sensitive=sensitive)
    _after_commit(message)
    return message


def public_url(path: str) -> str:
    """The address of one of Amanat's pages for a message that leaves it (an official's
    e-mail or SMS): ``settings.AMANAT_PUBLIC_URL`` (the address people open Amanat at,
    ``https://amanat.example.ir``) followed by the page's path (``reverse(...)``, with
    its query).  Empty when the setting is not set: the message goes without a link.
    Every message that points people at a page builds its link here, not each its own
    (user review 2, F15)."""
    base = (getattr(settings, "AMANAT_PUBLIC_URL", "") or "").strip().rstrip("/")
    if not base:
        return ""
    return f"{base}/{path.lstrip('/')}"


def _send(message: OutboundMessage) -> str:
    if message.channel == OutboundMessage.Channel.EMAIL:
        EmailMessage(subject=message.subject, body=message.text,
                     from_email=settings.DEFAULT_FROM_EMAIL, to=[message.to]).send()
        return "accepted by the mail server"
    return backend().send(SmsMessage(to=message.to, text=message.text))


def deliver(message_id: int) -> datetime.timedelta | None:
    """One delivery attempt of a queued message.

    Returns the delay before the next attempt when this one failed and another is due,
    None when the message is done (sent, failed for good, or not queued any more).
    """
    message = OutboundMessage.objects.filter(
        pk=message_id, status=OutboundMessage.Status.QUEUED).first()
    if message is None:
        return None
    message.attempts += 1
    try:
        answer = _send(message)
    except Exception as error:  # every failure of a gateway or mail server: retried
        message.last_error = f"{type(error).__name__}: {error}"[:500]
        if message.attempts < DELIVERY_ATTEMPTS:
            message.save(update_fields=["attempts", "last_error"])
            delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
            log.warning("%s %s to %s: attempt %s failed (%s); retrying in %ss",
                        message.channel, message.pk, mask_address(message.to),
                        message.attempts, message.last_error, delay)
            return datetime.timedelta(seconds=delay)
        message.status = OutboundMessage.Status.FAILED
        if message.sensitive:
            message.text = REDACTED
        message.save(update_fields=["attempts", "last_error", "status", "text"])
        log.error("%s %s to %s: given up after %s attempts: %s", message.channel,
                  message.pk, mask_address(message.to), message.attempts, message.last_error)
        return None
    message.status = OutboundMessage.Status.SENT
    message.sent_at = timezone.now()
    message.gateway_answer = str(answer or "")[:200]  # a backend may answer None
    if message.sensitive:
        message.text = REDACTED
    message.save(update_fields=["attempts", "status", "sent_at", "gateway_answer", "text"])
    return None


@task()
def deliver_task(message_id: int) -> None:
    """One attempt; a failed one is enqueued again after its delay when the task backend
    can defer (the database backend can; the tests' immediate one cannot, and the message
    then stays queued with its error, for ``deliver`` to be run again)."""
    delay = deliver(message_id)
    if delay is not None and default_task_backend.supports_defer:
        deliver_task.using(run_after=timezone.now() + delay).enqueue(message_id)
