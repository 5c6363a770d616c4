from __future__ import annotations

from typing import Any

import pytest

from amanat.elections.demo import seed_example_election
from amanat.elections.posts import StationPost
from amanat.training import demo, selectors
from amanat.training.models import Completion, Course, Enrolment, Session

pytestmark = pytest.mark.django_db


def test_demo_training_loads_once(small_geo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The small test geography's codes for Gharchak (2310) and Kerman (815).
    monkeypatch.setattr(demo, "GHARCHAK", small_geo.gharchak.code)
    monkeypatch.setattr(demo, "KERMAN", small_geo.kerman_county.code)
    codes = {"2321": small_geo.gharchak.code, "0808": small_geo.kerman_county.code}
    monkeypatch.setattr(demo, "SESSIONS", [(codes[s[0]], *s[1:]) for s in demo.SESSIONS])
    election = seed_example_election()
    result = demo.seed_demo_training(election)
    assert result.courses == len(demo.COURSES) == Course.objects.count()
    for post in StationPost.values:
        assert selectors.course_for_post(election, post) is not None
    assert set(Course.objects.public().values_list("audience", flat=True)) == {
        "candidates", "voters"}
    assert Session.objects.filter(unit=small_geo.gharchak).exists()
    assert Session.objects.filter(unit=small_geo.kerman_county).exists()
    assert Enrolment.objects.filter(attended=True).exists()
    assert selectors.candidate_course_status(
        election=election, national_id=demo._candidate_nid(1)) == "passed"
    assert selectors.candidate_course_status(
        election=election, national_id=demo._candidate_nid(2)) == "enrolled"
    counts = (Course.objects.count(), Session.objects.count(), Enrolment.objects.count(),
              Completion.objects.count())
    again = demo.seed_demo_training(election)
    assert (again.courses, again.sessions, again.enrolments) == (0, 0, 0)
    assert counts == (Course.objects.count(), Session.objects.count(),
                      Enrolment.objects.count(), Completion.objects.count())
