"""The shell and the geography pages in headless Chromium (Playwright)."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def geo(transactional_db, small_geo):
    return small_geo


def watch(page):
    """Record responses and CSP/JS errors on ``page`` for later assertions."""
    seen = {"responses": {}, "errors": []}
    page.on("response", lambda r: seen["responses"].__setitem__(r.url, r.status))
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on(
        "console",
        lambda msg: seen["errors"].append(msg.text) if msg.type == "error" else None,
    )
    return seen


def status_of(seen, suffix):
    matches = [status for url, status in seen["responses"].items() if url.endswith(suffix)]
    assert matches, f"{suffix} was never requested"
    return matches[-1]


def test_search_as_you_type_finds_kerman_typed_with_arabic_kaf(signed_in_page, geo):
    page = signed_in_page
    seen = watch(page)
    page.goto(page.base_url + "/geo/search/")
    assert status_of(seen, "/static/vendor/htmx/htmx.min.js") == 200
    page.wait_for_function("window.htmx !== undefined")
    # A marker on window survives only if results are swapped in, not a page load.
    page.evaluate("window.amanatMarker = 'still here'")
    page.locator("#geo-q").press_sequentially("كرمان", delay=30)
    results = page.locator("[data-testid=search-results] li")
    results.first.wait_for()
    texts = results.all_inner_texts()
    assert any("استان" in t and "کرمان" in t for t in texts), texts
    assert any("شهرستان" in t and "کرمان" in t for t in texts), texts
    assert page.evaluate("window.amanatMarker") == "still here"
    assert "q=" in page.url  # the address follows the query, so it can be shared
    assert seen["errors"] == []
    # Following a result opens the unit page.
    results.first.locator("a").click()
    page.wait_for_url(re.compile(r"/geo/unit/\d+/"))
    assert page.locator("h1").inner_text() == "کرمان"


def test_search_works_without_javascript(browser_page, viewer, geo):
    context = browser_page.context.browser.new_context(java_script_enabled=False)
    try:
        from django.conf import settings
        from django.test import Client

        from amanat.accounts.testing import sign_in

        client = Client()
        sign_in(client, viewer)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": browser_page.base_url}]
        )
        page = context.new_page()
        page.goto(browser_page.base_url + "/geo/")
        page.fill("#geo-q", "کر\u200cمان")
        page.click("form[role=search] button[type=submit]")
        page.wait_for_url(re.compile(r"/geo/search/\?q="))
        assert page.locator("[data-testid=search-results] li").count() == 4
    finally:
        context.close()


def test_home_is_rtl_and_english_is_ltr(signed_in_page, geo):
    page = signed_in_page
    seen = watch(page)
    page.goto(page.base_url + "/geo/")
    assert page.evaluate("document.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "fa"
    assert status_of(seen, "/static/vendor/bootstrap/css/bootstrap.rtl.min.css") == 200
    assert status_of(seen, "/static/vendor/vazirmatn/Vazirmatn-font-face.css") == 200
    assert status_of(seen, "/static/amanat/css/amanat.css") == 200
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert font.startswith("Vazirmatn"), font
    # Kerman's number of counties, in Persian digits.
    kerman = page.locator("[data-testid=province-table] tbody tr").filter(has_text="کرمان")
    assert kerman.locator("td.text-end").inner_text() == "۲"

    # Wait for the English stylesheet's own response rather than assume it has come.
    with page.expect_response(lambda r: r.url.endswith("/bootstrap/css/bootstrap.min.css")
                              ) as stylesheet:
        page.click("[data-testid=lang-switch]")
    assert stylesheet.value.status == 200
    page.wait_for_function("document.dir === 'ltr'")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert kerman.locator("td.text-end").inner_text() == "2"
    assert "Geography" in page.locator("nav").first.inner_text()

    page.click("[data-testid=lang-switch]")
    page.wait_for_function("document.dir === 'rtl'")
    assert seen["errors"] == []


def test_unit_page_draws_its_map_offline(signed_in_page, geo):
    page = signed_in_page
    seen = watch(page)
    page.goto(f"{page.base_url}/geo/unit/{geo.kerman_province.pk}/")
    page.wait_for_selector("#unit-map[data-ready=true]")
    # The province and its two counties, drawn without any tile server.
    assert page.locator("#unit-map path.leaflet-interactive").count() == 3
    assert page.locator("#unit-map .leaflet-tile").count() == 0
    assert status_of(seen, "/static/vendor/leaflet/leaflet.js") == 200
    crumbs = page.locator("[data-testid=breadcrumbs] li").all_inner_texts()
    assert crumbs[-2:] == ["ایران", "کرمان"]
    assert seen["errors"] == []


@pytest.mark.parametrize(("width", "box", "button"), [
    (1250, False, True),  # the menu fills the bar: a search button instead of the box
    (1500, True, False),
    (1000, True, False),  # the menu is folded away (opened below), with the box in it
])
def test_place_search_is_reachable_from_the_navbar_at_every_width(
    signed_in_page, geo, width, box, button
):
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(page.base_url + "/")
    if width < 1200:
        page.locator(".navbar-toggler").click()
        page.locator("#nav-search").wait_for(state="visible")
    assert page.locator("#nav-search").is_visible() == box
    link = page.locator("[data-testid=nav-search-link]")
    assert link.is_visible() == button
    if button:
        link.click()
        page.wait_for_url(re.compile(r"/geo/search/"))
        assert page.locator("#geo-q").is_visible()
