"""A station code typed without its leading zeros finds the station (issue 11, §6)."""

from __future__ import annotations

import pytest

from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import World
from amanat.incidents.tests.test_intake import BODY, api_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["2310-42", "2310-042", "۲۳۱۰-۴۲"])
def test_a_report_names_its_station_without_leading_zeros(world: World, typed: str) -> None:
    key = f"key-{len(typed)}-{typed.isascii()}"  # headers are ASCII
    response = api_post(world, {**BODY, "station_code": typed}, key)
    assert response.status_code == 201, response.content
    assert Report.objects.get().station.code == "0042"


def test_an_unknown_station_is_still_unknown(world: World) -> None:
    response = api_post(world, {**BODY, "station_code": "2310-43"}, "k")
    assert response.status_code == 422
    assert not Report.objects.exists()
