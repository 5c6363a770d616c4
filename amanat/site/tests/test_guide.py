"""The in-app user guide: every role's page in both languages, reachable from every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.models import Role
from amanat.site import guide

pytestmark = pytest.mark.django_db
DOCS = Path(guide.__file__).resolve().parent / "static" / "site" / "docs"


@pytest.mark.parametrize("language", guide.LANGUAGES)
def test_every_role_has_a_page_in_both_languages(language: str) -> None:
    for page in guide.PAGES:
        html = guide.page_html(page, language)
        assert "<h1>" in html and "<script" not in html


def test_every_screenshot_a_page_shows_is_in_the_static_folder() -> None:
    names = guide.screenshots("fa") | guide.screenshots("en")
    assert names  # the guide shows the application
    missing = sorted(n for n in names if not (DOCS / n).is_file())
    assert missing == [], "run the browser suite: test_guide_screenshots_browser.py"


def test_the_guide_opens_in_the_users_language_and_marks_their_role(
    client: Client, personas: Any
) -> None:
    from amanat.accounts.testing import sign_in

    sign_in(client, personas.kerman_governor)
    page = client.get(reverse("site:guide_page", args=["governor"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "فرماندار" in text and "/static/site/docs/atlas-county.png" in text
    assert text.count("badge text-bg-success") == 1  # their own role
    # The help link is on every page.
    home = client.get(reverse("site:home")).content.decode()
    assert f'href="{reverse("site:guide")}"' in home and 'data-testid="nav-help"' in home


def test_an_unknown_page_is_not_found(client: Client, personas: Any) -> None:
    from amanat.accounts.testing import sign_in

    sign_in(client, personas.kerman_governor)
    assert client.get(reverse("site:guide_page", args=["nobody"])).status_code == 404
    assert client.get("/guide/../settings/").status_code == 404


def test_the_guide_needs_a_signed_in_user(client: Client) -> None:
    response = client.get(reverse("site:guide"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Role.GOVERNOR.value in guide.PAGES
