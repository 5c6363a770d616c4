"""The station map in headless Chromium: draws cells with no tile server, switches to
stations when zoomed in, and falls back to the plain background when tiles fail."""

from __future__ import annotations

import datetime
import re
from typing import Any

import h3
import pytest

from amanat.elections.models import Election
from amanat.stations.tests.conftest import make_station

pytestmark = pytest.mark.browser

READY = {"cctv": "live", "cameras": 1, "power_backup": True}


@pytest.fixture
def map_stations(small_geo: Any) -> list[Any]:
    election = Election.objects.create(
        name="انتخابات شوراها ۱۴۰۵", slug="councils-1405",
        election_day=datetime.date(2026, 6, 12),
    )
    points = [
        (small_geo.gharchak, "101", 35.43, 51.57, READY),
        (small_geo.gharchak, "102", 35.435, 51.575, {"sensitive": True,
                                                   "sensitivity_reason": "سابقه"}),
        (small_geo.gharchak, "103", 35.425, 51.565, READY),
        (small_geo.kerman_county, "201", 30.29, 57.07, READY),
        (small_geo.rafsanjan, "301", 30.41, 55.99, {}),
    ]
    return [
        make_station(election, county, code, latitude=lat, longitude=lon,
                     h3_cell=h3.latlng_to_cell(lat, lon, 7), **values)
        for county, code, lat, lon, values in points
    ]


def open_map(page: Any) -> list[str]:
    """Open the map page; return the list that collects console errors."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page.base_url + "/stations/map/")
    # Attribute selectors, not wait_for_function: its polling evaluates strings, which
    # the page's Content-Security-Policy rightly forbids.
    page.locator("#station-map[data-ready='true']").wait_for()
    assert page.evaluate("window.amanatMapReady") is True
    return errors


def map_state(page: Any) -> dict[str, str]:
    state: dict[str, str] = page.eval_on_selector(
        "#station-map", "el => ({mode: el.dataset.mode, count: el.dataset.count, "
        "total: el.dataset.total, tiles: el.dataset.tiles || ''})"
    )
    return state


def test_map_draws_cells_offline_then_stations_when_zoomed_in(
    signed_in_page: Any, map_stations: list[Any]
) -> None:
    page = signed_in_page
    errors = open_map(page)
    # The scale speaks the page's language: Persian digits and unit, no "500 m".
    scale = page.locator("#station-map .leaflet-control-scale-line").inner_text()
    assert re.search("[۰-۹]", scale) and not re.search("[0-9]", scale), scale
    assert not re.search(r"\b(k?m)\b", scale), scale
    state = map_state(page)
    assert state["mode"] == "cells"
    assert int(state["count"]) >= 2 and state["total"] == "5"
    # Drawn on a canvas over a plain background, no tile images at all.
    assert page.locator("#station-map .leaflet-overlay-pane canvas").count() == 1
    assert page.locator("#station-map img.leaflet-tile").count() == 0
    # Province names label the plain background so the country's shape reads.
    assert page.locator(".amanat-unit-label").count() >= 2

    page.evaluate(
        "document.getElementById('station-map').amanatMap.setView([35.43, 51.57], 15)"
    )
    page.locator("#station-map[data-mode='stations']").wait_for()
    state = map_state(page)
    assert state["count"] == "3"  # the Gharchak stations in view

    # The station at the centre opens a popup linking to its page.
    box = page.locator("#station-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    link = page.locator(".leaflet-popup-content a")
    link.wait_for()
    assert link.get_attribute("href") == f"/stations/{map_stations[0].pk}/"
    assert "۱۰۱" in link.inner_text()  # Persian digits on a Persian page
    assert errors == []


def test_unreachable_tiles_fall_back_to_the_plain_background(
    signed_in_page: Any, map_stations: list[Any], settings: Any
) -> None:
    # Nothing listens on port 9 (discard): every tile fails, as when offline.
    settings.AMANAT_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    page = signed_in_page
    open_map(page)
    page.locator("#station-map[data-tiles='unavailable']").wait_for()
    assert map_state(page)["mode"] == "cells"
    assert page.locator(".amanat-unit-label").count() >= 2
    assert page.get_by_test_id("map-status").inner_text().strip() != ""
