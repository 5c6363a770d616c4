"""No link leads nowhere: for each persona, headless Chromium opens the home page and
follows every link on every page the persona can open (same site, breadth first), and
fails on any link that answers 404 for that persona."""

from __future__ import annotations

from collections import deque
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from amanat.accounts.testing import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Paths not followed: leaving the session, the back office, the language switch.
SKIP_PREFIXES = ("/accounts/logout/", "/admin/", "/i18n/", "/static/", "/api/")
MAX_PAGES = 150
LINKS_JS = "els => els.map(e => e.getAttribute('href'))"


def _same_site(base: str, href: str | None) -> str | None:
    if not href or href.startswith(("mailto:", "tel:", "javascript:")):
        return None
    href = urldefrag(href)[0]
    if not href:
        return None
    parts = urlsplit(href)
    if parts.netloc and f"{parts.scheme}://{parts.netloc}" != base:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith(SKIP_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def crawl(page: Any) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Status of every reachable link, and which pages link to each."""
    base = page.base_url
    seen: dict[str, int] = {}
    linked_from: dict[str, list[str]] = {}
    queue: deque[str] = deque(["/"])
    linked_from["/"] = ["(start)"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        answer = page.request.get(base + url, max_redirects=5)
        seen[url] = answer.status
        kind = answer.headers.get("content-type", "")
        if answer.status != 200 or not kind.startswith("text/html"):
            continue
        page.goto(base + url)
        for href in page.eval_on_selector_all("a[href]", LINKS_JS):
            target = _same_site(base, href)
            if target is None:
                continue
            linked_from.setdefault(target, []).append(url)
            if target not in seen:
                queue.append(target)
    return seen, linked_from


@pytest.mark.parametrize("persona", ["admin", "tehran_officer", "gharchak_governor",
                                     "kerman_governor", "police", "inspector", "auditor",
                                     "outsider"])
def test_no_link_a_persona_can_see_leads_to_a_404(browser_page: Any, office: Any,
                                                  persona: str) -> None:
    client = sign_in(Client(), getattr(office.personas, persona))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    browser_page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": browser_page.base_url}])
    seen, linked_from = crawl(browser_page)
    assert seen["/"] == 200
    assert len(seen) > 5  # the crawl got beyond the home page
    broken = {url: linked_from.get(url, [])[:3] for url, status in seen.items()
              if status == 404}
    assert broken == {}, f"{persona}: links to 404 (url: linked from): {broken}"
