"""Every change made in the Django admin is in the audit log (issue 11 follow-up).

The admin let verified staff change other users' passwords or memberships with nothing
in the log.  Each add, change and delete (one object, a bulk delete, the user admin's
password form) now appends an ``admin.*`` event in the transaction of the change.
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from amanat.accounts.models import Agency, Membership
from amanat.accounts.testing import Personas, sign_in
from amanat.audit.admin import AuditedModelAdmin
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-1405"


@pytest.fixture
def staff(personas: Personas) -> Client:
    """A superuser in a session verified with the second factor."""
    boss = User.objects.create_superuser("boss", password=None)
    return sign_in(Client(), boss)


def _admin_events() -> list[Event]:
    return list(Event.objects.filter(action__startswith="admin.").order_by("seq"))


def test_every_registered_model_admin_is_audited() -> None:
    plain = [model._meta.label for model, model_admin in admin.site._registry.items()
             if not isinstance(model_admin, AuditedModelAdmin)]
    assert not plain
    # Other packages' too: the user admin (its password form) and axes' lockouts.
    assert isinstance(admin.site._registry[User], AuditedModelAdmin)
    assert isinstance(admin.site._registry[AccessAttempt], AuditedModelAdmin)


def test_changing_another_users_password_is_recorded(staff: Client, personas: Personas
                                                     ) -> None:
    target = personas.gharchak_governor
    response = staff.post(f"/admin/auth/user/{target.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true",
    })
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)
    [event] = _admin_events()
    assert (event.action, event.object_type, event.object_id) == (
        "admin.change", "auth.user", str(target.pk))
    assert event.actor_name == "boss"
    assert "password" in str(event.extra["changes"])
    # Field names only: neither the password nor its hash reaches the log.
    assert NEW_PASSWORD not in str(event.extra) and target.password not in str(event.extra)


def test_adding_and_changing_in_the_admin_is_recorded(staff: Client, personas: Personas
                                                      ) -> None:
    response = staff.post("/admin/accounts/agency/add/", {
        "code": "red-crescent", "name_fa": "هلال احمر", "name_en": "Red Crescent",
        "kind": "health",
    })
    assert response.status_code == 302
    agency = Agency.objects.get(code="red-crescent")
    membership = Membership.objects.get(user=personas.inspector)
    response = staff.post(f"/admin/accounts/membership/{membership.pk}/change/", {
        "user": membership.user_id, "role": membership.role, "unit": membership.unit_id,
        "agency": "", "created_by": "", "active": "",  # unticked: the role ends
    })
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.active
    added, changed = _admin_events()
    assert (added.action, added.object_type, added.object_id) == (
        "admin.add", "accounts.agency", str(agency.pk))
    assert (changed.action, changed.object_type, changed.object_id) == (
        "admin.change", "accounts.membership", str(membership.pk))
    assert changed.unit_id == membership.unit_id  # seen by auditors of that county
    assert changed.extra["changes"] == [{"changed": {"fields": ["Active"]}}]


def test_deleting_one_or_many_in_the_admin_is_recorded(staff: Client) -> None:
    kinds = {"kind": "health", "name_fa": "الف", "name_en": "A"}
    one, two, three = (Agency.objects.create(code=f"agency-{i}", **kinds) for i in range(3))
    response = staff.post(f"/admin/accounts/agency/{one.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    response = staff.post("/admin/accounts/agency/", {
        "action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes",
    })
    assert response.status_code == 302
    assert not Agency.objects.filter(code__startswith="agency-").exists()
    events = _admin_events()
    assert [e.action for e in events] == ["admin.delete"] * 3
    assert sorted(e.object_id for e in events) == sorted(str(a.pk) for a in (one, two, three))


def test_other_bulk_actions_are_recorded(staff: Client) -> None:
    """axes' own action deletes lockout rows without Django's deletion log."""
    old = AccessAttempt.objects.create(
        username="someone", ip_address="10.0.0.1", user_agent="x", get_data="", post_data="",
        http_accept="", path_info="/", failures_since_start=5,
        attempt_time=timezone.now() - timezone.timedelta(days=2),
    )
    response = staff.post("/admin/axes/accessattempt/", {
        "action": "cleanup_expired_attempts", "_selected_action": [old.pk],
    })
    assert response.status_code == 302
    [event] = _admin_events()
    assert (event.action, event.object_type) == ("admin.action", "axes.accessattempt")
    extra: dict[str, Any] = event.extra
    assert extra["action"] == "cleanup_expired_attempts" and extra["ids"] == [str(old.pk)]


def test_an_admin_change_that_makes_the_second_factor_required_ends_tokens(
        staff: Client, personas: Personas, small_geo: Any) -> None:
    """Auth review 2, F5: the grant services end the API tokens a user issued with the
    password alone when a new role makes the second factor required; a membership added
    or moved to a province in the admin, or staff rights given there, did not."""
    from amanat.accounts import services
    from amanat.accounts.models import ApiToken

    inspector, police = personas.inspector, personas.police
    for user in (inspector, police):
        services.api_token_issue(user=user, name="laptop", ttl_days=30, actor=user)
    membership = Membership.objects.get(user=inspector)
    moved = staff.post(f"/admin/accounts/membership/{membership.pk}/change/", {
        "user": inspector.pk, "role": membership.role, "unit": small_geo.tehran.pk,
        "agency": "", "active": "on", "created_at_0": "", "created_by": ""})
    assert moved.status_code == 302, moved.content.decode()[:2000]
    assert Membership.objects.get(pk=membership.pk).unit_id == small_geo.tehran.pk
    assert not ApiToken.objects.usable().filter(user=inspector).exists()
    staffed = staff.post(f"/admin/auth/user/{police.pk}/change/", {
        "username": police.username, "is_active": "on", "is_staff": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
        "last_login_0": "", "last_login_1": ""})
    assert staffed.status_code == 302, staffed.content.decode()[:2000]
    police.refresh_from_db()
    assert police.is_staff
    assert not ApiToken.objects.usable().filter(user=police).exists()
    assert Event.objects.filter(action="api_token.revoke_all").count() == 2
    # A change that asks nothing new keeps them.
    kerman = personas.kerman_governor
    services.api_token_issue(user=kerman, name="laptop", ttl_days=30, actor=kerman)
    membership = Membership.objects.get(user=kerman)
    staff.post(f"/admin/accounts/membership/{membership.pk}/change/", {
        "user": kerman.pk, "role": "security_committee", "unit": membership.unit_id,
        "agency": "", "active": "on", "created_by": ""})
    assert ApiToken.objects.usable().filter(user=kerman).exists()
