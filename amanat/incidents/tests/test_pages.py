"""List pages (constant query counts, filters), the category editor, the navbar link."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.audit.models import Event
from amanat.incidents import services
from amanat.incidents.models import Case, Category
from amanat.incidents.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db


def make_cases(world: World, n: int) -> list[Case]:
    admin = world.personas.admin
    cases = []
    for i in range(n):
        station = world.gharchak_station if i % 2 == 0 else world.kerman_station
        report = services.report_receive(channel="web", category=world.category("intimidation"),
                                         text=f"گزارش {i}", station=station, actor=admin).report
        case = services.case_open_from_report(report=report, actor=admin)
        if i % 3 == 0:
            services.case_triage(case=case, actor=admin)
            case = services.case_assign(case=case, actor=admin)
        cases.append(case)
    return cases


def queries(client: Client, url: str, count_queries: Any, **params: Any) -> int:
    return int(count_queries(lambda: client.get(url, params)))


def test_case_list_queries_do_not_grow(world: World, count_queries: Any) -> None:
    admin = client_for(world.personas.admin)
    url = reverse("incidents:cases")
    make_cases(world, 2)
    few = queries(admin, url, count_queries)
    filtered = queries(admin, url, count_queries, status="open", overdue="on")
    make_cases(world, 8)
    assert queries(admin, url, count_queries) == few
    assert queries(admin, url, count_queries, status="open", overdue="on") == filtered


def test_triage_list_queries_do_not_grow(world: World, count_queries: Any) -> None:
    admin = client_for(world.personas.admin)
    url = reverse("incidents:reports")
    for i in range(2):
        services.report_receive(channel="web", category=world.category("other"), text=str(i),
                                station=world.gharchak_station, actor=world.personas.admin)
    few = queries(admin, url, count_queries)
    for i in range(6):
        services.report_receive(channel="web", category=world.category("other"), text=str(i),
                                station=world.kerman_station, actor=world.personas.admin)
    assert queries(admin, url, count_queries) == few


def test_case_list_is_scoped_and_filtered(world: World) -> None:
    cases = make_cases(world, 6)
    governor = client_for(world.personas.gharchak_governor)
    listed = {c.pk for c in governor.get(reverse("incidents:cases")).context["page"]}
    assert listed == {c.pk for c in cases if c.station == world.gharchak_station}
    police_agency = world.category("intimidation").agency
    admin = client_for(world.personas.admin)
    routed = admin.get(reverse("incidents:cases"), {"agency": police_agency.pk})
    assert {c.pk for c in routed.context["page"]} == {c.pk for c in cases if c.agency_id}
    assert client_for(world.personas.outsider).get(reverse("incidents:cases")).status_code == 404


def test_national_admin_edits_a_category_audited(world: World) -> None:
    category = world.category("vote_buying")
    url = reverse("incidents:category_edit", args=[category.pk])
    assert client_for(world.personas.tehran_officer).get(url).status_code == 404
    assert client_for(world.personas.gharchak_governor).post(url, {}).status_code == 404
    admin = client_for(world.personas.admin)
    response = admin.post(url, {
        "name_fa": category.name_fa, "name_en": category.name_en, "sms_code": "VB",
        "agency": category.agency_id, "severity": 4, "response_hours": 6, "active": "on",
    })
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.severity, category.response_hours) == (4, 6)
    event = Event.objects.get(action="incidents.category.update")
    assert event.before == {"response_hours": 24, "severity": 3}
    assert event.after == {"response_hours": 6, "severity": 4}
    bad = admin.post(url, {"name_fa": "", "name_en": "x", "sms_code": "VB",
                           "agency": category.agency_id, "severity": 9, "response_hours": 6})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert Category.objects.get(pk=category.pk).severity == 4


def test_categories_are_seeded(world: World) -> None:
    codes = set(Category.objects.values_list("sms_code", flat=True))
    assert {"VB", "ID", "BT", "CP", "MD", "TH", "OB", "PR", "FI", "SA", "SD", "EF",
            "OT"} <= codes
    assert world.category("online_disinformation").agency.code == "fata"


def test_navbar_links_to_cases_for_those_who_may_see_them(world: World) -> None:
    assert 'data-testid="nav-incidents"' in client_for(
        world.personas.police).get("/").content.decode()
    assert 'data-testid="nav-incidents"' not in client_for(
        world.personas.inspector).get("/").content.decode()


def test_unit_filters_and_evidence_are_fetched_in_scope(world: World) -> None:
    """``?unit=`` on the case list and the dashboard, and evidence downloads, go through the
    scope helpers: a unit out of scope is 404 (it was shown as an empty filter before)
    and a denied evidence download is recorded against the evidence."""
    from amanat.incidents.evidence import check_bytes

    governor = client_for(world.personas.gharchak_governor)
    kerman_county = world.kerman_station.county
    assert governor.get(reverse("incidents:cases"),
                        {"unit": kerman_county.pk}).status_code == 404
    assert governor.get(reverse("incidents:dashboard"),
                        {"unit": kerman_county.pk}).status_code == 404
    own = governor.get(reverse("incidents:cases"), {"unit": world.gharchak_station.county_id})
    assert own.status_code == 200 and own.context["unit"] == world.gharchak_station.county
    report = services.report_receive(
        channel="web", category=world.category("intimidation"), text="مدرک",
        station=world.kerman_station, actor=world.personas.admin,
        evidence=[check_bytes(b"%PDF-1.4 x", "x.pdf")]).report
    evidence = report.evidence.get()
    url = reverse("incidents:evidence", args=[evidence.pk])
    assert governor.post(url).status_code == 404
    denied = Event.objects.filter(action="access.denied",
                                  actor_id=world.personas.gharchak_governor.pk)
    assert ("incidents.evidence", str(evidence.pk)) in {
        (e.object_type, e.object_id) for e in denied}


def test_staff_cannot_tell_a_station_out_of_scope_from_a_missing_one(world: World) -> None:
    inspector = client_for(world.personas.inspector)
    answers = []
    for code in (f"{world.kerman_station.county.code}-{world.kerman_station.code}", "2310-9999"):
        response = inspector.post(reverse("incidents:report_new"), {
            "category": world.category("intimidation").pk, "station_code": code,
            "text": "گزارش"})
        answers.append(response.context["form"].errors["station_code"])
    assert answers[0] == answers[1]
    assert not Event.objects.filter(action="incidents.report.receive").exists()
