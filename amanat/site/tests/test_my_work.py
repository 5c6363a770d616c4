"""The signed-in home ("my work"): each role's own items, rolled up for national and
provincial users, links only to pages the role can open, constant queries."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amanat.accounts.testing import sign_in
from amanat.incidents import services as incidents
from amanat.incidents.models import Case
from amanat.site.tests.conftest import Office, _case, _report
from amanat.stations.models import Cctv
from amanat.stations.tests.conftest import make_station

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = sign_in(Client(), user)
    client.get("/")
    return client


def _html(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _main_links(html: str) -> list[str]:
    main = html[html.index('<main id="main"'):html.index("</main>")]
    return sorted({href.replace("&amp;", "&") for href in re.findall(r'href="([^"#]+)"', main)
                   if href.startswith("/")})


def test_county_governor_sees_his_own_work_only(office: Office):
    html = _html(_client(office.personas.gharchak_governor))
    assert office.gharchak_report.reference in html
    assert office.kerman_report.reference not in html
    assert f'href="/incidents/cases/{office.late_case.pk}/"' in html
    assert f'href="/incidents/cases/{office.kerman_case.pk}/"' not in html
    assert f'href="/councils/meetings/{office.meeting.pk}/"' in html
    assert "آمادگی شعب حساس" in html  # the next meeting's agenda
    assert "اعلام وضعیت فیبر" in html  # due in three days
    assert "قطعی شدن شعب" not in html  # due in twenty
    assert "گشت در محدوده شعب" in html  # the measure due this week
    assert 'data-testid="rollup"' not in html


def test_county_governor_figures_count_his_county(office: Office):
    response = _client(office.personas.gharchak_governor).get("/")
    work = response.context["work"]
    assert (work.total.untriaged, work.total.overdue, work.total.no_cctv,
            work.total.no_fibre, work.total.actions_due) == (1, 1, 1, 1, 1)
    html = response.content.decode()
    assert 'data-testid="figure-overdue"' in html
    assert "<bdi" in html  # references read left to right inside Persian text


def test_national_user_sees_provinces_worst_first(office: Office):
    response = _client(office.personas.admin).get("/")
    work = response.context["work"]
    assert work.rollup_kind == "province"
    assert [a.unit.code for a in work.areas] == ["23", "8"]  # Tehran has the late case
    tehran, kerman = work.areas
    assert (tehran.overdue, tehran.untriaged, tehran.no_cctv) == (1, 1, 1)
    assert (kerman.overdue, kerman.untriaged, kerman.no_cctv) == (0, 1, 1)
    assert tehran.next_meeting == office.meeting.held_on
    html = response.content.decode()
    assert f"/incidents/?unit={office.geo.tehran.pk}&amp;status=open&amp;overdue=on" in html
    assert f"/stations/?cctv=none&amp;province={office.geo.kerman_province.pk}" in html


def test_provincial_user_sees_counties(office: Office):
    work = _client(office.personas.tehran_officer).get("/").context["work"]
    assert work.rollup_kind == "county"
    assert [a.unit.code for a in work.areas] == ["2310"]
    assert work.total.untriaged == 1
    assert office.kerman_report not in work.reports


def test_agency_officer_sees_only_cases_routed_to_his_agency(office: Office):
    client = _client(office.personas.police)
    work = client.get("/").context["work"]
    assert not work.sees_reports and not work.sees_meetings
    assert work.cases == []  # the late case is not routed yet
    incidents.case_triage(case=office.late_case, actor=office.personas.admin)
    incidents.case_assign(case=Case.objects.get(pk=office.late_case.pk),
                          actor=office.personas.admin)
    work = client.get("/").context["work"]
    assert [c.pk for c in work.cases] == [office.late_case.pk]
    assert [m.text for m in work.measures] == ["گشت در محدوده شعب"]


def test_roles_without_work_see_what_to_do(office: Office):
    html = _html(_client(office.personas.outsider))
    assert 'data-testid="no-work"' in html
    inspector = _html(_client(office.personas.inspector))
    assert 'data-testid="reports"' not in inspector  # inspectors do not triage
    assert 'data-testid="figure-no-cctv"' in inspector


@pytest.mark.parametrize("persona", ["admin", "tehran_officer", "gharchak_governor",
                                     "kerman_governor", "police", "inspector", "auditor",
                                     "outsider"])
def test_every_link_on_the_home_page_opens_for_its_persona(office: Office, persona: str):
    client = _client(getattr(office.personas, persona))
    links = _main_links(_html(client))
    assert links
    for link in links:
        status = client.get(link).status_code
        assert status == 200, (persona, link, status)


def test_home_queries_do_not_grow_with_the_country(office: Office, count_queries):
    client = _client(office.personas.admin)
    before = count_queries(lambda: client.get("/"))
    now = timezone.now()
    for i in range(6):
        unit = office.geo.kerman_county if i % 2 else office.geo.gharchak
        _case(unit, f"پرونده {i}", "vote_buying", now - datetime.timedelta(days=i))
        _report(unit, f"گزارش {i}")
        make_station(office.election, unit, f"{unit.code}-9{i:03d}", cctv=Cctv.NONE)
    assert count_queries(lambda: client.get("/")) == before
    assert _client(office.personas.admin).get("/").context["work"].total.untriaged == 8


def test_a_station_edit_shows_on_the_next_home_page(office: Office,
                                                    django_capture_on_commit_callbacks):
    from django.db import transaction

    from amanat.core import changes
    from amanat.stations.models import Station

    client = _client(office.personas.gharchak_governor)
    assert client.get("/").context["work"].total.no_cctv == 1
    station = Station.objects.get(code="2310-0001")
    # What station_update does: change the row, announce it in the same transaction.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Station.objects.filter(pk=station.pk).update(cctv=Cctv.LIVE)
        changes.announce(changes.StationChanged(station_id=station.pk))
    assert client.get("/").context["work"].total.no_cctv == 0
