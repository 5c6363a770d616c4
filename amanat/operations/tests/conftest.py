"""An election day on the small geography: the default windows, two stations (Gharchak
with 800 registered voters, Kerman county with 500) and their day rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from amanat.elections.models import Election
from amanat.operations import services
from amanat.operations.models import Window
from amanat.stations.tests.conftest import make_station

DAY = datetime.date(2026, 6, 12)


def at(clock: str, day: datetime.date = DAY) -> datetime.datetime:
    """A local time on election day ("10:05")."""
    hour, minute = (int(part) for part in clock.split(":"))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@dataclass
class Day:
    election: Election
    gharchak_station: Any
    kerman_station: Any
    windows: dict[str, Window]


@pytest.fixture
def day(small_geo: Any) -> Day:
    election = Election.objects.create(name="انتخابات آزمایشی", slug="test-day", election_day=DAY)
    gharchak_station = make_station(election, small_geo.gharchak, "0042",
                                    unit=small_geo.gharchak_city, expected_voters=800)
    kerman_station = make_station(election, small_geo.kerman_county, "0007",
                                  unit=small_geo.kerman_city, expected_voters=500)
    windows = services.windows_default_create(election=election, actor=None)
    services.day_prepare(election=election)
    return Day(election, gharchak_station, kerman_station, {w.code: w for w in windows})
