"""Every error answer of the API is ``{detail, errors}`` JSON in the request's language,
through the served application (the API's own chain) and the site's chain alike, and the
OpenAPI document declares the statuses a route can give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

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


@pytest.fixture
def token(personas: Personas) -> str:
    governor = personas.gharchak_governor
    _, plaintext = services.api_token_issue(user=governor, name="client", ttl_days=1,
                                            actor=governor)
    return plaintext


def _error(content: bytes, headers: dict[str, list[str]]) -> dict[str, Any]:
    assert headers["content-type"][0].startswith("application/json"), content[:200]
    body = json.loads(content)
    assert set(body) == {"detail", "errors"} and isinstance(body["errors"], list)
    return body


PERSIAN = range(0x0600, 0x0700)


def _persian(text: str) -> bool:
    return any(ord(c) in PERSIAN for c in text)


@pytest.mark.parametrize("language", ["fa", "en"])
def test_error_details_are_in_the_request_language(token: str, language: str) -> None:
    auth = {"Authorization": f"Bearer {token}", "Accept-Language": language}
    answers = {
        "404": serve("/api/v1/stations/99999999", headers=auth),
        "404 no route": serve("/api/v1/nothing/here/", headers=auth),
        "401": serve("/api/v1/me", headers={"Authorization": "Bearer amt_nope",
                                             "Accept-Language": language}),
        "400 no key": serve("/api/v1/incidents/reports", method="POST",
                            body=b'{"category": "VB", "text": "x"}', headers=auth),
        "405": serve("/api/v1/stations/1", method="DELETE", headers=auth),
    }
    for name, (status, headers, content) in answers.items():
        assert str(status) == name.split()[0], name
        detail = _error(content, headers)["detail"]
        assert _persian(detail) == (language == "fa"), (name, detail)
    assert answers["405"].headers["allow"]


def test_a_body_over_the_size_limit_is_a_declared_413(token: str, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"category": "VB", "text": "x" * 2000}).encode()
    status, headers, content = serve(
        "/api/v1/incidents/reports", method="POST", body=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "big-1",
                 "Accept-Language": "en"})
    assert status == 413
    [error] = _error(content, headers)["errors"]
    assert error["field"] == "body" and error["code"] == "too_large"
    document = json.loads(serve("/api/v1/openapi.json").content)
    responses = document["paths"]["/api/v1/incidents/reports"]["post"]["responses"]
    assert responses["413"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorOut")


def test_the_site_chain_answers_the_same_shape(token: str) -> None:
    # Django's test client goes through the site's middleware chain, not the API's.
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.delete("/api/v1/stations/1")
    assert response.status_code == 405 and response["Allow"]
    assert response.json() == {"detail": response.json()["detail"], "errors": []}
    assert not _persian(response.json()["detail"])
