"""ckrules (issue 16 fixes) through the field API: two reporters who disagree dispute the
published figure (attack F6), the cached rules follow every edit (F8), flags come with
words (user F11)."""

from __future__ import annotations

import pytest

from amanat.intake.tests.test_checkins import TURNOUT, Field, field, post  # noqa: F401  (a fixture)
from amanat.operations.models import Checkin, QualityRule, StationDay
from amanat.operations.tests.conftest import day  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("group_commit")]


def test_a_disagreeing_api_report_takes_the_published_figure_back(field: Field) -> None:  # noqa: F811
    first = post(field.token, {**TURNOUT, "voters": 700}, "a")
    assert first.json()["state"] == "accepted"
    governor = field.token_for(field.personas.gharchak_governor)
    second = post(governor, {**TURNOUT, "voters": 400}, "b")
    assert second.status == 201 and second.json()["state"] == "quarantined"
    assert Checkin.objects.get(pk=first.json()["id"]).state == "quarantined"
    assert StationDay.objects.get(station=field.day.gharchak_station).voters is None


def test_the_cached_rules_follow_a_same_length_edit(field: Field) -> None:  # noqa: F811
    """F8: the field API keeps the rules per process; an edit of the same length that
    leaves updated_at alone (a bulk update) must still reach it."""
    assert post(field.token, {**TURNOUT, "voters": 790}, "warm").json()["state"] == "accepted"
    rule = QualityRule.objects.get(code="turnout-above-registered")
    edited = "registered > 0 and voters+9>registered"
    assert len(edited) == len(rule.expression)
    QualityRule.objects.filter(pk=rule.pk).update(expression=edited)
    answer = post(field.token, {**TURNOUT, "voters": 795}, "after")
    assert answer.json()["state"] == "quarantined"


def test_a_flagged_answer_says_why_in_words(field: Field) -> None:  # noqa: F811
    """User F11: flags come with the rule's name (in the request's language) and its
    description, not bare slugs only."""
    answer = post(field.token, {**TURNOUT, "voters": 900}, "over", language="en")
    assert answer.json()["flags"] == ["turnout-above-registered"]
    reason = answer.json()["flag_reasons"][0]
    assert reason["code"] == "turnout-above-registered"
    assert reason["name"] == "Turnout above the registered voters"
    assert reason["description"]
    fine = post(field.token, {**TURNOUT, "voters": 100, "window": "T2"}, "fine")
    assert fine.json()["flag_reasons"] == []
