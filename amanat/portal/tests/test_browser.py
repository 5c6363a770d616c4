"""Issue 17's acceptance in headless Chromium: the public pages on a phone (no sideways
scroll, axe-core finds no serious or critical violation, in Persian and English), a
report filed from ``/``, a station found by a misspelt village name, the open data
downloaded, and the field app filing reports offline that arrive exactly once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from amanat.accounts.testing import sign_in_page
from amanat.incidents.models import Report
from amanat.portal.tests.conftest import World
from amanat.stations.models import Station

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PUBLIC_PAGES = ["/", "/report/", "/report/status/", "/report/status/?reference=R-NONE",
                "/find/", "/find/?q=%D9%82%D8%B1%DA%86%DA%A9", "/open-data/",
                "/open-data/dictionary/", "/awareness/", "/accounts/login/"]
# WCAG 2.0-2.2 A and AA rules.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def world_live(published: World, settings: Any, tmp_path: Path) -> World:
    settings.AMANAT_TILE_URL = ""  # the maps draw without a tile server (offline)
    return published


@pytest.fixture
def phone(_browser: Any, live_server: Any, wipe_audit_log: None) -> Iterator[Any]:
    """A 390 × 844 Persian phone page; ``phone.base_url`` is the live server."""
    context = _browser.new_context(locale="fa-IR", viewport=PHONE, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    try:
        yield page
    finally:
        context.close()


def _axe_source() -> str:
    path = Path(django_settings.NODE_MODULES) / "axe-core" / "axe.min.js"
    return path.read_text(encoding="utf-8")


def _serious(page: Any, source: str) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
    page.evaluate(source + "\n;0")
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
             const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
             return result.violations
               .filter(v => v.impact === "serious" || v.impact === "critical")
               .map(v => ({id: v.id, impact: v.impact,
                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
           }""", AXE_TAGS)
    return found


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("language", ["fa", "en"])
def test_public_pages_fit_a_phone_and_pass_axe(phone: Any, world_live: World,
                                               language: str) -> None:
    page = phone
    page.context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language,
                               "url": page.base_url}])
    source = _axe_source()
    problems: dict[str, Any] = {}
    for width in (360, 390):
        page.set_viewport_size({"width": width, "height": 844})
        for url in PUBLIC_PAGES:
            page.goto(page.base_url + url)
            assert page.locator("html").get_attribute("lang") == language
            if _scroll_width(page) > width:
                problems[f"{url} @ {width}px"] = f"scrollWidth {_scroll_width(page)}"
            if width == 390:
                violations = _serious(page, source)
                if violations:
                    problems[url] = violations
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_visitor_files_a_report_from_home_on_a_phone(phone: Any, world_live: World) -> None:
    page = phone
    page.goto(page.base_url + "/")
    page.locator("[data-testid=home-report-link]").click()
    form = page.locator("[data-testid=public-report-form]")
    # The click starts a navigation: measure the new page, not the one unloading.
    form.wait_for()
    assert _scroll_width(page) <= PHONE["width"]
    evidence = form.locator("input[name=evidence]")
    assert evidence.get_attribute("accept") == "image/*"
    assert evidence.get_attribute("capture") == "environment"
    form.locator("select[name=category]").select_option(label="خرید و فروش رأی")
    form.locator("input[name=station_code]").fill("2310-0042")
    form.locator("textarea[name=text]").fill("پخش پول جلوی شعبه دیده شد")
    evidence.set_input_files(files=[{"name": "photo.png", "mimeType": "image/png",
                                     "buffer": PNG}])
    form.locator("button[type=submit]").click()
    reference = page.locator("[data-testid=reference]").inner_text().strip()
    assert _scroll_width(page) <= PHONE["width"]
    report = Report.objects.get(reference=reference)
    assert report.station == world_live.gharchak_station and report.evidence.count() == 1


