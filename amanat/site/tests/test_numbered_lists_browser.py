"""Numbered lists count in Persian digits on Persian pages (user review 2026-12: the home
page's next-meeting agenda and a meeting's agenda were numbered «1. 2. 3.»)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKERS = """() => {
  const items = [...document.querySelectorAll("main ol:not(.breadcrumb) > li")];
  return items.map(li => li.closest(".list-group-numbered")
    ? getComputedStyle(li, "::before").content : getComputedStyle(li).listStyleType);
}"""


def test_numbered_lists_count_in_persian(browser_page: Any, office: Any) -> None:
    client = sign_in(Client(), office.personas.gharchak_governor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page = browser_page
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value,
                               "url": page.base_url}])
    for path in ("/", reverse("councils:meeting", args=[office.meeting.pk])):
        page.goto(page.base_url + path)
        markers = page.evaluate(MARKERS)
        assert markers, path
        assert all("persian" in marker for marker in markers), (path, markers)
