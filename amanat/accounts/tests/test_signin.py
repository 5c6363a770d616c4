from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts import services
from amanat.accounts.middleware import SEEN_AT, SIGNED_IN_AT
from amanat.accounts.testing import Personas, enrolment_secret, secret_code, sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase-1404"


@pytest.fixture
def governor(personas: Personas) -> User:
    user = personas.gharchak_governor
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def _totp(device: TOTPDevice) -> str:
    # A failed try throttles the device for a second; the test does not wait for it.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_anonymous_is_sent_to_sign_in(client: Client, small_geo: Any) -> None:
    # The home page is the public portal's for a signed-out visitor; the work pages are not.
    response = client.get("/geo/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("login")).status_code == 200


def test_sign_in_and_failure_are_audited(client: Client, governor: User,
                                         audit_events: list[dict[str, Any]]) -> None:
    assert _login(client, governor.username, "wrong").status_code == 200
    assert _login(client, governor.username, PASSWORD).status_code == 302
    assert [e["action"] for e in audit_events] == ["auth.sign_in_failed", "auth.sign_in"]
    assert audit_events[0]["actor_name"] == governor.username
    assert client.get(reverse("accounts_profile")).status_code == 200


def test_lockout_after_five_failures_per_username_and_address(
    client: Client, governor: User
) -> None:
    for _ in range(5):
        _login(client, governor.username, "wrong")
    locked = _login(client, governor.username, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is a different (username, address) pair: not locked.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert _login(other, governor.username, PASSWORD).status_code == 302


def test_logout_is_post_only(client: Client, personas: Personas) -> None:
    sign_in(client, personas.inspector)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_province_officer_must_enrol_then_verify(client: Client, personas: Personas) -> None:
    officer = personas.tehran_officer
    sign_in(client, officer, verified=False)
    response = client.get(reverse("accounts_profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts_otp_enrol"))
    page = client.get(reverse("accounts_otp_enrol"))
    assert page.status_code == 200 and b"data:image/svg+xml;base64," in page.content
    secret = enrolment_secret(page)
    bad = client.post(reverse("accounts_otp_enrol"), {"token": "000000"})
    assert bad.status_code == 200
    ok = client.post(
        reverse("accounts_otp_enrol"), {"token": secret_code(secret), "next": "/accounts/profile/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/accounts/profile/"
    assert TOTPDevice.objects.get(user=officer).confirmed
    assert client.get(reverse("accounts_profile")).status_code == 200


def test_enrolled_officer_must_verify_each_session(client: Client, personas: Personas) -> None:
    officer = personas.tehran_officer
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    sign_in(client, officer, verified=False)
    response = client.get("/geo/")
    assert response["Location"].startswith(reverse("accounts_otp_verify"))
    # The home page is public: a password alone sees it signed out, not the work page.
    assert b'data-testid="work-figures"' not in client.get("/").content
    assert client.post(reverse("accounts_otp_verify"), {"token": "123"}).status_code == 200
    response = client.post(
        reverse("accounts_otp_verify"), {"token": _totp(device), "next": "/accounts/profile/"}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts_profile")).status_code == 200


def test_county_governor_needs_no_second_factor(client: Client, personas: Personas) -> None:
    sign_in(client, personas.gharchak_governor, verified=False)
    assert client.get(reverse("accounts_profile")).status_code == 200


def _age_session(client: Client, key: str, seconds: int) -> None:
    session = client.session
    session[key] = int(time.time()) - seconds
    session.save()


def test_idle_session_ends(client: Client, personas: Personas) -> None:
    sign_in(client, personas.inspector)
    assert client.get(reverse("accounts_profile")).status_code == 200
    _age_session(client, SEEN_AT, 31 * 60)
    response = client.get(reverse("accounts_profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_session_ends_after_twelve_hours_even_when_busy(client: Client, personas: Personas) -> None:
    sign_in(client, personas.inspector)
    client.get(reverse("accounts_profile"))
    _age_session(client, SIGNED_IN_AT, 12 * 3600 + 1)
    assert client.get(reverse("accounts_profile")).status_code == 302


def test_disabled_user_session_ends(client: Client, personas: Personas) -> None:
    user = personas.inspector
    sign_in(client, user)
    assert client.get(reverse("accounts_profile")).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)  # e.g. disabled in the admin
    response = client.get(reverse("accounts_profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_user_deactivate_deletes_sessions_and_revokes_tokens(
    client: Client, personas: Personas
) -> None:
    user = personas.inspector
    sign_in(client, user)
    token, _ = services.api_token_issue(user=user, name="tablet", ttl_days=5, actor=user)
    services.user_deactivate(actor=personas.admin, user=user)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(user.pk) for s in Session.objects.all()
    )


def test_responses_carry_the_content_security_policy(client: Client, personas: Personas) -> None:
    sign_in(client, personas.inspector)
    csp = client.get(reverse("accounts_profile"))["Content-Security-Policy"]
    for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'",
                 "frame-ancestors 'none'", "img-src 'self' data:", "form-action 'self'"):
        assert part in csp


def test_admin_site_needs_a_verified_second_factor(client: Client, small_geo: Any) -> None:
    boss = User.objects.create_superuser("boss", password=None)
    sign_in(client, boss, verified=False)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts_otp_enrol"))
    sign_in(client, boss)
    assert client.get("/admin/").status_code == 200
