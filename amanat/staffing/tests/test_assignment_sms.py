"""Approving a county's roster tells each assigned person by SMS (core.notify's outbox):
their post, station and election day, once per assignment."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import TestCase

from amanat.core import notify
from amanat.core.models import OutboundMessage
from amanat.elections.posts import StationPost
from amanat.staffing.models import Assignment, Person, Roster
from amanat.staffing.services import assignment_set, roster_approve, roster_reopen
from amanat.staffing.tests.conftest import World

pytestmark = pytest.mark.django_db


def _approve(world: World) -> None:
    roster = Roster.objects.get(election=world.election, county=world.geo.gharchak)
    with TestCase.captureOnCommitCallbacks(execute=True):
        roster_approve(actor=None, roster=roster)


def test_approving_the_roster_tells_each_assigned_person_once(world: World,
                                                              settings: Any) -> None:
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    governor = world.personas.gharchak_governor
    rep = world.person(posts=(StationPost.REPRESENTATIVE,))
    member = world.person(posts=(StationPost.MEMBER,))
    Person.objects.filter(pk=rep.pk).update(mobile="09120000001")
    Person.objects.filter(pk=member.pk).update(mobile="09120000002")
    rep.refresh_from_db()
    member.refresh_from_db()
    assignment_set(actor=governor, station=world.city_station,
                   post=StationPost.REPRESENTATIVE, slot=1, person=rep)
    assert not notify.outbox  # a draft's assignments are not announced
    _approve(world)
    assert [m.to for m in notify.outbox] == ["09120000001"]
    text = notify.outbox[0].text
    assert "نماینده" in text and world.city_station.name in text and "۲۳۱۰-" in text

    # Reopened, one more person assigned, approved again: only the new one is told.
    roster_reopen(actor=governor, roster=Roster.objects.get(county=world.geo.gharchak))
    assignment_set(actor=governor, station=world.city_station, post=StationPost.MEMBER,
                   slot=1, person=member)
    _approve(world)
    assert [m.to for m in notify.outbox] == ["09120000001", "09120000002"]
    assert OutboundMessage.objects.filter(purpose__startswith="staffing.assigned:").count() == 2
    assert Assignment.objects.count() == 2
