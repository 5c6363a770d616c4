"""Every main page fits a phone's width (390 px) in Persian: no sideways scrolling.

An election's full name (~70 characters) in a picker once made the station, readiness,
map and atlas pages 745-803 px wide; the shared stylesheet now lets every select, form
and tool row shrink and wrap.  Wide tables scroll inside their own box, not the page.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from amanat.accounts import services
from amanat.accounts.testing import sign_in_page
from amanat.elections.demo import seed_example_election
from amanat.stations.tests.conftest import make_station

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _phone_page(browser_page: Any, user: Any) -> Any:
    page = sign_in_page(browser_page, user)
    page.set_viewport_size(PHONE)
    return page


def _width(page: Any, path: str) -> tuple[int, int]:
    response = page.goto(page.base_url + path)
    assert response is not None and response.status == 200, path
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    return int(scroll), int(inner)


def test_main_pages_fit_a_phone_for_a_county_governor(
    browser_page: Any, personas: Any, small_geo: Any
) -> None:
    election = seed_example_election()
    assert len(election.name) > 60  # the name that used to widen the pickers
    station = make_station(election, small_geo.gharchak, "2310-0042",
                           name="دبستان شهید بهشتی، خیابان امام خمینی، کوچه شهید رجایی",
                           latitude=35.43, longitude=51.57)
    page = _phone_page(browser_page, personas.gharchak_governor)
    paths = [
        "/", "/stations/", "/stations/readiness/", "/stations/map/",
        f"/stations/readiness/county/{small_geo.gharchak.pk}/", f"/stations/{station.pk}/",
        f"/stations/{station.pk}/edit/", "/stations/import/", "/atlas/",
        f"/atlas/county/{small_geo.gharchak.pk}/", "/incidents/", "/incidents/reports/",
        "/incidents/reports/new/", "/incidents/dashboard/", "/incidents/map/", "/councils/",
        "/councils/actions/", "/elections/", f"/elections/{election.slug}/", "/geo/",
        f"/geo/unit/{small_geo.gharchak.pk}/", "/accounts/profile/", "/report/",
        "/report/status/",
    ]
    too_wide = {}
    for path in paths:
        scroll, inner = _width(page, path)
        if scroll > inner:
            too_wide[path] = scroll
    assert too_wide == {}, f"wider than the {PHONE['width']} px screen: {too_wide}"


def test_a_long_unbroken_word_wraps_on_a_phone(
    browser_page: Any, personas: Any, small_geo: Any
) -> None:
    """A name typed without spaces, or a pasted code quoted back in an error message,
    wraps: once a token's stations field with a 300-letter word made the token page
    1306 px wide, and a long agenda item its meeting page 1556 px."""
    word = "ي" * 150
    election = seed_example_election()
    station = make_station(election, small_geo.gharchak, "2310-0042", name=word)
    governor = personas.gharchak_governor
    services.api_token_issue(user=governor, name=word, ttl_days=1, actor=governor)
    page = _phone_page(browser_page, governor)
    for path in (f"/stations/{station.pk}/", "/stations/tokens/"):
        scroll, inner = _width(page, path)
        assert scroll <= inner, (path, scroll)
    page.fill("#id_name", "x")
    page.fill("#id_stations", word * 2)
    page.locator("form[action$='/tokens/issue/'] button[type=submit]").click()
    expect(page.locator("[data-testid=error-stations]")).to_be_visible()
    scroll, inner = page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, ("/stations/tokens/issue/", scroll)


@pytest.mark.parametrize("width", [1200, 1280, 1366])
def test_the_header_fits_a_laptop_for_a_role_with_every_section(
    browser_page: Any, personas: Any, small_geo: Any, width: int
) -> None:
    """User review 2026-12: the county governor's ten sections pushed the sign-out button
    off a 1366 px laptop screen (the page scrolled 96 px sideways); the sections now take
    a second line instead."""
    seed_example_election()
    page = _phone_page(browser_page, personas.gharchak_governor)
    page.set_viewport_size({"width": width, "height": 768})
    for path in ("/", "/stations/"):
        scroll, inner = _width(page, path)
        assert scroll <= inner, (path, scroll, inner)
        assert page.locator("#main-nav .nav-link").count() >= 9
        box = page.locator("form[action='/accounts/logout/'] button").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner
