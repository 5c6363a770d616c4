"""The silent-station watch through ``amanat operations-watch``: the quiet period at its
edges, stations never heard from, escalation to the province, officials told, no
duplicate alerts, a station heard from again, quality alerts, and a query count that
does not grow with the number of stations."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amanat.accounts.models import Membership, Profile, Role
from amanat.audit.models import Event
from amanat.core.models import OutboundMessage
from amanat.operations import services
from amanat.operations.models import (
    Alert,
    AlertNote,
    AlertState,
    StationDay,
)
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at
from amanat.stations.tests.conftest import make_station

pytestmark = pytest.mark.django_db


def run(day: Day, clock: str) -> str:
    out = StringIO()
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at(clock).isoformat(), stdout=out)
    return out.getvalue()


def silent_alerts(day: Day) -> list[Alert]:
    return list(Alert.objects.filter(election=day.election, kind="silent").order_by("pk"))


def checkin(day: Day, station: Any, code: str, clock: str, values: Values) -> Any:
    window = services.window_for(day.election, code, at(clock))
    return services.checkin_record(station=station, window=window, values=values,
                                   source="web", at=at(clock))


OPENING = Values(staff={"representative": 1, "member": 4, "inspector": 1}, cameras=True,
                 network=True, materials=True)


def official(username: str, unit: Any, role: str = Role.GOVERNOR, *,
             mobile: str = "", email: str = "") -> User:
    user = User.objects.create_user(username, email=email)
    Membership.objects.create(user=user, role=role, unit=unit)
    if mobile:
        Profile.objects.create(user=user, mobile=mobile)
    return user


def test_never_heard_stations_are_silent_exactly_at_the_quiet_period(day: Day) -> None:
    # The opening window opens at 06:30; silent after 60 minutes.
    run(day, "07:29")
    assert silent_alerts(day) == []
    out = run(day, "07:30")
    assert "silent: 2" in out
    alerts = silent_alerts(day)
    assert {a.station_id for a in alerts} == {day.gharchak_station.pk, day.kerman_station.pk}
    assert all(a.level == "county" and a.state == "open" for a in alerts)
    assert set(StationDay.objects.values_list("silent_since", flat=True)) == {at("06:30")}
    # A second run makes no second alert.
    assert "silent: 0" in run(day, "07:31")
    assert len(silent_alerts(day)) == 2
    assert Event.objects.filter(action="operations.watch.run").count() == 1


def test_a_station_is_silent_a_quiet_period_after_its_last_checkin(day: Day) -> None:
    checkin(day, day.gharchak_station, "O", "07:05", OPENING)
    run(day, "07:30")
    assert [a.station_id for a in silent_alerts(day)] == [day.kerman_station.pk]
    run(day, "08:04")
    assert len(silent_alerts(day)) == 1
    run(day, "08:05")
    assert len(silent_alerts(day)) == 2
    assert StationDay.objects.get(station=day.gharchak_station).silent_since == at("07:05")


def test_a_closed_station_is_never_silent(day: Day) -> None:
    checkin(day, day.gharchak_station, "C", "18:30", Values(total=300))
    run(day, "21:00")
    assert [a.station_id for a in silent_alerts(day)] == [day.kerman_station.pk]


def test_nothing_is_silent_before_the_opening_nor_without_windows(day: Day) -> None:
    run(day, "06:00")
    assert silent_alerts(day) == []


def test_unacknowledged_alerts_go_to_the_province_and_officials_are_told(
        day: Day, small_geo: Any) -> None:
    official("kerman_gov", small_geo.kerman_county, mobile="09120000001",
             email="gov@kerman.example")
    official("kerman_province_gov", small_geo.kerman_province, mobile="09120000002")
    official("kerman_observer", small_geo.kerman_county, role=Role.OBSERVER,
             mobile="09120000003")
    checkin(day, day.gharchak_station, "O", "07:05", OPENING)
    run(day, "07:30")
    (alert,) = silent_alerts(day)
    county_messages = OutboundMessage.objects.filter(purpose="operations.alert")
    assert sorted(county_messages.values_list("to", flat=True)) == [
        "09120000001", "gov@kerman.example"]
    assert "۰۰۰۷" in county_messages.get(to="09120000001").text
    # Escalated exactly 30 minutes after it was raised, not before.
    run(day, "07:59")
    alert.refresh_from_db()
    assert alert.level == "county"
    out = run(day, "08:00")
    assert "escalated: 1" in out
    alert.refresh_from_db()
    assert alert.level == "province" and alert.escalated_at == at("08:00")
    assert OutboundMessage.objects.filter(to="09120000002").count() == 1
    assert not OutboundMessage.objects.filter(to="09120000003").exists()
    run(day, "08:30")
    assert OutboundMessage.objects.filter(purpose="operations.alert").count() == 3


def test_an_acknowledged_alert_is_not_escalated(day: Day) -> None:
    run(day, "07:30")
    for alert in silent_alerts(day):
        services.alert_acknowledge(alert=alert, actor=None)  # type: ignore[arg-type]
    run(day, "09:00")
    assert {a.level for a in silent_alerts(day)} == {"county"}


def test_a_station_heard_again_gets_one_note_and_a_closed_alert_is_not_raised_again(
        day: Day) -> None:
    run(day, "07:30")
    checkin(day, day.kerman_station, "O", "07:40", OPENING)
    assert StationDay.objects.get(station=day.kerman_station).silent_since is None
    run(day, "07:41")
    run(day, "07:42")
    kerman = Alert.objects.get(station=day.kerman_station)
    notes = list(AlertNote.objects.filter(alert=kerman))
    assert len(notes) == 1 and notes[0].author is None and "۰۷:۴۰" in notes[0].text
    # Gharchak stays silent; a person closes its alert: not raised again for the same
    # silence.
    gharchak = Alert.objects.get(station=day.gharchak_station)
    services.alert_close(alert=gharchak, actor=None, note="called them")  # type: ignore[arg-type]
    run(day, "08:00")
    assert Alert.objects.filter(station=day.gharchak_station).count() == 1
    # Heard from again: not escalated, though nobody acknowledged it.
    kerman.refresh_from_db()
    assert (kerman.level, kerman.state) == ("county", "open")
    # Heard again, then silent again: a new alert.
    checkin(day, day.gharchak_station, "T1", "10:00", Values(voters=50))
    run(day, "11:00")
    assert list(Alert.objects.filter(station=day.gharchak_station).values_list(
        "state", flat=True).order_by("pk")) == [AlertState.CLOSED, AlertState.OPEN]


def test_flagged_checkins_raise_one_quality_alert_each(day: Day) -> None:
    checkin(day, day.gharchak_station, "O", "07:00", OPENING)
    checkin(day, day.gharchak_station, "T1", "10:00", Values(voters=900))  # above 800
    run(day, "10:01")
    run(day, "10:02")
    (alert,) = Alert.objects.filter(kind="quality")
    assert alert.flag is not None and alert.flag.checkin.voters == 900
    assert alert.station_id == day.gharchak_station.pk


def test_the_command_refuses_now_with_loop_and_a_bad_time(day: Day) -> None:
    with pytest.raises(CommandError):
        call_command("operations_watch", "--now", "2026-06-12T08:00", "--loop", "60")
    with pytest.raises(CommandError):
        call_command("operations_watch", "--now", "tomorrow")


def _queries(day: Day, clock: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        run(day, clock)
    return len(captured)


def test_the_query_count_does_not_grow_with_the_stations(day: Day, small_geo: Any) -> None:
    official("kerman_gov", small_geo.kerman_county, mobile="09120000001")
    run(day, "06:00")  # the day's settings are made on the first run
    first = _queries(day, "07:30") + _queries(day, "08:00")
    Alert.objects.all().delete()
    StationDay.objects.all().delete()
    for n in range(40):
        make_station(day.election, small_geo.kerman_county, f"9{n:03}",
                     unit=small_geo.kerman_city, expected_voters=500)
    run(day, "06:00")  # the day rows of the new stations (one bulk insert)
    second = _queries(day, "07:30") + _queries(day, "08:00")
    assert second == first
    assert Alert.objects.filter(kind="silent").count() == 42


def test_the_watch_task_runs(day: Day) -> None:
    from amanat.operations.tasks import operations_watch

    assert operations_watch.call(day.election.pk) == 0  # the real now: long after the day
    assert operations_watch.call(0) == 0


def test_iso_times_without_zone_are_local(day: Day) -> None:
    out = StringIO()
    local = datetime.datetime.combine(day.election.election_day, datetime.time(7, 30))
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 local.isoformat(), stdout=out)
    assert "silent: 2" in out.getvalue()
