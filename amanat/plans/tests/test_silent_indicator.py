"""The indicator "stations silent on election day" (issue 15's list) reads the stations'
day that the silent-station watch keeps (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from amanat.operations import services
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at, day  # noqa: F401 -- the fixture
from amanat.plans import indicators
from amanat.plans.models import IndicatorKind

pytestmark = pytest.mark.django_db


def test_silent_stations_per_county(day: Day, small_geo: Any) -> None:  # noqa: F811
    values = indicators.IndicatorValues(election=day.election, now=at("07:30"))
    assert values.compute(IndicatorKind.SILENT_STATIONS, None, 60) == {}
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at("07:30").isoformat(), stdout=None)
    assert values.compute(IndicatorKind.SILENT_STATIONS, None, 60) == {
        small_geo.gharchak.pk: 1.0, small_geo.kerman_county.pk: 1.0}
    window = services.window_for(day.election, "O", at("07:40"))
    services.checkin_record(station=day.gharchak_station, window=window, source="web",
                            at=at("07:40"), values=Values(staff={"representative": 1}))
    assert values.compute(IndicatorKind.SILENT_STATIONS, None, 60) == {
        small_geo.kerman_county.pk: 1.0}
