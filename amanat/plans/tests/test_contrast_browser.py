"""The plans and atlas pages pass axe's colour contrast in headless Chromium (user review
2026-12): the gaps page did not load the tier colours (white «سطح ۲» on the page
background, 1.08:1), the tier 2 and 4 badges were 3.6 and 3.4:1, and Bootstrap's grey
outline buttons and red text 4.3 and 4.2:1 on the page colour."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from amanat.accounts.testing import sign_in_page
from amanat.atlas import recompute
from amanat.plans import services
from amanat.plans.tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _contrast(page: Any) -> list[str]:
    source = (Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js").read_text()
    page.evaluate(source + "\n;0")
    found: list[str] = page.evaluate(
        """async () => {
             const r = await axe.run(document, {runOnly: {type: "rule",
                                                          values: ["color-contrast"]}});
             return r.violations.flatMap(v => v.nodes.slice(0, 3).map(
               n => n.target.join(" ") + ": " + (n.any[0] ? n.any[0].message : "")));
           }""")
    return found


def test_tier_badges_buttons_and_red_text_are_readable(browser_page: Any, world: World) -> None:
    recompute.atlas_recompute(election=world.election)
    services.measure_create(
        election=world.election, unit=world.geo.gharchak, title="گشت شعب حساس",
        phase="before", owner=world.agency("police"),
        due_on=timezone.localdate() - datetime.timedelta(days=2), actor=world.personas.admin)
    page = sign_in_page(browser_page, world.personas.admin)
    gharchak = world.geo.gharchak.pk
    problems = {}
    for path in ("/plans/gaps/", "/plans/work/?overdue=1", f"/plans/county/{gharchak}/",
                 f"/atlas/county/{gharchak}/", "/atlas/"):
        response = page.goto(page.base_url + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        if found := _contrast(page):
            problems[path] = found
    assert problems == {}


LABEL_ON_A_CIRCLE = """() => {
  const map = document.querySelector("#compliance-map");
  const marks = Array.from(map.querySelectorAll("path.leaflet-interactive"))
    .map(e => e.getBoundingClientRect());
  const names = Array.from(map.querySelectorAll(".amanat-county-label > span"))
    .filter(e => e.getBoundingClientRect().width > 0);
  const hidden = names.filter(e => {
    const l = e.getBoundingClientRect();
    return marks.some(m => {
      const x = m.x + m.width / 2, y = m.y + m.height / 2;
      return x > l.left && x < l.right && y > l.top && y < l.bottom;
    });
  }).map(e => e.textContent);
  return [names.length, marks.length, hidden];
}"""


def test_county_names_are_not_under_the_compliance_circles(browser_page: Any,
                                                           world: World) -> None:
    """User review 2026-12: the compliance map drew each county's circle on the middle of
    its name («ق●ک» for قرچک)."""
    directive = services.directive_create(
        election=world.election, code="d", title="دستورالعمل", text="متن", actor=None,
        localise_by=timezone.localdate() + datetime.timedelta(days=5),
        measures=[services.MeasureSpec(title="گشت", phase="before",
                                       owner=world.agency("police"),
                                       due_on=timezone.localdate())])
    services.directive_issue(directive=directive, actor=None)
    page = sign_in_page(browser_page, world.personas.admin)
    # One province: the map zooms in far enough to write the counties' names.
    page.goto(page.base_url + f"/plans/?province={world.geo.tehran.pk}")
    page.wait_for_selector("#compliance-map[data-ready=true]")
    page.locator("#compliance-map .amanat-county-label").first.wait_for(state="attached")
    names, marks, hidden = page.evaluate(LABEL_ON_A_CIRCLE)
    assert names and marks
    assert hidden == []
