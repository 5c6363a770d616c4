"""``amanat operations-verify`` through the command: the election-day tables against the
audit log.  Rows changed with raw SQL (as someone with database rights would) are found
and named; a day of ordinary work (corrections, verifications, disputes, the
simulation's bulk writes) reports clean."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from amanat.operations import services
from amanat.operations.models import Checkin, DaySettings, Flag, StationDay
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at

pytestmark = pytest.mark.django_db


def verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("operations_verify", "--election", "test-day", *args, stdout=out,
                     stderr=io.StringIO())
    except SystemExit as stopped:
        return int(stopped.code or 0), out.getvalue()
    return 0, out.getvalue()


def verify_json(*args: str) -> tuple[int, dict[str, Any]]:
    status, output = verify("--json", *args)
    return status, json.loads(output)


def record(day: Day, code: str, clock: str, *, actor: Any = None, station: Any = None,
           **values: Any) -> Checkin:
    window = services.window_for(day.election, code, at(clock))
    return services.checkin_record(station=station or day.gharchak_station, window=window,
                                   values=Values(**values), source="web", actor=actor,
                                   at=at(clock)).checkin


def sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def worked(day: Day, personas: Any) -> dict[str, Checkin]:
    """A day with everything the services do: an opening, turnouts, a flagged figure
    corrected, a dispute between two reporters verified, an incident and a closing."""
    opening = record(day, "O", "07:05", staff={"representative": 1, "member": 4},
                     cameras=True, network=True)
    record(day, "O", "07:10", station=day.kerman_station, staff={"member": 3})
    t1 = record(day, "T1", "10:00", actor=personas.inspector, voters=200)
    record(day, "T1", "10:05", actor=personas.gharchak_governor, voters=120)  # disputes t1
    record(day, "T1", "10:02", station=day.kerman_station, voters=90)
    high = record(day, "T2", "14:00", voters=900)  # above the 800 registered: quarantined
    closing = record(day, "C", "21:00", station=day.kerman_station, total=120)
    t1.refresh_from_db()
    closing.refresh_from_db()
    assert t1.state == "quarantined" and high.state == "quarantined"
    assert closing.state == "accepted"
    services.flag_verify(flag=Flag.objects.filter(checkin=t1, state="open").first(),
                         actor=personas.tehran_officer, note="تلفنی تأیید شد")
    services.flag_correct(flag=Flag.objects.filter(checkin=high, state="open").first(),
                          actor=personas.tehran_officer, voters=600, note="برگه شمارش")
    return {"opening": opening, "t1": t1, "high": high, "closing": closing}


def test_an_untouched_day_reports_clean(day: Day, worked: dict[str, Checkin]) -> None:
    status, output = verify("--language", "en")
    assert status == 0, output
    assert output.startswith("OK: the tables agree with the audit log (7 check-ins")
    status, report = verify_json()
    assert status == 0 and report["clean"] and report["mismatches"] == []
    assert report["checkins"] == 7 and report["days"] == 2
    # The corrected figure is published; the log's last value is the correction.
    assert StationDay.objects.get(station=day.gharchak_station).voters == 600


def test_a_changed_turnout_is_found_and_named(day: Day, worked: dict[str, Checkin]) -> None:
    high = worked["high"]
    sql("UPDATE operations_checkin SET voters = %s WHERE id = %s", [650, high.pk])
    status, report = verify_json()
    assert status == 1 and not report["clean"]
    [found] = [m for m in report["mismatches"] if m["table"] == "operations.checkin"]
    assert (found["kind"], found["id"], found["field"]) == ("changed", high.pk, "voters")
    assert (found["table_value"], found["log_value"]) == (650, 600)  # the correction wins
    assert found["window"] == "T2" and found["station"].endswith("0042 " + high.station.name)
    # The station's day was not touched, but its figure no longer follows from the table.
    [day_found] = [m for m in report["mismatches"] if m["table"] == "operations.stationday"]
    assert (day_found["field"], day_found["table_value"], day_found["log_value"]) == (
        "voters", 600, 650)
    status, output = verify("--language", "en")
    assert status == 1
    assert (f"check-in {high.pk}, station " in output
            and "window T2: voters so far is 650 in the table, 600 in the log" in output)
    assert "MISMATCH: 2 differences" in output
    status, persian = verify("--language", "fa")
    # In Persian digits, as on every page.
    assert status == 1 and "ناهمخوانی: ۲ اختلاف" in persian
    assert "رأی‌دهندگان تاکنون در جدول ۶۵۰ است و در گزارش ممیزی ۶۰۰" in persian


def test_a_changed_state_or_station_is_found(day: Day, worked: dict[str, Checkin]) -> None:
    opening = worked["opening"]
    sql("UPDATE operations_checkin SET state = 'accepted', cameras = %s WHERE id = %s",
        [False, worked["t1"].pk])
    status, report = verify_json()
    fields = {(m["id"], m["field"]) for m in report["mismatches"]}
    assert status == 1 and fields == {(worked["t1"].pk, "state"), (worked["t1"].pk, "cameras")}
    sql("UPDATE operations_checkin SET staff = %s WHERE id = %s",
        ['{"representative": 1, "member": 2}', opening.pk])
    _status, report = verify_json()
    assert (opening.pk, "staff") in {(m["id"], m["field"]) for m in report["mismatches"]}


def test_a_changed_station_day_is_found(day: Day, worked: dict[str, Checkin]) -> None:
    sql("UPDATE operations_stationday SET total = %s, voters = %s WHERE station_id = %s",
        [9999, 1, day.kerman_station.pk])
    status, report = verify_json()
    assert status == 1
    found = {(m["kind"], m["field"], m["table_value"], m["log_value"])
             for m in report["mismatches"]}
    assert found == {("day", "total", 9999, 120), ("day", "voters", 1, 90)}
    status, output = verify("--language", "en")
    assert "the published total votes is 9999, its check-ins give 120" in output


def test_a_deleted_checkin_is_found(day: Day, worked: dict[str, Checkin]) -> None:
    closing = worked["closing"]
    sql("DELETE FROM operations_flag WHERE checkin_id = %s", [closing.pk])
    sql("DELETE FROM operations_checkin WHERE id = %s", [closing.pk])
    status, report = verify_json()
    assert status == 1
    kinds = {(m["kind"], m["id"]) for m in report["mismatches"]}
    # Missing from the table; and the station's published total now has no check-in.
    assert ("missing", closing.pk) in kinds
    assert any(m["kind"] == "day" and m["field"] == "total" for m in report["mismatches"])
    missing = next(m for m in report["mismatches"] if m["kind"] == "missing")
    assert missing["window"] == "C" and missing["seq"] is not None


def test_a_checkin_inserted_without_its_event_is_found(day: Day,
                                                        worked: dict[str, Checkin]) -> None:
    window = services.window_for(day.election, "T3", at("18:00"))
    station = day.kerman_station
    sql("INSERT INTO operations_checkin (election_id, station_id, county_id, unit_path, "
        "window_id, kind, source, sender, received_at, simulated, staff, voters, "
        "incidents, note, state, original) VALUES (%s, %s, %s, %s, %s, 'turnout', 'web', "
        "'', %s, %s, '{}', 250, '', '', 'accepted', '{}')",
        [day.election.pk, station.pk, station.county_id, station.unit_path, window.pk,
         at("18:01"), False])
    forged = Checkin.objects.get(window=window)
    status, report = verify_json()
    assert status == 1
    assert {(m["kind"], m["id"]) for m in report["mismatches"]} >= {("unlogged", forged.pk)}
    # Its turnout is the station's latest: the day's published 90 no longer follows.
    assert any(m["kind"] == "day" and m["log_value"] == 250 for m in report["mismatches"])
    status, output = verify("--language", "en")
    assert "in the table with no receive event in the log" in output


def test_the_county_option_checks_one_county(day: Day, worked: dict[str, Checkin],
                                             small_geo: Any) -> None:
    sql("UPDATE operations_checkin SET total = %s WHERE id = %s", [1, worked["closing"].pk])
    sql("DELETE FROM operations_flag WHERE checkin_id = %s", [worked["opening"].pk])
    sql("DELETE FROM operations_checkin WHERE id = %s", [worked["opening"].pk])
    status, report = verify_json("--county", small_geo.kerman_county.code)
    assert status == 1 and {m["kind"] for m in report["mismatches"]} == {"changed", "day"}
    status, report = verify_json("--county", small_geo.gharchak.code)
    assert status == 1 and {m["kind"] for m in report["mismatches"]} == {"missing"}
    assert report["checkins"] == 3


def test_the_simulation_reports_clean(day: Day, personas: Any) -> None:
    """The simulation's bulk writes append each check-in's receive event too."""
    DaySettings.objects.filter(pk=services.day_settings(day.election).pk).update(
        simulation_allowed=True)
    call_command("simulate_election_day", "--election", "test-day", "--start-in", "0",
                 "--minutes", "0.05", "--silent", "0", "--seed", "7", stdout=io.StringIO(),
                 stderr=io.StringIO())
    assert Checkin.objects.filter(simulated=True).count() > 5
    status, report = verify_json()
    assert status == 0, report["mismatches"]
    stored = Checkin.objects.filter(simulated=True).order_by("-pk").first()
    assert stored is not None
    sql("UPDATE operations_checkin SET received_at = %s WHERE id = %s",
        [timezone.now() + timezone.timedelta(hours=1), stored.pk])
    status, report = verify_json()
    assert status == 1
    assert {(m["id"], m["field"]) for m in report["mismatches"] if m["kind"] == "changed"} == {
        (stored.pk, "received_at")}


# --- the page: the runs recorded in the log, and a button for the log's readers ---------


def test_the_page_shows_the_recorded_runs_and_starts_one(
        day: Day, worked: dict[str, Checkin], personas: Any,
        django_capture_on_commit_callbacks: Any, settings: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    from amanat.accounts.testing import sign_in
    from amanat.audit.models import Event

    # The command's run is recorded in the log.
    assert verify()[0] == 0
    event = Event.objects.get(action="operations.verify")
    assert event.after == {"clean": True, "mismatches": 0} and event.extra["checkins"] == 7
    sql("UPDATE operations_checkin SET voters = %s WHERE id = %s", [650, worked["high"].pk])
    admin = sign_in(Client(), personas.admin)
    page = admin.get(reverse("operations:verify"))
    assert page.status_code == 200 and 'data-testid="verify-run-row"' in page.content.decode()
    # The button starts a check (a task; run at once in the tests): the difference named.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin.post(reverse("operations:verify_run"))
    assert answer.status_code == 302
    last = Event.objects.filter(action="operations.verify").order_by("-seq").first()
    assert last is not None and last.actor_id == personas.admin.pk
    assert last.after == {"clean": False, "mismatches": 2}
    text = admin.get(reverse("operations:verify")).content.decode()
    # The difference named, in the page's language and digits.
    assert "۶۵۰" in text and "۶۰۰" in text, text[text.find("verify-runs"):][:3000]
    # The auditor reads it too; a governor or a county official does not see it.
    assert sign_in(Client(), personas.auditor).get(reverse("operations:verify")
                                                   ).status_code == 200
    governor = sign_in(Client(), personas.gharchak_governor)
    assert governor.get(reverse("operations:verify")).status_code == 404
    assert governor.post(reverse("operations:verify_run")).status_code == 404
    assert Event.objects.filter(action="operations.verify").count() == 2


def test_a_moved_window_or_a_longer_quiet_period_is_found(
        day: Day, worked: dict[str, Checkin], personas: Any) -> None:
    """The windows against the last windows event (here the defaults of their creation,
    then a change through the service): moving the closing window in the table, or
    lengthening the quiet period, is named."""
    closing = day.windows["C"]
    sql("UPDATE operations_window SET closes_at = %s WHERE id = %s",
        [at("20:00"), closing.pk])
    status, report = verify_json()
    assert status == 1
    [found] = report["mismatches"]
    assert (found["kind"], found["field"], found["window"]) == ("window", "closes_at", "C")
    assert found["table_value"].endswith("20:00") and found["log_value"].endswith("03:00")
    # A change through the service is audited: the table agrees again.
    services.windows_update(election=day.election, times={}, silent_after_minutes=45,
                            escalate_after_minutes=30, actor=personas.admin)
    assert verify()[0] == 0
    services.day_settings(day.election)
    sql("UPDATE operations_daysettings SET silent_after_minutes = %s WHERE election_id = %s",
        [600, day.election.pk])
    status, output = verify("--language", "en")
    assert status == 1
    assert "the day's settings: silent after (minutes) is 600 in the table, 45 in the log" in output
