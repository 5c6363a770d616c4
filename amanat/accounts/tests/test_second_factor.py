"""The second factor cannot be replaced or skipped with a password alone (issue 11, §1).

The review signed in as a national user with the password only, opened enrolment, got a
new secret, confirmed it (which verified the session) and so deleted the real device.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts import services, views
from amanat.accounts.models import ApiToken, Membership
from amanat.accounts.testing import (
    Personas,
    enrolment_secret,
    secret_code,
    sign_in,
    totp_code,
)
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase-1404"
ENROL = "/accounts/2fa/enrol/"
VERIFY = "/accounts/2fa/verify/"


@pytest.fixture
def admin(personas: Personas) -> User:
    """The ministry administrator, with a password and a real authenticator."""
    user = personas.admin
    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def _password_only(user: User) -> Client:
    """Signed in through the sign-in page with the password, nothing more."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _sessions_of(user: User) -> int:
    return sum(s.get_decoded().get("_auth_user_id") == str(user.pk)
               for s in Session.objects.all())


def test_password_alone_cannot_replace_the_device(admin: User) -> None:
    real = TOTPDevice.objects.get(user=admin)
    client = _password_only(admin)
    page = client.get(ENROL)
    assert page.status_code == 302 and page["Location"].startswith(VERIFY)
    assert views.PENDING_SECRET not in client.session  # no secret shown
    # Even a secret this session holds some other way (shown before the device was
    # confirmed, say) does not go through the page.
    secret = base64.b32encode(bytes(range(20))).decode()
    session = client.session
    session[views.PENDING_SECRET] = bytes(range(20)).hex()
    session.save()
    posted = client.post(ENROL, {"token": secret_code(secret)})
    assert posted.status_code == 302 and posted["Location"].startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=admin)) == [real]
    assert TOTPDevice.objects.get(pk=real.pk).confirmed
    # … and the session is still not verified: the audit export stays out of reach.
    export = client.get(reverse("audit:export"))
    assert export.status_code == 302 and export["Location"].startswith(VERIFY)


def test_service_refuses_to_replace_without_the_current_device(admin: User) -> None:
    key = bytes(range(20)).hex()
    code = secret_code(base64.b32encode(bytes(range(20))).decode())
    with pytest.raises(PermissionDenied):
        services.totp_enrolment_confirm(user=admin, key=key, token=code, verified_with=None)
    with pytest.raises(PermissionDenied):
        services.totp_enrolment_start(user=admin, verified_with=None)
    assert TOTPDevice.objects.filter(user=admin).count() == 1
    assert Event.objects.filter(action="access.denied",
                                object_type="otp_totp.totpdevice").count() == 2


def test_verified_session_replaces_the_device(admin: User) -> None:
    old = TOTPDevice.objects.get(user=admin)
    client = _password_only(admin)
    assert client.post(VERIFY, {"token": totp_code(old)}).status_code == 302
    page = client.get(ENROL)
    assert page.status_code == 200 and page.context["replacing"]
    secret = enrolment_secret(page)
    assert list(TOTPDevice.objects.filter(user=admin)) == [old]  # the page wrote nothing
    assert client.post(ENROL, {"token": secret_code(secret), "next": "/"}).status_code == 302
    new = TOTPDevice.objects.get(user=admin)
    assert new.pk != old.pk and new.confirmed
    assert base64.b32encode(new.bin_key).decode() == secret
    event = Event.objects.get(action="auth.totp_enrol")
    assert event.extra == {"replaced": 1} and event.actor_id == admin.pk
    assert event.object_id == str(new.pk)
    assert client.get(reverse("audit:events")).status_code == 200


