"""Check-ins by SMS through core.sms.sms_receive (the path Kannel's get-url takes): the
codes in many scripts and typings, the Persian replies, the senders refused, the windows,
and a message delivered twice."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone, translation
from django.utils.translation import gettext

from amanat.core import notify
from amanat.core.models import InboundSms
from amanat.core.sms import SmsIn, claimant, sms_receive
from amanat.elections.posts import StationPost
from amanat.operations.models import Checkin, CheckinState, Flag, StationDay, Window
from amanat.operations.tests.conftest import Day
from amanat.staffing.models import Assignment, Person

pytestmark = pytest.mark.django_db

PHONE = "09121110042"  # the Gharchak station's representative
MEMBER = "09121110043"  # a member of the same station
KERMAN = "09121110007"  # the Kerman station's representative
_ids = itertools.count(1)


def staff(day: Day, station: Any, post: str, mobile: str, n: int) -> Person:
    person = Person.objects.create(
        county=station.county, home_unit=station.county, unit_path=station.county.path,
        national_id=f"{n:010d}", first_name="نفر", last_name=f"شماره {n}", mobile=mobile)
    Assignment.objects.create(election=day.election, station=station, county=station.county,
                              unit_path=station.unit_path, post=post, slot=1, person=person)
    return person


def open_now(day: Day, *codes: str) -> None:
    """Move the windows ``codes`` around the present (the day's are in the past)."""
    now = timezone.now()
    Window.objects.filter(election=day.election, code__in=codes).update(
        opens_at=now - datetime.timedelta(minutes=30), closes_at=now + datetime.timedelta(hours=1))


@pytest.fixture
def sms_day(day: Day, settings: Any) -> Iterator[Day]:
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, PHONE, 1)
    staff(day, day.gharchak_station, StationPost.MEMBER, MEMBER, 2)
    staff(day, day.kerman_station, StationPost.REPRESENTATIVE, KERMAN, 3)
    open_now(day, "O", "T1", "C", "I")
    yield day
    notify.outbox.clear()


def send(text: str, sender: str = PHONE, message_id: str | None = None) -> InboundSms:
    message = SmsIn(message_id=message_id or f"k{next(_ids)}", sender=sender,
                    receiver="3000", text=text)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return sms_receive(message).row


def fa(text: str) -> str:
    with translation.override("fa"):
        return gettext(text)


OPENING = {"representative": 1, "member": 4, "inspector": 1}


@pytest.mark.parametrize("text", [
    "O#2310-0042#R1#M4#I1#CAM1#NET1#MAT1",
    "o#2310-0042#r1#m4#i1#cam1#net1#mat1",  # lower case
    "O 2310 0042 R1 M4 I1 CAM1 NET1 MAT1",  # spaces
    "O*2310*0042*R1*M4*I1*CAM1*NET1*MAT1",  # stars
    "O-2310-0042-R1-M4-I1-CAM1-NET1-MAT1",  # hyphens
    "O#۲۳۱۰-۰۰۴۲#R۱#M۴#I۱#CAM۱#NET۱#MAT۱",  # Persian digits
    "O#٢٣١٠-٠٠٤٢#R١#M٤#I١#CAM١#NET١#MAT١",  # Arabic-Indic digits
    "خ#۲۳۱۰-۰۰۴۲#ق۱#پ۴#ه۱#زشپ۱#دثف۱#پشف۱",  # typed with the Persian keyboard on
    "0#2310-0042#R1#M4#I1#CAM1#NET1#MAT1",  # a zero for the O
    "O 2310-0042 R 1 M 4 I 1 CAM 1 NET 1 MAT 1",  # the values apart
    "  O #2310 - 0042# R1 #M4# I1# CAM1 #NET1# MAT1 ",  # stray spaces
    "O2310-0042#RI#M4#IL#CAMY#NETY#MATY",  # no separator after O; I, L, Y for 1
    "O#2310-42#R1#M4#I1#CAMERA1#NETWORK1#MATERIALS1",  # short station code, long names
    "O،۲۳۱۰،۰۰۴۲،R۱،M۴،I۱،CAM۱،NET۱،MAT۱",  # Persian commas
])
def test_an_opening_is_read_in_every_script_and_typing(sms_day: Day, text: str) -> None:
    row = send(text)
    assert row.handler == "operations" and row.outcome == InboundSms.Outcome.ACCEPTED, row.reply
    checkin = Checkin.objects.get(client_key=f"sms:{row.gateway_id}")
    assert checkin.station == sms_day.gharchak_station and checkin.kind == "opening"
    assert checkin.staff == OPENING
    assert (checkin.cameras, checkin.network, checkin.materials) == (True, True, True)
    assert checkin.source == "sms" and checkin.sender == PHONE
    assert checkin.person.mobile == PHONE
    assert StationDay.objects.get(station=sms_day.gharchak_station).opened_at is not None
    # The reply says what was recorded, in Persian with Persian digits.
    assert notify.outbox[-1].to == PHONE and notify.outbox[-1].text == row.reply
    assert "۲۳۱۰-۰۰۴۲" in row.reply and str(checkin.pk) == row.reference


