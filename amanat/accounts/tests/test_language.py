"""Persian for everyone unless they choose English; the choice kept on the profile."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from amanat.accounts.models import Profile
from amanat.accounts.testing import sign_in
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db


def _lang(client: Client, url: str = "/", **headers: Any) -> str:
    html = client.get(url, **headers).content.decode()
    return html.split('<html lang="')[1].split('"')[0]


def test_an_english_browser_still_opens_in_persian(client: Client, personas: Any):
    assert _lang(client, "/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9") == "fa"
    sign_in(client, personas.gharchak_governor)
    assert _lang(client, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9") == "fa"


def test_the_choice_is_kept_on_the_profile_and_follows_the_user(personas: Any):
    governor = personas.gharchak_governor
    office = sign_in(Client(), governor)
    response = office.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert Profile.objects.get(user=governor).language == "en"
    event = Event.objects.get(action="profile.language")
    assert (event.actor_name, event.before, event.after) == (
        governor.username, {"language": ""}, {"language": "en"})
    assert _lang(office) == "en"
    elsewhere = Client()  # another computer: no cookie, an English-less browser
    elsewhere.force_login(governor)
    assert _lang(elsewhere, HTTP_ACCEPT_LANGUAGE="fa") == "en"
    office.post("/i18n/setlang/", {"language": "fa", "next": "/"})
    assert Profile.objects.get(user=governor).language == "fa"
    assert _lang(office) == "fa"


def test_a_signed_out_choice_stores_no_profile(client: Client, db: None):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert _lang(client, "/accounts/login/") == "en"
    assert not Profile.objects.exists()


def test_an_unknown_language_changes_nothing(personas: Any):
    client = sign_in(Client(), personas.kerman_governor)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert not Profile.objects.exists()
    assert not Event.objects.filter(action="profile.language").exists()
    assert _lang(client) == "fa"
