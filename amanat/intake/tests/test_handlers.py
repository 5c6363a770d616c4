"""The served WSGI application (amanat.wsgi): the API's own middleware chain
(amanat.intake.handlers), the site's full one, each reached by its path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from amanat.accounts import services
from amanat.accounts.testing import Personas
from amanat.intake.tests.conftest import serve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Iterator[None]:
    # A real handler closes "old" connections around each request; the test's
    # transaction must survive (Django's test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_answers_through_its_own_chain(personas: Personas) -> None:
    _, token = services.api_token_issue(user=personas.inspector, name="device", ttl_days=1,
                                        actor=personas.inspector)
    status, headers, content = serve("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert status == 200
    assert json.loads(content)["username"] == personas.inspector.username
    # The security headers stay; the site's session, CSRF cookie and CSP do not apply.
    assert headers["x-content-type-options"] == ["nosniff"]
    assert headers["x-frame-options"] == ["DENY"]
    assert "set-cookie" not in headers and "content-security-policy" not in headers


def test_the_api_refuses_without_a_token_and_its_open_endpoints_see_no_user() -> None:
    status, headers, content = serve("/api/v1/me", headers={"Accept-Language": "en"})
    # The API's error body, like every other error answer, with the RFC 6750 challenge.
    body = json.loads(content)
    assert status == 401 and body["detail"]  # worded in the request's language
    [error] = body["errors"]
    assert error["field"] == "Authorization" and error["code"] == "unauthorized"
    assert error["message"]
    assert headers["www-authenticate"] == ['Bearer realm="api"']
    # The SMS webhook takes no token: it checks its signature and answers in Persian.
    status, _, content = serve("/api/v1/incidents/sms", method="POST", body=b"{}",
                               headers={"X-Amanat-Signature": "sha256=00"})
    assert status == 401 and json.loads(content)["error"] == "signature"
    status, _, content = serve("/api/v1/openapi.json")
    assert status == 200 and "/api/v1/incidents/reports" in json.loads(content)["paths"]


@pytest.mark.parametrize(("path", "method", "status"), [
    ("/api/v1/me", "GET", 401),                     # no token
    ("/api/v1/units/999999", "GET", 404),           # routed: no such unit in scope
    ("/api/v1/nothing", "GET", 404),                # no route at all
    ("/api/v1/me", "POST", 405),                    # a method the path lacks
    ("/api/v1/stations/1", "DELETE", 405),
    ("/api/v1/incidents/reports", "POST", 400),     # no Idempotency-Key
    ("/api/v1/units/x", "GET", 422),                # a path parameter unread
])
def test_every_error_answer_is_the_error_body_in_the_request_language(
    personas: Personas, path: str, method: str, status: int
) -> None:
    """Whatever the status, the body is ``{detail, errors}`` and ``detail`` is worded in
    the request's language (Persian by default), not a fixed English phrase."""
    _, token = services.api_token_issue(user=personas.inspector, name="d", ttl_days=1,
                                        actor=personas.inspector)
    auth = {} if status == 401 else {"Authorization": f"Bearer {token}"}
    body = b'{"category": "VB", "unit_id": 1, "text": "x"}' if method == "POST" else b""
    details = {}
    for language in ("fa", "en"):
        answer = serve(path, method=method, body=body,
                       headers={**auth, "Accept-Language": language})
        assert answer.status == status, (language, answer.content)
        assert (answer.header("Content-Type") or "").startswith("application/json"), answer.content
        # Its length said (else a WSGI server sends it in chunks, which the load
        # benchmark's client, like other simple clients, read as an empty body).
        assert answer.header("Content-Length") == str(len(answer.content))
        parsed = answer.json()
        assert set(parsed) == {"detail", "errors"} and isinstance(parsed["errors"], list)
        details[language] = parsed["detail"]
    assert details["fa"] != details["en"], details
    if status == 405:
        assert answer.header("Allow")


def test_the_site_keeps_its_full_chain(settings: Any) -> None:
    status, headers, _ = serve("/accounts/login/")
    assert status == 200
    assert "content-security-policy" in headers
    assert any(cookie.strip().startswith(f"{settings.CSRF_COOKIE_NAME}=")
               for cookie in headers["set-cookie"])
    # Signed out, a site page sends to the sign-in page (login required everywhere).
    status, headers, _ = serve("/stations/")
    assert status == 302 and headers["location"][0].startswith("/accounts/login/")
