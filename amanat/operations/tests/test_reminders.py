"""``amanat operations-remind``: each assigned staff member gets an SMS with their post,
station and the opening check-in's time, once per kind, audited."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from amanat.audit.models import Event
from amanat.core import notify
from amanat.core.models import OutboundMessage
from amanat.elections.posts import StationPost
from amanat.operations.tests.conftest import Day
from amanat.operations.tests.test_sms_checkins import staff
from amanat.staffing.models import Person

pytestmark = pytest.mark.django_db


def remind(day: Day, *args: str) -> str:
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("operations_remind", "--election", day.election.slug, *args, stdout=out)
    return out.getvalue()


def test_staff_are_reminded_once_per_kind_and_audited(day: Day, settings: Any) -> None:
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, "09121110042", 1)
    staff(day, day.kerman_station, StationPost.INSPECTOR, "09121110007", 2)
    nophone = staff(day, day.kerman_station, StationPost.MEMBER, "09121110008", 3)
    Person.objects.filter(pk=nophone.pk).update(mobile="")

    assert "sent 2" in remind(day) and "without a mobile 1" in remind(day)
    assert sorted(m.to for m in notify.outbox) == ["09121110007", "09121110042"]
    to_rep = next(m.text for m in notify.outbox if m.to == "09121110042")
    # Post, station, the opening window (06:30-09:00) and the code to send, in Persian.
    assert "نماینده" in to_rep and "۲۳۱۰-۰۰۴۲" in to_rep
    assert "۰۶:۳۰" in to_rep and "۰۹:۰۰" in to_rep and "O#2310-0042#R1" in to_rep

    # Run again: nobody is reminded twice; the morning reminder is another kind.
    assert "sent 0, already sent 2" in remind(day)
    assert "sent 2" in remind(day, "--before-opening")
    assert "sent 0" in remind(day, "--before-opening")
    assert len(notify.outbox) == 4
    assert OutboundMessage.objects.filter(purpose__startswith="operations.remind.").count() == 4
    runs = Event.objects.filter(action="operations.staff.remind").order_by("seq")
    assert [(e.after["kind"], e.after["sent"]) for e in runs] == [
        ("assigned", 2), ("assigned", 0), ("assigned", 0), ("opening", 2), ("opening", 0)]


def test_an_unknown_election_is_refused(day: Day) -> None:
    with pytest.raises(CommandError):
        call_command("operations_remind", "--election", "no-such")
