"""``simulate-election-day`` harms no real data (attack review 2026-12 F5): it refuses an
election not marked as a demo or training one unless forced, and then writes web
check-ins only; every check-in it writes is marked simulated; its SMS are handled under
the election it simulates; nothing it causes is sent to a phone."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from amanat.core.models import InboundSms, OutboundMessage
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.operations.models import Checkin, DaySettings, Window
from amanat.operations.services import day_settings
from amanat.operations.tests.conftest import Day
from amanat.operations.tests.test_sms_checkins import staff

pytestmark = pytest.mark.django_db

GHARCHAK_PHONE = "09121110042"
KERMAN_PHONE = "09121110007"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("simulate_election_day", "--election", "test-day", "--start-in", "0",
                 "--minutes", "0.05", "--silent", "0", *args, stdout=out,
                 stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def staffed(day: Day, settings: Any) -> Day:
    """Staff with (what would be real) phones, a gateway configured, and another election
    current."""
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, GHARCHAK_PHONE, 1)
    staff(day, day.kerman_station, StationPost.REPRESENTATIVE, KERMAN_PHONE, 2)
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.KannelBackend"
    settings.AMANAT_KANNEL_SENDSMS_URL = "http://127.0.0.1:9/cgi-bin/sendsms"
    Election.objects.create(name="انتخابات بعدی", slug="next",
                            election_day=datetime.date.today() + datetime.timedelta(days=90))
    assert Election.objects.current().slug == "next"
    return day


def test_an_election_not_marked_for_simulation_is_refused(staffed: Day) -> None:
    settings_before = DaySettings.objects.filter(election=staffed.election).first()
    windows_before = list(Window.objects.filter(election=staffed.election)
                          .values_list("code", "opens_at", "closes_at"))
    with pytest.raises(CommandError, match="not marked as a demo or training election"):
        _run("--sms-share", "1")
    assert Checkin.objects.count() == 0 and InboundSms.objects.count() == 0
    assert OutboundMessage.objects.count() == 0
    assert list(Window.objects.filter(election=staffed.election)
                .values_list("code", "opens_at", "closes_at")) == windows_before
    after = DaySettings.objects.filter(election=staffed.election).first()
    assert (after.silent_after_minutes if after else None) == (
        settings_before.silent_after_minutes if settings_before else None)


def test_forced_on_a_real_register_it_writes_marked_web_check_ins_only(staffed: Day
                                                                      ) -> None:
    output = _run("--sms-share", "1", "--force")
    assert "SMS and field API check-ins are off" in output
    assert "operations-watch --election test-day" in output
    checkins = list(Checkin.objects.all())
    assert checkins and all(c.simulated and c.source == "web" for c in checkins)
    assert {c.election_id for c in checkins} == {staffed.election.pk}
    assert InboundSms.objects.count() == 0 and OutboundMessage.objects.count() == 0
    assert not Checkin.objects.filter(sender__in=[GHARCHAK_PHONE, KERMAN_PHONE]).exists()


def test_on_a_training_election_its_sms_are_marked_and_never_sent(staffed: Day) -> None:
    DaySettings.objects.filter(pk=day_settings(staffed.election).pk).update(
        simulation_allowed=True)
    _run("--sms-share", "1")
    sms = Checkin.objects.filter(source="sms")
    assert sms.exists(), list(InboundSms.objects.values_list("error", flat=True))
    # Under the election simulated, not the current one; every row marked.
    assert set(Checkin.objects.values_list("election_id", flat=True)) == {staffed.election.pk}
    assert not Checkin.objects.filter(simulated=False).exists()
    # The replies are kept for review, never sent to the gateway.
    assert InboundSms.objects.exclude(reply="").exists()
    assert OutboundMessage.objects.count() == 0


def test_refusals_caused_by_its_own_lag_are_told_apart(staffed: Day) -> None:
    """User review F10: SMS refused because the simulation fell behind (their window
    closed before they went) are counted as late, not as the handler's refusals."""
    from django.utils import timezone

    from amanat.operations.simulate import Simulation

    DaySettings.objects.filter(pk=day_settings(staffed.election).pk).update(
        simulation_allowed=True)
    simulation = Simulation(staffed.election, minutes=0.05, silent=0, seed=3, sms_share=1.0)
    windows = simulation.prepare(timezone.now())
    plan = simulation.plan(windows)
    for planned in plan:  # all of it due ten seconds ago ...
        planned.at -= datetime.timedelta(seconds=10)
    # ... and every window closed meanwhile.
    Window.objects.filter(election=staffed.election).update(
        opens_at=timezone.now() - datetime.timedelta(seconds=20),
        closes_at=timezone.now() - datetime.timedelta(seconds=1))
    outcome = simulation.run(plan, windows)
    assert outcome.refused.get("sms:window_closed:late", 0) > 0, outcome.refused
    assert not [code for code in outcome.refused if code.startswith("sms:")
                and not code.endswith(":late")]
