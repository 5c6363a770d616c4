"""Fixtures of the portal tests: the incidents world (small geography, personas, an
election with a station in Gharchak and one in a Kerman village) with the station list
published (its ``stations_final`` milestone passed)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from amanat.elections.models import Milestone, MilestoneCode, PhaseKind
from amanat.incidents.tests.conftest import World, client_for, public_form, world
from amanat.stations.models import Station


def publish(world: World, *, days_ago: int = 1) -> Milestone:
    return Milestone.objects.create(
        election=world.election, code=MilestoneCode.STATIONS_FINAL, name="stations final",
        due=timezone.localdate() - datetime.timedelta(days=days_ago), phase=PhaseKind.BEFORE)


@pytest.fixture
def published(world: World) -> World:
    """The world with its station list final, its stations placed and addressed, and a
    closed station that must never be published."""
    publish(world)
    Station.objects.filter(pk=world.kerman_station.pk).update(
        latitude=30.19, longitude=56.81, address="خیابان اصلی، روبروی مسجد", accessible=True,
        sensitive=True, sensitivity_reason="گزارش‌های پیشین")
    Station.objects.filter(pk=world.gharchak_station.pk).update(
        latitude=35.43, longitude=51.57, address="خیابان امام")
    Station.objects.create(
        election=world.election, county=world.geo.gharchak, unit=world.geo.gharchak_city,
        unit_path=world.geo.gharchak_city.path, code="0099", name="شعبه بسته",
        status="closed")
    return world


__all__ = ["World", "client_for", "public_form", "publish", "published", "world"]
