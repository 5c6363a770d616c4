"""Dates and ids of councils, the election calendar and the atlas are checked on every
path before they are stored (issue 11, §3): the forms refuse them with a message on the
field, and the services refuse them too, so no caller can store one."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from amanat.accounts.models import Agency
from amanat.accounts.testing import Personas, sign_in
from amanat.atlas import services as atlas
from amanat.atlas.models import Assessment
from amanat.core.errors import RuleError
from amanat.councils import services as councils
from amanat.councils.models import ActionItem, Meeting
from amanat.elections import services as elections
from amanat.elections.models import Election, Milestone, Phase
from amanat.stations.tests.conftest import make_station

FAR = [datetime.date(9999, 12, 31), datetime.date(1, 1, 1), datetime.date(1925, 7, 27)]
TODAY = datetime.date(2026, 2, 1)


@pytest.fixture
def council(small_geo: Any, personas: Personas) -> Any:
    return councils.council_create(unit=small_geo.gharchak, kind="security_council",
                                   name="شورای تأمین", actor=personas.admin)


@pytest.mark.parametrize("day", FAR)
def test_meetings_and_actions_refuse_far_dates(council: Any, personas: Personas,
                                                day: datetime.date) -> None:
    admin = personas.admin
    with pytest.raises(RuleError) as caught:
        councils.meeting_create(council=council, held_on=day, actor=admin)
    assert caught.value.field == "held_on" and "meeting date" in caught.value.render("en")
    meeting = councils.meeting_create(council=council, held_on=TODAY, actor=admin)
    with pytest.raises(RuleError):
        councils.meeting_update(meeting=meeting, changes={"held_on": day}, actor=admin)
    decision = councils.decision_add(meeting=meeting, text="تصمیم", actor=admin)
    with pytest.raises(RuleError) as caught:
        councils.action_item_add(decision=decision, text="اقدام", due_on=day, actor=admin,
                                 owner=Agency.objects.get(code="police"))
    assert caught.value.field == "due_on"
    assert Meeting.objects.get().held_on == TODAY
    assert not ActionItem.objects.exists()


def test_the_meeting_form_refuses_a_far_year(council: Any, personas: Personas) -> None:
    client = sign_in(Client(), personas.admin)
    response = client.post(f"/councils/{council.pk}/meetings/new/", {"held_on": "1304/11/12"})
    assert response.status_code == 200
    assert "held_on" in response.context["form"].errors
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("day", FAR)
def test_the_calendar_refuses_far_dates(small_geo: Any, personas: Personas,
                                        day: datetime.date) -> None:
    with pytest.raises(ValidationError) as caught:
        elections.election_create(name="x", slug="x", election_day=day)
    assert "election_day" in caught.value.message_dict
    election = elections.election_create(name="x", slug="x", election_day=TODAY)
    with pytest.raises(ValidationError):
        elections.phase_set(election=election, kind="before", start=day, end=TODAY)
    with pytest.raises(ValidationError):
        elections.milestone_create(election=election, code="c", name="n", due=day,
                                   phase="before")
    milestone = elections.milestone_create(election=election, code="c", name="n", due=TODAY,
                                           phase="before")
    with pytest.raises(ValidationError) as caught:
        elections.milestone_update(milestone=milestone, due=day, actor=personas.admin)
    assert "due" in caught.value.message_dict
    assert Election.objects.count() == 1 and not Phase.objects.exists()
    assert Milestone.objects.get().due == TODAY


def test_an_assessment_refuses_a_far_past_date_and_ids_no_column_holds(
    small_geo: Any, personas: Personas,
) -> None:
    election = Election.objects.create(name="x", slug="x", election_day=TODAY)
    police = Agency.objects.get(code="police")
    with pytest.raises(RuleError) as caught:
        atlas.assessment_create(election=election, agency=police, county=small_geo.gharchak,
                                score=3, justification="دلیل", author=personas.admin,
                                assessed_on=datetime.date(1, 1, 1))
    assert caught.value.field == "assessed_on"
    station = make_station(election, small_geo.gharchak, "1", unit=small_geo.gharchak_city)
    client = sign_in(Client(), personas.admin)
    url = f"/atlas/county/{small_geo.gharchak.pk}/assess/?election=x"
    base = {"agency": police.pk, "score": 3, "justification": "دلیل",
            "assessed_on": "1404/11/12"}
    for bad in ("99999999999999999999", "9223372036854775808", "²"):
        response = client.post(url, {**base, "stations": [str(station.pk), bad]})
        assert response.status_code == 200, bad
        assert "stations" in response.context["form"].errors
    response = client.post(url, {**base, "assessed_on": "1304/11/12"})
    assert "assessed_on" in response.context["form"].errors
    assert not Assessment.objects.exists()
    response = client.post(url, {**base, "stations": [str(station.pk)]})
    assert response.status_code == 302
    assert list(Assessment.objects.get().stations.all()) == [station]
    assert Assessment.objects.get().assessed_on <= timezone.localdate()
