"""Fixtures of the staffing tests: the small geography, the example election, two
Gharchak stations (one in the city, one in the rural district) and a Kerman station,
courses for every post, and a factory for people (trained or not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from amanat.accounts.testing import Personas, make_personas
from amanat.elections.demo import seed_example_election
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.lib.nationalid import with_check_digit
from amanat.staffing.models import Person
from amanat.stations.models import Station
from amanat.training.models import Course
from amanat.training.services import course_create, record_completions


def nid(n: int) -> str:
    return with_check_digit(f"{311_000_000 + n:09d}")


@dataclass
class World:
    geo: Any
    personas: Personas
    election: Election
    city_station: Station
    rural_station: Station
    kerman_station: Station
    courses: dict[str, Course]
    counter: list[int]

    def person(self, *, county: Any = None, home: Any = None, posts: tuple[str, ...] = (
            StationPost.MEMBER,), trained: bool = True, n: int | None = None,
            gender: str = "", **fields: Any) -> Person:
        self.counter[0] += 1
        number = n if n is not None else self.counter[0]
        county = county or self.geo.gharchak
        home = home or self.geo.gharchak_city
        person = Person.objects.create(
            county=county, home_unit=home, unit_path=home.path, national_id=nid(number),
            first_name=fields.pop("first_name", "نفر"), last_name=f"شماره {number}",
            gender=gender, posts=",".join(sorted(posts)), mobile="09121234567", **fields)
        if trained:
            for post in posts:
                record_completions(actor=None, course=self.courses[post],
                                   people=[(person.national_id, person.full_name)])
        return person


@pytest.fixture
def world(small_geo: Any, settings: Any) -> World:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    personas = make_personas(small_geo)
    election = seed_example_election()
    g = small_geo

    def station(county: Any, unit: Any, code: str, lat: float, lon: float) -> Station:
        return Station.objects.create(election=election, county=county, unit=unit,
                                      unit_path=unit.path, code=code, name=f"شعبه {code}",
                                      latitude=lat, longitude=lon)

    city = station(g.gharchak, g.gharchak_city, "1", 35.43, 51.57)
    rural = station(g.gharchak, g.qaleh_now, "2", 35.38, 51.55)
    kerman = station(g.kerman_county, g.kerman_city, "1", 30.29, 57.07)
    courses = {post: course_create(actor=None, election=election, unit=g.iran, data={
        "audience": "station_staff", "post": post, "title": f"دوره {post}"})
        for post in StationPost.values}
    return World(g, personas, election, city, rural, kerman, courses, [0])


def full_staff(world: World, *, home: Any = None, members: int = 5) -> list[Person]:
    """People for one station's every post (trained)."""
    people = [world.person(posts=(StationPost.REPRESENTATIVE,), home=home),
              world.person(posts=(StationPost.POLICE,), home=home),
              world.person(posts=(StationPost.INSPECTOR,), home=home)]
    people += [world.person(posts=(StationPost.MEMBER,), home=home) for _ in range(members)]
    return people
