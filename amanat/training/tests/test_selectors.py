"""The interface other apps use: course_for_post, passed_national_ids,
candidate_course_status, record_completions."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.audit.models import Event
from amanat.core.errors import RuleError
from amanat.elections.posts import StationPost
from amanat.training import selectors, services
from amanat.training.models import Completion
from amanat.training.tests.conftest import nid


def test_course_for_post(world: Any) -> None:
    assert selectors.course_for_post(world.election, StationPost.INSPECTOR) == \
        world.inspector_course
    assert selectors.course_for_post(world.election, StationPost.MEMBER) is None
    assert selectors.passed_national_ids(election=world.election,
                                         post=StationPost.MEMBER) == set()


def test_record_completions_is_idempotent_and_audited_once(world: Any) -> None:
    before = Event.objects.filter(action="training.completion.record").count()
    people = [(nid(1), "Ali Rezaei"), (nid(2), "Sara Ahmadi")]
    assert services.record_completions(actor=None, course=world.inspector_course,
                                       people=people, score=90) == 2
    assert Event.objects.filter(action="training.completion.record").count() == before + 1
    assert services.record_completions(actor=None, course=world.inspector_course,
                                       people=[*people, (nid(3), "Reza")]) == 1
    assert Completion.objects.filter(course=world.inspector_course).count() == 3
    assert selectors.passed_national_ids(
        election=world.election, post=StationPost.INSPECTOR) == {nid(1), nid(2), nid(3)}
    assert selectors.passed_national_ids(
        election=world.election, post=StationPost.INSPECTOR,
        national_ids=[nid(1), nid(4)]) == {nid(1)}
    codes = set(Completion.objects.values_list("code", flat=True))
    assert len(codes) == 3


def test_record_completions_refuses_bad_id_and_stores_nothing(world: Any) -> None:
    bad = nid(5)[:-1] + str((int(nid(5)[-1]) + 1) % 10)
    with pytest.raises(RuleError) as caught:
        services.record_completions(actor=None, course=world.inspector_course,
                                    people=[(nid(6), "Good"), (bad, "Bad")])
    assert caught.value.code == "national_id_check_digit"
    assert not Completion.objects.exists()


def test_candidate_course_status(world: Any) -> None:
    status = selectors.candidate_course_status
    assert status(election=world.election, national_id=nid(7)) == "none"
    services.enrol(actor=None, course=world.candidates_course, national_id=nid(7),
                   full_name="Candidate Seven")
    assert status(election=world.election, national_id=nid(7)) == "enrolled"
    services.record_completions(actor=None, course=world.candidates_course,
                                people=[(nid(7), "Candidate Seven")])
    assert status(election=world.election, national_id=nid(7)) == "passed"
