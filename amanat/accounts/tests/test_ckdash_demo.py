"""The demo personas have a contact, so that election-day notifications show in the demo
(user review 2026-12, F18), and every one of them is in load-demo's sign-in list (F20)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from amanat.accounts import demo
from amanat.accounts.models import Profile
from amanat.core.identity import mobile_checked

pytestmark = pytest.mark.django_db


def test_demo_personas_get_a_demo_mobile_and_email(small_geo: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    personas = [demo.DemoUser("demo.admin", "national_admin", "country", small_geo.iran.code),
                demo.DemoUser("demo.gharchak", "governor", "county", small_geo.gharchak.code)]
    monkeypatch.setattr(demo, "DEMO_USERS", personas)
    assert len(demo.seed_demo_users()) == 2
    users = get_user_model().objects
    governor = users.get(username="demo.gharchak")
    assert governor.email == "demo.gharchak@demo.amanat.invalid"
    mobile = Profile.objects.get(user=governor).mobile
    assert mobile == "09000000002" and mobile_checked(mobile) == mobile
    # A contact set by hand is kept when the demo is loaded again.
    Profile.objects.filter(user=governor).update(mobile="09120000000")
    users.filter(pk=governor.pk).update(email="me@example.org")
    demo.seed_demo_users()
    governor.refresh_from_db()
    assert governor.email == "me@example.org"
    assert Profile.objects.get(user=governor).mobile == "09120000000"


def test_the_sign_in_list_names_every_board_member() -> None:
    names = {persona.username for persona in demo.DEMO_USERS}
    assert {"demo.gharchak.board", "demo.kerman.board", "demo.tehran.supervision"} <= names
