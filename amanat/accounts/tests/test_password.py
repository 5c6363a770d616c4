"""Users change their own password (issue 11, §5)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts.testing import Personas, sign_in
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db

OLD = "a-long-test-passphrase-1404"
NEW = "another long passphrase, 1405"
PAGE = "/accounts/password/"


@pytest.fixture
def governor(personas: Personas) -> User:
    user = personas.gharchak_governor
    user.set_password(OLD)
    user.save()
    return user


def _signed_in(user: User, password: str = OLD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302
    return client


def _change(client: Client, old: str, new: str, again: str | None = None) -> object:
    return client.post(PAGE, {"old_password": old, "new_password1": new,
                              "new_password2": new if again is None else again})


def test_profile_links_to_the_page(governor: User) -> None:
    client = _signed_in(governor)
    profile = client.get(reverse("accounts_profile"))
    assert f'href="{PAGE}"'.encode() in profile.content
    assert client.get(PAGE).status_code == 200


def test_change_keeps_this_session_and_ends_the_others(governor: User) -> None:
    client, other = _signed_in(governor), _signed_in(governor)
    response = _change(client, OLD, NEW)
    assert response.status_code == 302 and response["Location"] == reverse("accounts_profile")
    governor.refresh_from_db()
    assert governor.check_password(NEW) and not governor.check_password(OLD)
    assert client.get(reverse("accounts_profile")).status_code == 200
    ended = other.get(reverse("accounts_profile"))
    assert ended.status_code == 302 and ended["Location"].startswith(reverse("login"))
    assert Session.objects.count() == 1
    event = Event.objects.get(action="user.password_change")
    assert event.actor_id == governor.pk and event.object_id == str(governor.pk)
    assert event.extra == {"sessions_ended": 1, "tokens_revoked": 0}
    recorded = json.dumps([event.before, event.after, event.extra])
    assert OLD not in recorded and NEW not in recorded and governor.password not in recorded


@pytest.mark.parametrize(("old", "new", "again", "field"), [
    ("wrong password", NEW, None, "old_password"),
    (OLD, "short", None, "new_password2"),  # Django's validators: at least 12 characters
    (OLD, "password1234", None, "new_password2"),  # a common password
    (OLD, "gharchak_governor", None, "new_password2"),  # too like the username
    (OLD, NEW, NEW + "x", "new_password2"),
])
def test_refused_changes_store_nothing(
    governor: User, old: str, new: str, again: str | None, field: str
) -> None:
    client = _signed_in(governor)
    response = _change(client, old, new, again)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    governor.refresh_from_db()
    assert governor.check_password(OLD)
    assert not Event.objects.filter(action="user.password_change").exists()


def test_page_needs_the_second_factor_where_required(personas: Personas) -> None:
    officer = personas.tehran_officer
    officer.set_password(OLD)
    officer.save()
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    client = _signed_in(officer)  # the password only
    for response in (client.get(PAGE), _change(client, OLD, NEW)):
        assert response.status_code == 302  # type: ignore[attr-defined]
        assert response["Location"].startswith(reverse("accounts_otp_verify"))  # type: ignore[index]
    officer.refresh_from_db()
    assert officer.check_password(OLD)


def test_page_in_persian_and_english(governor: User) -> None:
    client = _signed_in(governor)
    client.cookies["django_language"] = "en"
    english = client.get(PAGE)
    assert b"Change password" in english.content and b"Old password" in english.content
    client.cookies["django_language"] = "fa"
    persian = _change(client, "wrong password", NEW).content.decode()  # type: ignore[attr-defined]
    assert 'lang="fa"' in persian
    assert "گذرواژهٔ قدیمی" in persian and "اشتباه وارد شد" in persian


def test_signed_out_is_sent_to_sign_in(client: Client, small_geo: object) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_personas_without_a_password_cannot_set_one_blindly(personas: Personas) -> None:
    client = sign_in(Client(), personas.inspector)
    response = _change(client, "", NEW)
    assert response.status_code == 200  # type: ignore[attr-defined]
    personas.inspector.refresh_from_db()
    assert not personas.inspector.has_usable_password()


@pytest.mark.parametrize(("new", "persian"), [
    ("short", "دست‌کم ۱۲ نویسه"),
    ("123456789012345", "فقط از رقم"),
    ("q1w2e3r4t5y6", "بسیار رایج"),
])
def test_password_rules_speak_persian(governor: User, new: str, persian: str) -> None:
    """Django's own Persian lacks some rules' messages: the project words them."""
    client = _signed_in(governor)
    client.cookies["django_language"] = "fa"
    page = _change(client, OLD, new).content.decode()  # type: ignore[attr-defined]
    assert persian in page
    assert "This password" not in page and "characters" not in page
    governor.refresh_from_db()
    assert governor.check_password(OLD)


def test_wrong_current_passwords_count_like_failed_sign_ins(governor: User) -> None:
    """A session left open is no way round the sign-in lockout: five wrong current
    passwords lock the (username, address) pair, here and at sign-in."""
    from axes.models import AccessAttempt

    client = _signed_in(governor)
    answers = [_change(client, f"guess number {i}", NEW) for i in range(5)]
    assert [a.status_code for a in answers] == [200] * 4 + [429]  # type: ignore[attr-defined]
    # Locked: even the right password is not checked, and nothing changes.
    assert _change(client, OLD, NEW).status_code == 429  # type: ignore[attr-defined]
    governor.refresh_from_db()
    assert governor.check_password(OLD)
    assert Client().post(reverse("login"), {"username": governor.username,
                                            "password": OLD}).status_code == 429
    # Recorded as sign-in failures are: the first of each counting window at once, the
    # rest counted (two when the window's boundary fell between the attempts).
    events = list(Event.objects.filter(action="auth.password_check_failed").order_by("pk"))
    assert 1 <= len(events) <= 2
    assert all(e.actor_id == governor.pk and e.actor_name == governor.username
               for e in events)
    # axes keeps the failed form's data: no password typed there.
    kept = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "guess number" not in kept and NEW not in kept and OLD not in kept


def test_other_refusals_are_not_counted(governor: User) -> None:
    client = _signed_in(governor)
    for _ in range(6):
        assert _change(client, OLD, "short").status_code == 200  # type: ignore[attr-defined]
    assert _change(client, OLD, NEW).status_code == 302  # type: ignore[attr-defined]
    assert not Event.objects.filter(action="auth.password_check_failed").exists()
