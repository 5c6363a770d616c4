"""Through the real pages in headless Chromium: the national election-day dashboard, at
desktop and phone width, updates its totals, table and map from the data answer after
a check-in, without reloading."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from amanat.accounts.testing import sign_in_page
from amanat.operations import services
from amanat.operations.models import Window
from amanat.operations.services import Values

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_dashboard_updates_after_a_checkin(browser_page: Any, day: Any, personas: Any,
                                           small_geo: Any, settings: Any, width: int) -> None:
    settings.AMANAT_TILE_URL = ""  # offline: the plain background
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_page(page, personas.admin)
    page.goto(f"{page.base_url}/operations/?election={day.election.slug}&refresh=2")
    voters = page.locator("[data-testid=total-voters]")
    expect(voters).to_have_text("۰")
    expect(page.locator("[data-testid=ops-map]")).to_have_attribute("data-ready", "true")
    expect(page.locator("[data-testid=ops-row]")).to_have_count(2)
    if width < 600:
        # The page does not widen sideways on a phone: the table scrolls in its box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1

    now = timezone.now()
    Window.objects.filter(election=day.election, code="T1").update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1))
    window = Window.objects.get(election=day.election, code="T1")
    services.checkin_record(station=day.gharchak_station, window=window,
                            values=Values(voters=120), source="web", actor=personas.inspector)

    # The next poll brings the new figures: no reload.
    expect(voters).to_have_text("۱۲۰", timeout=15_000)
    expect(page.locator("[data-testid=total-reporting]")).to_have_text("۱")
    tehran = page.locator(f"[data-testid=ops-row][data-id='{small_geo.tehran.pk}']")
    expect(tehran).to_contain_text("۱۲۰")
    expect(tehran).to_contain_text("۱۵")  # 120 of 800: 15 %
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
