"""The alert list and an alert's page on a phone, in headless Chromium (user review F9):
nothing wider than the screen, the station's link, last word and staff visible, the
phones masked until the governor reveals them."""

from __future__ import annotations

import os
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from amanat.accounts.testing import sign_in_page
from amanat.elections.posts import StationPost
from amanat.operations import services
from amanat.operations.models import Alert
from amanat.operations.services import Values
from amanat.operations.tests.conftest import at
from amanat.operations.tests.test_ckalerts import staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("AMANAT_SCREENSHOTS", "")


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.mark.parametrize("width", [360, 390])
def test_alerts_on_a_phone(browser_page: Any, day: Any, personas: Any, width: int) -> None:
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, "09121110042", 1)
    staff(day, day.gharchak_station, StationPost.MEMBER, "09121110043", 2)
    window = services.window_for(day.election, "I", at("10:00"))
    services.checkin_record(station=day.gharchak_station, window=window, source="web",
                            values=Values(incidents="VB EF", note="پول در صف رأی"),
                            at=at("10:00"))
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at("10:01").isoformat(), stdout=StringIO())
    alert = Alert.objects.get(kind="incident")
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    sign_in_page(page, personas.gharchak_governor)

    page.goto(f"{page.base_url}/operations/alerts/?election={day.election.slug}")
    expect(page.locator("[data-testid=alert-row]")).to_have_count(1)
    expect(page.locator("[data-testid=alert-row-kind]")).to_contain_text("VB")
    _fits(page, width)
    # The table keeps to the screen too (no sideways scrolling inside its box).
    table = page.locator("[data-testid=alert-table]")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth + 1")
    _shot(page, f"alert_list_{width}_fa.png")

    page.locator("[data-testid=alert-row] a").first.click()
    expect(page.locator("[data-testid=alert-station-link]")).to_be_visible()
    expect(page.locator("[data-testid=alert-incident-codes]")).to_contain_text("خرید و فروش رأی")
    expect(page.locator("[data-testid=alert-heard]")).to_contain_text("۱۰:۰۰")
    expect(page.locator("[data-testid=alert-staff-row]")).to_have_count(2)
    expect(page.locator("[data-testid=alert-staff-phone]").first).to_contain_text("****")
    _fits(page, width)
    _shot(page, f"alert_detail_{width}_fa.png")

    page.locator("[data-testid=reveal]").click()
    expect(page.locator("a[href='tel:09121110042']")).to_be_visible()
    _fits(page, width)
    _shot(page, f"alert_detail_revealed_{width}_fa.png")

    page.locator("[data-testid=alert-station-link]").click()
    expect(page).to_have_url(
        f"{page.base_url}/operations/stations/{alert.station_id}/?election={day.election.slug}")
