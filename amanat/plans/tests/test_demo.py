"""The demo plans: the directive localised by Gharchak (approved, partly complied) and
Kerman (draft); threats and measures in all three phases; two scenarios, one firing in
Gharchak with its playbook in progress; dates from the election, idempotent."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from amanat.councils.tests.test_demo import _unit
from amanat.elections.models import Election
from amanat.plans.demo import seed_demo_plans
from amanat.plans.models import (
    Alert,
    Localisation,
    Measure,
    PlaybookRun,
    Scenario,
    SecurityPlan,
    Threat,
)
from amanat.plans.tests.conftest import seed_categories
from amanat.stations.models import Station

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: None) -> dict[str, Any]:
    seed_categories()
    iran = _unit("country", "IR", "ایران", None)
    tehran = _unit("province", "23", "تهران", iran)
    kerman = _unit("province", "08", "کرمان", iran)
    gharchak = _unit("county", "2321", "قرچک", tehran)
    election = Election.objects.create(
        name="نمونه", slug="demo", election_day=timezone.localdate() + datetime.timedelta(days=45))
    for n in range(4):
        Station.objects.create(election=election, county=gharchak, unit=gharchak,
                               unit_path=gharchak.path, code=f"00{n}", name=f"شعبه {n}")
    return {"election": election, "gharchak": gharchak,
            "kerman": _unit("county", "0808", "کرمان", kerman)}


def _snapshot() -> list[Any]:
    return [*Measure.objects.order_by("pk").values_list("unit__code", "title", "due_on",
                                                        "status"),
            *Localisation.objects.order_by("pk").values_list("unit__code", "status"),
            *Alert.objects.order_by("pk").values_list("unit__code", "value"),
            Threat.objects.count(), Scenario.objects.count()]


def test_demo_plans_tell_the_story_and_are_idempotent(demo: dict[str, Any]) -> None:
    election = demo["election"]
    result = seed_demo_plans(election)
    assert result.scenarios == 2 and result.alerts >= 1
    gharchak = Localisation.objects.get(unit=demo["gharchak"])
    kerman = Localisation.objects.get(unit=demo["kerman"])
    assert (gharchak.status, kerman.status) == ("approved", "draft")
    statuses = set(gharchak.measures.values_list("status", flat=True))
    assert {"done", "planned"} <= statuses
    today = timezone.localdate()
    assert gharchak.measures.overdue(today).exists() and kerman.measures.overdue(today).exists()
    assert set(Measure.objects.filter(unit=demo["gharchak"]).values_list("phase", flat=True)) \
        == {"before", "during", "after"}
    assert Measure.objects.filter(due_on__gte=election.election_day).exists()
    assert not Measure.objects.filter(phase="before", due_on__gte=election.election_day).exists()
    alert = Alert.objects.get(unit=demo["gharchak"])
    assert alert.indicator.scenario.code == "vote-buying-wave" and alert.value >= 3
    run = PlaybookRun.objects.get()
    assert run.status == "running" and run.alert == alert
    assert list(run.steps.values_list("status", flat=True)) == [
        "done", "pending", "pending", "pending"]
    assert SecurityPlan.objects.get().status == "in_review"
    before = _snapshot()
    assert str(seed_demo_plans(election)) == str(type(result)())
    assert _snapshot() == before


def test_demo_dates_follow_the_election(demo: dict[str, Any]) -> None:
    """Moving the election moves the deadlines of the election-day phases with it."""
    election = demo["election"]
    election.election_day += datetime.timedelta(days=30)
    election.save()
    seed_demo_plans(election)
    during = set(Measure.objects.filter(phase="during").values_list("due_on", flat=True))
    assert during == {election.election_day}
