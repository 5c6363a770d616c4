"""The compliance dashboard: its county table is built in one pass (not one template loop
per row), with the same content; its query count does not grow with the counties."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from amanat.geo.models import AdminUnit, Kind
from amanat.plans import services
from amanat.plans.models import Directive, DirectiveStatus, Localisation, Measure, MeasureStatus
from amanat.plans.tests.conftest import World, client_for
from conftest import make_unit

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _directive(world: World) -> Directive:
    directive = services.directive_create(
        election=world.election, code="d", title="دستورالعمل", text="متن", actor=None,
        localise_by=TODAY + datetime.timedelta(days=5),
        measures=[services.MeasureSpec(title=f"اقدام {k}", phase="before",
                                       owner=world.agency("police"),
                                       due_on=TODAY + datetime.timedelta(days=k - 1))
                  for k in range(3)])
    return services.directive_issue(directive=directive, actor=None)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_the_counties(world: World) -> None:
    directive = _directive(world)
    services.localisation_start(directive=directive, unit=world.geo.gharchak, actor=None)
    admin = client_for(world.personas.admin)
    url = reverse("plans:dashboard")
    few = _queries(admin, url)
    # Twenty more counties, every one localised with its measures, some done.
    for n in range(20):
        county = make_unit("county", f"99{n:02d}", f"شهرستان {n}", world.geo.kerman_province,
                           lat=30.0 + n / 10, lon=57.0)
        services.localisation_start(directive=directive, unit=county, actor=None)
    Measure.objects.filter(localisation__directive=directive, unit__code__endswith="1"
                           ).update(status=MeasureStatus.DONE, evidence="گزارش")
    many = _queries(admin, url)
    assert many == few <= 12
    page = admin.get(url)
    assert page.content.count(b'data-testid="compliance-row"') == AdminUnit.objects.filter(
        kind=Kind.COUNTY).count() == 23


def test_county_rows_show_state_numbers_and_links_in_persian(world: World) -> None:
    directive = _directive(world)
    loc = services.localisation_start(directive=directive, unit=world.geo.gharchak, actor=None)
    first = Measure.objects.filter(localisation=loc).order_by("-due_on").first()
    assert first is not None
    Measure.objects.filter(pk=first.pk).update(status=MeasureStatus.DONE, evidence="گزارش")
    # A county name with markup is shown as text.
    AdminUnit.objects.filter(pk=world.geo.rafsanjan.pk).update(name="رفسنجان <b>")
    html = client_for(world.personas.admin).get(reverse("plans:dashboard")).content.decode()
    rows = [chunk.split("</tr>")[0] for chunk in html.split('data-testid="compliance-row"')[1:]]
    assert len(rows) == 3
    # Worst first: the two counties not localised, then Gharchak.
    assert [('data-state="missing"' in r) for r in rows] == [True, True, False]
    gharchak = next(r for r in rows if "قرچک" in r)
    assert 'data-state="draft"' in gharchak
    assert f'href="{reverse("plans:county", args=[world.geo.gharchak.pk])}"' in gharchak
    assert f'href="{reverse("plans:localisation", args=[loc.pk])}"' in gharchak
    assert "۱ / ۳" in gharchak and "۳۳٪" in gharchak
    # One measure was due yesterday and is open: overdue.
    assert '<span class="text-danger">۱</span>' in gharchak
    assert rows[-1] == gharchak
    rafsanjan = next(r for r in rows if "رفسنجان" in r)
    assert 'data-state="missing"' in rafsanjan and "&lt;b&gt;" in rafsanjan
    assert "<b>" not in rafsanjan
    assert Localisation.objects.count() == 1
    assert Directive.objects.get().status == DirectiveStatus.ISSUED
