"""A campaign violation's case names the candidate (issue 13): a county's staff picks one of
the county's candidates; a candidate of another county is refused; the candidate's cases
page shows it; audited; scoped."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from amanat.audit.models import Event
from amanat.candidates.tests import review_factories as f
from amanat.core.errors import RuleError
from amanat.incidents import services
from amanat.incidents.models import Case
from amanat.incidents.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db


def _setup(world: World) -> tuple[Case, Any, Any]:
    geo = world.geo
    admin = world.personas.admin
    report = services.report_receive(channel="web", category=world.category("other"),
                                     text="تبلیغ غیرمجاز نزدیک شعبه", election=world.election,
                                     station=world.gharchak_station, actor=admin).report
    case = services.case_open_from_report(report=report, actor=admin)
    race = f.contest(world.election)
    ours = f.candidacy(contest=race, constituency=f.constituency(geo.gharchak_city, geo.tehran),
                       county=geo.gharchak, last_name="قرچکی")
    theirs = f.candidacy(contest=race,
                         constituency=f.constituency(geo.kerman_city, geo.kerman_province),
                         county=geo.kerman_county, last_name="کرمانی")
    return case, ours, theirs


def test_the_governor_names_a_county_candidate(world: World) -> None:
    case, ours, theirs = _setup(world)
    governor = client_for(world.personas.gharchak_governor, "en")
    page = governor.get(reverse("incidents:case_candidate", args=[case.pk])).content.decode()
    assert ours.reference in page and theirs.reference not in page
    # A Kerman candidate posted by hand is not a choice: refused, nothing stored.
    response = governor.post(reverse("incidents:case_candidate", args=[case.pk]),
                             {"candidacy": theirs.pk})
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.candidacy_id is None
    response = governor.post(reverse("incidents:case_candidate", args=[case.pk]),
                             {"candidacy": ours.pk, "note": "بنر تبلیغاتی"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.candidacy_id == ours.pk
    event = Event.objects.get(action="incidents.case.candidate")
    assert event.extra["after"] == ours.reference
    assert case.steps.filter(action="candidate").exists()
    shown = governor.get(reverse("incidents:case", args=[case.pk])).content.decode()
    assert ours.reference in shown
    listing = governor.get(reverse("incidents:candidate_cases", args=[ours.pk]))
    assert case.number in listing.content.decode()
    dossier = governor.get(reverse("candidates:detail", args=[ours.pk])).content.decode()
    assert reverse("incidents:candidate_cases", args=[ours.pk]) in dossier


def test_the_service_refuses_a_candidate_of_another_county(world: World) -> None:
    case, _ours, theirs = _setup(world)
    with pytest.raises(RuleError) as caught:
        services.case_candidate_set(case=case, actor=world.personas.admin, candidacy=theirs)
    assert caught.value.code == "other_county"
    case.refresh_from_db()
    assert case.candidacy_id is None


def test_kerman_reaches_neither_the_case_nor_the_candidate(world: World) -> None:
    case, ours, _theirs = _setup(world)
    services.case_candidate_set(case=case, actor=world.personas.admin, candidacy=ours)
    kerman = client_for(world.personas.kerman_governor, "en")
    assert kerman.get(reverse("incidents:case_candidate", args=[case.pk])).status_code == 404
    assert kerman.post(reverse("incidents:case_candidate", args=[case.pk]),
                       {"candidacy": ""}).status_code == 404
    assert kerman.get(reverse("incidents:candidate_cases", args=[ours.pk])).status_code == 404
    case.refresh_from_db()
    assert case.candidacy_id == ours.pk
