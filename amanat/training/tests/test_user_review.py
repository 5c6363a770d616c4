"""Findings of the outside user review of December 2026 (docs/reviews/
2026-12-user-candidates-people.md), through the pages as their users meet them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.training.models import Enrolment
from amanat.training.tests.conftest import World, nid

pytestmark = pytest.mark.django_db


def _client(user: Any, language: str = "fa") -> Client:
    return in_language(sign_in(Client(), user), language)


def test_assessment_answers_are_drawn_as_clickable_radio_buttons(world: World) -> None:
    """F1: the group of a question's answers (RadioSelect's wrapping <div>) got the
    input's class ``form-check-input``: Bootstrap drew the whole group as a 1em box, the
    answers spilt over the questions and the submit button and a click did not select
    an answer (at 390 and 1280 px). Only the inputs may carry that class."""
    page = _client(world.personas.gharchak_governor).get(
        reverse("training:assessment", args=[world.inspector_course.pk])).content.decode()
    groups = re.findall(r'<div id="id_q\d+"[^>]*>', page)
    assert groups, "the assessment shows its questions"
    assert all("form-check-input" not in tag for tag in groups), groups


def test_attendance_message_in_persian_digits(world: World) -> None:
    """F11: a Persian page says how many attended in Persian digits («۱ نفر حاضر»),
    not «1 نفر»."""
    client = _client(world.personas.gharchak_governor)
    client.post(reverse("training:session_enrol", args=[world.gharchak_session.pk]),
                {"national_id": nid(1), "full_name": "علی رضایی"})
    first = Enrolment.objects.get(national_id=nid(1))
    page = client.post(reverse("training:attendance", args=[world.gharchak_session.pk]),
                       {"attended": [first.pk]}, follow=True).content.decode()
    saved = [m for m in re.findall(r'data-testid="message">([^<]*)<', page) if "حاضر" in m]
    assert saved, "the attendance is confirmed"
    assert not re.search(r"[0-9]", saved[0]), saved[0]
