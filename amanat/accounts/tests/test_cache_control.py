"""Answers to signed-in users are ``Cache-Control: private, no-store`` (issue 11, §5).

The URL walk checks the header on every page for every persona; these tests name the
cases that matter most and what stays cacheable.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts import services
from amanat.accounts.testing import Personas, sign_in

pytestmark = pytest.mark.django_db

PRIVATE = "private, no-store"


def test_signed_in_pages_are_private(personas: Personas) -> None:
    client = sign_in(Client(), personas.gharchak_governor)
    for url in (reverse("site:home"), reverse("accounts_profile"), reverse("geo:index")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == PRIVATE, url
        assert not response.has_header("Expires")


def test_redirects_of_a_signed_in_user_are_private(personas: Personas) -> None:
    client = sign_in(Client(), personas.tehran_officer, verified=False)
    response = client.get(reverse("accounts_profile"))
    assert response.status_code == 302 and response["Cache-Control"] == PRIVATE


def test_api_answers_to_a_token_are_private(personas: Personas) -> None:
    user = personas.gharchak_governor
    _, plaintext = services.api_token_issue(user=user, name="t", ttl_days=1, actor=user)
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200 and response["Cache-Control"] == PRIVATE


def test_public_answers_keep_their_caching(small_geo: object) -> None:
    client = Client()
    # (The sign-in page is never cached: Django's LoginView says so itself.)
    for url in ("/api/v1/openapi.json", "/static/amanat/img/emblem.svg"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" not in response.get("Cache-Control", ""), url
    assert "max-age" in client.get("/static/amanat/img/emblem.svg")["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_served_api_chain_marks_token_answers_private(personas: Personas) -> None:
    """Production serves /api/ through its own middleware chain (amanat.intake.handlers).

    A real transaction: the served handler closes a connection left inside a test's
    atomic block at the end of the request, as production's would."""
    from django.test import RequestFactory

    from amanat.intake.handlers import PathDispatch

    user = personas.gharchak_governor
    _, plaintext = services.api_token_issue(user=user, name="t", ttl_days=1, actor=user)
    environ = RequestFactory().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"}).environ
    answers: list[tuple[str, list[tuple[str, str]]]] = []
    body = b"".join(PathDispatch()(environ, lambda status, headers, *a: answers.append(
        (status, headers))))
    status, headers = answers[0]
    assert status.startswith("200") and b"gharchak_governor" in body
    assert ("Cache-Control", PRIVATE) in headers
