"""Fixtures of the training tests: the small geography, the personas, the example
election, and a few courses (national ones and a Gharchak session)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from amanat.accounts.testing import Personas, make_personas
from amanat.elections.demo import seed_example_election
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.lib.nationalid import with_check_digit
from amanat.training import services
from amanat.training.models import Audience, Course, Delivery, Session


def nid(n: int) -> str:
    """A valid national ID, different for each ``n``."""
    return with_check_digit(f"{223_450_000 + n:09d}")


@dataclass
class World:
    geo: Any
    personas: Personas
    election: Election
    inspector_course: Course
    candidates_course: Course
    voters_course: Course
    gharchak_session: Session
    kerman_session: Session


@pytest.fixture
def world(small_geo: Any) -> World:
    personas = make_personas(small_geo)
    election = seed_example_election()
    inspector = services.course_create(
        actor=None, election=election, unit=small_geo.iran, data={
            "audience": Audience.STATION_STAFF, "post": StationPost.INSPECTOR,
            "title": "Inspectors' course", "summary": "For inspectors",
            "material": "# Rules\n\nWhat counts as a violation.", "pass_mark": 60,
            "delivery": Delivery.SESSIONS})
    services.questions_replace(actor=None, course=inspector, questions=services.parse_questions(
        "Q1\n* right\n- wrong\n\nQ2\n- wrong\n* right\n\nQ3\n* right\n- wrong"))
    candidates = services.course_create(
        actor=None, election=election, unit=small_geo.iran, data={
            "audience": Audience.CANDIDATES, "title": "Candidates' course",
            "summary": "Campaign rules", "material": "Lesson one.", "public": True,
            "delivery": Delivery.SELF_PACED})
    voters = services.course_create(
        actor=None, election=election, unit=small_geo.iran, data={
            "audience": Audience.VOTERS, "title": "Voters' guide",
            "summary": "Your rights", "material": "# Secret ballot\n\nNobody may watch.",
            "public": True, "delivery": Delivery.SELF_PACED})
    # Held two days ago: attendance is recorded only for a session that has started.
    start = timezone.now() - datetime.timedelta(days=2)
    gharchak = services.session_create(
        actor=None, course=inspector, unit=small_geo.gharchak,
        data={"place": "Gharchak hall", "starts_at": start, "trainer": "Trainer G",
              "capacity": 2})
    kerman = services.session_create(
        actor=None, course=inspector, unit=small_geo.kerman_county,
        data={"place": "Kerman hall", "starts_at": start, "trainer": "Trainer K",
              "capacity": 5})
    return World(small_geo, personas, election, inspector, candidates, voters, gharchak,
                  kerman)
