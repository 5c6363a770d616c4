"""The officials' election-day pages after the user review of 2026-12 (branch ckdash):
the data's time as the page shows it (F5), the station search (F25), window labels and
posts in Persian (F12, F16), the windows page's times typed in Persian digits and its
confirmation (F24)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from amanat.core.templatetags.persian import jdate
from amanat.lib.persian import to_persian_digits
from amanat.plans.tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _data(client: Any, unit: Any, day: Any) -> dict[str, Any]:
    url = reverse("operations:dashboard_data", args=[unit.pk]) + f"?election={day.election.slug}"
    response = client.get(url)
    assert response.status_code == 200
    return dict(response.json())


def test_the_data_time_is_shown_in_tehran_time_jalali_persian(day: Any, personas: Any,
                                                               small_geo: Any) -> None:
    client = client_for(personas.admin)
    data = _data(client, small_geo.iran, day)
    moment = timezone.localtime(datetime.datetime.fromisoformat(data["at"]))
    assert moment.utcoffset() == datetime.timedelta(hours=3, minutes=30)
    expected = to_persian_digits(jdate(moment) + " " + moment.strftime("%H:%M:%S"))
    assert data["at_shown"] == expected
    # The page carries the same words on load (it showed UTC, then the browser's time).
    page = client.get(reverse("operations:dashboard") + f"?election={day.election.slug}")
    assert 'data-testid="ops-updated"' in page.content.decode()
    assert page.context["data"]["at_shown"].startswith(to_persian_digits(jdate(moment)))


def test_the_data_time_refused_out_of_scope(day: Any, personas: Any, small_geo: Any) -> None:
    client = client_for(personas.gharchak_governor)
    url = reverse("operations:dashboard_data", args=[small_geo.kerman_county.pk])
    assert client.get(url + f"?election={day.election.slug}").status_code == 404
