"""Numbered lists count in Persian digits on Persian pages (user review 2026-12: the home
page's next-meeting agenda and a meeting's agenda were numbered «1. 2. 3.»)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from amanat.accounts.testing import sign_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKERS = """() => {
  const items = [...document.querySelectorAll("main ol:not(.breadcrumb) > li")];
  return items.map(li => li.closest(".list-group-numbered")
    ? getComputedStyle(li, "::before").content : getComputedStyle(li).listStyleType);
}"""


def test_numbered_lists_count_in_persian(browser_page: Any, office: Any) -> None:
    page = sign_in_page(browser_page, office.personas.gharchak_governor)
    for path in ("/", reverse("councils:meeting", args=[office.meeting.pk])):
        page.goto(page.base_url + path)
        markers = page.evaluate(MARKERS)
        assert markers, path
        assert all("persian" in marker for marker in markers), (path, markers)
