"""Quality flags through the views: the open flags in scope, verify (published as it
came) and correct (the right figure published, the received one kept), the station's
published figures and flag count moved, the quality alert closed; denied paths 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.operations import services
from amanat.operations.models import Alert, Checkin, Flag, StationDay
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at

pytestmark = pytest.mark.django_db


def record(day: Day, code: str, clock: str, voters: int | None = None,
           total: int | None = None) -> Checkin:
    window = services.window_for(day.election, code, at(clock))
    return services.checkin_record(station=day.gharchak_station, window=window,
                                   values=Values(voters=voters, total=total), source="web",
                                   at=at(clock)).checkin


@pytest.fixture
def flagged(day: Day, personas: Any) -> Flag:
    """Gharchak (800 registered) reports 900 voters at 10:00: flagged and quarantined."""
    checkin = record(day, "T1", "10:00", voters=900)
    assert checkin.state == "quarantined"
    return Flag.objects.get(checkin=checkin)


def station_day(day: Day) -> StationDay:
    return StationDay.objects.get(station=day.gharchak_station)


def test_open_flags_are_listed_in_scope(flagged: Flag, personas: Any, day: Day) -> None:
    assert station_day(day).voters is None and station_day(day).flagged == 1
    governor = sign_in(Client(), personas.gharchak_governor)
    page = governor.get(reverse("operations:flags"))
    assert [f.pk for f in page.context["page"]] == [flagged.pk]
    assert governor.get(reverse("operations:flag", args=[flagged.pk])).status_code == 200
    kerman = sign_in(Client(), personas.kerman_governor)
    assert list(kerman.get(reverse("operations:flags")).context["page"]) == []
    assert kerman.get(reverse("operations:flag", args=[flagged.pk])).status_code == 404
    assert kerman.post(reverse("operations:flag_verify", args=[flagged.pk])).status_code == 404
    # The auditor reads, the police officer does not even read.
    auditor = sign_in(Client(), personas.auditor)
    assert auditor.get(reverse("operations:flag", args=[flagged.pk])).status_code == 200
    assert auditor.post(reverse("operations:flag_correct", args=[flagged.pk]),
                        {"voters": 700}).status_code == 404
    police = sign_in(Client(), personas.police)
    assert police.get(reverse("operations:flags")).status_code == 404
    flagged.refresh_from_db()
    assert flagged.state == "open" and station_day(day).voters is None


def test_verify_publishes_the_figures_and_closes_the_quality_alert(
        flagged: Flag, personas: Any, day: Day) -> None:
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at("10:01").isoformat(), stdout=None)
    alert = Alert.objects.get(kind="quality")
    governor = sign_in(Client(), personas.gharchak_governor)
    answer = governor.post(reverse("operations:flag_verify", args=[flagged.pk]),
                           {"confirm": "on", "note": "رئیس شعبه تأیید کرد"})
    assert answer.status_code == 302
    flagged.refresh_from_db()
    assert flagged.state == "verified" and flagged.resolved_by == personas.gharchak_governor
    assert flagged.checkin.state == "verified"
    assert (station_day(day).voters, station_day(day).flagged) == (900, 0)
    alert.refresh_from_db()
    assert alert.state == "closed"
    assert Event.objects.filter(action="operations.flag.verify").count() == 1
    # Resolved: no longer listed, and a second verification is refused.
    assert list(governor.get(reverse("operations:flags")).context["page"]) == []
    again = governor.post(reverse("operations:flag_verify", args=[flagged.pk]), {})
    assert again.status_code == 400


def test_correct_keeps_the_original_and_publishes_the_right_figure(
        flagged: Flag, personas: Any, day: Day) -> None:
    governor = sign_in(Client(), personas.gharchak_governor)
    refused = governor.post(reverse("operations:flag_correct", args=[flagged.pk]),
                            {"voters": "", "note": "x"})
    assert refused.status_code == 400
    impossible = governor.post(reverse("operations:flag_correct", args=[flagged.pk]),
                               {"voters": 999999})
    assert impossible.status_code == 400
    assert station_day(day).voters is None
    answer = governor.post(reverse("operations:flag_correct", args=[flagged.pk]),
                           {"voters": 390, "note": "اشتباه تایپی"})
    assert answer.status_code == 302
    checkin = Checkin.objects.get(pk=flagged.checkin_id)
    assert (checkin.state, checkin.voters, checkin.original) == ("corrected", 390,
                                                                 {"voters": 900})
    assert (station_day(day).voters, station_day(day).flagged) == (390, 0)
    event = Event.objects.get(action="operations.flag.correct")
    assert event.before["voters"] == 900 and event.after["voters"] == 390
    page = governor.get(reverse("operations:flag", args=[flagged.pk])).content.decode()
    assert 'data-testid="checkin-voters">۳۹۰<' in page


def test_a_later_published_turnout_stays_published_after_a_correction(
        flagged: Flag, personas: Any, day: Day) -> None:
    record(day, "T2", "14:00", voters=450)
    assert station_day(day).voters == 450
    governor = sign_in(Client(), personas.gharchak_governor)
    governor.post(reverse("operations:flag_correct", args=[flagged.pk]), {"voters": 300})
    assert station_day(day).voters == 450


def test_a_closing_check_in_is_corrected_in_its_total(day: Day, personas: Any) -> None:
    checkin = record(day, "C", "19:00", total=950)
    flag = Flag.objects.get(checkin=checkin)
    governor = sign_in(Client(), personas.gharchak_governor)
    form = governor.get(reverse("operations:flag", args=[flag.pk])).context["correct_form"]
    assert set(form.fields) == {"total", "note"}
    governor.post(reverse("operations:flag_correct", args=[flag.pk]), {"total": 610})
    assert station_day(day).total == 610
