from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from amanat.accounts import access, policy
from amanat.accounts.models import Membership, Role
from amanat.accounts.testing import Personas
from amanat.geo.models import AdminUnit

pytestmark = pytest.mark.django_db


def test_policy_denies_unlisted_objects_and_rejects_unknown_actions() -> None:
    assert policy.roles_allowed("nothing.here", policy.VIEW) == frozenset()
    assert policy.role_allows(Role.AUDITOR, "audit.event", policy.VIEW)
    assert not policy.role_allows(Role.GOVERNOR, "audit.event", policy.VIEW)
    with pytest.raises(ValueError):
        policy.roles_allowed("geo.adminunit", "fly")


def test_county_governor_sees_only_his_subtree(personas: Personas, small_geo: Any) -> None:
    units = access.scope_queryset(
        personas.gharchak_governor, AdminUnit.objects.all(), action="view", path_field="path"
    )
    paths = set(units.values_list("path", flat=True))
    assert paths and all(p.startswith(small_geo.gharchak.path) for p in paths)
    assert small_geo.kerman_county.path not in paths


def test_national_roles_see_everything(personas: Personas) -> None:
    units = access.scope_queryset(
        personas.admin, AdminUnit.objects.all(), action="view", path_field="path"
    )
    assert units.count() == AdminUnit.objects.count()


def test_outsider_sees_nothing(personas: Personas) -> None:
    qs = access.scope_queryset(personas.outsider, Membership.objects.all(), action="view")
    assert not qs.exists()


def test_can_combines_role_and_scope(personas: Personas, small_geo: Any) -> None:
    gov = personas.gharchak_governor
    assert access.can(gov, "view", "accounts.membership", small_geo.gharchak)
    assert not access.can(gov, "view", "accounts.membership", small_geo.kerman_county)
    assert not access.can(personas.inspector, "view", "accounts.membership", small_geo.gharchak)
    assert access.can(personas.tehran_officer, "change", "accounts.membership", small_geo.gharchak)
    assert not access.can(personas.tehran_officer, "change", "accounts.membership", small_geo.iran)


def test_out_of_scope_object_is_404_and_recorded(
    personas: Personas, audit_events: list[dict[str, Any]]
) -> None:
    kerman_membership = Membership.objects.get(user=personas.kerman_governor)
    with pytest.raises(Http404):
        access.get_membership_for_user(personas.gharchak_governor, kerman_membership.pk)
    assert [e["action"] for e in audit_events] == ["access.denied"]
    assert audit_events[0]["object_id"] == str(kerman_membership.pk)


def test_missing_object_is_404_without_event(
    personas: Personas, audit_events: list[dict[str, Any]]
) -> None:
    with pytest.raises(Http404):
        access.get_membership_for_user(personas.admin, 987654)
    with pytest.raises(Http404):
        access.get_membership_for_user(personas.admin, "not-a-number")
    assert audit_events == []


def test_second_factor_needed_for_national_provincial_and_staff(personas: Personas) -> None:
    assert access.needs_second_factor(personas.admin)
    assert access.needs_second_factor(personas.tehran_officer)
    assert not access.needs_second_factor(personas.gharchak_governor)
    personas.outsider.is_staff = True
    assert access.needs_second_factor(personas.outsider)
