"""ckrules, user review F8, in headless Chromium at desktop and phone width: a group of
checkboxes (the quality rule's kinds; drawn by the shared form rendering) sits above the
next field without overlapping it, and clicking a box ticks it."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import expect

from amanat.accounts.testing import sign_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_kind_checkboxes_tick_and_do_not_overlap(browser_page: Any, personas: Any,
                                                     width: int) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_page(page, personas.admin)
    page.goto(f"{page.base_url}/operations/rules/new/")
    boxes = page.locator("[data-testid=check-group-kinds] input[type=checkbox]")
    expect(boxes).to_have_count(4)
    for index in range(4):
        box = boxes.nth(index)
        box.click()
        expect(box).to_be_checked()
    boxes.nth(0).click()
    expect(boxes.nth(0)).not_to_be_checked()
    # The label ticks its box too.
    page.locator("[data-testid=check-group-kinds] label").nth(0).click()
    expect(boxes.nth(0)).to_be_checked()
    group = page.locator("[data-testid=check-group-kinds]").bounding_box()
    expression = page.locator("label[for=id_expression]").bounding_box()
    assert group and expression and group["y"] + group["height"] <= expression["y"]
    for index in range(3):
        upper, lower = boxes.nth(index).bounding_box(), boxes.nth(index + 1).bounding_box()
        assert upper and lower and upper["y"] + upper["height"] <= lower["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    shots = os.environ.get("AMANAT_SHOTS")
    if shots:
        page.screenshot(path=f"{shots}/rule_new_{width}.png", full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_verifying_a_flag_takes_a_note_and_a_confirmation(
        browser_page: Any, personas: Any, day: Any, width: int) -> None:
    """User F15 in the browser: the verify button alone publishes nothing; with the
    note and the confirmation ticked it does.  The values read are named in words."""
    from amanat.operations import services
    from amanat.operations.models import Checkin, Flag
    from amanat.operations.services import Values
    from amanat.operations.tests.conftest import at

    window = services.window_for(day.election, "T1", at("10:00"))
    checkin = services.checkin_record(station=day.gharchak_station, window=window,
                                      values=Values(voters=900), source="web",
                                      at=at("10:00")).checkin
    flag = Flag.objects.get(checkin=checkin)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_page(page, personas.gharchak_governor)
    page.goto(f"{page.base_url}/operations/flags/{flag.pk}/")
    expect(page.locator("[data-testid=flag-values]")).to_contain_text("۸۰۰")
    expect(page.locator("[data-testid=flag-values]")).not_to_contain_text("registered")
    page.locator("[data-testid=flag-verify]").click()
    checkin.refresh_from_db()
    assert checkin.state == "quarantined"
    page.locator("#id_note").first.fill("رئیس شعبه تلفنی تأیید کرد")
    page.locator("#id_confirm").click()
    expect(page.locator("#id_confirm")).to_be_checked()
    page.locator("[data-testid=flag-verify]").click()
    expect(page.locator("[data-testid=flag-state]")).to_contain_text("منتشر")
    assert Checkin.objects.get(pk=checkin.pk).state == "verified"
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    shots = os.environ.get("AMANAT_SHOTS")
    if shots:
        page.screenshot(path=f"{shots}/flag_{width}.png", full_page=True)
