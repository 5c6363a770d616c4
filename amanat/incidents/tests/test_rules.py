"""Rules of cases and reports: the state machine, outcomes, locks, append-only reports,
duplicate suggestions and the atlas's incident load."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from amanat.audit.models import Event
from amanat.core.errors import RuleError
from amanat.incidents import selectors, services
from amanat.incidents.models import Case, Report, Status
from amanat.incidents.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db


def receive(world: World, text: str = "خرید رأی با پول نقد جلوی در شعبه",
            category: str = "vote_buying", station: Any = None) -> Report:
    return services.report_receive(
        channel="web", category=world.category(category), text=text,
        station=station or world.gharchak_station, actor=world.personas.gharchak_governor,
    ).report


def open_case(world: World, **kwargs: Any) -> Case:
    return services.case_open_from_report(report=receive(world, **kwargs),
                                          actor=world.personas.gharchak_governor)


# --- state machine ------------------------------------------------------------------------


def test_illegal_transitions_are_refused_in_both_languages(world: World) -> None:
    case = open_case(world)
    actor = world.personas.admin
    with pytest.raises(RuleError) as error:
        services.case_refer(case=case, actor=actor, office="دادستانی",
                            referred_on=datetime.date(2026, 6, 1))
    assert error.value.code == "illegal_transition"
    assert "cannot become “Referred”" in error.value.render("en")
    assert "«تازه»" in error.value.render("fa") and "«ارجاع شده»" in error.value.render("fa")
    with pytest.raises(RuleError):
        services.case_assign(case=case, actor=actor)
    case.refresh_from_db()
    assert case.status == Status.NEW
    assert not Event.objects.filter(action__in=["incidents.case.refer",
                                                "incidents.case.assign"]).exists()


def test_closed_cases_do_not_move(world: World) -> None:
    case = open_case(world)
    actor = world.personas.admin
    services.case_dismiss(case=case, actor=actor, outcome="گزارش بی‌پایه بود")
    for step in (services.case_triage, services.case_start):
        with pytest.raises(RuleError):
            step(case=case, actor=actor)
    with pytest.raises(RuleError):
        services.case_attach_report(case=case, report=receive(world), actor=actor)


def test_closing_needs_an_outcome(world: World) -> None:
    case = open_case(world)
    with pytest.raises(RuleError) as error:
        services.case_dismiss(case=case, actor=world.personas.admin, outcome="  ")
    assert error.value.field == "outcome"
    case.refresh_from_db()
    assert case.status == Status.NEW


def test_only_legal_next_steps_are_offered_and_others_refused(world: World) -> None:
    case = open_case(world)
    governor = client_for(world.personas.gharchak_governor)
    page = governor.get(reverse("incidents:case", args=[case.pk]))
    assert [name for name, _label in page.context["steps"]] == ["triage", "dismiss"]
    response = governor.post(reverse("incidents:case_step", args=[case.pk, "resolve"]),
                             {"outcome": "x"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.NEW


def test_due_time_follows_the_category_and_overdue_shows(world: World) -> None:
    case = open_case(world, category="ballot_tampering")
    assert case.due_at - case.opened_at == datetime.timedelta(hours=2)
    assert not case.overdue
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    case.refresh_from_db()
    assert case.overdue
    assert list(Case.objects.overdue()) == [case]
    governor = client_for(world.personas.gharchak_governor)
    listing = governor.get(reverse("incidents:cases"), {"overdue": "on"})
    assert [c.pk for c in listing.context["page"]] == [case.pk]
    assert 'data-testid="overdue"' in listing.content.decode()


# --- locks --------------------------------------------------------------------------------


def test_a_case_under_edit_is_locked_to_its_editor(world: World) -> None:
    case = open_case(world)
    governor, admin = world.personas.gharchak_governor, world.personas.admin
    services.case_lock(case=case, actor=governor)
    with pytest.raises(RuleError) as error:
        services.case_triage(case=case, actor=admin)
    assert error.value.code == "locked"
    assert "gharchak_governor" in error.value.render("en")
    assert "gharchak_governor" in error.value.render("fa")
    # Another user opening the step form is sent back with the holder named.
    admin_client = client_for(admin)
    response = admin_client.post(reverse("incidents:case_step", args=[case.pk, "triage"]),
                                 {"begin": "1"}, follow=True)
    assert "gharchak_governor" in response.content.decode()
    assert 'data-testid="lock-holder"' in response.content.decode()
    # The holder may go on; an expired lock no longer holds anyone back.
    Case.objects.filter(pk=case.pk).update(
        locked_until=timezone.now() - datetime.timedelta(seconds=1))
    services.case_triage(case=case, actor=admin)
    case.refresh_from_db()
    assert case.status == Status.TRIAGED and case.locked_by is None


def test_the_holder_releases_the_lock(world: World) -> None:
    case = open_case(world)
    governor = client_for(world.personas.gharchak_governor)
    governor.post(reverse("incidents:case_step", args=[case.pk, "triage"]), {"begin": "1"})
    case.refresh_from_db()
    assert case.lock_holder() == world.personas.gharchak_governor.pk
    governor.post(reverse("incidents:case_unlock", args=[case.pk]))
    case.refresh_from_db()
    assert case.lock_holder() is None
    assert Event.objects.filter(action="incidents.case.unlock").count() == 1


# --- append-only reports ------------------------------------------------------------------


def test_reports_are_append_only_at_the_database(world: World) -> None:
    report = receive(world)
    report.text = "تغییر"
    with pytest.raises(DatabaseError), transaction.atomic():
        report.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Report.objects.filter(pk=report.pk).update(text="تغییر")
    with pytest.raises(DatabaseError), transaction.atomic():
        Report.objects.filter(pk=report.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_report SET text = 'x'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM incidents_report")
    report.refresh_from_db()
    assert report.text == "خرید رأی با پول نقد جلوی در شعبه"


def test_a_correction_is_a_new_report(world: World) -> None:
    first = receive(world)
    second = services.report_receive(
        channel="web", category=world.category("vote_buying"), text="اصلاح: دو نفر بودند",
        station=world.gharchak_station, actor=world.personas.gharchak_governor, corrects=first,
    ).report
    assert second.pk != first.pk and second.corrects == first
    assert Report.objects.count() == 2


def test_reports_keep_a_normalised_copy_and_the_audit_log_no_text(world: World) -> None:
    report = receive(world, text="رأي با يك شناسنامه ديگر  داده شد")
    assert report.text_normalized == "رای با یک شناسنامه دیگر داده شد"
    event = Event.objects.get(action="incidents.report.receive", object_id=str(report.pk))
    assert "شناسنامه" not in str(event.after) + str(event.extra)
    assert event.extra["text_sha256"]


def test_empty_text_is_refused(world: World) -> None:
    with pytest.raises(RuleError) as error:
        receive(world, text="   ")
    assert error.value.field == "text"
    assert Report.objects.count() == 0


# --- duplicates ---------------------------------------------------------------------------


def test_duplicates_are_suggested_for_similar_reports(world: World) -> None:
    governor = world.personas.gharchak_governor
    case = open_case(world, text="خرید رأی با پول نقد جلوی در شعبه دبستان")
    open_case(world, text="تبلیغ داخل شعبه", category="illegal_campaigning")
    elsewhere = open_case(world, station=world.kerman_station,
                          text="خرید رأی با پول نقد جلوی در شعبه دبستان")
    similar = receive(world, text="جلوي در شعبه دبستان خريد رأي با پول نقد ديدم")
    found = selectors.duplicate_candidates(governor, similar)
    assert [c.pk for c, _score in found] == [case.pk]
    assert elsewhere.pk not in [c.pk for c, _ in found]
    unrelated = receive(world, text="صندوق را عوض کردند")
    assert selectors.duplicate_candidates(governor, unrelated) == []
    page = client_for(governor).get(reverse("incidents:report", args=[similar.pk]))
    assert case.number in page.content.decode()
    # Joining the suggested case.
    client_for(governor).post(reverse("incidents:report_attach", args=[similar.pk]),
                              {"case": case.pk})
    assert case.links.count() == 2
    assert Event.objects.filter(action="incidents.case.attach").count() == 1


def test_old_cases_are_not_suggested(world: World) -> None:
    case = open_case(world)
    Case.objects.filter(pk=case.pk).update(
        opened_at=timezone.now() - datetime.timedelta(hours=49))
    report = receive(world)
    assert selectors.duplicate_candidates(world.personas.admin, report) == []


# --- the atlas's incident load ------------------------------------------------------------


def test_open_case_load_weights_severity_and_decays_closed_cases(world: World) -> None:
    now = timezone.now()
    open_one = open_case(world)  # severity 3, open
    closed = open_case(world, category="station_disorder")  # severity 3
    Case.objects.filter(pk=closed.pk).update(
        status=Status.RESOLVED, closed_at=now - datetime.timedelta(days=7))
    load = selectors.open_case_load(world.election, now=now)
    assert load == {world.gharchak_station.pk: pytest.approx(3 + 3 * 0.5)}
    assert open_one.severity == 3
    Case.objects.filter(pk=closed.pk).update(closed_at=now - datetime.timedelta(days=90))
    assert selectors.open_case_load(world.election, now=now) == {
        world.gharchak_station.pk: pytest.approx(3.0)
    }