def test_enrolment_keeps_one_secret_per_session_and_writes_only_on_confirmation(
    personas: Personas,
) -> None:
    officer = personas.tehran_officer
    client = sign_in(Client(), officer, verified=False)
    first = enrolment_secret(client.get(ENROL))
    assert enrolment_secret(client.get(ENROL)) == first  # reloading shows the same
    wrong = client.post(ENROL, {"token": "000000"})
    assert wrong.status_code == 200 and enrolment_secret(wrong) == first
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not Event.objects.filter(action="auth.totp_enrol").exists()
    # A code is good once: it confirms the device, and cannot verify a session again.
    code = secret_code(first)
    assert client.post(ENROL, {"token": code}).status_code == 302
    device = TOTPDevice.objects.get(user=officer, confirmed=True)
    assert views.PENDING_SECRET not in client.session
    other = sign_in(Client(), officer, verified=False)
    assert other.post(VERIFY, {"token": code}).status_code == 200
    assert TOTPDevice.objects.filter(user=officer).get() == device


def test_enrolled_county_user_must_verify_too(personas: Personas) -> None:
    """A device is asked for even where the role does not require one; otherwise the
    password alone could replace it."""
    governor = personas.gharchak_governor
    device = TOTPDevice.objects.create(user=governor, name="phone", confirmed=True)
    client = sign_in(Client(), governor, verified=False)
    for url in (reverse("accounts_profile"), ENROL, reverse("stations:list")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), url
    assert client.post(VERIFY, {"token": totp_code(device)}).status_code == 302
    assert client.get(reverse("accounts_profile")).status_code == 200


def test_a_shown_secret_belongs_to_one_session(personas: Personas) -> None:
    """Someone who had the password for a moment and saw a secret cannot have it become
    the user's device later."""
    officer = personas.tehran_officer
    intruder = sign_in(Client(), officer, verified=False)
    seen = enrolment_secret(intruder.get(ENROL))
    owner = sign_in(Client(), officer, verified=False)
    mine = enrolment_secret(owner.get(ENROL))
    assert mine != seen
    assert owner.post(ENROL, {"token": secret_code(mine)}).status_code == 302
    # The intruder's session now meets a confirmed device it was never verified with.
    response = intruder.post(ENROL, {"token": secret_code(seen)})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    device = TOTPDevice.objects.get(user=officer)
    assert base64.b32encode(device.bin_key).decode() == mine


def test_password_only_session_cannot_issue_an_api_token(admin: User) -> None:
    client = _password_only(admin)
    response = client.post(reverse("stations:api_token_issue"), {"name": "x", "ttl_days": 30})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert not ApiToken.objects.filter(user=admin).exists()


def test_public_pages_see_a_password_only_session_as_signed_out(admin: User) -> None:
    client = _password_only(admin)
    page = client.get(reverse("public_report"))
    assert page.status_code == 200
    assert not page.context["user"].is_authenticated


# --- reset of a lost device -----------------------------------------------------------


def test_national_admin_resets_a_lost_device(personas: Personas) -> None:
    officer = personas.tehran_officer
    officer_session = sign_in(Client(), officer)
    assert _sessions_of(officer) == 1
    admin = sign_in(Client(), personas.admin)
    membership = Membership.objects.get(user=officer)
    page = admin.get(reverse("accounts_membership", args=[membership.pk]))
    assert b'data-testid="totp-reset"' in page.content
    response = admin.post(reverse("accounts_otp_reset", args=[officer.pk]),
                          {"next": f"/accounts/memberships/{membership.pk}/"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/memberships/{membership.pk}/"
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert _sessions_of(officer) == 0
    assert officer_session.get(reverse("accounts_profile"))["Location"].startswith(
        reverse("login"))
    event = Event.objects.get(action="auth.totp_reset")
    assert event.actor_id == personas.admin.pk and event.object_id == str(officer.pk)
    assert event.extra == {"devices_removed": 1, "sessions_ended": 1, "tokens_revoked": 0}


@pytest.mark.parametrize("who", ["auditor", "tehran_officer", "gharchak_governor"])
def test_only_a_national_admin_may_reset(personas: Personas, who: str) -> None:
    target = personas.tehran_officer if who != "tehran_officer" else personas.auditor
    TOTPDevice.objects.get_or_create(user=target, name="test", defaults={"confirmed": True})
    client = sign_in(Client(), getattr(personas, who))
    response = client.post(reverse("accounts_otp_reset", args=[target.pk]))
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=target).exists()
    assert not Event.objects.filter(action="auth.totp_reset").exists()
    assert Event.objects.filter(action="access.denied", object_id=str(target.pk)).exists()


def test_reset_needs_a_verified_session(admin: User, personas: Personas) -> None:
    officer = personas.tehran_officer
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    client = _password_only(admin)
    response = client.post(reverse("accounts_otp_reset", args=[officer.pk]))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=officer).exists()


