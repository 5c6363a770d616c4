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
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from amanat.core import notify, ratelimit
from amanat.core.models import InboundSms
from amanat.lib.persian import normalize

log = logging.getLogger("amanat.sms")

MAX_TEXT = 2000
# Replies to senders no handler knows (refusals, "not understood"): to one number, and to
# all of them together, per hour (``AMANAT_SMS_STRANGER_REPLIES_PER_NUMBER``, ``_PER_HOUR``).
STRANGER_REPLIES_PER_NUMBER = 3
STRANGER_REPLIES_PER_HOUR = 300
# Refusals answered to one registered staff phone per hour
# (``AMANAT_SMS_STAFF_REFUSALS_PER_NUMBER``): enough for anyone retyping a check-in, not an
# SMS bomb in a staff member's name (a sender can be spoofed; attack review 2 F4).  Their
# accepted check-ins are answered every time.
STAFF_REFUSALS_PER_NUMBER = 20
REPLY_WINDOW = datetime.timedelta(hours=1)
# A phone number as gateways write it: digits (any script), an optional leading +, and
# spaces, dashes, dots or brackets between them; never a letter (an alphanumeric sender
# id such as INFO09130000009 is whatever a bulk-SMS customer chose, not a phone).
_PHONE = re.compile(r"\+?[\d\s\-.()]{3,30}")


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
    # Only from inside the process, never from the gateway: the simulation's messages
    # are handled under the election it simulates, and what they record is marked
    # simulated (attack review 2026-12 F5).
    election_id: int | None = None
    simulated: bool = False


@dataclass(frozen=True)
class SmsAnswer:
    """What a handler made of a message: accepted (with a reference) or refused (with
    the error's code); ``reply`` is the Persian text sent back to the sender."""

    accepted: bool
    reply: str
    reference: str = ""
    error: str = ""
    # The handler knows the sender (a registered staff phone): its refusals are answered
    # every time.  Otherwise a refusal's reply is rate-limited (``_reply_allowed``): a
    # spoofed sender must not turn the gateway into an SMS bomb aimed at someone else.
    known_sender: bool = False


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


def is_phone(sender: str) -> bool:
    """Whether ``sender`` is a phone number (with at least 3 digits), not a sender id
    with letters."""
    return bool(_PHONE.fullmatch(sender.strip())) and sum(ch.isdigit() for ch in sender) >= 3


def _reply_allowed(sender: str) -> bool:
    """Count one reply to a sender no handler knows; False once over the limits, per
    number (an SMS bomb aimed at one phone) or in all (the office's credit)."""
    per_number = int(getattr(settings, "AMANAT_SMS_STRANGER_REPLIES_PER_NUMBER",
                             STRANGER_REPLIES_PER_NUMBER))
    per_hour = int(getattr(settings, "AMANAT_SMS_STRANGER_REPLIES_PER_HOUR",
                           STRANGER_REPLIES_PER_HOUR))
    digits = "".join(ch for ch in sender if ch.isdigit())[-10:]
    return (ratelimit.hit(ratelimit.client_key("sms-reply", digits), limit=per_number,
                          window=REPLY_WINDOW)
            and ratelimit.hit("sms-reply:all", limit=per_hour, window=REPLY_WINDOW))


def _staff_refusal_allowed(sender: str) -> bool:
    """Count one refusal answered to a registered staff phone; False once over the
    limit per number and hour."""
    per_number = int(getattr(settings, "AMANAT_SMS_STAFF_REFUSALS_PER_NUMBER",
                             STAFF_REFUSALS_PER_NUMBER))
    digits = "".join(ch for ch in sender if ch.isdigit())[-10:]
    return ratelimit.hit(ratelimit.client_key("sms-staff-refusal", digits), limit=per_number,
                         window=REPLY_WINDOW)


def sms_receive(message: SmsIn, *, coding: str = "", gateway_time: str = "") -> Received:
    """Store ``message`` (once per gateway id), hand it to its handler, queue the reply.

    A retry of a message whose handling did not finish is handled with the message *as
    first stored* (its text, sender and time), never with what the retry carries.  A
    sender that is not a phone number is refused unread; replies to senders no handler
    knows are rate-limited (attack review 2026-12 F15)."""
    received = _store(message, coding, gateway_time)
    if received.row.outcome != InboundSms.Outcome.PENDING:
        return received  # handled already: a retry of the gateway
    with transaction.atomic():
        # Locked (PostgreSQL) so that two concurrent copies are handled one at a time.
        row = InboundSms.objects.select_for_update().get(pk=received.row.pk)
        if row.outcome != InboundSms.Outcome.PENDING:
            return Received(row, True)
        stored = SmsIn(message_id=row.gateway_id, sender=row.sender, receiver=row.receiver,
                       text=row.text, received_at=row.received_at,
                       election_id=message.election_id, simulated=message.simulated)
        known_sender = False
        found = claimant(stored.text)
        if not is_phone(stored.sender):
            # Nobody to answer, and nobody to believe: refused before any handler reads it.
            row.outcome, row.error, row.reply = InboundSms.Outcome.REFUSED, "not_a_phone", ""
            log.warning("SMS %s refused: the sender is not a phone number", row.gateway_id)
        elif found is None or not stored.text.strip():
            row.outcome, row.reply = InboundSms.Outcome.UNKNOWN, _not_understood()
        else:
            row.handler = found[0]
            answer = found[1](stored)
            known_sender = answer.known_sender
            row.outcome = (InboundSms.Outcome.ACCEPTED if answer.accepted
                           else InboundSms.Outcome.REFUSED)
            row.reference, row.error = answer.reference[:40], answer.error[:60]
            row.reply = answer.reply
        send = bool(row.reply and row.sender)
        # Refusals are limited, to unknown senders and (more loosely) to staff phones.
        if send and row.outcome != InboundSms.Outcome.ACCEPTED and not stored.simulated \
                and not (_staff_refusal_allowed(row.sender) if known_sender
                         else _reply_allowed(row.sender)):
            send = False
            row.error = f"{row.error or row.outcome}; reply_limited"[:60]
            log.warning("SMS %s: no reply to %s (too many refusals to %s)", row.gateway_id,
                        notify.mask_phone(row.sender),
                        "this staff phone" if known_sender else "unknown senders")
        if send and stored.simulated:
            # The simulation's: kept on the row, never sent to the (staff's) phone.
            send = False
            log.info("SMS %s: simulated, the reply to %s is not sent", row.gateway_id,
                     notify.mask_phone(row.sender))
        row.save(update_fields=["handler", "outcome", "reference", "error", "reply"])
        if send:
            notify.sms_send(to=row.sender, text=row.reply, purpose="sms.reply")
    log.info("SMS %s from %s: %s %s", row.gateway_id, notify.mask_phone(row.sender),
             row.handler or "-", row.outcome)
    return Received(row, received.duplicate)
