"""Alerts that reach the right official with what they need (user review F2, F9, F21),
through the watch command, the pages and the dashboard's data answer:

* an incident check-in (web, SMS, the simulation's bulk write) raises an incident alert
  at its county, escalated like the others; serious codes are told to the county's
  officials at once; offences become reports in the incidents app, once;
* the dashboard counts them;
* an alert's page shows the station (link, last heard from, last check-in) and its staff,
  their mobiles masked but for the roles that call them, and that read audited;
* the executive board reads the day of its county and changes nothing.
"""

from __future__ import annotations

import datetime
import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.models import Membership, Profile, Role
from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.core import notify
from amanat.core.models import OutboundMessage
from amanat.core.sms import SmsIn, sms_receive
from amanat.elections.posts import StationPost
from amanat.incidents.models import Report
from amanat.operations import services
from amanat.operations.models import Alert, AlertNote, Flag, Window
from amanat.operations.services import BulkCheckin, Values
from amanat.operations.tests.conftest import Day, at
from amanat.staffing.models import Assignment, Person

pytestmark = pytest.mark.django_db

PHONE = "09121110042"


def run(day: Day, clock: str) -> str:
    out = StringIO()
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at(clock).isoformat(), stdout=out)
    return out.getvalue()


def incident(day: Day, station: Any, codes: str, clock: str = "10:00", note: str = "") -> Any:
    window = services.window_for(day.election, "I", at(clock))
    return services.checkin_record(station=station, window=window,
                                   values=Values(incidents=codes, note=note), source="web",
                                   at=at(clock)).checkin


def official(username: str, unit: Any, role: str = Role.GOVERNOR, *, mobile: str = "",
             email: str = "") -> User:
    user = User.objects.create_user(username, email=email)
    Membership.objects.create(user=user, role=role, unit=unit)
    if mobile:
        Profile.objects.create(user=user, mobile=mobile)
    return user


def incident_alerts(day: Day) -> list[Alert]:
    return list(Alert.objects.filter(election=day.election, kind="incident").order_by("pk"))


def staff(day: Day, station: Any, post: str, mobile: str, n: int) -> Person:
    person = Person.objects.create(
        county=station.county, home_unit=station.county, unit_path=station.county.path,
        national_id=f"{n:010d}", first_name="نفر", last_name=f"شماره {n}", mobile=mobile)
    Assignment.objects.create(election=day.election, station=station, county=station.county,
                              unit_path=station.unit_path, post=post, slot=1, person=person)
    return person


# -- F2: incident check-ins reach the county ---------------------------------------------

def test_a_serious_incident_raises_a_county_alert_tells_the_officials_and_opens_a_report(
        day: Day, small_geo: Any) -> None:
    official("gharchak_gov", small_geo.gharchak, mobile="09120000001", email="gov@g.example")
    official("tehran_gov", small_geo.tehran, mobile="09120000002")
    checkin = incident(day, day.gharchak_station, "VB EF", note="پول در صف")
    out = run(day, "10:01")
    assert "incidents: 1" in out and "reports: 1" in out
    (alert,) = incident_alerts(day)
    assert (alert.checkin_id, alert.station_id, alert.county_id, alert.level, alert.state) == (
        checkin.pk, day.gharchak_station.pk, small_geo.gharchak.pk, "county", "open")
    # The county's official is told at once, in Persian, with what was reported.
    messages = OutboundMessage.objects.filter(purpose="operations.alert")
    assert sorted(messages.values_list("to", flat=True)) == ["09120000001", "gov@g.example"]
    sms = messages.get(to="09120000001").text
    assert "خرید و فروش رأی" in sms and "۰۰۴۲" in sms
    # Vote buying is an offence: one raw report in the incidents app, for triage;
    # equipment failure is the headquarters' own matter: none.
    (report,) = Report.objects.all()
    assert (report.category.sms_code, report.station_id, report.channel, report.election_id) == (
        "VB", day.gharchak_station.pk, "web", day.election.pk)
    assert "پول در صف" in report.text
    assert Event.objects.filter(action="incidents.report.receive",
                                object_id=str(report.pk)).exists()
    # A second run raises, tells and reports nothing more.
    out = run(day, "10:02")
    assert "incidents: 0" in out and "reports: 0" in out
    assert len(incident_alerts(day)) == 1 and Report.objects.count() == 1
    assert messages.count() == 2
    # Nobody acknowledged it: it goes to the province like a silent alert.
    run(day, "10:31")
    alert.refresh_from_db()
    assert alert.level == "province"
    assert OutboundMessage.objects.filter(to="09120000002").exists()


