"""The demo: every Gharchak station fully staffed, trained and conflict-free, approved;
Kerman assigned and pending; running it twice changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.candidates.models import Candidacy, DeclaredRelative
from amanat.geo.models import Constituency
from amanat.staffing import demo
from amanat.staffing.assignment import post_slots
from amanat.staffing.models import Assignment, Person, Roster
from amanat.staffing.rules import Checker
from amanat.stations.models import Station

pytestmark = pytest.mark.django_db


def test_demo_staffs_gharchak_and_leaves_kerman_pending(world: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    g = world.geo
    monkeypatch.setattr(demo, "COUNTIES", {g.gharchak.code: True, g.kerman_county.code: False})
    for i in range(3, 9):
        Station.objects.create(election=world.election, county=g.gharchak,
                               unit=g.gharchak_city if i % 2 else g.qaleh_now,
                               unit_path=(g.gharchak_city if i % 2 else g.qaleh_now).path,
                               code=str(i), name=f"شعبه {i}", latitude=35.4 + i / 100,
                               longitude=51.56)
    constituency = Constituency.objects.create(
        code="CT-G", name="قرچک", kind="city", province=g.tehran, unit=g.gharchak_city,
        unit_path=g.gharchak_city.path, seats=5)
    Candidacy.objects.create(
        reference="D1", election=world.election, contest=world.election.contests.first(),
        constituency=constituency, county=g.gharchak, unit_path=g.gharchak.path,
        channel="walk_in", national_id="0000000000"[:0] + "0012345679", first_name="x",
        last_name="y", gender="male", birth_date="1980-01-01", education=5,
        mobile="09120000000", state="registered")
    result = demo.seed_demo_staffing(world.election)
    assert result.people > 0 and result.filled > 0
    slots = len(post_slots())
    for station in Station.objects.filter(county=g.gharchak):
        held = Assignment.objects.filter(station=station)
        assert held.count() == slots, station
        assert held.filter(post="representative").count() == 1
        assert held.filter(post="inspector").count() == 1
    assignments = list(Assignment.objects.select_related("person__home_unit", "station"))
    checker = Checker.load(world.election, [a.person for a in assignments])
    checker.posted = {}
    for a in assignments:
        assert not checker.problems(a.person, a.station, a.post)
    # The conflicted people exist and were not assigned.
    candidate = Person.objects.get(national_id="0012345679")
    relative = Person.objects.get(national_id=DeclaredRelative.objects.get().national_id)
    assert not Assignment.objects.filter(person=candidate).exists()
    assert not Assignment.objects.filter(person=relative,
                                         station__unit_path__startswith=g.gharchak_city.path
                                         ).exists()
    assert Roster.objects.get(county=g.gharchak).locked
    kerman = Roster.objects.get(county=g.kerman_county)
    assert not kerman.locked and kerman.run_filled == slots
    again = demo.seed_demo_staffing(world.election)
    assert again.people == 0 and again.filled == 0
    assert Assignment.objects.count() == len(assignments)
