from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts import services
from amanat.accounts.models import ApiToken
from amanat.accounts.testing import Personas, sign_in

pytestmark = pytest.mark.django_db


def _token(user: User) -> str:
    _, plaintext = services.api_token_issue(user=user, name="device", ttl_days=30, actor=user)
    return plaintext


def _get(client: Client, url: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers)


def test_token_is_stored_only_as_digest(personas: Personas) -> None:
    token, plaintext = services.api_token_issue(
        user=personas.police, name="tablet", ttl_days=7, actor=personas.police
    )
    assert plaintext.startswith("amt_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == services.api_token_digest(plaintext)
    assert plaintext not in str(list(ApiToken.objects.values()))


def test_token_lifetime_is_bounded(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        services.api_token_issue(user=personas.police, name="x", ttl_days=0, actor=personas.police)
    with pytest.raises(ValidationError):
        services.api_token_issue(
            user=personas.police, name="x", ttl_days=366, actor=personas.police
        )


def test_me_lists_memberships(client: Client, personas: Personas, small_geo: Any) -> None:
    response = _get(client, "/api/v1/me", _token(personas.police))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "gharchak_police"
    assert body["memberships"][0]["unit"]["id"] == small_geo.gharchak.pk
    assert body["memberships"][0]["agency_code"] == "police"


def test_unit_outside_scope_is_404(client: Client, personas: Personas, small_geo: Any) -> None:
    token = _token(personas.gharchak_governor)
    inside = _get(client, f"/api/v1/units/{small_geo.gharchak_city.pk}", token)
    assert inside.status_code == 200 and inside.json()["code"] == small_geo.gharchak_city.code
    assert _get(client, f"/api/v1/units/{small_geo.kerman_county.pk}", token).status_code == 404
    assert _get(client, f"/api/v1/units/{small_geo.tehran.pk}", token).status_code == 404


@pytest.mark.parametrize("problem", ["none", "garbage", "expired", "revoked", "inactive"])
def test_bad_tokens_are_401(client: Client, personas: Personas, problem: str) -> None:
    user = personas.inspector
    token, plaintext = services.api_token_issue(user=user, name="d", ttl_days=1, actor=user)
    if problem == "none":
        plaintext = ""
    elif problem == "garbage":
        plaintext = "amt_" + "x" * 40
    elif problem == "expired":
        past = timezone.now() - timedelta(seconds=1)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=past)
    elif problem == "revoked":
        services.api_token_revoke(token=token, actor=user)
    elif problem == "inactive":
        User.objects.filter(pk=user.pk).update(is_active=False)
    assert _get(client, "/api/v1/me", plaintext).status_code == 401


def test_token_use_is_recorded(client: Client, personas: Personas) -> None:
    token, plaintext = services.api_token_issue(
        user=personas.police, name="d", ttl_days=1, actor=personas.police
    )
    assert _get(client, "/api/v1/me", plaintext).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_openapi_schema_is_served(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/me", "/api/v1/units/{unit_id}"} <= set(schema["paths"])
    assert "UnitOut" in schema["components"]["schemas"]


def test_profile_issues_shows_once_and_revokes(client: Client, personas: Personas) -> None:
    sign_in(client, personas.inspector)
    response = client.post(reverse("stations:api_token_issue"), {"name": "tablet", "ttl_days": 10})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=personas.inspector)
    assert response.context["plaintext"].startswith("amt_")
    assert response["Cache-Control"] == "private, no-store"
    assert personas.inspector.username.encode() in client.get(reverse("accounts_profile")).content
    later = client.get(reverse("accounts_profile")).content
    assert response.context["plaintext"].encode() not in later
    client.post(reverse("stations:api_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(client: Client, personas: Personas) -> None:
    token, _ = services.api_token_issue(
        user=personas.police, name="d", ttl_days=1, actor=personas.police
    )
    sign_in(client, personas.admin)
    assert client.post(reverse("stations:api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_no_one_issues_a_token_for_someone_else(personas: Personas) -> None:
    """Auth review 2, F2: the service let any membership manager (a county governor
    included) issue a token for another user, a national administrator too: a token
    acts as its user with all their roles."""
    for actor in (personas.gharchak_governor, personas.admin):
        with pytest.raises(PermissionDenied):
            services.api_token_issue(user=personas.auditor, name="x", ttl_days=1, actor=actor)
    assert not ApiToken.objects.filter(user=personas.auditor).exists()
