"""A contest's own registration dates (``Contest.registration_opens``/``closes``) govern
its registration where set, over its kind's milestone and the election's; each end unset
falls back to the calendar's. Read by the public form, the walk-in page, the services
(registration, online documents) and the review's complaints window; set through an
audited service that refuses a window that closes before it opens."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone, translation

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.candidates import review_selectors, services
from amanat.candidates.models import Candidacy, Channel, MobileCode
from amanat.candidates.selectors import registration_window
from amanat.candidates.tests.conftest import World, nid
from amanat.core import notify
from amanat.core.templatetags.persian import jdate
from amanat.elections import services as election_services
from amanat.elections.models import (
    Contest,
    ContestKind,
    Milestone,
    MilestoneCode,
    PhaseKind,
)

pytestmark = pytest.mark.django_db


def _by_election(world: World) -> Contest:
    """A second city-council contest of the election: a by-election for Gharchak."""
    return election_services.contest_create(
        election=world.election, kind=ContestKind.CITY_COUNCIL,
        name="میان‌دوره‌ای شورای شهر قرچک", is_by_election=True,
        constituencies=[world.city(world.geo.gharchak_city)])


def _ask_code(client: Client, world: World, contest: Contest, n: int) -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return in_language(client, "en").post(reverse("candidates:register"), {
            "contest": contest.pk, "county": world.geo.gharchak.pk,
            "national_id": nid(n), "mobile": "09121234567"})


def _person(n: int) -> services.PersonData:
    return services.PersonData(
        national_id=nid(n), first_name="مریم", last_name="احمدی", father_name="علی",
        gender="female", birth_date=datetime.date(1980, 1, 1), education=6,
        residence_years=10, mobile="09121112233")


def test_the_contests_own_closed_window_refuses_it_alone(world: World,
                                                         client: Client) -> None:
    today = timezone.localdate()
    council = world.city_council
    race = _by_election(world)
    own = (today - datetime.timedelta(days=20), today - datetime.timedelta(days=10))
    election_services.contest_registration_set(contest=race, opens=own[0], closes=own[1],
                                               actor=world.personas.admin)
    race.refresh_from_db()
    assert registration_window(world.election, race) == own
    # The other contest of the same kind keeps the calendar's window (open today).
    window = registration_window(world.election, council)
    assert window == registration_window(world.election) and window != own

    # The public form shows the contest's own window and refuses it with its dates.
    page = in_language(client, "en").get(reverse("candidates:register")).content.decode()
    with translation.override("en"):
        assert jdate(own[0]) in page and jdate(own[1]) in page
    html = _ask_code(client, world, race, 1).content.decode()
    with translation.override("en"):
        assert f"open from {jdate(own[0])} to the end of {jdate(own[1])}; it is closed" in html
    assert not notify.outbox and not MobileCode.objects.exists()
    assert _ask_code(client, world, council, 2).status_code == 302

    # The service (a walk-in at the office) refuses too, audited; nothing stored.
    with pytest.raises(services.RuleError) as caught:
        services.candidacy_register(
            actor=world.personas.gharchak_governor, contest=race,
            constituency=world.city(world.geo.gharchak_city), channel=Channel.WALK_IN,
            person=_person(3))
    assert caught.value.code == "window_closed"
    assert not Candidacy.objects.exists()
    assert Event.objects.filter(action="candidates.register.refused").exists()

    # The walk-in page refuses it the same way.
    sign_in(client, world.personas.gharchak_governor)
    url = (reverse("candidates:new") + f"?contest={race.pk}&county={world.geo.gharchak.pk}")
    response = in_language(client, "en").post(url, {
        "constituency": world.city(world.geo.gharchak_city).pk, "national_id": nid(4),
        "mobile": "09121112233", "first_name": "مریم", "last_name": "احمدی",
        "father_name": "علی", "gender": "female", "birth_date": "1360/05/10",
        "education": "6", "residence_years": "10", "occupation": "", "address": "",
        "truthful": "on"})
    assert response.status_code == 200
    assert "it is closed" in response.content.decode()
    assert not Candidacy.objects.exists()


def test_the_contests_own_open_window_governs_after_the_calendars_closed(
        world: World) -> None:
    today = timezone.localdate()
    council = world.city_council
    race = _by_election(world)
    # The calendar's registration (the election's and the kind's) closed yesterday...
    yesterday = today - datetime.timedelta(days=1)
    Milestone.objects.filter(election=world.election,
                             code=MilestoneCode.REGISTRATION_CLOSES).update(due=yesterday)
    Milestone.objects.create(election=world.election,
                             code=f"{MilestoneCode.REGISTRATION_CLOSES}__city_council",
                             name="kind", due=yesterday, phase=PhaseKind.BEFORE)
    # ... the by-election's own stays open a few more days (its opening: the calendar's).
    election_services.contest_registration_set(
        contest=race, opens=None, closes=today + datetime.timedelta(days=5))
    race.refresh_from_db()
    opens, closes = registration_window(world.election, race)
    assert opens == registration_window(world.election)[0]  # the unset end falls back
    assert closes == today + datetime.timedelta(days=5)

    candidacy = services.candidacy_register(
        actor=world.personas.gharchak_governor, contest=race,
        constituency=world.city(world.geo.gharchak_city), channel=Channel.WALK_IN,
        person=_person(5))
    assert candidacy.contest == race
    with pytest.raises(services.RuleError) as caught:
        services.candidacy_register(
            actor=world.personas.gharchak_governor, contest=council,
            constituency=world.city(world.geo.gharchak_city), channel=Channel.WALK_IN,
            person=_person(6))
    assert caught.value.code == "window_closed"
    # The review reads the same end of registration: its complaints window starts there.
    assert review_selectors.complaints_window(race)[0] == closes
    assert review_selectors.complaints_window(council)[0] == yesterday


def test_the_contests_own_dates_govern_over_its_kinds_milestones(world: World) -> None:
    today = timezone.localdate()
    ae = world.contest(ContestKind.ASSEMBLY_OF_EXPERTS)
    for code, due in ((MilestoneCode.REGISTRATION_OPENS, today - datetime.timedelta(days=30)),
                      (MilestoneCode.REGISTRATION_CLOSES, today - datetime.timedelta(days=20))):
        Milestone.objects.create(election=world.election, code=f"{code}__{ae.kind}",
                                 name=code, due=due, phase=PhaseKind.BEFORE)
    with pytest.raises(services.RuleError):
        services.window_check(world.election, contest=ae)
    own = (today - datetime.timedelta(days=2), today + datetime.timedelta(days=2))
    election_services.contest_registration_set(contest=ae, opens=own[0], closes=own[1])
    ae.refresh_from_db()
    assert registration_window(world.election, ae) == own
    services.window_check(world.election, contest=ae)  # open today


def test_setting_the_window_is_audited_and_a_reversed_one_refused(world: World) -> None:
    today = timezone.localdate()
    race = _by_election(world)
    with pytest.raises(ValidationError):
        election_services.contest_registration_set(
            contest=race, opens=today, closes=today - datetime.timedelta(days=1),
            actor=world.personas.admin)
    race.refresh_from_db()
    assert (race.registration_opens, race.registration_closes) == (None, None)
    assert not Event.objects.filter(action="contest.registration").exists()

    election_services.contest_registration_set(
        contest=race, opens=today, closes=today + datetime.timedelta(days=3),
        actor=world.personas.admin)
    event = Event.objects.get(action="contest.registration")
    assert event.after["registration_closes"] == (today + datetime.timedelta(days=3)).isoformat()
    assert event.before["registration_opens"] is None
    # Cleared: the calendar's window again.
    election_services.contest_registration_set(contest=race, opens=None, closes=None)
    race.refresh_from_db()
    assert registration_window(world.election, race) == registration_window(world.election)
