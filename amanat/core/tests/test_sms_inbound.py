"""Kannel's get-url endpoint (core.sms_api) and the dispatch by code (core.sms): only the
gateway (its secret and its address) is heard, every message is kept raw once per
message id, the app that claims the code handles it, the rest is answered politely."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, TestCase

from amanat.core import notify, sms
from amanat.core.models import InboundSms

pytestmark = pytest.mark.django_db

SECRET = "s3cret"
URL = "/api/v1/sms/kannel"


@pytest.fixture(autouse=True)
def gateway(settings: Any) -> Iterator[None]:
    settings.AMANAT_KANNEL_SECRET = SECRET
    settings.AMANAT_KANNEL_ALLOW = ["127.0.0.1"]
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    saved = (list(sms._registry.by_prefix), sms._registry.fallback)
    yield
    sms._registry.by_prefix[:], sms._registry.fallback = saved


def _get(query: str, address: str = "127.0.0.1") -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client(REMOTE_ADDR=address).get(f"{URL}?{query}")


def _query(text: str = "O#1234#1", **over: str) -> str:
    params = {"key": SECRET, "id": "k-1", "from": "09121234567", "to": "3000",
              "text": text, "coding": "0", "charset": "UTF-8", "time": "2026-12-02 08:00:00"}
    return urllib.parse.urlencode(params | over)


def test_a_wrong_secret_or_address_is_refused_and_nothing_stored() -> None:
    assert _get(_query(key="wrong")).status_code == 401
    assert _get(_query(key="")).status_code == 401
    assert _get(_query(), address="10.1.2.3").status_code == 401
    assert not InboundSms.objects.exists() and not notify.outbox


def test_no_secret_configured_refuses_everyone(settings: Any) -> None:
    settings.AMANAT_KANNEL_SECRET = ""
    assert _get(_query(key="")).status_code == 401


def test_a_message_without_id_or_sender_is_refused() -> None:
    assert _get(_query(id="")).status_code == 422
    assert _get(_query(**{"from": ""})).status_code == 422
    assert not InboundSms.objects.exists()


def test_the_claiming_app_handles_a_message_by_its_code_prefix_once_per_id() -> None:
    seen: list[sms.SmsIn] = []

    def checkin(message: sms.SmsIn) -> sms.SmsAnswer:
        seen.append(message)
        return sms.SmsAnswer(accepted=True, reply="ثبت شد", reference="C-1")

    sms.register("operations", checkin, prefixes=("O#",))
    # Persian digits and a lower-case code are normalised before the prefix is compared.
    answer = _get(_query(text="o#۱۲۳۴#۱"))
    assert answer.status_code == 200 and answer.json() == {
        "ok": True, "duplicate": False, "outcome": "accepted", "error": None}
    row = InboundSms.objects.get()
    assert (row.handler, row.reference, row.text) == ("operations", "C-1", "o#۱۲۳۴#۱")
    assert notify.outbox == [notify.SmsMessage(to="09121234567", text="ثبت شد")]
    again = _get(_query(text="o#۱۲۳۴#۱"))
    assert again.json()["duplicate"] and len(seen) == 1 and len(notify.outbox) == 1
    assert InboundSms.objects.count() == 1


def test_a_message_nobody_claims_is_kept_and_answered_politely() -> None:
    sms._registry.by_prefix.clear()
    sms._registry.fallback = None
    answer = _get(_query(text="چرت و پرت"))
    assert answer.json()["outcome"] == "unknown"
    row = InboundSms.objects.get()
    assert row.text == "چرت و پرت" and row.outcome == "unknown" and row.reply
    assert notify.outbox[0].text == row.reply


def test_a_handler_that_fails_leaves_the_raw_message_for_the_retry() -> None:
    calls: list[str] = []

    def broken(message: sms.SmsIn) -> sms.SmsAnswer:
        calls.append(message.message_id)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return sms.SmsAnswer(accepted=True, reply="ok")

    sms.register("broken", broken, prefixes=("B",))
    with pytest.raises(RuntimeError):
        _get(_query(text="B 1"))
    assert InboundSms.objects.get().outcome == "pending"  # kept, not lost
    assert _get(_query(text="B 1")).json()["outcome"] == "accepted"  # the gateway's retry
    assert InboundSms.objects.count() == 1 and len(calls) == 2


def test_ucs2_text_that_the_gateway_did_not_recode_is_decoded() -> None:
    text = "سلام ۱۲۳"
    query = _query(text="X", coding="2", charset="UTF-16BE").replace(
        "text=X", "text=" + urllib.parse.quote_from_bytes(text.encode("utf-16-be")))
    assert _get(query).status_code == 200
    assert InboundSms.objects.get().text == text
