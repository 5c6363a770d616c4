"""The quality-rules page: everyone who watches the day reads the rules (named in
Persian and English) and the names they may read; only a national administrator adds,
edits and switches them off, with clear errors for a bad expression; audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.operations import services
from amanat.operations.models import Checkin, QualityRule
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at

pytestmark = pytest.mark.django_db

NEW = {"code": "too-few-staff", "name_fa": "کمبود عوامل شعبه", "name_en": "Too few staff",
       "description": "", "kinds": ["opening"], "expression": "staff < 3", "active": "on"}


def test_the_seeded_rules_are_named_in_both_languages(personas: Any) -> None:
    client = sign_in(Client(), personas.gharchak_governor)
    page = client.get(reverse("operations:rules"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "مشارکت بیش از واجدان شرایط شعبه" in body
    assert "Turnout above the registered voters" in body
    assert "previous_voters" in body and 'data-testid="rule-names"' in body
    # Reading only: no edit links for a governor.
    assert 'data-testid="rule-new"' not in body and 'data-testid="rule-switch"' not in body
    rule = QualityRule.objects.get(code="turnout-above-registered")
    in_language(client, "en")
    assert rule.name_fa == "مشارکت بیش از واجدان شرایط شعبه"


def test_only_national_administrators_change_rules(personas: Any) -> None:
    rule = QualityRule.objects.get(code="turnout-went-down")
    for who in (personas.gharchak_governor, personas.tehran_officer, personas.auditor):
        client = sign_in(Client(), who)
        assert client.get(reverse("operations:rule_new")).status_code == 404
        assert client.post(reverse("operations:rule_new"), NEW).status_code == 404
        assert client.post(reverse("operations:rule_edit", args=[rule.pk]),
                           {**NEW, "code": rule.code}).status_code == 404
        assert client.post(reverse("operations:rule_switch", args=[rule.pk])).status_code == 404
    inspector = sign_in(Client(), personas.inspector)
    assert inspector.get(reverse("operations:rules")).status_code == 404
    rule.refresh_from_db()
    assert rule.active and not QualityRule.objects.filter(code=NEW["code"]).exists()
    assert not Event.objects.filter(action__startswith="operations.qualityrule").exists()


@pytest.mark.parametrize(("expression", "error"), [
    ("voters >", "not valid"),
    ("voters > registred", "unknown names: registred"),
    ("voters.__class__", "is not allowed"),
])
def test_a_bad_expression_is_refused_with_a_clear_error(personas: Any, expression: str,
                                                        error: str) -> None:
    client = in_language(sign_in(Client(), personas.admin), "en")
    answer = client.post(reverse("operations:rule_new"), {**NEW, "expression": expression})
    assert answer.status_code == 400
    assert error in answer.content.decode()
    assert not QualityRule.objects.filter(code=NEW["code"]).exists()


def test_the_persian_error_names_the_unknown_name(personas: Any) -> None:
    client = sign_in(Client(), personas.admin)
    answer = client.post(reverse("operations:rule_new"),
                         {**NEW, "expression": "voters > registred"})
    body = answer.content.decode()
    assert 'data-testid="error-expression"' in body and "registred" in body


def test_add_edit_and_switch_off_a_rule(personas: Any, day: Day) -> None:
    client = sign_in(Client(), personas.admin)
    assert client.get(reverse("operations:rule_new")).status_code == 200
    assert client.post(reverse("operations:rule_new"), NEW).status_code == 302
    rule = QualityRule.objects.get(code="too-few-staff")
    assert (rule.name_fa, rule.kinds, rule.active) == ("کمبود عوامل شعبه", "opening", True)
    duplicate = client.post(reverse("operations:rule_new"), NEW)
    assert duplicate.status_code == 400
    # The new rule flags an opening with two staff.
    window = services.window_for(day.election, "O", at("07:00"))
    received = services.checkin_record(
        station=day.gharchak_station, window=window, source="web", at=at("07:00"),
        values=Values(staff={"representative": 1, "member": 1}))
    assert received.checkin.state == "quarantined"
    edit = reverse("operations:rule_edit", args=[rule.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {**NEW, "expression": "staff < 2"}).status_code == 302
    rule.refresh_from_db()
    assert rule.expression == "staff < 2"
    assert client.post(reverse("operations:rule_switch", args=[rule.pk])).status_code == 302
    rule.refresh_from_db()
    assert not rule.active
    window_open = services.window_for(day.election, "O", at("07:10"))
    later = services.checkin_record(
        station=day.kerman_station, window=window_open, source="web", at=at("07:10"),
        values=Values(staff={"representative": 1}))
    assert later.checkin.state == "accepted"
    actions = list(Event.objects.filter(action__startswith="operations.qualityrule")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["operations.qualityrule.create", "operations.qualityrule.update",
                       "operations.qualityrule.update"]
    assert Checkin.objects.count() == 2
