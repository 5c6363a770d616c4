"""User review 2 (docs/reviews/2026-12-user2-candidates-people.md), F11 closed on branch
left13: the course assessment of someone already identified (in the county's staffing
register, or enrolled on the course) takes their name from there; anyone else must give
it, and nothing is stored without it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.training import services
from amanat.training.models import Attempt, Completion
from amanat.training.tests.conftest import World, nid
from amanat.training.tests.test_people14 import _registered

pytestmark = pytest.mark.django_db


def _client(user: Any, language: str = "en") -> Client:
    return in_language(sign_in(Client(), user), language)


def _answers(course: Any, values: list[int]) -> dict[str, Any]:
    return {f"q{q.pk}": v for q, v in zip(course.questions.all(), values, strict=True)}


def test_the_assessment_takes_the_name_of_someone_identified(world: World) -> None:
    course = world.inspector_course  # right answers: 1, 2, 1
    url = reverse("training:assessment", args=[course.pk])
    client = _client(world.personas.gharchak_governor)
    page = client.get(url).content.decode()
    assert 'id="id_full_name_helptext"' in page  # the form says when it may stay empty
    # In Gharchak's register: the name is the register's.
    _registered(world, 21, world.geo.gharchak)
    page = client.post(url, {"national_id": nid(21), **_answers(course, [1, 2, 1])}
                       ).content.decode()
    assert "passed with a score of 100" in page
    assert Attempt.objects.get(national_id=nid(21)).full_name == "مریم رحیمی"
    assert Completion.objects.get(national_id=nid(21)).full_name == "مریم رحیمی"
    # Enrolled on the course (not in the register): the enrolment's name.
    services.enrol(actor=None, course=course, unit=world.geo.gharchak,
                   national_id=nid(22), full_name="زهرا کریمی")
    client.post(url, {"national_id": nid(22), **_answers(course, [2, 1, 1])})
    assert Attempt.objects.get(national_id=nid(22)).full_name == "زهرا کریمی"
    # A name typed by hand is kept.
    _registered(world, 23, world.geo.gharchak)
    client.post(url, {"national_id": nid(23), "full_name": "مریم رحیمی‌نژاد",
                      **_answers(course, [1, 2, 1])})
    assert Attempt.objects.get(national_id=nid(23)).full_name == "مریم رحیمی‌نژاد"


def test_the_assessment_of_someone_unknown_still_needs_a_name(world: World) -> None:
    course = world.inspector_course
    url = reverse("training:assessment", args=[course.pk])
    page = _client(world.personas.gharchak_governor).post(
        url, {"national_id": nid(31), **_answers(course, [1, 2, 1])}).content.decode()
    assert "not in the staffing register here" in page
    persian = _client(world.personas.gharchak_governor, "fa").post(
        url, {"national_id": nid(31), **_answers(course, [1, 2, 1])}).content.decode()
    assert "در فهرست عوامل این‌جا نیست: نام و نام خانوادگی را بنویسید." in persian
    # Registered in Gharchak, assessed by Kerman: Kerman does not read Gharchak's register.
    _registered(world, 32, world.geo.gharchak)
    page = _client(world.personas.kerman_governor).post(
        url, {"national_id": nid(32), **_answers(course, [1, 2, 1])}).content.decode()
    assert "not in the staffing register here" in page and "رحیمی" not in page
    assert not Attempt.objects.exists() and not Completion.objects.exists()
