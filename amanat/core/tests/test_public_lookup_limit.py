"""Every public page that looks something up by a code counts the client's lookups with
the one throttle (amanat.core.ratelimit): an appointment letter's check (staffing), a
training certificate's check and a report's status. Over the limit: 429 with a clear
message, nothing looked up; the empty form is never counted; another client is not
affected."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language
from amanat.core.models import RateCounter

pytestmark = pytest.mark.django_db

PAGES = [("staffing:verify", {"code": "ABCD1234"}),
         ("training_verify", {"code": "ABCD-1234"}),
         ("public_report_status", {"reference": "R-0000000000"})]


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_a_public_lookup_is_limited_per_client(name: str, query: dict[str, str],
                                               settings: Any) -> None:
    settings.AMANAT_PUBLIC_LOOKUP_LIMIT = 3
    url = reverse(name)
    client = in_language(Client(REMOTE_ADDR="198.51.100.7"), "en")
    for _ in range(5):
        assert client.get(url).status_code == 200  # the empty form: not a lookup
    assert [client.get(url, query).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = client.get(url, query)
    assert refused.status_code == 429
    assert "Too many lookups were made from your connection" in refused.content.decode()
    assert 'data-testid="rate-limited"' in refused.content.decode()
    persian = in_language(Client(REMOTE_ADDR="198.51.100.7"), "fa").get(url, query)
    assert persian.status_code == 429 and "درخواست" in persian.content.decode()
    # Counted by a keyed hash, never the address itself.
    assert not RateCounter.objects.filter(key__contains="198.51.100.7").exists()
    assert Client(REMOTE_ADDR="203.0.113.20").get(url, query).status_code == 200
