"""The public training pages on a phone, in headless Chromium: no sideways scroll and no
serious or critical axe-core violation, in Persian and English (as the portal's pages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from amanat.training import services
from amanat.training.tests.conftest import World, nid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _serious(page: Any) -> list[dict[str, Any]]:
    source = (Path(django_settings.NODE_MODULES) / "axe-core" / "axe.min.js").read_text()
    page.evaluate(source + "\n;0")
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
             const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
             return result.violations
               .filter(v => v.impact === "serious" || v.impact === "critical")
               .map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
           }""", AXE_TAGS)
    return found


@pytest.mark.parametrize("language", ["fa", "en"])
def test_public_training_pages_fit_a_phone_and_pass_axe(
        _browser: Any, live_server: Any, wipe_audit_log: None, world: World,
        language: str) -> None:
    services.record_completions(actor=None, course=world.inspector_course,
                                people=[(nid(1), "مریم کریمی")])
    code = world.inspector_course.completions.get().code
    pages = ["/awareness/", "/training/public/", f"/training/public/{world.voters_course.pk}/",
             "/training/verify/", f"/training/verify/?code={code}",
             "/training/verify/?code=AAAA"]
    context = _browser.new_context(locale="fa-IR", viewport={"width": 390, "height": 844},
                                   has_touch=True)
    context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language,
                          "url": live_server.url}])
    page = context.new_page()
    problems: dict[str, Any] = {}
    try:
        for width in (360, 390):
            page.set_viewport_size({"width": width, "height": 844})
            for url in pages:
                page.goto(live_server.url + url)
                scroll = int(page.evaluate("document.documentElement.scrollWidth"))
                if scroll > width:
                    problems[f"{url} @ {width}px"] = f"scrollWidth {scroll}"
                if width == 390 and (violations := _serious(page)):
                    problems[url] = violations
    finally:
        context.close()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_ltr_cells_sit_under_their_header_in_a_persian_table(
        browser_page: Any, world: World) -> None:
    """A session's attendance sheet: the national IDs (a dir="ltr" cell) hugged the left
    edge of their column and read as the empty mobile column next to it."""

    from amanat.accounts.testing import sign_in_page

    services.enrol(actor=None, course=world.inspector_course, session=world.gharchak_session,
                   national_id=nid(1), full_name="مریم کریمی")
    page = sign_in_page(browser_page, world.personas.gharchak_governor)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(page.base_url + f"/training/sessions/{world.gharchak_session.pk}/")
    cell = page.locator('[data-testid="nid"]').first
    header_right = page.evaluate(
        """(td) => { const th = td.closest('table').querySelectorAll('thead th')[td.cellIndex];
                     return th.getBoundingClientRect().right; }""", cell.element_handle())
    text_right = page.evaluate(
        """(td) => { const r = document.createRange(); r.selectNodeContents(td);
                     return r.getBoundingClientRect().right; }""", cell.element_handle())
    assert abs(header_right - text_right) < 20, (header_right, text_right)
