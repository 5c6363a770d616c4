"""Two recomputes of one province at once (PostgreSQL): the task workers of two app
servers, each after a station of the same province changed.  Found by the user review
of the national layout: the second one's insert met the rows the first had just
inserted (a unique violation, a failed task, a stale atlas)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from amanat.atlas import compute, recompute
from amanat.atlas.models import StationScore, UnitScore
from amanat.atlas.tests.conftest import AtlasWorld

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite's writers already take turns (one write transaction)")
def test_two_recomputes_of_one_province_at_once_both_succeed(atlas_world: AtlasWorld) -> None:
    world = atlas_world
    recompute.atlas_recompute(election=world.election)
    tehran = world.geo.tehran
    wrote, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                compute.recompute_province(world.election, tehran, station_ids={world.s1.pk},
                                           county_ids={world.geo.gharchak.pk})
                wrote.set()
                release.wait(30)  # the transaction stays open while the second starts
        except BaseException as exc:
            errors.append(exc)
            wrote.set()
        finally:
            connections.close_all()

    def second() -> None:
        try:
            compute.recompute_province(world.election, tehran, station_ids={world.s2.pk},
                                       county_ids={world.geo.gharchak.pk})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert wrote.wait(30)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.5)  # let the second reach the rows the first holds
    release.set()
    one.join(30)
    two.join(30)
    assert errors == []
    assert UnitScore.objects.filter(election=world.election, unit=world.geo.gharchak).count() == 1
    assert UnitScore.objects.filter(election=world.election, unit=tehran).count() == 1
    assert StationScore.objects.filter(election=world.election,
                                       station__in=[world.s1, world.s2]).count() == 2
