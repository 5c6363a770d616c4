"""Outgoing notifications: the one way the platform sends a text message.

``sms_send(to=..., text=...)`` hands the message to the configured backend once the
calling transaction commits (a refused registration sends nothing). The backend is
``settings.AMANAT_SMS_BACKEND``, a dotted path to a class with
``send(message: SmsMessage) -> None``, in the way Django picks its e-mail backend:

* ``amanat.core.notify.LogBackend`` (the default): writes the message to the
  ``amanat.notify`` log (the number masked), for development and the demo;
* ``amanat.core.notify.MemoryBackend``: keeps messages in ``notify.outbox`` (tests);
* a gateway backend (Kannel's ``sendsms`` HTTP interface, to come) is one more class
  with the same ``send``; nothing that sends messages changes.

The message text is composed by the caller in the recipient's language (Persian).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger("amanat.notify")


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> None: ...


def mask_phone(number: str) -> str:
    """0912***4567: enough to recognise, not to dial."""
    return number[:4] + "***" + number[-4:] if len(number) > 8 else "***"


class LogBackend:
    def send(self, message: SmsMessage) -> None:
        log.warning("SMS to %s: %s", mask_phone(message.to), message.text)


outbox: list[SmsMessage] = []


class MemoryBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


def backend() -> SmsBackend:
    path = getattr(settings, "AMANAT_SMS_BACKEND", "amanat.core.notify.LogBackend")
    backend_class: type[SmsBackend] = import_string(path)
    return backend_class()


def sms_send(*, to: str, text: str) -> None:
    """Send ``text`` to the mobile number ``to`` after the current transaction commits."""
    message = SmsMessage(to=to, text=text)
    transaction.on_commit(lambda: backend().send(message))
