"""Attack review 2 (December 2026), people and staffing: what an outsider tried, each
through the public interface (docs/reviews/2026-12-attack-candidates-people.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.candidates.models import Candidacy
from amanat.elections.posts import StationPost
from amanat.geo.models import Constituency
from amanat.staffing.models import Assignment, Roster
from amanat.staffing.tests.conftest import World

pytestmark = pytest.mark.django_db


def _client(client: Any, user: Any) -> Any:
    sign_in(client, user)
    return in_language(client, "en")


def _becomes_candidate(world: World, national_id: str) -> Candidacy:
    """The person registers as a candidate of the election (the candidates app's own row:
    what the staffing rules read)."""
    constituency = Constituency.objects.create(
        code="T-ATTACK", name="قرچک", kind="city", province=world.geo.tehran,
        unit=world.geo.gharchak_city, unit_path=world.geo.gharchak_city.path, seats=5)
    contest = world.election.contests.first()
    assert contest is not None
    contest.constituencies.add(constituency)
    return Candidacy.objects.create(
        reference="ATTACK1", election=world.election, contest=contest,
        constituency=constituency, county=world.geo.gharchak,
        unit_path=world.geo.gharchak.path, channel="walk_in", national_id=national_id,
        first_name="x", last_name="y", gender="male", birth_date="1980-01-01", education=5,
        mobile="09120000000", state="registered")


def test_a_holder_who_becomes_a_candidate_is_not_approved_or_vouched_for(
        world: World, client: Any) -> None:
    c = _client(client, world.personas.gharchak_governor)
    holder = world.person(posts=(StationPost.MEMBER,))
    response = c.post(reverse("staffing:station_assign", args=[world.city_station.pk]),
                      {"slot": "member:1", "national_id": holder.national_id}, follow=True)
    assert Assignment.objects.filter(person=holder).exists(), response.content.decode()[:500]
    assignment = Assignment.objects.get(person=holder)
    # After the assignment, the holder registers as a candidate (the registration window
    # is open; nothing in the candidates app reads the roster).
    _becomes_candidate(world, holder.national_id)
    page = c.post(reverse("staffing:county_approve", args=[world.geo.gharchak.pk]),
                  follow=True).content.decode()
    roster = Roster.objects.get(county=world.geo.gharchak)
    # The approval is refused, naming the rule; the public check does not vouch.
    assert not roster.locked
    assert "candidate" in page.lower()
    verify = client.get(reverse("staffing:verify"), {"code": assignment.verification_code})
    assert 'data-testid="not-verified"' in verify.content.decode()
    # The station page flags the post with the rule's reason.
    station = c.get(reverse("staffing:station", args=[world.city_station.pk])).content.decode()
    assert 'data-testid="rule-broken"' in station and "candidate" in station.lower()


def test_people_search_is_no_oracle_for_masked_national_ids(world: World,
                                                            client: Any) -> None:
    from amanat.lib.persian import search_key
    from amanat.staffing.models import Person

    person = world.person(posts=(StationPost.MEMBER,))
    # As the person's form and the import store it.
    Person.objects.filter(pk=person.pk).update(search_text="|".join(
        search_key(x) for x in (person.first_name, person.last_name, person.national_id)))
    c = _client(client, world.personas.auditor)
    url = reverse("staffing:people", args=[world.geo.gharchak.pk])
    link = reverse("staffing:person", args=[person.pk])
    page = c.get(url).content.decode()
    assert link in page and person.national_id not in page  # masked
    assert link in c.get(url, {"q": person.national_id}).content.decode()
    for partial in (person.national_id[-6:], person.national_id[:7]):
        assert link not in c.get(url, {"q": partial}).content.decode(), partial