def test_a_minor_incident_is_listed_but_neither_pushed_nor_reported(
        day: Day, small_geo: Any) -> None:
    official("gharchak_gov", small_geo.gharchak, mobile="09120000001")
    incident(day, day.gharchak_station, "EF")
    run(day, "10:01")
    assert len(incident_alerts(day)) == 1
    assert not OutboundMessage.objects.filter(purpose="operations.alert").exists()
    assert not Report.objects.exists()


def test_an_incident_by_sms_reaches_the_county_and_its_report_keeps_the_sender(
        day: Day, settings: Any) -> None:
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, PHONE, 1)
    now = timezone.now()
    Window.objects.filter(election=day.election, code="I").update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        row = sms_receive(SmsIn(message_id="k-incident-1", sender=PHONE, receiver="3000",
                                text="I#2310-0042#TH")).row
    assert row.outcome == "accepted", row.reply
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 (now + datetime.timedelta(minutes=1)).isoformat(), stdout=StringIO())
    (alert,) = incident_alerts(day)
    assert alert.county_id == day.gharchak_station.county_id
    (report,) = Report.objects.all()
    assert (report.channel, report.category.sms_code, report.contact) == ("sms", "TH", PHONE)
    notify.outbox.clear()


def test_incidents_of_the_bulk_write_are_alerted_too(day: Day) -> None:
    window = services.window_for(day.election, "I", at("11:00"))
    rules = list(services.QualityRule.objects.filter(active=True))
    services.checkins_bulk_record(election=day.election, rules=rules, items=[
        BulkCheckin(day.gharchak_station, window, Values(incidents="BT"), "api", at=at("11:00")),
        BulkCheckin(day.kerman_station, window, Values(incidents="EF"), "sms", at=at("11:00")),
    ])
    run(day, "11:01")
    assert {a.station_id for a in incident_alerts(day)} == {day.gharchak_station.pk,
                                                          day.kerman_station.pk}
    assert list(Report.objects.values_list("category__sms_code", "channel")) == [("BT", "api")]


def test_the_dashboard_counts_incidents_in_scope(day: Day, personas: Any) -> None:
    incident(day, day.gharchak_station, "VB")
    incident(day, day.gharchak_station, "EF", clock="10:05")
    incident(day, day.kerman_station, "OB")
    run(day, "10:06")
    alert = Alert.objects.filter(kind="incident", station=day.kerman_station).get()
    services.alert_close(alert=alert, actor=personas.kerman_governor, note="رسیدگی شد")
    admin = sign_in(Client(), personas.admin)
    national = admin.get(reverse("operations:dashboard_unit",
                                 args=[day.gharchak_station.county.parent.parent_id])
                         + "data/").json()
    assert (national["totals"]["incidents"], national["totals"]["incidents_open"]) == (3, 2)
    by_province = {row["id"]: row["incidents"] for row in national["rows"]}
    assert by_province[day.gharchak_station.county.parent_id] == 2
    governor = sign_in(Client(), personas.gharchak_governor)
    county = governor.get(reverse("operations:dashboard_data",
                                  args=[day.gharchak_station.county_id])).json()
    assert county["totals"]["incidents"] == 2
    assert [row["incidents"] for row in county["rows"]] == [2]
    page = governor.get(reverse("operations:dashboard_unit",
                                args=[day.gharchak_station.county_id]))
    assert 'data-testid="total-incidents"' in page.content.decode()
    # Another county's figures stay out of reach.
    assert governor.get(reverse("operations:dashboard_data",
                                args=[day.kerman_station.county_id])).status_code == 404


