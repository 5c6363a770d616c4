"""Through the real pages in headless Chromium (user review 2026-12, fixes F4, F5, F13,
F14, F25): the dashboard says when its figures are no longer updated, with their age,
tries again and recovers; its time is Tehran time in Persian; the county dashboard and
the windows page fit a phone; the station search takes an inspector to their station."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from amanat.accounts.testing import sign_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_warns_when_stale_and_recovers(browser_page: Any, day: Any,
                                                     personas: Any, settings: Any) -> None:
    settings.AMANAT_TILE_URL = ""
    page = browser_page
    sign_in_page(page, personas.admin)
    page.goto(f"{page.base_url}/operations/?election={day.election.slug}&refresh=2")
    board = page.locator("#ops-dashboard")
    stale = page.locator("[data-testid=ops-stale]")
    expect(board).to_have_attribute("data-state", "fresh")
    expect(stale).to_be_hidden()
    # The time is the server's, in Persian digits, with the Jalali date (not UTC).
    updated = page.locator("[data-testid=ops-updated]")
    shown = re.compile(r"^[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2} [۰-۹]{2}:[۰-۹]{2}:[۰-۹]{2}$")
    expect(updated).to_have_text(shown)

    # The server stops answering: the warning says so, with the figures' age.
    page.route("**/data/**", lambda route: route.abort())
    expect(stale).to_be_visible(timeout=10_000)
    expect(board).to_have_attribute("data-state", "stale")
    expect(page.locator("[data-testid=ops-stale-age]")).to_contain_text("ثانیه")
    expect(page.locator("[data-testid=ops-stale-session]")).to_be_hidden()

    # It answers again: the next attempt (backing off, a few seconds) clears the warning.
    page.unroute("**/data/**")
    expect(stale).to_be_hidden(timeout=20_000)
    expect(board).to_have_attribute("data-state", "fresh")

    # The session ends (signed out in another tab): the warning says to sign in again.
    page.context.clear_cookies()
    expect(stale).to_be_visible(timeout=20_000)
    expect(page.locator("[data-testid=ops-stale-session]")).to_be_visible()


def test_the_county_dashboard_and_the_windows_page_fit_a_phone(
        browser_page: Any, day: Any, personas: Any, small_geo: Any, settings: Any) -> None:
    settings.AMANAT_TILE_URL = ""
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in_page(page, personas.inspector)
    page.goto(f"{page.base_url}/operations/unit/{small_geo.gharchak.pk}/"
              f"?election={day.election.slug}&refresh=2")
    row = page.locator("[data-testid=ops-row]")
    expect(row).to_have_count(1)
    expect(page.locator("#ops-dashboard")).to_have_attribute("data-state", "fresh")
    # After the first poll too: the state in words, the code in Persian digits, the
    # station's own 0/1 columns not on a phone, nothing wider than the phone.
    expect(row.locator("[data-testid=ops-state]")).to_have_text("خاموش")  # the day is past
    expect(row).to_contain_text("۰۰۴۲")
    # station, state, flagged, voters, turnout, incidents (the column ckalerts added)
    assert row.locator("td:visible").count() == 6
    assert page.evaluate("document.documentElement.scrollWidth") <= 391

    # The station search: the code typed in Persian digits, straight to the station.
    search = page.locator("[data-testid=station-search] input[name=q]")
    box = search.bounding_box()
    assert box is not None and box["width"] > 200  # the row's width, not a narrow column
    search.fill("۰۰۴۲")
    page.locator("[data-testid=station-search-go]").click()
    expect(page).to_have_url(f"{page.base_url}/operations/stations/{day.gharchak_station.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391

    # The windows page: the table scrolls in its box, the page does not.
    page.goto(f"{page.base_url}/operations/windows/?election={day.election.slug}")
    expect(page.locator("[data-testid=window-row]")).to_have_count(6)
    expect(page.locator("[data-testid=windows-table]")).to_contain_text("سراسر روز")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
