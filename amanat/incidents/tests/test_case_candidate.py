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
    # The review page draws the cases in place: htmx asks incidents for the table alone.
    review = governor.get(reverse("candidates_review:review", args=[ours.pk])).content.decode()
    assert 'data-testid="candidate-cases-panel"' in review
    assert f'hx-get="{reverse("incidents:candidate_cases", args=[ours.pk])}"' in review
    table = governor.get(reverse("incidents:candidate_cases", args=[ours.pk]),
                         HTTP_HX_REQUEST="true").content.decode()
    assert case.number in table and "<html" not in table
    assert 'data-testid="candidate-case-table"' in table


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


def _member(username: str, role: str, unit: Any) -> Any:
    from django.contrib.auth import get_user_model

    from amanat.accounts.models import Membership

    user = get_user_model().objects.create_user(username=username)
    Membership.objects.create(user=user, role=role, unit=unit)
    return user


def test_the_cases_show_only_to_who_sees_both_the_case_and_the_candidate(
        world: World) -> None:
    """A board member sees the candidate, not cases: no cases on the dossier or the review
    page, the cases page 404. The security committee sees the case, not candidates: the
    case says a candidate is named, not who."""
    from amanat.accounts.models import Role

    case, ours, _theirs = _setup(world)
    services.case_candidate_set(case=case, actor=world.personas.admin, candidacy=ours)
    board = client_for(_member("gharchak_board", Role.EXECUTIVE_BOARD, world.geo.gharchak),
                       "en")
    cases_url = reverse("incidents:candidate_cases", args=[ours.pk])
    for name in ("candidates:detail", "candidates_review:review"):
        page = board.get(reverse(name, args=[ours.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert cases_url not in html and "candidate-cases-section" not in html
    assert board.get(cases_url).status_code == 404
    assert board.get(cases_url, HTTP_HX_REQUEST="true").status_code == 404

    committee = client_for(
        _member("gharchak_security", Role.SECURITY_COMMITTEE, world.geo.gharchak), "en")
    page = committee.get(reverse("incidents:case", args=[case.pk])).content.decode()
    assert ours.reference not in page and ours.last_name not in page
    assert "A candidate outside your reach" in page
    assert committee.get(cases_url).status_code == 404
    assert committee.get(reverse("candidates:detail", args=[ours.pk])).status_code == 404
    # The governor sees both: the name on the case.
    governor = client_for(world.personas.gharchak_governor, "en")
    shown = governor.get(reverse("incidents:case", args=[case.pk])).content.decode()
    assert ours.reference in shown and "A candidate outside your reach" not in shown


def test_naming_and_clearing_the_candidate_are_audited(world: World) -> None:
    case, ours, _theirs = _setup(world)
    governor = client_for(world.personas.gharchak_governor, "en")
    url = reverse("incidents:case_candidate", args=[case.pk])
    assert governor.post(url, {"candidacy": ours.pk}).status_code == 302
    assert governor.post(url, {"candidacy": ""}).status_code == 302
    case.refresh_from_db()
    assert case.candidacy_id is None
    events = list(Event.objects.filter(action="incidents.case.candidate").order_by("pk"))
    assert [(e.extra["before"], e.extra["after"]) for e in events] == [
        (None, ours.reference), (ours.reference, None)]
    assert all(e.actor_id == world.personas.gharchak_governor.pk for e in events)
