"""Election day for field roles: one session lasts the day (issue 17), while office roles
and ordinary days keep the 30-minute idle and 12-hour limits."""

from __future__ import annotations

import datetime
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.middleware import FIELD_UNTIL, SEEN_AT, SIGNED_IN_AT
from amanat.accounts.models import Membership, Role
from amanat.accounts.testing import Personas, sign_in
from amanat.elections.models import Election

pytestmark = pytest.mark.django_db


@pytest.fixture
def election_today(settings: object) -> Election:
    # The window opens at midnight in these tests, so "now" is always inside it.
    settings.AMANAT_FIELD_DAY_START_HOUR = 0  # type: ignore[attr-defined]
    return Election.objects.create(name="Election day", slug="today",
                                   election_day=timezone.localdate())


def _idle(client: Client, seconds: int, key: str = SEEN_AT) -> None:
    session = client.session
    session[key] = int(time.time()) - seconds
    session.save()


def _signed_in(client: Client) -> bool:
    return client.get(reverse("accounts_profile")).status_code == 200


def test_inspector_keeps_the_session_all_election_day(
    client: Client, personas: Personas, election_today: Election
) -> None:
    sign_in(client, personas.inspector)
    assert _signed_in(client)
    _idle(client, 5 * 3600)  # five hours in a village with no network
    assert _signed_in(client)
    until = client.session[FIELD_UNTIL]
    end = datetime.datetime.combine(election_today.election_day + datetime.timedelta(days=1),
                                    datetime.time(3), timezone.get_current_timezone())
    assert until == int(end.timestamp())
    # The cookie lasts as long as the day, not the ordinary 12 hours.
    assert client.session.get_expiry_age() > 0


def test_the_field_session_ends_when_the_day_does(
    client: Client, personas: Personas, settings: object
) -> None:
    # Election day was yesterday and its window closed at midnight.
    settings.AMANAT_FIELD_DAY_START_HOUR = 0  # type: ignore[attr-defined]
    settings.AMANAT_FIELD_DAY_END_HOUR = 0  # type: ignore[attr-defined]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Election.objects.create(name="Yesterday", slug="yesterday", election_day=yesterday)
    sign_in(client, personas.inspector)
    assert _signed_in(client)
    morning = datetime.datetime.combine(yesterday, datetime.time(6),
                                        timezone.get_current_timezone())
    session = client.session
    session[SIGNED_IN_AT] = int(morning.timestamp())
    session[SEEN_AT] = int(time.time()) - 120
    session.save()
    # Signed in on election day's morning, but the day is over: the 12 hours apply.
    assert not _signed_in(client)


def test_office_roles_keep_the_idle_limit_on_election_day(
    client: Client, personas: Personas, election_today: Election
) -> None:
    sign_in(client, personas.gharchak_governor)
    assert _signed_in(client)
    _idle(client, 31 * 60)
    assert not _signed_in(client)


def test_a_field_user_with_an_office_role_too_keeps_the_idle_limit(
    client: Client, personas: Personas, election_today: Election
) -> None:
    user: User = personas.inspector
    unit = Membership.objects.filter(user=user).first().unit  # type: ignore[union-attr]
    Membership.objects.create(user=user, role=Role.GOVERNOR, unit=unit)
    sign_in(client, user)
    assert _signed_in(client)
    _idle(client, 31 * 60)
    assert not _signed_in(client)


def test_field_roles_on_an_ordinary_day_keep_the_idle_limit(
    client: Client, personas: Personas
) -> None:
    Election.objects.create(name="Later", slug="later",
                            election_day=timezone.localdate() + datetime.timedelta(days=30))
    sign_in(client, personas.police)
    assert _signed_in(client)
    _idle(client, 31 * 60)
    assert not _signed_in(client)
    assert FIELD_UNTIL not in client.session
