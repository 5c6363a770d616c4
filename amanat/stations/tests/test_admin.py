"""Hand edits (admin, forms): the same rules via clean(), derived fields, one audit event."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from amanat.audit.models import Event
from amanat.stations.models import Station
from amanat.stations.services import station_save


def test_clean_uses_the_shared_rules(geo: Any, election: Any) -> None:
    station = Station(election=election, code="77", county=geo.kerman, name="مدرسه",
                      kind="mobile", cctv="live", cameras=0)
    with pytest.raises(ValidationError) as info:
        station.full_clean()
    assert {"route", "cameras"} <= set(info.value.message_dict)


def test_station_save_fills_derived_fields_and_audits(geo: Any, election: Any,
                                                      admin_user: Any) -> None:
    station = Station(election=election, code="77", county=geo.kerman, unit=geo.village,
                      name="مدرسه", latitude=30.2, longitude=56.8)
    station_save(station=station, actor=admin_user)
    station.refresh_from_db()
    assert station.unit_path == geo.village.path and len(station.h3_cell) == 15
    event = Event.objects.get(action="station.create")
    assert (event.object_id, event.actor_id) == (str(station.pk), admin_user.pk)
    station.unit = None
    station_save(station=station, actor=admin_user)
    assert Station.objects.get(pk=station.pk).unit_path == geo.kerman.path
    assert Event.objects.filter(action="station.update").count() == 1