def test_station_found_by_a_misspelt_village_name(phone: Any, world_live: World) -> None:
    page = phone
    page.goto(page.base_url + "/")
    page.goto(page.base_url + "/find/")
    page.locator("[data-testid=finder-form] input[name=q]").fill("اختیازآباد")
    page.locator("[data-testid=finder-form] button[type=submit]").click()
    expect(page.locator("[data-testid=finder-approximate]")).to_be_visible()
    station = page.locator("[data-testid=finder-station]")
    assert station.count() == 1 and "مسجد جامع" in station.inner_text()
    page.wait_for_selector("[data-testid=finder-map][data-ready=true]")
    assert _scroll_width(page) <= PHONE["width"]


def test_open_data_downloads(phone: Any, world_live: World) -> None:
    page = phone
    page.goto(page.base_url + "/")
    page.locator("[data-testid=home-data-link]").click()
    for slug, fmt in (("stations", "csv"), ("stations", "json"),
                      ("report-statistics", "csv"), ("report-statistics", "json")):
        with page.expect_download() as info:
            page.locator(f"[data-testid=download-{slug}-{fmt}]").click()
        download = info.value
        assert download.suggested_filename == f"amanat-{slug}.{fmt}"
        text = Path(download.path()).read_text(encoding="utf-8")
        if fmt == "csv":
            assert text.startswith("# licence: CC BY 4.0")
        else:
            assert json.loads(text)["licence"].startswith("CC BY 4.0")
        if slug == "stations":
            assert "815-0007" in text and "2310-0042" in text


# --- the field app offline ------------------------------------------------------------------


