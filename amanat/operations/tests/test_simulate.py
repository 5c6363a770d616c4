"""``amanat simulate-election-day`` through the command: the windows re-timed onto now
(audited), every station but the silent ones opens, reports and closes, anomalies are
flagged and quarantined, and the dashboard's data shows it."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from amanat.audit.models import Event
from amanat.operations import simulate
from amanat.operations.models import Checkin, Flag, StationDay, Window
from amanat.plans.tests.conftest import client_for

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _a_training_election(request: Any) -> None:
    """The test day is a training election: the simulation runs on it without --force."""
    if "day" in request.fixturenames:
        from amanat.operations.models import DaySettings
        from amanat.operations.services import day_settings

        day = request.getfixturevalue("day")
        DaySettings.objects.filter(pk=day_settings(day.election).pk).update(
            simulation_allowed=True)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("simulate_election_day", "--election", "test-day", "--start-in", "0",
                 *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_compressed_day_fills_the_dashboard(day: Any, personas: Any, small_geo: Any) -> None:
    before = timezone.now()
    output = _run("--minutes", "0.05", "--silent", "1", "--seed", "7")
    # The windows now lie on the compressed day, and the move is audited.
    windows = list(Window.objects.filter(election=day.election))
    assert all(w.opens_at >= before for w in windows)
    assert max(w.closes_at for w in windows) <= before + timezone.timedelta(seconds=10)
    event = Event.objects.get(action="operations.windows.retime")
    assert event.before["windows"]["T1"][0].endswith("09:45")
    assert "operations.windows.retime" in output
    assert "SMS: skipped" not in output  # the operations app registers its handler
    summary = json.loads(output.strip().splitlines()[-2])
    assert summary["silent_stations"] == 1
    # Every planned check-in was recorded once, none lost between the two web paths.
    assert sum(summary["recorded"].values()) == summary["planned"] == Checkin.objects.count()
    # One station went silent (never opened, or opened and stopped); the other opened,
    # reported its turnout in three windows and closed.
    reporting = StationDay.objects.filter(election=day.election, closed_at__isnull=False)
    assert reporting.count() == 1
    [full] = reporting
    kinds = sorted(Checkin.objects.filter(station_id=full.station_id)
                   .values_list("window__code", flat=True))
    assert {"O", "T1", "T2", "T3", "C"} <= set(kinds)
    assert full.voters is not None and full.voters <= full.registered
    data = client_for(personas.admin).get(
        reverse("operations:dashboard_data", args=[small_geo.iran.pk])
        + "?election=test-day").json()
    assert data["totals"]["closed"] == 1
    assert data["totals"]["voters"] > 0


def test_anomalies_are_flagged_and_kept_out(day: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(simulate, "ANOMALY_SHARE", 0.5)
    monkeypatch.setattr(simulate, "SINGLE_SHARE", 0.5)
    output = _run("--minutes", "0.05", "--silent", "0", "--seed", "3")
    summary = json.loads(output.strip().splitlines()[-2])
    assert summary["anomalies"]
    assert sum(summary["recorded"].values()) == summary["planned"] == Checkin.objects.count()
    assert Flag.objects.exists()
    # Every flagged check-in is quarantined and no published figure holds its value.
    for flag in Flag.objects.select_related("checkin"):
        assert flag.checkin.state == "quarantined"
    for row in StationDay.objects.filter(election=day.election):
        assert row.voters is None or row.voters <= row.registered


def test_refuses_a_day_of_no_length(day: Any) -> None:
    with pytest.raises(CommandError):
        _run("--minutes", "0")


def test_the_demo_hook_is_idempotent(day: Any) -> None:
    from amanat.operations.demo import seed_demo_operations

    Window.objects.filter(election=day.election).delete()
    first = seed_demo_operations(day.election)
    assert first.startswith("6 check-in windows")
    assert seed_demo_operations(day.election) == "6 check-in windows, 0 station days prepared"
    assert StationDay.objects.filter(election=day.election).count() == 2
    assert Window.objects.filter(election=day.election).count() == 6


def test_sms_text_is_the_handlers_format() -> None:
    from amanat.operations.services import Values

    opening = Values(staff={"representative": 1, "member": 4, "inspector": 1}, cameras=True,
                     network=True, materials=False)
    assert simulate.sms_text("O", "2321-0042", opening) == "O#2321-0042#R1#M4#I1#CAM1#NET1#MAT0"
    assert simulate.sms_text("T1", "2321-0042", Values(voters=350)) == "T1#2321-0042#350"
    assert simulate.sms_text("C", "2321-0042", Values(total=812)) == "C#2321-0042#812"
    assert simulate.sms_text("I", "2321-0042", Values(incidents="VB EF")) == "I#2321-0042#VB#EF"


def test_sms_share_goes_through_the_registered_handler(day: Any, monkeypatch: Any) -> None:
    from amanat.core import sms

    seen: list[str] = []

    def handler(message: sms.SmsIn) -> sms.SmsAnswer:
        seen.append(message.text)
        return sms.SmsAnswer(accepted=True, reply="ok")

    monkeypatch.setattr(simulate.Simulation, "_phones", lambda self: {
        day.gharchak_station.pk: "09120000001", day.kerman_station.pk: "09120000002"})
    # A stand-in for the operations SMS handler (opssms's); the registry is put back
    # after the test, whatever was registered in it.
    monkeypatch.setattr(sms._registry, "by_prefix", list(sms._registry.by_prefix))
    sms.register("operations", handler, prefixes=("O", "T", "C", "I"))
    output = _run("--minutes", "0.05", "--silent", "0", "--sms-share", "1")
    summary = json.loads(output.strip().splitlines()[-2])
    assert "SMS: skipped" not in output
    assert summary["recorded"].get("sms") == len(seen) > 0
    assert any(text.startswith("T1#") for text in seen)


def test_api_failures_are_counted_not_fatal(day: Any) -> None:
    output = _run("--minutes", "0.05", "--silent", "0", "--url", "http://127.0.0.1:9",
                  "--token", "x", "--api-share", "1")
    summary = json.loads(output.strip().splitlines()[-2])
    assert summary["refused"]
    assert all(code.startswith("api:") for code in summary["refused"])
    assert Checkin.objects.count() == 0


def _times() -> dict[str, tuple[Any, Any]]:
    return {w.code: (w.opens_at, w.closes_at) for w in Window.objects.all()}


def test_restore_puts_the_real_day_back_after_two_simulations(day: Any) -> None:
    real = _times()
    _run("--minutes", "0.05", "--silent", "0")
    _run("--minutes", "0.05", "--silent", "0")  # the second's "before" is compressed
    assert _times() != real
    output = _run("--restore")
    assert _times() == real
    assert "back on the real day" in output
    event = Event.objects.get(action="operations.windows.restore")
    assert event.after["windows"]["T1"][0].endswith("09:45")
    # Nothing left to restore: refused, nothing changes.
    with translation.override("en"), pytest.raises(CommandError, match="nothing to restore"):
        _run("--restore")
    assert Event.objects.filter(action="operations.windows.restore").count() == 1


def test_the_windows_page_offers_the_restore_to_a_national_administrator(
        day: Any, personas: Any) -> None:
    real = _times()
    _run("--minutes", "0.05", "--silent", "0")
    page = reverse("operations:windows") + "?election=test-day"
    edit = reverse("operations:windows_edit") + "?election=test-day"
    governor = client_for(personas.gharchak_governor)
    assert 'data-testid="windows-restore"' not in governor.get(page).content.decode()
    assert governor.post(edit, {"restore": "1"}).status_code == 404
    assert _times() != real
    admin = client_for(personas.admin)
    assert 'data-testid="windows-restore"' in admin.get(page).content.decode()
    assert admin.post(edit, {"restore": "1"}).status_code == 302
    assert _times() == real
    assert 'data-testid="windows-restore"' not in admin.get(page).content.decode()
