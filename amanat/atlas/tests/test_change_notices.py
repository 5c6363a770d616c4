"""Stations and incidents sit below the atlas: they announce their changes (core.changes)
and the atlas rescores once the change commits (docs/decisions/0003-layers.md)."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.atlas import recompute
from amanat.atlas.models import StationScore
from amanat.atlas.tests.conftest import AtlasWorld
from amanat.audit.models import Event
from amanat.incidents import services as incidents
from amanat.incidents.models import Category, Channel
from amanat.incidents.tests.conftest import seed_categories
from amanat.stations.services import station_import, station_update
from amanat.stations.tests.test_import import csv_text

pytestmark = pytest.mark.django_db


def _value(world: AtlasWorld, station: Any) -> float:
    return StationScore.objects.get(election=world.election, station=station).value


def test_a_station_edit_rescores_the_station_on_commit(
    atlas_world: AtlasWorld, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    recompute.atlas_recompute(election=atlas_world.election)
    before = _value(atlas_world, atlas_world.s2)
    with django_capture_on_commit_callbacks(execute=True):
        station_update(station=atlas_world.s2, data={"cctv": "none"},
                       actor=personas.admin)
    assert _value(atlas_world, atlas_world.s2) > before


def test_an_import_rescores_the_election_on_commit(
    atlas_world: AtlasWorld, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    county = atlas_world.geo.gharchak.code
    path = tmp_path / "stations.csv"
    path.write_text(csv_text(["كد شعبه", "کد شهرستان", "نام"],
                             [["301", county, "مدرسه"], ["302", county, "مسجد"]]),
                    encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        report = station_import(election=atlas_world.election, file_path=path)
    assert report.created == 2, report.errors
    assert Event.objects.filter(action="atlas.recompute", actor_name="system:atlas").count() == 1
    assert StationScore.objects.filter(election=atlas_world.election).count() == (
        atlas_world.election.stations.count())


def test_a_case_at_a_station_rescores_it_on_commit(
    atlas_world: AtlasWorld, django_capture_on_commit_callbacks: Any
) -> None:
    seed_categories()
    recompute.atlas_recompute(election=atlas_world.election)
    before = _value(atlas_world, atlas_world.s2)
    with django_capture_on_commit_callbacks(execute=True):
        received = incidents.report_receive(
            channel=Channel.WEB, category=Category.objects.order_by("-severity").first(),
            text="خرید رأی کنار شعبه", station=atlas_world.s2, election=atlas_world.election)
        incidents.case_open_from_report(report=received.report, actor=None)
    score = StationScore.objects.get(election=atlas_world.election, station=atlas_world.s2)
    assert score.value > before
    assert "incidents" in {f["code"] for f in score.explanation["factors"]}