def test_an_opening_without_cameras_is_recorded_as_such(sms_day: Day) -> None:
    row = send("O#2310-0042#R1#M3#I0#CAM0#NET1")
    checkin = Checkin.objects.get(client_key=f"sms:{row.gateway_id}")
    assert checkin.staff == {"representative": 1, "member": 3, "inspector": 0}
    assert (checkin.cameras, checkin.network, checkin.materials) == (False, True, None)


@pytest.mark.parametrize("text", [
    "T1#2310-0042#350", "t1 2310 0042 350", "T 1 2310-0042 350", "T#2310-0042#350",
    "ف۱#۲۳۱۰-۰۰۴۲#۳۵۰", "TI#2310-0042#35O", "T1*2310*0042*٣٥٠",
])
def test_turnout_is_read(sms_day: Day, text: str) -> None:
    row = send(text)
    assert row.outcome == InboundSms.Outcome.ACCEPTED, row.reply
    checkin = Checkin.objects.get(client_key=f"sms:{row.gateway_id}")
    assert checkin.kind == "turnout" and checkin.voters == 350 and checkin.window.code == "T1"
    assert StationDay.objects.get(station=sms_day.gharchak_station).voters == 350


def test_closing_and_incidents_are_read(sms_day: Day) -> None:
    closing = send("C#2310-0042#812")
    assert Checkin.objects.get(client_key=f"sms:{closing.gateway_id}").total == 812
    incident = send("I#2310-0042#VB#ef#رذ")  # رذ: VB on the Persian keyboard
    checkin = Checkin.objects.get(client_key=f"sms:{incident.gateway_id}")
    assert checkin.kind == "incident" and checkin.incidents == "VB EF"
    assert "خرید و فروش رأی" in incident.reply


def test_turnout_above_the_register_is_recorded_flagged_and_the_reply_says_so(
        sms_day: Day) -> None:
    row = send("T1#2310-0042#900")  # 800 registered
    assert row.outcome == InboundSms.Outcome.ACCEPTED
    checkin = Checkin.objects.get(client_key=f"sms:{row.gateway_id}")
    assert checkin.state == CheckinState.QUARANTINED
    assert Flag.objects.get(checkin=checkin).rule.code == "turnout-above-registered"
    assert StationDay.objects.get(station=sms_day.gharchak_station).voters is None
    assert "۹۰۰" in row.reply and row.reply.startswith(fa("Recorded as number %(reference)s: "
                                                       "%(summary)s. The figure looks wrong and "
                                                       "will be checked before it is published; "
                                                       "send it again if it was a typing error."
                                                       ).split("%")[0])


def test_incident_reports_keep_their_own_codes(sms_day: Day) -> None:
    """Category codes starting with a check-in letter (OB, TH, ID, CP) stay reports."""
    for text in ("OB 2310-0042 x", "TH 2310-0042 x", "ID 2310-0042 x", "CP 2310-0042 x"):
        assert claimant(text)[0] == "incidents"  # type: ignore[index]
    for text in ("O#1", "o 1", "T1 1", "T 1", "C*1", "I-1", "خ 1", "ف1", "O2310-1"):
        assert claimant(text)[0] == "operations", text  # type: ignore[index]


# -- refused -------------------------------------------------------------------------------

def test_an_unknown_phone_is_refused_politely_logged_and_nothing_stored(
        sms_day: Day, caplog: Any) -> None:
    with caplog.at_level("WARNING", logger="amanat.sms"):
        row = send("O#2310-0042#R1#M4#I1#CAM1#NET1#MAT1", sender="09350000000")
    assert row.outcome == InboundSms.Outcome.REFUSED and row.error == "unknown_sender"
    assert row.text == "O#2310-0042#R1#M4#I1#CAM1#NET1#MAT1"  # kept raw for review
    assert not Checkin.objects.exists()
    assert row.reply == fa(
        "This number is not registered as the staff of a polling station, so check-ins from "
        "it cannot be accepted. If you are on a station's staff, ask your county's election "
        "office to register this number.")
    assert notify.outbox[-1].to == "09350000000"
    assert "unknown_sender" in caplog.text and "09350000000" not in caplog.text  # masked


def test_the_phone_of_another_station_is_refused(sms_day: Day) -> None:
    row = send("T1#2310-0042#100", sender=KERMAN)
    assert row.outcome == InboundSms.Outcome.REFUSED and row.error == "not_your_station"
    assert not Checkin.objects.exists()
    assert "۲۳۱۰-۰۰۴۲" in row.reply


def test_an_international_form_of_a_registered_phone_is_accepted(sms_day: Day) -> None:
    for sender in ("+989121110042", "989121110042", "00989121110042"):
        row = send("T1#2310-0042#100", sender=sender)
        assert row.outcome == InboundSms.Outcome.ACCEPTED, (sender, row.reply)


def test_outside_its_window_a_check_in_is_refused_with_the_window(sms_day: Day) -> None:
    row = send("T2#2310-0042#100")  # T2 is on the day, not now
    assert row.outcome == InboundSms.Outcome.REFUSED and row.error == "window_closed"
    assert not Checkin.objects.exists()
    assert row.reply.startswith(fa("Not recorded. Understood: %(understood)s. Problem: "
                                   "%(problem)s. Example: %(example)s").split("%")[0])
    assert "۲۳۱۰-۰۰۴۲" in row.reply and "۱۳:۴۵" in row.reply and "۱۴:۴۵" in row.reply


