"""Through the real pages in headless Chromium: a citizen reports a violation on the public
form without an account and checks its status with the reference number; a governor's
case map draws offline from its data endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from amanat.accounts.testing import sign_in_page
from amanat.incidents import services
from amanat.incidents.models import Channel, Report
from amanat.incidents.tests.conftest import seed_categories

# The root conftest empties the append-only tables and re-seeds the reference data
# (agencies, categories) around every transactional test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "کسی جلوی شعبه به رأی‌دهندگان پول می‌داد"


def test_public_report_gives_a_reference_that_shows_its_status(
    browser_page: Any, small_geo: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # The form refuses submissions faster than a person types; the browser is faster.
    settings.AMANAT_PUBLIC_FORM_MIN_SECONDS = 0
    seed_categories()
    page = browser_page
    page.goto(f"{page.base_url}/report/")
    form = page.locator("[data-testid=public-report-form]")
    # The honeypot is out of sight without widening the right-to-left page sideways.
    assert page.evaluate("document.querySelector('.amanat-hp').getBoundingClientRect().width") <= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    form.locator("select[name=category]").select_option(label="خرید و فروش رأی")
    form.locator("select[name=county]").select_option(label=small_geo.gharchak.name)
    form.locator("textarea[name=text]").fill(TEXT)
    form.locator("button[type=submit]").click()

    reference = page.locator("[data-testid=reference]").inner_text().strip()
    report = Report.objects.get(reference=reference)
    assert report.channel == Channel.PUBLIC and report.submitted_by is None
    assert report.unit == small_geo.gharchak and "پول" in report.text

    page.goto(f"{page.base_url}/report/status/")
    page.fill("[data-testid=status-form] input[name=reference]", reference.lower())
    page.locator("[data-testid=status-form] button[type=submit]").click()
    status = page.locator("[data-testid=status]")
    expect(status).to_be_visible()
    assert page.locator("[data-testid=status-missing]").count() == 0


def test_case_map_draws_the_governors_cases_offline(
    browser_page: Any, small_geo: Any, personas: Any, settings: Any
) -> None:
    settings.AMANAT_TILE_URL = ""  # offline: the plain background
    seed_categories()
    from amanat.incidents.models import Category

    governor = personas.gharchak_governor
    for unit in (small_geo.gharchak_city, small_geo.kerman_city):
        report = services.report_receive(
            channel="web", category=Category.objects.get(code="vote_buying"), text="آزمایش",
            unit=unit, actor=personas.admin,
        ).report
        services.case_open_from_report(report=report, actor=personas.admin)
    page = sign_in_page(browser_page, governor)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{page.base_url}/incidents/map/")
    page.wait_for_selector("[data-testid=case-map][data-ready=true]")
    element = page.locator("[data-testid=case-map]")
    assert element.get_attribute("data-total") == "1"  # Gharchak's case, not Kerman's
    assert element.get_attribute("data-error") is None
    assert errors == []
