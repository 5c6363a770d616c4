"""Attack review 3 (att16c) of election day: a resend's supersession, operations-verify
and its page, simulated alerts and the public link.  Each test goes through the public
interface (the services the channels call, the command, the pages)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.operations.models import Checkin, Flag, StationDay
from amanat.operations.tests.conftest import Day, at
from amanat.operations.tests.test_opsverify import record, sql, verify, verify_json, worked

pytestmark = pytest.mark.django_db

__all__ = ["worked"]  # the fixture, used below


# --- (1) a resend supersedes only its own reporter's held figure --------------------------


def test_a_resend_never_supersedes_another_reporters_held_figure(
        day: Day, personas: Any) -> None:
    """The inspector's figure above the register is held; the governor (another reporter)
    sending a figure for the same station and window neither supersedes it nor closes
    its flags: the held figure still waits for a person."""
    held = record(day, "T2", "14:00", actor=personas.inspector, voters=900)
    assert held.state == "quarantined"
    other = record(day, "T2", "14:05", actor=personas.gharchak_governor, voters=500)
    held.refresh_from_db()
    assert held.state == "quarantined"
    assert Flag.objects.filter(checkin=held, state="open").exists()
    assert not Event.objects.filter(action="operations.checkin.supersede").exists()
    # The other's figure is held too (two reporters disagree), so nothing unreviewed is
    # published for the window.
    other.refresh_from_db()
    assert other.state == "quarantined"
    assert StationDay.objects.get(station=day.gharchak_station).voters is None


def test_a_resend_for_another_station_or_window_supersedes_nothing(
        day: Day, personas: Any) -> None:
    held = record(day, "T2", "14:00", actor=personas.inspector, voters=900)
    record(day, "T2", "14:01", actor=personas.inspector, station=day.kerman_station,
           voters=100)
    record(day, "T3", "18:00", actor=personas.inspector, voters=300)
    held.refresh_from_db()
    assert held.state == "quarantined"
    assert Flag.objects.filter(checkin=held, state="open").count() >= 1


def test_a_held_resend_keeps_the_station_flagged_and_unpublished(
        day: Day, personas: Any) -> None:
    """Resending the same bad figure supersedes the first but is itself held: nothing
    is published unreviewed, and the station's open-flag count stays right."""
    first = record(day, "T2", "14:00", actor=personas.inspector, voters=900)
    again = record(day, "T2", "14:02", actor=personas.inspector, voters=900)
    first.refresh_from_db()
    again.refresh_from_db()
    assert first.state == "superseded" and again.state == "quarantined"
    stationday = StationDay.objects.get(station=day.gharchak_station)
    assert stationday.voters is None
    assert stationday.flagged == Flag.objects.filter(
        station_id=day.gharchak_station.pk, state="open").count() >= 1


# --- (2) operations-verify: tampering it must name ----------------------------------------


def test_an_inserted_window_is_found(day: Day, worked: dict[str, Checkin]) -> None:
    """A window added with raw SQL (another turnout window, open all day: the stations
    could check in at hours nobody set) is a difference from the log like a moved one."""
    t1 = day.windows["T1"]
    sql("INSERT INTO operations_window (election_id, kind, code, label, opens_at, closes_at,"
        " position) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [day.election.pk, "turnout", "T9", "extra", at("06:00"), at("23:00"),
         t1.position + 50])
    status, report = verify_json()
    assert status == 1
    found = [m for m in report["mismatches"] if m["kind"] == "window"]
    assert found and {m["window"] for m in found} == {"T9"}
    assert all(m["log_value"] is None for m in found)


def test_a_deleted_window_is_found(day: Day, worked: dict[str, Checkin]) -> None:
    sql("DELETE FROM operations_window WHERE id = %s AND NOT EXISTS (SELECT 1 FROM"
        " operations_checkin c WHERE c.window_id = %s)", [day.windows["T3"].pk,
                                                          day.windows["T3"].pk])
    status, report = verify_json()
    assert status == 1
    assert any(m["kind"] == "window" and m["table_value"] is None
               for m in report["mismatches"])


def test_a_raised_register_is_found(day: Day, worked: dict[str, Checkin],
                                    personas: Any) -> None:
    """att16c F1: a station day's registered voters raised with raw SQL switches the
    register rules off for the station; the check compares it with the station registry
    (whose edits are audited) and names it."""
    sql("UPDATE operations_stationday SET registered = %s WHERE station_id = %s",
        [100000, day.gharchak_station.pk])
    status, report = verify_json()
    assert status == 1
    (found,) = [m for m in report["mismatches"] if m["kind"] == "register"]
    assert (found["station_id"], found["table_value"], found["log_value"]) == (
        day.gharchak_station.pk, 100000, day.gharchak_station.expected_voters)
    status, output = verify("--language", "en")
    assert status == 1 and "the day's registered voters are 100000, the station registry " \
        f"says {day.gharchak_station.expected_voters}" in output


