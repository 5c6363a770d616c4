"""User review 2 (docs/reviews/2026-12-user2-candidates-people.md), findings closed on
branch left13, through the pages: a person's training in words for its state (F15); the
appointment letter's QR code (F16)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.elections.posts import StationPost
from amanat.training.services import enrol

pytestmark = pytest.mark.django_db


def _governor(world: Any, language: str = "fa") -> Client:
    return in_language(sign_in(Client(), world.personas.gharchak_governor), language)


def _training(page: str) -> str:
    return page.split('data-testid="training">')[1].split("</ul>")[0]


def test_a_persons_training_reads_passed_enrolled_or_not_enrolled(world: Any) -> None:
    """F15: «بازرس: پایان» ("completed" is a playbook run's «پایان»): the course of each
    post in the words of its state, as the candidate's dossier says them."""
    passed = world.person(posts=(StationPost.INSPECTOR,))
    waiting = world.person(posts=(StationPost.INSPECTOR, StationPost.MEMBER), trained=False)
    enrol(actor=None, course=world.courses[StationPost.INSPECTOR], unit=world.geo.gharchak,
          national_id=waiting.national_id, full_name=waiting.full_name)
    client = _governor(world)
    page = _training(client.get(reverse("staffing:person", args=[passed.pk])).content.decode())
    assert "بازرس" in page and "گذرانده" in page and "پایان" not in page
    assert 'data-status="passed"' in page
    page = _training(client.get(reverse("staffing:person", args=[waiting.pk])).content.decode())
    assert page.count("data-status=") == 2
    assert 'data-status="enrolled"' in page and "ثبت‌نام کرده، هنوز نگذرانده" in page
    assert 'data-status="none"' in page and "ثبت‌نام نکرده" in page
    # A post the election has no course for yet says so.
    world.courses[StationPost.MEMBER].delete()
    page = _training(client.get(reverse("staffing:person", args=[waiting.pk])).content.decode())
    assert 'data-status="no_course"' in page
    # In English too, and another county's governor gets 404.
    english = _governor(world, "en").get(reverse("staffing:person", args=[passed.pk]))
    assert "Passed" in _training(english.content.decode())
    kerman = in_language(sign_in(Client(), world.personas.kerman_governor), "fa")
    assert kerman.get(reverse("staffing:person", args=[passed.pk])).status_code == 404
