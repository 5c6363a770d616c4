from __future__ import annotations

import datetime
from typing import Any

import pytest

from amanat.elections.demo import seed_example_election
from amanat.elections.models import Election

# The demo's dates are counted from the day it is loaded; the tests load it on 1404/11/20
# (2026-02-09), the day ``today`` pins.
LOAD_DAY = datetime.date(2026, 2, 9)


@pytest.fixture
def example(small_geo: Any) -> Election:
    """The issue's example election over the small hand-made geography (root conftest)."""
    return seed_example_election(load_day=LOAD_DAY)


@pytest.fixture
def staff(django_user_model: Any, small_geo: Any) -> Any:
    """A national administrator: the role the policy lets change the calendar."""
    from amanat.accounts.models import Membership, Role

    user = django_user_model.objects.create_user(username="ministry-admin")
    Membership.objects.create(user=user, role=Role.NATIONAL_ADMIN, unit=small_geo.iran)
    return user


@pytest.fixture
def outsider(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="outsider")


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> datetime.date:
    """Pin "today" to 1404/11/20 (2026-02-09) so countdowns are deterministic."""
    from django.utils import timezone

    day = datetime.date(2026, 2, 9)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
    return day