def test_a_rule_switched_off_in_the_table_is_found(
        day: Day, worked: dict[str, Checkin], personas: Any) -> None:
    """att16c F2: the quality rules against their events (a default rule: the migration's
    row): switched off through the app, audited, it is clean; switched off, or its
    expression changed, with raw SQL, named."""
    from amanat.operations import services
    from amanat.operations.models import QualityRule

    rule = QualityRule.objects.get(code="turnout-above-registered")
    services.qualityrule_switch(rule=rule, actor=personas.admin, active=False)
    assert verify_json()[0] == 0
    sql("UPDATE operations_qualityrule SET active = %s", [True])
    sql("UPDATE operations_qualityrule SET expression = %s WHERE code = %s",
        ["voters > registered * 100", "closing-above-registered"])
    status, report = verify_json()
    assert status == 1
    rules = sorted((m["field"], m["table_value"], m["log_value"])
                   for m in report["mismatches"] if m["kind"] == "rule")
    assert rules == [("active", True, False),
                     ("expression", "voters > registered * 100",
                      "registered > 0 and total > registered")]
    status, output = verify("--language", "en")
    assert ("is voters > registered * 100 in the table, registered > 0 and total > "
            "registered in the log") in output


# --- (2) the page: who, and without the second factor ----------------------------------------


def test_the_verify_page_needs_the_second_factor(day: Day, personas: Any) -> None:
    for user in (personas.admin, personas.auditor):
        client = sign_in(Client(), user, verified=False)
        page = client.get(reverse("operations:verify"))
        assert page.status_code != 200 or 'data-testid="verify-run-row"' not in \
            page.content.decode()
        assert page.status_code in (302, 403, 404)
        started = client.post(reverse("operations:verify_run"))
        assert started.status_code in (302, 403, 404)
    assert not Event.objects.filter(action="operations.verify").exists()


def test_the_verify_page_refuses_the_day_roles(day: Day, personas: Any) -> None:
    for user in (personas.gharchak_governor, personas.inspector, personas.tehran_officer):
        client = sign_in(Client(), user)
        assert client.get(reverse("operations:verify")).status_code == 404
        assert client.post(reverse("operations:verify_run")).status_code == 404
    anonymous = Client()
    assert anonymous.get(reverse("operations:verify")).status_code in (302, 404)
    assert anonymous.post(reverse("operations:verify_run")).status_code in (302, 403, 404)


def test_check_now_twice_queues_one_run(day: Day, personas: Any,
                                        django_capture_on_commit_callbacks: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    admin = sign_in(Client(), personas.admin)
    for _n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert admin.post(reverse("operations:verify_run")).status_code == 302
    # att16c F3: one pass at a time (each is a national read on the worker that also
    # delivers the day's alerts); the later presses are told it is waiting.
    assert DBTaskResult.objects.filter(task_path__endswith="operations_verify").count() == 1


# --- (3) the link in the officials' messages ------------------------------------------------


def test_the_alert_link_ignores_the_request_host(settings: Any, rf: Any) -> None:
    from amanat.core import notify

    settings.AMANAT_PUBLIC_URL = "https://amanat.example.ir"
    settings.ALLOWED_HOSTS = ["*"]
    rf.get("/", HTTP_HOST="evil.example", HTTP_X_FORWARDED_HOST="evil.example")
    assert notify.public_url("/operations/alerts/?level=province") == (
        "https://amanat.example.ir/operations/alerts/?level=province")
    settings.AMANAT_PUBLIC_URL = ""
    assert notify.public_url("/operations/alerts/") == ""


def test_extreme_figures_are_refused(day: Day, personas: Any) -> None:
    from amanat.core.errors import RuleError

    for voters in (-1, 10**12, 2**63):
        with pytest.raises(RuleError):
            record(day, "T2", "14:00", actor=personas.inspector, voters=voters)
    assert not Checkin.objects.filter(window=day.windows["T2"]).exists()


def test_a_real_checkin_marked_simulated_in_the_table_is_found(
        day: Day, worked: dict[str, Checkin]) -> None:
    """``simulated`` decides whether the officials' messages start with «[شبیه‌سازی]»
    and the alert pages say «شبیه‌سازی»: a real check-in marked simulated with raw SQL
    would have its alerts read as a drill.  The receive event holds the mark, so the
    check names it (att16c F5)."""
    closing = worked["closing"]
    receive = Event.objects.get(action="operations.checkin.receive",
                                object_id=str(closing.pk))
    assert receive.after["simulated"] is False
    sql("UPDATE operations_checkin SET simulated = %s WHERE id = %s", [True, closing.pk])
    status, report = verify_json()
    assert status == 1
    assert {(m["id"], m["field"]) for m in report["mismatches"]} == {
        (closing.pk, "simulated")}


@pytest.mark.parametrize("tamper", [
    "DELETE FROM operations_flag WHERE checkin_id = %s",
    "UPDATE operations_flag SET state = 'verified' WHERE checkin_id = %s",
])
def test_a_held_figure_whose_flags_vanish_is_found(
        day: Day, personas: Any, tamper: str) -> None:
    """A held figure's flags deleted or closed in the table: the check-in stays out of
    the published figures and off the flags page, so nobody ever decides it.  The check
    names it (att16c F6); an ordinary day with held figures reports clean."""
    held = record(day, "T2", "14:00", actor=personas.inspector, voters=900)
    assert held.state == "quarantined"
    assert verify_json()[0] == 0
    sql(tamper, [held.pk])
    status, report = verify_json()
    assert status == 1
    assert [(m["kind"], m["id"]) for m in report["mismatches"]] == [("unflagged", held.pk)]
    from amanat.operations.tests.test_opsverify import verify
    assert "held for review with no open flag" in verify("--language", "en")[1]
