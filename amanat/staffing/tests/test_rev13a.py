"""Attack review rev13a (docs/reviews/2026-12-attack2-candidates-people.md), the staffing
side of F1: a relative declared on the dossier (the only way one is recorded now) bars
the person from the candidate's constituency, by hand and in the roster's approval."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.candidates.models import Candidacy
from amanat.candidates.services import relative_declare
from amanat.core.errors import RuleError
from amanat.elections.posts import StationPost
from amanat.staffing.models import Assignment
from amanat.staffing.services import assignment_set
from amanat.staffing.tests.test_assign import _constituency

pytestmark = pytest.mark.django_db


def test_f1_a_relative_declared_on_the_dossier_does_not_staff_the_constituency(
        world: Any) -> None:
    brother = world.person(posts=(StationPost.MEMBER,))
    candidacy = Candidacy.objects.create(
        reference="R1", election=world.election, contest=world.election.contests.first(),
        constituency_id=_constituency(world).pk, county=world.geo.gharchak,
        unit_path=world.geo.gharchak.path, channel="walk_in",
        national_id=world.person(trained=False).national_id, first_name="x", last_name="y",
        gender="male", birth_date="1980-01-01", education=5, mobile="09120000000",
        state="registered")
    relative_declare(actor=world.personas.gharchak_governor, candidacy=candidacy,
                     relation="sibling", national_id=brother.national_id,
                     first_name=brother.first_name, last_name=brother.last_name)
    with pytest.raises(RuleError) as refused:
        assignment_set(actor=world.personas.gharchak_governor, station=world.city_station,
                       post=StationPost.MEMBER, slot=1, person=brother)
    assert refused.value.code == "rule_relative"
    assert not Assignment.objects.exists()
    # Outside the constituency (the rural district's station) the brother may serve.
    assignment_set(actor=world.personas.gharchak_governor, station=world.rural_station,
                   post=StationPost.MEMBER, slot=1, person=brother)
