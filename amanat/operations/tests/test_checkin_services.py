"""Check-ins through the service: windows, values, quality flags and the station's day."""

from __future__ import annotations

from typing import Any

import pytest

from amanat.audit.models import Event
from amanat.core.errors import RuleError
from amanat.operations import services
from amanat.operations.models import Checkin, CheckinState, Flag, StationDay
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at

pytestmark = pytest.mark.django_db


def _record(day: Day, code: str, clock: str, values: Values, **kwargs: Any) -> Any:
    window = services.window_for(day.election, code, at(clock))
    return services.checkin_record(station=day.gharchak_station, window=window, values=values,
                                   source="web", at=at(clock), **kwargs)


def test_opening_then_turnout_moves_the_station_day(day: Day) -> None:
    _record(day, "O", "07:05", Values(staff={"representative": 1, "member": 4,
                                             "inspector": 1}, cameras=True, network=True))
    _record(day, "T1", "10:01", Values(voters=120))
    station_day = StationDay.objects.get(station=day.gharchak_station)
    assert station_day.opened_at == at("07:05") and station_day.last_heard_at == at("10:01")
    assert station_day.voters == 120 and station_day.flagged == 0
    assert Event.objects.filter(action="operations.checkin.receive").count() == 2


def test_a_window_outside_its_time_is_refused_and_nothing_is_stored(day: Day) -> None:
    with pytest.raises(RuleError) as refused:
        services.window_for(day.election, "T1", at("11:30"))
    assert refused.value.code == "window_closed"
    assert "10:00" in refused.value.render("en")
    assert Checkin.objects.count() == 0


def test_turnout_above_the_register_is_flagged_and_kept_out_of_the_published_figure(
        day: Day) -> None:
    _record(day, "T1", "10:01", Values(voters=100))
    received = _record(day, "T2", "14:00", Values(voters=900))
    assert received.checkin.state == CheckinState.QUARANTINED
    flag = Flag.objects.get()
    assert flag.rule.code == "turnout-above-registered"
    assert flag.values == {"registered": 800, "voters": 900}
    station_day = StationDay.objects.get(station=day.gharchak_station)
    assert station_day.voters == 100 and station_day.flagged == 1


def test_impossible_numbers_are_refused(day: Day) -> None:
    with pytest.raises(RuleError) as refused:
        _record(day, "T1", "10:01", Values(voters=10**9))
    assert refused.value.code == "out_of_range"
    assert Checkin.objects.count() == 0


def test_the_same_client_key_makes_one_record(day: Day) -> None:
    first = _record(day, "T1", "10:01", Values(voters=50), client_key="sms:abc")
    again = _record(day, "T1", "10:02", Values(voters=50), client_key="sms:abc")
    assert first.created and not again.created and again.checkin.pk == first.checkin.pk
    assert Checkin.objects.count() == 1
