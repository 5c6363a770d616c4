"""User review 3 of election day (usr16c): the verify page reachable from the dashboard,
its differences readable on a phone, and a held check-in told as a warning."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.operations.models import Checkin, CheckinState, Flag
from amanat.operations.tests.conftest import Day
from amanat.operations.tests.test_opsverify import sql, verify, worked  # noqa: F401
from amanat.operations.tests.test_sms_checkins import open_now

pytestmark = pytest.mark.django_db


def test_the_dashboard_links_the_verify_page_for_its_readers_only(
        day: Day, personas: Any) -> None:
    link = reverse("operations:verify")
    for user in (personas.admin, personas.auditor):
        page = sign_in(Client(), user).get(reverse("operations:dashboard"))
        assert page.status_code == 200
        assert f'href="{link}?election={day.election.slug}"' in page.content.decode()
    page = sign_in(Client(), personas.gharchak_governor).get(reverse("operations:dashboard"))
    assert page.status_code == 200 and 'data-testid="verify-link"' not in page.content.decode()


def test_a_held_checkin_is_told_as_a_warning_and_its_resend_as_information(
        day: Day, personas: Any) -> None:
    open_now(day, "T1")
    client = sign_in(Client(), personas.inspector)
    client.cookies["django_language"] = "fa"
    url = reverse("operations:checkin", args=[day.gharchak_station.pk])
    held = client.post(url, {"window": day.windows["T1"].pk, "voters": "5000",
                             "client_key": "usr16c0000000001"}, follow=True)
    text = held.content.decode()
    assert 'class="alert alert-warning"' in text and "نگه" in text
    assert 'class="alert alert-success"' not in text
    first = Checkin.objects.get()
    assert first.state == CheckinState.QUARANTINED
    # The flag says who reported the figure (the one who may not verify it).
    flag = Flag.objects.filter(checkin=first).first()
    assert flag is not None
    governor = sign_in(Client(), personas.gharchak_governor)
    page = governor.get(reverse("operations:flag", args=[flag.pk])).content.decode()
    assert f'data-testid="flag-reporter">{personas.inspector.get_username()}<' in page
    resent = client.post(url, {"window": day.windows["T1"].pk, "voters": "50",
                               "client_key": "usr16c0000000002"}, follow=True)
    text = resent.content.decode()
    assert 'class="alert alert-success"' in text  # the resend recorded
    assert 'class="alert alert-info"' in text  # and it replaces the held one
    first.refresh_from_db()
    assert first.state == CheckinState.SUPERSEDED


def test_the_verify_page_names_the_window_as_the_pages_do(
        day: Day, worked: dict[str, Checkin], personas: Any) -> None:  # noqa: F811
    high = worked["high"]
    sql("UPDATE operations_checkin SET voters = %s WHERE id = %s", [650, high.pk])
    assert verify()[0] == 1
    client = sign_in(Client(), personas.admin)
    client.cookies["django_language"] = "fa"
    text = client.get(reverse("operations:verify")).content.decode()
    differences = text[text.find('data-testid="verify-run-differences"'):]
    assert differences and "۶۵۰" in differences
    window = high.window
    assert f"{window.get_kind_display()} · {window.shown_label}" in differences
    assert f" {window.code}:" not in differences
    # The command's own output keeps the window's SMS code (its JSON and its tests).
    assert verify("--json", "--language", "en")[1].count(f'"window": "{window.code}"') >= 1
