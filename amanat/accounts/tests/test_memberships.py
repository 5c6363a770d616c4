from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from amanat.accounts import services
from amanat.accounts.models import Membership, Role
from amanat.accounts.testing import Personas, sign_in
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer() -> User:
    return User.objects.create_user("newcomer")


def test_national_admin_grants_anything(personas: Personas, small_geo: Any, newcomer: User,
                                        audit_events: list[dict[str, Any]]) -> None:
    m = services.membership_grant(
        actor=personas.admin, user=newcomer, role=Role.AUDITOR, unit=small_geo.iran
    )
    assert m.active and m.created_by == personas.admin
    assert [e["action"] for e in audit_events] == ["membership.grant"]


def test_province_officer_cannot_grant_national_roles_or_outside(
    personas: Personas, small_geo: Any, newcomer: User
) -> None:
    officer = personas.tehran_officer
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=officer, user=newcomer, role=Role.NATIONAL_ADMIN, unit=small_geo.tehran
        )
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=officer, user=newcomer, role=Role.GOVERNOR, unit=small_geo.kerman_county
        )
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=officer, user=newcomer, role=Role.HQ_STAFF, unit=small_geo.iran
        )
    assert not Membership.objects.filter(user=newcomer).exists()
    services.membership_grant(
        actor=officer, user=newcomer, role=Role.GOVERNOR, unit=small_geo.gharchak
    )
    assert Membership.objects.filter(user=newcomer, unit=small_geo.gharchak).count() == 1


def test_grant_rejects_units_below_county_and_officer_without_agency(
    personas: Personas, small_geo: Any, newcomer: User
) -> None:
    with pytest.raises(ValidationError):
        services.membership_grant(
            actor=personas.admin, user=newcomer, role=Role.OBSERVER, unit=small_geo.gharchak_city
        )
    with pytest.raises(ValidationError):
        services.membership_grant(
            actor=personas.admin, user=newcomer, role=Role.AGENCY_OFFICER, unit=small_geo.gharchak
        )


def test_inspector_cannot_manage_memberships(personas: Personas, small_geo: Any,
                                             newcomer: User) -> None:
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=personas.inspector, user=newcomer, role=Role.OBSERVER, unit=small_geo.gharchak
        )


def test_web_grant_and_revoke_within_scope(client: Client, personas: Personas, small_geo: Any,
                                          newcomer: User) -> None:
    sign_in(client, personas.gharchak_governor)
    response = client.post(reverse("accounts_membership_grant"), {
        "username": "newcomer", "role": Role.FIELD_INSPECTOR, "unit": small_geo.gharchak.pk,
    })
    membership = Membership.objects.get(user=newcomer)
    assert response.status_code == 302
    assert membership.role == Role.FIELD_INSPECTOR
    assert membership.created_by == personas.gharchak_governor
    response = client.post(reverse("accounts_membership_revoke", args=[membership.pk]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.active


def test_web_grant_outside_scope_changes_nothing(client: Client, personas: Personas,
                                                small_geo: Any, newcomer: User) -> None:
    sign_in(client, personas.gharchak_governor)
    response = client.post(reverse("accounts_membership_grant"), {
        "username": "newcomer", "role": Role.GOVERNOR, "unit": small_geo.kerman_county.pk,
    })
    assert response.status_code == 400
    assert not Membership.objects.filter(user=newcomer).exists()


def test_denied_revoke_is_404_and_database_unchanged(
    client: Client, personas: Personas, audit_events: list[dict[str, Any]]
) -> None:
    kerman = Membership.objects.get(user=personas.kerman_governor)
    before = list(Membership.objects.order_by("pk").values())
    sign_in(client, personas.gharchak_governor)
    response = client.post(reverse("accounts_membership_revoke", args=[kerman.pk]))
    assert response.status_code == 404
    assert list(Membership.objects.order_by("pk").values()) == before
    assert "access.denied" in [e["action"] for e in audit_events]


def test_kerman_membership_is_404_for_gharchak_governor_on_the_web(
    client: Client, personas: Personas
) -> None:
    kerman = Membership.objects.get(user=personas.kerman_governor)
    sign_in(client, personas.gharchak_governor)
    assert client.get(reverse("accounts_membership", args=[kerman.pk])).status_code == 404
    own_area = Membership.objects.get(user=personas.inspector)
    assert client.get(reverse("accounts_membership", args=[own_area.pk])).status_code == 200


def test_membership_list_is_scoped(client: Client, personas: Personas) -> None:
    sign_in(client, personas.gharchak_governor)
    body = client.get(reverse("accounts_memberships")).content.decode()
    assert "gharchak_inspector" in body
    assert "kerman_governor" not in body


def test_denied_access_and_grants_reach_the_audit_log(
    client: Client, personas: Personas, small_geo: Any, newcomer: User
) -> None:
    from amanat.audit.models import Event

    kerman = Membership.objects.get(user=personas.kerman_governor)
    sign_in(client, personas.gharchak_governor)
    client.get(reverse("accounts_membership", args=[kerman.pk]))
    denied = Event.objects.get(action="access.denied")
    assert denied.actor_id == personas.gharchak_governor.pk
    assert (denied.object_type, denied.object_id) == ("accounts.membership", str(kerman.pk))
    services.membership_grant(
        actor=personas.admin, user=newcomer, role=Role.OBSERVER, unit=small_geo.gharchak
    )
    grant = Event.objects.get(action="membership.grant")
    assert grant.after["role"] == Role.OBSERVER and grant.unit_id == small_geo.gharchak.pk


def test_a_refused_grant_is_recorded(client: Client, personas: Personas, small_geo: Any,
                                     newcomer: User) -> None:
    """The refusal rolled back the grant's transaction, and the record of the refusal
    with it: it is written before that transaction opens."""
    from amanat.audit.models import Event

    sign_in(client, personas.tehran_officer)
    response = client.post(reverse("accounts_membership_grant"), {
        "username": "newcomer", "role": Role.NATIONAL_ADMIN, "unit": small_geo.tehran.pk,
    })
    assert response.status_code == 400
    assert not Membership.objects.filter(user=newcomer).exists()
    denied = Event.objects.get(action="access.denied")
    assert denied.actor_id == personas.tehran_officer.pk
    assert denied.object_type == "accounts.membership"
    assert denied.extra == {"attempted": "create"}


def test_a_refused_revoke_is_recorded(personas: Personas) -> None:
    from amanat.audit.models import Event

    kerman = Membership.objects.get(user=personas.kerman_governor)
    with pytest.raises(PermissionDenied):
        services.membership_revoke(actor=personas.gharchak_governor, membership=kerman)
    kerman.refresh_from_db()
    assert kerman.active
    denied = Event.objects.get(action="access.denied")
    assert (denied.object_id, denied.extra) == (str(kerman.pk), {"attempted": "delete"})


def test_nobody_grants_a_role_to_themselves(client: Client, personas: Personas,
                                            small_geo: Any) -> None:
    """Separation of duties: a governor may grant roles in his county, not to himself."""
    governor = personas.gharchak_governor
    sign_in(client, governor)
    before = Membership.objects.filter(user=governor).count()
    response = client.post(reverse("accounts_membership_grant"), {
        "username": governor.username, "role": Role.SECURITY_COMMITTEE,
        "unit": small_geo.gharchak.pk,
    })
    assert response.status_code == 400  # refused like any other ungrantable role
    assert "yourself" in response.content.decode() or "خودتان" in response.content.decode()
    assert Membership.objects.filter(user=governor).count() == before
    assert Event.objects.filter(action="access.denied", actor_id=governor.pk).exists()
