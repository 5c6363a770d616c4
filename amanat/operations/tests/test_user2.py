"""User review 2 of election day (docs/reviews/2026-12-user2-operations.md): the fixes,
through the pages, the API and the commands."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import sign_in
from amanat.operations.models import DaySettings, Window
from amanat.operations.services import day_settings

pytestmark = pytest.mark.django_db


def client_for(user: Any, language: str = "fa") -> Client:
    client = Client()
    sign_in(client, user)
    client.cookies["django_language"] = language
    return client


def _times() -> dict[str, tuple[Any, Any]]:
    return {w.code: (w.opens_at, w.closes_at) for w in Window.objects.all()}


def _simulate(day: Any) -> None:
    DaySettings.objects.filter(pk=day_settings(day.election).pk).update(simulation_allowed=True)
    call_command("simulate_election_day", "--election", day.election.slug, "--start-in", "0",
                 "--minutes", "0.05", "--silent", "0", stdout=io.StringIO(),
                 stderr=io.StringIO())


def _edit_post(day: Any, silent: str) -> dict[str, str]:
    """The edit form as the page shows it (the times untouched), the quiet period changed."""
    data = {"silent_after_minutes": silent, "escalate_after_minutes": "30"}
    for window in Window.objects.filter(election=day.election):
        data[f"w{window.pk}_opens"] = timezone.localtime(window.opens_at).strftime("%H:%M")
        data[f"w{window.pk}_closes"] = timezone.localtime(window.closes_at).strftime("%H:%M")
    return data


# -- F1: the windows page after a simulation ------------------------------------------

def test_saving_the_windows_of_a_simulated_day_is_refused_and_the_restore_kept(
        day: Any, personas: Any) -> None:
    real = _times()
    _simulate(day)
    simulated = _times()
    assert simulated != real
    admin = client_for(personas.admin)
    edit = reverse("operations:windows_edit") + f"?election={day.election.slug}"
    page = admin.get(edit).content.decode()
    # The edit page says the day is simulated and offers the restore there too.
    assert 'data-testid="simulated"' in page and 'data-testid="windows-restore"' in page

    # Changing only the quiet period: refused with the reason, nothing moved.
    answer = admin.post(edit, _edit_post(day, "5"))
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "روز شبیه‌سازی‌شده" in text and "بازگردانید" in text
    assert _times() == simulated
    assert day_settings(day.election).silent_after_minutes != 5

    # The real day can still be put back, and then the times are saved as before.
    assert admin.post(edit, {"restore": "1"}).status_code == 302
    assert _times() == real
    assert admin.post(edit, _edit_post(day, "45")).status_code == 302
    assert day_settings(day.election).silent_after_minutes == 45
    assert _times() == real


def test_the_service_refuses_a_simulated_day_in_english_too(day: Any, personas: Any) -> None:
    _simulate(day)
    admin = client_for(personas.admin, "en")
    edit = reverse("operations:windows_edit") + f"?election={day.election.slug}"
    answer = admin.post(edit, _edit_post(day, "5"))
    assert answer.status_code == 200
    assert "Restore the real day first" in answer.content.decode()
