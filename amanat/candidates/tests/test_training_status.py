"""The candidate's dossier shows where the candidate stands with the candidates'
training course (amanat.training, by national ID)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.candidates import services
from amanat.candidates.models import Channel
from amanat.candidates.tests.conftest import World, nid
from amanat.training import services as training

pytestmark = pytest.mark.django_db


def test_dossier_shows_the_candidates_course_status(world: World) -> None:
    candidacy = services.candidacy_register(
        actor=world.personas.admin, contest=world.city_council,
        constituency=world.city(world.geo.gharchak_city), channel=Channel.WALK_IN,
        person=services.PersonData(
            national_id=nid(1), first_name="Maryam", last_name="Karimi", father_name="Ali",
            gender="female", birth_date=datetime.date(1980, 1, 1), education=6,
            residence_years=3, mobile="09121112233"))
    client = in_language(sign_in(Client(), world.personas.gharchak_governor), "en")
    url = reverse("candidates:detail", args=[candidacy.pk])
    assert "Not enrolled" in client.get(url).content.decode()
    course = training.course_create(actor=None, election=world.election, unit=world.geo.iran,
                                    data={"audience": "candidates", "title": "Campaign rules"})
    training.enrol(actor=None, course=course, national_id=nid(1), full_name="Maryam Karimi")
    assert "Enrolled, not yet passed" in client.get(url).content.decode()
    training.record_completions(actor=None, course=course, people=[(nid(1), "Maryam Karimi")])
    assert "Passed" in client.get(url).content.decode()
