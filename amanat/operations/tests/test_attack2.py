"""Regressions for docs/reviews/2026-12-attack2-operations.md (the second attack review of
election day): each drives the defect through a view, the SMS handler or the field API
and checks what is stored and published."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from amanat.accounts.models import Membership, Profile, Role
from amanat.accounts.services import user_deactivate
from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.core import notify
from amanat.core.models import InboundSms, OutboundMessage
from amanat.operations import services
from amanat.operations.models import Checkin, CheckinState, Flag, StationDay
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at
from amanat.operations.tests.test_sms_checkins import (  # noqa: F401  (fixtures)
    MEMBER,
    PHONE,
    open_now,
    send,
    sms_day,
)

pytestmark = pytest.mark.django_db


def _day(day: Day) -> StationDay:
    return StationDay.objects.get(station=day.gharchak_station)


def _turnout(day: Day, user: Any, voters: int, clock: str) -> Checkin:
    return services.checkin_record(
        station=day.gharchak_station, window=day.windows["T1"], values=Values(voters=voters),
        source="web", actor=user, at=at(clock)).checkin


# -- F1: a party to a dispute settles it --------------------------------------------------

@pytest.mark.parametrize("action", ["correct", "verify"])
def test_a_reporter_cannot_settle_a_dispute_over_his_own_figure(
        day: Day, personas: Any, action: str) -> None:
    """The governor reports 500, the inspector 300 for the same window: both are held.
    The governor must not publish the figures of the dispute he is a party to, neither
    by correcting the inspector's check-in to his own 500 nor by verifying it."""
    governor = personas.gharchak_governor
    mine = _turnout(day, governor, 500, "10:00")
    theirs = _turnout(day, personas.inspector, 300, "10:05")
    assert Checkin.objects.get(pk=mine.pk).state == CheckinState.QUARANTINED
    assert theirs.state == CheckinState.QUARANTINED
    flag = Flag.objects.filter(checkin=theirs).order_by("pk").first()
    assert flag is not None
    client = sign_in(Client(), governor)
    if action == "correct":
        response = client.post(reverse("operations:flag_correct", args=[flag.pk]),
                               {"voters": "500", "note": "as I reported"})
    else:
        response = client.post(reverse("operations:flag_verify", args=[flag.pk]),
                               {"note": "checked", "confirm": "on"})
    assert response.status_code == 400
    assert Checkin.objects.get(pk=theirs.pk).state == CheckinState.QUARANTINED
    assert Checkin.objects.get(pk=theirs.pk).voters == 300
    assert _day(day).voters is None
    assert Event.objects.filter(action="operations.flag.refused").count() == 1
    # Another official, party to nothing, settles it.
    admin = sign_in(Client(), personas.admin)
    response = admin.post(reverse("operations:flag_correct", args=[flag.pk]),
                          {"voters": "480", "note": "counted again with the station"})
    assert response.status_code == 302


# -- F2: a quarantined closing ends the station's day ----------------------------------

# -- F3: a published closing total goes down, unflagged ---------------------------------

def test_a_closing_total_that_goes_down_is_held(sms_day: Day) -> None:  # noqa: F811
    """620 published at closing; another reporter's later 570 (within the closing rule's
    margin of the last turnout) silently replaced it."""
    assert send("T1#2310-0042#600").outcome == InboundSms.Outcome.ACCEPTED
    assert send("C#2310-0042#620").outcome == InboundSms.Outcome.ACCEPTED
    assert _day(sms_day).total == 620
    row = send("C#2310-0042#570", sender=MEMBER)
    lower = Checkin.objects.get(client_key=f"sms:{row.gateway_id}")
    assert lower.state == CheckinState.QUARANTINED, row.reply
    assert _day(sms_day).total == 620
    assert Flag.objects.filter(checkin=lower, rule__code="closing-went-down").exists()


# -- F4: replies to a (spoofed) staff phone are unlimited -------------------------------

def test_refusals_to_a_staff_phone_are_limited(sms_day: Day, settings: Any  # noqa: F811
                                               ) -> None:
    """Anyone can send with a staff member's number as sender: every unreadable message
    was answered, an SMS bomb at the staff member paid by the office."""
    settings.AMANAT_SMS_STAFF_REFUSALS_PER_NUMBER = 20
    notify.outbox.clear()
    rows = [send("T1#2310-0042#abc") for _ in range(40)]
    assert all(row.outcome == InboundSms.Outcome.REFUSED for row in rows)
    assert len([m for m in notify.outbox if m.to == PHONE]) == 20
    assert InboundSms.objects.filter(sender=PHONE).count() == 40
    assert rows[-1].error.endswith("reply_limited")
    # An accepted check-in is still answered.
    row = send("T1#2310-0042#120")
    assert row.outcome == InboundSms.Outcome.ACCEPTED
    assert notify.outbox[-1].to == PHONE and notify.outbox[-1].text == row.reply


