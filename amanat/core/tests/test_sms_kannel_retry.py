"""Kannel redelivers what Amanat failed to take, with the same message id: one record.

A handler that fails the first time (the server answers 500) leaves the raw message
stored and pending; smsbox tries the get-url again after ``http-queue-delay`` (the
template's 10 s) with the same ``%I``, and that delivery is handled: one raw record, one
handling, one reply at the fake SMS centre.  Never skips in CI (AMANAT_REQUIRE_KANNEL).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from amanat.core import sms
from amanat.core.models import InboundSms

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def flaky_handler() -> Iterator[list[str]]:
    calls: list[str] = []

    def handle(message: sms.SmsIn) -> sms.SmsAnswer:
        calls.append(message.message_id)
        if len(calls) == 1:
            raise RuntimeError("the database went away for a moment")
        return sms.SmsAnswer(accepted=True, reply="دریافت شد", reference="F-1")

    saved = (list(sms._registry.by_prefix), sms._registry.fallback)
    sms.register("flaky", handle, prefixes=("FLAKY",))
    yield calls
    sms._registry.by_prefix[:], sms._registry.fallback = saved


def test_a_failed_delivery_is_retried_by_kannel_and_recorded_once(
        kannel: Any, flaky_handler: list[str]) -> None:
    sender = "09121110009"
    kannel.inject(sender, "3000", "FLAKY ۱")
    deadline = time.monotonic() + 60
    while not InboundSms.objects.filter(sender=sender, outcome="accepted").exists():
        assert time.monotonic() < deadline, "Kannel did not deliver the message again"
        time.sleep(0.1)
    row = InboundSms.objects.get(sender=sender)
    assert len(flaky_handler) == 2 and set(flaky_handler) == {row.gateway_id}
    while not [m for m in kannel.received() if m.to == sender]:
        assert time.monotonic() < deadline, "no reply at the fake SMS centre"
        time.sleep(0.05)
    assert [m.text for m in kannel.received() if m.to == sender] == ["دریافت شد"]
