"""The open findings of user review 2 (docs/reviews/2026-12-user2-operations.md), through
the web form, the SMS gateway's get-url view, the field API and the commands:

* F16: a reporter's resent figure supersedes their own held one (its open flags resolved
  as superseded, its quality alert closed with a note by Amanat), never a published one
  nor another reporter's.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.audit.services import audit_chain_problem
from amanat.intake.tests.conftest import group_commit  # noqa: F401  (a fixture)
from amanat.intake.tests.test_checkins import field  # noqa: F401  (a fixture)
from amanat.operations.models import Alert, AlertNote, Checkin, Flag, StationDay
from amanat.operations.tests.test_opsverify import verify_json

pytestmark = pytest.mark.django_db


def _watch(day: Any) -> None:
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 timezone.now().isoformat(), stdout=io.StringIO())


def _day_row(day: Any) -> StationDay:
    return StationDay.objects.get(station=day.gharchak_station)


def _states(*checkins: Any) -> list[str]:
    return [Checkin.objects.get(pk=getattr(c, "pk", c)).state for c in checkins]


def _dashboard(day: Any, personas: Any, unit: Any) -> dict[str, Any]:
    """The Tehran dashboard's row of Gharchak county, as the page polls it."""
    client = sign_in(Client(), personas.admin)
    answer = client.get(reverse("operations:dashboard_data", args=[unit.pk])
                        + f"?election={day.election.slug}")
    assert answer.status_code == 200
    (row,) = answer.json()["rows"]
    return dict(row)


def _flag_states(checkin: Any) -> list[str]:
    return sorted(Flag.objects.filter(checkin_id=getattr(checkin, "pk", checkin))
                  .values_list("state", flat=True))


# -- F16 on the web form -------------------------------------------------------------------

def _web(client: Client, day: Any, voters: str, window: str = "T1") -> Checkin:
    before = set(Checkin.objects.values_list("pk", flat=True))
    answer = client.post(reverse("operations:checkin", args=[day.gharchak_station.pk]),
                         {"window": day.windows[window].pk, "voters": voters})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return Checkin.objects.exclude(pk__in=before).get()


