"""The demo generator: deterministic, every case state, one audit event, idempotent."""

from __future__ import annotations

import datetime

import pytest

from amanat.audit.models import Event
from amanat.incidents.demo import seed_demo_incidents
from amanat.incidents.models import Case, Report, Status
from amanat.incidents.tests.conftest import World

pytestmark = pytest.mark.django_db


def test_demo_incidents(world: World) -> None:
    result = seed_demo_incidents(world.election, seed=7, count=300)
    assert result.reports == 300 == Report.objects.count()
    assert result.cases == Case.objects.count() > 200
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    assert Event.objects.filter(action="incidents.demo_seed").count() == 1
    assert all("نمونه" in t for t in Report.objects.values_list("text", flat=True)[:20])
    first = list(Report.objects.order_by("pk").values_list("reference", flat=True)[:5])
    assert seed_demo_incidents(world.election, seed=7, count=300).reports == 0
    assert Report.objects.count() == 300
    assert first[0].startswith("R-")


def test_demo_dates_tell_one_story(world: World) -> None:
    from django.utils import timezone

    from amanat.incidents.demo import HISTORY_DAYS

    now = timezone.now()
    seed_demo_incidents(world.election, seed=11, count=300, now=now)
    received = list(Report.objects.values_list("received_at", flat=True))
    assert max(received) <= now  # no report after the day the demo is loaded
    assert min(received) < now - datetime.timedelta(days=30)  # spread over months
    assert min(received) >= now - datetime.timedelta(days=HISTORY_DAYS)
    open_cases = Case.objects.open()
    late = open_cases.filter(due_at__lt=now).count()
    assert 0 < late < open_cases.count() / 3  # some late, most within their time
    assert not Case.objects.filter(closed_at__gt=now).exists()