def test_the_alert_pages_show_what_the_incident_was(day: Day, personas: Any) -> None:
    incident(day, day.gharchak_station, "VB", note="پول در صف")
    run(day, "10:01")
    (alert,) = incident_alerts(day)
    governor = sign_in(Client(), personas.gharchak_governor)
    listing = governor.get(reverse("operations:alerts") + "?kind=incident").content.decode()
    assert f'href="{reverse("operations:alert", args=[alert.pk])}"' in listing
    assert "Vote buying" in listing or "خرید و فروش رأی" in listing
    page = governor.get(reverse("operations:alert", args=[alert.pk])).content.decode()
    report = Report.objects.get()
    assert reverse("incidents:report", args=[report.pk]) in page
    assert "پول در صف" in page
    # Another county's governor: 404.
    other = sign_in(Client(), personas.kerman_governor)
    assert other.get(reverse("operations:alert", args=[alert.pk])).status_code == 404


# -- F9: a silent alert gives the official what to act on ---------------------------------

@pytest.fixture
def silent(day: Day) -> Alert:
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, PHONE, 1)
    staff(day, day.gharchak_station, StationPost.MEMBER, "09121110043", 2)
    window = services.window_for(day.election, "O", at("07:00"))
    services.checkin_record(
        station=day.gharchak_station, window=window, source="web", at=at("07:00"),
        values=Values(staff={"representative": 1, "member": 4, "inspector": 1},
                      cameras=True, network=True, materials=True))
    run(day, "08:05")
    return Alert.objects.get(kind="silent", station=day.gharchak_station)


