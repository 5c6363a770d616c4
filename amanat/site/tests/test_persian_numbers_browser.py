"""Persian pages write every number in Persian digits with Persian separators («۲۷٫۱»,
«۱۲٬۳۴۵»), maps and charts included; English pages keep Latin digits.  Codes that must
stay Latin (a username, an address) are isolated left to right (``dir="ltr"``) and are
not counted."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from amanat.atlas import recompute
from amanat.atlas.tests.conftest import AtlasWorld, atlas_world, tasks_immediate  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Text nodes with an ASCII digit, or a Latin point/comma between Persian digits, outside
# isolated left-to-right runs, form fields, scripts and the page's hidden parts.
FIND_LATIN_NUMBERS = """() => {
  const skip = "script, style, noscript, textarea, select, option, [dir=ltr], code, kbd, "
             + "[hidden], .visually-hidden, .leaflet-control-attribution";
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent;
    if (!/[0-9]|[\\u06f0-\\u06f9][.,][\\u06f0-\\u06f9]/.test(text)) continue;
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    if (!parent.getClientRects().length) continue;  // not shown
    bad.push(text.trim().slice(0, 60));
  }
  return bad;
}"""


def latin_numbers(page: Any, path: str, ready: str | None = None) -> list[str]:
    page.goto(page.base_url + path)
    if ready:
        page.wait_for_selector(ready)
    found: list[str] = page.evaluate(FIND_LATIN_NUMBERS)
    return found


@pytest.fixture
def scored(atlas_world: AtlasWorld) -> AtlasWorld:  # noqa: F811
    recompute.atlas_recompute(election=atlas_world.election)
    return atlas_world


def test_persian_pages_have_no_latin_digits(signed_in_page: Any, scored: AtlasWorld) -> None:
    page = signed_in_page
    geo, election = scored.geo, scored.election
    query = f"?election={election.slug}"
    pages = [
        (reverse("geo:index"), None),
        (reverse("geo:unit", args=[geo.gharchak.pk]), "#unit-map[data-basemap=ready]"),
        (reverse("atlas:national") + query, "#atlas-map[data-ready=true]"),
        (reverse("atlas:county", args=[geo.gharchak.pk]) + query, "#atlas-map[data-ready=true]"),
        (reverse("stations:list") + query, None),
        (reverse("stations:detail", args=[scored.s1.pk]), None),
        (reverse("stations:readiness") + query, None),
    ]
    problems = {}
    for path, ready in pages:
        found = latin_numbers(page, path, ready)
        if found:
            problems[path] = found
    assert problems == {}


def test_map_popups_and_scale_use_persian_digits(signed_in_page: Any, scored: AtlasWorld
                                                 ) -> None:
    page = signed_in_page
    page.goto(page.base_url + reverse("atlas:national") + f"?election={scored.election.slug}")
    page.wait_for_selector("#atlas-map[data-ready=true]")
    page.locator("#atlas-map path.leaflet-interactive").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert not any(c.isascii() and c.isdigit() for c in text), text
    scale = page.locator(".leaflet-control-scale-line").first.inner_text()
    assert scale and not any(c.isascii() and c.isdigit() for c in scale), scale


def test_english_pages_keep_latin_digits(signed_in_page: Any, scored: AtlasWorld) -> None:
    page = signed_in_page
    page.context.add_cookies([{"name": "django_language", "value": "en",
                               "url": page.base_url}])
    page.goto(page.base_url + reverse("geo:index"))
    text = page.locator("main").inner_text()
    assert any(c.isascii() and c.isdigit() for c in text)
    assert not any("\u06f0" <= c <= "\u06f9" for c in text)
