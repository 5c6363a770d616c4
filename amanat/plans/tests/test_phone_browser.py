"""The plans pages and the user guide fit a phone (390 px) in Persian (user review
2026-12: the measure tables made the county and work pages 559-568 px wide, the alerts
398 px, and the guide's screenshots 1212 px)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from amanat.accounts.testing import sign_in_page
from amanat.plans import services
from amanat.plans.tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plans_pages_and_the_guide_fit_a_phone(browser_page: Any, world: World) -> None:
    for days, title in ((-3, "گشت انتظامی شعب حساس در روز رأی‌گیری"), (5, "بازدید از انبار")):
        services.measure_create(
            election=world.election, unit=world.geo.gharchak, title=title, phase="before",
            owner=world.agency("police"),
            due_on=timezone.localdate() + datetime.timedelta(days=days),
            actor=world.personas.admin)
    page = sign_in_page(browser_page, world.personas.gharchak_governor)
    page.set_viewport_size({"width": 390, "height": 844})
    gharchak = world.geo.gharchak.pk
    too_wide = {}
    for path in ("/plans/work/", f"/plans/county/{gharchak}/", "/plans/alerts/",
                 "/plans/threats/", "/plans/scenarios/", "/guide/", "/guide/governor/"):
        response = page.goto(page.base_url + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        scroll, inner = page.evaluate(
            "[document.scrollingElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            too_wide[path] = scroll
    assert too_wide == {}