def test_a_silent_alert_shows_the_station_its_last_word_and_masked_staff(
        silent: Alert, personas: Any) -> None:
    governor = sign_in(Client(), personas.gharchak_governor)
    page = governor.get(reverse("operations:alert", args=[silent.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("operations:station_day", args=[silent.station_id]) in html
    # Last heard from: 07:00 Tehran time on 1405/03/22, in Jalali with Persian digits.
    assert "۱۴۰۵/۰۳/۲۲ ۰۷:۰۰" in html
    assert 'data-testid="alert-last"' in html
    staff_html = html.split('data-testid="alert-staff"')[1].split("</ul>")[0]
    assert staff_html.count('data-testid="alert-staff-row"') == 2
    assert PHONE not in html and "۰۹۱۲۱۱۱۰۰۴۲" not in html
    assert "۰۹۱۲****۰۴۲" in staff_html
    assert 'data-testid="reveal"' in html
    assert not Event.objects.filter(action="operations.alert.staff_read").exists()


def test_the_governor_reveals_the_phones_and_the_read_is_audited(
        silent: Alert, personas: Any) -> None:
    governor = sign_in(Client(), personas.gharchak_governor)
    page = governor.post(reverse("operations:alert", args=[silent.pk]), {"reveal": "1"})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="tel:{PHONE}"' in html
    event = Event.objects.get(action="operations.alert.staff_read")
    assert event.actor_id == personas.gharchak_governor.pk
    assert event.object_id == str(silent.pk)


def test_roles_that_only_read_see_masked_phones_and_cannot_reveal(
        silent: Alert, personas: Any, small_geo: Any) -> None:
    board = official("gharchak_board", small_geo.gharchak, Role.EXECUTIVE_BOARD)
    for user in (board, personas.auditor):
        client = sign_in(Client(), user)
        page = client.post(reverse("operations:alert", args=[silent.pk]), {"reveal": "1"})
        html = page.content.decode()
        assert page.status_code == 200
        assert PHONE not in html and 'data-testid="reveal"' not in html
    assert not Event.objects.filter(action="operations.alert.staff_read").exists()
    # Out of scope is 404, reveal or not.
    other = sign_in(Client(), personas.kerman_governor)
    assert other.post(reverse("operations:alert", args=[silent.pk]),
                      {"reveal": "1"}).status_code == 404
    assert not Event.objects.filter(action="operations.alert.staff_read").exists()


# -- F21: the executive board reads the day of its county ---------------------------------

def test_the_executive_board_reads_election_day_and_changes_nothing(
        silent: Alert, day: Day, small_geo: Any) -> None:
    board = sign_in(Client(), official("gharchak_board", small_geo.gharchak,
                                       Role.EXECUTIVE_BOARD))
    county = day.gharchak_station.county_id
    for url in (reverse("operations:dashboard"),
                reverse("operations:dashboard_unit", args=[county]),
                reverse("operations:dashboard_data", args=[county]),
                reverse("operations:station_day", args=[day.gharchak_station.pk]),
                reverse("operations:alerts"),
                reverse("operations:alert", args=[silent.pk]),
                reverse("operations:flags")):
        assert board.get(url).status_code == 200, url
    # Its home page leads there.
    assert 'data-testid="home-operations"' in board.get("/", follow=True).content.decode()
    # Another county: 404.
    assert board.get(reverse("operations:station_day",
                             args=[day.kerman_station.pk])).status_code == 404
    assert board.get(reverse("operations:dashboard_data",
                             args=[day.kerman_station.county_id])).status_code == 404
    # Handling alerts and checking stations in stay with the governor's office.
    assert board.post(reverse("operations:alert_acknowledge",
                              args=[silent.pk])).status_code == 404
    assert board.post(reverse("operations:alert_note", args=[silent.pk]),
                      {"text": "x"}).status_code == 404
    assert board.get(reverse("operations:checkin",
                             args=[day.gharchak_station.pk])).status_code == 404
    silent.refresh_from_db()
    assert silent.state == "open"
    assert not AlertNote.objects.filter(alert=silent, author__isnull=False).exists()


def test_the_dashboard_data_answer_stays_json(day: Day, personas: Any) -> None:
    governor = sign_in(Client(), personas.gharchak_governor)
    answer = governor.get(reverse("operations:dashboard_data",
                                  args=[day.gharchak_station.county_id]))
    assert answer.status_code == 200
    json.loads(answer.content)


def test_a_flag_links_its_station_day_too(day: Day, personas: Any) -> None:
    window = services.window_for(day.election, "T1", at("10:00"))
    services.checkin_record(station=day.gharchak_station, window=window,
                            values=Values(voters=900), source="web", at=at("10:00"))
    flag = Flag.objects.get()
    page = sign_in(Client(), personas.gharchak_governor).get(
        reverse("operations:flag", args=[flag.pk])).content.decode()
    assert reverse("operations:station_day", args=[day.gharchak_station.pk]) in page


def test_a_report_the_incidents_app_refuses_holds_up_neither_the_others_nor_the_watch(
        day: Day, monkeypatch: Any) -> None:
    from amanat.core.errors import RuleError
    from amanat.incidents import services as incident_services

    receive = incident_services.report_receive

    def refusing(**kwargs: Any) -> Any:
        if kwargs["category"].sms_code == "VB":
            raise RuleError("refused", code="refused")
        return receive(**kwargs)

    monkeypatch.setattr(incident_services, "report_receive", refusing)
    incident(day, day.gharchak_station, "VB TH")
    assert "reports: 1" in run(day, "10:01")
    assert list(Report.objects.values_list("category__sms_code", flat=True)) == ["TH"]
    # Once the incidents app takes it, the next run stores the one left.
    monkeypatch.setattr(incident_services, "report_receive", receive)
    assert "reports: 1" in run(day, "10:02")
    assert Report.objects.count() == 2