@pytest.mark.parametrize(("text", "error", "understood"), [
    ("T1#2310-0042#99999", "out_of_range", "۹۹۹۹۹"),
    ("T1#2310-0042#", "required", "۲۳۱۰-۰۰۴۲"),
    ("T1#2310-0042#12#13", "format", "۲۳۱۰-۰۰۴۲"),
    ("T1#2310-0042#12a", "number", "۲۳۱۰-۰۰۴۲"),
    ("O#2310-0042#R1#X4", "unknown_part", "۱"),
    ("O#2310-0042#R1#R2", "twice", "۱"),
    ("O#2310-0042#CAM1", "required", "۲۳۱۰-۰۰۴۲"),  # no staff
    ("O#2310-0042#R1#CAM7", "number", "۲۳۱۰-۰۰۴۲"),
    ("O#2310-0042#R99", "out_of_range", "۹۹"),
    ("O#R1#M4", "station", ""),
    ("I#2310-0042#ZZ", "unknown_category", "۲۳۱۰-۰۰۴۲"),
    ("O#9999-0042#R1", "unknown_station", "۹۹۹۹-۰۰۴۲"),
    ("T7#2310-0042#10", "unknown_window", "T7"),
])
def test_malformed_or_impossible_messages_are_answered_and_nothing_stored(
        sms_day: Day, text: str, error: str, understood: str) -> None:
    row = send(text)
    assert row.outcome == InboundSms.Outcome.REFUSED and row.error == error, row.reply
    assert understood in row.reply
    assert not Checkin.objects.exists()
    assert notify.outbox[-1].text == row.reply and "#" in row.reply  # with an example
    assert len(row.reply) <= 5 * 67  # five parts of a concatenated Persian SMS at most


def test_the_same_message_delivered_twice_makes_one_record_and_one_reply(
        sms_day: Day) -> None:
    first = send("T1#2310-0042#120", message_id="kannel-77")
    again = send("T1#2310-0042#120", message_id="kannel-77")
    assert again.pk == first.pk and Checkin.objects.count() == 1
    assert len([m for m in notify.outbox if m.to == PHONE]) == 1


def test_a_message_whose_handling_did_not_finish_is_not_recorded_twice(sms_day: Day) -> None:
    first = send("T1#2310-0042#120", message_id="kannel-78")
    # The server failed after the check-in was stored, before the raw row was marked.
    InboundSms.objects.filter(pk=first.pk).update(outcome=InboundSms.Outcome.PENDING)
    again = send("T1#2310-0042#120", message_id="kannel-78")
    assert again.outcome == InboundSms.Outcome.ACCEPTED and again.reference == first.reference
    assert Checkin.objects.count() == 1


def test_two_members_of_one_station_may_both_report(sms_day: Day) -> None:
    send("T1#2310-0042#120")
    row = send("T1#2310-0042#121", sender=MEMBER)
    assert row.outcome == InboundSms.Outcome.ACCEPTED
    assert Checkin.objects.filter(station=sms_day.gharchak_station).count() == 2


def test_a_message_handled_after_its_window_closed_counts_from_its_arrival(
        sms_day: Day) -> None:
    """smsbox retried a call Amanat failed: the message arrived in the window, its
    handling comes after the window closed."""
    now = timezone.now()
    Window.objects.filter(election=sms_day.election, code="T1").update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now - datetime.timedelta(minutes=1))
    InboundSms.objects.create(gateway_id="late-1", sender=PHONE, text="T1#2310-0042#120")
    InboundSms.objects.filter(gateway_id="late-1").update(
        received_at=now - datetime.timedelta(minutes=5))
    row = send("T1#2310-0042#120", message_id="late-1")
    assert row.outcome == InboundSms.Outcome.ACCEPTED, row.reply
    assert Checkin.objects.get().received_at == now - datetime.timedelta(minutes=5)
    assert send("T1#2310-0042#121").error == "window_closed"  # one arriving now is late


def test_a_simulated_message_counts_at_its_simulated_moment(sms_day: Day) -> None:
    """The simulation replays a compressed day: behind its plan on a busy machine, its
    messages found the compressed windows closed and were refused (180 of 461 in a
    national run); the web path already used the planned moment."""
    now = timezone.now()
    Window.objects.filter(election=sms_day.election, code="T1").update(
        opens_at=now - datetime.timedelta(minutes=2), closes_at=now - datetime.timedelta(minutes=1))
    planned = now - datetime.timedelta(seconds=90)
    with TestCase.captureOnCommitCallbacks(execute=True):
        row = sms_receive(SmsIn(message_id="sim-1", sender=PHONE, receiver="simulation",
                                text="T1#2310-0042#120", received_at=planned)).row
    assert row.outcome == InboundSms.Outcome.ACCEPTED, row.reply
    assert row.received_at == planned and Checkin.objects.get().received_at == planned