def test_admin_cannot_reset_their_own_device_from_the_web(personas: Personas) -> None:
    client = sign_in(Client(), personas.admin)
    response = client.post(reverse("accounts_otp_reset", args=[personas.admin.pk]))
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=personas.admin).exists()


def test_otp_reset_command(personas: Personas, capsys: Any) -> None:
    officer = personas.tehran_officer
    sign_in(Client(), officer)  # a session and a device
    call_command("otp_reset", officer.username)
    assert "1 device(s) removed" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert _sessions_of(officer) == 0
    event = Event.objects.get(action="auth.totp_reset")
    assert event.actor_id is None and event.actor_name.startswith("cli")
    with pytest.raises(CommandError):
        call_command("otp_reset", "nobody")


def test_device_admin_is_not_offered(client: Client, small_geo: Any) -> None:
    """Devices change only through enrolment and the audited reset, not the admin."""
    boss = User.objects.create_superuser("boss", password=None)
    sign_in(client, boss)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_passing_the_second_factor_renews_the_session_key(admin: User) -> None:
    """A session id planted before the code was typed does not become a verified one."""
    client = _password_only(admin)
    planted = client.cookies["sessionid"].value
    device = TOTPDevice.objects.get(user=admin)
    response = client.post(VERIFY, {"token": totp_code(device), "next": "/"})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != planted
    stale = Client()
    stale.cookies["sessionid"] = planted
    assert stale.get(reverse("accounts_profile"))["Location"].startswith(reverse("login"))


def test_a_wrong_code_is_recorded_with_the_client_address(admin: User) -> None:
    client = Client(REMOTE_ADDR="10.20.30.40")
    client.post(reverse("login"), {"username": admin.username, "password": PASSWORD})
    client.post(VERIFY, {"token": "000000", "next": "/"})
    event = Event.objects.get(action="auth.totp_failed")
    assert event.extra["ip"] == "10.20.30.40"


def test_a_reset_revokes_the_users_api_tokens(personas: Personas) -> None:
    officer = personas.tehran_officer
    token, _plain = services.api_token_issue(user=officer, name="device", ttl_days=30,
                                             actor=officer)
    services.totp_reset(user=officer, actor=personas.admin)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Event.objects.get(action="auth.totp_reset").extra["tokens_revoked"] == 1


def test_the_password_leads_to_the_second_factor_not_to_a_signed_out_home(admin: User) -> None:
    """User review 2026-12: the national administrator typed the password and landed on
    the public home, shown signed out; its sign-in link came back to the home again."""
    client = Client()
    response = client.post(reverse("login"), {"username": admin.username,
                                               "password": PASSWORD, "next": "/plans/"})
    assert response.status_code == 302
    assert response["Location"] == VERIFY + "?next=%2Fplans%2F"
    # The sign-in page opened again (the home's sign-in link) goes there too, not home.
    again = client.get(reverse("login"))
    assert again.status_code == 302 and again["Location"].startswith(VERIFY)
    device = TOTPDevice.objects.get(user=admin)
    verified = client.post(again["Location"], {"token": totp_code(device)})
    assert verified.status_code == 302
    # Verified, the sign-in page sends the user on, as before.
    assert client.get(reverse("login"))["Location"] == "/"


