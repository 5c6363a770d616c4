"""Issue 16's acceptance test, end to end through a real gateway: Kannel's bearerbox and
smsbox with its fake SMS centre (conftest.kannel_gateway), Amanat on the live server.

* An opening check-in by SMS from a registered staff phone (as a phone sends Persian:
  UCS-2, Persian digits) reaches Amanat through smsbox's get-url, is recorded for its
  station, and the Persian reply comes back through sendsms to the fake SMS centre.
* A turnout above the station's registered voters is recorded but flagged and
  quarantined: the station's published figure keeps the last good one.
* A station that stays quiet raises an alert (``amanat operations-watch``).

It never skips in CI (AMANAT_REQUIRE_KANNEL=1: the fixture fails without Kannel).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from amanat.core.models import InboundSms
from amanat.elections.posts import StationPost
from amanat.operations.models import (
    Alert,
    AlertKind,
    Checkin,
    CheckinState,
    DaySettings,
    Flag,
    StationDay,
)
from amanat.operations.tests.conftest import Day
from amanat.operations.tests.test_sms_checkins import open_now, staff

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")
PHONE = "09121110042"


def eventually(find: Callable[[], T | None], what: str, timeout: float = 30) -> T:
    """Wait (not a timing assert) for ``find`` to return something."""
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def handled(sender: str, count: int) -> list[InboundSms]:
    return eventually(lambda: (lambda rows: rows if len(rows) >= count else None)(
        list(InboundSms.objects.filter(sender=sender).exclude(
            outcome=InboundSms.Outcome.PENDING).order_by("pk"))),
        f"{count} messages from {sender} handled")


def replies(kannel: Any, number: str, count: int) -> list[Any]:
    return eventually(lambda: (lambda found: found if len(found) >= count else None)(
        [m for m in kannel.received() if m.to == number]),
        f"{count} replies to {number} at the fake SMS centre")


def test_check_ins_by_sms_through_kannel_are_recorded_answered_flagged_and_watched(
        day: Day, kannel: Any) -> None:
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, PHONE, 1)
    staff(day, day.kerman_station, StationPost.REPRESENTATIVE, "09121110007", 2)
    open_now(day, "O", "T1", "C", "I")

    # 1. The opening, typed in Persian digits: recorded for its station, answered.
    kannel.inject(PHONE, "3000", "O#۲۳۱۰-۰۰۴۲#R1#M4#I1#CAM1#NET1#MAT1", ucs2=True)
    opening_sms = handled(PHONE, 1)[0]
    assert opening_sms.handler == "operations", opening_sms.reply
    assert opening_sms.outcome == InboundSms.Outcome.ACCEPTED, opening_sms.reply
    opening = Checkin.objects.get(client_key=f"sms:{opening_sms.gateway_id}")
    assert opening.station_id == day.gharchak_station.pk and opening.kind == "opening"
    assert opening.staff == {"representative": 1, "member": 4, "inspector": 1}
    assert opening.cameras and opening.network and opening.materials
    reply = replies(kannel, PHONE, 1)[0]
    assert reply.text == opening_sms.reply  # Persian intact through UCS-2 both ways
    with translation.override("fa"):
        thanks = gettext("Recorded as number %(reference)s: %(summary)s. Thank you.")
    assert reply.text.startswith(thanks.split("%")[0]) and "۲۳۱۰-۰۰۴۲" in reply.text
    station_day = StationDay.objects.get(election=day.election, station=day.gharchak_station)
    assert station_day.opened_at is not None

    # 2. A turnout, then one above the 800 registered voters: flagged, quarantined,
    # the published figure stays at the good one.
    kannel.inject(PHONE, "3000", "T1#2310-0042#300")
    handled(PHONE, 2)
    kannel.inject(PHONE, "3000", "T1 2310 0042 950")
    over_sms = handled(PHONE, 3)[2]
    over = Checkin.objects.get(client_key=f"sms:{over_sms.gateway_id}")
    assert over.voters == 950 and over.state == CheckinState.QUARANTINED
    assert Flag.objects.get(checkin=over).rule.code == "turnout-above-registered"
    station_day.refresh_from_db()
    assert station_day.voters == 300 and station_day.flagged == 1
    over_reply = replies(kannel, PHONE, 3)[2]
    assert over_reply.text == over_sms.reply and "۹۵۰" in over_reply.text

    # 3. The Kerman station stays quiet: the watch raises an alert for it, not for
    # Gharchak, which was just heard from.
    DaySettings.objects.update_or_create(election=day.election,
                                         defaults={"silent_after_minutes": 10})
    now = timezone.now() + datetime.timedelta(minutes=1)
    call_command("operations_watch", "--election", day.election.slug, "--now", now.isoformat())
    silent = Alert.objects.filter(election=day.election, kind=AlertKind.SILENT)
    assert list(silent.values_list("station_id", flat=True)) == [day.kerman_station.pk]
