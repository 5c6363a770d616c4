"""F14 of the user review (docs/reviews/2026-12-user-candidates-people.md): enrolling
someone in the county's staffing register takes their name and mobile from it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.staffing.models import Person
from amanat.training.models import Enrolment
from amanat.training.tests.conftest import World, nid

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    return in_language(sign_in(Client(), user), "en")


def _registered(world: World, n: int, county: Any) -> Person:
    return Person.objects.create(
        county=county, unit_path=county.path, national_id=nid(n), first_name="مریم",
        last_name="رحیمی", mobile="09121112233", posts="inspector")


def test_enrolment_takes_name_and_mobile_from_the_staffing_register(world: World) -> None:
    _registered(world, 1, world.geo.gharchak)
    client = _client(world.personas.gharchak_governor)
    url = reverse("training:session_enrol", args=[world.gharchak_session.pk])
    page = client.get(reverse("training:session", args=[world.gharchak_session.pk]))
    assert 'id="id_full_name_helptext"' in page.content.decode()  # the form says so
    answer = client.post(url, {"national_id": nid(1)}, follow=True).content.decode()
    assert "مریم رحیمی was enrolled" in answer
    enrolment = Enrolment.objects.get(national_id=nid(1))
    assert enrolment.full_name == "مریم رحیمی" and enrolment.mobile == "09121112233"
    # A name typed by hand is kept; the register's mobile fills the empty field.
    _registered(world, 2, world.geo.gharchak)
    client.post(url, {"national_id": nid(2), "full_name": "مریم رحیمی‌نژاد"})
    second = Enrolment.objects.get(national_id=nid(2))
    assert second.full_name == "مریم رحیمی‌نژاد" and second.mobile == "09121112233"


def test_someone_outside_the_register_still_needs_a_name(world: World) -> None:
    """Not registered, or registered with another county (Kerman's session does not read
    Gharchak's register): the name is asked for, nothing stored."""
    _registered(world, 3, world.geo.gharchak)
    kerman = _client(world.personas.kerman_governor)
    page = kerman.post(reverse("training:session_enrol", args=[world.kerman_session.pk]),
                       {"national_id": nid(3)}, follow=True).content.decode()
    assert "not in the staffing register here" in page and "رحیمی" not in page
    gharchak = _client(world.personas.gharchak_governor)
    page = gharchak.post(reverse("training:session_enrol", args=[world.gharchak_session.pk]),
                         {"national_id": nid(4)}, follow=True).content.decode()
    assert "enter the person&#x27;s full name" in page or "enter the person's full name" in page
    assert not Enrolment.objects.exists()