def test_a_user_without_the_second_factor_signs_in_straight_home(personas: Personas) -> None:
    user = personas.gharchak_governor
    user.set_password(PASSWORD)
    user.save()
    response = Client().post(reverse("login"), {"username": user.username,
                                                "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_role_that_needs_the_second_factor_ends_tokens_issued_without_it(
        admin: User, personas: Personas, small_geo: Any) -> None:
    """Attack review 2026-12 (plans): a county governor signs in with the password alone
    (no second factor is asked at a county) and issues an API token; later the governor
    is given a provincial role. The token acted with the new role — the province's
    atlas, compliance and measures — without the second factor ever being asked."""
    governor = personas.gharchak_governor
    governor.set_password(PASSWORD)
    governor.save()
    page = _password_only(governor).post(reverse("stations:api_token_issue"),
                                         {"name": "laptop", "ttl_days": 365})
    plaintext = page.context["plaintext"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert Client().get("/api/v1/me", **bearer).status_code == 200

    ministry = sign_in(Client(), admin)
    granted = ministry.post(reverse("accounts_membership_grant"), {
        "username": governor.username, "role": "hq_staff", "unit": small_geo.tehran.pk})
    assert granted.status_code == 302
    assert Membership.objects.active().filter(user=governor, unit=small_geo.tehran).exists()

    # The token no longer works; the grant's audit entry says it ended.
    assert Client().get("/api/v1/me", **bearer).status_code == 401
    assert Client().get("/api/v1/plans/compliance/", **bearer).status_code == 401
    assert ApiToken.objects.get(user=governor).revoked_at is not None
    event = Event.objects.filter(action="membership.grant").latest("seq")
    assert event.extra == {"tokens_revoked": 1}
    # A role at a county, or a user already asked for the factor, keeps its tokens.
    _token, plain = services.api_token_issue(user=admin, name="script", ttl_days=30,
                                             actor=admin)
    services.membership_grant_system(user=admin, role="hq_staff", unit=small_geo.tehran,
                                     actor_name="cli")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200


def test_a_role_granted_from_the_command_line_ends_tokens_issued_without_it(
        personas: Personas, small_geo: Any) -> None:
    officer = personas.gharchak_governor
    _token, plain = services.api_token_issue(user=officer, name="d", ttl_days=30,
                                              actor=officer)
    call_command("grant_role", officer.username, "national_admin", small_geo.iran.code)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["executive_board", "supervision_board"])
def test_a_board_role_at_a_county_ends_tokens_issued_without_the_second_factor(
        admin: User, personas: Personas, small_geo: Any, role: str) -> None:
    """Auth review 2, F4: the fix above ended the tokens only for a role at the country
    or a province, but the board roles need the second factor at a county too (they read
    the candidates' confidential inquiry answers, and record them through the API).  A
    governor's token issued with the password alone went on acting as a board member."""
    governor = personas.gharchak_governor
    governor.set_password(PASSWORD)
    governor.save()
    page = _password_only(governor).post(reverse("stations:api_token_issue"),
                                         {"name": "laptop", "ttl_days": 365})
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {page.context['plaintext']}"}
    assert Client().get("/api/v1/me", **bearer).status_code == 200

    ministry = sign_in(Client(), admin)
    granted = ministry.post(reverse("accounts_membership_grant"), {
        "username": governor.username, "role": role, "unit": small_geo.gharchak.pk})
    assert granted.status_code == 302
    assert Client().get("/api/v1/me", **bearer).status_code == 401
    event = Event.objects.filter(action="membership.grant").latest("seq")
    assert event.extra == {"tokens_revoked": 1}

    # The same from the command line; and a board member's own later grants keep tokens.
    _token, plain = services.api_token_issue(user=personas.kerman_governor, name="d",
                                             ttl_days=30, actor=personas.kerman_governor)
    call_command("grant_role", personas.kerman_governor.username, role,
                 small_geo.kerman_county.code)
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    _token, plain = services.api_token_issue(user=governor, name="after", ttl_days=30,
                                             actor=governor)
    services.membership_grant_system(user=governor, role="hq_staff", unit=small_geo.tehran,
                                     actor_name="cli")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200
