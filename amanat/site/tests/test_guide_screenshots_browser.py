"""The user guide's screenshots, taken afresh by the browser suite so they never go stale.

Each run writes them into ``site/static/site/docs/`` (the folder the guide's pages name);
commit the changed images with the change that changed the pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from amanat.atlas import recompute
from amanat.atlas.tests.conftest import AtlasWorld, atlas_world, tasks_immediate  # noqa: F401
from amanat.site import guide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(guide.__file__).resolve().parent / "static" / "site" / "docs"


def test_screenshots_of_the_guide_are_regenerated(signed_in_page: Any,
                                                  atlas_world: AtlasWorld) -> None:  # noqa: F811
    recompute.atlas_recompute(election=atlas_world.election)
    page = signed_in_page
    page.set_viewport_size({"width": 1200, "height": 800})
    geo, query = atlas_world.geo, f"?election={atlas_world.election.slug}"
    shots = {
        "home.png": (reverse("site:home"), None),
        "geo.png": (reverse("geo:index"), None),
        "county-map.png": (reverse("geo:unit", args=[geo.gharchak.pk]),
                           "#unit-map[data-basemap=ready]"),
        "atlas-county.png": (reverse("atlas:county", args=[geo.gharchak.pk]) + query,
                             "#atlas-map[data-basemap=ready]"),
        "stations.png": (reverse("stations:list") + query, None),
    }
    assert set(shots) == guide.screenshots("fa") | guide.screenshots("en")
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, (path, ready) in shots.items():
        page.goto(page.base_url + path)
        if ready:
            page.wait_for_selector(ready)
            page.wait_for_timeout(300)  # the zoom to the focused county settles
        page.screenshot(path=str(DOCS / name), full_page=False)
        assert (DOCS / name).stat().st_size > 10_000