def _open_field(page: Any) -> Any:
    response = page.goto(page.base_url + "/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    return response


def _file(page: Any, text: str, photo: str) -> None:
    form = page.locator("[data-testid=field-form]")
    form.locator("select[name=category]").select_option(label="خرید و فروش رأی")
    form.locator("input[name=station_code]").fill("2310-0042")
    form.locator("textarea[name=text]").fill(text)
    form.locator("input[name=evidence]").set_input_files(
        files=[{"name": photo, "mimeType": "image/png", "buffer": PNG}])
    form.locator("button[type=submit]").click()


def _unsent(page: Any, n: int) -> None:
    page.wait_for_selector(f"[data-testid=unsent-count][data-count='{n}']")


def test_inspector_files_offline_and_each_report_arrives_once(
    phone: Any, world_live: World
) -> None:
    page = phone
    context = page.context
    sign_in_page(page, world_live.personas.inspector)
    _open_field(page)
    # The worker is installed (shell and stations cached) and controls the page.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    assert _scroll_width(page) <= PHONE["width"]

    context.set_offline(True)
    _file(page, "گزارش یکم بدون اینترنت", "one.png")
    _unsent(page, 1)
    _file(page, "گزارش دوم بدون اینترنت", "two.png")
    _unsent(page, 2)
    assert Report.objects.count() == 0

    # Closed and opened again without a network: the worker serves the app, the queue is
    # still there.
    page.close()
    page = context.new_page()
    page.base_url = phone.base_url
    response = _open_field(page)
    assert response.from_service_worker
    _unsent(page, 2)
    assert Report.objects.count() == 0

    context.set_offline(False)  # the "online" event sends the queue
    _unsent(page, 0)
    reports = Report.objects.order_by("pk")
    assert [r.text for r in reports] == ["گزارش یکم بدون اینترنت", "گزارش دوم بدون اینترنت"]
    assert all(r.evidence.count() == 1 for r in reports)
    assert {r.submitted_by_id for r in reports} == {world_live.personas.inspector.pk}

    # A third report sent twice (its answer lost, so the queue still holds it; and two
    # senders at once) arrives once.
    context.set_offline(True)
    _file(page, "گزارش سوم", "three.png")
    _unsent(page, 1)
    page.evaluate("AmanatOutbox.items().then(items => { window.thirdCopy = items[0]; })")
    context.set_offline(False)
    _unsent(page, 0)
    outcomes = page.evaluate("""async () => {
        await AmanatOutbox.db.outbox.put(window.thirdCopy);
        return Promise.all([AmanatOutbox.send(window.thirdCopy),
                            AmanatOutbox.send(window.thirdCopy)]);
    }""")
    # One of the two may be told "later" (the test server's in-memory SQLite refuses a
    # second concurrent writer with 503): it stays queued and "send now" retries it.
    assert "sent" in outcomes and set(outcomes) <= {"sent", "later"}
    page.locator("[data-testid=send-now]").click()
    _unsent(page, 0)
    assert Report.objects.filter(text="گزارش سوم").count() == 1
    assert Report.objects.count() == 3
    assert page.locator("[data-testid=sent-item]").count() == 3


def test_a_shared_phone_keeps_each_users_queue_to_themselves(
    phone: Any, world_live: World
) -> None:
    """Attack review: the inspector queues a report offline and leaves (the session ends
    without "sign out and clear"); the police officer signs in on the same phone. The
    officer neither sees nor sends the inspector's report; the inspector, back, sends it
    under their own name."""
    page = phone
    context = page.context
    inspector, officer = world_live.personas.inspector, world_live.personas.police
    sign_in_page(page, inspector)
    _open_field(page)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    _file(page, "گزارش بازرس روی گوشی مشترک", "shared.png")
    _unsent(page, 1)
    assert page.evaluate("caches.has('amanat-field-pages')")
    # Signed out: the sign-in page, where signing out lands, drops the cached app page
    # and station list of the inspector.
    context.clear_cookies()
    context.set_offline(False)
    page.goto(page.base_url + "/accounts/login/")
    for _i in range(50):
        if not page.evaluate("caches.has('amanat-field-pages')"):
            break
        page.wait_for_timeout(100)
    assert not page.evaluate("caches.has('amanat-field-pages')")
    sign_in_page(page, officer)
    context.set_offline(False)
    _open_field(page)
    _unsent(page, 0)
    assert "گزارش بازرس" not in page.locator("#outbox-list").inner_text()
    page.locator("[data-testid=send-now]").click()
    _unsent(page, 0)
    assert Report.objects.count() == 0
    context.clear_cookies()
    sign_in_page(page, inspector)
    _open_field(page)
    _unsent(page, 0)
    assert Report.objects.get().submitted_by == inspector
def test_dictionary_types_are_not_broken_mid_word_on_a_phone(phone: Any, world_live: World
                                                             ) -> None:
    """User review 2026-12: «bool ean», «inte ger», «num ber» on a 390 px phone."""
    phone.goto(phone.base_url + "/open-data/dictionary/")
    lines = phone.evaluate("""() => [
        ...document.querySelectorAll('.portal-table tbody td:nth-child(2)')].map(td => {
          const r = document.createRange(); r.selectNodeContents(td);
          return [td.textContent.trim(), r.getClientRects().length]; })""")
    assert lines and all(count == 1 for _type, count in lines), lines
    assert _scroll_width(phone) <= PHONE["width"]


def test_near_me_cards_write_digits_in_persian(_browser: Any, live_server: Any,
                                                wipe_audit_log: None, world_live: World
                                                ) -> None:
    """User review 2026-12: the "near me" cards, drawn in the browser, read «۸:00–۱۸:00»,
    «2310-0042», «کوچه 15» and «km» on a Persian page."""
    Station.objects.filter(pk=world_live.gharchak_station.pk).update(
        address="خیابان امام، کوچه 15")
    context = _browser.new_context(locale="fa-IR", viewport=PHONE, permissions=["geolocation"],
                                   geolocation={"latitude": 35.43, "longitude": 51.57})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/find/")
        page.click("[data-testid=near-me]")
        card = page.locator("[data-testid=finder-station]").first
        card.wait_for()
        text = card.inner_text()
        assert "کوچه ۱۵" in text and "۲۳۱۰-۰۰۴۲" in text and "کیلومتر" in text, text
        assert not any(c.isascii() and c.isdigit() for c in text), text
    finally:
        context.close()
