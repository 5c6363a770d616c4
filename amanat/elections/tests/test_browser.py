"""A Jalali date typed with Persian digits, through the real page in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.accounts.testing import sign_in_page
from amanat.elections.demo import seed_example_election
from amanat.elections.models import MilestoneCode
from amanat.elections.tests.conftest import LOAD_DAY
from amanat.lib.jalali import from_jalali

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_page(browser_page: Any, personas: Any) -> Any:
    """The browser signed in as the ministry administrator, second factor passed."""
    sign_in_page(browser_page, personas.admin)
    return browser_page


def test_persian_digits_round_trip_and_a_bad_date_is_explained(admin_page: Any) -> None:
    page = admin_page
    election = seed_example_election(load_day=LOAD_DAY)
    fibre = election.milestones.get(code=MilestoneCode.FIBRE_STATUS_DUE)
    page.goto(f"{page.base_url}/elections/{election.slug}/")
    page.locator(f'[data-code="{fibre.code}"] a[href$="/edit/"]').click()

    page.fill("input[name=due]", "۱۴۰۳/۱۲/۳۱")  # 1403 is not a leap year: no 31 Esfand
    page.locator("[data-testid=milestone-form] button[type=submit]").click()
    error = page.locator("[data-testid=error-due]").inner_text()
    assert "۳۱" in error and "اسفند" in error
    fibre.refresh_from_db()
    assert fibre.due == from_jalali(1404, 11, 30)

    page.fill("input[name=due]", "۱۴۰۴/۱۱/۲۵")
    page.locator("[data-testid=milestone-form] button[type=submit]").click()
    page.wait_for_url(f"**/elections/{election.slug}/")
    assert "۱۴۰۴/۱۱/۲۵" in page.locator(f'[data-code="{fibre.code}"]').inner_text()
    fibre.refresh_from_db()
    assert fibre.due == from_jalali(1404, 11, 25)
