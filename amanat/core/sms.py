"""Incoming SMS: store the raw message, hand it to the app that claims it, reply.

The gateway (Kannel's get-url, ``core.sms_api``) calls ``sms_receive`` with one message.
The message is stored first, as received (``core.InboundSms``), in its own transaction:
whatever happens next, it is there for review.  Kannel's message id is the idempotency
key: a delivery of an id already handled makes no second record and sends no second
reply; one whose handling did not finish (the server failed half-way) is handled again,
and the handlers are idempotent on the id too.

Apps claim messages by the code they start with: ``register("operations", handle,
prefixes=("O", "T"))`` in their ``AppConfig.ready``.  A message no prefix claims goes to
the fallback handler (the incidents reports, ``CATEGORY COUNTY-STATION text``); with none,
it is answered politely as not understood.  The handler returns an ``SmsAnswer`` whose
Persian ``reply`` goes back to the sender through ``notify.sms_send`` after commit.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from amanat.core import notify
from amanat.core.models import InboundSms
from amanat.lib.persian import normalize

log = logging.getLogger("amanat.sms")

MAX_TEXT = 2000


@dataclass(frozen=True)
class SmsIn:
    """One incoming message, as the gateway gave it (text decoded)."""

    message_id: str
    sender: str
    receiver: str
    text: str
    # When it arrived, if not now: the election-day simulation replays a compressed
    # day at its own clock (operations.simulate); the gateway leaves it to Amanat.
    received_at: datetime.datetime | None = None


@dataclass(frozen=True)
class SmsAnswer:
    """What a handler made of a message: accepted (with a reference) or refused (with
    the error's code); ``reply`` is the Persian text sent back to the sender."""

    accepted: bool
    reply: str
    reference: str = ""
    error: str = ""


Handler = Callable[[SmsIn], SmsAnswer]


@dataclass
class _Registry:
    by_prefix: list[tuple[str, str, Handler]] = field(default_factory=list)
    fallback: tuple[str, Handler] | None = None


_registry = _Registry()


def register(name: str, handler: Handler, *, prefixes: tuple[str, ...] = (),
             fallback: bool = False) -> None:
    """Route messages whose code starts with one of ``prefixes`` (compared after
    normalising digits and case) to ``handler``; ``fallback`` takes the rest.  Called
    from an app's ``AppConfig.ready``; registering a name again replaces it."""
    _registry.by_prefix[:] = [entry for entry in _registry.by_prefix if entry[0] != name]
    for prefix in prefixes:
        # A trailing space is part of the prefix ("O " is not "OB"); normalize drops it.
        key = normalize(prefix).upper() + (" " if prefix.endswith(" ") else "")
        _registry.by_prefix.append((name, key, handler))
    # The longest prefix wins ("OC" before "O").
    _registry.by_prefix.sort(key=lambda entry: -len(entry[1]))
    if fallback:
        _registry.fallback = (name, handler)
    elif _registry.fallback and _registry.fallback[0] == name:
        _registry.fallback = None


def claimant(text: str) -> tuple[str, Handler] | None:
    """The handler a message's text goes to, or None when nobody claims it."""
    head = normalize(text).lstrip().upper()
    for name, prefix, handler in _registry.by_prefix:
        if head.startswith(prefix):
            return name, handler
    return _registry.fallback


def _not_understood() -> str:
    with translation.override("fa"):
        return gettext("Your message was received but could not be understood. Please "
                       "check its format and send it again.")


@dataclass(frozen=True)
class Received:
    row: InboundSms
    duplicate: bool


def _store(message: SmsIn, coding: str, gateway_time: str) -> Received:
    existing = InboundSms.objects.filter(gateway_id=message.message_id).first()
    if existing is not None:
        return Received(existing, True)
    try:
        with transaction.atomic():
            row = InboundSms.objects.create(
                gateway_id=message.message_id, sender=message.sender[:40],
                receiver=message.receiver[:40], text=message.text[:MAX_TEXT],
                coding=coding[:4], gateway_time=gateway_time[:40],
                received_at=message.received_at or timezone.now())
    except IntegrityError:  # a concurrent delivery of the same id stored it first
        return Received(InboundSms.objects.get(gateway_id=message.message_id), True)
    return Received(row, False)


def sms_receive(message: SmsIn, *, coding: str = "", gateway_time: str = "") -> Received:
    """Store ``message`` (once per gateway id), hand it to its handler, queue the reply."""
    received = _store(message, coding, gateway_time)
    if received.row.outcome != InboundSms.Outcome.PENDING:
        return received  # handled already: a retry of the gateway
    with transaction.atomic():
        # Locked (PostgreSQL) so that two concurrent copies are handled one at a time.
        row = InboundSms.objects.select_for_update().get(pk=received.row.pk)
        if row.outcome != InboundSms.Outcome.PENDING:
            return Received(row, True)
        found = claimant(message.text)
        if found is None or not message.text.strip():
            row.outcome, row.reply = InboundSms.Outcome.UNKNOWN, _not_understood()
        else:
            row.handler = found[0]
            answer = found[1](message)
            row.outcome = (InboundSms.Outcome.ACCEPTED if answer.accepted
                           else InboundSms.Outcome.REFUSED)
            row.reference, row.error = answer.reference[:40], answer.error[:60]
            row.reply = answer.reply
        row.save(update_fields=["handler", "outcome", "reference", "error", "reply"])
        if row.reply and row.sender:
            notify.sms_send(to=row.sender, text=row.reply, purpose="sms.reply")
    log.info("SMS %s from %s: %s %s", row.gateway_id, notify.mask_phone(row.sender),
             row.handler or "-", row.outcome)
    return Received(row, received.duplicate)
