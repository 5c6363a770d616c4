"""The councils pages as each persona sees them: scope, forms, action items, counts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from amanat.accounts.models import Agency
from amanat.audit.models import Event
from amanat.councils import services
from amanat.councils.models import ActionItem, AgendaItem, Council, Meeting
from amanat.councils.tests.conftest import DAY, World, client_for

pytestmark = pytest.mark.django_db


def _meeting(world: World, council: Council | None = None, days: int = 0) -> Meeting:
    return services.meeting_create(council=council or world.gharchak,
                                   held_on=DAY + datetime.timedelta(days=days),
                                   actor=world.personas.admin)


def _action(world: World, meeting: Meeting, owner: str = "police", days: int = 3,
            text: str = "گشت شبانه") -> ActionItem:
    decision = services.decision_add(meeting=meeting, text="تشدید گشت", actor=world.personas.admin)
    return services.action_item_add(decision=decision, text=text,
                                    owner=Agency.objects.get(code=owner),
                                    due_on=meeting.held_on + datetime.timedelta(days=days),
                                    actor=world.personas.admin)


def test_council_list_is_scoped(world: World) -> None:
    page = client_for(world.personas.gharchak_governor).get(reverse("councils:list"))
    assert page.status_code == 200
    names = [c.name for c in page.context["page"]]
    assert names == [world.gharchak.name]
    names = [c.name for c in client_for(world.personas.kerman_governor).get(
        reverse("councils:list")).context["page"]]
    assert names == [world.kerman.name]
    assert len(client_for(world.personas.admin).get(
        reverse("councils:list")).context["page"]) == 3
    for who in (world.personas.police, world.personas.inspector, world.personas.outsider):
        assert client_for(who).get(reverse("councils:list")).status_code == 404


def test_kerman_governor_gets_404_on_gharchak(world: World) -> None:
    meeting = _meeting(world)
    kerman = client_for(world.personas.kerman_governor)
    for url in (reverse("councils:council", args=[world.gharchak.pk]),
                reverse("councils:meeting_new", args=[world.gharchak.pk]),
                reverse("councils:meeting", args=[meeting.pk]),
                reverse("councils:meeting_edit", args=[meeting.pk]),
                reverse("councils:agenda_add", args=[meeting.pk])):
        assert kerman.get(url).status_code == 404, url
    assert kerman.post(reverse("councils:agenda_pdf", args=[meeting.pk])).status_code == 404
    response = kerman.post(reverse("councils:meeting_new", args=[world.gharchak.pk]),
                           {"held_on": "1404/11/20"})
    assert response.status_code == 404
    assert Meeting.objects.filter(council=world.gharchak).count() == 1
    assert Event.objects.filter(action="access.denied").exists()


def test_creating_a_meeting_through_the_form_puts_serious_cases_on_it(world: World) -> None:
    serious = world.open_case(world.geo.gharchak_city)
    world.open_case(world.geo.gharchak_city, "other")
    client = client_for(world.personas.gharchak_governor)
    url = reverse("councils:meeting_new", args=[world.gharchak.pk])
    response = client.post(url, {"held_on": "۱۴۰۴/۱۱/۱۲", "starts_at": "۰۹:۳۰",
                                 "place": "فرمانداری", "attendees": "فرماندار\nفرمانده انتظامی"})
    meeting = Meeting.objects.get(council=world.gharchak)
    assert response.status_code == 302 and response["Location"] == reverse(
        "councils:meeting", args=[meeting.pk])
    assert meeting.held_on == DAY and meeting.starts_at == datetime.time(9, 30)
    assert meeting.attendee_list() == ["فرماندار", "فرمانده انتظامی"]
    assert [i.case_id for i in meeting.agenda.all()] == [serious.pk]
    page = client.get(response["Location"])
    assert serious.number in page.content.decode()
    assert reverse("incidents:case", args=[serious.pk]) in page.content.decode()
    assert "۱۲ بهمن ۱۴۰۴" in page.content.decode()


def test_a_bad_date_is_refused_and_nothing_changes(world: World) -> None:
    client = client_for(world.personas.gharchak_governor)
    response = client.post(reverse("councils:meeting_new", args=[world.gharchak.pk]),
                           {"held_on": "1404/12/31"})
    assert response.status_code == 200
    assert "اسفند" in response.content.decode()  # the month named in the Persian error
    assert not Meeting.objects.exists()


def test_meeting_page_marks_carried_serious_cases_and_overdue_actions(world: World) -> None:
    case = world.open_case(world.geo.gharchak_city)
    _meeting(world)
    meeting = _meeting(world, days=7)
    overdue = _action(world, meeting, days=1)
    on_time = _action(world, meeting, days=3650, text="آموزش")
    page = client_for(world.personas.gharchak_governor).get(
        reverse("councils:meeting", args=[meeting.pk]))
    html = page.content.decode()
    assert 'data-testid="carried"' in html and f'data-case="{case.number}"' in html
    assert html.count('data-overdue="1"') == 1
    assert overdue.text in html and on_time.text in html


def test_agenda_decision_action_and_minutes_forms(world: World) -> None:
    meeting = _meeting(world)
    minor = world.open_case(world.geo.gharchak_city, "other")
    kerman_case = world.open_case(world.geo.villages[0])
    client = client_for(world.personas.gharchak_governor)
    url = reverse("councils:agenda_add", args=[meeting.pk])
    assert client.post(url, {"case_number": minor.number.lower()}).status_code == 302
    refused = client.post(url, {"case_number": kerman_case.number})
    assert refused.status_code == 200 and "error-case_number" in refused.content.decode()
    assert client.post(url, {}).status_code == 200
    assert client.post(url, {"title": "هماهنگی صندوق‌های سیار"}).status_code == 302
    assert [i.title.split(" ·")[0] for i in meeting.agenda.all()] == [
        minor.number, "هماهنگی صندوق‌های سیار"]

    item = AgendaItem.objects.get(meeting=meeting, case=minor)
    response = client.post(reverse("councils:decision_add", args=[meeting.pk]),
                           {"agenda_item": item.pk, "text": "پیگیری فوری"})
    assert response.status_code == 302
    decision = meeting.decisions.get()
    assert decision.agenda_item == item and decision.number == 1
    police = Agency.objects.get(code="police")
    response = client.post(reverse("councils:action_add", args=[decision.pk]),
                           {"text": "گزارش به دادستانی", "owner": police.pk,
                            "due_on": "1404/11/20"})
    assert response.status_code == 302
    action = decision.actions.get()
    assert action.owner == police and action.due_on == datetime.date(2026, 2, 9)

    response = client.post(reverse("councils:meeting_edit", args=[meeting.pk]),
                           {"held_on": "1404/11/12", "status": "held",
                            "minutes": "جلسه با حضور اعضا برگزار شد", "attendees": "فرماندار"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.minutes.startswith("جلسه")
    event = Event.objects.get(action="councils.meeting.update")
    assert event.after is not None and event.after["status"] == "held"
    assert {"councils.agenda.add", "councils.decision.add", "councils.action.add"} <= set(
        Event.objects.values_list("action", flat=True))


def test_auditor_reads_but_cannot_write(world: World) -> None:
    meeting = _meeting(world)
    auditor = client_for(world.personas.auditor)
    assert auditor.get(reverse("councils:meeting", args=[meeting.pk])).status_code == 200
    assert auditor.get(reverse("councils:meeting_edit", args=[meeting.pk])).status_code == 404
    assert auditor.post(reverse("councils:agenda_add", args=[meeting.pk]),
                        {"title": "x"}).status_code == 404
    assert not meeting.agenda.exists()


def test_agency_officer_sees_and_updates_only_own_agency_actions(world: World) -> None:
    gharchak_meeting = _meeting(world)
    mine = _action(world, gharchak_meeting, owner="police")
    other_agency = _action(world, gharchak_meeting, owner="fata", text="پایش فضای مجازی")
    kerman = _action(world, _meeting(world, world.kerman), owner="police", text="گشت کرمان")
    police = client_for(world.personas.police)
    page = police.get(reverse("councils:actions"))
    assert [a.pk for a in page.context["page"]] == [mine.pk]
    assert page.context["changeable"] == {mine.pk}
    assert 'data-testid="nav-councils"' in page.content.decode()
    for item in (other_agency, kerman):
        response = police.post(reverse("councils:action_status", args=[item.pk]),
                               {"status": "done"})
        assert response.status_code == 404
    response = police.post(reverse("councils:action_status", args=[mine.pk]),
                           {"status": "done", "note": "گشت انجام شد",
                            "next": reverse("councils:actions")})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.done_note) == ("done", "گشت انجام شد")
    assert ActionItem.objects.filter(status="open").count() == 2
    assert police.get(reverse("councils:meeting", args=[gharchak_meeting.pk])).status_code == 404


def test_a_refused_status_change_shows_why(world: World) -> None:
    item = _action(world, _meeting(world))
    client = client_for(world.personas.gharchak_governor)
    response = client.post(reverse("councils:action_status", args=[item.pk]),
                           {"status": "cancelled"}, follow=True)
    assert "دلیل لغو" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open"


def _grow(world: World, n: int) -> None:
    start = Council.objects.count()
    for i in range(start, start + n):
        unit = world.geo.gharchak if i % 2 else world.geo.kerman_county
        council = services.council_create(unit=unit, kind="other", name=f"کمیته {i}",
                                          actor=world.personas.admin)
        meeting = _meeting(world, council)
        world.open_case(unit)
        _action(world, meeting)


@pytest.mark.parametrize("url_name", ["councils:list", "councils:actions"])
def test_list_pages_make_a_constant_number_of_queries(world: World, count_queries: Any,
                                                      url_name: str) -> None:
    client = client_for(world.personas.admin)
    url = reverse(url_name)
    _grow(world, 2)
    small = count_queries(lambda: client.get(url))
    _grow(world, 6)
    assert count_queries(lambda: client.get(url)) == small


def test_meeting_page_makes_a_constant_number_of_queries(world: World,
                                                         count_queries: Any) -> None:
    client = client_for(world.personas.admin)
    world.open_case(world.geo.gharchak_city)
    meeting = _meeting(world)
    _action(world, meeting)
    url = reverse("councils:meeting", args=[meeting.pk])
    small = count_queries(lambda: client.get(url))
    for _ in range(5):
        world.open_case(world.geo.gharchak_city)
        _action(world, meeting)
    meeting2 = _meeting(world, days=7)
    for _ in range(5):
        _action(world, meeting2)
    assert meeting2.agenda.count() == 6
    url2 = reverse("councils:meeting", args=[meeting2.pk])
    assert count_queries(lambda: client.get(url2)) == small


def test_a_decision_out_of_scope_is_never_loaded(world: World) -> None:
    """The action form fetches its decision through the scope helper: out of scope is 404,
    nothing is written, and the denied attempt names the decision itself."""
    meeting = _meeting(world)
    decision = services.decision_add(meeting=meeting, text="تشدید گشت",
                                     actor=world.personas.admin)
    kerman = client_for(world.personas.kerman_governor)
    url = reverse("councils:action_add", args=[decision.pk])
    before = ActionItem.objects.count()
    assert kerman.get(url).status_code == 404
    assert kerman.post(url, {"text": "x", "owner": Agency.objects.get(code="police").pk,
                             "due_on": "1404/11/30"}).status_code == 404
    assert ActionItem.objects.count() == before
    denied = Event.objects.filter(action="access.denied",
                                  actor_id=world.personas.kerman_governor.pk)
    assert {(e.object_type, e.object_id) for e in denied} == {
        ("councils.decision", str(decision.pk))}
    missing = reverse("councils:action_add", args=[decision.pk + 1000])
    assert kerman.get(missing).status_code == 404
    assert denied.count() == 2  # a decision that does not exist is no attempt on anything
    assert client_for(world.personas.gharchak_governor).get(url).status_code == 200