# -- F5: a web form's key sent again with other figures ----------------------------------

def test_a_form_sent_again_with_other_figures_is_not_taken_for_the_first(
        day: Day, personas: Any) -> None:
    """The back button brings the form back with its key; other figures sent with it were
    dropped with "recorded already", as if they had been recorded."""
    open_now(day, "T1")
    client = sign_in(Client(), personas.gharchak_governor)
    client.cookies["django_language"] = "en"
    url = reverse("operations:checkin", args=[day.gharchak_station.pk])
    key = "a1b2c3d4e5f6a7b8"
    first = client.post(url, {"window": day.windows["T1"].pk, "voters": "100",
                              "client_key": key})
    assert first.status_code == 302
    again = client.post(url, {"window": day.windows["T1"].pk, "voters": "100",
                              "client_key": key})
    assert again.status_code == 302  # the same form again: one check-in
    assert Checkin.objects.count() == 1
    other = client.post(url, {"window": day.windows["T1"].pk, "voters": "150",
                              "client_key": key})
    assert other.status_code == 200
    assert "sent already with other figures" in other.content.decode()
    assert Checkin.objects.count() == 1
    # The form comes back with a new key: sent again, it is recorded.
    new_key = other.context["form"]["client_key"].value()
    assert new_key and new_key != key
    sent = client.post(url, {"window": day.windows["T1"].pk, "voters": "150",
                             "client_key": new_key})
    assert sent.status_code == 302
    assert list(Checkin.objects.order_by("pk").values_list("voters", flat=True)) == [100, 150]


# -- F6: a disabled official is still told of the day's alerts ---------------------------

def test_a_deactivated_official_is_not_told_of_alerts(day: Day, small_geo: Any) -> None:
    """``user_deactivate`` stops sign-in, sessions and tokens; the watch still sent the
    county's alerts (station codes, serious incidents) to the mobile and e-mail on the
    disabled account's profile, through its membership."""
    users = get_user_model()
    for name, mobile in (("kerman_gov", "09120000001"), ("kerman_gone", "09120000009")):
        user = users.objects.create_user(name, email=f"{name}@kerman.example")
        Membership.objects.create(user=user, role=Role.GOVERNOR, unit=small_geo.kerman_county)
        Profile.objects.create(user=user, mobile=mobile)
    user_deactivate(actor=None, user=users.objects.get(username="kerman_gone"))
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at("07:30").isoformat(), stdout=StringIO())
    told = set(OutboundMessage.objects.filter(purpose="operations.alert")
               .values_list("to", flat=True))
    assert told == {"09120000001", "kerman_gov@kerman.example"}


# -- F7: a closing total below the last turnout is published -----------------------------

def test_a_closing_total_below_the_last_turnout_is_held(sms_day: Day) -> None:  # noqa: F811
    """600 had voted by the last turnout; a closing total of 560 (within the closing
    rule's margin of 50 votes) counts fewer ballots than voters and was published."""
    assert send("T1#2310-0042#600").outcome == InboundSms.Outcome.ACCEPTED
    row = send("C#2310-0042#560")
    closing = Checkin.objects.get(client_key=f"sms:{row.gateway_id}")
    assert closing.state == CheckinState.QUARANTINED, row.reply
    assert Flag.objects.filter(checkin=closing, rule__code="closing-below-turnout").exists()
    assert _day(sms_day).total is None
    # At or above the last turnout (within the margin): published.
    row = send("C#2310-0042#600", sender=MEMBER)
    assert row.outcome == InboundSms.Outcome.ACCEPTED
    assert _day(sms_day).total == 600


def test_an_official_who_reported_by_sms_cannot_settle_the_dispute(
        sms_day: Day) -> None:  # noqa: F811
    """F1 by SMS: the official whose profile mobile is a staff phone of the station sent
    300; the representative 500. He may not verify the representative's figure."""
    official = get_user_model().objects.create_user(username="gov_on_staff")
    Membership.objects.create(user=official, role=Role.GOVERNOR,
                              unit=sms_day.gharchak_station.county)
    Profile.objects.create(user=official, mobile=MEMBER)
    send("T1#2310-0042#300", sender=MEMBER)
    row = send("T1#2310-0042#500")
    theirs = Checkin.objects.get(client_key=f"sms:{row.gateway_id}")
    assert theirs.state == CheckinState.QUARANTINED
    flag = Flag.objects.filter(checkin=theirs).first()
    assert flag is not None
    response = sign_in(Client(), official).post(
        reverse("operations:flag_verify", args=[flag.pk]), {"note": "ok", "confirm": "on"})
    assert response.status_code == 400
    assert Checkin.objects.get(pk=theirs.pk).state == CheckinState.QUARANTINED
    assert _day(sms_day).voters is None
