"""ckrules, attack F17 on PostgreSQL: a web or SMS check-in moves the station's day with
the row locked and only its own columns written, so another path's write (the field
API's upsert) made meanwhile is not lost."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.db.models import F

from amanat.operations import services
from amanat.operations.models import StationDay
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need a server"),
]


def _api_meanwhile(station_id: int, done: threading.Event) -> None:
    """What the field API's upsert does to the row: one more open flag."""
    from django.db import connection as own

    try:
        StationDay.objects.filter(station_id=station_id).update(flagged=F("flagged") + 1)
        done.set()
    finally:
        own.close()


def test_a_web_check_in_does_not_overwrite_a_field_write_made_meanwhile(day: Day) -> None:
    station = day.gharchak_station
    moved = services._day_move
    writer: list[threading.Thread] = []
    done = threading.Event()

    def move_with_a_writer_in_between(*args: Any, **kwargs: Any) -> None:
        # Between the web path's read of the row and its write, another request writes.
        thread = threading.Thread(target=_api_meanwhile, args=(station.pk, done))
        thread.start()
        writer.append(thread)
        thread.join(timeout=1)  # it waits for the row's lock (it would not without one)
        moved(*args, **kwargs)

    window = services.window_for(day.election, "T1", at("10:00"))
    with mock.patch.object(services, "_day_move", move_with_a_writer_in_between):
        services.checkin_record(station=station, window=window, values=Values(voters=900),
                                source="web", at=at("10:00"))
    writer[0].join(timeout=30)
    assert done.is_set()
    row = StationDay.objects.get(station=station)
    # The web check-in's flag (900 of 800 registered) and the other write's: both count.
    assert row.flagged == 2
    assert row.last_heard_at == at("10:00")
