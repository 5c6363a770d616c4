"""Names on the election-day dashboard's map are text, never markup (attack review 2026-12
F10): a station or unit named ``<img src=x onerror=...>`` shows those characters in its
tooltip, and no element is made from them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from amanat.accounts.testing import sign_in_page
from amanat.geo.models import AdminUnit
from amanat.stations.models import Station

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = '<img id="pwn" src="x" onerror="document.title=\'pwned\'"><b id="inj">INJECTED</b>'


def _tooltip_after_hovering(page: Any) -> Any:
    """Hover the map's shapes until a tooltip shows; that tooltip."""
    tooltip = page.locator(".leaflet-tooltip")
    shapes = page.locator("#ops-map path.leaflet-interactive")
    for index in range(shapes.count()):
        shapes.nth(index).hover(force=True)
        try:
            tooltip.first.wait_for(timeout=3000)
        except PlaywrightTimeout:
            continue
        if "INJECTED" in (tooltip.first.text_content() or ""):
            break
    return tooltip.first


def test_a_station_name_with_markup_shows_as_text(browser_page: Any, day: Any,
                                                  personas: Any, small_geo: Any,
                                                  settings: Any) -> None:
    settings.AMANAT_TILE_URL = ""  # offline: the plain background
    Station.objects.filter(pk=day.gharchak_station.pk).update(
        name=HOSTILE, latitude=35.43, longitude=51.57)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_page(page, personas.admin)
    page.goto(f"{page.base_url}/operations/unit/{small_geo.gharchak.pk}/"
              f"?election={day.election.slug}")
    expect(page.locator("[data-testid=ops-map]")).to_have_attribute("data-ready", "true")
    tooltip = _tooltip_after_hovering(page)
    expect(tooltip).to_contain_text('<img id="pwn"')
    expect(tooltip).to_contain_text('<b id="inj">INJECTED</b>')
    assert page.locator("#pwn").count() == 0 and page.locator("#inj").count() == 0
    assert page.title() != "pwned"


def test_a_unit_name_with_markup_shows_as_text(browser_page: Any, day: Any, personas: Any,
                                               small_geo: Any, settings: Any) -> None:
    settings.AMANAT_TILE_URL = ""
    AdminUnit.objects.filter(pk=small_geo.tehran.pk).update(name=HOSTILE)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_page(page, personas.admin)
    page.goto(f"{page.base_url}/operations/?election={day.election.slug}")
    expect(page.locator("[data-testid=ops-map]")).to_have_attribute("data-ready", "true")
    tooltip = _tooltip_after_hovering(page)
    expect(tooltip).to_contain_text('<b id="inj">INJECTED</b>')
    assert page.locator("#pwn").count() == 0 and page.locator("#inj").count() == 0
    assert page.title() != "pwned"
