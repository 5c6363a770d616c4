"""Reports by SMS through a real gateway: Kannel's bearerbox and smsbox with its fake SMS
centre (conftest.kannel_gateway), Amanat on the live server.

A message injected at the fake SMS centre reaches Amanat through smsbox's get-url, is
stored raw and once (a repeated delivery of its id makes no second record), becomes a
report, and the Persian reply comes back through sendsms to the fake SMS centre.  A
message that cannot be understood is kept raw and answered politely.  In CI these never
skip (AMANAT_REQUIRE_KANNEL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from amanat.core.models import InboundSms
from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")


def eventually(find: Callable[[], T | None], what: str, timeout: float = 30) -> T:
    """Wait (not a timing assert) for ``find`` to return something."""
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def replies_to(kannel: Any, number: str, count: int = 1) -> list[Any]:
    return eventually(
        lambda: [m for m in kannel.received() if m.to == number][:count] if len(
            [m for m in kannel.received() if m.to == number]) >= count else None,
        f"{count} replies at the fake SMS centre to {number}")


@pytest.mark.parametrize("ucs2", [False, True], ids=["utf8-text", "ucs2"])
def test_a_report_by_sms_through_kannel_is_recorded_once_and_answered_in_persian(
        world: World, kannel: Any, ucs2: bool) -> None:
    sender = "09121110002" if ucs2 else "09121110001"
    kannel.inject(sender, "3000", "VB ۲۳۱۰-۰۰۴۲ خرید رأی جلوی مدرسه", ucs2=ucs2)
    row = eventually(lambda: InboundSms.objects.filter(sender=sender).exclude(
        outcome=InboundSms.Outcome.PENDING).first(), "the message at Amanat")
    assert row.text == "VB ۲۳۱۰-۰۰۴۲ خرید رأی جلوی مدرسه"
    assert row.outcome == InboundSms.Outcome.ACCEPTED and row.handler == "incidents"
    report = Report.objects.get(client_key=row.gateway_id)
    assert report.channel == "sms" and report.station == world.gharchak_station
    assert report.text == "خرید رأی جلوی مدرسه" and report.contact == sender
    reply = replies_to(kannel, sender)[0]
    with translation.override("fa"):
        expected = gettext("Your report was recorded as number %(reference)s. Thank you."
                           ) % {"reference": report.reference}
    assert reply.text == expected  # Persian intact both ways (UCS-2 out)

    # smsbox delivers the same message again (its retry after a lost answer): the same
    # call, the same id. One raw record, one report, no second reply.
    again = Client(REMOTE_ADDR="127.0.0.1").get("/api/v1/sms/kannel", {
        "key": kannel.secret, "id": row.gateway_id, "from": sender, "to": "3000",
        "text": row.text, "coding": "0", "charset": "UTF-8"})
    assert again.status_code == 200 and again.json()["duplicate"]
    assert InboundSms.objects.filter(gateway_id=row.gateway_id).count() == 1
    assert Report.objects.filter(client_key=row.gateway_id).count() == 1
    time.sleep(0.5)  # a second reply, were one sent, would have arrived by now
    assert len([m for m in kannel.received() if m.to == sender]) == 1


def test_a_message_that_cannot_be_understood_is_kept_raw_and_answered_politely(
        world: World, kannel: Any) -> None:
    sender = "09121110003"
    kannel.inject(sender, "3000", "سلام، کی رأی‌گیری شروع می‌شود؟", ucs2=True)
    row = eventually(lambda: InboundSms.objects.filter(sender=sender).exclude(
        outcome=InboundSms.Outcome.PENDING).first(), "the message at Amanat")
    assert row.text == "سلام، کی رأی‌گیری شروع می‌شود؟"
    # Three words: read as CATEGORY STATION text, and "سلام،" is no category.
    assert row.outcome == InboundSms.Outcome.REFUSED and row.error == "unknown_category"
    assert not Report.objects.exists()
    reply = replies_to(kannel, sender)[0]
    assert reply.text == row.reply and "VB 2321-0042" in reply.text
    with translation.override("fa"):
        assert reply.text == gettext(
            "unknown category code “%(category)s”; e.g. VB 2321-0042 what happened"
        ) % {"category": "سلام،"}
