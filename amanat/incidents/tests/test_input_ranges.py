"""Identifiers, numbers and dates sent to the incidents app are checked before they are
stored or put into a query (issue 11, §3): a 4xx that names the field, never a 500."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from amanat.core.errors import RuleError
from amanat.incidents import services
from amanat.incidents.models import Case, Category, Referral, Report
from amanat.incidents.tests.conftest import World, client_for
from amanat.incidents.tests.test_intake import api_post

pytestmark = pytest.mark.django_db

MAP_DATA = "/incidents/map/data/"
TEXT = "پول در ازای رأی"


# --- API: unit_id -------------------------------------------------------------------------


@pytest.mark.parametrize("unit_id", [9_223_372_036_854_775_808, 10**30, -1, 0])
def test_a_report_with_a_unit_id_no_column_holds_is_refused(world: World, unit_id: int
                                                            ) -> None:
    response = api_post(world, {"category": "VB", "unit_id": unit_id, "text": TEXT}, "k-1")
    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "unit_id"
    assert error["code"] and error["message"]
    assert not Report.objects.exists()


def test_a_report_at_a_unit_that_does_not_exist_names_the_id(world: World) -> None:
    response = api_post(world, {"category": "VB", "unit_id": 987_654, "text": TEXT}, "k-2")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "unit_id" and "۹۸۷۶۵۴" in error["message"]  # Persian digits
    assert not Report.objects.exists()


def test_a_report_at_a_province_is_refused(world: World) -> None:
    body = {"category": "VB", "unit_id": world.geo.tehran.pk, "text": TEXT}
    response = api_post(world, body, "k-3", user=world.personas.admin)
    assert response.status_code == 422
    assert not Report.objects.exists()
    with pytest.raises(RuleError):
        services.report_receive(channel="web", category=Category.objects.get(code="vote_buying"),
                                text=TEXT, unit=world.geo.iran)


def test_a_report_at_a_county_is_taken(world: World) -> None:
    body = {"category": "VB", "unit_id": world.geo.gharchak.pk, "text": TEXT}
    assert api_post(world, body, "k-4").status_code == 201
    assert Report.objects.get().unit == world.geo.gharchak


# --- query strings: the map's category, the dashboard's unit --------------------------------


@pytest.mark.parametrize("category", ["99999999999999999999", "9223372036854775808", "abc",
                                      "²", "-1", "987654"])
def test_the_map_refuses_a_category_that_is_no_category(world: World, category: str) -> None:
    client = client_for(world.personas.admin)
    response = client.get(MAP_DATA, {"zoom": 5, "category": category})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == "category" and body["code"] == "category" and body["error"]


def test_the_map_filters_by_a_real_category(world: World) -> None:
    client = client_for(world.personas.admin)
    category = Category.objects.get(code="vote_buying")
    response = client.get(MAP_DATA, {"zoom": 5, "category": str(category.pk)})
    assert response.status_code == 200
    assert response.json()["total"] == 0


@pytest.mark.parametrize("unit", ["99999999999999999999", "²", "۱۲۳۴۵۶"])
@pytest.mark.parametrize("url", ["/incidents/dashboard/", "/incidents/"])
def test_pages_answer_404_to_a_unit_that_is_no_unit(world: World, url: str, unit: str) -> None:
    client = client_for(world.personas.admin)
    assert client.get(url, {"unit": unit}).status_code == 404


def test_the_map_page_keeps_only_real_ids_in_its_data_query(world: World) -> None:
    client = client_for(world.personas.admin)
    response = client.get("/incidents/map/", {"category": "²"})
    assert response.status_code == 200
    assert "category" not in response.context["map_config"]["query"]


# --- dates and numbers of case work -------------------------------------------------------


def _assigned_case(world: World) -> Case:
    admin = world.personas.admin
    report = services.report_receive(channel="web", category=world.category("vote_buying"),
                                     text=TEXT, station=world.gharchak_station).report
    case = services.case_open_from_report(report=report, actor=admin)
    services.case_triage(case=case, actor=admin)
    return services.case_assign(case=case, actor=admin)


@pytest.mark.parametrize("typed", ["1304/05/05", "9999/12/29", "2026-02-19"])
def test_a_referral_date_far_from_today_is_refused(world: World, typed: str) -> None:
    case = _assigned_case(world)
    client = client_for(world.personas.admin)
    response = client.post(f"/incidents/cases/{case.pk}/step/refer/",
                           {"office": "دادستانی", "referred_on": typed})
    assert response.status_code == 200  # the form again, with the error on the date
    assert "referred_on" in response.context["form"].errors
    case.refresh_from_db()
    assert case.status == "assigned" and not Referral.objects.exists()


def test_the_refer_service_refuses_a_far_date(world: World) -> None:
    case = _assigned_case(world)
    with pytest.raises(RuleError) as caught:
        services.case_refer(case=case, actor=world.personas.admin, office="دادستانی",
                            referred_on=datetime.date(9999, 12, 31))
    assert caught.value.field == "referred_on"
    case.refresh_from_db()
    assert case.status == "assigned" and not Referral.objects.exists()


@pytest.mark.parametrize("hours", ["99999999999999999999", "2147483648", "0", "100000"])
def test_a_response_target_beyond_a_year_is_refused(world: World, hours: str) -> None:
    category = Category.objects.get(code="vote_buying")
    before = category.response_hours
    client = client_for(world.personas.admin)
    data: dict[str, Any] = {"name_fa": category.name_fa, "name_en": category.name_en,
                            "sms_code": category.sms_code, "agency": category.agency_id,
                            "severity": category.severity, "response_hours": hours,
                            "active": "on"}
    response = client.post(f"/incidents/categories/{category.pk}/", data)
    assert response.status_code == 200
    assert "response_hours" in response.context["form"].errors
    category.refresh_from_db()
    assert category.response_hours == before
    with pytest.raises(RuleError):
        services.category_update(category=category, changes={"response_hours": 10**6},
                                 actor=world.personas.admin)


def test_a_stored_huge_response_target_does_not_break_opening_a_case(world: World) -> None:
    """Opening a case from a category whose target predates the check still works."""
    Category.objects.filter(code="vote_buying").update(response_hours=2**31 - 1)
    client: Client = client_for(world.personas.admin)
    report = services.report_receive(channel="web", category=world.category("vote_buying"),
                                     text=TEXT, station=world.gharchak_station).report
    response = client.post(f"/incidents/reports/{report.pk}/open-case/")
    assert response.status_code == 302
    assert Case.objects.count() == 1
