"""The public pages' rate limits count the client behind the trusted reverse proxy
(AMANAT_TRUSTED_PROXIES), never a header from anyone else (amanat/core/clientaddr.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import World, public_form

pytestmark = pytest.mark.django_db

PROXY = "10.1.0.5"


def _via_proxy(address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {address}")


@pytest.fixture
def limited(settings: Any) -> None:
    settings.AMANAT_TRUSTED_PROXIES = [PROXY]
    settings.AMANAT_PUBLIC_REPORT_LIMIT = 2


def test_public_form_limit_counts_each_client_behind_the_proxy(world: World,
                                                               limited: None) -> None:
    client = _via_proxy("198.51.100.7")
    for _ in range(2):
        assert client.post(reverse("public_report"), public_form(world)).status_code == 200
    assert client.post(reverse("public_report"), public_form(world)).status_code == 429
    # On the base commit the whole country was the proxy: this one was refused too.
    other = _via_proxy("203.0.113.20").post(reverse("public_report"), public_form(world))
    assert other.status_code == 200
    assert Report.objects.count() == 3


def test_public_form_limit_ignores_a_header_from_outside_the_proxies(world: World,
                                                                     limited: None) -> None:
    statuses = [
        Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        .post(reverse("public_report"), public_form(world)).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert Report.objects.count() == 2


def test_status_lookup_limit_counts_an_ipv6_client_by_its_64(world: World, settings: Any,
                                                            limited: None) -> None:
    settings.AMANAT_TRUSTED_PROXIES = ["::1"]
    settings.AMANAT_PUBLIC_LOOKUP_LIMIT = 5
    lookups = [
        Client(REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR=f"2001:db8:5:6::{n + 1:x}")
        .get(reverse("public_report_status"), {"reference": "R-0000000000"}).status_code
        for n in range(5 + 1)
    ]
    assert lookups[:-1] == [200] * 5 and lookups[-1] == 429
    fresh = Client(REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="2001:db8:5:7::1")
    answer = fresh.get(reverse("public_report_status"), {"reference": "R-0000000000"})
    assert answer.status_code == 200
