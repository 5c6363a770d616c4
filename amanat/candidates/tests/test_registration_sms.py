"""The public registration's one-time code through a real gateway: KannelBackend →
smsbox's sendsms → bearerbox → Kannel's fake SMS centre (conftest.kannel_gateway).

The code is read where a phone would read it, at the fake SMS centre, in Persian, and
completes the registration; the outbox keeps the record without the code.  Never skips in
CI (AMANAT_REQUIRE_KANNEL).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from amanat.candidates.models import Candidacy
from amanat.candidates.tests.conftest import World, nid
from amanat.candidates.tests.test_registration import _person, _start
from amanat.core.models import OutboundMessage
from amanat.core.notify import REDACTED

pytestmark = pytest.mark.django_db(transaction=True)

MOBILE = "09121234567"


def test_the_one_time_code_arrives_at_the_fake_sms_centre_in_persian(
        world: World, client: Client, kannel: Any) -> None:
    before = len([m for m in kannel.received() if m.to == MOBILE])
    assert _start(client, world, nid(41)).status_code == 302
    deadline = time.monotonic() + 30
    while len(arrived := [m for m in kannel.received() if m.to == MOBILE]) <= before:
        assert time.monotonic() < deadline, "no code at the fake SMS centre"
        time.sleep(0.05)
    text = arrived[-1].text
    code = re.search(r"(\d{6})", text)
    assert code
    with translation.override("fa"):
        expected = gettext("Amanat candidate registration code: %(code)s") % {
            "code": code.group(1)}
    assert text == expected and "ثبت" in expected  # the Persian text intact
    sent = OutboundMessage.objects.get(purpose="candidates.mobile_code")
    assert sent.status == OutboundMessage.Status.SENT and sent.attempts == 1
    assert sent.gateway_answer.startswith("0:") and sent.text == REDACTED
    response = client.post(reverse("candidates:register_confirm"), _person(
        code=code.group(1), constituency=world.city(world.geo.gharchak_city).pk))
    assert response.status_code == 302
    assert Candidacy.objects.filter(national_id=nid(41)).exists()
