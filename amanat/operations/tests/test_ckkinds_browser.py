"""The web check-in form in headless Chromium at phone width: only the chosen kind's
fields are shown, the hidden ones are not sent, and a turnout files as one (officials'
review F7, with attack F1's refusal behind it)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from amanat.accounts.testing import sign_in_page
from amanat.operations.models import Checkin, Window

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_form_shows_the_chosen_kinds_fields_only(browser_page: Any, day: Any,
                                                     personas: Any) -> None:
    now = timezone.now()
    Window.objects.filter(election=day.election, code__in=["O", "T1", "I"]).update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1))
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in_page(page, personas.inspector)
    page.goto(page.base_url + reverse("operations:checkin", args=[day.gharchak_station.pk]))
    windows = {w.code: str(w.pk) for w in Window.objects.filter(election=day.election)}
    page.select_option("#id_window", windows["O"])
    expect(page.locator("#id_staff_member")).to_be_visible()
    expect(page.locator("#id_voters")).to_be_hidden()
    expect(page.locator("#id_incidents")).to_be_hidden()
    page.select_option("#id_window", windows["I"])
    expect(page.locator("#id_incidents")).to_be_visible()
    expect(page.locator("#id_staff_member")).to_be_hidden()
    expect(page.locator("#id_note")).to_be_visible()
    # A figure typed under one kind is not sent with another.
    page.select_option("#id_window", windows["T1"])
    page.fill("#id_voters", "120")
    page.select_option("#id_window", windows["I"])
    page.fill("#id_incidents", "VB")
    page.click("[data-testid=checkin-submit]")
    expect(page.locator(".alert-success")).to_be_visible()
    checkin = Checkin.objects.get()
    assert (checkin.kind, checkin.voters, checkin.incidents) == ("incident", None, "VB")
