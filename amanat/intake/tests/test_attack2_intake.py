"""The field API's share of docs/reviews/2026-12-attack2-operations.md: the intake stores
the stations' days in its own SQL upsert, which must agree with the ordinary path."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.intake.tests.test_checkins import Field, field, post  # noqa: F401  (fixtures)
from amanat.operations.models import Checkin, CheckinState, StationDay
from amanat.operations.tests.conftest import Day, day  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("group_commit")]


def test_a_quarantined_closing_closes_the_station_with_its_total_held(
        field: Field) -> None:  # noqa: F811
    """F2, decided: a closing held for review is still a closing on every channel (as
    operations' test_quarantined_closing_still_closes on the ordinary path): the station
    is closed and takes no more turnouts, and its doubtful total is not published until
    an official verifies or corrects it."""
    turnout = post(field.token, {"station": "2310-0042", "window": "T1", "voters": 300}, "t1")
    assert turnout.status == 201, turnout.content
    closing = post(field.token, {"station": "2310-0042", "window": "C", "total": 0}, "c1")
    assert closing.status == 201 and closing.json()["state"] == CheckinState.QUARANTINED
    station_day: Any = StationDay.objects.get(station=field.day.gharchak_station)
    assert station_day.closed_at is not None
    assert station_day.total is None and station_day.voters == 300
    again = post(field.token, {"station": "2310-0042", "window": "T1", "voters": 350}, "t2")
    assert again.status == 422, again.content
    assert Checkin.objects.count() == 2
