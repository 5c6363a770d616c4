"""Empty atlas pages say what to do: one snapshot to compare, no provinces in reach."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.atlas import recompute
from amanat.atlas.models import Snapshot
from amanat.atlas.tests.conftest import AtlasWorld

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = sign_in(Client(), user)
    client.get("/")
    return client


def test_a_comparison_with_one_snapshot_explains_why(atlas_world: AtlasWorld, personas: Any):
    recompute.atlas_recompute(election=atlas_world.election)
    Snapshot.objects.create(election=atlas_world.election, taken_on=datetime.date(2026, 5, 1),
                            scores={str(atlas_world.geo.gharchak.pk): [40.0, 3]})
    html = _client(personas.admin).get(reverse("atlas:compare")).content.decode()
    assert 'data-testid="one-snapshot"' in html
    assert "amanat atlas-build" in html


def test_no_snapshot_at_all_says_how_to_take_one(atlas_world: AtlasWorld, personas: Any):
    html = _client(personas.admin).get(reverse("atlas:compare")).content.decode()
    assert 'data-testid="no-snapshots"' in html
    assert 'data-testid="one-snapshot"' not in html


def test_a_county_user_is_told_where_his_counties_are(atlas_world: AtlasWorld,
                                                      personas: Any):
    recompute.atlas_recompute(election=atlas_world.election)
    county = _client(personas.gharchak_governor).get(reverse("atlas:national"))
    html = county.content.decode()
    assert county.context["provinces"] == []
    assert 'data-testid="no-provinces"' in html
    assert "atlas-build" not in html.split('data-testid="no-provinces"')[1][:300]
    national = _client(personas.admin).get(reverse("atlas:national")).content.decode()
    assert 'data-testid="no-provinces"' not in national
