"""No stored value can take a page down (issue 11, §3).

Input is checked before it is stored, but rows arrive in other ways too (an older
version, the admin shell, a restore, SQLite's indifference to column widths).  These
tests store extreme values straight into the database, past every check, and then render
every list, detail and edit page, export and map data endpoint of stations, incidents,
councils, atlas, elections and geography for a national and a county user: each must
answer 200, and an export must carry every row.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from amanat.accounts.models import Agency
from amanat.accounts.testing import Personas, sign_in
from amanat.atlas import recompute as atlas
from amanat.atlas.models import Assessment, TierThreshold, UnitScore
from amanat.councils import services as councils
from amanat.councils.models import ActionItem, AgendaItem, Council, Decision, Meeting
from amanat.elections.models import Election, Milestone, MilestoneCode, Phase, PhaseKind
from amanat.geo.models import AdminUnit
from amanat.incidents import services as incidents
from amanat.incidents.models import Case, CaseStep, Category, Channel, Referral, Report
from amanat.lib.limits import BIGINT_MAX, INT_MAX, SMALLINT_MAX
from amanat.stations.models import Station
from amanat.stations.tests.conftest import make_station

FAR_FUTURE = datetime.date(9999, 12, 31)
FAR_PAST = datetime.date(1, 1, 1)
LAST_MOMENT = datetime.datetime.max.replace(tzinfo=datetime.UTC)
FIRST_MOMENT = datetime.datetime.min.replace(tzinfo=datetime.UTC)
# SQLite stores any text in any column and any 64-bit integer in any integer column;
# PostgreSQL holds each column to its declared width.
SQLITE = connection.vendor == "sqlite"
LONG = 20_000


def big(column_max: int) -> int:
    return BIGINT_MAX if SQLITE else column_max


def long_text(max_length: int | None = None) -> str:
    length = LONG if SQLITE or max_length is None else max_length
    return ("ک" * 9 + " ") * (length // 10)


@dataclass
class Poisoned:
    personas: Personas
    geo: Any
    election: Election
    stations: list[Station]
    case: Case
    report: Report
    council: Council
    meeting: Meeting
    action: ActionItem
    category: Category


def _stations(election: Election, geo: Any) -> list[Station]:
    """Five Gharchak stations, each carrying another set of extremes."""
    g = geo.gharchak
    stations = [
        make_station(election, g, code, unit=geo.gharchak_city, cctv="live", cameras=1,
                     fibre="planned", fibre_date=datetime.date(2026, 3, 1),
                     latitude=35.4, longitude=51.5, expected_voters=100)
        for code in ("901", "902", "903", "904", "905")
    ]
    Station.objects.filter(pk=stations[0].pk).update(
        fibre_date=FAR_FUTURE, expected_voters=big(INT_MAX), capacity=big(INT_MAX),
        cameras=big(SMALLINT_MAX), latitude=90.0, longitude=180.0,
    )
    Station.objects.filter(pk=stations[1].pk).update(
        fibre_date=FAR_PAST, expected_voters=0, capacity=0, cameras=0,
        latitude=-90.0, longitude=-180.0, name="", address="", h3_cell="",
    )
    Station.objects.filter(pk=stations[2].pk).update(
        latitude=1e308, longitude=-1e308, name=long_text(200), address=long_text(500),
        route=long_text(), sensitivity_reason=long_text(), closed_reason=long_text(),
        sensitive=True, status="closed", h3_cell="not-a-cell",
    )
    Station.objects.filter(pk=stations[3].pk).update(
        latitude=math.inf, longitude=-math.inf, code="X" * (LONG if SQLITE else 20),
    )
    # Every enumeration outside its choices (the fields' lengths hold "bogus").
    Station.objects.filter(pk=stations[4].pk).update(
        venue="bogus", kind="bogus", cctv="bogus", fibre="bogus", status="bogus",
    )
    return stations


def _incidents(geo: Any, personas: Personas, station: Station) -> tuple[Case, Report, Category]:
    category = Category.objects.get(code="vote_buying")
    received = incidents.report_receive(channel=Channel.WEB, category=category,
                                        text="گزارش", station=station)
    case = incidents.case_open_from_report(report=received.report, actor=personas.admin)
    case = incidents.case_triage(case=case, actor=personas.admin)
    case = incidents.case_assign(case=case, actor=personas.admin)
    case = incidents.case_refer(case=case, actor=personas.admin, office="دادستانی",
                                referred_on=datetime.date(2026, 2, 1))
    Case.objects.filter(pk=case.pk).update(
        opened_at=FIRST_MOMENT, due_at=LAST_MOMENT, locked_until=LAST_MOMENT,
        summary=long_text(), outcome="",
    )
    Referral.objects.filter(case=case).update(referred_on=FAR_FUTURE, office=long_text(200),
                                              their_reference="")
    CaseStep.objects.filter(case=case).update(at=LAST_MOMENT)
    # A status outside the choices, on a second case and on a step of the first.
    other = incidents.case_open_from_report(
        report=incidents.report_receive(channel=Channel.WEB, category=category, text="دوم",
                                        station=station).report, actor=personas.admin)
    Case.objects.filter(pk=other.pk).update(status="bogus")
    step = CaseStep.objects.filter(case=case).order_by("pk").last()
    CaseStep.objects.filter(pk=step.pk).update(to_status="bogus")
    # Reports are append-only: the extremes come as new rows.
    for moment in (FIRST_MOMENT, LAST_MOMENT):
        Report.objects.create(
            reference=f"R-POISON{moment.year:04d}", channel=Channel.API, station=station,
            unit=geo.gharchak_city, unit_path=geo.gharchak_city.path, category=category,
            text=long_text(), text_normalized=long_text(), contact=long_text(200),
            received_at=moment,
        )
    Category.objects.filter(pk=category.pk).update(response_hours=big(INT_MAX),
                                                   position=big(SMALLINT_MAX), name_en="")
    return case, received.report, category


def _councils(geo: Any, personas: Personas, case: Case) -> tuple[Council, Meeting, ActionItem]:
    admin = personas.admin
    council = councils.council_create(unit=geo.gharchak, kind="security_council",
                                      name="شورای تأمین", actor=admin)
    meeting = councils.meeting_create(council=council, held_on=datetime.date(2026, 2, 1),
                                      actor=admin)
    decision = councils.decision_add(meeting=meeting, text="تصمیم", actor=admin)
    action = councils.action_item_add(decision=decision, text="اقدام", actor=admin,
                                      owner=Agency.objects.get(code="police"),
                                      due_on=datetime.date(2026, 3, 1))
    Meeting.objects.filter(pk=meeting.pk).update(held_on=FAR_FUTURE, number=big(INT_MAX),
                                                 minutes=long_text(), place="")
    AgendaItem.objects.filter(meeting=meeting).update(order=big(INT_MAX), title=long_text(300))
    Decision.objects.filter(pk=decision.pk).update(number=big(INT_MAX), text=long_text())
    ActionItem.objects.filter(pk=action.pk).update(due_on=FAR_PAST, closed_at=LAST_MOMENT)
    return council, meeting, action


def _atlas(geo: Any, personas: Personas, election: Election) -> None:
    Assessment.objects.create(
        election=election, agency=Agency.objects.get(code="police"), county=geo.gharchak,
        score=5, justification=long_text(), assessed_on=FAR_PAST, author=personas.admin,
    )
    TierThreshold.objects.create(election=election, tier1_min=1e308, tier2_min=-1e308,
                                 tier3_min=0.0)


def _calendar(election: Election) -> None:
    Milestone.objects.create(election=election, code=MilestoneCode.FIBRE_STATUS_DUE,
                             name="فیبر", due=FAR_PAST, phase=PhaseKind.BEFORE)
    Milestone.objects.create(election=election, code="far", name=long_text(200),
                             due=FAR_FUTURE, phase=PhaseKind.AFTER)
    Phase.objects.create(election=election, kind=PhaseKind.BEFORE, start=FAR_PAST,
                         end=FAR_FUTURE)
    Election.objects.create(name="", slug="far-future", election_day=FAR_FUTURE)
    Election.objects.create(name=long_text(200), slug="far-past", election_day=FAR_PAST)


@pytest.fixture
def poisoned(small_geo: Any, personas: Personas, settings: Any, tmp_path: Any) -> Poisoned:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    election = Election.objects.create(name="انتخابات ۱۴۰۵", slug="poison-1405",
                                       election_day=timezone.localdate())
    stations = _stations(election, small_geo)
    case, report, category = _incidents(small_geo, personas, stations[0])
    council, meeting, action = _councils(small_geo, personas, case)
    _atlas(small_geo, personas, election)
    _calendar(election)
    AdminUnit.objects.filter(pk=small_geo.villages[0].pk).update(
        population=big(INT_MAX), latitude=1e308, longitude=-1e308, name=long_text(200))
    AdminUnit.objects.filter(pk=small_geo.villages[1].pk).update(
        latitude=math.inf, longitude=math.nan, name="")
    return Poisoned(personas, small_geo, election, stations, case, report, council, meeting,
                    action, category)


def _pages(w: Poisoned) -> Iterator[str]:
    """Pages every persona with a view of stations, cases and councils may open."""
    g, e = w.geo, w.election.slug
    yield from ["/", "/stations/", f"/stations/?election={e}&sort=-voters",
                f"/stations/?election={e}&sort=name", f"/stations/?election={e}&fibre=planned",
                f"/stations/?election={e}&sort=-updated&page=2",
                "/stations/readiness/", f"/stations/readiness/county/{g.gharchak.pk}/",
                "/stations/map/", "/stations/map/data/?zoom=5",
                "/stations/map/data/?zoom=14&bbox=-180,-90,180,90", "/stations/map/data/?zoom=14"]
    for station in w.stations:
        yield f"/stations/{station.pk}/"
        yield f"/stations/{station.pk}/edit/"
    for case in Case.objects.all():
        yield f"/incidents/cases/{case.pk}/"
    yield from ["/incidents/", "/incidents/?status=open", f"/incidents/cases/{w.case.pk}/",
                "/incidents/reports/", f"/incidents/reports/{w.report.pk}/",
                "/incidents/dashboard/", f"/incidents/dashboard/?unit={g.gharchak.pk}",
                f"/incidents/?unit={g.gharchak.pk}",
                "/incidents/map/", "/incidents/map/data/?zoom=5",
                "/incidents/map/data/?zoom=14&bbox=-180,-90,180,90", "/incidents/map/data/?zoom=14",
                f"/incidents/map/data/?zoom=5&category={w.category.pk}",
                f"/incidents/cases/{w.case.pk}/step/resolve/"]
    for report in Report.objects.filter(reference__startswith="R-POISON"):
        yield f"/incidents/reports/{report.pk}/"
    # The public status of every report with a case (one in a status outside the choices).
    for reference in Report.objects.filter(case_link__isnull=False).values_list(
            "reference", flat=True):
        yield f"/report/status/?reference={reference}"
    yield from ["/councils/", f"/councils/{w.council.pk}/", f"/councils/meetings/{w.meeting.pk}/",
                f"/councils/meetings/{w.meeting.pk}/edit/",
                f"POST /councils/meetings/{w.meeting.pk}/agenda.pdf", "/councils/actions/",
                "/councils/actions/?status=all&overdue=1",
                f"/councils/{w.council.pk}/meetings/new/"]
    yield from ["/atlas/", f"/atlas/?election={e}", "/atlas/compare/",
                f"/atlas/county/{g.gharchak.pk}/"]
    yield from ["/elections/", f"/elections/{e}/", "/elections/far-future/",
                "/elections/far-past/", "/geo/", "/geo/search/?q=%DA%A9",
                "/report/", f"/report/status/?reference={w.report.reference}"]


def _national_pages(w: Poisoned) -> Iterator[str]:
    """Pages of national roles only (the ministry's administrator)."""
    g, e = w.geo, w.election.slug
    yield from ["/incidents/categories/", f"/incidents/categories/{w.category.pk}/",
                "/atlas/thresholds/", f"/atlas/province/{g.tehran.pk}/",
                f"/atlas/county/{g.gharchak.pk}/tier/", f"/atlas/county/{g.gharchak.pk}/assess/",
                "/audit/",
                *(f"/geo/unit/{u.pk}/" for u in AdminUnit.objects.all())]
    for milestone in Milestone.objects.filter(election=w.election):
        yield f"/elections/{e}/milestones/{milestone.pk}/edit/"


def _strict_json(text: str) -> Any:
    """JSON as a browser reads it: no NaN or Infinity."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _failures(client: Client, urls: Iterator[str]) -> list[str]:
    failed = []
    for url in urls:
        # Audited downloads are POST ("POST /path"); every other page a GET.
        method, _, path = url.rpartition(" ")
        try:
            response = client.post(path) if method == "POST" else client.get(path)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
        except Exception as error:
            failed.append(f"{url}: {type(error).__name__}: {error}"[:300])
            continue
        if response.status_code != 200:
            failed.append(f"{url}: {response.status_code}")
        elif response.get("Content-Type", "").startswith("application/json"):
            try:
                _strict_json(response.content.decode())
            except ValueError as error:
                failed.append(f"{url}: {error}")
    return failed


def _client(user: Any) -> Client:
    client = sign_in(Client(), user)
    client.get("/")
    return client


@pytest.mark.parametrize("persona", ["admin", "gharchak_governor"])
def test_every_page_renders_whatever_is_stored(poisoned: Poisoned, persona: str) -> None:
    client = _client(getattr(poisoned.personas, persona))
    pages = list(_pages(poisoned))
    if persona == "admin":
        pages += _national_pages(poisoned)
    failed = _failures(client, iter(pages))
    response = client.post(f"/atlas/county/{poisoned.geo.gharchak.pk}/atlas.pdf")
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        failed.append(f"atlas.pdf: {response.status_code}")
    assert not failed, "\n".join(failed)


def test_the_api_answers_with_a_token_whatever_is_stored(poisoned: Poisoned) -> None:
    from amanat.accounts import services as accounts

    admin = poisoned.personas.admin
    _, token = accounts.api_token_issue(user=admin, name="t", ttl_days=1, actor=admin)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    urls = ["/api/v1/stations/", "/api/v1/stations/?page_size=500", "/api/v1/me",
            *(f"/api/v1/stations/{s.pk}" for s in poisoned.stations),
            *(f"/api/v1/units/{u.pk}" for u in AdminUnit.objects.all())]
    failed = _failures(client, iter(urls))
    assert not failed, "\n".join(failed)


def test_exports_carry_every_row_whatever_is_stored(poisoned: Poisoned) -> None:
    client = _client(poisoned.personas.gharchak_governor)
    total = Station.objects.filter(county=poisoned.geo.gharchak).count()
    response = client.post("/stations/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == total + 1  # the header, then every station
    dates = {row[0]: row for row in rows}
    assert dates
    response = client.post("/stations/export.xlsx")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    assert len(list(sheet.iter_rows())) == total + 1


def test_the_atlas_recomputes_whatever_is_stored(poisoned: Poisoned) -> None:
    """One station's implausible counts must not stop the recompute for every county."""
    atlas.atlas_recompute(election=poisoned.election)
    score = UnitScore.objects.get(election=poisoned.election, unit=poisoned.geo.gharchak)
    assert 0 <= score.voters <= INT_MAX
    client = _client(poisoned.personas.admin)
    g = poisoned.geo
    failed = _failures(client, iter([
        "/atlas/", f"/atlas/province/{g.tehran.pk}/", f"/atlas/county/{g.gharchak.pk}/",
        "/atlas/compare/", f"/stations/{poisoned.stations[0].pk}/",
    ]))
    response = client.post(f"/atlas/county/{g.gharchak.pk}/atlas.pdf")
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        failed.append(f"atlas.pdf: {response.status_code}")
    assert not failed, "\n".join(failed)


# --- hostile query strings on list, map and dashboard pages ------------------------------

HOSTILE = ["99999999999999999999", "9223372036854775808", "-1", "0", "²", "۱۲", "1e400",
           "nan", "", "1304/05/05", "9999/12/29", "x" * 300,
           "a\x00b"]  # NUL: PostgreSQL cannot compare text holding it
FILTERS = {
    "/stations/": ["province", "county", "page", "sort", "election", "q"],
    "/stations/map/data/": ["province", "county", "zoom", "bbox"],
    "/stations/readiness/": ["election"],
    "/incidents/": ["category", "agency", "unit", "page", "status"],
    "/incidents/reports/": ["page"],
    "/incidents/dashboard/": ["unit"],
    "/incidents/map/": ["category", "open"],
    "/incidents/map/data/": ["category", "zoom", "bbox"],
    "/councils/": ["page"],
    "/councils/actions/": ["status", "page", "overdue"],
    "/atlas/": ["election"],
    "/atlas/compare/": ["from", "to", "election"],
    "/audit/": ["unit", "since", "until", "page", "object_id"],
    "/geo/": ["page"],
    "/geo/search/": ["q", "kind"],
}


def test_list_map_and_dashboard_filters_never_answer_a_server_error(poisoned: Poisoned
                                                                    ) -> None:
    client = _client(poisoned.personas.admin)
    client.raise_request_exception = False
    failed = []
    for url, names in FILTERS.items():
        for name in names:
            for value in HOSTILE:
                response = client.get(url, {name: value})
                if response.status_code >= 500:
                    failed.append(f"{url}?{name}={value[:30]}: {response.status_code}")
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("value", [FAR_FUTURE, FAR_PAST, LAST_MOMENT, FIRST_MOMENT,
                                   datetime.datetime.max, datetime.datetime.min])
def test_the_date_filters_show_any_stored_value(value: Any) -> None:
    from django.utils import translation

    from amanat.core.templatetags.persian import jdate, jdate_long, jdatetime_filter

    for language in ("fa", "en"):
        with translation.override(language):
            assert jdate(value) and jdate_long(value) and jdatetime_filter(value)
