"""The user guide: one page per role, in Persian with an English version, in the app.

Pages are Markdown files in ``site/guide/<language>/<page>.md`` (written for people, so
they live beside the code rather than in templates).  Screenshots are taken by the
browser suite (``site/tests/test_guide_screenshots_browser.py``) into
``site/static/site/docs/`` so they never go stale; a page names one as
``STATIC/site/docs/<name>.png``.  Markdown is rendered with raw HTML disabled.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from markdown_it import MarkdownIt

from amanat.accounts.access import user_memberships
from amanat.accounts.models import Role
from amanat.core.templatetags.persian import persian_active

GUIDE_DIR = Path(__file__).resolve().parent / "guide"
LANGUAGES = ("fa", "en")
# Pages besides one per role: what everyone shares.
COMMON_PAGES = ("index",)
PAGES = (*COMMON_PAGES, *Role.values)


@functools.lru_cache(maxsize=64)
def page_html(page: str, language: str) -> SafeString:
    """The page rendered to HTML; ``Http404`` for an unknown page."""
    if page not in PAGES or language not in LANGUAGES:
        raise Http404("no such guide page")
    source = GUIDE_DIR / language / f"{page}.md"
    if not source.is_file():
        raise Http404("no such guide page")
    text = source.read_text(encoding="utf-8").replace("STATIC/", static(""))
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    # Our own files, rendered with raw HTML disabled: the output is safe to show.
    return mark_safe(renderer.render(text))  # noqa: S308


def screenshots(language: str) -> set[str]:
    """The screenshot names every page of ``language`` refers to."""
    names = set()
    for source in (GUIDE_DIR / language).glob("*.md"):
        for part in source.read_text(encoding="utf-8").split("STATIC/site/docs/")[1:]:
            names.add(part.split(")")[0])
    return names


@require_GET
def guide(request: HttpRequest, page: str = "index") -> HttpResponse:
    language = "fa" if persian_active() else "en"
    content = page_html(page, language)
    own = sorted({m.role for m in user_memberships(request.user)})
    roles = [(value, label, value in own) for value, label in Role.choices]
    return render(request, "site/guide.html", {
        "content": content, "page": page, "roles": roles, "own_roles": own,
    })
