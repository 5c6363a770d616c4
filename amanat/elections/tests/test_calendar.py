"""The calendar model, selectors, services and the example seed."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from amanat.elections import services
from amanat.elections.demo import SeedError, seed_example_election
from amanat.elections.models import (
    Contest,
    ContestKind,
    Election,
    Milestone,
    MilestoneCode,
    Phase,
    PhaseKind,
)
from amanat.elections.selectors import milestone_due
from amanat.elections.tests.conftest import LOAD_DAY
from amanat.geo.models import Constituency
from amanat.lib.jalali import from_jalali, to_jalali

pytestmark = pytest.mark.django_db


def test_seed_builds_the_example_election(example: Election, small_geo: Any) -> None:
    # Loaded on 1404/11/20 (a Monday): registration opened six days before and closes
    # that day, election day is the first Friday seven weeks on (1405/01/14).
    assert milestone_due(example, MilestoneCode.REGISTRATION_OPENS) == from_jalali(1404, 11, 14)
    assert milestone_due(example, MilestoneCode.REGISTRATION_CLOSES) == LOAD_DAY
    assert milestone_due(example, MilestoneCode.FIBRE_STATUS_DUE) == from_jalali(1404, 11, 30)
    assert milestone_due(example, MilestoneCode.ELECTION_DAY) == example.election_day
    assert to_jalali(example.election_day) == (1405, 1, 14)
    assert example.election_day.weekday() == 4  # a Friday

    kinds = {c.kind: c for c in example.contests.all()}
    assert set(kinds) == {
        ContestKind.CITY_COUNCIL, ContestKind.VILLAGE_COUNCIL, ContestKind.ASSEMBLY_OF_EXPERTS,
    }
    experts = kinds[ContestKind.ASSEMBLY_OF_EXPERTS]
    assert experts.is_by_election
    (tehran,) = experts.constituencies.all()
    assert tehran.province == small_geo.tehran
    assert set(tehran.counties.all()) == {small_geo.gharchak}

    assert (tehran.kind, tehran.unit, tehran.seats) == ("province", small_geo.tehran, 1)
    # Council constituencies (cities, villages) are the candidates app's loader's to add
    # (amanat/candidates/tests/test_constituencies.py).
    assert not kinds[ContestKind.CITY_COUNCIL].constituencies.exists()

    phases = {p.kind: p for p in example.phases.all()}
    assert phases[PhaseKind.DURING].start == phases[PhaseKind.DURING].end == example.election_day
    assert phases[PhaseKind.BEFORE].start == from_jalali(1404, 11, 14)
    assert phases[PhaseKind.BEFORE].end < example.election_day < phases[PhaseKind.AFTER].start


def test_seed_is_idempotent_and_keeps_edits(example: Election) -> None:
    fibre = example.milestones.get(code=MilestoneCode.FIBRE_STATUS_DUE)
    services.milestone_update(milestone=fibre, due=from_jalali(1404, 11, 25), actor=None)
    counts = (Election.objects.count(), Contest.objects.count(), Phase.objects.count(),
              Milestone.objects.count(), Constituency.objects.count(),
              Constituency.counties.through.objects.count())
    again = seed_example_election(load_day=LOAD_DAY + datetime.timedelta(days=40))
    assert again.pk == example.pk
    assert counts == (Election.objects.count(), Contest.objects.count(), Phase.objects.count(),
                      Milestone.objects.count(), Constituency.objects.count(),
                      Constituency.counties.through.objects.count())
    assert milestone_due(example, MilestoneCode.FIBRE_STATUS_DUE) == from_jalali(1404, 11, 25)


def test_seed_without_geography_refuses_and_writes_nothing() -> None:
    with pytest.raises(SeedError, match="import-geo"):
        seed_example_election()
    assert Election.objects.count() == 0


def test_milestone_due_missing_code_is_an_error(example: Election) -> None:
    with pytest.raises(Milestone.DoesNotExist, match="no_such"):
        milestone_due(example, "no_such")


def test_current_election_is_the_next_one_then_the_latest() -> None:
    old = services.election_create(name="old", slug="old", election_day=datetime.date(2024, 3, 1))
    soon = services.election_create(name="soon", slug="soon",
                                    election_day=datetime.date(2026, 5, 15))
    services.election_create(name="later", slug="later", election_day=datetime.date(2028, 5, 1))
    assert Election.objects.current(today=datetime.date(2026, 2, 9)) == soon
    assert Election.objects.current(today=datetime.date(2026, 5, 15)) == soon
    assert Election.objects.current(today=datetime.date(2030, 1, 1)).slug == "later"
    # Two rounds on one day: the first created among upcoming ones, the last among past.
    twin = services.election_create(name="later 2", slug="later-2",
                                    election_day=datetime.date(2028, 5, 1))
    assert Election.objects.current(today=datetime.date(2027, 1, 1)).slug == "later"
    assert Election.objects.current(today=datetime.date(2030, 1, 1)) == twin
    assert old.election_day < datetime.date(2026, 1, 1)
    Election.objects.all().delete()
    assert Election.objects.current() is None


def test_services_validate(example: Election) -> None:
    with pytest.raises(ValidationError):
        services.election_create(name="dup", slug=example.slug, election_day=datetime.date.today())
    with pytest.raises(ValidationError):
        services.phase_set(election=example, kind=PhaseKind.AFTER,
                           start=datetime.date(2026, 6, 1), end=datetime.date(2026, 5, 1))
    with pytest.raises(ValidationError):
        services.milestone_create(election=example, code=MilestoneCode.ELECTION_DAY, name="x",
                                  due=datetime.date(2026, 5, 1), phase=PhaseKind.DURING)
    assert example.phases.get(kind=PhaseKind.AFTER).end == from_jalali(1405, 1, 30)


def test_phase_order_is_also_a_database_rule(example: Election) -> None:
    with pytest.raises(IntegrityError):
        Phase.objects.filter(election=example, kind=PhaseKind.DURING).update(
            end=datetime.date(2000, 1, 1)
        )


def test_audit_hook_is_called_once_per_change(
    example: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(services, "_audit",
                        lambda action, *, actor, obj, data: calls.append((action, data)))
    fibre = example.milestones.get(code=MilestoneCode.FIBRE_STATUS_DUE)
    services.milestone_update(milestone=fibre, due=from_jalali(1404, 11, 29), actor=None)
    services.milestone_update(milestone=fibre, due=from_jalali(1404, 11, 29), actor=None)
    assert calls == [("milestone.update", {
        "election": example.slug, "code": MilestoneCode.FIBRE_STATUS_DUE,
        "due": {"before": "2026-02-19", "after": "2026-02-18"},
    })]


def test_no_deadline_has_passed_on_load_day() -> None:
    """Issue 18: whatever day the demo is loaded, every deadline is that day or later and
    election day is weeks ahead; only the opening of registration lies behind."""
    from amanat.elections.demo import milestones_for

    for load_day in (datetime.date(2026, 12, 2), datetime.date(2027, 3, 20), LOAD_DAY):
        dues = {code: due for code, _name, due, _phase in milestones_for(load_day)}
        past = {code for code, due in dues.items() if due < load_day}
        assert past == {MilestoneCode.REGISTRATION_OPENS}
        assert dues[MilestoneCode.REGISTRATION_CLOSES] == load_day
        assert dues[MilestoneCode.ELECTION_DAY] - load_day >= datetime.timedelta(weeks=7)
        order = [MilestoneCode.REGISTRATION_CLOSES, MilestoneCode.REVIEW_ENDS,
                 MilestoneCode.SUPERVISION_ENDS, MilestoneCode.CANDIDATE_COMPLAINTS_CLOSE,
                 MilestoneCode.FINAL_LIST, MilestoneCode.STATIONS_FINAL,
                 MilestoneCode.ELECTION_DAY, MilestoneCode.COMPLAINTS_CLOSE]
        assert [dues[c] for c in order] == sorted(dues[c] for c in order)
