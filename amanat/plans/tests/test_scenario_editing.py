"""Scenarios, their indicators and playbook steps edited on pages by the roles that own
them: national scenarios by national roles, a county's by its committee; each change
audited with before and after; out of reach is 404 and writes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amanat.audit.models import Event
from amanat.incidents.models import Category
from amanat.plans import playbooks, services
from amanat.plans.models import Indicator, IndicatorKind, Scenario
from amanat.plans.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db


def _national(world: World) -> Scenario:
    return services.scenario_create(
        code="wave", threat=world.threat("vote_buying"), title="موج خرید رأی", actor=None,
        playbook=playbooks.build("wave", "x", [("police", "گشت")]),
        indicators_=[services.IndicatorSpec(kind=IndicatorKind.OPEN_SERIOUS_CASES,
                                            threshold=3)])


def test_a_county_committee_builds_its_own_scenario(world: World) -> None:
    governor = client_for(world.personas.gharchak_governor)
    url = reverse("plans:county_scenario_new", args=[world.geo.gharchak.pk])
    assert governor.get(url).status_code == 200
    threat = world.threat("station_unrest")
    response = governor.post(url, {
        "code": "market-unrest", "title": "ناآرامی بازار", "threat": threat.pk,
        "description": "", "alert_roles": ["governor", "security_committee"],
        "first_step_agency": world.agency("police").pk, "first_step": "استقرار گشت"})
    assert response.status_code == 302
    scenario = Scenario.objects.get(code="market-unrest")
    assert scenario.unit == world.geo.gharchak
    # An indicator, then its threshold and window changed.
    response = governor.post(reverse("plans:indicator_new", args=[scenario.pk]), {
        "kind": "reports_per_hour", "category": Category.objects.get(code="vote_buying").pk,
        "threshold": "5", "window_minutes": "30"})
    assert response.status_code == 302
    indicator = Indicator.objects.get(scenario=scenario)
    assert (indicator.threshold, indicator.window_minutes) == (5.0, 30)
    governor.post(reverse("plans:indicator_edit", args=[indicator.pk]), {
        "threshold": "8", "window_minutes": "60", "category": ""})
    indicator.refresh_from_db()
    assert (indicator.threshold, indicator.window_minutes, indicator.category) == (8.0, 60, None)
    event = Event.objects.get(action="plans.indicator.update")
    assert float(event.before["threshold"]) == 5.0 and float(event.after["threshold"]) == 8.0
    # Steps: one added first, then the original removed; the playbook stays CACAO-shaped.
    governor.post(reverse("plans:step_new", args=[scenario.pk]), {
        "agency": world.agency("election_hq").pk, "name": "اطلاع به ستاد", "position": "1"})
    scenario.refresh_from_db()
    assert [s.name for s in playbooks.ordered_steps(scenario.playbook)] == [
        "اطلاع به ستاد", "استقرار گشت"]
    governor.post(reverse("plans:step_remove", args=[scenario.pk, 2]))
    scenario.refresh_from_db()
    steps = playbooks.ordered_steps(scenario.playbook)
    assert [(s.agent, s.name) for s in steps] == [("election_hq", "اطلاع به ستاد")]
    # The last step cannot go.
    governor.post(reverse("plans:step_remove", args=[scenario.pk, 1]))
    scenario.refresh_from_db()
    assert len(playbooks.ordered_steps(scenario.playbook)) == 1
    removed = Event.objects.get(action="plans.playbook.step_remove")
    assert len(removed.before["steps"]) == 2 and len(removed.after["steps"]) == 1
    # Edit: inactive, other roles.
    governor.post(reverse("plans:scenario_edit", args=[scenario.pk]), {
        "title": "ناآرامی بازار", "description": "بازار روز", "alert_roles": ["governor"]})
    scenario.refresh_from_db()
    assert scenario.active is False and scenario.alert_roles == ["governor"]
    update = Event.objects.get(action="plans.scenario.update")
    assert update.before["active"] is True and update.after["active"] is False
    page = governor.get(reverse("plans:scenario", args=[scenario.pk])).content.decode()
    assert 'data-testid="scenario-edit"' in page and 'data-testid="inactive"' in page


def test_out_of_reach_is_404_and_writes_nothing(world: World) -> None:
    national = _national(world)
    kerman = services.scenario_create(
        code="k", threat=world.threat("vote_buying"), title="کرمان", actor=None,
        unit=world.geo.kerman_county,
        playbook=playbooks.build("k", "x", [("police", "گشت")]))
    governor = client_for(world.personas.gharchak_governor)
    before = Event.objects.count()
    # A county governor reads the national scenario but does not edit it.
    page = governor.get(reverse("plans:scenario", args=[national.pk])).content.decode()
    assert 'data-testid="scenario-edit"' not in page
    indicator = national.indicators.get()
    for url, data in (
            (reverse("plans:scenario_edit", args=[national.pk]), {"title": "x"}),
            (reverse("plans:indicator_edit", args=[indicator.pk]), {"threshold": "1",
                                                                   "window_minutes": "1"}),
            (reverse("plans:step_new", args=[national.pk]), {"name": "x"}),
            (reverse("plans:step_remove", args=[national.pk, 1]), {}),
            (reverse("plans:scenario_edit", args=[kerman.pk]), {"title": "x"}),
            (reverse("plans:indicator_new", args=[kerman.pk]), {"kind": "x"}),
            (reverse("plans:county_scenario_new", args=[world.geo.kerman_county.pk]), {}),
            (reverse("plans:scenario_new"), {})):
        assert governor.post(url, data).status_code == 404, url
    # Only refusals were recorded.
    assert set(Event.objects.order_by("seq")[before:].values_list("action", flat=True)) <= {
        "access.denied"}
    national.refresh_from_db()
    assert national.title == "موج خرید رأی" and indicator.threshold == 3
    # The national administrator edits the national scenario.
    admin = client_for(world.personas.admin)
    assert admin.get(reverse("plans:scenario_new")).status_code == 200
    response = admin.post(reverse("plans:scenario_edit", args=[national.pk]), {
        "title": "موج خرید رأی", "description": "", "alert_roles": ["governor"],
        "active": "on"})
    assert response.status_code == 302


def test_bad_input_is_refused_and_nothing_stored(world: World) -> None:
    national = _national(world)
    admin = client_for(world.personas.admin)
    response = admin.post(reverse("plans:indicator_new", args=[national.pk]), {
        "kind": "open_serious_cases", "threshold": "0", "window_minutes": "60"})
    assert response.status_code == 200 and "threshold" in response.context["form"].errors
    response = admin.post(reverse("plans:scenario_new"), {
        "code": "wave", "title": "x", "threat": world.threat("vote_buying").pk,
        "alert_roles": ["governor"], "first_step_agency": world.agency("police").pk,
        "first_step": "x"})
    assert response.status_code == 200 and response.context["form"].errors
    assert Scenario.objects.count() == 1 and Indicator.objects.count() == 1
