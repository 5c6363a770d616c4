"""Fixtures of the atlas tests: an election with a few stations on the small geography."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from amanat.elections.models import Election
from amanat.stations.models import Station


def make_station(election: Election, county: Any, unit: Any, code: str, **fields: Any
                 ) -> Station:
    return Station.objects.create(election=election, county=county, unit=unit,
                                  unit_path=unit.path, code=code, name=f"شعبه {code}", **fields)


@dataclass
class AtlasWorld:
    geo: Any
    election: Election
    s1: Station  # Gharchak city: sensitive, no CCTV, e-voting without fibre, over capacity
    s2: Station  # Gharchak city: live CCTV, nothing wrong
    s3: Station  # Kerman village: recorded CCTV


@pytest.fixture
def tasks_immediate(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def atlas_world(small_geo: Any, tasks_immediate: None) -> AtlasWorld:
    geo = small_geo
    election = Election.objects.create(name="انتخابات آزمایشی", slug="test-atlas",
                                       election_day=datetime.date(2026, 6, 19))
    s1 = make_station(election, geo.gharchak, geo.gharchak_city, "101", sensitive=True,
                      cctv="none", evoting_planned=True, fibre="none", expected_voters=1500,
                      capacity=1000)
    s2 = make_station(election, geo.gharchak, geo.gharchak_city, "102", cctv="live",
                      expected_voters=500, capacity=1000)
    s3 = make_station(election, geo.kerman_county, geo.villages[0], "201", cctv="recorded",
                      expected_voters=300)
    return AtlasWorld(geo, election, s1, s2, s3)
