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


def test_the_appointment_letter_carries_the_certificates_qr_code(
        world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """F16: the letter showed a long address in monospace where the training certificate
    has a QR code. The letter now draws the QR code of its public check, made by the
    certificate's helper (``lib.qr.qr_data_uri``); the PDF still names the code."""
    from amanat.councils.tests.test_pdf import pdftotext
    from amanat.lib.qr import qr_data_uri
    from amanat.staffing import pdf
    from amanat.staffing.models import Assignment

    person = world.person(posts=(StationPost.MEMBER,))
    client = _governor(world, "en")
    client.post(reverse("staffing:station_assign", args=[world.city_station.pk]),
                {"slot": "member:1", "national_id": person.national_id})
    client.post(reverse("staffing:county_approve", args=[world.geo.gharchak.pk]))
    assignment = Assignment.objects.get()
    rendered: list[str] = []
    real = pdf.html_to_pdf

    def keep(html: str, **kwargs: Any) -> bytes:
        rendered.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf, "html_to_pdf", keep)
    url = reverse("staffing:letter_pdf", args=[assignment.pk])
    # Another county's governor: not found, no letter.
    kerman = in_language(sign_in(Client(), world.personas.kerman_governor), "en")
    assert kerman.post(url).status_code == 404 and not rendered
    answer = client.post(url)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    verify_url = ("http://testserver" + reverse("staffing:verify")
                  + f"?code={assignment.verification_code}")
    assert f'<img class="qr" src="{qr_data_uri(verify_url)}"' in rendered[0]
    text = pdftotext(answer.content)
    assert assignment.verification_code in text
