"""SMS trust after the election-day attack review (2026-12 F15): a sender id with letters is
not a staff phone, replies to unknown senders are rate-limited (no SMS bomb through the
gateway), and a retried message is handled with its text as first stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from amanat.core import notify
from amanat.core.models import InboundSms
from amanat.core.sms import is_phone
from amanat.operations.models import Checkin
from amanat.operations.tests.conftest import Day
from amanat.operations.tests.test_sms_checkins import (  # noqa: F401  (fixtures)
    PHONE,
    send,
    sms_day,
)

pytestmark = pytest.mark.django_db

SECRET = "kannel-test-secret"


@pytest.mark.parametrize("sender", ["INFO09121110042", "09121110042INFO", "Amanat",
                                    "0912111004۲x", "+98 912 111 0042a"])
def test_a_sender_id_with_letters_is_not_a_staff_phone(sms_day: Day, sender: str  # noqa: F811
                                                       ) -> None:
    row = send("I#2310-0042#VB", sender=sender)
    assert row.outcome == InboundSms.Outcome.REFUSED and row.error == "not_a_phone"
    assert Checkin.objects.count() == 0
    assert notify.outbox == []  # nobody to answer


@pytest.mark.parametrize("sender", [PHONE, "+989121110042", "00989121110042",
                                    "0912-111-0042", "۰۹۱۲۱۱۱۰۰۴۲", "(0912) 111 0042"])
def test_a_staff_phone_in_any_usual_writing_is_accepted(sms_day: Day, sender: str  # noqa: F811
                                                        ) -> None:
    assert is_phone(sender)
    row = send("I#2310-0042#VB", sender=sender)
    assert row.outcome == InboundSms.Outcome.ACCEPTED, row.reply
    assert Checkin.objects.count() == 1


def test_replies_to_an_unknown_sender_are_limited(sms_day: Day, settings: Any  # noqa: F811
                                                  ) -> None:
    """A spoofed sender (someone else's phone) gets the polite refusal a few times an
    hour, not once per message; every message is still kept for review."""
    settings.AMANAT_SMS_STRANGER_REPLIES_PER_NUMBER = 3
    victim = "09350000001"
    rows = [send("T1#2310-0042#100", sender=victim) for _ in range(10)]
    assert [m.to for m in notify.outbox] == [victim] * 3
    assert all(r.outcome == InboundSms.Outcome.REFUSED for r in rows)
    assert [r.error for r in rows[3:]] == ["unknown_sender; reply_limited"] * 7
    assert InboundSms.objects.filter(sender=victim).count() == 10
    # Garbage nobody claims is limited the same way.
    notify.outbox.clear()
    for _ in range(5):
        send("hello there", sender="09350000002")
    assert len(notify.outbox) == 3
    # And all unknown senders together.
    settings.AMANAT_SMS_STRANGER_REPLIES_PER_HOUR = 8
    notify.outbox.clear()
    for n in range(5):
        send("T1#2310-0042#100", sender=f"0936000000{n}")
    assert len(notify.outbox) == 8 - 6  # 6 counted already in this hour


def test_registered_staff_are_answered_every_time(sms_day: Day, settings: Any  # noqa: F811
                                                  ) -> None:
    settings.AMANAT_SMS_STRANGER_REPLIES_PER_NUMBER = 1
    for _ in range(4):
        send("T1#2310-0042#abc")  # unreadable: a refusal with the example
    assert [m.to for m in notify.outbox] == [PHONE] * 4


def test_a_retry_is_handled_with_the_text_first_stored(sms_day: Day) -> None:  # noqa: F811
    """The first delivery was stored and its handling failed (the row left pending); the
    gateway's retry carries other text (whoever holds the secret): the stored text
    counts."""
    InboundSms.objects.create(gateway_id="m-77", sender=PHONE, receiver="3000",
                              text="T1#2310-0042#100")
    row = send("T1#2310-0042#9999", message_id="m-77")
    assert row.outcome == InboundSms.Outcome.ACCEPTED, row.reply
    assert Checkin.objects.get().voters == 100
    assert InboundSms.objects.get(gateway_id="m-77").text == "T1#2310-0042#100"


def test_the_kannel_endpoint_refuses_a_sender_id(sms_day: Day, settings: Any  # noqa: F811
                                                 ) -> None:
    settings.AMANAT_KANNEL_SECRET = SECRET
    answer = Client().get("/api/v1/sms/kannel", {
        "key": SECRET, "id": "k-info", "from": "INFO09121110042", "to": "3000",
        "text": "I#2310-0042#VB"}, REMOTE_ADDR="127.0.0.1")
    assert answer.status_code == 200, answer.content
    assert InboundSms.objects.get(gateway_id="k-info").error == "not_a_phone"
    assert Checkin.objects.count() == 0 and notify.outbox == []
