"""The national list of gaps by tier: the measures each county's atlas tier requires that
are missing, not done or short in the registry, worst first, scoped (a county sees only
its own; another county is 404), in a constant number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amanat.atlas import recompute
from amanat.atlas import services as atlas
from amanat.atlas.demo import seed_required_measures
from amanat.plans import services
from amanat.plans.models import Measure
from amanat.plans.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db
URL = reverse("plans:gaps")


@pytest.fixture
def tiered(world: World) -> World:
    seed_required_measures()
    # Gharchak tier 1 (the national floor), Kerman tier 2; Rafsanjan by its data (tier 4).
    atlas.national_tier_set(election=world.election, county=world.geo.gharchak, tier=1,
                            actor=None)
    atlas.national_tier_set(election=world.election, county=world.geo.kerman_county, tier=2,
                            actor=None)
    recompute.atlas_recompute(election=world.election)
    return world


def _rows(html: str) -> list[str]:
    return [chunk.split("</tr>")[0] for chunk in html.split('data-testid="gap-row"')[1:]]


def test_worst_first_with_the_state_of_each_requirement(tiered: World) -> None:
    world = tiered
    admin = client_for(world.personas.admin)
    html = admin.get(URL).content.decode()
    rows = _rows(html)
    # Tier 1 first, then tier 2, then tier 4.
    assert [f'data-county="{u.pk}"' in r for r, u in zip(rows, (
        world.geo.gharchak, world.geo.kerman_county, world.geo.rafsanjan), strict=True)] \
        == [True, True, True]
    # Nothing taken on yet: every requirement of Gharchak's tier is "not taken on".
    assert 'data-state="missing"' in rows[0] and 'data-state="open"' not in rows[0]
    # Taken on as plans measures (one concept): "not done", then done.
    created = services.measures_from_tier(election=world.election, county=world.geo.gharchak,
                                          actor=None)
    html = admin.get(URL).content.decode()
    gharchak = _rows(html)[0]
    assert gharchak.count('data-state="open"') == len(created)
    manual = next(m for m in created if not m.required_measure.check_code)
    services.measure_report(measure=manual, status="done", evidence="صورت‌جلسه", actor=None)
    gharchak = _rows(admin.get(URL).content.decode())[0]
    assert gharchak.count('data-state="open"') == len(created) - 1
    # A closed measure whose registry check still fails stays a gap ("registry").
    checked = next(m for m in created if m.required_measure.check_code == "power_backup_all")
    services.measure_report(measure=checked, status="done", evidence="گزارش", actor=None)
    gharchak = _rows(admin.get(URL).content.decode())[0]
    assert 'data-state="registry"' in gharchak
    assert Measure.objects.filter(unit=world.geo.gharchak).count() == len(created)
    # The tier filter and the summary by tier.
    tier2 = _rows(admin.get(URL, {"tier": "2"}).content.decode())
    assert len(tier2) == 1 and f'data-county="{world.geo.kerman_county.pk}"' in tier2[0]
    assert 'data-testid="tier-summary" data-tier="1"' in html


def test_a_county_sees_only_its_own_gaps(tiered: World) -> None:
    world = tiered
    governor = client_for(world.personas.gharchak_governor)
    rows = _rows(governor.get(URL).content.decode())
    assert len(rows) == 1 and f'data-county="{world.geo.gharchak.pk}"' in rows[0]
    assert governor.get(URL, {"county": world.geo.kerman_county.pk}).status_code == 404
    assert governor.get(URL, {"province": world.geo.kerman_province.pk}).status_code == 404
    assert governor.get(URL, {"county": world.geo.gharchak.pk}).status_code == 200


def test_constant_queries(tiered: World, django_assert_max_num_queries: Any) -> None:
    admin = client_for(tiered.personas.admin)
    with CaptureQueriesContext(connection) as few:
        admin.get(URL)
    services.measures_from_tier(election=tiered.election, county=tiered.geo.kerman_county,
                                actor=None)
    with django_assert_max_num_queries(len(few)):
        assert admin.get(URL).status_code == 200
