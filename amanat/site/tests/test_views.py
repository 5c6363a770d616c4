"""The application shell: home page, base template, language switch."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_signed_out_home_is_the_public_portal(client, db):
    # Issue 17: a visitor is not sent to the sign-in page; the portal's home links it.
    response = client.get(reverse("site:home"))
    assert response.status_code == 200
    assert b'data-testid="public-home"' in response.content
    assert b'href="/accounts/login/"' in response.content
    assert "figures" not in response.context


def test_home_with_empty_database_says_what_to_do(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="newcomer"))
    response = client.get(reverse("site:home"))
    assert response.status_code == 200
    assert 'data-testid="no-work"' in response.content.decode()


def test_base_is_persian_rtl_by_default(viewer_client):
    html = viewer_client.get(reverse("site:home")).content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    assert "/static/vendor/bootstrap/css/bootstrap.rtl.min.css" in html
    assert "/static/vendor/vazirmatn/Vazirmatn-font-face.css" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "خانه" in html  # "Home" in Persian
    assert 'action="/i18n/setlang/"' in html
    assert 'href="/elections/"' in html


def test_base_has_no_inline_script_or_event_handler(viewer_client, small_geo):
    for url in [
        reverse("site:home"),
        reverse("geo:index"),
        reverse("geo:unit", args=[small_geo.kerman_county.pk]),
        reverse("geo:search") + "?q=کرمان",
    ]:
        html = viewer_client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), url


def test_language_switch_to_english_and_back(viewer_client):
    client = viewer_client
    response = client.post(reverse("set_language"), {"language": "en", "next": "/geo/"})
    assert response.status_code == 302
    assert response["Location"] == "/geo/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("site:home")).content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in html
    assert "bootstrap.rtl" not in html
    assert ">Home<" in html
    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    assert '<html lang="fa" dir="rtl">' in client.get("/").content.decode()


def test_language_switch_works_before_sign_in(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in html


def test_language_switch_rejects_unknown_language_and_foreign_next(viewer_client):
    client = viewer_client
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert '<html lang="fa" dir="rtl">' in client.get("/").content.decode()
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_navbar_shows_username_when_signed_in(client, django_user_model):
    user = django_user_model.objects.create_user(username="kerman.governor", password="x" * 16)
    client.force_login(user)
    html = client.get(reverse("site:home")).content.decode()
    assert ">kerman.governor</a>" in html and 'data-testid="username"' in html


def test_navbar_offers_sign_in_when_anonymous(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert 'data-testid="username"' not in html
    assert "ورود" in html  # "Sign in"