def test_a_resent_web_turnout_supersedes_the_reporters_held_one(
        day: Any, personas: Any) -> None:
    from amanat.operations.tests.test_sms_checkins import open_now

    open_now(day, "T1", "T2")
    inspector = sign_in(Client(), personas.inspector)
    published = _web(inspector, day, "300", "T2")  # another window, published
    first = _web(inspector, day, "1200")  # 800 registered: held
    assert first.state == "quarantined" and _day_row(day).flagged == 1
    _watch(day)  # the governor gets a quality alert for it
    (alert,) = Alert.objects.filter(kind="quality")
    assert alert.state == "open"

    second = _web(inspector, day, "1100")  # still above: held, supersedes the first
    assert second.state == "quarantined"
    assert _states(first) == ["superseded"] and _flag_states(first) == ["superseded"]
    assert _flag_states(second) == ["open"]
    alert.refresh_from_db()
    assert alert.state == "closed" and alert.closed_by is None
    (note,) = AlertNote.objects.filter(alert=alert)
    assert note.author is None and "دوباره فرستاد" in note.text
    row = _day_row(day)
    assert row.flagged == 1 and row.voters == 300  # the published figure as it was
    tehran = day.gharchak_station.county.parent
    shown = _dashboard(day, personas, tehran)
    assert (shown["voters"], shown["flagged"]) == (300, 1)

    told = inspector.post(reverse("operations:checkin", args=[day.gharchak_station.pk]),
                          {"window": day.windows["T1"].pk, "voters": "700"}, follow=True)
    third = Checkin.objects.order_by("-pk").first()  # the right figure: published
    assert third is not None
    replaced = str(second.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"شمارهٔ {replaced} را می‌گیرد" in told.content.decode()
    assert third.state == "accepted"
    assert _states(first, second, published) == ["superseded", "superseded", "accepted"]
    row = _day_row(day)
    assert row.flagged == 0 and row.voters == 700
    shown = _dashboard(day, personas, tehran)
    assert (shown["voters"], shown["flagged"]) == (700, 0)
    _watch(day)  # no new alert for what was superseded
    assert list(Alert.objects.filter(kind="quality").values_list("state", flat=True)) == [
        "closed"]
    # Audited: the resend names what it superseded, each supersession its own entry.
    receive = Event.objects.filter(action="operations.checkin.receive",
                                   object_id=str(second.pk)).get()
    assert receive.extra["superseded"] == [first.pk]
    supersede = Event.objects.get(action="operations.checkin.supersede",
                                  object_id=str(first.pk))
    assert supersede.actor_name == "amanat" and supersede.extra["by"] == second.pk
    assert supersede.extra["alerts"] == [alert.pk]
    assert Event.objects.filter(action="operations.alert.close",
                                object_id=str(alert.pk)).count() == 1
    assert audit_chain_problem() is None
    # The reconciliation reads the supersession from the log: the check-ins and the
    # stations' days agree with it (``open_now`` moved the windows behind the log's back).
    report = verify_json()[1]
    assert [m for m in report["mismatches"] if m["kind"] != "window"] == []

    # The superseded flag's page says so; verifying it is refused.
    governor = sign_in(Client(), personas.gharchak_governor)
    flag = Flag.objects.get(checkin=first)
    page = governor.get(reverse("operations:flag", args=[flag.pk]))
    assert page.status_code == 200
    assert "نیازی به تصمیم ندارد" in page.content.decode()


def test_another_reporters_held_figure_is_not_superseded(day: Any, personas: Any) -> None:
    from amanat.operations.tests.test_sms_checkins import open_now

    open_now(day, "T1")
    governor = sign_in(Client(), personas.gharchak_governor)
    inspector = sign_in(Client(), personas.inspector)
    theirs = _web(governor, day, "1200")
    mine = _web(inspector, day, "1150")
    again = _web(inspector, day, "1100")
    assert _states(theirs, mine, again) == ["quarantined", "superseded", "quarantined"]
    assert "superseded" not in _flag_states(theirs) and "open" in _flag_states(theirs)
    assert _day_row(day).flagged == Flag.objects.filter(state="open").count()


def test_a_published_figure_is_never_superseded(day: Any, personas: Any) -> None:
    from amanat.operations.tests.test_sms_checkins import open_now

    open_now(day, "T1")
    inspector = sign_in(Client(), personas.inspector)
    published = _web(inspector, day, "300")
    held = _web(inspector, day, "1200")
    again = _web(inspector, day, "1250")
    assert _states(published, held, again) == ["accepted", "superseded", "quarantined"]
    row = _day_row(day)
    assert row.voters == 300 and row.flagged == 1


def test_a_resent_closing_supersedes_the_reporters_held_one(day: Any, personas: Any) -> None:
    from amanat.operations.tests.test_sms_checkins import open_now

    open_now(day, "C")
    inspector = sign_in(Client(), personas.inspector)
    url = reverse("operations:checkin", args=[day.gharchak_station.pk])
    for total in ("1200", "700"):  # 800 registered: the first is held
        answer = inspector.post(url, {"window": day.windows["C"].pk, "total": total})
        assert answer.status_code == 302, answer.content.decode()[:2000]
    held, right = Checkin.objects.order_by("pk")
    assert (held.state, right.state) == ("superseded", "accepted")
    row = _day_row(day)
    assert row.total == 700 and row.flagged == 0


# -- F16 by SMS ---------------------------------------------------------------------------

@pytest.fixture
def sms_two(day: Any, settings: Any) -> None:
    from amanat.core import notify
    from amanat.elections.posts import StationPost
    from amanat.operations.tests.test_sms_checkins import open_now, staff

    settings.AMANAT_KANNEL_SECRET = "s3cret"
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    staff(day, day.gharchak_station, StationPost.REPRESENTATIVE, "09121110042", 1)
    staff(day, day.gharchak_station, StationPost.MEMBER, "09121110043", 2)
    open_now(day, "T1")


def test_a_resent_sms_turnout_supersedes_the_senders_held_one(
        day: Any, sms_two: Any) -> None:
    from amanat.operations.tests.test_user2 import _kannel

    station = f"{day.gharchak_station.county.code}-{day.gharchak_station.code}"
    member = _kannel(Client(), f"T1#{station}#990", "+989121110043", "f16-m1")
    assert member.outcome == "accepted"
    first = _kannel(Client(), f"T1#{station}#900", "+989121110042", "f16-1")
    assert "دوباره بفرستید" in first.reply
    _watch(day)
    assert Alert.objects.filter(kind="quality", state="open").count() == 2
    # The same message delivered twice: one check-in, nothing superseded.
    _kannel(Client(), f"T1#{station}#900", "+989121110042", "f16-1")
    assert Checkin.objects.count() == 2
    for n, voters in enumerate(("950", "960", "970")):
        row = _kannel(Client(), f"T1#{station}#{voters}", "+989121110042", f"f16-{n + 2}")
    mine = list(Checkin.objects.filter(sender="09121110042").order_by("pk"))
    # The last reply says which held figure it replaces.
    replaced = str(mine[2].pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"جای گزارش نگه‌داشته‌شدهٔ شمارهٔ {replaced} را می‌گیرد" in row.reply, row.reply
    theirs = Checkin.objects.get(sender="09121110043")
    assert [c.state for c in mine] == ["superseded"] * 3 + ["quarantined"]
    assert theirs.state == "quarantined" and _flag_states(theirs) == ["open"]
    _watch(day)
    # The governor has the member's alert and the latest resend's, not one per resend.
    assert Alert.objects.filter(kind="quality").exclude(state="closed").count() == 2
    assert _day_row(day).flagged == Flag.objects.filter(state="open").count() == 2


# -- F16 on the field API (the intake's batches) ------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("group_commit")
def test_a_resent_api_turnout_supersedes_the_devices_held_one(
        field: Any) -> None:  # noqa: F811
    from amanat.intake.tests.test_checkins import TURNOUT, post

    def sent(token: str, voters: int, key: str) -> int:
        answer = post(token, {**TURNOUT, "voters": voters}, key)
        assert answer.status == 201, answer.content
        return int(answer.json()["id"])

    governor = field.token_for(field.personas.gharchak_governor)
    theirs = sent(governor, 990, "g-1")
    first = sent(field.token, 900, "i-1")
    second = sent(field.token, 950, "i-2")
    assert _states(theirs, first, second) == ["quarantined", "superseded", "quarantined"]
    assert set(_flag_states(first)) == {"superseded"}  # above the register, disagreeing
    third = sent(field.token, 600, "i-3")  # within the register, but disputed by theirs
    assert _states(second) == ["superseded"]
    assert "open" in _flag_states(theirs) and "open" in _flag_states(third)
    row = StationDay.objects.get(station=field.day.gharchak_station)
    assert row.flagged == Flag.objects.filter(state="open").count()
    assert row.voters is None  # nothing published while the two reporters disagree
    receive = Event.objects.get(action="operations.checkin.receive", object_id=str(second))
    assert receive.extra["superseded"] == [first]
    assert audit_chain_problem() is None
    # The reconciliation reads the supersession from the log: the check-ins and the
    # stations' days agree with it (``open_now`` moved the windows behind the log's back).
    report = verify_json()[1]
    assert [m for m in report["mismatches"] if m["kind"] != "window"] == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("group_commit")
def test_a_superseded_figure_is_nobodys_to_disagree_with(field: Any) -> None:  # noqa: F811
    from amanat.intake.tests.test_checkins import TURNOUT, post

    typo = post(field.token, {**TURNOUT, "voters": 1200}, "s-1")
    assert typo.json()["state"] == "quarantined"
    right = post(field.token, {**TURNOUT, "voters": 700}, "s-2")
    assert right.json()["state"] == "accepted"
    assert _states(typo.json()["id"]) == ["superseded"]
    governor = field.token_for(field.personas.gharchak_governor)
    same = post(governor, {**TURNOUT, "voters": 700}, "s-3")
    assert same.status == 201 and same.json()["flags"] == [], same.content
    assert StationDay.objects.get(station=field.day.gharchak_station).voters == 700


@pytest.mark.django_db(transaction=True)
def test_a_batch_asks_nothing_more_for_stations_without_open_flags(
        field: Any) -> None:  # noqa: F811
    """The intake's batch looks for held check-ins only at stations that had open flags
    when read or that the batch flagged: none, no query; one, one SELECT."""
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from amanat.intake import checkins
    from amanat.operations import services
    from amanat.operations.models import Window

    windows = {w.code: w for w in Window.objects.filter(election=field.day.election)}
    now = timezone.now()

    def ready(station: Any, voters: int, key: str, seconds: int) -> checkins.Ready:
        prepared = services.checkin_prepare(
            station=station, window=windows["T1"], values=services.Values(voters=voters),
            source="api", actor=field.personas.admin, client_key=key,
            at=now + datetime.timedelta(seconds=seconds))
        return checkins.ready(prepared, StationDay.objects.get(station=station))

    plain = [ready(field.day.gharchak_station, 100, "q1", 0),
             ready(field.day.kerman_station, 50, "q2", 1)]
    with CaptureQueriesContext(connection) as plain_queries:
        checkins.store_many(plain)
    assert not [q for q in plain_queries.captured_queries
                if "operations_checkin" in q["sql"] and q["sql"].startswith("SELECT")]
    held = [ready(field.day.kerman_station, 900, "q3", 2)]
    checkins.store_many(held)
    resend = [ready(field.day.kerman_station, 910, "q4", 3),
              ready(field.day.gharchak_station, 120, "q5", 4)]
    with CaptureQueriesContext(connection) as queries:
        checkins.store_many(resend)
    selects = [q for q in queries.captured_queries
               if "operations_checkin" in q["sql"] and q["sql"].startswith("SELECT")]
    assert len(selects) == 1
    assert _states(Checkin.objects.get(client_key="q3")) == ["superseded"]
    assert StationDay.objects.get(station=field.day.kerman_station).flagged == 1


# -- F16 in the simulation's bulk writes ----------------------------------------------------

def test_a_bulk_resend_from_a_phone_supersedes_and_anonymous_rows_do_not(day: Any) -> None:
    from amanat.operations import services
    from amanat.operations.models import QualityRule
    from amanat.operations.tests.conftest import at

    rules = list(QualityRule.objects.filter(active=True))
    window = day.windows["T1"]

    def bulk(voters: int, sender: str, clock: str) -> None:
        services.checkins_bulk_record(election=day.election, rules=rules, items=[
            services.BulkCheckin(day.gharchak_station, window, services.Values(voters=voters),
                                 "sms", sender, at(clock), simulated=True)])

    bulk(900, "", "10:00")
    bulk(910, "", "10:01")  # nobody's: not superseded
    assert Checkin.objects.filter(state="quarantined").count() == 2
    bulk(920, "09121110042", "10:02")
    bulk(930, "09121110042", "10:03")
    states = list(Checkin.objects.order_by("received_at").values_list("state", flat=True))
    assert states == ["quarantined", "quarantined", "superseded", "quarantined"]
    assert _day_row(day).flagged == Flag.objects.filter(state="open").count() == 3
    entry = Event.objects.filter(action="operations.checkin.bulk").order_by("-seq").first()
    assert entry is not None and entry.extra["superseded"] == [
        Checkin.objects.get(voters=920).pk]


# -- F15: the officials' e-mail and SMS link to the alerts page ------------------------------

from amanat.core.tests.test_notify import smtp_server  # noqa: E402, F401  (a fixture)


def _record(day: Any, code: str, clock: str, station: Any = None, **values: Any) -> Checkin:
    from amanat.operations import services
    from amanat.operations.tests.conftest import at

    window = services.window_for(day.election, code, at(clock))
    return services.checkin_record(station=station or day.gharchak_station, window=window,
                                   values=services.Values(**values), source="web",
                                   at=at(clock)).checkin


def _watch_at(day: Any, clock: str) -> None:
    from django.test import TestCase

    from amanat.operations.tests.conftest import at

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("operations_watch", "--election", day.election.slug, "--now",
                     at(clock).isoformat(), stdout=io.StringIO())


def test_the_alert_email_links_to_the_alerts_page(
        day: Any, small_geo: Any, settings: Any, smtp_server: Any) -> None:  # noqa: F811
    import time

    from amanat.core.models import OutboundMessage
    from amanat.operations.tests.test_watch import official

    settings.AMANAT_PUBLIC_URL = "https://amanat.example.ir"
    official("gharchak_gov", small_geo.gharchak, mobile="09120000011",
             email="gov@example.org")
    _record(day, "T1", "10:00", voters=1200)
    _watch_at(day, "10:01")
    deadline = time.monotonic() + 10
    while not smtp_server.messages:
        assert time.monotonic() < deadline, "no mail at the SMTP server"
        time.sleep(0.02)
    body = smtp_server.messages[0].get_content()
    link = "https://amanat.example.ir" + reverse("operations:alerts")
    assert link in body and "هشدارها را در امانت باز کنید" in body
    sms = OutboundMessage.objects.get(channel="sms", to="09120000011")
    assert sms.text.endswith(link)
    # Nobody acknowledges: the province's message links to the province's alerts.
    official("tehran_gov", small_geo.tehran, email="tehran@example.org")
    _watch_at(day, "10:45")
    escalated = OutboundMessage.objects.get(channel="email", to="tehran@example.org")
    assert f"{link}?level=province" in escalated.text


def test_without_the_public_address_the_email_goes_without_a_link(
        day: Any, small_geo: Any, settings: Any) -> None:
    from amanat.core.models import OutboundMessage
    from amanat.operations.tests.test_watch import official

    settings.AMANAT_PUBLIC_URL = ""
    official("gharchak_gov", small_geo.gharchak, email="gov@example.org")
    _record(day, "T1", "10:00", voters=1200)
    _watch_at(day, "10:01")
    (mail,) = OutboundMessage.objects.filter(channel="email")
    assert "http" not in mail.text and "۱ هشدار تازه" in mail.text


# -- F6: one station is said in the singular -------------------------------------------------

def test_one_station_is_named_in_the_singular_and_many_in_the_plural(
        day: Any, small_geo: Any) -> None:
    from amanat.core.models import OutboundMessage
    from amanat.operations.tests.test_watch import official

    official("gharchak_gov", small_geo.gharchak, mobile="09120000011")
    _record(day, "I", "07:00", incidents="VB")
    _record(day, "T1", "10:00", voters=1200)
    _record(day, "T1", "10:01", voters=1250)  # nobody's (no user, no phone): both held
    _watch_at(day, "10:02")
    texts = list(OutboundMessage.objects.filter(to="09120000011").values_list("text",
                                                                              flat=True))
    serious = next(t for t in texts if "جدی" in t)
    alerts = next(t for t in texts if "جدی" not in t)
    assert "شعبهٔ ۰۰۴۲ رخداد جدی گزارش کرده است" in serious, serious
    # Two alerts of one station: the alerts counted, the one station in the singular.
    assert "۲ هشدار تازهٔ" in alerts and "(شعبهٔ ۰۰۴۲)" in alerts, alerts
    assert "شعب " not in serious + alerts
    # Two stations of the county: the plural.
    other = __import__("amanat.stations.tests.conftest", fromlist=["make_station"]
                       ).make_station(day.election, small_geo.gharchak, "0043",
                                      unit=small_geo.gharchak_city, expected_voters=800)
    from amanat.operations import services
    services.day_prepare(election=day.election)
    _record(day, "T2", "14:00", voters=1300)
    _record(day, "T2", "14:01", station=other, voters=1300)
    _watch_at(day, "14:02")
    latest = OutboundMessage.objects.filter(to="09120000011").order_by("-pk").first()
    assert latest is not None and "شعبه‌های ۰۰۴۲، ۰۰۴۳" in latest.text, latest.text



# -- What the watch derives from simulated check-ins is marked simulated ----------------------

def test_alerts_from_simulated_checkins_are_marked_and_told_as_such(
        day: Any, small_geo: Any, personas: Any) -> None:
    from amanat.core.models import OutboundMessage
    from amanat.operations import services
    from amanat.operations.models import QualityRule
    from amanat.operations.tests.conftest import at
    from amanat.operations.tests.test_watch import official

    official("gharchak_gov", small_geo.gharchak, mobile="09120000011")
    official("kerman_gov", small_geo.kerman_county, mobile="09120000012")
    rules = list(QualityRule.objects.filter(active=True))
    services.checkins_bulk_record(election=day.election, rules=rules, items=[
        services.BulkCheckin(day.gharchak_station, day.windows["T1"],
                             services.Values(voters=1200), "web", "", at("10:00"),
                             simulated=True),
        services.BulkCheckin(day.gharchak_station, day.windows["I"],
                             services.Values(incidents="VB"), "web", "", at("10:00"),
                             simulated=True)])
    _record(day, "T1", "10:00", station=day.kerman_station, voters=900)  # a real one
    _watch_at(day, "10:01")
    marks = dict(Alert.objects.values_list("station_id", "simulated").distinct())
    assert marks == {day.gharchak_station.pk: True, day.kerman_station.pk: False}
    assert Alert.objects.filter(station=day.gharchak_station).count() == 2
    told = list(OutboundMessage.objects.filter(to="09120000011").values_list("text", flat=True))
    assert len(told) == 2 and all(text.startswith("[شبیه‌سازی]") for text in told), told
    (real,) = OutboundMessage.objects.filter(to="09120000012")
    assert "شبیه‌سازی" not in real.text
    governor = sign_in(Client(), personas.gharchak_governor)
    listed = governor.get(reverse("operations:alerts")).content.decode()
    assert listed.count('data-testid="alert-simulated"') == 2
    alert = Alert.objects.filter(station=day.gharchak_station).first()
    assert alert is not None
    page = governor.get(reverse("operations:alert", args=[alert.pk])).content.decode()
    assert 'data-testid="alert-simulated-note"' in page
