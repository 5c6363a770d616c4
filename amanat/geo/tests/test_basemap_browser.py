"""Maps on a closed network: with every host but the application's own server blocked,
the maps still draw Iran's outline, its neighbours, and the province and county areas."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def closed_network(signed_in_page: Any) -> list[str]:
    """Abort every request to a host other than the live server; return what was blocked."""
    own = urlsplit(signed_in_page.base_url).netloc
    blocked: list[str] = []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    signed_in_page.context.route("**/*", guard)
    return blocked


def test_a_county_page_draws_the_base_map_offline_and_zooms_to_its_county(
    signed_in_page: Any, small_geo: Any, closed_network: list[str]
) -> None:
    page = signed_in_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{page.base_url}/geo/unit/{small_geo.gharchak.pk}/")
    page.wait_for_selector("#unit-map[data-basemap=ready]")
    assert page.locator("#unit-map path.amanat-country-home").count() == 1
    assert page.locator("#unit-map path.amanat-country").count() > 10  # the neighbours
    assert page.locator("#unit-map path.amanat-county").count() == 3
    assert page.locator("#unit-map path.amanat-province").count() == 2
    assert page.locator("#unit-map path.amanat-focus").count() == 1
    # Zoomed to the county: its area fills the map, far closer than the country view.
    page.wait_for_function(
        "document.querySelector('#unit-map .leaflet-map-pane') && "
        "document.querySelector('#unit-map path.amanat-focus').getBBox().width > 150")
    # The areas are approximations here and the map says so.
    assert page.locator("[data-testid=approx-note]").count() == 1
    assert closed_network == []  # nothing but the server was even asked for
    assert errors == []


def test_the_country_view_names_the_provinces(
    signed_in_page: Any, small_geo: Any, closed_network: list[str]
) -> None:
    page = signed_in_page
    page.goto(f"{page.base_url}/geo/unit/{small_geo.iran.pk}/")
    page.wait_for_selector("#unit-map[data-basemap=ready]")
    assert page.locator("#unit-map path.amanat-country-home").count() == 1
    assert page.locator("#unit-map path.amanat-county").count() == 3
    labels = page.locator("#unit-map .amanat-province-label").all_inner_texts()
    assert sorted(labels) == ["تهران", "کرمان"]
    assert closed_network == []  # nothing but the server was even asked for
