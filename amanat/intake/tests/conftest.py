"""Fixtures of the intake tests: the served WSGI application (``amanat.wsgi.application``,
what gunicorn runs: the API's own middleware chain) with group commit on, in
transactional tests, so that what they exercise is what production runs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from amanat.accounts.services import api_token_issue
from amanat.incidents.tests.conftest import World, world  # noqa: F401  (a fixture)
from amanat.intake import groupcommit
from amanat.wsgi import application

REPORTS = "/api/v1/incidents/reports"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, list[str]]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    def __iter__(self) -> Iterator[Any]:  # status, headers, content = serve(...)
        return iter((self.status, self.headers, self.content))

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def serve(path: str, *, method: str = "GET", body: bytes = b"",
          headers: dict[str, str] | None = None) -> Answer:
    """One request through ``amanat.wsgi.application``, as a WSGI server makes it."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json", "wsgi.errors": io.StringIO(),
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]],
                       exc_info: Any = None) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = {}
        for name, value in response_headers:
            answer["headers"].setdefault(name.lower(), []).append(value)

    served = application(environ, start_response)
    try:
        content = b"".join(served)
    finally:
        getattr(served, "close", lambda: None)()  # as a server does: request_finished
    return Answer(answer["status"], answer["headers"], content)


def post_report(token: str | None, body: dict[str, Any], key: str | None) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    return serve(REPORTS, method="POST", body=json.dumps(body).encode(), headers=headers)


def token_for(user: Any) -> str:
    _, plaintext = api_token_issue(user=user, name="device", ttl_days=1, actor=user)
    return plaintext


@pytest.fixture
def group_commit(transactional_db: None, settings: Any) -> Iterator[groupcommit.GroupCommitter]:
    """Group commit on, as ``amanat serve`` runs it; outside a test transaction, so the
    work really goes to the writer thread (it runs inline inside a transaction)."""
    settings.AMANAT_GROUP_COMMIT = True
    yield groupcommit.committer
    groupcommit.committer.stop()
