"""What a check-in of each kind may carry, checked once for every channel (the web form,
SMS, the simulation's bulk write; the field API in amanat/intake/tests/test_ckkinds_api.py):
figures of another kind, incident codes, a closed station, numbers that are not numbers
(reviews of December 2026: attack F1, F9, F11, F13, F14; officials' F1, F3, F6, F7, F17,
F19, F22, F23)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from amanat.core.errors import RuleError, RuleErrors
from amanat.core.identity import mobile_checked
from amanat.core.models import InboundSms
from amanat.operations import services
from amanat.operations.models import Checkin, CheckinState, Flag, Kind, StationDay, Window
from amanat.operations.services import BulkCheckin, Values
from amanat.operations.tests.conftest import Day, at
from amanat.operations.tests.test_sms_checkins import PHONE, send, sms_day  # noqa: F401
from amanat.plans.tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _record(day: Day, code: str, clock: str, values: Values) -> Any:
    window = services.window_for(day.election, code, at(clock))
    return services.checkin_record(station=day.gharchak_station, window=window, values=values,
                                   source="web", at=at(clock))


def _codes(error: RuleError) -> list[str]:
    return [one.code or "" for one in (error.errors if isinstance(error, RuleErrors)
                                       else [error])]


def _open_now(day: Day, *codes: str) -> None:
    now = timezone.now()
    Window.objects.filter(election=day.election, code__in=codes).update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1))


# -- F1: each kind carries its own values only ------------------------------------------

@pytest.mark.parametrize("code,clock,values,refused", [
    ("I", "11:00", Values(incidents="VB", voters=19_999), ["voters"]),
    ("O", "07:05", Values(staff={"representative": 1}, voters=18_000, total=19_999),
     ["voters", "total"]),
    ("C", "19:00", Values(total=500, voters=19_999), ["voters"]),
    ("T1", "10:01", Values(voters=120, staff={"member": 3}), ["staff"]),
    ("T1", "10:01", Values(voters=120, cameras=True), ["cameras"]),
    ("I", "11:00", Values(incidents="VB", total=3), ["total"]),
])
def test_a_value_the_kind_does_not_carry_is_refused_and_nothing_stored(
        day: Day, code: str, clock: str, values: Values, refused: list[str]) -> None:
    with pytest.raises(RuleError) as error:
        _record(day, code, clock, values)
    problems = error.value.errors if isinstance(error.value, RuleErrors) else [error.value]
    assert sorted(p.field or "" for p in problems) == sorted(refused)
    assert {p.code for p in problems} == {"not_carried"}
    assert "does not carry" in problems[0].render("en")
    assert "ندارد" in problems[0].render("fa")
    assert Checkin.objects.count() == 0
    station_day = StationDay.objects.get(station=day.gharchak_station)
    assert (station_day.voters, station_day.total, station_day.last_heard_at) == (None, None,
                                                                                  None)


def test_each_kind_with_its_own_values_and_a_note_is_accepted(day: Day) -> None:
    _record(day, "O", "07:05", Values(staff={"representative": 1}, materials=True,
                                      cameras=True, network=False, note="n"))
    _record(day, "T1", "10:01", Values(voters=120, note="n"))
    _record(day, "I", "11:00", Values(incidents="vb", note="n"))
    _record(day, "C", "19:00", Values(total=130, note="n"))
    station_day = StationDay.objects.get(station=day.gharchak_station)
    assert (station_day.voters, station_day.total) == (120, 130)


def test_published_figures_come_only_from_the_kinds_that_carry_them(day: Day) -> None:
    """Rows stored before the check (or by hand) do not reach the published figures: the
    day is moved, and republished after a flag, from turnouts and closings only."""
    _record(day, "T1", "10:01", Values(voters=120))
    window = services.window_for(day.election, "I", at("11:00"))
    stray = Checkin.objects.create(
        election=day.election, station=day.gharchak_station,
        county_id=day.gharchak_station.county_id, unit_path=day.gharchak_station.unit_path,
        window=window, kind=Kind.INCIDENT, source="web", received_at=at("11:00"),
        incidents="VB", voters=19_999, total=19_999)
    services.stationday_move(stray, flags=0)
    station_day = StationDay.objects.get(station=day.gharchak_station)
    assert (station_day.voters, station_day.total) == (120, None)
    services.stationday_republish(election_id=day.election.pk,
                                  station_id=day.gharchak_station.pk)
    station_day.refresh_from_db()
    assert (station_day.voters, station_day.total) == (120, None)


def test_the_simulations_bulk_write_refuses_what_the_kind_does_not_carry(day: Day) -> None:
    windows = day.windows
    items = [
        BulkCheckin(day.gharchak_station, windows["I"], Values(incidents="VB", voters=19_999),
                    "web", at=at("11:00")),
        BulkCheckin(day.gharchak_station, windows["I"], Values(incidents="ZZ"), "web",
                    at=at("11:01")),
        BulkCheckin(day.gharchak_station, windows["T1"], Values(voters=100), "web",
                    at=at("10:01")),
    ]
    result = services.checkins_bulk_record(election=day.election, items=items, rules=[])
    assert result.stored == 1
    assert result.refused == {"not_carried": 1, "unknown_category": 1}
    assert StationDay.objects.get(station=day.gharchak_station).voters == 100


def test_a_web_check_in_with_another_kinds_figure_is_refused(day: Day, personas: Any) -> None:
    _open_now(day, "I")
    client = client_for(personas.inspector)
    client.cookies["django_language"] = "en"
    window = Window.objects.get(election=day.election, code="I")
    response = client.post(reverse("operations:checkin", args=[day.gharchak_station.pk]),
                           {"window": window.pk, "incidents": "VB", "voters": "19000"})
    assert response.status_code == 200
    assert "does not carry" in response.content.decode()
    assert Checkin.objects.count() == 0


# -- F14 / F3: incident codes from the one list the SMS path reads ------------------------

@pytest.mark.parametrize("language,expected", [("en", "unknown incident code"),
                                                ("fa", "شناخته نیست")])
def test_an_unknown_incident_code_is_refused_on_the_web(day: Day, personas: Any,
                                                        language: str, expected: str) -> None:
    _open_now(day, "I")
    client = client_for(personas.inspector)
    client.cookies["django_language"] = language
    window = Window.objects.get(election=day.election, code="I")
    response = client.post(reverse("operations:checkin", args=[day.gharchak_station.pk]),
                           {"window": window.pk, "incidents": "VB NOPE <b>x</b>"})
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert Checkin.objects.count() == 0


def test_known_incident_codes_are_stored_in_their_canonical_form(day: Day) -> None:
    received = _record(day, "I", "11:00", Values(incidents=" vb,  VB "))
    assert received.checkin.incidents == "VB"
    with pytest.raises(RuleError) as error:
        _record(day, "I", "11:00", Values(incidents="VB ZZ"))
    assert _codes(error.value) == ["unknown_category"]
    assert "ZZ" in error.value.render("en")
    assert Checkin.objects.count() == 1


# -- F19: a closed station takes no more openings or turnouts ----------------------------

def test_after_its_closing_a_station_refuses_openings_and_turnouts(day: Day) -> None:
    _record(day, "T3", "18:01", Values(voters=300))
    _record(day, "C", "18:10", Values(total=310))
    for code, clock, values in (("T3", "18:20", Values(voters=320)),
                                ("O", "18:20", Values(staff={"representative": 1}))):
        window = Window.objects.get(election=day.election, code=code)
        window.opens_at, window.closes_at = at("06:00"), at("23:00")
        window.save()
        with pytest.raises(RuleError) as error:
            _record(day, code, clock, values)
        assert error.value.code == "station_closed"
        assert "closed at 18:10" in error.value.render("en")
        assert "۱۸:۱۰" in error.value.render("fa")
    # An incident and a second closing (a correction) still come.
    _record(day, "I", "18:30", Values(incidents="VB"))
    _record(day, "C", "18:40", Values(total=312))
    assert Checkin.objects.count() == 4
    station_day = StationDay.objects.get(station=day.gharchak_station)
    assert (station_day.voters, station_day.total) == (300, 312)


def test_a_closed_station_refuses_a_web_turnout(day: Day, personas: Any) -> None:
    _open_now(day, "T1", "C")
    services.checkin_record(station=day.gharchak_station, window=day.windows["C"],
                            values=Values(total=10), source="web")
    client = client_for(personas.inspector)
    client.cookies["django_language"] = "en"
    window = Window.objects.get(election=day.election, code="T1")
    response = client.post(reverse("operations:checkin", args=[day.gharchak_station.pk]),
                           {"window": window.pk, "voters": "20"})
    assert response.status_code == 200
    assert "after its closing" in response.content.decode()
    assert Checkin.objects.count() == 1


def test_a_closed_station_refuses_an_sms_turnout(sms_day: Day) -> None:  # noqa: F811
    send("C#2310-0042#40")
    row = send("T1#2310-0042#50")
    assert row.outcome == InboundSms.Outcome.REFUSED, row.reply
    assert "بسته" in row.reply
    assert list(Checkin.objects.values_list("kind", flat=True)) == [Kind.CLOSING]


def test_the_bulk_write_refuses_a_turnout_after_the_closing(day: Day) -> None:
    windows = day.windows
    items = [BulkCheckin(day.gharchak_station, windows["C"], Values(total=40), "web",
                         at=at("18:10")),
             BulkCheckin(day.gharchak_station, windows["T3"], Values(voters=50), "web",
                         at=at("18:20"))]
    result = services.checkins_bulk_record(election=day.election, items=items, rules=[])
    assert (result.stored, result.refused) == (1, {"station_closed": 1})


def test_quarantined_closing_still_closes(day: Day) -> None:
    """A closing held for review is still a closing: the station is closed."""
    _record(day, "T3", "18:01", Values(voters=300))
    received = _record(day, "C", "18:10", Values(total=900))
    assert received.checkin.state == CheckinState.QUARANTINED
    assert Flag.objects.filter(checkin=received.checkin).exists()
    with pytest.raises(RuleError):
        _record(day, "T3", "18:20", Values(voters=320))


# -- F9, F11: numbers in an SMS and a query string -----------------------------------------

@pytest.mark.parametrize("text", ["T1#2310-0042#1²", "T1#2310-0042#𝟏𝟐𝟑", "T1#2310-0042#１２",
                                  "T1#²310-0042#12"])
def test_digits_that_are_not_decimal_are_refused_not_a_crash(sms_day: Day,  # noqa: F811
                                                             text: str) -> None:
    row = send(text)
    assert row.outcome == InboundSms.Outcome.REFUSED, (row.outcome, row.reply)
    assert row.reply.startswith("ثبت نشد")
    assert Checkin.objects.count() == 0


@pytest.mark.parametrize("text", ["T1#2310-0042#-5", "T1#2310-0042# -5", "T1#2310-0042#–۵",
                                  "C#2310-0042#-812"])
def test_a_negative_number_is_refused_with_what_was_wrong(sms_day: Day,  # noqa: F811
                                                          text: str) -> None:
    row = send(text)
    assert row.outcome == InboundSms.Outcome.REFUSED, row.reply
    assert "منفی" in row.reply, row.reply
    assert Checkin.objects.count() == 0
    # The dash between the county and the station codes is still a separator.
    accepted = send(text.replace("-5", "5").replace("–۵", "5").replace("-812", "812"))
    assert accepted.outcome == InboundSms.Outcome.ACCEPTED, accepted.reply


@pytest.mark.parametrize("raw", ["²", "𝟏𝟎", "۵", "99999999999999999999", "-3", ""])
def test_the_dashboards_refresh_takes_only_decimal_digits(day: Day, personas: Any,
                                                          raw: str) -> None:
    client = client_for(personas.admin)
    page = client.get(reverse("operations:dashboard"),
                      {"election": day.election.slug, "refresh": raw})
    assert page.status_code == 200
    assert page.context["refresh_seconds"] == (5 if raw == "۵" else 20)


def test_a_mobile_with_a_superscript_digit_is_refused() -> None:
    with pytest.raises(RuleError):
        mobile_checked("0912345678²")
    assert mobile_checked("۰۹۱۲۳۴۵۶۷۸۹") == "09123456789"


# -- F13: a station without a register ------------------------------------------------------

@pytest.mark.parametrize("code,clock,values", [("T1", "10:01", Values(voters=19_999)),
                                               ("C", "19:00", Values(total=19_999))])
def test_a_figure_of_a_station_without_a_register_is_held_for_review(
        day: Day, code: str, clock: str, values: Values) -> None:
    StationDay.objects.filter(station=day.gharchak_station).update(registered=0)
    received = _record(day, code, clock, values)
    assert received.checkin.state == CheckinState.QUARANTINED
    assert list(Flag.objects.values_list("rule__code", flat=True)) == ["register-unknown"]
    station_day = StationDay.objects.get(station=day.gharchak_station)
    assert (station_day.voters, station_day.total, station_day.flagged) == (None, None, 1)


def test_a_station_with_a_register_is_not_held_by_the_register_rule(day: Day) -> None:
    received = _record(day, "T1", "10:01", Values(voters=100))
    assert received.checkin.state == CheckinState.ACCEPTED


# -- the web form: F22 (one record on a resend), F6 (the window stays), F7 (the kind's
# fields, the incident codes, held for review) -------------------------------------------

def _form_url(day: Day) -> str:
    return reverse("operations:checkin", args=[day.gharchak_station.pk])


def test_the_same_web_form_posted_twice_is_one_check_in(day: Day, personas: Any) -> None:
    _open_now(day, "I")
    client = client_for(personas.inspector)
    client.cookies["django_language"] = "en"
    form = client.get(_form_url(day)).context["form"]
    key = form["client_key"].value()
    assert key and 'type="hidden"' in str(form["client_key"])
    window = Window.objects.get(election=day.election, code="I")
    body = {"window": window.pk, "incidents": "VB", "note": "resend", "client_key": key}
    first = client.post(_form_url(day), body)
    again = client.post(_form_url(day), body, follow=True)
    assert first.status_code == 302 and again.status_code == 200
    assert Checkin.objects.count() == 1
    assert "recorded already" in again.content.decode()
    # Another form (another key) is another check-in; another user's key is theirs.
    fresh = client.get(_form_url(day)).context["form"]["client_key"].value()
    assert fresh != key
    client.post(_form_url(day), {**body, "client_key": fresh})
    governor = client_for(personas.gharchak_governor)
    governor.post(_form_url(day), body)
    assert Checkin.objects.count() == 3
    # A key that is not a key is a form error, nothing stored.
    bad = client.post(_form_url(day), {**body, "client_key": "<script>"})
    assert bad.status_code == 200 and Checkin.objects.count() == 3


def test_a_window_that_closed_while_filling_in_stays_chosen(day: Day, personas: Any) -> None:
    _open_now(day, "T1")
    client = client_for(personas.inspector)
    client.cookies["django_language"] = "en"
    opening = Window.objects.get(election=day.election, code="O")  # closed now
    response = client.post(_form_url(day), {"window": opening.pk,
                                            "staff_representative": "1"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form["window"].value() == str(opening.pk)
    assert f'<option value="{opening.pk}" selected>' in str(form["window"])
    assert "is accepted from" in " ".join(form.errors["window"])
    assert Checkin.objects.count() == 0


def test_the_form_marks_each_kinds_fields_and_lists_the_incident_codes(
        day: Day, personas: Any) -> None:
    _open_now(day, "O", "T1", "I")
    client = client_for(personas.inspector)
    client.cookies["django_language"] = "en"
    page = client.get(_form_url(day))
    form = page.context["form"]
    names = list(form.fields)
    assert names[:5] == ["window", "staff_representative", "staff_member", "staff_inspector",
                         "staff_police"]
    assert 'data-kinds="opening"' in str(form["staff_member"])
    assert 'data-kinds="turnout"' in str(form["voters"])
    assert 'data-kinds="closing"' in str(form["total"])
    assert 'data-kinds="incident"' in str(form["incidents"])
    assert "data-kinds" not in str(form["note"])
    assert "data-window-kinds" in str(form["window"])
    html = page.content.decode()
    assert "VB Vote buying" in str(form.fields["incidents"].help_text)
    assert "id_incidents_helptext" in html
    assert "operations/checkin_form.js" in html


def test_a_held_web_check_in_is_not_confirmed_as_plainly_recorded(day: Day,
                                                                  personas: Any) -> None:
    _open_now(day, "T1")
    client = client_for(personas.inspector)
    client.cookies["django_language"] = "en"
    window = Window.objects.get(election=day.election, code="T1")
    page = client.post(_form_url(day), {"window": window.pk, "voters": "900"}, follow=True)
    html = page.content.decode()
    assert "held for review" in html and "Turnout above the registered voters" in html
    assert "The check-in was recorded." not in html
    assert Checkin.objects.get().state == CheckinState.QUARANTINED


# -- SMS replies: F23 (why a figure is held), F17 (the staff's own formats) -----------------

def test_a_held_sms_figure_is_answered_with_the_rules_that_held_it(sms_day: Day  # noqa: F811
                                                                   ) -> None:
    assert send("T1#2310-0042#100").outcome == InboundSms.Outcome.ACCEPTED
    row = send("T2#2310-0042#90".replace("T2", "T1"))
    assert row.outcome == InboundSms.Outcome.ACCEPTED, row.reply
    assert Checkin.objects.get(pk=row.reference).state == CheckinState.QUARANTINED
    assert "کاهش مشارکت تجمعی" in row.reply, row.reply
    assert "پیش از انتشار بررسی می‌شود" in row.reply and "Thank" not in row.reply
    # The gateway's retry gets the same reason.
    assert "کاهش مشارکت تجمعی" in send("x", message_id=row.gateway_id).reply


def test_station_staff_who_cannot_be_read_get_their_check_in_formats(
        sms_day: Day) -> None:  # noqa: F811
    row = send("salam")
    assert row.outcome == InboundSms.Outcome.REFUSED
    assert "T1#2310-0042#350" in row.reply and "O#2310-0042#R1" in row.reply, row.reply
    assert "شرح رویداد" not in row.reply
    assert len(row.reply) <= 335
    # Someone who is not station staff still gets the report's format; a report is a
    # report.
    stranger = send("salam", sender="09350000000")
    assert "شرح رویداد" in stranger.reply
    assert send("VB 2310-0042 پول در ازای رأی").outcome == InboundSms.Outcome.ACCEPTED


def test_a_refusals_example_names_the_senders_station(sms_day: Day) -> None:  # noqa: F811
    row = send("T1#2310-0042#abc")
    assert row.outcome == InboundSms.Outcome.REFUSED
    assert "T1#2310-0042#350" in row.reply
    kerman = send("T1#9999-0001#12", sender="09121110007")
    code = f"{sms_day.kerman_station.county.code}-{sms_day.kerman_station.code}"
    assert f"T1#{code}#350" in kerman.reply, kerman.reply


def test_a_closed_stations_form_no_longer_offers_opening_or_turnout(day: Day,
                                                                   personas: Any) -> None:
    _open_now(day, "O", "T1", "C", "I")
    client = client_for(personas.inspector)
    offered = client.get(_form_url(day)).context["form"].windows
    assert len(offered) == 4
    services.checkin_record(station=day.gharchak_station, window=day.windows["C"],
                            values=Values(total=10), source="web")
    offered = client.get(_form_url(day)).context["form"].windows
    assert sorted(w.code for w in offered.values()) == ["C", "I"]
    page = client.get(reverse("operations:station_day", args=[day.gharchak_station.pk]))
    assert sorted(w.code for w in page.context["open_windows"]) == ["C", "I"]
    # Posted anyway (an old form): refused, as on every channel.
    opening = Window.objects.get(election=day.election, code="O")
    refused = client.post(_form_url(day), {"window": opening.pk, "staff_member": "3"})
    assert refused.status_code == 200 and Checkin.objects.count() == 1
